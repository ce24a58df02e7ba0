"""S3 Bucket Keys (s3-sse.md §4.3): instead of one KMS GenerateDataKey per object, S3 gets
a bucket-level key from the KMS (context: the bucket's ARN) and keeps it for a while; each
object still gets its own random data key, wrapped by the bucket key. Reads decrypt the
bucket key once and keep it too. Fewer KMS calls, fewer audit records: what the feature is
for, and what the audit trail shows.

As on AWS a bucket key is never shared between principals: each requester gets its own,
through its own KMS call, so a key policy that denies a user still denies them. Every
use of a kept key re-checks the KMS key's state (without a KMS call), so disabling or
deleting the KMS key stops its objects at once, bucket key or not."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from objstore.crypto import IntegrityError

LIFETIME = 600.0      # seconds a bucket key is reused for new objects and kept for reads
MAX_KEPT = 1024
WRAP_AAD = b"objstore bucket-key wrapped data key v1"
NONCE_SIZE = 12


@dataclass(frozen=True)
class BucketKey:
    plaintext: bytes
    wrapped: bytes            # the KMS ciphertext blob of the bucket key
    kms_key_arn: str
    material_id: str | None
    made: float


class BucketKeyCache:
    """Bucket keys kept in memory (never on disk in clear): for writing, by (requester,
    bucket, KMS key as named, context); for reading, by (requester, wrapped bucket key)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 lifetime: float = LIFETIME) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._keys: OrderedDict[tuple[str, ...], BucketKey] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, scope: tuple[str, ...]) -> BucketKey | None:
        with self._lock:
            kept = self._keys.get(scope)
            if kept is None:
                return None
            if self._clock() - kept.made > self._lifetime:
                del self._keys[scope]
                return None
            self._keys.move_to_end(scope)
            return kept

    def put(self, scope: tuple[str, ...], key: BucketKey) -> None:
        with self._lock:
            self._keys[scope] = key
            self._keys.move_to_end(scope)
            while len(self._keys) > MAX_KEPT:
                self._keys.popitem(last=False)

    def now(self) -> float:
        return self._clock()


def write_scope(requester: str, bucket: str, key_id: str, context: dict[str, str]) -> \
        tuple[str, ...]:
    return ("write", requester, bucket, key_id,
            *(f"{k}={v}" for k, v in sorted(context.items())))


def read_scope(requester: str, wrapped: bytes) -> tuple[str, ...]:
    return ("read", requester, hashlib.sha256(wrapped).hexdigest())


def wrap(bucket_key: bytes, data_key: bytes) -> bytes:
    nonce = os.urandom(NONCE_SIZE)
    return nonce + AESGCM(bucket_key).encrypt(nonce, data_key, WRAP_AAD)


def unwrap(bucket_key: bytes, wrapped: bytes) -> bytes:
    try:
        return AESGCM(bucket_key).decrypt(wrapped[:NONCE_SIZE], wrapped[NONCE_SIZE:],
                                          WRAP_AAD)
    except InvalidTag:
        raise IntegrityError("an object's data key did not open under its bucket "
                             "key") from None
