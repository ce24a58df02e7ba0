"""The audit ledger: append-only JSON Lines (`data_dir/kms/audit.jsonl`), one
CloudTrail-shaped record per KMS call.

Each record is scrubbed (kms.audit.scrub), encoded as one line and written with a single
os.write on an O_APPEND descriptor, then fsynced: records from several threads or
processes never interleave, and a crash leaves at most a torn last line, which readers
skip. If the file does not end in a newline when opened (that torn line), the first
append starts with one, so the next record is never glued to the torn bytes."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kms.audit import reader
from kms.audit.events import CRYPTO_OPERATIONS, iso_time
from kms.audit.scrub import SecretInRecord, scrub

log = logging.getLogger("kms.audit")


class Ledger:
    def __init__(self, path: Path, fsync: bool = True, strict: bool = False) -> None:
        """`fsync=False` trades durability of the last records for speed; `strict=True`
        raises SecretInRecord instead of stripping (for tests of the callers)."""
        self.path = Path(path)
        self.fsync = fsync
        self.strict = strict
        self._lock = threading.Lock()
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        existed = self.path.exists()
        self._fd: int | None = os.open(
            self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._need_newline = _ends_torn(self.path)
        if not existed:
            _fsync_dir(self.path.parent)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Scrub and append one record; returns what was written. Fills in eventID and
        eventTime if the record has none."""
        clean, removed = scrub(record)
        if removed:
            if self.strict:
                raise SecretInRecord(removed)
            log.warning("audit record %s: dropped secret or non-JSON fields %s",
                        clean.get("eventName"), ", ".join(removed))
        clean.setdefault("eventID", str(uuid.uuid4()))
        clean.setdefault("eventTime", iso_time(time.time()))
        data = (json.dumps(clean, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
                + "\n").encode()
        with self._lock:
            if self._fd is None:
                raise RuntimeError("audit ledger is closed")
            fd = self._fd
            if self._need_newline:
                data = b"\n" + data
            try:
                _write_all(fd, data)
            except OSError:
                self._need_newline = True  # part of the line may be on disk
                raise
            self._need_newline = False
            if self.fsync:
                os.fsync(fd)
        return clean

    # -- reading -----------------------------------------------------------------------------

    def records(self, newest_first: bool = False) -> Iterator[dict[str, Any]]:
        """Every readable record, streamed."""
        for line in reader.iter_lines(self.path, newest_first):
            record = reader.parse(line)
            if record is not None:
                yield record

    def query(self, key: str | None = None, user: str | None = None,
              operation: str | None = None, since: float | None = None,
              until: float | None = None, request_id: str | None = None,
              limit: int | None = 100, newest_first: bool = True) -> list[dict[str, Any]]:
        """Records matching every given filter, newest first by default, at most `limit`.
        key: a key id or key ARN (or alias name), matched against resources, request and
        response members; user: userIdentity.arn or userName; operation: eventName;
        since/until: epoch seconds (eventTime has whole-second resolution)."""
        if limit is not None and limit < 1:
            return []
        wanted = reader.Filter(key, user, operation, since, until, request_id)
        needles = wanted.needles()
        out: list[dict[str, Any]] = []
        for line in reader.iter_lines(self.path, newest_first):
            if not all(n in line for n in needles):
                continue
            record = reader.parse(line)
            if record is None or not wanted.matches(record):
                continue
            out.append(record)
            if limit is not None and len(out) >= limit:
                break
        return out

    def last_usage(self, key_arn: str) -> dict[str, Any] | None:
        """The newest successful cryptographic operation (Encrypt, Decrypt,
        GenerateDataKey*, Sign, ...) with this key, or None."""
        wanted = reader.Filter(key=key_arn)
        needles = wanted.needles()
        for line in reader.iter_lines(self.path, newest_first=True):
            if not all(n in line for n in needles):
                continue
            record = reader.parse(line)
            if (record is not None and record.get("eventName") in CRYPTO_OPERATIONS
                    and "errorCode" not in record and wanted.matches(record)):
                return record
        return None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _ends_torn(path: Path) -> bool:
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        if size == 0:
            return False
        f.seek(size - 1)
        return f.read(1) != b"\n"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
