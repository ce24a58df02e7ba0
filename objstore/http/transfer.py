"""Moving object bytes: a stored range out to a client, or into a new blob (copies)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Generator
from concurrent.futures import Future

from aiohttp import web

from objstore.auth.verify import AuthContext
from objstore.http.body import (
    SLICE,
    BodyPlan,
    BodyProcessor,
    BodyResult,
    read_slice,
    receive,
    send_continue,
)
from objstore.http.context import ServerContext
from objstore.http.errors import S3Error
from objstore.integrity.digests import BodyDigests
from objstore.sse.streams import DataKeys, SealingWriter, open_layers
from objstore.storage.blobs import BlobStore, BlobWriter
from objstore.storage.records import ObjectRecord, Segment
from objstore.storage.store import ObjectReader

MAX_COPY_SIZE = 5 * 1024**3


SMALL_RESPONSE = 256 * 1024


async def _plaintext(ctx: ServerContext, reader: ObjectReader, start: int, end: int,
                     data_key: DataKeys | None, spares: list[bytearray] | None = None,
                     ) -> AsyncIterator[bytes | bytearray]:
    """The object's plaintext start..end: stored bytes as they are, or (with a data key)
    decrypted in a worker thread, 1 MiB at a time, segment (part) by segment: each part is
    its own sealed stream under the object's data key.

    Decryption runs one piece ahead: while the event loop sends piece k, a worker thread
    reads and decrypts piece k+1 (so at most two pieces, 2 MiB, are in memory per
    stream), and a piece costs one thread hop, the first one also opening the blob. A
    consumer done with a piece (nothing holds it any more) may put it in `spares`: later
    pieces are decrypted into it instead of a new buffer."""
    if data_key is None:
        async for chunk in reader.iter_range(start, end):
            yield chunk
        return
    pieces = _decrypted(ctx.store.blobs, reader.record.segments, data_key, start, end,
                        _taker(spares) if spares is not None else bytearray)
    remaining = end - start
    work = ctx.executor.submit(next, pieces, None)
    try:
        while True:
            piece = await asyncio.wrap_future(work)
            if piece is None:
                break
            remaining -= len(piece)
            if remaining > 0:
                work = ctx.executor.submit(next, pieces, None)
            yield piece
            if remaining <= 0:
                break
    finally:
        # close the blob, in the worker once it lets go of the generator if the consumer
        # stopped (or was cancelled) while a piece was still being decrypted
        work.add_done_callback(lambda done: _close_after(done, pieces))


def _close_after(done: Future[bytearray | None], pieces: Generator[bytearray, None, None],
                 ) -> None:
    if not done.cancelled():
        done.exception()  # retrieved: a late failure of an abandoned read is not news
    pieces.close()


def _taker(spares: list[bytearray]) -> Callable[[int], bytearray]:
    def take(length: int) -> bytearray:
        try:
            spare = spares.pop()  # appended to by the event loop: pop and append are atomic
        except IndexError:
            return bytearray(length)
        return spare if len(spare) == length else bytearray(length)
    return take


def _decrypted(blobs: BlobStore, segments: list[Segment], keys: DataKeys, start: int,
               end: int, take: Callable[[int], bytearray] = bytearray,
               ) -> Generator[bytearray, None, None]:
    """Blocking: the plaintext of [start, end) of an encrypted object, piece by piece,
    each piece authenticated before it is yielded. Opens each segment's blob itself and
    reads it into reused buffers (`os.preadv`), closing it when done or closed."""
    base = 0
    for segment in segments:
        first, last = max(start, base), min(end, base + segment.size)
        if first < last or (segment.size == 0 and start == end == base):
            fd = blobs.open(segment.blob)
            try:
                with open_layers(keys, _readinto(fd), segment.size,
                                 os.fstat(fd).st_size) as reader:
                    yield from reader.pieces(first - base, last - base, take=take)
            finally:
                os.close(fd)
        base += segment.size
        if base >= end:
            break


def _readinto(fd: int) -> Callable[[int, memoryview], int]:
    if hasattr(os, "preadv"):
        return lambda offset, buffer: os.preadv(fd, [buffer], offset)

    def readinto(offset: int, buffer: memoryview) -> int:
        data = os.pread(fd, len(buffer), offset)
        buffer[:len(data)] = data
        return len(data)
    return readinto


async def read_range(ctx: ServerContext, record: ObjectRecord, start: int, end: int,
                     data_key: DataKeys | None = None) -> bytes:
    """A small range whole: the response then goes out in one write, headers and body."""
    assert end - start <= SMALL_RESPONSE
    async with ctx.store.reader(record) as reader:
        return b"".join([chunk async for chunk in _plaintext(ctx, reader, start, end,
                                                             data_key)])


async def send_range(request: web.Request, response: web.StreamResponse, ctx: ServerContext,
                     record: ObjectRecord, start: int, end: int,
                     data_key: DataKeys | None = None) -> None:
    """Stream bytes start..end of the object after `response.prepare`. A failure once the
    headers are out (a damaged frame) cuts the connection: the client sees a short body,
    never a wrong byte, and does not wait for bytes that will not come."""
    spares: list[bytearray] = []
    async with ctx.store.reader(record) as reader:
        await response.prepare(request)
        try:
            async for chunk in _plaintext(ctx, reader, start, end, data_key, spares):
                await response.write(chunk)
                # Sent whole (the transport buffers nothing, so it holds no reference to
                # the piece): the next pieces may be decrypted into it. Saves a fresh
                # 1 MiB buffer (malloc, zeroing, page faults) per piece.
                transport = request.transport
                if (isinstance(chunk, bytearray) and len(spares) < 2 and transport is not None
                        and transport.get_write_buffer_size() == 0):
                    spares.append(chunk)
        except Exception:
            if request.transport is not None:
                request.transport.close()
            raise
    await response.write_eof()


async def receive_into_blob(ctx: ServerContext, request: web.Request, plan: BodyPlan,
                            auth: AuthContext,
                            data_key: DataKeys | None = None) -> tuple[str, BodyResult]:
    """A request body into a new blob, verified and published (discarded on any failure);
    sealed in the framed stream format when a data key is given (digests are always of
    the plaintext). A body of one slice or less is read first, then handled in a single
    thread hop: file, digests, checks, fsync and rename together."""
    loop = asyncio.get_running_loop()
    if plan.wire_length is not None and plan.wire_length <= SLICE:
        await send_continue(request)
        data = await read_slice(request)

        def whole() -> tuple[str, BodyResult]:
            writer = ctx.store.blobs.writer()
            try:
                sealing = SealingWriter(data_key, writer.write) if data_key else None
                processor = BodyProcessor(plan, auth, sealing.write if sealing
                                          else writer.write)
                processor.everything(data)
                result = processor.finish(len(data))
                if sealing:
                    sealing.finish()
                return writer.publish(), result
            except BaseException:
                writer.discard()
                raise

        return await loop.run_in_executor(ctx.executor, whole)
    writer = await ctx.store.new_blob()
    try:
        sealing = SealingWriter(data_key, writer.write) if data_key else None
        result = await receive(request, plan, auth, sealing.write if sealing else writer.write,
                               ctx.executor)
        if sealing:
            await loop.run_in_executor(ctx.executor, sealing.finish)
        await ctx.store.publish(writer)
    except BaseException:
        writer.discard()
        raise
    return writer.blob_id, result


async def chunks_into_blob(ctx: ServerContext, chunks: AsyncIterator[bytes], algorithm: str,
                           data_key: DataKeys | None = None, *,
                           max_size: int | None = None) -> tuple[BlobWriter, BodyDigests]:
    """Plaintext chunks into a new blob, not yet published (the caller publishes, or
    discards it), with their digests: sealed with data_key when given, hashed and written in
    worker threads one chunk at a time. More than max_size bytes: EntityTooLarge. On any
    failure the blob is discarded."""
    loop = asyncio.get_running_loop()
    digests = BodyDigests(algorithms=(algorithm,))
    writer = await ctx.store.new_blob()
    sealing = SealingWriter(data_key, writer.write) if data_key else None
    sink = sealing.write if sealing else writer.write

    def process(chunk: bytes) -> None:
        if max_size is not None and digests.size + len(chunk) > max_size:
            raise S3Error("EntityTooLarge", ProposedSize=str(digests.size + len(chunk)),
                          MaxSizeAllowed=str(max_size))
        digests.update(chunk)
        sink(chunk)

    try:
        async for chunk in chunks:
            if chunk:
                await loop.run_in_executor(ctx.executor, process, chunk)
        if sealing:
            await loop.run_in_executor(ctx.executor, sealing.finish)
    except BaseException:
        writer.discard()
        raise
    return writer, digests


async def copy_into_blob(ctx: ServerContext, record: ObjectRecord, start: int, end: int,
                         algorithm: str, *, source_key: DataKeys | None = None,
                         data_key: DataKeys | None = None) -> tuple[BlobWriter, BodyDigests]:
    """A new blob holding plaintext bytes start..end of the object (published), with their
    digests: decrypted with source_key if the source is encrypted, sealed with data_key
    if the copy is to be."""
    if end - start > MAX_COPY_SIZE:
        raise S3Error("InvalidRequest", "The specified copy source is larger than the "
                      f"maximum allowable size for a copy source: {MAX_COPY_SIZE}")
    async with ctx.store.reader(record) as reader:
        writer, digests = await chunks_into_blob(
            ctx, _plaintext(ctx, reader, start, end, source_key), algorithm, data_key)
    try:
        await ctx.store.publish(writer)
    except BaseException:
        writer.discard()
        raise
    return writer, digests
