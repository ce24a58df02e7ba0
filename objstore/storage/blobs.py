"""Blob files: object bytes on disk under names we choose, never under object keys.

A blob is written to `tmp/`, fsynced, then renamed into `blobs/` under a fresh random id.
One flat directory (ext4 indexes large directories) means one directory fsync covers all
the renames a group commit makes durable.
Only after that does a metadata commit make it visible. Anything in `tmp/` at start is a
write that never finished; a blob in `blobs/` that no record names is garbage from a
crash between rename and commit (or between commit and unlink) and is collected at start.

Every method here does blocking file I/O: call them from a worker thread.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path


def new_blob_id() -> str:
    return secrets.token_hex(16)


class BlobWriter:
    """A blob being written. `write` appends; `publish` makes it durable and names it;
    `discard` throws it away. Not thread-safe: one writer, one thread at a time."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self.blob_id = new_blob_id()
        self._tmp_path = store.tmp_dir / self.blob_id
        self._fd: int | None = os.open(self._tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.size = 0

    def write(self, data: bytes | memoryview) -> None:
        assert self._fd is not None, "write after publish/discard"
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.size += len(data)

    def publish(self) -> str:
        """fsync, close and rename into the blob tree; returns the blob id. The caller
        still has to commit metadata naming it (and fsync its directory, see
        BlobStore.sync_dirs) for it to count."""
        assert self._fd is not None, "publish twice"
        fd, self._fd = self._fd, None
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        final = self._store.path(self.blob_id)
        os.replace(self._tmp_path, final)
        return self.blob_id

    def discard(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._tmp_path)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp_dir = root / "tmp"
        self.blob_dir = root / "blobs"

    def prepare(self) -> int:
        """Create the directories and remove unfinished writes; returns how many."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        removed = 0
        for leftover in self.tmp_dir.iterdir():
            leftover.unlink()
            removed += 1
        return removed

    def path(self, blob_id: str) -> Path:
        return self.blob_dir / blob_id

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def open(self, blob_id: str) -> int:
        """A read-only file descriptor for the blob (FileNotFoundError if it is gone)."""
        return os.open(self.path(blob_id), os.O_RDONLY)

    def stored_size(self, blob_id: str) -> int:
        return self.path(blob_id).stat().st_size

    def delete(self, blob_ids: Iterable[str]) -> None:
        for blob_id in blob_ids:
            with contextlib.suppress(FileNotFoundError):
                self.path(blob_id).unlink()

    def sync_dirs(self, blob_ids: Iterable[str]) -> None:
        """fsync the blob directory when blobs were renamed into it, so the renames survive
        a power cut (one fsync for a whole group commit)."""
        if not any(True for _ in blob_ids):
            return
        fd = os.open(self.blob_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def all_ids(self) -> Iterator[str]:
        for entry in os.scandir(self.blob_dir):
            yield entry.name

    def collect_garbage(self, referenced: set[str]) -> int:
        """Delete every blob no record names; returns how many."""
        orphans = [blob_id for blob_id in self.all_ids() if blob_id not in referenced]
        self.delete(orphans)
        return len(orphans)
