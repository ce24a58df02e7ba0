"""Range reads of framed streams: only the covering frames are read, bytes match slicing."""

from __future__ import annotations

import random

import pytest

from objstore.crypto import (
    FRAME_SIZE,
    HEADER_SIZE,
    TAG_SIZE,
    FrameSealer,
    FrameSpan,
    frames_for_range,
    open_stream,
)
from objstore.crypto.opener import open_reader

KEY = bytes(range(32))
F = FRAME_SIZE
STRIDE = F + TAG_SIZE


def seal(plaintext: bytes, frame_size: int = F) -> bytes:
    sealer = FrameSealer(KEY, frame_size=frame_size)
    return sealer.header() + bytes(sealer.feed(plaintext)) + sealer.finish()


class Recorder:
    def __init__(self, blob: bytes) -> None:
        self.blob = blob
        self.calls: list[tuple[int, int]] = []

    def __call__(self, offset: int, length: int) -> bytes:
        self.calls.append((offset, length))
        return self.blob[offset:offset + length]


@pytest.mark.parametrize("size,start,end,span", [
    (0, 0, 0, FrameSpan(0, 0, HEADER_SIZE, 16, 0, 0)),
    (5, 0, 5, FrameSpan(0, 0, HEADER_SIZE, 21, 0, 5)),
    (5, 5, 5, FrameSpan(0, 0, HEADER_SIZE, 21, 5, 0)),
    (3 * F, 0, 3 * F, FrameSpan(0, 2, HEADER_SIZE, 3 * STRIDE, 0, 3 * F)),
    (3 * F, F - 1, F + 1, FrameSpan(0, 1, HEADER_SIZE, 2 * STRIDE, F - 1, 2)),
    (3 * F, F, 2 * F, FrameSpan(1, 1, HEADER_SIZE + STRIDE, STRIDE, 0, F)),
    (3 * F, 3 * F, 3 * F, FrameSpan(2, 2, HEADER_SIZE + 2 * STRIDE, STRIDE, F, 0)),
    (3 * F + 1, 3 * F, 3 * F + 1, FrameSpan(3, 3, HEADER_SIZE + 3 * STRIDE, 17, 0, 1)),
    # the last 100 bytes of a 1 GiB object: one frame, 64 KiB + 16 bytes of reading
    (1 << 30, (1 << 30) - 100, 1 << 30,
     FrameSpan(16383, 16383, HEADER_SIZE + 16383 * STRIDE, STRIDE, F - 100, 100)),
    # ... and of a 1 GiB + 50 byte object: the last two frames
    ((1 << 30) + 50, (1 << 30) - 50, (1 << 30) + 50,
     FrameSpan(16383, 16384, HEADER_SIZE + 16383 * STRIDE, STRIDE + 66, F - 50, 100)),
])
def test_frames_for_range(size: int, start: int, end: int, span: FrameSpan) -> None:
    assert frames_for_range(size, start, end) == span


