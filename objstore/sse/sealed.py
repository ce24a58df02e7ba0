"""Small values kept with an encrypted object that would reveal its plaintext (its
checksums: a CRC of a short secret is as good as the secret): sealed under the object's
own data key, so reading them needs the same key (and, for the KMS modes, the same KMS
call) as reading the object. Pure: bytes in, bytes out."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from objstore.crypto import IntegrityError
from objstore.sse.streams import DataKeys

VERSION = b"\x01"
NONCE_SIZE = 12


class SealedValueError(IntegrityError):
    """A sealed value did not authenticate under the key it was opened with."""


def _key(keys: DataKeys, purpose: str) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"objstore sealed value: " + purpose.encode()).derive(keys[0])
    return AESGCM(derived)


def seal(keys: DataKeys, purpose: str, value: Any) -> str:
    """JSON `value` sealed with AES-256-GCM under a key derived from the data key for
    `purpose` (which is also the AAD): base64 of version || nonce || ciphertext+tag."""
    nonce = os.urandom(NONCE_SIZE)
    plain = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    sealed = _key(keys, purpose).encrypt(nonce, plain, VERSION + purpose.encode())
    return base64.b64encode(VERSION + nonce + sealed).decode()


def open_sealed(keys: DataKeys, purpose: str, text: str) -> Any:
    raw = base64.b64decode(text)
    if raw[:1] != VERSION or len(raw) < 1 + NONCE_SIZE + 16:
        raise SealedValueError("not a sealed value")
    try:
        plain = _key(keys, purpose).decrypt(raw[1:1 + NONCE_SIZE], raw[1 + NONCE_SIZE:],
                                            VERSION + purpose.encode())
    except InvalidTag:
        raise SealedValueError(f"the sealed {purpose} did not authenticate") from None
    return json.loads(plain)
