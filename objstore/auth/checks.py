"""Checks shared by every signature form: key lookup, unsigned headers, signature match."""

from __future__ import annotations

from collections.abc import Iterable

from objstore.auth.errors import AuthError, signature_mismatch
from objstore.auth.identities import Identity, IdentityStore
from objstore.auth.request import HeaderValues
from objstore.auth.sigv4 import same_signature

_UNKNOWN_KEY = {
    "s3": "The AWS Access Key Id you provided does not exist in our records.",
}
_UNKNOWN_KEY_OTHER = "The security token included in the request is invalid."


def find_identity(identities: IdentityStore, access_key: str, service: str) -> Identity:
    identity = identities.lookup(access_key)
    if identity is None:
        raise AuthError(
            "unknown_key",
            _UNKNOWN_KEY.get(service, _UNKNOWN_KEY_OTHER),
            {"AWSAccessKeyId": access_key},
        )
    return identity


def require_signed_amz_headers(headers: HeaderValues, signed: Iterable[str]) -> None:
    """Every ``x-amz-*`` header present must be signed (AWS refuses the request otherwise)."""
    signed_names = {name.lower() for name in signed}
    unsigned = sorted(n for n in headers if n.startswith("x-amz-") and n not in signed_names)
    if unsigned:
        raise AuthError(
            "unsigned_headers",
            "There were headers present in the request which were not signed",
            {"HeadersNotSigned": ", ".join(unsigned)},
        )


def check_signature(
    expected: str,
    provided: str,
    *,
    service: str,
    access_key: str,
    string_to_sign: str,
    canonical_request: str | None = None,
) -> None:
    """AuthError bad_signature, with AWS's debugging elements, unless the two match."""
    if same_signature(expected, provided):
        return
    extra = {
        "AWSAccessKeyId": access_key,
        "StringToSign": string_to_sign,
        "SignatureProvided": provided,
        "StringToSignBytes": _hex_bytes(string_to_sign),
    }
    if canonical_request is not None:
        extra["CanonicalRequest"] = canonical_request
        extra["CanonicalRequestBytes"] = _hex_bytes(canonical_request)
    raise signature_mismatch(service, extra)


def _hex_bytes(text: str) -> str:
    return " ".join(f"{b:02x}" for b in text.encode("utf-8", "surrogateescape"))