@pytest.mark.parametrize("start,end", [(-1, 0), (0, 6), (3, 2), (6, 6)])
def test_ranges_outside_the_object_are_refused(start: int, end: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        frames_for_range(5, start, end)


def range_pairs(size: int, frame_size: int, rng: random.Random) -> list[tuple[int, int]]:
    points = {0, min(1, size), size, max(size - 1, 0)}
    for k in range(size // frame_size + 2):
        for d in (-1, 0, 1):
            points.add(min(max(k * frame_size + d, 0), size))
    points |= {rng.randrange(size + 1) for _ in range(12)}
    ordered = sorted(points)
    pairs = [(a, b) for a in ordered for b in ordered if a <= b]
    pairs += [(size - n, size) for n in (1, 100, frame_size, frame_size + 1) if n <= size]
    return pairs


@pytest.mark.parametrize("size,frame_size", [
    (0, 16), (1, 16), (16, 16), (17, 16), (100, 16), (3 * F + 777, F), (2 * F, F),
])
def test_decrypt_range_matches_slicing(size: int, frame_size: int) -> None:
    rng = random.Random(size)
    plaintext = rng.randbytes(size)
    blob = seal(plaintext, frame_size)
    opener = open_stream(KEY, Recorder(blob), size)
    for start, end in range_pairs(size, frame_size, rng):
        for batch in (1, 2, 16):
            read = Recorder(blob)
            got = list(opener.decrypt_range(read, start, end, batch_frames=batch))
            assert b"".join(got) == plaintext[start:end], (start, end, batch)
            assert all(got), "no empty pieces"
            span = frames_for_range(size, start, end, frame_size)
            assert read.calls[0][0] == span.stored_offset
            assert sum(length for _, length in read.calls) == span.stored_length
            assert len(read.calls) == -(-(span.last_frame - span.first_frame + 1) // batch)


def test_a_suffix_of_a_large_object_reads_one_frame() -> None:
    size = 8 << 20
    plaintext = random.Random(1).randbytes(size)
    blob = seal(plaintext)
    read = Recorder(blob)
    opener = open_stream(KEY, read, size)
    assert read.calls == [(0, HEADER_SIZE)]
    read.calls.clear()
    assert b"".join(opener.decrypt_range(read, size - 100, size)) == plaintext[-100:]
    assert read.calls == [(len(blob) - STRIDE, STRIDE)]


def test_whole_object_reads_in_batches_of_16_frames() -> None:
    size = 40 * F + 3
    plaintext = random.Random(2).randbytes(size)
    blob = seal(plaintext)
    read = Recorder(blob)
    opener = open_stream(KEY, read, size)
    read.calls.clear()
    pieces = list(opener.decrypt_range(read))
    assert [len(p) for p in pieces] == [16 * F, 16 * F, 8 * F + 3]
    assert read.calls == [(HEADER_SIZE, 16 * STRIDE), (HEADER_SIZE + 16 * STRIDE, 16 * STRIDE),
                          (HEADER_SIZE + 32 * STRIDE, 8 * STRIDE + 3 + TAG_SIZE)]
    assert b"".join(pieces) == plaintext


def test_open_frame_one_at_a_time() -> None:
    plaintext = random.Random(4).randbytes(3 * F + 9)
    blob = seal(plaintext)
    opener = open_stream(KEY, Recorder(blob), len(plaintext))
    frames = [blob[HEADER_SIZE + i * STRIDE:HEADER_SIZE + (i + 1) * STRIDE] for i in range(4)]
    assert b"".join(opener.open_frame(i, f) for i, f in enumerate(frames)) == plaintext
    assert opener.open_frames(1, b"".join(frames[1:])) == plaintext[F:]
    with pytest.raises(ValueError, match="outside"):
        opener.open_frame(4, frames[3])


class IntoRecorder:
    """A `readinto` source over a blob that records (offset, length) of every read."""

    def __init__(self, blob: bytes) -> None:
        self.blob = blob
        self.calls: list[tuple[int, int]] = []

    def __call__(self, offset: int, buffer: memoryview) -> int:
        data = self.blob[offset:offset + len(buffer)]
        self.calls.append((offset, len(buffer)))
        buffer[:len(data)] = data
        return len(data)


@pytest.mark.parametrize("size,frame_size", [
    (0, 16), (1, 16), (17, 16), (100, 16), (3 * F + 777, F),
])
def test_plaintext_reader_matches_slicing(size: int, frame_size: int) -> None:
    rng = random.Random(size)
    plaintext = rng.randbytes(size)
    blob = seal(plaintext, frame_size)
    for start, end in range_pairs(size, frame_size, rng):
        for batch in (1, 16):
            read = IntoRecorder(blob)
            reader = open_reader(KEY, read, size, len(blob), batch_frames=batch)
            read.calls.clear()
            pieces = list(reader.pieces(start, end))
            assert b"".join(pieces) == plaintext[start:end], (start, end, batch)
            assert all(pieces), "no empty pieces"
            span = frames_for_range(size, start, end, frame_size)
            assert read.calls[0][0] == span.stored_offset
            assert sum(length for _, length in read.calls) == span.stored_length
            # random access: the same bytes, into a caller's buffer
            buffer = bytearray(end - start)
            assert reader.readinto(start, memoryview(buffer)) == end - start
            assert buffer == plaintext[start:end]


def test_plaintext_reader_opens_a_partly_read_frame_once() -> None:
    """Sequential reads that do not fall on frame boundaries (DSSE's inner layer reading the
    outer one) read and open every frame once: the frame a read ends in is kept."""
    size = 5 * F + 123
    plaintext = random.Random(7).randbytes(size)
    blob = seal(plaintext)
    read = IntoRecorder(blob)
    reader = open_reader(KEY, read, size)
    at, got = 0, bytearray()
    while at < size:
        buffer = bytearray(F + 16)
        n = reader.readinto(at, memoryview(buffer))
        got += buffer[:n]
        at += n
    assert got == plaintext
    assert sum(length for _, length in read.calls) == len(blob)  # header + each frame once
    assert reader.readinto(size + 5, memoryview(bytearray(10))) == 0  # past the end: nothing


def test_plaintext_reader_pieces_are_cut_on_batch_boundaries() -> None:
    size = 40 * F + 3
    plaintext = random.Random(2).randbytes(size)
    blob = seal(plaintext)
    read = IntoRecorder(blob)
    reader = open_reader(KEY, read, size)
    read.calls.clear()
    pieces = list(reader.pieces(F + 5))
    assert [len(p) for p in pieces] == [16 * F - 5, 16 * F, 7 * F + 3]
    assert b"".join(pieces) == plaintext[F + 5:]
    assert read.calls == [(HEADER_SIZE + STRIDE, 16 * STRIDE),
                          (HEADER_SIZE + 17 * STRIDE, 16 * STRIDE),
                          (HEADER_SIZE + 33 * STRIDE, 7 * STRIDE + 3 + TAG_SIZE)]


def test_readers_hand_their_scratch_buffer_to_the_next_stream() -> None:
    """A closed reader gives its stored-bytes buffer back; the next one reuses it (no fresh
    1 MiB, so no page faults, per stream); a closed reader reads nothing more."""
    size = 20 * F
    blob = seal(random.Random(9).randbytes(size))
    first = open_reader(KEY, IntoRecorder(blob), size, len(blob))
    list(first.pieces(0, size))
    used = first._sealed
    first.close()
    with pytest.raises(ValueError, match="closed"):
        first.readinto(0, memoryview(bytearray(10)))
    with open_reader(KEY, IntoRecorder(blob), size, len(blob)) as second:
        assert b"".join(second.pieces(0, size)) == blob_plaintext(blob, size)
        assert second._sealed is used


def blob_plaintext(blob: bytes, size: int) -> bytes:
    return b"".join(open_stream(KEY, Recorder(blob), size).decrypt_range(Recorder(blob)))
