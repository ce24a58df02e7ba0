"""The SSE-C header triple (algorithm, key, key MD5): present or not, and valid or not, in
AWS's order (s3-sse.md §5.3 rows 2-8)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, field

from objstore.sse import errors, names
from objstore.sse.customer_key import KEY_SIZE

ALGORITHM = "AES256"


@dataclass(frozen=True)
class CustomerKey:
    key: bytes = field(repr=False)   # raw bytes: KEY_SIZE long unless allow_bad_length
    md5: str                         # the client's base64 MD5, as sent (for the echo)


def present(headers: dict[str, str], triple: names.Triple) -> bool:
    """Does the request specify SSE-C? An empty header value counts as absent."""
    return any(headers.get(name) for name in triple.names())


def parse(headers: dict[str, str], triple: names.Triple, *, secure: bool,
          require_tls: bool, allow_bad_length: bool = False) -> CustomerKey:
    """Validate a present triple. Order (first failure wins):

    2. algorithm given but not AES256 -> 400 InvalidEncryptionAlgorithmError
    3. key or MD5 without the algorithm -> 400 InvalidArgument
    4. no key -> 400 InvalidArgument
    5. no MD5 -> 400 InvalidArgument
    6. MD5 not base64 of MD5(base64-decoded key) (or either not base64) -> 400 InvalidArgument
    7. key not 32 bytes -> 400 InvalidArgument (skipped with allow_bad_length: on reads AWS
       answers a wrong-length key with the 403 of a wrong key)
    8. plain HTTP while TLS is required -> 400 InvalidRequest
    """
    algorithm = headers.get(triple.algorithm) or None
    key_b64 = headers.get(triple.key) or None
    md5_b64 = headers.get(triple.key_md5) or None
    if algorithm is not None and algorithm != ALGORITHM:
        raise errors.ssec_bad_algorithm(algorithm)
    if algorithm is None:
        raise errors.ssec_argument(errors.NEED_ALGORITHM)
    if key_b64 is None:
        raise errors.ssec_argument(errors.NEED_KEY)
    if md5_b64 is None:
        raise errors.ssec_argument(errors.NEED_MD5)
    key = _b64(key_b64)
    md5 = _b64(md5_b64)
    if key is None or md5 is None or not hmac.compare_digest(
            hashlib.md5(key, usedforsecurity=False).digest(), md5):
        raise errors.ssec_argument(errors.MD5_MISMATCH)
    if len(key) != KEY_SIZE and not allow_bad_length:
        raise errors.ssec_argument(errors.BAD_KEY)
    if require_tls and not secure:
        raise errors.ssec_needs_tls()
    return CustomerKey(key, md5_b64)


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
