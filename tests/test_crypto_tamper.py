"""Tampered framed streams: every change to the stored bytes (or to the size the reader is
told) fails with IntegrityError, and no wrong byte is ever returned."""

from __future__ import annotations

import random

import pytest

from objstore.crypto import (
    FRAME_SIZE,
    HEADER_SIZE,
    TAG_SIZE,
    FrameOpener,
    FrameSealer,
    IntegrityError,
    open_stream,
    parse_header,
)
from objstore.crypto.opener import open_reader

KEY = bytes(range(32))
FOX = b"The quick brown fox jumps over the lazy dog"  # 43 bytes: 3 frames of 16


def seal(plaintext: bytes, frame_size: int = 16, key: bytes = KEY) -> bytes:
    sealer = FrameSealer(key, frame_size=frame_size)
    return sealer.header() + bytes(sealer.feed(plaintext)) + sealer.finish()


def split(blob: bytes, size: int, frame_size: int = 16) -> tuple[bytes, list[bytes]]:
    stride = frame_size + TAG_SIZE
    frames = [blob[at:at + stride] for at in range(HEADER_SIZE, len(blob), stride)]
    assert len(frames) == max(1, -(-size // frame_size))
    return blob[:HEADER_SIZE], frames


def read_all(blob: bytes, size: int, key: bytes = KEY, batch: int = 16,
             check_size: bool = True, via: str = "read") -> bytes:
    """Decrypt the whole stream as a GET would (through `read` and FrameOpener.decrypt_range,
    or through `readinto` and PlaintextReader.pieces); return what was yielded before any
    error, re-raising the error with it attached."""
    got = bytearray()

    def read(offset: int, length: int) -> bytes:
        return blob[offset:offset + length]

    def readinto(offset: int, buffer: memoryview) -> int:
        data = blob[offset:offset + len(buffer)]
        buffer[:len(data)] = data
        return len(data)

    stored = len(blob) if check_size else None
    try:
        if via == "read":
            opener = open_stream(key, read, size, stored_size=stored)
            pieces = opener.decrypt_range(read, batch_frames=batch)
        else:
            pieces = open_reader(key, readinto, size, stored, batch_frames=batch).pieces()
        for piece in pieces:
            got += piece
    except IntegrityError as exc:
        exc.yielded = bytes(got)  # type: ignore[attr-defined]
        raise
    return bytes(got)


def assert_rejected(blob: bytes, size: int, plaintext: bytes, key: bytes = KEY,
                    check_size: bool = False) -> None:
    """Fails with IntegrityError, without (by default) the stored size check, whichever
    way it is read."""
    for via in ("read", "readinto"):
        for batch in (1, 16):
            with pytest.raises(IntegrityError) as info:
                read_all(blob, size, key, batch, check_size, via)
            yielded = info.value.yielded  # type: ignore[attr-defined]
            assert plaintext.startswith(yielded), "a wrong byte was returned"
            if batch == 16:
                assert yielded == b""


@pytest.mark.parametrize("plaintext,frame_size", [
    (b"", 16), (b"", FRAME_SIZE), (b"hello", FRAME_SIZE), (FOX, 16), (FOX[:32], 16),
])
def test_flipping_any_byte_fails(plaintext: bytes, frame_size: int) -> None:
    blob = seal(plaintext, frame_size)
    assert read_all(blob, len(plaintext)) == plaintext
    for at in range(len(blob)):
        for mask in (0x01, 0x80):
            bad = bytearray(blob)
            bad[at] ^= mask
            assert_rejected(bytes(bad), len(plaintext), plaintext)


def test_flipping_bytes_of_full_size_frames_fails() -> None:
    plaintext = random.Random(5).randbytes(3 * FRAME_SIZE + 10)
    blob = seal(plaintext, FRAME_SIZE)
    stride = FRAME_SIZE + TAG_SIZE
    positions = set(range(0, len(blob), 4093))
    for i in range(4):
        start = HEADER_SIZE + i * stride
        positions |= {start, start + 1, start + FRAME_SIZE // 2, start + FRAME_SIZE - 1,
                      start + FRAME_SIZE, start + stride - 1, len(blob) - 1}
    for at in sorted(p for p in positions if p < len(blob)):
        bad = bytearray(blob)
        bad[at] ^= 0x40
        assert_rejected(bytes(bad), len(plaintext), plaintext)


def test_the_failing_frame_is_named() -> None:
    blob = bytearray(seal(FOX))
    blob[HEADER_SIZE + 32 + 5] ^= 1  # inside frame 1
    for via in ("read", "readinto"):
        with pytest.raises(IntegrityError, match="frame 1 ") as info:
            read_all(bytes(blob), len(FOX), batch=1, via=via)
        assert info.value.frame == 1
        assert info.value.yielded == FOX[:16]  # type: ignore[attr-defined]


def test_truncation_anywhere_fails() -> None:
    blob = seal(FOX)
    for length in range(len(blob)):
        assert_rejected(blob[:length], len(FOX), FOX)
        opener = FrameOpener(KEY, parse_header(blob), len(FOX))
        with pytest.raises(IntegrityError):
            opener.check_stored_size(length)


@pytest.mark.parametrize("frame_size", [16, FRAME_SIZE])
def test_truncation_at_a_frame_boundary_fails_even_with_a_matching_size(
        frame_size: int) -> None:
    """The attacker cuts whole frames and edits the recorded size to match: the frame that
    becomes last does not carry the final flag."""
    plaintext = random.Random(6).randbytes(3 * frame_size + 5)
    blob = seal(plaintext, frame_size)
    header, frames = split(blob, len(plaintext), frame_size)
    for kept in range(len(frames)):
        cut = header + b"".join(frames[:kept])
        size = kept * frame_size
        expected = f"frame {kept - 1} failed" if kept else "truncated"
        with pytest.raises(IntegrityError, match=expected):
            read_all(cut, size, check_size=False)


def test_empty_stream_cut_to_its_header_fails() -> None:
    blob = seal(b"")
    with pytest.raises(IntegrityError, match="truncated"):
        read_all(blob[:HEADER_SIZE], 0, check_size=False)


def test_appended_bytes_are_caught_by_the_size_check() -> None:
    blob = seal(FOX)
    opener = FrameOpener(KEY, parse_header(blob), len(FOX))
    opener.check_stored_size(len(blob))
    with pytest.raises(IntegrityError):
        opener.check_stored_size(len(blob) + 1)
    # a whole extra frame, told as part of the size, fails: the old last frame is final
    _, other = split(seal(FOX), len(FOX))
    assert_rejected(blob + other[0], len(FOX) + 16, FOX)


def test_dropped_reordered_and_duplicated_frames_fail() -> None:
    plaintext = random.Random(8).randbytes(4 * 16 + 7)
    blob = seal(plaintext)
    header, frames = split(blob, len(plaintext))
    full = len(plaintext)
    variants = {
        "drop first": (frames[1:], full - 16),
        "drop middle": (frames[:2] + frames[3:], full - 16),
        "drop last": (frames[:-1], 4 * 16),
        "swap 0,1": ([frames[1], frames[0], *frames[2:]], full),
        "swap 2,3": ([*frames[:2], frames[3], frames[2], *frames[4:]], full),
        "last moved first": ([frames[-1], *frames[:-1]], full),
        "duplicate 0": ([frames[0], *frames], full + 16),
        "duplicate middle": (frames[:3] + frames[2:], full + 16),
        "duplicate last": ([*frames, frames[-1]], full + 7),
        "reversed": (frames[::-1], full),
    }
    for shuffled, size in variants.values():
        bad = header + b"".join(shuffled)
        assert_rejected(bad, size, plaintext)  # the size edited to match the blob
        assert_rejected(bad, full, plaintext, check_size=True)  # the recorded size


def test_extra_frames_after_the_final_one_need_the_size_check() -> None:
    """Bytes appended after the final frame change no plaintext a read returns; the stored
    size check (open_stream(..., stored_size=...)) is what reports them."""
    blob = seal(FOX)
    _, frames = split(blob, len(FOX))
    assert read_all(blob + frames[-1], len(FOX), check_size=False) == FOX
    with pytest.raises(IntegrityError, match="stored stream is"):
        read_all(blob + frames[-1], len(FOX))


def test_frames_spliced_from_another_stream_with_the_same_key_fail() -> None:
    plaintext = random.Random(9).randbytes(3 * 16 + 3)
    a_header, a_frames = split(seal(plaintext), len(plaintext))
    b_header, b_frames = split(seal(plaintext), len(plaintext))
    assert a_frames != b_frames
    for i in range(len(a_frames)):
        spliced = [*a_frames[:i], b_frames[i], *a_frames[i + 1:]]
        assert_rejected(a_header + b"".join(spliced), len(plaintext), plaintext)
    assert_rejected(b_header + b"".join(a_frames), len(plaintext), plaintext)
    assert_rejected(a_header + b"".join(b_frames), len(plaintext), plaintext)


def test_headers_swapped_between_empty_streams_fail() -> None:
    first, second = seal(b""), seal(b"")
    assert_rejected(first[:HEADER_SIZE] + second[HEADER_SIZE:], 0, b"")


def test_a_header_with_another_frame_size_fails() -> None:
    plaintext = bytes(64)
    blob = bytearray(seal(plaintext, 16))
    blob[6:10] = (32).to_bytes(4, "big")  # parses; every frame then fails
    assert_rejected(bytes(blob), len(plaintext), plaintext)


@pytest.mark.parametrize("told", [0, 1, 15, 16, 17, 31, 32, 33, 42, 44, 47, 48, 49, 64, 1000])
def test_telling_the_reader_another_size_fails(told: int) -> None:
    blob = seal(FOX)
    assert len(FOX) == 43
    assert_rejected(blob, told, FOX)


def test_another_key_fails() -> None:
    blob = seal(FOX)
    with pytest.raises(IntegrityError, match="frame 0 ") as info:
        read_all(blob, len(FOX), key=bytes(32))
    assert info.value.yielded == b""  # type: ignore[attr-defined]


def test_open_frame_with_the_wrong_index_or_length_fails() -> None:
    blob = seal(FOX)
    _, frames = split(blob, len(FOX))
    opener = FrameOpener(KEY, parse_header(blob), len(FOX))
    with pytest.raises(IntegrityError, match="frame 1 "):
        opener.open_frame(1, frames[0])
    with pytest.raises(IntegrityError, match="expected 32"):
        opener.open_frame(0, frames[0][:-1])
    with pytest.raises(IntegrityError, match="frame 2 "):
        opener.open_frame(2, frames[1][:27])  # right length for the last frame, not final
    with pytest.raises(IntegrityError, match="expected 32"):
        opener.open_frame(0, frames[0] + frames[1])
