"""The storage facade: buckets, objects and multipart uploads, atomically on disk.

Reads of metadata run on the event loop (index lookups on a WAL snapshot); every write
goes through the group committer; blocking file I/O runs in the executor. A blob that an
open reader uses is deleted only when the last reader lets go of it, so a GET never loses
its bytes to a concurrent overwrite.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from objstore.storage import listing, metadata
from objstore.storage.blobs import BlobStore, BlobWriter
from objstore.storage.committer import Committer
from objstore.storage.errors import (
    BucketAlreadyExists,
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    ObjectChanged,
)
from objstore.storage.multipart import select_parts
from objstore.storage.records import (
    BucketRecord,
    ListPage,
    ObjectRecord,
    PartRecord,
    UploadRecord,
)

READ_CHUNK = 1024 * 1024
Condition = Callable[[ObjectRecord | None], None]


class Store:
    def __init__(self, data_dir: Path, executor: Executor) -> None:
        self.data_dir = data_dir
        self.executor = executor
        self.blobs = BlobStore(data_dir / "objects")
        self._db_path = data_dir / "objstore.db"
        self._committer = Committer(self._db_path, self.blobs.sync_dirs)
        self._conn: sqlite3.Connection | None = None
        self._pins: Counter[str] = Counter()
        self._doomed: set[str] = set()

    # -- life cycle ------------------------------------------------------------------------

    async def open(self) -> dict[str, int]:
        """Prepare the data directory, clean what a crash left, start the committer.
        Returns what was cleaned (for the start-up log)."""
        loop = asyncio.get_running_loop()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        unfinished = await loop.run_in_executor(self.executor, self.blobs.prepare)
        self._conn = metadata.connect(self._db_path)
        metadata.create_schema(self._conn)
        referenced = set(metadata.all_segment_blobs(self._conn))
        orphans = await loop.run_in_executor(
            self.executor, self.blobs.collect_garbage, referenced)
        self._committer.start(loop)
        return {"unfinished_writes": unfinished, "orphan_blobs": orphans}

    async def close(self) -> None:
        self._committer.stop()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def conn(self) -> sqlite3.Connection:
        assert self._conn is not None, "store not open"
        return self._conn

    # -- buckets ---------------------------------------------------------------------------

    def bucket(self, name: str) -> BucketRecord:
        record = metadata.get_bucket(self.conn, name)
        if record is None:
            raise NoSuchBucket(name)
        return record

    def buckets(self) -> list[BucketRecord]:
        return metadata.list_buckets(self.conn)

    async def create_bucket(self, name: str, owner: str, region: str) -> BucketRecord:
        record = BucketRecord(name=name, owner=owner, region=region, created=time.time())

        def create(conn: sqlite3.Connection) -> None:
            existing = metadata.get_bucket(conn, name)
            if existing is not None:
                if existing.owner == owner:
                    raise BucketAlreadyOwnedByYou(name)
                raise BucketAlreadyExists(name)
            metadata.insert_bucket(conn, record)

        await self._committer.run(create)
        return record

    async def delete_bucket(self, name: str) -> None:
        def delete(conn: sqlite3.Connection) -> list[str]:
            if metadata.get_bucket(conn, name) is None:
                raise NoSuchBucket(name)
            if metadata.bucket_has_objects(conn, name):
                raise BucketNotEmpty(name)
            blobs: list[str] = []
            for upload_id in metadata.bucket_upload_ids(conn, name):
                blobs += metadata.delete_upload(conn, upload_id)
            metadata.delete_bucket(conn, name)
            return blobs

        self._release(await self._committer.run(delete))

    def bucket_config(self, bucket: str, name: str) -> dict[str, Any] | None:
        """A named bucket setting (e.g. "encryption"), as an opaque JSON document; None
        when unset. NoSuchBucket if the bucket does not exist."""
        self.bucket(bucket)
        return metadata.get_bucket_config(self.conn, bucket, name)

    async def put_bucket_config(self, bucket: str, name: str, doc: dict[str, Any]) -> None:
        def put(conn: sqlite3.Connection) -> None:
            if metadata.get_bucket(conn, bucket) is None:
                raise NoSuchBucket(bucket)
            metadata.put_bucket_config(conn, bucket, name, doc)

        await self._committer.run(put)

    async def delete_bucket_config(self, bucket: str, name: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            if metadata.get_bucket(conn, bucket) is None:
                raise NoSuchBucket(bucket)
            return metadata.delete_bucket_config(conn, bucket, name)

        return await self._committer.run(delete)

    # -- objects ---------------------------------------------------------------------------

    def object(self, bucket: str, key: str) -> ObjectRecord:
        record = metadata.get_object(self.conn, bucket, key)
        if record is None:
            self.bucket(bucket)
            raise NoSuchKey(bucket, key)
        return record

    def list_objects(self, bucket: str, *, prefix: str = "", delimiter: str = "",
                     start_after: str = "", max_keys: int = 1000) -> ListPage:
        self.bucket(bucket)
        return listing.list_objects(self.conn, bucket, prefix=prefix, delimiter=delimiter,
                                    start_after=start_after, max_keys=max_keys)

    async def new_blob(self) -> BlobWriter:
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.blobs.writer)

    async def publish(self, writer: BlobWriter) -> str:
        """Make a written blob durable under its id (not yet visible: commit it next)."""
        await asyncio.get_running_loop().run_in_executor(self.executor, writer.publish)
        return writer.blob_id

    async def discard(self, writer: BlobWriter) -> None:
        await asyncio.get_running_loop().run_in_executor(self.executor, writer.discard)

    async def commit_object(self, record: ObjectRecord,
                            condition: Condition | None = None) -> None:
        """Make record the current version of its key (its blobs published already); the
        previous version's blobs are released. `condition`, if given, sees the current
        version inside the transaction and may raise to refuse the write (conditional
        PUT). On any refusal the new blobs are released instead."""
        new_blobs = [segment.blob for segment in record.segments]

        def commit(conn: sqlite3.Connection) -> list[str]:
            if metadata.get_bucket(conn, record.bucket) is None:
                raise NoSuchBucket(record.bucket)
            previous = metadata.get_object(conn, record.bucket, record.key)
            if condition is not None:
                condition(previous)
            metadata.put_object(conn, record)
            return [s.blob for s in previous.segments] if previous else []

        try:
            old = await self._committer.run(commit, sync_blobs=new_blobs)
        except BaseException:
            self._release(new_blobs)
            raise
        self._release(old)

    async def update_object_attrs(self, record: ObjectRecord,
                                  attrs: dict[str, Any]) -> ObjectRecord:
        """Replace the attrs of the object version `record` was read as, keeping its bytes
        (no blob is written or released). ObjectChanged if the key now holds another
        version (or none): the caller read a stale record."""
        def update(conn: sqlite3.Connection) -> ObjectRecord:
            current = metadata.get_object(conn, record.bucket, record.key)
            if current is None or current.segments != record.segments:
                raise ObjectChanged(record.bucket, record.key)
            updated = dataclasses.replace(current, attrs=attrs)
            metadata.put_object(conn, updated)
            return updated

        return await self._committer.run(update)

    async def delete_object(self, bucket: str, key: str) -> bool:
        """Delete the key; True if it existed. Deleting a missing key is not an error."""
        def delete(conn: sqlite3.Connection) -> list[str] | None:
            if metadata.get_bucket(conn, bucket) is None:
                raise NoSuchBucket(bucket)
            previous = metadata.get_object(conn, bucket, key)
            if previous is None:
                return None
            metadata.delete_object(conn, bucket, key)
            return [s.blob for s in previous.segments]

        old = await self._committer.run(delete)
        if old is None:
            return False
        self._release(old)
        return True

    def reader(self, record: ObjectRecord) -> ObjectReader:
        """A reader of the record's bytes; its blobs stay on disk until it is closed."""
        return ObjectReader(self, record)

    # -- multipart uploads -----------------------------------------------------------------

    async def create_upload(self, upload: UploadRecord) -> None:
        def create(conn: sqlite3.Connection) -> None:
            if metadata.get_bucket(conn, upload.bucket) is None:
                raise NoSuchBucket(upload.bucket)
            metadata.insert_upload(conn, upload)

        await self._committer.run(create)

    def upload(self, bucket: str, key: str, upload_id: str) -> UploadRecord:
        self.bucket(bucket)
        upload = metadata.get_upload(self.conn, upload_id)
        if upload is None or upload.bucket != bucket or upload.key != key:
            raise NoSuchUpload(upload_id)
        return upload

    def parts(self, upload_id: str, after: int = 0, limit: int = 10_001) -> list[PartRecord]:
        return metadata.get_parts(self.conn, upload_id, after, limit)

    def list_uploads(self, bucket: str, *, prefix: str = "", key_marker: str = "",
                     upload_id_marker: str | None = None, limit: int = 1000,
                     ) -> list[UploadRecord]:
        self.bucket(bucket)
        start = max(prefix.encode(), key_marker.encode())
        if key_marker and upload_id_marker is None:
            # after every upload of key_marker
            end_of_marker = key_marker.encode() + b"\x00"
            start = max(prefix.encode(), end_of_marker)
        return metadata.scan_uploads(
            self.conn, bucket, start, upload_id_marker if key_marker else None,
            listing.successor(prefix.encode()) if prefix else None, limit)

    async def commit_part(self, part: PartRecord) -> None:
        """Store a part (its blob published already), replacing an earlier upload of the
        same part number. NoSuchUpload if the upload was completed or aborted meanwhile."""
        def commit(conn: sqlite3.Connection) -> list[str]:
            if metadata.get_upload(conn, part.upload_id) is None:
                raise NoSuchUpload(part.upload_id)
            previous = metadata.get_part(conn, part.upload_id, part.part_number)
            metadata.put_part(conn, part)
            return [previous.blob] if previous else []

        try:
            old = await self._committer.run(commit, sync_blobs=[part.blob])
        except NoSuchUpload:
            self._release([part.blob])
            raise
        self._release(old)

    async def complete_upload(self, upload: UploadRecord, requested: list[tuple[int, str]],
                              build: Callable[[list[PartRecord]], ObjectRecord],
                              min_part_size: int,
                              condition: Condition | None = None) -> ObjectRecord:
        """Atomically check the requested parts, turn them into the object `build` makes of
        them, and end the upload. Parts not named are released."""
        def complete(conn: sqlite3.Connection) -> tuple[ObjectRecord, list[str]]:
            if metadata.get_upload(conn, upload.upload_id) is None:
                raise NoSuchUpload(upload.upload_id)
            if metadata.get_bucket(conn, upload.bucket) is None:
                raise NoSuchBucket(upload.bucket)
            stored = metadata.get_parts(conn, upload.upload_id)
            chosen = select_parts(stored, requested, min_part_size)
            record = build(chosen)
            previous = metadata.get_object(conn, record.bucket, record.key)
            if condition is not None:
                condition(previous)
            metadata.put_object(conn, record)
            used = {part.blob for part in chosen}
            released = [b for b in metadata.delete_upload(conn, upload.upload_id)
                        if b not in used]
            if previous is not None:
                released += [s.blob for s in previous.segments]
            return record, released

        record, released = await self._committer.run(complete)
        self._release(released)
        return record

    async def abort_upload(self, upload: UploadRecord) -> None:
        def abort(conn: sqlite3.Connection) -> list[str]:
            if metadata.get_upload(conn, upload.upload_id) is None:
                raise NoSuchUpload(upload.upload_id)
            return metadata.delete_upload(conn, upload.upload_id)

        self._release(await self._committer.run(abort))

    # -- blob life ---------------------------------------------------------------------------

    def _pin(self, blobs: Iterable[str]) -> None:
        self._pins.update(blobs)

    def _unpin(self, blobs: Iterable[str]) -> None:
        freed = []
        for blob in blobs:
            self._pins[blob] -= 1
            if self._pins[blob] <= 0:
                del self._pins[blob]
                if blob in self._doomed:
                    self._doomed.discard(blob)
                    freed.append(blob)
        if freed:
            self._delete_later(freed)

    def _release(self, blobs: Iterable[str]) -> None:
        """These blobs are no longer named by any record: delete them once unread."""
        free = []
        for blob in blobs:
            if self._pins.get(blob):
                self._doomed.add(blob)
            else:
                free.append(blob)
        if free:
            self._delete_later(free)

    def _delete_later(self, blobs: list[str]) -> None:
        asyncio.get_running_loop().run_in_executor(self.executor, self.blobs.delete, blobs)


