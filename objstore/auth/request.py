"""What the verifier is given, what it returns, and plain-type views of headers and query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from objstore.auth.identities import Identity

HeaderValues = dict[str, list[str]]


@dataclass(frozen=True)
class RequestToVerify:
    """The parts of an HTTP request that authentication looks at.

    ``raw_path`` is the path only, still percent-encoded as received (aiohttp:
    ``request.raw_path`` up to the ``?``); ``raw_query`` the raw query string without
    the ``?`` (never ``request.query_string``, which decodes ``+``).

    ``headers``: any mapping whose ``items()`` yields *every* received (name, value)
    pair, repeats included, e.g. aiohttp's ``request.headers`` (a ``CIMultiDictProxy``).
    Names are matched case-insensitively. A plain ``dict`` works when no header repeats.

    ``vhost_bucket``: the bucket when it was addressed through the Host header
    (virtual-hosted style); only the SigV2 resource string needs it.
    """

    method: str
    raw_path: str
    raw_query: str
    headers: Mapping[str, str]
    body_sha256: str | None = None
    vhost_bucket: str | None = None


@dataclass(frozen=True)
class AuthContext:
    """Who signed the request, how, and what the body pipeline needs to go on verifying.

    ``form``: ``sigv4-header``, ``sigv4-query``, ``sigv2-query`` or ``sigv2-header``.
    ``payload_mode``: the validated ``x-amz-content-sha256`` (a lower-case hex hash or one
    of the special strings in ``payload``); ``UNSIGNED-PAYLOAD`` for presigned and SigV2
    requests; for non-S3 services the body hash that was signed. ``query_headers``: the
    ``x-amz-*`` parameters of a presigned URL (lower-case names), to be treated as request
    headers.
    ``signing_key``, ``timestamp``, ``scope`` and ``seed_signature`` are set for SigV4
    forms (they verify aws-chunked chunk signatures) and are ``None`` for SigV2.
    """

    identity: Identity
    form: str
    payload_mode: str
    query_headers: dict[str, str] = field(default_factory=dict)
    signing_key: bytes | None = field(default=None, repr=False)
    timestamp: str | None = None
    scope: str | None = None
    seed_signature: str | None = None


def collect_headers(headers: Mapping[str, str]) -> HeaderValues:
    """Lower-case name -> every value received for it, in order."""
    values: HeaderValues = {}
    for name, value in headers.items():
        values.setdefault(name.lower(), []).append(value)
    return values


def header(headers: HeaderValues, name: str) -> str | None:
    """The value of a header (repeats joined with ``,``), or None when absent."""
    found = headers.get(name)
    return None if found is None else ",".join(found)


def query_params(raw_query: str) -> dict[str, str]:
    """The first value of each query parameter, percent-decoded (``+`` stays ``+``)."""
    params: dict[str, str] = {}
    for item in raw_query.split("&"):
        if item:
            name, _, value = item.partition("=")
            params.setdefault(unquote(name), unquote(value))
    return params
