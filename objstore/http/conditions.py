"""Conditional requests: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since
(and the x-amz-copy-source-if-* forms), evaluated as S3 does."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping

from objstore.http.errors import S3Error
from objstore.storage.errors import NoSuchKey, PreconditionFailed
from objstore.storage.records import ObjectRecord
from objstore.storage.store import Condition


def etag_matches(header: str, etag: str) -> bool:
    tags = [tag.strip().strip('"') for tag in header.split(",")]
    return "*" in tags or etag in tags


def _parse_date(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def check_read(headers: Mapping[str, str], etag: str, last_modified: float,
               prefix: str = "") -> None:
    """Raise PreconditionFailed (412) or NotModified (304) as the conditions say. With a
    prefix (x-amz-copy-source-) every failure is a 412, as CopyObject has it."""
    modified = int(last_modified)
    if_match = headers.get(prefix + "if-match")
    if_none_match = headers.get(prefix + "if-none-match")
    since = _parse_date(headers.get(prefix + "if-modified-since"))
    unmodified = _parse_date(headers.get(prefix + "if-unmodified-since"))
    if if_match is not None:
        if not etag_matches(if_match, etag):
            raise S3Error("PreconditionFailed", Condition="If-Match")
    elif unmodified is not None and modified > unmodified:
        raise S3Error("PreconditionFailed", Condition="If-Unmodified-Since")
    not_modified = "NotModified" if not prefix else "PreconditionFailed"
    if if_none_match is not None:
        if etag_matches(if_none_match, etag):
            raise S3Error(not_modified, Condition="If-None-Match")
    elif since is not None and modified <= since:
        raise S3Error(not_modified, Condition="If-Modified-Since")


def write_condition(headers: Mapping[str, str], bucket: str,
                    key: str) -> Condition | None:
    """The If-Match / If-None-Match of a conditional write of bucket/key, as a check storage
    runs inside the write's transaction; None when the request has no condition. If-Match
    on a key that does not exist is a 404 NoSuchKey, as on AWS."""
    if_match = headers.get("if-match")
    if_none_match = headers.get("if-none-match")
    if if_match is None and if_none_match is None:
        return None
    if if_none_match is not None and if_none_match.strip() != "*":
        raise S3Error("NotImplemented", "If-None-Match on a write only supports '*'.",
                      Header="If-None-Match")

    def check(current: ObjectRecord | None) -> None:
        if if_none_match is not None and current is not None:
            raise PreconditionFailed("If-None-Match")
        if if_match is not None:
            if current is None:
                raise NoSuchKey(bucket, key)
            if not etag_matches(if_match, current.etag):
                raise PreconditionFailed("If-Match")

    return check
