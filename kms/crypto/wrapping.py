"""Key material at rest, wrapped by the root key.

Layout: b"OKMW" | version 1 | nonce (12) | AES-256-GCM(material) || tag (16).
AAD: b"OKMW" | version | key id (16 raw bytes) | len(material_id) (4, big-endian) |
material_id. A wrapped material therefore cannot be moved to another key or relabelled
as another material id: it fails to unwrap (CorruptWrappedMaterial).

`material_id` is any byte string: a key-material id, or a label of the caller's choosing
for other secrets kept per key (e.g. b"import-wrapping-key" for a GetParametersForImport
private key).

The names of `importing` and `import_token` are re-exported here too, so
`from kms.crypto.wrapping import unwrap_import` works; those modules are their home.
"""

from __future__ import annotations

import os
import struct
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kms.crypto.errors import CorruptWrappedMaterial
from kms.crypto.import_token import ImportToken, check_import_token, make_import_token
from kms.crypto.importing import (
    new_wrapping_key,
    unwrap_import,
    validate_import_material,
    wrapping_key_digest,
)

__all__ = [
    "ImportToken",
    "check_import_token",
    "make_import_token",
    "new_wrapping_key",
    "unwrap_import",
    "unwrap_material",
    "validate_import_material",
    "wrap_material",
    "wrapping_key_digest",
]

MAGIC = b"OKMW"
VERSION = 1
ROOT_KEY_LEN = 32
NONCE_LEN = 12
TAG_LEN = 16
_PREFIX = MAGIC + bytes([VERSION])
_HEADER_LEN = len(_PREFIX) + NONCE_LEN


def _aad(key_id: uuid.UUID, material_id: bytes) -> bytes:
    return _PREFIX + key_id.bytes + struct.pack(">I", len(material_id)) + bytes(material_id)


def _check_root(root_key: bytes) -> None:
    if len(root_key) != ROOT_KEY_LEN:
        raise ValueError(f"root key must be {ROOT_KEY_LEN} bytes")


def wrap_material(root_key: bytes, key_id: uuid.UUID, material_id: bytes, material: bytes,
                  nonce: bytes | None = None) -> bytes:
    """Seal `material` for storage. `nonce` is for fixed test vectors only."""
    _check_root(root_key)
    if nonce is None:
        nonce = os.urandom(NONCE_LEN)
    elif len(nonce) != NONCE_LEN:
        raise ValueError(f"nonce must be {NONCE_LEN} bytes")
    sealed = AESGCM(root_key).encrypt(nonce, bytes(material), _aad(key_id, material_id))
    return _PREFIX + bytes(nonce) + sealed


def unwrap_material(root_key: bytes, key_id: uuid.UUID, material_id: bytes,
                    wrapped: bytes) -> bytes:
    """Open what `wrap_material` sealed for the same key id and material id."""
    _check_root(root_key)
    wrapped = bytes(wrapped)
    if len(wrapped) < _HEADER_LEN + TAG_LEN or not wrapped.startswith(_PREFIX):
        raise CorruptWrappedMaterial("not a wrapped key material record (or unknown version)")
    nonce = wrapped[len(_PREFIX):_HEADER_LEN]
    try:
        return AESGCM(root_key).decrypt(nonce, wrapped[_HEADER_LEN:], _aad(key_id, material_id))
    except InvalidTag:
        raise CorruptWrappedMaterial(
            "key material failed to unwrap: wrong root key, tampering, or another key's "
            "material") from None
