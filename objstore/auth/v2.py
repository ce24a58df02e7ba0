"""Verification of the two SigV2 forms (S3 only): ``Authorization: AWS …`` and presigned."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from objstore.auth import sigv2
from objstore.auth.checks import check_signature, find_identity
from objstore.auth.clock import check_skew, iso_date, parse_amz_date, parse_http_date
from objstore.auth.errors import AuthError
from objstore.auth.identities import Identity, IdentityStore
from objstore.auth.payload import UNSIGNED_PAYLOAD
from objstore.auth.request import AuthContext, HeaderValues, RequestToVerify, header

QUERY_PARAMS = ("AWSAccessKeyId", "Signature", "Expires")


def verify_header(
    req: RequestToVerify, headers: HeaderValues, identities: IdentityStore, *, now: datetime
) -> AuthContext:
    """``Authorization: AWS <AKID>:<base64 HMAC-SHA1>``."""
    credentials = (header(headers, "authorization") or "").strip().partition(" ")[2]
    access_key, _, signature = credentials.strip().rpartition(":")
    if not access_key or not signature:
        raise AuthError(
            "malformed_header", "The authorization header that you provided is not valid."
        )
    identity = find_identity(identities, access_key, "s3")
    amz_date = header(headers, "x-amz-date")
    sent_as = amz_date if amz_date is not None else header(headers, "date")
    when = (parse_http_date(sent_as) or parse_amz_date(sent_as)) if sent_as else None
    if sent_as is None or when is None:
        raise AuthError(
            "malformed_header", "AWS authentication requires a valid Date or x-amz-date header"
        )
    check_skew(when, sent_as, now, "s3")
    # With x-amz-date present, the Date line is empty (x-amz-date is among the amz headers).
    date_line = "" if amz_date is not None else sent_as
    _verify(req, headers, identity, date_line, signature, params={})
    return AuthContext(identity=identity, form="sigv2-header", payload_mode=UNSIGNED_PAYLOAD)


def verify_query(
    req: RequestToVerify,
    headers: HeaderValues,
    params: dict[str, str],
    identities: IdentityStore,
    *,
    now: datetime,
) -> AuthContext:
    """Presigned URL: ``AWSAccessKeyId=…&Signature=…&Expires=<epoch seconds>``."""
    if not all(params.get(name) for name in QUERY_PARAMS):
        raise AuthError(
            "malformed_query",
            "Query-string authentication requires the Signature, Expires and "
            "AWSAccessKeyId parameters",
        )
    expires_text = params["Expires"]
    expires = _parse_epoch(expires_text)
    identity = find_identity(identities, params["AWSAccessKeyId"], "s3")
    if now > expires:
        raise AuthError(
            "expired",
            "Request has expired",
            {"Expires": iso_date(expires), "ServerTime": iso_date(now)},
        )
    _verify(req, headers, identity, expires_text, params["Signature"], params)
    return AuthContext(
        identity=identity,
        form="sigv2-query",
        payload_mode=UNSIGNED_PAYLOAD,
        query_headers=_amz_params(params),
    )


def _verify(
    req: RequestToVerify,
    headers: HeaderValues,
    identity: Identity,
    date_line: str,
    provided: str,
    params: dict[str, str],
) -> None:
    """Check the signature. ``params``: the query parameters of the presigned form, whose
    ``x-amz-*`` count as headers and which supply Content-MD5/Content-Type when no such
    header was sent (botocore moves them to the query); empty for the header form."""
    fallback = {name.lower(): value for name, value in params.items()}
    pairs = [(name, value) for name, values in headers.items() for value in values]
    pairs += _amz_params(params).items()
    string_to_sign = sigv2.string_to_sign(
        req.method,
        header(headers, "content-md5") or fallback.get("content-md5", ""),
        header(headers, "content-type") or fallback.get("content-type", ""),
        date_line,
        sigv2.canonical_amz_headers(pairs),
        sigv2.canonical_resource(req.raw_path, req.raw_query, req.vhost_bucket),
    )
    check_signature(
        sigv2.sign(identity.secret_key, string_to_sign),
        provided,
        service="s3",
        access_key=identity.access_key,
        string_to_sign=string_to_sign,
    )


def _amz_params(params: dict[str, str]) -> dict[str, str]:
    return {n.lower(): v for n, v in params.items() if n.lower().startswith("x-amz-")}


def _parse_epoch(text: str) -> datetime:
    try:
        if re.fullmatch(r"[0-9]+", text):
            return datetime.fromtimestamp(int(text), UTC)
    except (OverflowError, OSError, ValueError):
        pass
    raise AuthError("malformed_query", f"Invalid date (should be seconds since epoch): {text}")
