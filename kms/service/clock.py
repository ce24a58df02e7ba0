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
        if path.exists():
            self._offset = float(json.loads(path.read_text())["offset_seconds"])

    @property
    def offset(self) -> float:
        return self._offset

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward (never back: a key's history must stay in order)."""
        if seconds < 0:
            raise ValueError("the KMS clock only moves forward")
        self._offset += seconds
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"offset_seconds": self._offset}))
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self._path)
        return self.now()
