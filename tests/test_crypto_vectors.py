"""Fixed vectors for the framed stream format (objstore.crypto): exact bytes, pinned.

If one of these changes, the on-disk format changed: bump the version instead."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from objstore.crypto import (
    FRAME_SIZE,
    HEADER_SIZE,
    MAX_FRAMES,
    TAG_SIZE,
    FrameSealer,
    StreamHeader,
    frame_count,
    parse_header,
    stored_size,
)
from objstore.crypto.cipher import derive_stream_keys

KEY = bytes(range(32))
SALT = bytes(range(0xA0, 0xB0))
HEADER_HEX = "4f534653" "01" "01" "00010000" "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
FOX = b"The quick brown fox jumps over the lazy dog"


def seal(plaintext: bytes, **kwargs: object) -> bytes:
    sealer = FrameSealer(KEY, salt=SALT, **kwargs)  # type: ignore[arg-type]
    return sealer.header() + bytes(sealer.feed(plaintext)) + sealer.finish()


def reference_seal(plaintext: bytes, frame_size: int = FRAME_SIZE) -> bytes:
    """The format as the docstring table states it, from raw primitives."""
    header = (b"OSFS" + bytes([1, 1]) + frame_size.to_bytes(4, "big") + SALT)
    okm = HKDF(algorithm=SHA256(), length=40, salt=SALT,
               info=b"objstore framed stream" + header).derive(KEY)
    aead, prefix = AESGCM(okm[:32]), okm[32:]
    pieces = [plaintext[i:i + frame_size] for i in range(0, len(plaintext), frame_size)] or [b""]
    out = [header]
    for index, piece in enumerate(pieces):
        final = b"\x01" if index == len(pieces) - 1 else b"\x00"
        aad = header + index.to_bytes(8, "big") + final
        out.append(aead.encrypt(prefix + index.to_bytes(4, "big"), piece, aad))
    return b"".join(out)


def test_header_bytes() -> None:
    sealer = FrameSealer(KEY, salt=SALT)
    assert HEADER_SIZE == 26
    assert sealer.header().hex() == HEADER_HEX
    assert parse_header(bytes.fromhex(HEADER_HEX)) == StreamHeader(salt=SALT)


def test_derived_subkey_and_nonce_prefix() -> None:
    subkey, prefix = derive_stream_keys(KEY, StreamHeader(salt=SALT))
    assert subkey.hex() == "2237b71275ef5fb612c0bd358922e9a382ff2d22461fd566a2c63c750412843e"
    assert prefix.hex() == "4f6b1a6a10ec1586"


def test_empty_stream_is_one_empty_final_frame() -> None:
    blob = seal(b"")
    assert blob.hex() == HEADER_HEX + "2efea4a8980bf6d36217b1b1957c7295"
    assert len(blob) == stored_size(0) == HEADER_SIZE + TAG_SIZE


def test_hello() -> None:
    assert seal(b"hello").hex() == HEADER_HEX + "a906e10deec8130e00a8d425008ddef825885c0305"


def test_small_frames_whole_stream() -> None:
    blob = seal(FOX, frame_size=16)
    assert blob.hex() == (
        "4f534653010100000010a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
        "621ec80391c1dfb56379a091b23856dd7e2bd043d6dda3ce503f65f506ff01d5"
        "9579e0bf7d2de674c4c923178d8666593281f0a99976ea3c6a51dd98508938a0"
        "cb5ddc2d8bb8d9e6a545ef01b777a10a4626acf861ae149499cf2b")
    assert len(blob) == stored_size(len(FOX), 16) == 26 + 43 + 3 * 16


def test_first_full_frame_of_a_large_stream() -> None:
    plaintext = bytes(i % 251 for i in range(3 * FRAME_SIZE + 100))
    blob = seal(plaintext)
    first = blob[HEADER_SIZE:HEADER_SIZE + FRAME_SIZE + TAG_SIZE]
    assert first[:16].hex() == "c1628f6285ad37851e9e3462490d7c97"
    assert first[-16:].hex() == "8dcc9e86d49c7fea1cfdfe533eeeffda"
    assert hashlib.sha256(first).hexdigest() == (
        "ac5da4e4e531c50a569861cb294a0942ac325e93df01c22ff6617dc9a53e4715")
    assert blob[-16:].hex() == "6063e81a106b1a308e4b1c8a420093a6"
    assert hashlib.sha256(blob).hexdigest() == (
        "93a3b75a51257914640d4bbee030e3c295b1b2f9f852d52fb2ee40e18476c452")
    assert len(blob) == 196798 == stored_size(len(plaintext))


@pytest.mark.parametrize("plaintext,frame_size", [
    (b"", FRAME_SIZE), (b"hello", FRAME_SIZE), (FOX, 16), (FOX[:32], 16), (FOX[:33], 16),
    (bytes(range(256)) * 1000, FRAME_SIZE), (bytes(3 * FRAME_SIZE), FRAME_SIZE),
])
def test_matches_the_documented_construction(plaintext: bytes, frame_size: int) -> None:
    assert seal(plaintext, frame_size=frame_size) == reference_seal(plaintext, frame_size)


@pytest.mark.parametrize("size,frames,stored", [
    (0, 1, 42), (1, 1, 43), (65535, 1, 65577), (65536, 1, 65578), (65537, 2, 65595),
    (3 * 65536, 3, 196682), (1 << 30, 16384, (1 << 30) + 26 + 16 * 16384),
    (5 << 40, 5 << 24, (5 << 40) + 26 + 16 * (5 << 24)),
    (MAX_FRAMES * FRAME_SIZE, MAX_FRAMES, MAX_FRAMES * (FRAME_SIZE + 16) + 26),
])
def test_stored_size_formula(size: int, frames: int, stored: int) -> None:
    assert frame_count(size) == frames
    assert stored_size(size) == FrameSealer.stored_size(size) == stored


def test_sizes_beyond_the_frame_limit_are_refused() -> None:
    with pytest.raises(ValueError, match="frame limit"):
        stored_size(MAX_FRAMES * FRAME_SIZE + 1)
    with pytest.raises(ValueError):
        stored_size(-1)
