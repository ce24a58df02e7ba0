"""The connection, the lock and transactions that every table module builds on.

One connection, shared by all threads behind a re-entrant lock. `transaction()` opens
BEGIN IMMEDIATE (so the read-check-write of a caller cannot interleave with another
writer), nests as a SAVEPOINT inside an outer transaction, and rolls back on any
exception: a failure, or a crash before COMMIT, leaves nothing half-written."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kms.store import schema
from kms.store.errors import AlreadyExists, NotFound


class Database:
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        """read_only: open an existing database without creating, migrating or writing
        (sqlite3.OperationalError if there is none); every write then fails."""
        self.path = Path(path)
        self._lock = threading.RLock()
        self._depth = 0
        if read_only:
            self._conn: sqlite3.Connection | None = schema.connect_read_only(self.path)
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._conn = schema.connect(self.path)

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("KMS store is closed")
        return self._conn

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together or not at all. Re-entrant: an inner block is
        a savepoint, rolled back alone if it raises (the outer block may catch and go on)."""
        with self._lock:
            conn = self.conn
            if self._depth == 0:
                conn.execute("BEGIN IMMEDIATE")
                self._depth = 1
                try:
                    yield
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                finally:
                    self._depth = 0
            else:
                name = f"sp{self._depth}"
                conn.execute(f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield
                    conn.execute(f"RELEASE {name}")
                except BaseException:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                    raise
                finally:
                    self._depth -= 1

    # -- helpers for the table modules ------------------------------------------------------

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self.conn.execute(sql, args).fetchall()

    def _row(self, sql: str, args: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._lock:
            return self.conn.execute(sql, args).fetchone()

    def _write(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run one statement in a transaction; returns the number of rows it changed."""
        with self.transaction():
            return self.conn.execute(sql, args).rowcount

    @staticmethod
    @contextmanager
    def _integrity(kind: str, ident: str, ref_kind: str = "key",
                   ref_ident: str = "") -> Iterator[None]:
        """Map SQLite constraint failures to AlreadyExists / NotFound (of the referenced
        record)."""
        try:
            yield
        except sqlite3.IntegrityError as exc:
            message = str(exc)
            if "FOREIGN KEY" in message:
                raise NotFound(ref_kind, ref_ident) from exc
            if "UNIQUE" in message or "PRIMARY KEY" in message:
                raise AlreadyExists(kind, ident) from exc
            raise


def check_limit(limit: int | None) -> int:
    """SQLite's LIMIT for an optional page size (-1 = no limit)."""
    if limit is None:
        return -1
    if limit < 1:
        raise ValueError(f"limit must be positive, not {limit}")
    return limit