class ObjectReader:
    """Reads an object's stored bytes by segment. Close it (or use `async with`)."""

    def __init__(self, store: Store, record: ObjectRecord) -> None:
        self._store = store
        self.record = record
        self._blobs = [segment.blob for segment in record.segments]
        store._pin(self._blobs)
        self._fds: dict[int, int] = {}
        self._closed = False

    async def __aenter__(self) -> ObjectReader:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def read(self, segment: int, offset: int, length: int) -> bytes:
        """Up to `length` stored bytes of a segment's blob from `offset`."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._store.executor, self._pread, segment, offset,
                                          length)

    def read_blocking(self, segment: int, offset: int, length: int) -> bytes:
        """`read` for code already running in a worker thread."""
        return self._pread(segment, offset, length)

    def stored_size(self, segment: int) -> int:
        """Bytes the segment's blob holds on disk (blocking)."""
        return self._store.blobs.stored_size(self._blobs[segment])

    def _pread(self, segment: int, offset: int, length: int) -> bytes:
        fd = self._fds.get(segment)
        if fd is None:
            fd = self._fds[segment] = self._store.blobs.open(self._blobs[segment])
        return os.pread(fd, length, offset)

    async def iter_range(self, start: int, end: int,
                         chunk: int = READ_CHUNK) -> AsyncIterator[bytes]:
        """The object's bytes start..end (end exclusive), for segments stored as is."""
        base = 0
        for index, segment in enumerate(self.record.segments):
            seg_start, seg_end = max(start, base), min(end, base + segment.size)
            offset = seg_start - base
            while seg_start < seg_end:
                data = await self.read(index, offset, min(chunk, seg_end - seg_start))
                if not data:
                    raise EOFError(f"blob {segment.blob} is shorter than its record says")
                yield data
                seg_start += len(data)
                offset += len(data)
            base += segment.size
            if base >= end:
                break

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        fds, self._fds = list(self._fds.values()), {}
        if fds:
            await asyncio.get_running_loop().run_in_executor(
                self._store.executor, _close_all, fds)
        self._store._unpin(self._blobs)


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)
