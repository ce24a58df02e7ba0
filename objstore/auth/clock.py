"""Request timestamps: parsing, formatting and the clock-skew check."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from objstore.auth.errors import AuthError

AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_AMZ_DATE_RE = re.compile(r"\d{8}T\d{6}Z", re.ASCII)
_MAX_SKEW = {"s3": timedelta(minutes=15)}
_DEFAULT_MAX_SKEW = timedelta(minutes=5)  # KMS and the other JSON services


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (a naive one is taken to be UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_amz_date(value: str) -> datetime | None:
    """``YYYYMMDD'T'HHMMSS'Z'``, or None when ``value`` is not in that form."""
    if not _AMZ_DATE_RE.fullmatch(value):
        return None
    try:
        return datetime(int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[9:11]),
                        int(value[11:13]), int(value[13:15]), tzinfo=UTC)  # strptime is slow
    except ValueError:
        return None


def parse_http_date(value: str) -> datetime | None:
    """An RFC 1123 date (the ``Date`` header), or None."""
    try:
        return as_utc(parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError):
        return None


def amz_date(moment: datetime) -> str:
    return as_utc(moment).strftime(AMZ_DATE_FORMAT)


def iso_date(moment: datetime) -> str:
    """The form S3 error bodies use, e.g. ``2026-11-28T13:49:40Z``."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def max_skew(service: str) -> timedelta:
    return _MAX_SKEW.get(service, _DEFAULT_MAX_SKEW)


def check_skew(request_time: datetime, sent_as: str, now: datetime, service: str) -> None:
    """AuthError(kind="skew") when the request time is too far from ``now``.

    ``sent_as`` is the timestamp as the client sent it (echoed in ``RequestTime``).
    """
    allowed = max_skew(service)
    if abs(request_time - now) <= allowed:
        return
    if service == "s3":
        raise AuthError(
            "skew",
            "The difference between the request time and the current time is too large.",
            {
                "RequestTime": sent_as,
                "ServerTime": iso_date(now),
                "MaxAllowedSkewMilliseconds": str(int(allowed.total_seconds() * 1000)),
            },
        )
    minutes = int(allowed.total_seconds() // 60)
    stamp, now_stamp = amz_date(request_time), amz_date(now)
    if request_time < now:
        message = (
            f"Signature expired: {stamp} is now earlier than {amz_date(now - allowed)} "
            f"({now_stamp} - {minutes} min.)"
        )
    else:
        message = (
            f"Signature not yet current: {stamp} is still later than "
            f"{amz_date(now + allowed)} ({now_stamp} + {minutes} min.)"
        )
    raise AuthError("skew", message)
