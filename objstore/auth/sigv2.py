"""SigV2 (HMAC-SHA1) building blocks: string to sign and signature, as botocore computes them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import unquote

# The query parameters that are part of the signed resource (botocore's HmacV1Auth list).
SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory",
        "lifecycle", "location", "logging", "metrics", "notification", "object-lock",
        "partNumber", "policy", "replication", "requestPayment", "restore", "select",
        "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads",
        "versionId", "versioning", "versions", "website", "response-cache-control",
        "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires",
    }
)  # fmt: skip


def canonical_resource(raw_path: str, raw_query: str, vhost_bucket: str | None = None) -> str:
    """The path as sent (prefixed with ``/bucket`` for virtual-hosted requests), then the
    sub-resources of the query sorted by name, as ``name`` or ``name=decoded-value``."""
    resource = f"/{vhost_bucket}{raw_path}" if vhost_bucket else raw_path
    items = [item.split("=", 1) for item in raw_query.split("&") if item]
    subresources = sorted(
        (parts for parts in items if parts[0] in SUBRESOURCES), key=lambda parts: parts[0]
    )
    query = "&".join(
        parts[0] if len(parts) == 1 else f"{parts[0]}={unquote(parts[1])}" for parts in subresources
    )
    return f"{resource}?{query}" if query else resource


def canonical_amz_headers(pairs: Iterable[tuple[str, str]]) -> str:
    """``name:value\\n`` for every ``x-amz-*`` pair, names lower-cased and sorted, values
    trimmed, repeats joined with ``,``."""
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        lower = name.lower()
        if lower.startswith("x-amz-"):
            values.setdefault(lower, []).append(value.strip())
    return "".join(f"{name}:{','.join(values[name])}\n" for name in sorted(values))


def string_to_sign(
    method: str, content_md5: str, content_type: str, date: str, amz_headers: str, resource: str
) -> str:
    """``date`` is the Date header (header form) or the ``Expires`` value (query form)."""
    return f"{method.upper()}\n{content_md5}\n{content_type}\n{date}\n{amz_headers}{resource}"


def sign(secret: str, text: str) -> str:
    digest = hmac.new(
        secret.encode("utf-8", "surrogateescape"),
        text.encode("utf-8", "surrogateescape"),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode("ascii")
