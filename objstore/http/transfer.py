"""Moving object bytes: a stored range out to a client, or into a new blob (copies)."""

from __future__ import annotations

import asyncio

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
from objstore.storage.blobs import BlobWriter
from objstore.storage.records import ObjectRecord

MAX_COPY_SIZE = 5 * 1024**3


SMALL_RESPONSE = 256 * 1024


async def read_range(ctx: ServerContext, record: ObjectRecord, start: int, end: int) -> bytes:
    """A small range whole: the response then goes out in one write, headers and body."""
    assert end - start <= SMALL_RESPONSE
    async with ctx.store.reader(record) as reader:
        return b"".join([chunk async for chunk in reader.iter_range(start, end)])


async def send_range(request: web.Request, response: web.StreamResponse, ctx: ServerContext,
                     record: ObjectRecord, start: int, end: int) -> None:
    """Stream bytes start..end of the object after `response.prepare`."""
    async with ctx.store.reader(record) as reader:
        await response.prepare(request)
        async for chunk in reader.iter_range(start, end):
            await response.write(chunk)
    await response.write_eof()


async def receive_into_blob(ctx: ServerContext, request: web.Request, plan: BodyPlan,
                            auth: AuthContext) -> tuple[str, BodyResult]:
    """A request body into a new blob, verified and published (discarded on any failure).
    A body of one slice or less is read first, then handled in a single thread hop: file,
    digests, checks, fsync and rename together (small PUTs are mostly such hops)."""
    if plan.wire_length is not None and plan.wire_length <= SLICE:
        await send_continue(request)
        data = await read_slice(request)

        def whole() -> tuple[str, BodyResult]:
            writer = ctx.store.blobs.writer()
            try:
                processor = BodyProcessor(plan, auth, writer.write)
                processor.everything(data)
                result = processor.finish(len(data))
                return writer.publish(), result
            except BaseException:
                writer.discard()
                raise

        return await asyncio.get_running_loop().run_in_executor(ctx.executor, whole)
    writer = await ctx.store.new_blob()
    try:
        result = await receive(request, plan, auth, writer.write, ctx.executor)
        await ctx.store.publish(writer)
    except BaseException:
        writer.discard()
        raise
    return writer.blob_id, result


async def copy_into_blob(ctx: ServerContext, record: ObjectRecord, start: int, end: int,
                         algorithm: str) -> tuple[BlobWriter, BodyDigests]:
    """A new blob holding bytes start..end of the object (published), with its digests."""
    if end - start > MAX_COPY_SIZE:
        raise S3Error("InvalidRequest", "The specified copy source is larger than the "
                      f"maximum allowable size for a copy source: {MAX_COPY_SIZE}")
    loop = asyncio.get_running_loop()
    digests = BodyDigests(algorithms=(algorithm,))
    writer = await ctx.store.new_blob()

    def process(chunk: bytes) -> None:
        digests.update(chunk)
        writer.write(chunk)

    try:
        async with ctx.store.reader(record) as reader:
            async for chunk in reader.iter_range(start, end):
                await loop.run_in_executor(ctx.executor, process, chunk)
        await ctx.store.publish(writer)
    except BaseException:
        writer.discard()
        raise
    return writer, digests
