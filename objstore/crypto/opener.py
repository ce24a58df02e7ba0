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
from objstore.crypto.buffers import SCRATCH
from objstore.crypto.cipher import Buffer, StreamCipher
from objstore.crypto.errors import IntegrityError
from objstore.crypto.header import HEADER_SIZE, StreamHeader, parse_header
from objstore.crypto.layout import TAG_SIZE

Reader = Callable[[int, int], Buffer]
# readinto(offset, buffer): fill `buffer` with the stored bytes at `offset`; return how many
# it filled (fewer than len(buffer) only at the end of the blob)
ReadInto = Callable[[int, memoryview], int]

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
        out = bytearray(self._frames_in(first, len(sealed))[1])
        self.open_frames_into(first, sealed, memoryview(out))
        return out

    def open_frames_into(self, first: int, sealed: Buffer, out: memoryview) -> None:
        """`open_frames`, into the caller's buffer: `out` must be exactly the plaintext
        length of the frames in `sealed`. On failure `IntegrityError` is raised and the
        failed frame's share of `out` is zeroed (frames before it did authenticate)."""
        plain = self._frames_in(first, len(sealed))[1]
        if len(out) != plain:
            raise ValueError(f"output buffer is {len(out)} bytes, frames hold {plain}")
        self._cipher.open_run(first, self.frame_size, self.frame_count - 1,
                              memoryview(sealed).cast("B"), memoryview(out).cast("B"))

    def _frames_in(self, first: int, sealed_length: int) -> tuple[int, int]:
        """(frames, plaintext bytes) in `sealed_length` stored bytes of frames from `first`
        on (IntegrityError if that is not a whole number of this stream's frames)."""
        if not 0 <= first < self.frame_count:
            raise ValueError(f"frame {first} is outside a {self.frame_count}-frame stream")
        size, total = self.frame_size, self.plaintext_size
        start = first * size
        # how many plaintext bytes `sealed` must carry: whole frames, the last maybe partial
        frames = -(-sealed_length // (size + TAG_SIZE)) or 1
        last = first + frames - 1
        if last >= self.frame_count:
            raise IntegrityError(f"{sealed_length} stored bytes run past the last frame "
                                 f"({self.frame_count - 1})", frame=self.frame_count - 1)
        plain = min((last + 1) * size, total) - start
        if sealed_length != plain + frames * TAG_SIZE:
            raise IntegrityError(f"frames {first}..{last} are {sealed_length} stored bytes, "
                                 f"expected {plain + frames * TAG_SIZE} (truncated or "
                                 f"wrong size)", frame=last)
        return frames, plain

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


class PlaintextReader:
    """Random access to one stream's plaintext, through the caller's `readinto`: fills
    caller buffers with authenticated plaintext and allocates nothing per read.

        reader = PlaintextReader(opener, readinto)
        reader.readinto(offset, memoryview(buffer))     # exactly len(buffer) bytes

    Stored bytes go into one reused scratch buffer (at most `batch_frames` frames at a
    time); whole frames are opened straight into the caller's buffer, the frames a read
    only partly covers into a one-frame scratch, which is kept: a sequential reader whose
    reads do not fall on frame boundaries (the inner layer of a DSSE object, reading the
    outer layer) opens every frame once. A frame's bytes reach the caller's buffer only
    after it authenticated; on `IntegrityError` the buffer must be thrown away. Not
    thread-safe: one reader, one thread at a time."""

    def __init__(self, opener: FrameOpener, readinto: ReadInto, *,
                 batch_frames: int = BATCH_FRAMES) -> None:
        if batch_frames < 1:
            raise ValueError("batch_frames must be at least 1")
        self.opener = opener
        self.plaintext_size = opener.plaintext_size
        self._source = readinto
        self._batch = batch_frames
        self._sealed: bytearray | None = None  # stored bytes of the current batch (SCRATCH)
        self._frame = memoryview(bytearray())  # plaintext of frame `_cached` (made on use)
        self._cached = -1
        self._closed = False
        self._on_close: list[Callable[[], None]] = []

    def close(self) -> None:
        """Give the scratch buffer back for other streams (and close the readers this one
        reads through, see `closing`). The reader cannot be used afterwards."""
        self._closed = True
        if self._sealed is not None:
            SCRATCH.give(self._sealed)
            self._sealed = None
        while self._on_close:
            self._on_close.pop()()

    def closing(self, other: PlaintextReader) -> PlaintextReader:
        """Close `other` (the reader under this one's source) along with this one."""
        self._on_close.append(other.close)
        return self

    def __enter__(self) -> PlaintextReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def readinto(self, offset: int, out: memoryview) -> int:
        """Fill `out` with the plaintext at `offset` (fewer bytes only past the end of
        the stream; returns how many). Every frame the read touches is authenticated,
        at least one even for an empty read, so reading nothing still checks the stream's
        frame at `offset` (or its last)."""
        if offset < 0:
            raise ValueError("offset must not be negative")
        start = min(offset, self.plaintext_size)
        end = min(start + len(out), self.plaintext_size)
        self._fill(start, end, memoryview(out).cast("B")[:end - start])
        return end - start

    def pieces(self, start: int = 0, end: int | None = None, *,
               take: Callable[[int], bytearray] = bytearray) -> Iterator[bytearray]:
        """The plaintext of [start, end) as buffers of at most `batch_frames` frames (cut
        on frame boundaries), each authenticated whole before it is yielded; an empty
        range yields nothing but still authenticates its frame. `take(n)` gives the buffer
        for each piece (exactly n bytes, all overwritten): a new one by default, or one the
        consumer is done with."""
        end = self.plaintext_size if end is None else end
        span = self.opener.frames_for_range(start, end)
        size = self.opener.frame_size
        if start == end:
            self._fill(start, end, memoryview(bytearray()))
            return
        step = self._batch * size
        at = start
        while at < end:
            # piece boundaries on multiples of the batch from the range's first frame
            bound = span.first_frame * size + ((at - span.first_frame * size) // step + 1) * step
            piece = take(min(bound, end) - at)
            self._fill(at, at + len(piece), memoryview(piece))
            at += len(piece)
            yield piece

    def _fill(self, start: int, end: int, out: memoryview) -> None:
        """Plaintext [start, end) into `out` (exactly that long): whole frames straight
        into `out`, in runs; the at most two frames the range cuts (its first and last)
        through the kept one-frame scratch."""
        opener, size = self.opener, self.opener.frame_size
        span = opener.frames_for_range(start, end)
        cipher, final = opener._cipher, opener.frame_count - 1
        total = self.plaintext_size
        # the range's first and last frames are cut unless the range covers them whole
        cut_first = start % size != 0 or (start == end and total > 0)
        cut_last = min(end, total) != min((span.last_frame + 1) * size, total) or start == end
        dst = 0
        index = span.first_frame
        while index <= span.last_frame:
            if index == self._cached:
                dst += self._copy_cached(index, start, end, out[dst:])
                index += 1
                continue
            last = min(index + self._batch - 1, span.last_frame)
            if index < self._cached <= last:
                last = self._cached - 1
            sealed = self._read(index, last)
            lo, hi, src = index, last, 0
            if lo == span.first_frame and cut_first:
                n = min(size, total - lo * size)
                self._open_cut(lo, sealed[:n + TAG_SIZE])
                dst += self._copy_cached(lo, start, end, out[dst:])
                src, lo = n + TAG_SIZE, lo + 1
            tail = hi == span.last_frame and cut_last and hi >= lo
            if tail:
                hi -= 1
            if lo <= hi:
                n = min((hi + 1) * size, total) - lo * size
                cipher.open_run(lo, size, final, sealed[src:src + n + (hi - lo + 1) * TAG_SIZE],
                                out[dst:dst + n])
                src += n + (hi - lo + 1) * TAG_SIZE
                dst += n
            if tail:
                self._open_cut(last, sealed[src:])
                dst += self._copy_cached(last, start, end, out[dst:])
            index = last + 1
        if dst != len(out):
            raise AssertionError(f"filled {dst} of {len(out)} bytes")

    def _open_cut(self, index: int, sealed: memoryview) -> None:
        """Open frame `index` into the one-frame scratch, which then holds it."""
        self._cached = -1
        if not self._frame:
            self._frame = memoryview(bytearray(self.opener.frame_size))
        n = len(sealed) - TAG_SIZE
        self.opener._cipher.open_run(index, self.opener.frame_size,
                                     self.opener.frame_count - 1, sealed, self._frame[:n])
        self._cached = index

    def _copy_cached(self, index: int, start: int, end: int, out: memoryview) -> int:
        """Copy the part of [start, end) in the kept frame `index` to `out`; how much."""
        lo = index * self.opener.frame_size
        n = min(self.opener.frame_size, self.plaintext_size - lo)
        want_lo, want_hi = max(start, lo) - lo, max(min(end, lo + n) - lo, max(start, lo) - lo)
        out[:want_hi - want_lo] = self._frame[want_lo:want_hi]
        return want_hi - want_lo

    def _read(self, first: int, last: int) -> memoryview:
        """The stored bytes of frames first..last, in the reused scratch buffer."""
        size, total = self.opener.frame_size, self.plaintext_size
        offset = layout.frame_offset(first, size)
        length = min((last + 1) * size, total) - first * size + (last - first + 1) * TAG_SIZE
        if self._closed:
            raise ValueError("read from a closed PlaintextReader")
        if self._sealed is None or len(self._sealed) < length:
            self._sealed = SCRATCH.take(length)
        view = memoryview(self._sealed)[:length]
        got = 0
        while got < length:
            n = self._source(offset + got, view[got:])
            if n <= 0:
                raise IntegrityError(f"stored stream is truncated: frames {first}..{last} "
                                     f"need {length} bytes at offset {offset}, got {got}",
                                     frame=first)
            got += n
        return view


def open_reader(data_key: Buffer, readinto: ReadInto, plaintext_size: int,
                stored_size: int | None = None, *,
                batch_frames: int = BATCH_FRAMES) -> PlaintextReader:
    """`open_stream` for a `readinto` source: read the header, check the stored size if
    given, and return a `PlaintextReader` of the stream."""
    header = bytearray(HEADER_SIZE)
    got = 0
    while got < HEADER_SIZE:
        n = readinto(got, memoryview(header)[got:])
        if n <= 0:
            break
        got += n
    opener = FrameOpener(data_key, parse_header(header[:got]), plaintext_size)
    if stored_size is not None:
        opener.check_stored_size(stored_size)
    return PlaintextReader(opener, readinto, batch_frames=batch_frames)


def open_stream(data_key: Buffer, read: Reader, plaintext_size: int,
                stored_size: int | None = None) -> FrameOpener:
    """Read the header through `read` and return an opener for the stream. Pass the blob's
    actual length as `stored_size` to also reject a blob with bytes appended or cut off
    (which a range read alone cannot see)."""
    opener = FrameOpener(data_key, read_header(read), plaintext_size)
    if stored_size is not None:
        opener.check_stored_size(stored_size)
    return opener
