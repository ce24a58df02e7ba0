"""Framed stream round trips, feed-slicing independence, limits and misuse."""

from __future__ import annotations

import os
import random

import pytest

from objstore.crypto import (
    FRAME_SIZE,
    HEADER_SIZE,
    TAG_SIZE,
    FormatError,
    FrameOpener,
    FrameSealer,
    StreamHeader,
    layout,
    open_stream,
    parse_header,
    stored_size,
)
from objstore.crypto import cipher as cipher_module

KEY = bytes(range(32))
SALT = bytes(16)


def seal(plaintext: bytes, slices: list[int] | None = None, **kwargs: object) -> bytes:
    sealer = FrameSealer(KEY, **kwargs)  # type: ignore[arg-type]
    out = [sealer.header()]
    at = 0
    for n in slices or [len(plaintext)]:
        out.append(bytes(sealer.feed(plaintext[at:at + n])))
        at += n
    out.append(bytes(sealer.feed(plaintext[at:])))
    assert sealer.plaintext_size == len(plaintext)
    out.append(sealer.finish())
    return b"".join(out)


def reader(blob: bytes):
    return lambda offset, length: blob[offset:offset + length]


def decrypt_all(blob: bytes, size: int, key: bytes = KEY) -> bytes:
    opener = open_stream(key, reader(blob), size)
    opener.check_stored_size(len(blob))
    return b"".join(opener.decrypt_range(reader(blob)))


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 65535, 65536, 65537, 3 * 65536,
                                  3 * 65536 + 1, 16 * 65536, 16 * 65536 + 7])
def test_round_trip(size: int) -> None:
    plaintext = os.urandom(size)
    blob = seal(plaintext)
    assert len(blob) == stored_size(size)
    assert decrypt_all(blob, size) == plaintext


def test_round_trip_random_large() -> None:
    rng = random.Random(7)
    size = rng.randrange(20 << 20, 40 << 20)
    plaintext = rng.randbytes(size)
    blob = seal(plaintext, slices=[1 << 20] * (size >> 20))
    assert len(blob) == stored_size(size)
    assert decrypt_all(blob, size) == plaintext


def test_round_trip_small_frames() -> None:
    plaintext = os.urandom(1000)
    blob = seal(plaintext, frame_size=16)
    assert len(blob) == stored_size(1000, 16)
    assert decrypt_all(blob, 1000) == plaintext


def test_every_stream_gets_a_fresh_salt() -> None:
    first, second = seal(b"same part, uploaded twice"), seal(b"same part, uploaded twice")
    assert first[:10] == second[:10]
    assert first[10:HEADER_SIZE] != second[10:HEADER_SIZE]
    assert first[HEADER_SIZE:] != second[HEADER_SIZE:]


@pytest.mark.parametrize("slices", [
    [1] * 70000,
    [65535, 1, 65536, 1],
    [65536, 65536, 65536],
    [1 << 20],
    [10 << 20],
    [3, 65533, 131072, 5, 7, 200000],
    [0, 0, 65536, 0, 1],
])
def test_feed_slicing_does_not_change_the_bytes(slices: list[int]) -> None:
    plaintext = random.Random(len(slices)).randbytes(sum(slices) + 12345)
    whole = seal(plaintext, salt=SALT)
    assert seal(plaintext, slices=slices, salt=SALT) == whole


def test_feed_random_slices_and_buffer_types() -> None:
    rng = random.Random(3)
    plaintext = rng.randbytes(700_001)
    whole = seal(plaintext, salt=SALT)
    sealer = FrameSealer(KEY, salt=SALT)
    out = [sealer.header()]
    at = 0
    while at < len(plaintext):
        n = rng.choice([0, 1, 2, 100, 65535, 65536, 65537, 300_000])
        piece = plaintext[at:at + n]
        out.append(bytes(sealer.feed(rng.choice([bytes, bytearray, memoryview])(piece))))
        at += n
    out.append(sealer.finish())
    assert b"".join(out) == whole


