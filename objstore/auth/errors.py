"""The one exception type of the auth package, and the AWS wording shared by several checks."""

from __future__ import annotations

SIGNATURE_MISMATCH_S3 = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
SIGNATURE_MISMATCH_KMS = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
UNSUPPORTED_MECHANISM = (
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
)


class AuthError(Exception):
    """An authentication failure.

    ``kind`` says what failed (the HTTP layer maps it to an S3 code/status or a KMS
    ``__type``); ``message`` is AWS's wording; ``extra`` holds additional XML elements
    for the S3 error body (element name -> text). ``extra`` may contain request data such
    as the canonical request (including header values): never log it.
    """

    KINDS = frozenset(
        {
            "missing",
            "unknown_key",
            "bad_signature",
            "malformed_header",
            "malformed_query",
            "skew",
            "expired",
            "not_yet_valid",
            "unsigned_headers",
            "missing_content_sha256",
            "bad_content_sha256",
            "unsupported",
            "multiple_auth",
            "chunk_signature",
            "incomplete_body",
            "bad_chunk",
            "malformed_trailer",
        }
    )

    def __init__(self, kind: str, message: str, extra: dict[str, str] | None = None) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown AuthError kind {kind!r}")
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.extra: dict[str, str] = dict(extra or {})


def signature_mismatch(service: str, extra: dict[str, str] | None = None) -> AuthError:
    """The bad_signature error in the wording of ``service``."""
    text = SIGNATURE_MISMATCH_S3 if service == "s3" else SIGNATURE_MISMATCH_KMS
    return AuthError("bad_signature", text, extra)
