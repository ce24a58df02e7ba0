"""The values of ``x-amz-content-sha256`` and what each one means."""

from __future__ import annotations

import re

from objstore.auth.errors import UNSUPPORTED_MECHANISM, AuthError

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_SIGV4A = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
STREAMING_SIGV4A_TRAILER = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"

SUPPORTED_SPECIAL = frozenset(
    {UNSIGNED_PAYLOAD, STREAMING_UNSIGNED_TRAILER, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER}
)
_SIGV4A = frozenset({STREAMING_SIGV4A, STREAMING_SIGV4A_TRAILER})
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")

BAD_CONTENT_SHA256 = (
    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, "
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."
)


def payload_mode(value: str) -> str:
    """The payload mode a valid ``x-amz-content-sha256`` value selects (a hex hash comes
    back lower-cased); AuthError bad_content_sha256 or unsupported (SigV4a) otherwise."""
    if value in SUPPORTED_SPECIAL:
        return value
    if _HEX_SHA256.fullmatch(value):
        return value.lower()
    if value in _SIGV4A:
        raise AuthError("unsupported", UNSUPPORTED_MECHANISM)
    raise AuthError("bad_content_sha256", BAD_CONTENT_SHA256)