def test_feed_view_seals_the_same_bytes_into_one_reused_buffer() -> None:
    rng = random.Random(8)
    plaintext = rng.randbytes(900_001)
    whole = seal(plaintext, salt=SALT)
    sealer = FrameSealer(KEY, salt=SALT)
    out = [sealer.header()]
    buffers = set()
    at = 0
    while at < len(plaintext):
        n = rng.choice([0, 1, 65536, 65537, 200_000])
        view = sealer.feed_view(plaintext[at:at + n])
        out.append(bytes(view))  # valid until the next call: copied now
        if view:
            buffers.add(id(view.obj))
        at += n
    out.append(sealer.finish())
    assert b"".join(out) == whole
    assert len(buffers) <= 3  # grown to the largest result, not one per call


def test_feed_buffers_at_most_one_frame() -> None:
    sealer = FrameSealer(KEY)
    assert sealer.feed(b"x" * FRAME_SIZE) == b""  # a full frame is held: it may be the last
    out = sealer.feed(b"y")
    assert len(out) == FRAME_SIZE + TAG_SIZE
    out = sealer.feed(b"z" * (10 * FRAME_SIZE))
    assert len(out) == 10 * (FRAME_SIZE + TAG_SIZE)
    assert len(sealer.finish()) == 1 + TAG_SIZE
    assert sealer.plaintext_size == 11 * FRAME_SIZE + 1


def test_without_encrypt_into(monkeypatch: pytest.MonkeyPatch) -> None:
    plaintext = os.urandom(3 * FRAME_SIZE + 5)
    expected = seal(plaintext, salt=SALT)
    monkeypatch.setattr(cipher_module, "_INTO", False)
    assert seal(plaintext, slices=[100, 70000], salt=SALT) == expected
    assert decrypt_all(expected, len(plaintext)) == plaintext


def test_frame_limit_is_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "MAX_FRAMES", 4)
    sealer = FrameSealer(KEY, frame_size=16)
    sealer.feed(b"a" * 64)  # frames 0..2 sealed, frame 3 pending: exactly the limit
    with pytest.raises(ValueError, match="4-frame limit"):
        sealer.feed(b"b")
    final = sealer.finish()  # the refused byte was not taken
    assert len(final) == 16 + TAG_SIZE
    assert sealer.plaintext_size == 64
    with pytest.raises(ValueError, match="frame limit"):
        FrameOpener(KEY, sealer.stream_header, 65)


def test_sealer_misuse() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        FrameSealer(bytes(16))
    with pytest.raises(ValueError, match="salt"):
        FrameSealer(KEY, salt=bytes(8))
    with pytest.raises(ValueError, match="frame size"):
        FrameSealer(KEY, frame_size=8)
    sealer = FrameSealer(KEY)
    sealer.finish()
    with pytest.raises(ValueError):
        sealer.feed(b"late")
    with pytest.raises(ValueError):
        sealer.finish()


@pytest.mark.parametrize("data,message", [
    (b"", "26"),
    (b"OSFS\x01\x01\x00\x01\x00\x00" + bytes(15), "26"),
    (b"XSFS\x01\x01\x00\x01\x00\x00" + bytes(16), "magic"),
    (b"OSFS\x02\x01\x00\x01\x00\x00" + bytes(16), "version"),
    (b"OSFS\x01\x07\x00\x01\x00\x00" + bytes(16), "algorithm"),
    (b"OSFS\x01\x01\x00\x00\x00\x00" + bytes(16), "frame size"),
    (b"OSFS\x01\x01\x7f\x00\x00\x00" + bytes(16), "frame size"),
])
def test_malformed_headers(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_header(data)


def test_header_parse_ignores_what_follows() -> None:
    header = StreamHeader.new()
    assert parse_header(header.encode() + b"frames...") == header
