"""Verification of the two SigV4 forms: ``Authorization`` header and presigned query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from objstore.auth import sigv4
from objstore.auth.checks import check_signature, find_identity, require_signed_amz_headers
from objstore.auth.clock import amz_date, check_skew, iso_date, parse_amz_date, parse_http_date
from objstore.auth.errors import UNSUPPORTED_MECHANISM, AuthError
from objstore.auth.identities import Identity, IdentityStore
from objstore.auth.payload import UNSIGNED_PAYLOAD, payload_mode
from objstore.auth.request import AuthContext, HeaderValues, RequestToVerify, header

SIGV4A_ALGORITHM = "AWS4-ECDSA-P256-SHA256"
PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)
_LOWER_PRESIGN_PARAMS = frozenset(name.lower() for name in PRESIGN_PARAMS)
MAX_EXPIRES = 604800
PRESIGN_FUTURE_TOLERANCE = timedelta(minutes=15)

_HEADER_PREFIX = "The authorization header is malformed; "
_QUERY_PREFIX = "Error parsing the X-Amz-Credential parameter; "
_BAD_CREDENTIAL = (
    'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
)
_AUTH_FIELDS = frozenset({"Credential", "SignedHeaders", "Signature"})


@dataclass(frozen=True)
class Credential:
    access_key: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        return sigv4.credential_scope(self.date, self.region, self.service)


@dataclass(frozen=True)
class _Signed:
    """A parsed SigV4 signature, whichever form carried it."""

    credential: Credential
    signed_headers: list[str]
    signature: str
    timestamp: str  # as it enters the string to sign


def verify_header(
    req: RequestToVerify,
    headers: HeaderValues,
    identities: IdentityStore,
    *,
    service: str,
    now: datetime,
) -> AuthContext:
    """``Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…``."""
    credential, signed_headers, signature = _parse_authorization(
        header(headers, "authorization") or ""
    )
    identity = find_identity(identities, credential.access_key, service)
    sent_as, when = _request_time(headers)
    timestamp = amz_date(when)
    _check_scope(credential, timestamp, service, "malformed_header", _HEADER_PREFIX)
    check_skew(when, sent_as, now, service)
    if "host" not in signed_headers:
        raise AuthError("malformed_header", _HEADER_PREFIX + "SignedHeaders must include host.")
    if service == "s3":
        payload_hash = header(headers, "x-amz-content-sha256")
        if payload_hash is None:
            raise AuthError(
                "missing_content_sha256",
                "Missing required header for this request: x-amz-content-sha256",
            )
        uri = sigv4.canonical_uri_s3(req.raw_path)
    else:
        payload_hash = req.body_sha256 or sigv4.EMPTY_SHA256
        uri = sigv4.canonical_uri_other(req.raw_path)
    require_signed_amz_headers(headers, signed_headers)
    signed = _Signed(credential, signed_headers, signature, timestamp)
    query = sigv4.canonical_query(req.raw_query)
    key = _verify(req, headers, identity, signed, uri, query, payload_hash, service)
    return AuthContext(
        identity=identity,
        form="sigv4-header",
        payload_mode=payload_mode(payload_hash) if service == "s3" else payload_hash,
        signing_key=key,
        timestamp=timestamp,
        scope=credential.scope,
        seed_signature=signature,
    )


def verify_query(
    req: RequestToVerify,
    headers: HeaderValues,
    params: dict[str, str],
    identities: IdentityStore,
    *,
    now: datetime,
) -> AuthContext:
    """Presigned URL (``X-Amz-Algorithm=AWS4-HMAC-SHA256&…``); S3 only."""
    service = "s3"
    if not all(params.get(name) for name in PRESIGN_PARAMS):
        raise _query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
            "and X-Amz-Expires parameters."
        )
    algorithm = params["X-Amz-Algorithm"]
    if algorithm == SIGV4A_ALGORITHM:
        raise AuthError("unsupported", UNSUPPORTED_MECHANISM)
    if algorithm != sigv4.ALGORITHM:
        raise _query_error('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    credential = _parse_credential(params["X-Amz-Credential"])
    if credential is None:
        raise _query_error(_QUERY_PREFIX + _BAD_CREDENTIAL)
    signed_headers = _parse_signed_headers(params["X-Amz-SignedHeaders"])
    if signed_headers is None:
        raise _query_error("X-Amz-SignedHeaders is malformed.")
    expires = _parse_expires(params["X-Amz-Expires"])
    timestamp = params["X-Amz-Date"]
    when = parse_amz_date(timestamp)
    if when is None:
        raise _query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    identity = find_identity(identities, credential.access_key, service)
    _check_scope(credential, timestamp, service, "malformed_query", _QUERY_PREFIX)
    if when - now > PRESIGN_FUTURE_TOLERANCE:
        raise AuthError("not_yet_valid", "Request is not valid yet")
    if now > when + expires:
        raise AuthError(
            "expired",
            "Request has expired",
            {
                "X-Amz-Expires": str(int(expires.total_seconds())),
                "Expires": iso_date(when + expires),
                "ServerTime": iso_date(now),
            },
        )
    if "host" not in signed_headers:
        raise _query_error("X-Amz-SignedHeaders must include host.")
    require_signed_amz_headers(headers, signed_headers)
    lowered = {name.lower(): value for name, value in params.items()}
    payload_hash = lowered.get("x-amz-content-sha256", UNSIGNED_PAYLOAD)
    signed = _Signed(credential, signed_headers, params["X-Amz-Signature"], timestamp)
    query = sigv4.canonical_query(req.raw_query, drop=("X-Amz-Signature",))
    uri = sigv4.canonical_uri_s3(req.raw_path)
    key = _verify(req, headers, identity, signed, uri, query, payload_hash, service)
    return AuthContext(
        identity=identity,
        form="sigv4-query",
        payload_mode=payload_mode(payload_hash),
        query_headers={
            name: value
            for name, value in lowered.items()
            if name.startswith("x-amz-") and name not in _LOWER_PRESIGN_PARAMS
        },
        signing_key=key,
        timestamp=timestamp,
        scope=credential.scope,
        seed_signature=signed.signature,
    )


def _verify(
    req: RequestToVerify,
    headers: HeaderValues,
    identity: Identity,
    signed: _Signed,
    uri: str,
    query: str,
    payload_hash: str,
    service: str,
) -> bytes:
    """Recompute the signature; return the signing key when it matches."""
    canonical_request = sigv4.canonical_request(
        req.method,
        uri,
        query,
        sigv4.canonical_headers(signed.signed_headers, headers),
        ";".join(signed.signed_headers),
        payload_hash,
    )
    scope = signed.credential.scope
    string_to_sign = sigv4.string_to_sign(signed.timestamp, scope, canonical_request)
    key = sigv4.signing_key(
        identity.secret_key, signed.credential.date, signed.credential.region, service
    )
    check_signature(
        sigv4.sign(key, string_to_sign),
        signed.signature,
        service=service,
        access_key=identity.access_key,
        string_to_sign=string_to_sign,
        canonical_request=canonical_request,
    )
    return key


def _parse_authorization(value: str) -> tuple[Credential, list[str], str]:
    """Split ``AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…``."""
    fields = _authorization_fields(value.strip().partition(" ")[2])
    if fields is None:
        raise AuthError(
            "malformed_header",
            _HEADER_PREFIX + "the authorization header requires three components: "
            "Credential, SignedHeaders, and Signature.",
        )
    credential = _parse_credential(fields["Credential"])
    if credential is None:
        raise AuthError("malformed_header", _HEADER_PREFIX + _BAD_CREDENTIAL)
    signed_headers = _parse_signed_headers(fields["SignedHeaders"])
    if signed_headers is None:
        raise AuthError("malformed_header", _HEADER_PREFIX + "SignedHeaders is malformed.")
    return credential, signed_headers, fields["Signature"]


def _authorization_fields(text: str) -> dict[str, str] | None:
    """The three ``name=value`` components (comma-separated, any spacing), or None."""
    fields: dict[str, str] = {}
    for part in text.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep or name in fields:
            return None
        fields[name] = value.strip()
    return fields if set(fields) == _AUTH_FIELDS and all(fields.values()) else None


def _parse_credential(value: str) -> Credential | None:
    """``AKID/yyyymmdd/region/service/aws4_request``, or None."""
    parts = value.rsplit("/", 4)
    if len(parts) != 5 or not all(parts) or parts[4] != "aws4_request":
        return None
    return Credential(*parts[:4])


def _parse_signed_headers(value: str) -> list[str] | None:
    names = value.split(";")
    return names if all(names) else None


def _parse_expires(value: str) -> timedelta:
    if not re.fullmatch(r"-?[0-9]+", value):
        raise _query_error("X-Amz-Expires should be a number")
    seconds = int(value)
    if seconds < 0:
        raise _query_error("X-Amz-Expires must be non-negative")
    if seconds == 0:
        raise _query_error("X-Amz-Expires must be at least 1 second")
    if seconds > MAX_EXPIRES:
        raise _query_error(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given "
            "X-Amz-Expires must be less than 604800 seconds"
        )
    return timedelta(seconds=seconds)


def _request_time(headers: HeaderValues) -> tuple[str, datetime]:
    """The request time as sent and parsed: ``X-Amz-Date``, else ``Date`` (RFC 1123)."""
    sent_as = header(headers, "x-amz-date")
    when = None
    if sent_as is not None:
        when = parse_amz_date(sent_as)
    else:
        sent_as = header(headers, "date")
        if sent_as is not None:
            when = parse_http_date(sent_as)
    if sent_as is None or when is None:
        raise AuthError(
            "malformed_header", "AWS authentication requires a valid Date or x-amz-date header"
        )
    return sent_as, when


def _check_scope(
    credential: Credential, timestamp: str, service: str, kind: str, prefix: str
) -> None:
    if credential.date != timestamp[:8]:
        raise AuthError(
            kind,
            f'{prefix}Invalid credential date "{credential.date}". '
            f'This date is not the same as X-Amz-Date: "{timestamp[:8]}".',
        )
    if credential.service != service:
        raise AuthError(
            kind,
            f'{prefix}incorrect service "{credential.service}". '
            f'This endpoint belongs to "{service}".',
        )


def _query_error(message: str) -> AuthError:
    return AuthError("malformed_query", message)
