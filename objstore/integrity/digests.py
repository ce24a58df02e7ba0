"""Everything computed over an object body in one pass: MD5 (the ETag), optionally the
SHA-256 a SigV4 request signed, and the x-amz-checksum-* algorithms asked for."""

from __future__ import annotations

import hashlib

from objstore.integrity import checksums

DEFAULT_CHECKSUM = "CRC64NVME"  # what S3 computes for objects uploaded without one (2025)


class BodyDigests:
    def __init__(self, *, sha256: bool = False, algorithms: tuple[str, ...] = ()) -> None:
        self.size = 0
        self._md5 = hashlib.md5()
        self._sha256 = hashlib.sha256() if sha256 else None
        self._checksums = {name: checksums.new(name) for name in algorithms}

    def update(self, data: bytes | memoryview) -> None:
        self.update_md5(data)
        self.update_rest(data)

    def update_md5(self, data: bytes | memoryview) -> None:
        """MD5 alone: the slowest of the digests, so callers may run it in a thread of its
        own beside update_rest (hashlib releases the GIL on large buffers)."""
        self._md5.update(data)

    def update_rest(self, data: bytes | memoryview) -> None:
        """Everything but MD5, and the size."""
        self.size += len(data)
        if self._sha256 is not None:
            self._sha256.update(data)
        for hasher in self._checksums.values():
            hasher.update(data)

    @property
    def md5(self) -> bytes:
        return self._md5.digest()

    @property
    def sha256_hex(self) -> str | None:
        return self._sha256.hexdigest() if self._sha256 is not None else None

    def checksums(self) -> dict[str, str]:
        """Algorithm name -> base64 value, as the x-amz-checksum-* headers carry them."""
        return {name: checksums.b64(h.digest()) for name, h in self._checksums.items()}
