"""The stream header: stored once at the start of every blob, authenticated by every frame.

    offset  size  field
    0       4     magic b"OSFS" (objstore framed stream)
    4       1     format version (1)
    5       1     algorithm (1 = AES-256-GCM frames under an HKDF-SHA256 per-stream subkey)
    6       4     frame size: plaintext bytes per frame, big-endian (65536)
    10      16    salt: random per stream, the input of the per-stream key derivation

`parse_header` checks structure only; the header is authenticated when the first frame is
opened (it is part of every frame's AAD and of the key derivation's info).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from objstore.crypto.errors import FormatError

MAGIC = b"OSFS"
VERSION = 1
ALGORITHM_AES256GCM_HKDF = 1
FRAME_SIZE = 64 * 1024
MIN_FRAME_SIZE = 16
MAX_FRAME_SIZE = 16 * 1024 * 1024
SALT_SIZE = 16

_LAYOUT = struct.Struct(">4sBBI16s")
HEADER_SIZE = _LAYOUT.size  # 26


def check_frame_size(frame_size: int) -> None:
    if not MIN_FRAME_SIZE <= frame_size <= MAX_FRAME_SIZE:
        raise ValueError(f"frame size must be {MIN_FRAME_SIZE}..{MAX_FRAME_SIZE} bytes, "
                         f"not {frame_size}")


@dataclass(frozen=True)
class StreamHeader:
    """The clear, authenticated parameters of one stream."""

    salt: bytes
    frame_size: int = FRAME_SIZE
    version: int = VERSION
    algorithm: int = ALGORITHM_AES256GCM_HKDF

    def __post_init__(self) -> None:
        if len(self.salt) != SALT_SIZE:
            raise ValueError(f"salt must be {SALT_SIZE} bytes")
        check_frame_size(self.frame_size)
        if self.version != VERSION or self.algorithm != ALGORITHM_AES256GCM_HKDF:
            raise ValueError("only version 1, algorithm 1 can be written")

    @classmethod
    def new(cls, *, frame_size: int = FRAME_SIZE, salt: bytes | None = None) -> StreamHeader:
        """A header for a new stream with a fresh random salt (`salt` is for test vectors)."""
        return cls(salt=os.urandom(SALT_SIZE) if salt is None else bytes(salt),
                   frame_size=frame_size)

    def encode(self) -> bytes:
        return _LAYOUT.pack(MAGIC, self.version, self.algorithm, self.frame_size, self.salt)


def parse_header(data: bytes | bytearray | memoryview) -> StreamHeader:
    """Parse the first `HEADER_SIZE` bytes of a stream; raise `FormatError` if malformed.

    `data` may be longer than the header (the rest is ignored)."""
    if len(data) < HEADER_SIZE:
        raise FormatError(f"stream header is {len(data)} bytes, expected {HEADER_SIZE}")
    magic, version, algorithm, frame_size, salt = _LAYOUT.unpack_from(data)
    if magic != MAGIC:
        raise FormatError(f"not a framed stream: magic {magic!r}, expected {MAGIC!r}")
    if version != VERSION:
        raise FormatError(f"unsupported framed stream version {version}")
    if algorithm != ALGORITHM_AES256GCM_HKDF:
        raise FormatError(f"unsupported framed stream algorithm {algorithm}")
    if not MIN_FRAME_SIZE <= frame_size <= MAX_FRAME_SIZE:
        raise FormatError(f"bad frame size {frame_size} in stream header")
    return StreamHeader(salt=salt, frame_size=frame_size)
