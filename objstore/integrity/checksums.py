"""Every checksum algorithm in botocore's S3 model, incremental, plus the multipart forms
(COMPOSITE: a checksum of the parts' checksums, "-N"; FULL_OBJECT: CRCs combined)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable, Mapping
from typing import Protocol

from awscrt import checksums as crt


class Hasher(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...
    def digest(self) -> bytes: ...


class UnknownChecksum(ValueError):
    """An algorithm name we do not know (and so cannot verify)."""


class _Crc:
    def __init__(self, fn: Callable[[bytes | memoryview, int], int], width: int) -> None:
        self._fn = fn
        self._width = width
        self.value = 0

    def update(self, data: bytes | memoryview) -> None:
        self.value = self._fn(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(self._width, "big")


class _XXHash:
    def __init__(self, factory: Callable[[], crt.XXHash]) -> None:
        self._hash = factory()

    def update(self, data: bytes | memoryview) -> None:
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.finalize()


_FACTORIES: dict[str, Callable[[], Hasher]] = {
    "CRC32": lambda: _Crc(zlib.crc32, 4),
    "CRC32C": lambda: _Crc(crt.crc32c, 4),
    "CRC64NVME": lambda: _Crc(crt.crc64nvme, 8),
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "SHA512": hashlib.sha512,
    "MD5": hashlib.md5,
    "XXHASH64": lambda: _XXHash(crt.XXHash.new_xxhash64),
    "XXHASH3": lambda: _XXHash(crt.XXHash.new_xxhash3_64),
    "XXHASH128": lambda: _XXHash(crt.XXHash.new_xxhash3_128),
}
ALGORITHMS = tuple(_FACTORIES)
_DIGEST_SIZES = {name: len(factory().digest()) for name, factory in _FACTORIES.items()}
_COMBINE = {"CRC32": crt.combine_crc32, "CRC32C": crt.combine_crc32c,
            "CRC64NVME": crt.combine_crc64nvme}
_CRC_WIDTH = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8}
HEADER_PREFIX = "x-amz-checksum-"
_NOT_VALUES = frozenset({"x-amz-checksum-type", "x-amz-checksum-algorithm", "x-amz-checksum-mode"})


def new(algorithm: str) -> Hasher:
    try:
        return _FACTORIES[algorithm.upper()]()
    except KeyError:
        raise UnknownChecksum(algorithm) from None


def algorithm(name: str) -> str:
    """A client-given algorithm name normalised (UnknownChecksum if we cannot compute it)."""
    if name.upper() not in _FACTORIES:
        raise UnknownChecksum(name)
    return name.upper()


def value_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The x-amz-checksum-<algorithm> headers (lower-case name -> value), leaving out
    x-amz-checksum-type, -algorithm and -mode, which carry no checksum value."""
    return {name.lower(): value for name, value in headers.items()
            if name.lower().startswith(HEADER_PREFIX) and name.lower() not in _NOT_VALUES}


def header_name(algorithm: str) -> str:
    return HEADER_PREFIX + algorithm.lower()


def algorithm_of_header(name: str) -> str:
    """`x-amz-checksum-crc32` -> `CRC32` (UnknownChecksum if we cannot compute it)."""
    return algorithm(name.lower().removeprefix(HEADER_PREFIX))


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def well_formed(algorithm: str, value: str) -> bool:
    """Is value the base64 of a digest of this algorithm's size (as a header carries it)?"""
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(digest) == _DIGEST_SIZES[algorithm]


def supports_full_object(algorithm: str) -> bool:
    return algorithm in _COMBINE


def composite(algorithm: str, part_values: list[str]) -> str:
    """COMPOSITE multipart checksum: the checksum of the parts' raw checksums, then -N."""
    hasher = new(algorithm)
    for value in part_values:
        hasher.update(base64.b64decode(value))
    return f"{b64(hasher.digest())}-{len(part_values)}"


def combine_full_object(algorithm: str, parts: list[tuple[str, int]]) -> str:
    """FULL_OBJECT multipart CRC from the parts' CRCs and sizes (no data re-read)."""
    combine, width = _COMBINE[algorithm], _CRC_WIDTH[algorithm]
    value = 0
    for part_value, size in parts:
        value = combine(value, int.from_bytes(base64.b64decode(part_value), "big"), size)
    return b64(value.to_bytes(width, "big"))
