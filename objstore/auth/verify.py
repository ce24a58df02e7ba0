"""The entry point: authenticate one request, whichever signature form it uses."""

from __future__ import annotations

from datetime import datetime

from objstore.auth import v2, v4
from objstore.auth.clock import as_utc
from objstore.auth.errors import UNSUPPORTED_MECHANISM, AuthError
from objstore.auth.identities import IdentityStore
from objstore.auth.request import (
    AuthContext,
    RequestToVerify,
    collect_headers,
    header,
    query_params,
)
from objstore.auth.sigv4 import ALGORITHM

__all__ = ["AuthContext", "RequestToVerify", "authenticate"]

_MISSING = {"s3": "Access Denied"}
_MISSING_OTHER = "Missing Authentication Token"


def authenticate(
    req: RequestToVerify, identities: IdentityStore, *, service: str, now: datetime
) -> AuthContext:
    """Verify the request's signature; raise AuthError on any failure.

    ``service`` is the SigV4 service name (``"s3"`` or ``"kms"``); ``now`` the server time
    (a naive datetime is taken as UTC). S3 accepts SigV4 (header and presigned) and SigV2
    (header and presigned); other services accept only the SigV4 header form and use
    ``req.body_sha256`` (None = empty body) as the payload hash. The body itself is not
    checked here for S3: see ``AuthContext.payload_mode`` and ``chunked``.
    """
    now = as_utc(now)
    headers = collect_headers(req.headers)
    params = query_params(req.raw_query)
    authorization = header(headers, "authorization")
    v4_query = "X-Amz-Algorithm" in params
    v2_query = "Signature" in params
    if (authorization is not None) + v4_query + v2_query > 1:
        raise AuthError(
            "multiple_auth",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
            "Signature query string parameter or the Authorization header should be specified",
        )
    if authorization is not None:
        scheme = authorization.strip().partition(" ")[0]
        if scheme == ALGORITHM:
            return v4.verify_header(req, headers, identities, service=service, now=now)
        if scheme == "AWS" and service == "s3":
            return v2.verify_header(req, headers, identities, now=now)
        raise AuthError("unsupported", UNSUPPORTED_MECHANISM)
    if (v4_query or v2_query) and service != "s3":
        raise AuthError("unsupported", UNSUPPORTED_MECHANISM)
    if v4_query:
        return v4.verify_query(req, headers, params, identities, now=now)
    if v2_query:
        return v2.verify_query(req, headers, params, identities, now=now)
    raise AuthError("missing", _MISSING.get(service, _MISSING_OTHER))
