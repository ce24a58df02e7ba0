"""Scratch buffers reused across streams: what sealers seal into and readers read stored
bytes into. They never leave this package's objects (callers only see views of them
during a call), so one stream's buffer can serve the next stream once the first is done.

Allocating ~1 MiB per stream costs little in itself, but glibc hands such buffers back to
the kernel when they are freed and the next stream pays a page fault per 4 KiB to touch
them again (about 2 us each on these machines: 0.5 ms per MiB, a sizeable part of a 1 MiB
request). A few buffers kept here avoid that; the pool is bounded in count and size, so
memory stays flat.
"""

from __future__ import annotations

from objstore.crypto.header import FRAME_SIZE
from objstore.crypto.layout import TAG_SIZE

# big enough for the usual batch: 16 frames, plus the partial frames around a DSSE read
STANDARD_SIZE = 18 * (FRAME_SIZE + TAG_SIZE)


class BufferPool:
    """At most `keep` spare buffers of `size` bytes each; bigger requests are not pooled."""

    def __init__(self, keep: int = 16, size: int = STANDARD_SIZE) -> None:
        self.keep = keep
        self.size = size
        self._spare: list[bytearray] = []  # list.pop and append are atomic: no lock

    def take(self, length: int) -> bytearray:
        """A buffer of at least `length` bytes (its contents are stale: overwrite before
        use). Give it back when done with it, or just drop it."""
        if length <= self.size:
            try:
                return self._spare.pop()
            except IndexError:
                return bytearray(self.size)
        return bytearray(length)

    def give(self, buffer: bytearray) -> None:
        """Return a buffer from `take`. The caller must hold no view of it any more."""
        if len(buffer) == self.size and len(self._spare) < self.keep:
            self._spare.append(buffer)  # (a race may keep one or two more: harmless)


SCRATCH = BufferPool()
