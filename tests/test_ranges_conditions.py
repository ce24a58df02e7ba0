"""Ranged reads (Range in each of its forms, unsatisfiable and ignored ranges), conditional
GET and HEAD (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since and the
precedence S3 gives them), and when checksums are returned."""

from __future__ import annotations

import base64
import datetime as dt
import zlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ServerProcess, assert_error, client_error

BODY = b"0123456789"
OTHER_ETAG = '"0123456789abcdef0123456789abcdef"'
PAST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


@pytest.fixture
def obj(s3: Any, bucket: str) -> dict[str, Any]:
    """A ten-byte object: its bucket, key, ETag and Last-Modified."""
    s3.put_object(Bucket=bucket, Key="digits", Body=BODY)
    head = s3.head_object(Bucket=bucket, Key="digits")
    return {"Bucket": bucket, "Key": "digits", "etag": head["ETag"],
            "modified": head["LastModified"]}


def where(obj: dict[str, Any]) -> dict[str, str]:
    return {"Bucket": obj["Bucket"], "Key": obj["Key"]}


# -- Range --------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "content_range", "data"), [
    ("bytes=0-3", "bytes 0-3/10", b"0123"),
    ("bytes=4-4", "bytes 4-4/10", b"4"),
    ("bytes=0-9", "bytes 0-9/10", BODY),
    ("bytes=5-", "bytes 5-9/10", b"56789"),
    ("bytes=0-", "bytes 0-9/10", BODY),
    ("bytes=-3", "bytes 7-9/10", b"789"),
    ("bytes=-10", "bytes 0-9/10", BODY),
    ("bytes=7-100", "bytes 7-9/10", b"789"),     # an end past the object is clamped
    ("bytes=-100", "bytes 0-9/10", BODY),        # so is a suffix longer than the object
    ("bytes=9-", "bytes 9-9/10", b"9"),
])
def test_range_forms(s3: Any, obj: dict[str, Any], header: str, content_range: str,
                     data: bytes) -> None:
    got = s3.get_object(**where(obj), Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == content_range
    assert got["ContentLength"] == len(data)
    assert got["Body"].read() == data
    assert got["ETag"] == obj["etag"]
    assert got["AcceptRanges"] == "bytes"


def test_range_on_head(s3: Any, obj: dict[str, Any]) -> None:
    head = s3.head_object(**where(obj), Range="bytes=2-4")
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert head["ContentRange"] == "bytes 2-4/10"
    assert head["ContentLength"] == 3


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=10-20", "bytes=100-200", "bytes=-0"])
def test_unsatisfiable_range(s3: Any, obj: dict[str, Any], header: str) -> None:
    error = client_error(s3.get_object, **where(obj), Range=header)
    assert_error(error, "InvalidRange", 416)
    assert error.response["Error"]["ActualObjectSize"] == "10"
    assert error.response["Error"]["RangeRequested"] == header
    # HEAD: the same status, without a body
    assert_error(client_error(s3.head_object, **where(obj), Range=header), "416", 416)


@pytest.mark.parametrize("header", [
    "bytes=abc", "bytes=3-1", "items=0-1", "bytes=0-1,3-4", "bytes = 1-2", "bytes=-",
    "bytes=1-2-3", "0-1", "bytes=0x1-2",
])
def test_invalid_range_syntax_is_ignored(s3: Any, obj: dict[str, Any], header: str) -> None:
    got = s3.get_object(**where(obj), Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "ContentRange" not in got
    assert got["Body"].read() == BODY


@pytest.mark.parametrize("header", ["bytes=0-", "bytes=0-0", "bytes=5-10", "bytes=-0"])
def test_range_on_empty_object(s3: Any, bucket: str, header: str) -> None:
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    error = client_error(s3.get_object, Bucket=bucket, Key="empty", Range=header)
    assert_error(error, "InvalidRange", 416)
    assert error.response["Error"]["ActualObjectSize"] == "0"
    # without a Range the empty object reads fine
    assert s3.get_object(Bucket=bucket, Key="empty")["Body"].read() == b""


def test_suffix_range_on_empty_object(s3: Any, bucket: str) -> None:
    """AWS answers `bytes=-N` on an empty object with the whole (empty) object, a 200
    (tail readers such as Trino's and arrow-rs's rely on it)."""
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty", Range="bytes=-512")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "ContentRange" not in got
    assert got["Body"].read() == b""


def test_range_of_larger_object(s3: Any, bucket: str) -> None:
    body = bytes(range(256)) * 8192  # 2 MiB, more than one read chunk
    s3.put_object(Bucket=bucket, Key="big", Body=body)
    start, end = 1024 * 1024 - 5, 1024 * 1024 + 70_000
    got = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={start}-{end}")
    assert got["Body"].read() == body[start:end + 1]
    assert got["ContentRange"] == f"bytes {start}-{end}/{len(body)}"
    tail = s3.get_object(Bucket=bucket, Key="big", Range="bytes=-1000")
    assert tail["Body"].read() == body[-1000:]


# -- checksums -------------------------------------------------------------------------------


def test_checksum_on_full_get_only(s3: Any, obj: dict[str, Any]) -> None:
    full = s3.get_object(**where(obj), ChecksumMode="ENABLED")
    assert full["Body"].read() == BODY  # botocore verifies the CRC32 as it reads
    assert full["ChecksumCRC32"] == crc32_b64(BODY)
    assert full["ChecksumType"] == "FULL_OBJECT"
    partial = s3.get_object(**where(obj), ChecksumMode="ENABLED", Range="bytes=1-3")
    assert partial["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert partial["Body"].read() == b"123"
    assert not any(name.startswith("x-amz-checksum")
                   for name in partial["ResponseMetadata"]["HTTPHeaders"])
    head = s3.head_object(**where(obj), ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc32_b64(BODY)
    ranged_head = s3.head_object(**where(obj), ChecksumMode="ENABLED", Range="bytes=0-1")
    assert "ChecksumCRC32" not in ranged_head


def test_no_checksum_unless_asked(server: ServerProcess, obj: dict[str, Any]) -> None:
    client = server.client(response_checksum_validation="when_required")
    got = client.get_object(**where(obj))
    assert got["Body"].read() == BODY
    assert not any(name.startswith("x-amz-checksum")
                   for name in got["ResponseMetadata"]["HTTPHeaders"])
    assert "ChecksumCRC32" not in client.head_object(**where(obj))


# -- conditional reads -----------------------------------------------------------------------


def read_status(s3: Any, obj: dict[str, Any], method: str, **conditions: Any) -> int:
    """The status of a GET or HEAD with these conditions (asserting the error code)."""
    call = s3.get_object if method == "GET" else s3.head_object
    try:
        response = call(**where(obj), **conditions)
    except ClientError as error:
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        code = error.response["Error"]["Code"]
        if status == 412 and method == "GET":
            assert code == "PreconditionFailed"
        else:  # a 304, or any HEAD error: no body, so botocore reports the status
            assert code == str(status)
        return status
    if method == "GET":
        assert response["Body"].read() == BODY
    return response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_match(s3: Any, obj: dict[str, Any], method: str) -> None:
    assert read_status(s3, obj, method, IfMatch=obj["etag"]) == 200
    assert read_status(s3, obj, method, IfMatch=obj["etag"].strip('"')) == 200
    assert read_status(s3, obj, method, IfMatch="*") == 200
    assert read_status(s3, obj, method, IfMatch=f'{OTHER_ETAG}, {obj["etag"]}') == 200
    assert read_status(s3, obj, method, IfMatch=OTHER_ETAG) == 412


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_none_match(s3: Any, obj: dict[str, Any], method: str) -> None:
    assert read_status(s3, obj, method, IfNoneMatch=OTHER_ETAG) == 200
    assert read_status(s3, obj, method, IfNoneMatch=obj["etag"]) == 304
    assert read_status(s3, obj, method, IfNoneMatch="*") == 304
    assert read_status(s3, obj, method, IfNoneMatch=f'{OTHER_ETAG}, {obj["etag"]}') == 304


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_modified_since(s3: Any, obj: dict[str, Any], method: str) -> None:
    modified = obj["modified"]
    assert read_status(s3, obj, method, IfModifiedSince=PAST) == 200
    assert read_status(s3, obj, method,
                       IfModifiedSince=modified - dt.timedelta(seconds=1)) == 200
    assert read_status(s3, obj, method, IfModifiedSince=modified) == 304
    assert read_status(s3, obj, method,
                       IfModifiedSince=modified + dt.timedelta(days=1)) == 304


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_unmodified_since(s3: Any, obj: dict[str, Any], method: str) -> None:
    modified = obj["modified"]
    assert read_status(s3, obj, method, IfUnmodifiedSince=PAST) == 412
    assert read_status(s3, obj, method,
                       IfUnmodifiedSince=modified - dt.timedelta(seconds=1)) == 412
    assert read_status(s3, obj, method, IfUnmodifiedSince=modified) == 200
    assert read_status(s3, obj, method,
                       IfUnmodifiedSince=modified + dt.timedelta(days=1)) == 200


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_condition_precedence(s3: Any, obj: dict[str, Any], method: str) -> None:
    etag, future = obj["etag"], obj["modified"] + dt.timedelta(days=1)
    # If-Match true decides over a false If-Unmodified-Since: 200
    assert read_status(s3, obj, method, IfMatch=etag, IfUnmodifiedSince=PAST) == 200
    # If-None-Match false decides over a true If-Modified-Since: 304
    assert read_status(s3, obj, method, IfNoneMatch=etag, IfModifiedSince=PAST) == 304
    # If-None-Match true decides over a false If-Modified-Since: 200
    assert read_status(s3, obj, method, IfNoneMatch=OTHER_ETAG, IfModifiedSince=future) == 200
    # a failed If-Match is a 412 whatever If-None-Match says
    assert read_status(s3, obj, method, IfMatch=OTHER_ETAG, IfNoneMatch=etag) == 412
    assert read_status(s3, obj, method, IfMatch=OTHER_ETAG, IfNoneMatch=OTHER_ETAG) == 412
    # both pairs true together
    assert read_status(s3, obj, method, IfMatch=etag, IfNoneMatch=OTHER_ETAG,
                       IfModifiedSince=PAST, IfUnmodifiedSince=future) == 200
    # If-Match true, If-None-Match false: 304
    assert read_status(s3, obj, method, IfMatch=etag, IfNoneMatch=etag) == 304
    # If-Unmodified-Since false (no If-Match) wins over a true If-Modified-Since
    assert read_status(s3, obj, method, IfUnmodifiedSince=PAST, IfModifiedSince=PAST) == 412


def test_not_modified_response(s3: Any, obj: dict[str, Any]) -> None:
    error = client_error(s3.get_object, **where(obj), IfNoneMatch=obj["etag"])
    assert error.response["Error"] == {"Code": "304", "Message": "Not Modified"}
    headers = error.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["etag"] == obj["etag"]
    assert headers["last-modified"] == obj["modified"].strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert headers.get("content-length", "0") == "0"


def test_precondition_failed_error(s3: Any, obj: dict[str, Any]) -> None:
    error = client_error(s3.get_object, **where(obj), IfMatch=OTHER_ETAG)
    assert_error(error, "PreconditionFailed", 412)
    assert error.response["Error"]["Condition"] == "If-Match"
    error = client_error(s3.get_object, **where(obj), IfUnmodifiedSince=PAST)
    assert error.response["Error"]["Condition"] == "If-Unmodified-Since"


def test_unparseable_dates_are_ignored(s3: Any, obj: dict[str, Any]) -> None:
    def bad_dates(request: Any, **_: Any) -> None:
        request.headers["If-Modified-Since"] = "not a date"
        request.headers["If-Unmodified-Since"] = "yesterday-ish"

    s3.meta.events.register("before-sign.s3.GetObject", bad_dates)
    try:
        got = s3.get_object(**where(obj))
    finally:
        s3.meta.events.unregister("before-sign.s3.GetObject", bad_dates)
    assert got["Body"].read() == BODY


def test_conditions_with_range(s3: Any, obj: dict[str, Any]) -> None:
    got = s3.get_object(**where(obj), Range="bytes=2-3", IfMatch=obj["etag"])
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == b"23"
    error = client_error(s3.get_object, **where(obj), Range="bytes=2-3", IfMatch=OTHER_ETAG)
    assert_error(error, "PreconditionFailed", 412)
    error = client_error(s3.get_object, **where(obj), Range="bytes=2-3",
                         IfNoneMatch=obj["etag"])
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 304


def test_conditions_on_missing_key(s3: Any, bucket: str) -> None:
    error = client_error(s3.get_object, Bucket=bucket, Key="absent", IfMatch=OTHER_ETAG)
    assert_error(error, "NoSuchKey", 404)
    error = client_error(s3.get_object, Bucket=bucket, Key="absent", IfNoneMatch="*")
    assert_error(error, "NoSuchKey", 404)


def test_conditions_follow_overwrites(s3: Any, obj: dict[str, Any]) -> None:
    old_etag = obj["etag"]
    s3.put_object(**where(obj), Body=b"new body")
    assert_error(client_error(s3.get_object, **where(obj), IfMatch=old_etag),
                 "PreconditionFailed", 412)
    got = s3.get_object(**where(obj), IfNoneMatch=old_etag)
    assert got["Body"].read() == b"new body"
