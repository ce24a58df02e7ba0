"""The KMS's notion of time: the real clock plus an offset an administrator may move
forward, so rotation dates, deletion windows and imported-material expiry can be watched
happening in seconds. The offset is kept in the data directory."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


class KmsClock:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = 0.0
        self._stamp: int | None = None
        self._reload()

    def _reload(self) -> None:
        """Pick up an offset another process (`objstore kms clock`) has written."""
        try:
            stamp = self._path.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if stamp != self._stamp:
            self._offset = float(json.loads(self._path.read_text())["offset_seconds"])
            self._stamp = stamp

    @property
    def offset(self) -> float:
        self._reload()
        return self._offset

    def now(self) -> float:
        self._reload()
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward (never back: a key's history must stay in order)."""
        if seconds < 0:
            raise ValueError("the KMS clock only moves forward")
        self._reload()
        self._offset += seconds
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"offset_seconds": self._offset}))
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self._path)
        self._stamp = self._path.stat().st_mtime_ns
        return self.now()
