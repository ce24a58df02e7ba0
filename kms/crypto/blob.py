"""The symmetric ciphertext blob: what Encrypt and GenerateDataKey* return, Decrypt takes.

Layout (65-byte header, then the AES-256-GCM output):

    offset  size  field
    0       4     magic b"OKMS"
    4       1     version (1)
    5       16    key id (raw bytes of the KMS key's UUID)
    21      32    key-material id (see `material_ids`)
    53      12    nonce (random per call)
    65      n+16  AES-256-GCM ciphertext of the n-byte plaintext, then the 16-byte tag

AAD = the whole 65-byte header || canonical_context(context). The key id and material id
travel in clear (Decrypt needs no KeyId; rotated material is found in O(1)) but are
authenticated, as is the encryption context. A 4096-byte plaintext gives a 4177-byte blob,
well under AWS's 6144-byte CiphertextBlob limit.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kms.crypto.context import canonical_context
from kms.crypto.errors import IncorrectKey, InvalidCiphertext
from kms.crypto.material_ids import MATERIAL_ID_LEN

MAGIC = b"OKMS"
VERSION = 1
KEY_LEN = 32
KEY_ID_LEN = 16
NONCE_LEN = 12
TAG_LEN = 16
HEADER_LEN = len(MAGIC) + 1 + KEY_ID_LEN + MATERIAL_ID_LEN + NONCE_LEN
MIN_BLOB_LEN = HEADER_LEN + TAG_LEN

_KEY_ID_AT = len(MAGIC) + 1
_MATERIAL_ID_AT = _KEY_ID_AT + KEY_ID_LEN
_NONCE_AT = _MATERIAL_ID_AT + MATERIAL_ID_LEN


@dataclass(frozen=True)
class BlobHeader:
    """The clear, authenticated part of a blob."""

    key_id: uuid.UUID
    material_id: bytes
    nonce: bytes
    version: int = VERSION

    def encode(self) -> bytes:
        return (MAGIC + bytes([self.version]) + self.key_id.bytes + self.material_id
                + self.nonce)


def _check_material(material: bytes) -> None:
    if len(material) != KEY_LEN:
        raise ValueError(f"symmetric key material must be {KEY_LEN} bytes")


def seal(material: bytes, key_id: uuid.UUID, material_id: bytes, plaintext: bytes,
         context: Mapping[str, str] | None, nonce: bytes | None = None) -> bytes:
    """Encrypt `plaintext` under `material` (32 bytes) into a blob naming `key_id` and
    `material_id`. `nonce` is for fixed test vectors only; leave it None."""
    _check_material(material)
    if len(material_id) != MATERIAL_ID_LEN:
        raise ValueError(f"material id must be {MATERIAL_ID_LEN} bytes")
    if nonce is None:
        nonce = os.urandom(NONCE_LEN)
    elif len(nonce) != NONCE_LEN:
        raise ValueError(f"nonce must be {NONCE_LEN} bytes")
    header = BlobHeader(key_id, bytes(material_id), bytes(nonce)).encode()
    aad = header + canonical_context(context)
    return header + AESGCM(material).encrypt(nonce, bytes(plaintext), aad)


def parse(blob: bytes) -> BlobHeader:
    """Read the header without decrypting. InvalidCiphertext for anything that is not a
    version-1 blob of plausible length (wrong magic, version, or too short)."""
    blob = bytes(blob)
    if len(blob) < MIN_BLOB_LEN or blob[: len(MAGIC)] != MAGIC:
        raise InvalidCiphertext("not a KMS ciphertext blob")
    if blob[len(MAGIC)] != VERSION:
        raise InvalidCiphertext("unsupported ciphertext blob version")
    return BlobHeader(
        key_id=uuid.UUID(bytes=blob[_KEY_ID_AT:_MATERIAL_ID_AT]),
        material_id=blob[_MATERIAL_ID_AT:_NONCE_AT],
        nonce=blob[_NONCE_AT:HEADER_LEN],
        version=VERSION,
    )


def open_blob(material: bytes, blob: bytes, context: Mapping[str, str] | None, *,
              key_id: uuid.UUID | None = None) -> bytes:
    """Decrypt a blob with the material named by its header (the caller looks it up from
    `parse(blob).material_id`).

    If `key_id` is given and the blob names another key: IncorrectKey. Any tampering, a
    different context, or the wrong material: InvalidCiphertext. Never returns wrong bytes.
    """
    _check_material(material)
    blob = bytes(blob)
    header = parse(blob)
    if key_id is not None and header.key_id != key_id:
        raise IncorrectKey("the ciphertext was encrypted under another KMS key")
    aad = blob[:HEADER_LEN] + canonical_context(context)
    try:
        return AESGCM(material).decrypt(header.nonce, blob[HEADER_LEN:], aad)
    except InvalidTag:
        raise InvalidCiphertext("ciphertext failed authentication") from None
