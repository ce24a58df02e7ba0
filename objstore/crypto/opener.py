"""FrameOpener: authenticate and decrypt frames, whole streams or plaintext ranges.

    header = read_header(read)                       # read(offset, length) -> bytes
    opener = FrameOpener(data_key, header, plaintext_size)
    for piece in opener.decrypt_range(read, start, end):   # [start, end), end exclusive
        send(piece)

`read` is the caller's I/O: it returns `length` stored bytes at `offset` (fewer only at the
end of the blob). A frame is decrypted whole and authenticated before any of its bytes is
returned; a failure raises `IntegrityError` naming the frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from objstore.crypto import layout
from objstore.crypto.cipher import Buffer, StreamCipher
from objstore.crypto.errors import IntegrityError
from objstore.crypto.header import HEADER_SIZE, StreamHeader, parse_header
from objstore.crypto.layout import TAG_SIZE

Reader = Callable[[int, int], Buffer]

BATCH_FRAMES = 16  # frames per read in decrypt_range: 1 MiB of plaintext at 64 KiB frames


def _read_exactly(read: Reader, offset: int, length: int, what: str,
                  frame: int | None = None) -> Buffer:
    data = read(offset, length)
    if len(data) < length:
        raise IntegrityError(f"stored stream is truncated: {what} needs {length} bytes at "
                             f"offset {offset}, got {len(data)}", frame=frame)
    if len(data) > length:
        raise ValueError(f"read({offset}, {length}) returned {len(data)} bytes")
    return data


def read_header(read: Reader) -> StreamHeader:
    """Read and parse the header at offset 0 (`FormatError` if malformed or short)."""
    return parse_header(_read_exactly(read, 0, HEADER_SIZE, "the header"))


class FrameOpener:
    """Opens the frames of one stream whose plaintext is `plaintext_size` bytes long (the
    size recorded in metadata; telling a wrong size makes authentication fail)."""

    def __init__(self, data_key: Buffer, header: StreamHeader, plaintext_size: int) -> None:
        self.header = header
        self.plaintext_size = plaintext_size
        self.frame_size = header.frame_size
        self.frame_count = layout.frame_count(plaintext_size, header.frame_size)
        self._cipher = StreamCipher(data_key, header)

    @property
    def stored_size(self) -> int:
        """The exact length the stored blob must have."""
        return layout.stored_size(self.plaintext_size, self.frame_size)

    def check_stored_size(self, actual: int) -> None:
        """Raise `IntegrityError` if the blob is not exactly `stored_size` bytes (a blob
        with bytes appended or cut off)."""
        if actual != self.stored_size:
            raise IntegrityError(f"stored stream is {actual} bytes, expected "
                                 f"{self.stored_size} for {self.plaintext_size} bytes")

    def frames_for_range(self, start: int, end: int) -> layout.FrameSpan:
        return layout.frames_for_range(self.plaintext_size, start, end, self.frame_size)

    def open_frame(self, index: int, sealed: Buffer) -> bytearray:
        """Authenticate and decrypt frame `index` (its stored bytes, tag included). Whether
        it must carry the final flag follows from `plaintext_size`."""
        if 0 <= index < self.frame_count:
            expected = layout.frame_plaintext_size(index, self.plaintext_size,
                                                   self.frame_size) + TAG_SIZE
            if len(sealed) > expected:
                raise IntegrityError(f"frame {index} is {len(sealed)} stored bytes, expected "
                                     f"{expected}", frame=index)
        return self.open_frames(index, sealed)

    def open_frames(self, first: int, sealed: Buffer) -> bytearray:
        """Authenticate and decrypt the consecutive frames first, first+1, ... stored
        back to back in `sealed`; return their plaintext, concatenated."""
        if not 0 <= first < self.frame_count:
            raise ValueError(f"frame {first} is outside a {self.frame_count}-frame stream")
        size, total = self.frame_size, self.plaintext_size
        start = first * size
        # how many plaintext bytes `sealed` must carry: whole frames, the last maybe partial
        frames = -(-len(sealed) // (size + TAG_SIZE)) or 1
        last = first + frames - 1
        if last >= self.frame_count:
            raise IntegrityError(f"{len(sealed)} stored bytes run past the last frame "
                                 f"({self.frame_count - 1})", frame=self.frame_count - 1)
        plain = min((last + 1) * size, total) - start
        if len(sealed) != plain + frames * TAG_SIZE:
            raise IntegrityError(f"frames {first}..{last} are {len(sealed)} stored bytes, "
                                 f"expected {plain + frames * TAG_SIZE} (truncated or "
                                 f"wrong size)", frame=last)
        out = bytearray(plain)
        sink, source = memoryview(out), memoryview(sealed).cast("B")
        open_into, final = self._cipher.open_into, self.frame_count - 1
        src = dst = 0
        for index in range(first, last + 1):
            n = min(size, total - index * size)
            open_into(index, index == final, source[src:src + n + TAG_SIZE], sink[dst:dst + n])
            src += n + TAG_SIZE
            dst += n
        return out

    def decrypt_range(self, read: Reader, start: int = 0, end: int | None = None, *,
                      batch_frames: int = BATCH_FRAMES) -> Iterator[bytearray]:
        """Yield the plaintext of [start, end) (default: all of it) in pieces of at most
        `batch_frames` frames, reading only the stored bytes of the frames that cover it.

        Each piece is authenticated whole before it is yielded. An empty range still
        authenticates one frame (so reading an empty object checks its final frame)."""
        if end is None:
            end = self.plaintext_size
        if batch_frames < 1:
            raise ValueError("batch_frames must be at least 1")
        span = self.frames_for_range(start, end)
        size = self.frame_size
        for first in range(span.first_frame, span.last_frame + 1, batch_frames):
            last = min(first + batch_frames - 1, span.last_frame)
            lo = first * size
            hi = min((last + 1) * size, self.plaintext_size)
            offset = layout.frame_offset(first, size)
            length = hi - lo + (last - first + 1) * TAG_SIZE
            sealed = _read_exactly(read, offset, length, f"frames {first}..{last}", first)
            piece = self.open_frames(first, sealed)
            cut_end = min(end, hi) - lo
            if cut_end < len(piece):
                del piece[max(cut_end, 0):]
            if start > lo:
                del piece[:start - lo]
            if piece:
                yield piece


def open_stream(data_key: Buffer, read: Reader, plaintext_size: int,
                stored_size: int | None = None) -> FrameOpener:
    """Read the header through `read` and return an opener for the stream. Pass the blob's
    actual length as `stored_size` to also reject a blob with bytes appended or cut off
    (which a range read alone cannot see)."""
    opener = FrameOpener(data_key, read_header(read), plaintext_size)
    if stored_size is not None:
        opener.check_stored_size(stored_size)
    return opener
