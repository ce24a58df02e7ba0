"""Purpose-separated sub-keys of the root key (HKDF-SHA256), so one root secret can key
several jobs (e.g. the import-token HMAC) without reusing the same key bytes for two."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO_PREFIX = b"okms/v1/"


def derive_key(root_key: bytes, purpose: str, length: int = 32) -> bytes:
    """The sub-key of `root_key` for `purpose` (e.g. "import-token")."""
    if len(root_key) < 32:
        raise ValueError("root key must be at least 32 bytes")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None,
                info=_INFO_PREFIX + purpose.encode("utf-8"))
    return hkdf.derive(bytes(root_key))
