"""SSE-C keys: tell a right key from a wrong one without storing it, and derive the
per-object data key from it.

    fingerprint = HMAC-SHA256(key=salt, msg=FINGERPRINT_LABEL || customer_key)
    data_key    = HKDF-SHA256(ikm=customer_key, salt=salt, info=DATA_KEY_INFO, length=32)

One random salt per object (per upload for multipart) serves both. They cannot be confused:
HKDF's pseudorandom key is HMAC(salt, customer_key), the fingerprint is HMAC(salt, label ||
customer_key), and the data key comes out of HKDF's expand step, so the stored fingerprint
is neither the data key nor its pseudorandom key. Neither output lets anyone recover the
customer key (a 256-bit secret); the data key that encrypts the bytes is never the key.

The salt, not the customer key, keys the HMAC on purpose: HMAC zero-pads short keys, so
HMAC(K) == HMAC(K || 0x00) and a 33-byte "key" would pass for the right 32-byte one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from objstore.sse.errors import wrong_key

KEY_SIZE = 32
SALT_SIZE = 32
FINGERPRINT_LABEL = b"objstore sse-c key fingerprint v1\x00"
DATA_KEY_INFO = b"objstore sse-c data key v1"


def new_salt() -> bytes:
    return os.urandom(SALT_SIZE)


def fingerprint(key: bytes, salt: bytes) -> bytes:
    """The salted HMAC stored to recognise the key later (32 bytes)."""
    _check_salt(salt)
    return hmac.new(salt, FINGERPRINT_LABEL + key, hashlib.sha256).digest()


def matches(key: bytes, salt: bytes, stored_fingerprint: bytes) -> bool:
    """Constant-time comparison of the key's fingerprint with the stored one."""
    return hmac.compare_digest(fingerprint(key, salt), stored_fingerprint)


def check(key: bytes, salt: bytes, stored_fingerprint: bytes) -> None:
    """Raise AWS's wrong-key error (403 AccessDenied, s3-sse.md §5.4) unless `key` is the
    key the object was stored with."""
    if not matches(key, salt, stored_fingerprint):
        raise wrong_key()


def derive_data_key(customer_key: bytes, salt: bytes) -> bytes:
    """The 32-byte key that encrypts the object's stream: differs per object (per salt)."""
    if len(customer_key) != KEY_SIZE:
        raise ValueError(f"an SSE-C key is {KEY_SIZE} bytes, not {len(customer_key)}")
    _check_salt(salt)
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=salt,
                info=DATA_KEY_INFO).derive(customer_key)


def key_md5(key: bytes) -> str:
    """base64 MD5 of the raw key: what a client sends as ...-customer-key-MD5."""
    return base64.b64encode(hashlib.md5(key, usedforsecurity=False).digest()).decode()


def _check_salt(salt: bytes) -> None:
    if len(salt) < 16:
        raise ValueError("an SSE-C salt is at least 16 random bytes")
