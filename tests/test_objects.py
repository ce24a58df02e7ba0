"""Object operations through boto3: PutObject, GetObject, HeadObject, DeleteObject,
DeleteObjects and CopyObject, with their metadata, their errors, object keys that are
unusual as file names, conditional writes, and persistence across a restart."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import os
import unicodedata
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess, assert_error, client_error


def etag_of(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


@pytest.fixture
def fresh_s3(server: ServerProcess) -> Any:
    """A client with its own connections, for requests refused before their body is read
    (see test_connection_survives_a_refused_put)."""
    return server.client()


# -- Put / Get / Head / Delete ----------------------------------------------------------------


def test_put_get_head_delete(s3: Any, bucket: str) -> None:
    body = os.urandom(70_000)
    put = s3.put_object(Bucket=bucket, Key="obj", Body=body)
    assert put["ETag"] == etag_of(body)
    got = s3.get_object(Bucket=bucket, Key="obj")
    assert got["Body"].read() == body
    assert got["ContentLength"] == len(body)
    assert got["ETag"] == etag_of(body)
    assert got["AcceptRanges"] == "bytes"
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    head = s3.head_object(Bucket=bucket, Key="obj")
    assert head["ContentLength"] == len(body)
    assert head["ETag"] == etag_of(body)
    assert head["LastModified"] == got["LastModified"]
    age = dt.datetime.now(dt.UTC) - head["LastModified"]
    assert dt.timedelta(seconds=-5) < age < dt.timedelta(minutes=5)
    assert s3.delete_object(Bucket=bucket, Key="obj")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="obj"), "NoSuchKey", 404)


def test_empty_object(s3: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert put["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b""
    assert got["ContentLength"] == 0
    assert s3.head_object(Bucket=bucket, Key="empty")["ContentLength"] == 0


def test_overwrite_replaces_bytes_and_metadata(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", Metadata={"old": "1"},
                  ContentType="text/plain")
    s3.put_object(Bucket=bucket, Key="k", Body=b"second!")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second!"
    assert got["Metadata"] == {}
    assert got["ContentType"] == "binary/octet-stream"
    assert got["ETag"] == etag_of(b"second!")


def test_etag_is_md5_of_single_part_body(s3: Any, bucket: str) -> None:
    for size in (1, 1000, 1024 * 1024 + 7):
        body = os.urandom(size)
        assert s3.put_object(Bucket=bucket, Key=f"k{size}", Body=body)["ETag"] == etag_of(body)
        assert s3.head_object(Bucket=bucket, Key=f"k{size}")["ETag"] == etag_of(body)


def test_user_metadata_round_trip(s3: Any, bucket: str) -> None:
    metadata = {"Author": "Ada", "MIXED-Case-Name": "Value With Spaces", "x": "",
                "dashes-and_underscores": "a=b;c"}
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata=metadata)
    expected = {name.lower(): value for name, value in metadata.items()}
    assert s3.head_object(Bucket=bucket, Key="k")["Metadata"] == expected
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Metadata"] == expected
    headers = got["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-meta-mixed-case-name"] == "Value With Spaces"


def test_representation_headers_round_trip(s3: Any, bucket: str) -> None:
    expires = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    s3.put_object(Bucket=bucket, Key="k", Body=b"<p>hi</p>", ContentType="text/html",
                  ContentEncoding="identity", ContentLanguage="de-CH",
                  ContentDisposition='attachment; filename="report.html"',
                  CacheControl="max-age=3600, must-revalidate", Expires=expires)
    for response in (s3.head_object(Bucket=bucket, Key="k"),
                     s3.get_object(Bucket=bucket, Key="k")):
        assert response["ContentType"] == "text/html"
        assert response["ContentEncoding"] == "identity"
        assert response["ContentLanguage"] == "de-CH"
        assert response["ContentDisposition"] == 'attachment; filename="report.html"'
        assert response["CacheControl"] == "max-age=3600, must-revalidate"
        assert response["ExpiresString"] == "Wed, 02 Jan 2030 03:04:05 GMT"


def test_gzip_content_encoding_is_stored_not_decoded(s3: Any, bucket: str) -> None:
    compressed = gzip.compress(b"hello hello hello")
    put = s3.put_object(Bucket=bucket, Key="k.gz", Body=compressed, ContentEncoding="gzip")
    assert put["ETag"] == etag_of(compressed)
    got = s3.get_object(Bucket=bucket, Key="k.gz")
    assert got["ContentEncoding"] == "gzip"
    assert got["Body"].read() == compressed


def test_default_content_type(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.head_object(Bucket=bucket, Key="k")["ContentType"] == "binary/octet-stream"
    headers = s3.head_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]
    for absent in ("content-encoding", "content-language", "content-disposition",
                   "cache-control", "expires", "x-amz-storage-class"):
        assert absent not in headers


def test_response_overrides_on_get(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", ContentType="text/plain",
                  CacheControl="no-cache", Metadata={"m": "v"})
    got = s3.get_object(
        Bucket=bucket, Key="k", ResponseContentType="application/json",
        ResponseContentLanguage="fr", ResponseContentDisposition="inline; filename=x.json",
        ResponseContentEncoding="identity", ResponseCacheControl="max-age=1",
        ResponseExpires=dt.datetime(2031, 5, 6, tzinfo=dt.UTC))
    assert got["ContentType"] == "application/json"
    assert got["ContentLanguage"] == "fr"
    assert got["ContentDisposition"] == "inline; filename=x.json"
    assert got["ContentEncoding"] == "identity"
    assert got["CacheControl"] == "max-age=1"
    assert got["ExpiresString"] == "Tue, 06 May 2031 00:00:00 GMT"
    assert got["Body"].read() == b"data"
    # HEAD takes the same overrides
    overridden = s3.head_object(Bucket=bucket, Key="k", ResponseContentType="text/csv",
                                ResponseCacheControl="private")
    assert overridden["ContentType"] == "text/csv"
    assert overridden["CacheControl"] == "private"
    # the stored representation is not changed by an override
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ContentType"] == "text/plain"
    assert head["CacheControl"] == "no-cache"
    assert head["Metadata"] == {"m": "v"}


def test_head_missing_key_is_a_bodiless_404(s3: Any, bucket: str) -> None:
    error = client_error(s3.head_object, Bucket=bucket, Key="missing")
    assert error.response["Error"] == {"Code": "404", "Message": "Not Found"}
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_head_object_missing_bucket(s3: Any) -> None:
    error = client_error(s3.head_object, Bucket=f"missing-{uuid.uuid4().hex[:8]}", Key="k")
    assert error.response["Error"]["Code"] == "404"


def test_get_missing_key(s3: Any, bucket: str) -> None:
    error = client_error(s3.get_object, Bucket=bucket, Key="dir/missing key")
    assert_error(error, "NoSuchKey", 404)
    assert error.response["Error"]["Key"] == "dir/missing key"
    assert error.response["Error"]["Message"] == "The specified key does not exist."


@pytest.mark.parametrize("operation", ["get_object", "delete_object"])
def test_object_operations_on_missing_bucket(s3: Any, operation: str) -> None:
    name = f"missing-{uuid.uuid4().hex[:8]}"
    error = client_error(getattr(s3, operation), Bucket=name, Key="k")
    assert_error(error, "NoSuchBucket", 404)
    assert error.response["Error"]["BucketName"] == name


def test_put_object_missing_bucket(fresh_s3: Any) -> None:
    name = f"missing-{uuid.uuid4().hex[:8]}"
    error = client_error(fresh_s3.put_object, Bucket=name, Key="k", Body=b"x")
    assert_error(error, "NoSuchBucket", 404)


def test_delete_missing_key_is_204(s3: Any, bucket: str) -> None:
    response = s3.delete_object(Bucket=bucket, Key="never-existed")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_connection_survives_a_refused_put(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"kept")
    error = client_error(s3.put_object, Bucket=bucket, Key="big-meta", Body=b"x",
                         Metadata={"m": "v" * 3000})
    assert_error(error, "MetadataTooLarge", 400)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"kept"


# -- metadata limits and storage classes ------------------------------------------------------


def test_metadata_at_the_limit(s3: Any, bucket: str) -> None:
    # 2 KB counts the UTF-8 bytes of every name (without x-amz-meta-) and value
    metadata = {"a": "v" * 1000, "bb": "w" * 1045}
    assert sum(len(k) + len(v) for k, v in metadata.items()) == 2048
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata=metadata)
    assert s3.head_object(Bucket=bucket, Key="k")["Metadata"] == metadata


def test_metadata_too_large(s3: Any, fresh_s3: Any, bucket: str) -> None:
    error = client_error(fresh_s3.put_object, Bucket=bucket, Key="k", Body=b"x",
                         Metadata={"a": "v" * 1000, "bb": "w" * 1046})
    assert_error(error, "MetadataTooLarge", 400)
    assert error.response["Error"]["MaxSizeAllowed"] == "2048"
    assert_error(client_error(s3.head_object, Bucket=bucket, Key="k"), "404", 404)


def test_storage_class(s3: Any, fresh_s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="ia", Body=b"x", StorageClass="STANDARD_IA")
    assert s3.head_object(Bucket=bucket, Key="ia")["StorageClass"] == "STANDARD_IA"
    s3.put_object(Bucket=bucket, Key="std", Body=b"x", StorageClass="STANDARD")
    assert "StorageClass" not in s3.head_object(Bucket=bucket, Key="std")
    error = client_error(fresh_s3.put_object, Bucket=bucket, Key="bad", Body=b"x",
                         StorageClass="PLATINUM")
    assert_error(error, "InvalidStorageClass", 400)


# -- DeleteObjects ----------------------------------------------------------------------------


def test_delete_objects(s3: Any, bucket: str) -> None:
    for key in ("a", "b", "dir/c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    response = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "a"}, {"Key": "dir/c"}, {"Key": "never-existed"}]})
    assert sorted(d["Key"] for d in response["Deleted"]) == ["a", "dir/c", "never-existed"]
    assert "Errors" not in response
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["b"]


def test_delete_objects_quiet(s3: Any, bucket: str) -> None:
    for key in ("a", "b"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    response = s3.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "c"}], "Quiet": True})
    assert "Deleted" not in response
    assert "Errors" not in response
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_special_keys(s3: Any, bucket: str) -> None:
    keys = ["with space", "amp&lt;", "<tag>", "quote\"'", "日本語", "tab\tkey"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    response = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    assert sorted(d["Key"] for d in response["Deleted"]) == sorted(keys)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_limit(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k0", Body=b"x")
    error = client_error(s3.delete_objects, Bucket=bucket, Delete={
        "Objects": [{"Key": f"k{i}"} for i in range(1001)]})
    assert_error(error, "MalformedXML", 400)
    assert s3.head_object(Bucket=bucket, Key="k0")["ContentLength"] == 1
    response = s3.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": f"k{i}"} for i in range(1000)]})
    assert len(response["Deleted"]) == 1000
    assert_error(client_error(s3.head_object, Bucket=bucket, Key="k0"), "404", 404)


def test_delete_objects_missing_bucket(s3: Any) -> None:
    error = client_error(s3.delete_objects, Bucket=f"missing-{uuid.uuid4().hex[:8]}",
                         Delete={"Objects": [{"Key": "a"}]})
    assert_error(error, "NoSuchBucket", 404)


# -- CopyObject -------------------------------------------------------------------------------


@pytest.fixture
def source(s3: Any, bucket: str) -> dict[str, Any]:
    body = b"source bytes " * 100
    s3.put_object(Bucket=bucket, Key="src", Body=body, ContentType="text/plain",
                  CacheControl="no-store", Metadata={"origin": "source", "Case": "Kept"})
    return {"Bucket": bucket, "Key": "src", "body": body}


def test_copy_keeps_metadata_by_default(s3: Any, bucket: str, source: dict[str, Any]) -> None:
    response = s3.copy_object(Bucket=bucket, Key="dst",
                              CopySource={"Bucket": bucket, "Key": "src"})
    assert response["CopyObjectResult"]["ETag"] == etag_of(source["body"])
    assert response["CopyObjectResult"]["LastModified"].tzinfo is not None
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == source["body"]
    assert got["ETag"] == etag_of(source["body"])
    assert got["ContentType"] == "text/plain"
    assert got["CacheControl"] == "no-store"
    assert got["Metadata"] == {"origin": "source", "case": "Kept"}
    # an explicit COPY directive behaves the same and ignores metadata sent with it
    s3.copy_object(Bucket=bucket, Key="dst2", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="COPY", Metadata={"ignored": "yes"},
                   ContentType="image/png")
    head = s3.head_object(Bucket=bucket, Key="dst2")
    assert head["Metadata"] == {"origin": "source", "case": "Kept"}
    assert head["ContentType"] == "text/plain"


def test_copy_replace_metadata(s3: Any, bucket: str, source: dict[str, Any]) -> None:
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"new": "value"},
                   ContentType="application/json")
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"new": "value"}
    assert head["ContentType"] == "application/json"
    assert "CacheControl" not in head
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == source["body"]
    # the source is unchanged
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {
        "origin": "source", "case": "Kept"}


def test_copy_across_buckets(s3: Any, bucket: str, source: dict[str, Any]) -> None:
    other = f"test-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=other)
    s3.copy_object(Bucket=other, Key="copied", CopySource=f"{bucket}/src")
    assert s3.get_object(Bucket=other, Key="copied")["Body"].read() == source["body"]


def test_copy_onto_itself_without_change(s3: Any, bucket: str, source: dict[str, Any]) -> None:
    error = client_error(s3.copy_object, Bucket=bucket, Key="src",
                         CopySource={"Bucket": bucket, "Key": "src"})
    assert_error(error, "InvalidRequest", 400)
    assert "copy an object to itself" in error.response["Error"]["Message"]
    error = client_error(s3.copy_object, Bucket=bucket, Key="src",
                         CopySource={"Bucket": bucket, "Key": "src"}, MetadataDirective="COPY")
    assert_error(error, "InvalidRequest", 400)


def test_copy_onto_itself_with_replace(s3: Any, bucket: str, source: dict[str, Any]) -> None:
    before = s3.head_object(Bucket=bucket, Key="src")
    s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"edited": "true"},
                   ContentType="text/markdown")
    after = s3.head_object(Bucket=bucket, Key="src")
    assert after["Metadata"] == {"edited": "true"}
    assert after["ContentType"] == "text/markdown"
    assert after["ETag"] == before["ETag"]
    assert s3.get_object(Bucket=bucket, Key="src")["Body"].read() == source["body"]


def test_copy_onto_itself_changing_storage_class(s3: Any, bucket: str,
                                                 source: dict[str, Any]) -> None:
    s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"},
                   StorageClass="STANDARD_IA")
    head = s3.head_object(Bucket=bucket, Key="src")
    assert head["StorageClass"] == "STANDARD_IA"
    assert head["Metadata"] == {"origin": "source", "case": "Kept"}


@pytest.mark.parametrize("key", [
    "dir with spaces/file name.txt",
    "plus+and%2Fpercent",
    "query?and#hash&amp=eq",
    "ünïcødé/日本語.txt",
    "../dots/./and//slashes",
])
def test_copy_source_with_special_characters(s3: Any, bucket: str, key: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == key.encode()
    s3.copy_object(Bucket=bucket, Key=key + ".copy", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=bucket, Key=key + ".copy")["Body"].read() == key.encode()


def test_copy_missing_source_key(s3: Any, bucket: str) -> None:
    error = client_error(s3.copy_object, Bucket=bucket, Key="dst",
                         CopySource={"Bucket": bucket, "Key": "nope"})
    assert_error(error, "NoSuchKey", 404)
    assert error.response["Error"]["Key"] == "nope"
    assert_error(client_error(s3.head_object, Bucket=bucket, Key="dst"), "404", 404)


def test_copy_missing_source_bucket(s3: Any, bucket: str) -> None:
    error = client_error(s3.copy_object, Bucket=bucket, Key="dst",
                         CopySource={"Bucket": f"missing-{uuid.uuid4().hex[:8]}", "Key": "k"})
    assert_error(error, "NoSuchBucket", 404)


def test_copy_to_missing_bucket(s3: Any, bucket: str, source: dict[str, Any]) -> None:
    error = client_error(s3.copy_object, Bucket=f"missing-{uuid.uuid4().hex[:8]}", Key="dst",
                         CopySource={"Bucket": bucket, "Key": "src"})
    assert_error(error, "NoSuchBucket", 404)


def test_copy_source_conditions(s3: Any, bucket: str, source: dict[str, Any]) -> None:
    etag = etag_of(source["body"])
    copy_source = {"Bucket": bucket, "Key": "src"}
    past = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    failing: list[dict[str, Any]] = [
        {"CopySourceIfMatch": '"0123456789abcdef0123456789abcdef"'},
        {"CopySourceIfNoneMatch": etag},
        {"CopySourceIfNoneMatch": "*"},
        {"CopySourceIfModifiedSince": future},
        {"CopySourceIfUnmodifiedSince": past},
        # If-None-Match false decides, whatever If-Modified-Since says
        {"CopySourceIfNoneMatch": etag, "CopySourceIfModifiedSince": past},
    ]
    for conditions in failing:
        error = client_error(s3.copy_object, Bucket=bucket, Key="dst", CopySource=copy_source,
                             **conditions)
        assert_error(error, "PreconditionFailed", 412)
    assert_error(client_error(s3.head_object, Bucket=bucket, Key="dst"), "404", 404)
    passing: list[dict[str, Any]] = [
        {"CopySourceIfMatch": etag},
        {"CopySourceIfNoneMatch": '"0123456789abcdef0123456789abcdef"'},
        {"CopySourceIfModifiedSince": past},
        {"CopySourceIfUnmodifiedSince": future},
        # If-Match true wins over a false If-Unmodified-Since
        {"CopySourceIfMatch": etag, "CopySourceIfUnmodifiedSince": past},
    ]
    for index, conditions in enumerate(passing):
        s3.copy_object(Bucket=bucket, Key=f"dst{index}", CopySource=copy_source, **conditions)
        assert s3.head_object(Bucket=bucket, Key=f"dst{index}")["ETag"] == etag


def test_copy_conditional_write(s3: Any, bucket: str, source: dict[str, Any]) -> None:
    """If-None-Match / If-Match on CopyObject are about the destination."""
    copy_source = {"Bucket": bucket, "Key": "src"}
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=copy_source, IfNoneMatch="*")
    s3.put_object(Bucket=bucket, Key="dst", Body=b"changed")
    error = client_error(s3.copy_object, Bucket=bucket, Key="dst", CopySource=copy_source,
                         IfNoneMatch="*")
    assert_error(error, "PreconditionFailed", 412)
    error = client_error(s3.copy_object, Bucket=bucket, Key="dst", CopySource=copy_source,
                         IfMatch=etag_of(source["body"]))
    assert_error(error, "PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"changed"
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=copy_source,
                   IfMatch=etag_of(b"changed"))
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == source["body"]
    error = client_error(s3.copy_object, Bucket=bucket, Key="absent", CopySource=copy_source,
                         IfMatch=etag_of(source["body"]))
    assert_error(error, "NoSuchKey", 404)


def test_copy_invalid_directive(s3: Any, bucket: str, source: dict[str, Any]) -> None:
    def set_directive(request: Any, **_: Any) -> None:
        request.headers["x-amz-metadata-directive"] = "MERGE"

    s3.meta.events.register("before-sign.s3.CopyObject", set_directive)
    try:
        error = client_error(s3.copy_object, Bucket=bucket, Key="dst",
                             CopySource={"Bucket": bucket, "Key": "src"})
    finally:
        s3.meta.events.unregister("before-sign.s3.CopyObject", set_directive)
    assert_error(error, "InvalidArgument", 400)


# -- keys are data, never paths -------------------------------------------------------------


NFC = unicodedata.normalize("NFC", "café")
NFD = unicodedata.normalize("NFD", "café")

# (a key holding a newline: see test_listing.test_newline_key)
STRANGE_KEYS = [
    "../escape", "../../../../escape-far", "a//b", "./a", "a/./b", "a/../b", "/leading",
    "trailing/", "dir/", ".", "..", "...", "a%2Fb", "a/b", "%2e%2e/x", "a+b", "a b",
    "a%20b", " ", "  spaces  ", NFC, NFD, "Key", "key", "KEY", "tab\there", "cr\rkey",
    "back\\slash", "q?x=1&y=2", "hash#frag", "semi;colon", "colon:x", "star*", "tilde~",
    "😀 emoji", "日本語/ファイル", "\u00a0nbsp", "\u200bzero-width",
]


def test_strange_keys_are_distinct_objects(s3: Any, bucket: str) -> None:
    assert NFC != NFD
    for index, key in enumerate(STRANGE_KEYS):
        s3.put_object(Bucket=bucket, Key=key, Body=f"{index}".encode())
    for index, key in enumerate(STRANGE_KEYS):
        got = s3.get_object(Bucket=bucket, Key=key)
        assert got["Body"].read() == f"{index}".encode(), key
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(f"{index}")
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(listed, key=lambda k: k.encode()) == listed
    assert sorted(listed) == sorted(STRANGE_KEYS)
    for key in STRANGE_KEYS:
        s3.delete_object(Bucket=bucket, Key=key)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_keys_never_become_paths(s3: Any, server: ServerProcess, bucket: str) -> None:
    marker = f"marker{uuid.uuid4().hex[:8]}"
    keys = [f"../{marker}", f"../../{marker}", f"../../../../../../tmp/{marker}",
            f"a//{marker}", f"./{marker}", f"{bucket}/../{marker}", f"%2e%2e%2f{marker}",
            f"{marker}/../../x", f"objects/../../{marker}"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"payload")
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"payload"
    for ancestor in [server.data_dir, *server.data_dir.parents, Path("/tmp")]:
        assert not (ancestor / marker).exists()
    for directory, dirnames, filenames in os.walk(server.data_dir.parent.parent):
        for name in dirnames + filenames:
            assert marker not in name, os.path.join(directory, name)
    # nothing named after a key, or after the bucket, under the data directory
    for directory, dirnames, filenames in os.walk(server.data_dir):
        for name in dirnames + filenames:
            assert name not in (bucket, "a", ".."), os.path.join(directory, name)


def test_longest_key(s3: Any, fresh_s3: Any, bucket: str) -> None:
    key = "é" * 512  # 1024 bytes of UTF-8
    assert len(key.encode()) == 1024
    s3.put_object(Bucket=bucket, Key=key, Body=b"long")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"long"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    too_long = key + "x"
    error = client_error(s3.get_object, Bucket=bucket, Key=too_long)
    assert_error(error, "KeyTooLongError", 400)
    error = client_error(fresh_s3.put_object, Bucket=bucket, Key=too_long, Body=b"x")
    assert_error(error, "KeyTooLongError", 400)


# -- conditional writes -------------------------------------------------------------------


def test_put_if_none_match_star(s3: Any, bucket: str) -> None:
    first = s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    assert first["ETag"] == etag_of(b"first")
    error = client_error(s3.put_object, Bucket=bucket, Key="once", Body=b"second",
                         IfNoneMatch="*")
    assert_error(error, "PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"first"
    # once deleted, the key may be created again
    s3.delete_object(Bucket=bucket, Key="once")
    s3.put_object(Bucket=bucket, Key="once", Body=b"third", IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"third"


def test_put_if_none_match_etag_not_implemented(fresh_s3: Any, bucket: str) -> None:
    fresh_s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    error = client_error(fresh_s3.put_object, Bucket=bucket, Key="k", Body=b"y",
                         IfNoneMatch=etag_of(b"x"))
    assert_error(error, "NotImplemented", 501)


def test_put_if_match(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"v1")["ETag"]
    error = client_error(s3.put_object, Bucket=bucket, Key="k", Body=b"v2",
                         IfMatch=etag_of(b"something else"))
    assert_error(error, "PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v1"
    s3.put_object(Bucket=bucket, Key="k", Body=b"v2", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v2"


def test_put_if_match_missing_key(s3: Any, bucket: str) -> None:
    error = client_error(s3.put_object, Bucket=bucket, Key="absent", Body=b"v",
                         IfMatch=etag_of(b"v"))
    assert_error(error, "NoSuchKey", 404)
    assert error.response["Error"]["Key"] == "absent"
    assert_error(client_error(s3.head_object, Bucket=bucket, Key="absent"), "404", 404)


# -- persistence ------------------------------------------------------------------------------


def test_objects_survive_restart(server_factory: Callable[..., ServerProcess]) -> None:
    proc = server_factory()
    client = proc.client()
    client.create_bucket(Bucket="persist")
    client.create_bucket(Bucket="persist-eu",
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    objects = {"plain": os.urandom(3000), "dir/nested key": b"nested", "empty": b"",
               NFD: b"nfd", "../odd": b"odd"}
    for key, body in objects.items():
        client.put_object(Bucket="persist", Key=key, Body=body, ContentType="text/x-test",
                          Metadata={"Key-Name": key.encode("unicode_escape").decode()},
                          CacheControl="private")
    client.delete_object(Bucket="persist", Key="../odd")
    del objects["../odd"]
    before = {key: client.head_object(Bucket="persist", Key=key) for key in objects}

    proc.restart()
    client = proc.client()
    assert sorted(b["Name"] for b in client.list_buckets()["Buckets"]) == [
        "persist", "persist-eu"]
    assert client.get_bucket_location(Bucket="persist-eu")["LocationConstraint"] == "eu-west-1"
    listed = [o["Key"] for o in client.list_objects_v2(Bucket="persist")["Contents"]]
    assert sorted(listed) == sorted(objects)
    for key, body in objects.items():
        got = client.get_object(Bucket="persist", Key=key)
        assert got["Body"].read() == body
        assert got["ETag"] == before[key]["ETag"] == etag_of(body)
        assert got["LastModified"] == before[key]["LastModified"]
        assert got["ContentType"] == "text/x-test"
        assert got["CacheControl"] == "private"
        assert got["Metadata"] == {"key-name": key.encode("unicode_escape").decode()}
    assert_error(client_error(client.get_object, Bucket="persist", Key="../odd"),
                 "NoSuchKey", 404)
