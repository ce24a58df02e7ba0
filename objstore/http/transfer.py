"""Moving object bytes: a stored range out to a client, or into a new blob (copies)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from objstore.http.context import ServerContext
from objstore.http.errors import S3Error
from objstore.integrity.digests import BodyDigests
from objstore.storage.blobs import BlobWriter
from objstore.storage.records import ObjectRecord

MAX_COPY_SIZE = 5 * 1024**3


async def send_range(request: web.Request, response: web.StreamResponse, ctx: ServerContext,
                     record: ObjectRecord, start: int, end: int) -> None:
    """Stream bytes start..end of the object after `response.prepare`."""
    async with ctx.store.reader(record) as reader:
        await response.prepare(request)
        async for chunk in reader.iter_range(start, end):
            await response.write(chunk)
    await response.write_eof()


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
