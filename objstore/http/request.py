"""What a handler gets: the parsed S3 request, after authentication."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from objstore.auth.identities import Identity
from objstore.auth.verify import AuthContext
from objstore.http.errors import S3Error

MAX_KEY_BYTES = 1024


@dataclass
class S3Request:
    http: web.Request
    request_id: str
    bucket: str | None
    key: str | None
    query: dict[str, str]
    headers: CIMultiDictProxy[str]   # request headers plus a presigned URL's x-amz-* params
    identity: Identity
    auth: AuthContext

    @property
    def method(self) -> str:
        return self.http.method

    def require_bucket(self) -> str:
        assert self.bucket is not None
        return self.bucket

    def require_key(self) -> str:
        assert self.key is not None
        return self.key


def split_raw_path(raw_path: str) -> tuple[str, str]:
    """(raw path, raw query) exactly as received, still percent-encoded."""
    path, _, query = raw_path.partition("?")
    return path, query


def virtual_host_bucket(host: str | None, domain: str) -> str | None:
    """The bucket of a virtual-hosted request (`bucket.<domain>[:port]`), else None."""
    if not host or not domain:
        return None
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    suffix = "." + domain
    if name.lower().endswith(suffix) and len(name) > len(suffix):
        return name[: -len(suffix)]
    return None


def parse_target(raw_path: str,
                 vhost_bucket: str | None = None) -> tuple[str | None, str | None]:
    """(bucket, key) from the raw path (path style: /bucket/key; virtual-hosted: /key with
    the bucket from the Host header); the key decoded once, byte for byte."""
    if not raw_path.startswith("/"):
        raise S3Error("InvalidURI")
    if vhost_bucket is not None:
        bucket, key_part, slash = vhost_bucket, raw_path[1:], True
    else:
        bucket_part, slash_text, key_part = raw_path[1:].partition("/")
        bucket, slash = _decode(bucket_part) or None, bool(slash_text)
    key = _decode(key_part) if slash and key_part else None
    if key is not None and len(key.encode()) > MAX_KEY_BYTES:
        raise S3Error("KeyTooLongError", Size=str(len(key.encode())),
                      MaxSizeAllowed=str(MAX_KEY_BYTES))
    return bucket, key


def parse_query(raw_query: str) -> dict[str, str]:
    """The query as a dict, decoded with unquote (a '+' stays a plus, as S3 has it)."""
    result: dict[str, str] = {}
    for item in raw_query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        result[_decode(name)] = _decode(value)
    return result


def merged_headers(request: web.Request, from_query: dict[str, str]) -> CIMultiDictProxy[str]:
    if not from_query:
        return request.headers
    merged = CIMultiDict(request.headers)
    for name, value in from_query.items():
        merged.setdefault(name, value)
    return CIMultiDictProxy(merged)


def _decode(text: str) -> str:
    try:
        return urllib.parse.unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise S3Error("InvalidURI") from None
