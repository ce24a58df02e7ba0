"""SigV4 building blocks: canonical request, string to sign, signing key, chunk signatures."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache
from urllib.parse import unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_ENCODED = [chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256)]


def _to_bytes(text: str) -> bytes:
    # surrogateescape gives back the exact bytes of text decoded that way (e.g. by aiohttp)
    return text.encode("utf-8", "surrogateescape")


def uri_encode(data: bytes, *, keep_slash: bool) -> str:
    """Percent-encode every byte except ``A-Z a-z 0-9 - _ . ~`` (and ``/`` if asked)."""
    if keep_slash:
        return "/".join(uri_encode(part, keep_slash=False) for part in data.split(b"/"))
    return "".join([_ENCODED[b] for b in data])


def canonical_uri_s3(raw_path: str) -> str:
    """S3 rule: decode the received path once, re-encode; no normalisation."""
    return uri_encode(unquote_to_bytes(_to_bytes(raw_path)), keep_slash=True) or "/"


def canonical_uri_other(raw_path: str) -> str:
    """Rule of every service but S3 (botocore): remove dot segments and empty segments,
    then encode the already-encoded path a second time. KMS always gives ``/``."""
    segments: list[str] = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    trailing = "/" if raw_path.endswith("/") and segments else ""
    path = "/" + "/".join(segments) + trailing
    return uri_encode(_to_bytes(path), keep_slash=True)


def canonical_query(raw_query: str, *, drop: Collection[str] = ()) -> str:
    """Canonical query string from the raw (still encoded) query; names in ``drop``
    (decoded, e.g. ``X-Amz-Signature``) are left out."""
    pairs: list[tuple[str, str]] = []
    for item in _to_bytes(raw_query).split(b"&"):
        if not item:
            continue
        name, _, value = item.partition(b"=")
        name, value = unquote_to_bytes(name), unquote_to_bytes(value)
        if name.decode("utf-8", "replace") in drop:
            continue
        pairs.append((uri_encode(name, keep_slash=False), uri_encode(value, keep_slash=False)))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def canonical_headers(signed: Sequence[str], headers: Mapping[str, Sequence[str]]) -> str:
    """``name:value\\n`` for each signed header; ``headers`` is keyed by lower-case name."""
    lines = []
    for name in signed:
        values = headers.get(name.lower(), ())
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}\n")
    return "".join(lines)


def canonical_request(
    method: str,
    uri: str,
    query: str,
    headers: str,
    signed_headers: str,
    payload_hash: str,
) -> str:
    return "\n".join((method.upper(), uri, query, headers, signed_headers, payload_hash))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(_to_bytes(text)).hexdigest()


def string_to_sign(timestamp: str, scope: str, canonical_req: str) -> str:
    return "\n".join((ALGORITHM, timestamp, scope, sha256_hex(canonical_req)))


def credential_scope(date: str, region: str, service: str) -> str:
    return f"{date}/{region}/{service}/aws4_request"


@lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """kSigning; depends only on its arguments, so it is cached (per day and region)."""
    key = _hmac(_to_bytes("AWS4" + secret), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def sign(key: bytes, text: str) -> str:
    return hmac.new(key, _to_bytes(text), hashlib.sha256).hexdigest()


def chunk_string_to_sign(
    timestamp: str, scope: str, previous_signature: str, chunk_sha256: str
) -> str:
    """String to sign of one aws-chunked chunk (``chunk_sha256``: hex SHA-256 of its data)."""
    return "\n".join(
        (
            "AWS4-HMAC-SHA256-PAYLOAD",
            timestamp,
            scope,
            previous_signature,
            EMPTY_SHA256,
            chunk_sha256,
        )
    )


def canonical_trailers(trailers: Mapping[str, str]) -> str:
    return "".join(f"{name.lower()}:{trailers[name].strip()}\n" for name in sorted(trailers))


def trailer_string_to_sign(
    timestamp: str, scope: str, previous_signature: str, trailers: Mapping[str, str]
) -> str:
    """String to sign of the trailer section (``trailers`` without the signature itself)."""
    return "\n".join(
        (
            "AWS4-HMAC-SHA256-TRAILER",
            timestamp,
            scope,
            previous_signature,
            sha256_hex(canonical_trailers(trailers)),
        )
    )


def same_signature(expected: str, provided: str) -> bool:
    """Constant-time comparison that also copes with non-ASCII input."""
    return hmac.compare_digest(_to_bytes(expected), _to_bytes(provided))


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, _to_bytes(msg), hashlib.sha256).digest()
