"""FrameSealer: encrypt a stream of any-sized slices into header + frames.

    sealer = FrameSealer(data_key)
    out.write(sealer.header())
    for chunk in body:                  # slices of any size: 1 byte, 1 MiB, 10 MiB
        out.write(sealer.feed(chunk))   # the frames completed so far (maybe none)
    out.write(sealer.finish())          # the final frame, possibly partial or empty

The sealer holds back at most one frame of plaintext (the last, since it does not know yet
whether that frame is the final one); everything else is sealed straight from the caller's
slice into one output buffer per `feed`.
"""

from __future__ import annotations

from objstore.crypto import layout
from objstore.crypto.buffers import SCRATCH
from objstore.crypto.cipher import Buffer, StreamCipher
from objstore.crypto.header import FRAME_SIZE, StreamHeader
from objstore.crypto.layout import TAG_SIZE


class FrameSealer:
    """Seals one stream. Every instance draws a fresh random salt, so a fresh subkey and
    nonce prefix: two streams under the same data key never share a (key, nonce) pair."""

    def __init__(self, data_key: Buffer, *, frame_size: int = FRAME_SIZE,
                 salt: bytes | None = None) -> None:
        """`salt` (16 bytes) is for fixed test vectors only; leave it None."""
        self._header = StreamHeader.new(frame_size=frame_size, salt=salt)
        self._cipher = StreamCipher(data_key, self._header)
        self._frame_size = frame_size
        self._pending = bytearray()  # plaintext of the frame not sealed yet (0..F bytes)
        self._index = 0  # index of the pending frame
        self._size = 0
        self._finished = False
        self._scratch: bytearray | None = None  # feed_view's output (from SCRATCH)

    @property
    def stream_header(self) -> StreamHeader:
        return self._header

    def header(self) -> bytes:
        """The header bytes, stored once at the start of the blob."""
        return self._header.encode()

    @property
    def plaintext_size(self) -> int:
        """Plaintext bytes fed so far."""
        return self._size

    @staticmethod
    def stored_size(plaintext_size: int, frame_size: int = FRAME_SIZE) -> int:
        """Exact stored length (header + frames) for `plaintext_size` bytes."""
        return layout.stored_size(plaintext_size, frame_size)

    def feed(self, data: Buffer) -> bytearray:
        """Take the next slice of plaintext; return the frames it completed, concatenated
        (a new buffer, owned by the caller; empty if no frame was completed)."""
        out = bytearray(self._ready_bytes(data))
        self._seal(memoryview(data).cast("B"), memoryview(out))
        return out

    def feed_view(self, data: Buffer) -> memoryview:
        """`feed` without a new buffer per call: the frames completed, in the sealer's own
        scratch buffer, valid only until the next `feed_view`, `feed` or `finish` (write
        them out before that). The scratch grows to the largest result: feed slices of a
        bounded size (1 MiB) to keep it small."""
        need = self._ready_bytes(data)
        if self._scratch is None or len(self._scratch) < need:
            self._scratch = SCRATCH.take(need)
        view = memoryview(self._scratch)[:need]
        self._seal(memoryview(data).cast("B"), view)
        return view

    def _ready_bytes(self, data: Buffer) -> int:
        """How many stored bytes feeding `data` completes (checks the frame limit)."""
        if self._finished:
            raise ValueError("feed() after finish()")
        size = self._frame_size
        available = len(self._pending) + len(memoryview(data).cast("B"))
        ready = (available - 1) // size if available else 0  # keep >= 1 byte back
        if ready and self._index + ready >= layout.MAX_FRAMES:
            raise ValueError(f"stream exceeds the {layout.MAX_FRAMES}-frame limit "
                             f"({layout.max_plaintext_size(size)} bytes)")
        return ready * (size + TAG_SIZE)

    def _seal(self, view: memoryview, sink: memoryview) -> None:
        """Seal the frames `view` completes into `sink` (sized by `_ready_bytes`), keep
        the rest pending."""
        size = self._frame_size
        ready = len(sink) // (size + TAG_SIZE)
        self._size += len(view)
        if ready == 0:
            self._pending += view
            return
        seal = self._cipher.seal_into
        used = at = 0
        if self._pending:
            used = size - len(self._pending)
            self._pending += view[:used]
            seal(self._index, False, self._pending, sink[:size + TAG_SIZE])
            self._pending.clear()
            ready -= 1
            self._index += 1
            at = size + TAG_SIZE
        if ready:
            self._cipher.seal_run(self._index, size, view[used:used + ready * size], sink[at:])
            used += ready * size
            self._index += ready
        self._pending += view[used:]

    def finish(self) -> bytes:
        """Seal and return the final frame (the only one with the final flag). The blob is
        header() + every feed() result + finish(), and is stored_size(plaintext_size)."""
        if self._finished:
            raise ValueError("finish() called twice")
        self._finished = True
        if self._scratch is not None:  # feed_view's last result has been written out
            SCRATCH.give(self._scratch)
            self._scratch = None
        out = bytearray(len(self._pending) + TAG_SIZE)
        self._cipher.seal_into(self._index, True, self._pending, memoryview(out))
        self._pending.clear()
        return bytes(out)
