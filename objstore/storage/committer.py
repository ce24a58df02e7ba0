"""Group commit: every metadata write runs in one writer thread, and the writes that queue
up while a commit is in flight share the next transaction (one fsync for many PUTs).

Each job runs inside its own SAVEPOINT, so a job that raises (a domain error such as
NoSuchBucket) is rolled back alone and its exception goes to its caller.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from objstore.storage import metadata

T = TypeVar("T")
MAX_BATCH = 256


@dataclass
class _Job:
    fn: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]
    sync_blobs: tuple[str, ...] = field(default=())


class Committer:
    def __init__(self, db_path: Path, before_commit: Callable[[Iterable[str]], None]) -> None:
        self._db_path = db_path
        self._before_commit = before_commit
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name="metadata-committer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    async def run(self, fn: Callable[[sqlite3.Connection], T],
                  sync_blobs: Iterable[str] = ()) -> T:
        """Run fn(conn) in a committed transaction; sync_blobs are blob ids whose
        directories must be fsynced before the commit. Once queued, the job completes
        even if the caller is cancelled (a write is committed whole or not at all)."""
        assert self._loop is not None, "committer not started"
        future: asyncio.Future[T] = self._loop.create_future()
        self._queue.put(_Job(fn, future, tuple(sync_blobs)))
        return await asyncio.shield(future)

    def _run(self) -> None:
        conn = metadata.connect(self._db_path)
        try:
            while True:
                job = self._queue.get()
                if job is None:
                    return
                batch = [job]
                while len(batch) < MAX_BATCH:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        self._queue.put(None)
                        break
                    batch.append(more)
                self._commit(conn, batch)
        finally:
            conn.close()

    def _commit(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            self._before_commit([blob for job in batch for blob in job.sync_blobs])
            conn.execute("BEGIN IMMEDIATE")
            for job in batch:
                conn.execute("SAVEPOINT job")
                try:
                    outcomes.append((True, job.fn(conn)))
                    conn.execute("RELEASE job")
                except Exception as exc:
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((False, exc))
            conn.execute("COMMIT")
        except Exception as exc:  # the commit itself failed: nothing in the batch happened
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(batch)
        assert self._loop is not None
        for job, (ok, value) in zip(batch, outcomes, strict=True):
            self._loop.call_soon_threadsafe(_settle, job.future, ok, value)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
