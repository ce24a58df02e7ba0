"""Key-material ids: 32 raw bytes, shown on the wire as 64 lowercase hex digits.

AWS's `KeyMaterialId` (botocore shape `BackingKeyIdType`) is exactly 64 characters of
`[a-f0-9]`, and boto3 refuses anything shorter when a caller passes one back (e.g.
ImportKeyMaterial with ImportType EXISTING_KEY_MATERIAL), so the id is 32 bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import uuid

from kms.crypto.errors import ValidationError

MATERIAL_ID_LEN = 32
_HEX_ID = re.compile(r"[0-9a-f]{64}")
_IMPORTED_LABEL = b"okms imported material id v1\x00"


def new_material_id() -> bytes:
    """A fresh random id for material the KMS generates (creation, rotation)."""
    return os.urandom(MATERIAL_ID_LEN)


def imported_material_id(key_id: uuid.UUID, material: bytes) -> bytes:
    """The id of imported material, derived from the key id and the material, as AWS does:
    re-importing the same material into the same key gives the same id, and the id says
    nothing about the material (it is an HMAC keyed by the material itself)."""
    return hmac.new(material, _IMPORTED_LABEL + key_id.bytes, hashlib.sha256).digest()


def to_hex(material_id: bytes) -> str:
    """The wire form (64 lowercase hex digits)."""
    if len(material_id) != MATERIAL_ID_LEN:
        raise ValueError(f"material id must be {MATERIAL_ID_LEN} bytes")
    return material_id.hex()


def from_hex(text: str) -> bytes:
    """Parse the wire form; ValidationError unless exactly 64 lowercase hex digits."""
    if not isinstance(text, str) or not _HEX_ID.fullmatch(text):
        raise ValidationError("KeyMaterialId must be 64 lowercase hexadecimal characters")
    return bytes.fromhex(text)
