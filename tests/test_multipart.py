"""Multipart uploads end to end through boto3, s3transfer and the AWS CLI: ETags, the
CompleteMultipartUpload rules and their errors, listing and paging, part copies, part
reads, additional checksums (COMPOSITE and FULL_OBJECT) and big transfers."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from awscrt import checksums as crt
from boto3.s3.transfer import TransferConfig
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient

from tests.conftest import ServerProcess, aws_cli, expect_error

MiB = 1024 * 1024
PART = 5 * MiB  # S3's minimum size of every part but the last


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def multipart_etag(parts: list[bytes]) -> str:
    """S3's multipart ETag: MD5 of the concatenated binary part MD5s, then -N."""
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def crc32_b64(data: bytes) -> str:
    return b64(zlib.crc32(data).to_bytes(4, "big"))


def crc64nvme_b64(data: bytes) -> str:
    return b64(crt.crc64nvme(data).to_bytes(8, "big"))


@pytest.fixture(scope="module")
def blocks() -> tuple[bytes, bytes]:
    """Two different 5 MiB parts (random, so a swapped or repeated part shows)."""
    return os.urandom(PART), os.urandom(PART)


@pytest.fixture
def isolated_s3(server: ServerProcess) -> BaseClient:
    """A client of its own, for requests the server rejects before reading their body: see
    test_rejected_part_keeps_the_connection_usable."""
    return server.client()


class Upload:
    """One multipart upload driven through boto3."""

    def __init__(self, s3: BaseClient, bucket: str, key: str = "object", **create: object) -> None:
        self.s3, self.bucket, self.key = s3, bucket, key
        self.created = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)
        self.upload_id: str = self.created["UploadId"]

    def put(self, number: int, body: bytes, **params: object) -> dict:
        return self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                   PartNumber=number, Body=body, **params)

    def complete(self, parts: list[dict], **params: object) -> dict:
        return self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
            MultipartUpload={"Parts": parts}, **params)

    def ids(self) -> dict[str, str]:
        return {"Bucket": self.bucket, "Key": self.key, "UploadId": self.upload_id}


def part_list(*responses: dict, checksum: str | None = None) -> list[dict]:
    """The Parts of a CompleteMultipartUpload for parts 1..N as UploadPart answered them."""
    parts = []
    for number, response in enumerate(responses, start=1):
        part = {"PartNumber": number, "ETag": response["ETag"]}
        if checksum is not None:
            part[checksum] = response[checksum]
        parts.append(part)
    return parts


# -- the happy path ----------------------------------------------------------------------


def test_complete_etag_is_md5_of_part_md5s(s3: BaseClient, bucket: str,
                                           blocks: tuple[bytes, bytes]) -> None:
    first, last = blocks[0], b"the smaller last part"
    upload = Upload(s3, bucket, ContentType="text/plain", Metadata={"colour": "blue"},
                    CacheControl="max-age=60")
    assert upload.created["Bucket"] == bucket and upload.created["Key"] == "object"
    one, two = upload.put(1, first), upload.put(2, last)
    assert one["ETag"] == f'"{md5_hex(first)}"' and two["ETag"] == f'"{md5_hex(last)}"'

    done = upload.complete(part_list(one, two))
    assert done["ETag"] == multipart_etag([first, last])
    assert (done["Bucket"], done["Key"]) == (bucket, "object")
    assert done["Location"].endswith(f"/{bucket}/object")

    got = s3.get_object(Bucket=bucket, Key="object")
    assert got["Body"].read() == first + last
    assert got["ETag"] == done["ETag"]
    assert got["ContentLength"] == len(first) + len(last)
    # what CreateMultipartUpload said about the object is what the object has
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"colour": "blue"}
    assert got["CacheControl"] == "max-age=60"
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_single_part_upload_may_be_small(s3: BaseClient, bucket: str) -> None:
    upload = Upload(s3, bucket)
    done = upload.complete(part_list(upload.put(1, b"tiny")))
    assert done["ETag"] == multipart_etag([b"tiny"])
    assert s3.get_object(Bucket=bucket, Key="object")["Body"].read() == b"tiny"


def test_parts_may_skip_numbers_and_unlisted_parts_are_dropped(
        s3: BaseClient, bucket: str, blocks: tuple[bytes, bytes]) -> None:
    upload = Upload(s3, bucket)
    first, unused, last = upload.put(3, blocks[0]), upload.put(5, b"unused"), upload.put(9, b"z")
    assert unused["ETag"]
    done = upload.complete([{"PartNumber": 3, "ETag": first["ETag"]},
                            {"PartNumber": 9, "ETag": last["ETag"]}])
    assert done["ETag"] == multipart_etag([blocks[0], b"z"])
    head = s3.head_object(Bucket=bucket, Key="object", PartNumber=2)
    assert head["PartsCount"] == 2 and head["ContentLength"] == 1
    assert s3.get_object(Bucket=bucket, Key="object")["Body"].read() == blocks[0] + b"z"


def test_reuploading_a_part_replaces_it(s3: BaseClient, bucket: str,
                                        blocks: tuple[bytes, bytes]) -> None:
    upload = Upload(s3, bucket)
    stale = upload.put(1, blocks[0])
    fresh = upload.put(1, blocks[1])
    tail = upload.put(2, b"tail")
    parts = s3.list_parts(**upload.ids())["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [
        (1, fresh["ETag"], PART), (2, tail["ETag"], 4)]
    expect_error("InvalidPart", 400, upload.complete,
                 parts=[{"PartNumber": 1, "ETag": stale["ETag"]},
                        {"PartNumber": 2, "ETag": tail["ETag"]}])
    upload.complete(part_list(fresh, tail))
    assert s3.get_object(Bucket=bucket, Key="object")["Body"].read() == blocks[1] + b"tail"


def test_completing_replaces_an_existing_object(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="object", Body=b"old", Metadata={"old": "yes"})
    upload = Upload(s3, bucket)
    upload.complete(part_list(upload.put(1, b"new")))
    got = s3.get_object(Bucket=bucket, Key="object")
    assert got["Body"].read() == b"new" and got["Metadata"] == {}


# -- CompleteMultipartUpload's rules -----------------------------------------------------


def test_entity_too_small(s3: BaseClient, bucket: str) -> None:
    upload = Upload(s3, bucket)
    small, last = upload.put(1, b"x" * (PART - 1)), upload.put(2, b"last")
    error = expect_error("EntityTooSmall", 400, upload.complete, parts=part_list(small, last))
    assert error["ProposedSize"] == str(PART - 1)
    assert error["MinSizeAllowed"] == str(PART)
    # a failed completion leaves the upload as it was
    assert len(s3.list_parts(**upload.ids())["Parts"]) == 2
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_invalid_part_wrong_etag(s3: BaseClient, bucket: str) -> None:
    upload = Upload(s3, bucket)
    upload.put(1, b"data")
    error = expect_error("InvalidPart", 400, upload.complete,
                         parts=[{"PartNumber": 1, "ETag": f'"{md5_hex(b"other")}"'}])
    assert error["PartNumber"] == "1"


def test_invalid_part_missing_part(s3: BaseClient, bucket: str,
                                   blocks: tuple[bytes, bytes]) -> None:
    upload = Upload(s3, bucket)
    one = upload.put(1, blocks[0])
    expect_error("InvalidPart", 400, upload.complete,
                 parts=[{"PartNumber": 1, "ETag": one["ETag"]},
                        {"PartNumber": 2, "ETag": f'"{md5_hex(b"never sent")}"'}])


@pytest.mark.parametrize("order", [[2, 1], [1, 1]], ids=["descending", "repeated"])
def test_invalid_part_order(s3: BaseClient, bucket: str, blocks: tuple[bytes, bytes],
                            order: list[int]) -> None:
    upload = Upload(s3, bucket)
    etags = {1: upload.put(1, blocks[0])["ETag"], 2: upload.put(2, b"last")["ETag"]}
    expect_error("InvalidPartOrder", 400, upload.complete,
                 parts=[{"PartNumber": n, "ETag": etags[n]} for n in order])


def test_complete_without_parts_is_malformed(s3: BaseClient, bucket: str) -> None:
    upload = Upload(s3, bucket)
    upload.put(1, b"data")
    expect_error("MalformedXML", 400, upload.complete, parts=[])


def test_complete_checks_mpu_object_size(s3: BaseClient, bucket: str) -> None:
    upload = Upload(s3, bucket)
    parts = part_list(upload.put(1, b"12345"))
    error = expect_error("InvalidRequest", 400, upload.complete, parts=parts, MpuObjectSize=4)
    assert "x-amz-mp-object-size" in error["Message"]
    expect_error("InvalidRequest", 400, upload.complete, parts=parts, MpuObjectSize=-1)
    upload.complete(parts, MpuObjectSize=5)
    assert s3.head_object(Bucket=bucket, Key="object")["ContentLength"] == 5


@pytest.mark.parametrize("number", ["0", "10001", "x"])
def test_part_number_out_of_range(isolated_s3: BaseClient, bucket: str, number: str) -> None:
    upload = Upload(isolated_s3, bucket)

    def with_raw_number(request: AWSRequest, **kwargs: object) -> None:
        request.url = request.url.replace("partNumber=1", f"partNumber={number}")

    isolated_s3.meta.events.register_first("before-sign.s3.UploadPart", with_raw_number)
    error = expect_error("InvalidArgument", 400, upload.put, number=1, body=b"data")
    assert error["ArgumentName"] == "partNumber"


# -- NoSuchUpload ------------------------------------------------------------------------

BOGUS_ID = "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"


def _operations(s3: BaseClient, ids: dict[str, str]) -> dict[str, Callable[[], object]]:
    return {
        "UploadPart": lambda: s3.upload_part(**ids, PartNumber=1, Body=b"data"),
        "ListParts": lambda: s3.list_parts(**ids),
        "CompleteMultipartUpload": lambda: s3.complete_multipart_upload(
            **ids, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"x"'}]}),
        "AbortMultipartUpload": lambda: s3.abort_multipart_upload(**ids),
        "UploadPartCopy": lambda: s3.upload_part_copy(
            **ids, PartNumber=1, CopySource={"Bucket": ids["Bucket"], "Key": "source"}),
    }


OPERATIONS = ["UploadPart", "ListParts", "CompleteMultipartUpload", "AbortMultipartUpload",
              "UploadPartCopy"]


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("state", ["bogus id", "aborted", "completed", "other key"])
def test_no_such_upload(isolated_s3: BaseClient, bucket: str, operation: str, state: str) -> None:
    s3 = isolated_s3
    s3.put_object(Bucket=bucket, Key="source", Body=b"copy me")
    upload = Upload(s3, bucket)
    ids = upload.ids()
    if state == "bogus id":
        ids["UploadId"] = BOGUS_ID
    elif state == "aborted":
        s3.abort_multipart_upload(**ids)
    elif state == "completed":
        upload.complete(part_list(upload.put(1, b"done")))
    else:
        ids["Key"] = "another-key"
    error = expect_error("NoSuchUpload", 404, _operations(s3, ids)[operation])
    assert error["UploadId"] == ids["UploadId"]


def test_abort_discards_the_upload(s3: BaseClient, bucket: str) -> None:
    upload = Upload(s3, bucket)
    upload.put(1, b"data")
    response = s3.abort_multipart_upload(**upload.ids())
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    expect_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="object")


def test_create_in_missing_bucket(s3: BaseClient) -> None:
    expect_error("NoSuchBucket", 404, s3.create_multipart_upload,
                 Bucket=f"missing-{uuid.uuid4().hex[:12]}", Key="k")
    expect_error("NoSuchBucket", 404, s3.list_multipart_uploads,
                 Bucket=f"missing-{uuid.uuid4().hex[:12]}")


# -- ListParts and ListMultipartUploads ----------------------------------------------------


def test_list_parts_paging(s3: BaseClient, bucket: str) -> None:
    upload = Upload(s3, bucket, StorageClass="STANDARD")
    sent = {n: upload.put(n, f"part {n}".encode()) for n in range(1, 6)}

    first = s3.list_parts(**upload.ids(), MaxParts=2)
    assert [p["PartNumber"] for p in first["Parts"]] == [1, 2]
    assert first["IsTruncated"] is True
    assert first["MaxParts"] == 2
    assert first["NextPartNumberMarker"] == 2
    assert first["UploadId"] == upload.upload_id
    assert first["StorageClass"] == "STANDARD"
    assert first["Initiator"]["ID"] and first["Owner"]["ID"]

    second = s3.list_parts(**upload.ids(), MaxParts=2,
                           PartNumberMarker=first["NextPartNumberMarker"])
    assert [p["PartNumber"] for p in second["Parts"]] == [3, 4]
    assert second["PartNumberMarker"] == 2 and second["NextPartNumberMarker"] == 4

    last = s3.list_parts(**upload.ids(), MaxParts=2, PartNumberMarker=4)
    assert [p["PartNumber"] for p in last["Parts"]] == [5]
    assert last["IsTruncated"] is False

    every = [p for page in s3.get_paginator("list_parts").paginate(
        **upload.ids(), PaginationConfig={"PageSize": 2}) for p in page["Parts"]]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in every] == [
        (n, sent[n]["ETag"], len(f"part {n}")) for n in range(1, 6)]
    assert all(p["LastModified"] for p in every)


def test_list_parts_rejects_bad_max_parts(s3: BaseClient, bucket: str) -> None:
    upload = Upload(s3, bucket)

    def raw(request: AWSRequest, **kwargs: object) -> None:
        request.url = request.url.replace("max-parts=1", "max-parts=abc")

    s3.meta.events.register_first("before-sign.s3.ListParts", raw)
    try:
        error = expect_error("InvalidArgument", 400, s3.list_parts, **upload.ids(), MaxParts=1)
    finally:
        s3.meta.events.unregister("before-sign.s3.ListParts", raw)
    assert error["ArgumentName"] == "max-parts"


def test_list_multipart_uploads_prefix_delimiter_and_paging(s3: BaseClient, bucket: str) -> None:
    keys = ["a/1", "a/2", "a/2", "a/3/x", "b/1", "c"]
    created = [(key, s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"])
               for key in keys]

    listed = s3.list_multipart_uploads(Bucket=bucket)
    uploads = listed["Uploads"]
    # by key, and for one key by initiation time
    assert [(u["Key"], u["UploadId"]) for u in uploads] == created
    assert listed["IsTruncated"] is False
    assert all(u["Initiated"] and u["Initiator"]["ID"] and u["Owner"]["ID"] for u in uploads)
    assert {u["StorageClass"] for u in uploads} == {"STANDARD"}

    prefixed = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")
    assert prefixed["Prefix"] == "a/"
    assert [u["Key"] for u in prefixed["Uploads"]] == ["a/1", "a/2", "a/2", "a/3/x"]

    rolled = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/", Delimiter="/")
    assert [u["Key"] for u in rolled["Uploads"]] == ["a/1", "a/2", "a/2"]
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["a/3/"]

    # paging by hand: KeyMarker + UploadIdMarker, two uploads a page
    seen: list[tuple[str, str]] = []
    markers: dict[str, str] = {}
    for _ in range(len(keys)):
        page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=2, **markers)
        assert page["MaxUploads"] == 2
        seen += [(u["Key"], u["UploadId"]) for u in page["Uploads"]]
        if not page["IsTruncated"]:
            break
        assert page["NextKeyMarker"] == page["Uploads"][-1]["Key"]
        assert page["NextUploadIdMarker"] == page["Uploads"][-1]["UploadId"]
        markers = {"KeyMarker": page["NextKeyMarker"],
                   "UploadIdMarker": page["NextUploadIdMarker"]}
    assert seen == created

    # a KeyMarker alone skips every upload of that key
    after = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="a/2")
    assert [u["Key"] for u in after["Uploads"]] == ["a/3/x", "b/1", "c"]
    assert after["KeyMarker"] == "a/2"

    paged = [u["UploadId"] for page in s3.get_paginator("list_multipart_uploads").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 4}) for u in page.get("Uploads", [])]
    assert paged == [upload_id for _, upload_id in created]


# -- UploadPartCopy ----------------------------------------------------------------------


def test_upload_part_copy_with_and_without_range(s3: BaseClient, bucket: str,
                                                 blocks: tuple[bytes, bytes]) -> None:
    source = blocks[0] + b"0123456789"
    s3.put_object(Bucket=bucket, Key="source", Body=source)
    upload = Upload(s3, bucket, key="copy")
    whole = s3.upload_part_copy(**upload.ids(), PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": "source"})
    ranged = s3.upload_part_copy(**upload.ids(), PartNumber=2, CopySource=f"{bucket}/source",
                                 CopySourceRange=f"bytes={PART}-{PART + 4}")
    assert whole["CopyPartResult"]["ETag"] == f'"{md5_hex(source)}"'
    assert ranged["CopyPartResult"]["ETag"] == f'"{md5_hex(b"01234")}"'
    assert ranged["CopyPartResult"]["LastModified"]
    done = upload.complete([{"PartNumber": 1, "ETag": whole["CopyPartResult"]["ETag"]},
                            {"PartNumber": 2, "ETag": ranged["CopyPartResult"]["ETag"]}])
    assert done["ETag"] == multipart_etag([source, b"01234"])
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == source + b"01234"


def test_upload_part_copy_reports_the_upload_checksum(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="source", Body=b"0123456789")
    upload = Upload(s3, bucket, ChecksumAlgorithm="CRC32")
    copied = s3.upload_part_copy(**upload.ids(), PartNumber=1, CopySource=f"{bucket}/source",
                                 CopySourceRange="bytes=2-5")["CopyPartResult"]
    assert copied["ChecksumCRC32"] == crc32_b64(b"2345")
    done = upload.complete([{"PartNumber": 1, "ETag": copied["ETag"],
                             "ChecksumCRC32": copied["ChecksumCRC32"]}])
    assert done["ChecksumCRC32"] == f"{crc32_b64(zlib.crc32(b'2345').to_bytes(4, 'big'))}-1"


@pytest.mark.parametrize("copy_range", ["bytes=5-20", "bytes=3-2", "bytes=1-", "items=0-1"])
def test_upload_part_copy_bad_range(s3: BaseClient, bucket: str, copy_range: str) -> None:
    s3.put_object(Bucket=bucket, Key="source", Body=b"0123456789")
    upload = Upload(s3, bucket)
    error = expect_error("InvalidArgument", 400, s3.upload_part_copy, **upload.ids(),
                         PartNumber=1, CopySource=f"{bucket}/source", CopySourceRange=copy_range)
    assert error["ArgumentName"] == "x-amz-copy-source-range"


def test_upload_part_copy_missing_source(s3: BaseClient, bucket: str) -> None:
    upload = Upload(s3, bucket)
    expect_error("NoSuchKey", 404, s3.upload_part_copy, **upload.ids(), PartNumber=1,
                 CopySource=f"{bucket}/absent")


# -- reading one part of a multipart object ----------------------------------------------


@pytest.fixture
def two_part_object(s3: BaseClient, bucket: str,
                    blocks: tuple[bytes, bytes]) -> tuple[str, bytes]:
    upload = Upload(s3, bucket, ChecksumAlgorithm="CRC32")
    one, two = upload.put(1, blocks[0], ChecksumAlgorithm="CRC32"), upload.put(
        2, b"second part", ChecksumAlgorithm="CRC32")
    upload.complete(part_list(one, two, checksum="ChecksumCRC32"))
    return bucket, blocks[0] + b"second part"


def test_get_and_head_part_number(s3: BaseClient, two_part_object: tuple[str, bytes]) -> None:
    bucket, data = two_part_object
    total = len(data)
    first = s3.get_object(Bucket=bucket, Key="object", PartNumber=1)
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert first["Body"].read() == data[:PART]
    assert first["ContentRange"] == f"bytes 0-{PART - 1}/{total}"
    assert first["PartsCount"] == 2 and first["ContentLength"] == PART

    second = s3.head_object(Bucket=bucket, Key="object", PartNumber=2)
    assert second["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert second["ContentRange"] == f"bytes {PART}-{total - 1}/{total}"
    assert second["ContentLength"] == total - PART and second["PartsCount"] == 2

    got = s3.get_object(Bucket=bucket, Key="object", PartNumber=2, ChecksumMode="ENABLED")
    assert got["Body"].read() == b"second part"
    assert got["ChecksumCRC32"] == crc32_b64(b"second part")  # the part's own checksum


def test_part_number_beyond_count(s3: BaseClient, two_part_object: tuple[str, bytes]) -> None:
    bucket, _ = two_part_object
    error = expect_error("InvalidPartNumber", 416, s3.get_object, Bucket=bucket, Key="object",
                         PartNumber=3)
    assert error["PartNumberRequested"] == "3" and error["ActualPartCount"] == "2"
    expect_error("416", 416, s3.head_object, Bucket=bucket, Key="object", PartNumber=3)


def test_part_number_with_range(s3: BaseClient, two_part_object: tuple[str, bytes]) -> None:
    bucket, _ = two_part_object
    expect_error("InvalidRequest", 400, s3.get_object, Bucket=bucket, Key="object",
                 PartNumber=1, Range="bytes=0-1")
    expect_error("400", 400, s3.head_object, Bucket=bucket, Key="object", PartNumber=1,
                 Range="bytes=0-1")


def test_part_number_of_a_simple_object(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="simple", Body=b"one piece")
    got = s3.get_object(Bucket=bucket, Key="simple", PartNumber=1)
    assert got["Body"].read() == b"one piece"
    expect_error("InvalidPartNumber", 416, s3.get_object, Bucket=bucket, Key="simple",
                 PartNumber=2)


# -- additional checksums ----------------------------------------------------------------


def test_crc32_composite_checksum(s3: BaseClient, bucket: str,
                                  blocks: tuple[bytes, bytes]) -> None:
    first, last = blocks[0], b"last part"
    upload = Upload(s3, bucket, ChecksumAlgorithm="CRC32")
    assert upload.created["ChecksumAlgorithm"] == "CRC32"
    assert upload.created["ChecksumType"] == "COMPOSITE"
    one = upload.put(1, first, ChecksumAlgorithm="CRC32")
    two = upload.put(2, last, ChecksumAlgorithm="CRC32")
    assert one["ChecksumCRC32"] == crc32_b64(first)
    assert two["ChecksumCRC32"] == crc32_b64(last)

    listed = s3.list_parts(**upload.ids())
    assert [p["ChecksumCRC32"] for p in listed["Parts"]] == [crc32_b64(first), crc32_b64(last)]
    assert (listed["ChecksumAlgorithm"], listed["ChecksumType"]) == ("CRC32", "COMPOSITE")
    in_progress = s3.list_multipart_uploads(Bucket=bucket)["Uploads"][0]
    assert in_progress["ChecksumAlgorithm"] == "CRC32"

    done = upload.complete(part_list(one, two, checksum="ChecksumCRC32"))
    raw_crcs = zlib.crc32(first).to_bytes(4, "big") + zlib.crc32(last).to_bytes(4, "big")
    composite = f"{crc32_b64(raw_crcs)}-2"
    assert done["ChecksumCRC32"] == composite
    assert done["ChecksumType"] == "COMPOSITE"

    got = s3.get_object(Bucket=bucket, Key="object", ChecksumMode="ENABLED")
    assert got["Body"].read() == first + last
    assert got["ChecksumCRC32"] == composite and got["ChecksumType"] == "COMPOSITE"
    head = s3.head_object(Bucket=bucket, Key="object", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == composite


def test_composite_completion_needs_every_part_checksum(s3: BaseClient, bucket: str) -> None:
    upload = Upload(s3, bucket, ChecksumAlgorithm="SHA256")
    part = upload.put(1, b"data", ChecksumAlgorithm="SHA256")
    assert part["ChecksumSHA256"] == b64(hashlib.sha256(b"data").digest())
    error = expect_error("InvalidRequest", 400, upload.complete, parts=part_list(part))
    assert "checksum for each part" in error["Message"]
    wrong = [{"PartNumber": 1, "ETag": part["ETag"],
              "ChecksumSHA256": b64(hashlib.sha256(b"other").digest())}]
    expect_error("InvalidPart", 400, upload.complete, parts=wrong)
    upload.complete(part_list(part, checksum="ChecksumSHA256"))


def test_part_checksum_algorithm_must_match_upload(isolated_s3: BaseClient, bucket: str) -> None:
    upload = Upload(isolated_s3, bucket, ChecksumAlgorithm="CRC32C")
    error = expect_error("InvalidRequest", 400, upload.put, number=1, body=b"data",
                         ChecksumAlgorithm="SHA1")
    assert "crc32c" in error["Message"]


@pytest.mark.parametrize("algorithm, explicit_type", [("CRC64NVME", None),
                                                      ("CRC32", "FULL_OBJECT")])
def test_full_object_checksum(s3: BaseClient, bucket: str, blocks: tuple[bytes, bytes],
                              algorithm: str, explicit_type: str | None) -> None:
    first, last = blocks[0], b"the end"
    whole = first + last
    expected = crc64nvme_b64(whole) if algorithm == "CRC64NVME" else crc32_b64(whole)
    member = f"Checksum{algorithm}"
    create = {"ChecksumType": explicit_type} if explicit_type else {}
    upload = Upload(s3, bucket, ChecksumAlgorithm=algorithm, **create)
    assert upload.created["ChecksumType"] == "FULL_OBJECT"
    one = upload.put(1, first, ChecksumAlgorithm=algorithm)
    two = upload.put(2, last, ChecksumAlgorithm=algorithm)

    done = upload.complete(part_list(one, two), ChecksumType="FULL_OBJECT", **{member: expected})
    assert done[member] == expected  # the CRC of the whole object, no -N
    assert done["ChecksumType"] == "FULL_OBJECT"
    got = s3.get_object(Bucket=bucket, Key="object", ChecksumMode="ENABLED")
    assert got[member] == expected and got["ChecksumType"] == "FULL_OBJECT"
    assert got["Body"].read() == whole  # botocore verified the full-object CRC on the way


def test_full_object_checksum_mismatch_on_complete(s3: BaseClient, bucket: str) -> None:
    upload = Upload(s3, bucket, ChecksumAlgorithm="CRC64NVME")
    parts = part_list(upload.put(1, b"data", ChecksumAlgorithm="CRC64NVME"))
    error = expect_error("BadDigest", 400, upload.complete, parts=parts,
                         ChecksumCRC64NVME=crc64nvme_b64(b"other"))
    assert "crc64nvme" in error["Message"].lower()
    error = expect_error("InvalidRequest", 400, upload.complete, parts=parts,
                         ChecksumType="COMPOSITE")
    assert error["Message"] == ("The upload was created using the FULL_OBJECT checksum mode. "
                                "The complete request must use the same checksum mode.")
    expect_error("InvalidRequest", 400, upload.complete, parts=parts,
                 ChecksumCRC32=crc32_b64(b"data"))
    upload.complete(parts, ChecksumCRC64NVME=crc64nvme_b64(b"data"))


@pytest.mark.parametrize("create, message", [
    ({"ChecksumAlgorithm": "SHA256", "ChecksumType": "FULL_OBJECT"}, "FULL_OBJECT"),
    ({"ChecksumAlgorithm": "CRC64NVME", "ChecksumType": "COMPOSITE"}, "COMPOSITE"),
    ({"ChecksumType": "FULL_OBJECT"}, "x-amz-checksum-algorithm"),
])
def test_create_rejects_impossible_checksum_types(s3: BaseClient, bucket: str, create: dict,
                                                  message: str) -> None:
    error = expect_error("InvalidRequest", 400, s3.create_multipart_upload, Bucket=bucket,
                         Key="k", **create)
    assert message in error["Message"]


def test_create_rejects_unknown_checksum_algorithm(s3: BaseClient, bucket: str) -> None:
    def unknown(request: AWSRequest, **kwargs: object) -> None:
        request.headers["x-amz-checksum-algorithm"] = "CRC99"

    s3.meta.events.register_first("before-sign.s3.CreateMultipartUpload", unknown)
    try:
        error = expect_error("InvalidRequest", 400, s3.create_multipart_upload,
                             Bucket=bucket, Key="k")
    finally:
        s3.meta.events.unregister("before-sign.s3.CreateMultipartUpload", unknown)
    assert "CRC99" in error["Message"]


# -- the transfer managers ---------------------------------------------------------------


def _same_file(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def test_boto3_upload_and_download_file_threaded(s3: BaseClient, bucket: str,
                                                 tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    data = os.urandom(40 * MiB)
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART,
                            max_concurrency=4, use_threads=True)
    s3.upload_file(str(source), bucket, "big.bin", Config=config)

    head = s3.head_object(Bucket=bucket, Key="big.bin", ChecksumMode="ENABLED")
    chunks = [data[i:i + PART] for i in range(0, len(data), PART)]
    assert head["ETag"] == multipart_etag(chunks)
    assert head["ContentLength"] == len(data)
    assert head["ChecksumCRC32"].endswith("-8")  # s3transfer asked for CRC32 per part

    target = tmp_path / "back.bin"
    s3.download_file(bucket, "big.bin", str(target), Config=config)
    assert _same_file(source, target)


def test_aws_cli_cp_round_trip(server: ServerProcess, aws_cli_env: dict, s3,
                               bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "thirty.bin"
    source.write_bytes(os.urandom(30 * MiB))
    aws_cli(aws_cli_env, server.endpoint, "s3", "cp", str(source), f"s3://{bucket}/thirty.bin")
    head = s3.head_object(Bucket=bucket, Key="thirty.bin")
    assert head["ETag"].endswith('-4"')  # the CLI's 8 MiB chunks: a multipart upload
    target = tmp_path / "thirty.back"
    aws_cli(aws_cli_env, server.endpoint, "s3", "cp", f"s3://{bucket}/thirty.bin", str(target))
    assert _same_file(source, target)


def test_aws_cli_sync_directory(server: ServerProcess, aws_cli_env: dict, s3,
                                bucket: str, tmp_path: Path) -> None:
    up = tmp_path / "up"
    files = {"a.txt": b"alpha\n", "empty": b"", "nested/b.bin": os.urandom(3000),
             "nested/deeper/big.bin": os.urandom(9 * MiB), "space name.txt": b"spaced"}
    for name, data in files.items():
        (up / name).parent.mkdir(parents=True, exist_ok=True)
        (up / name).write_bytes(data)
    aws_cli(aws_cli_env, server.endpoint, "s3", "sync", str(up), f"s3://{bucket}/tree")

    listed = s3.list_objects_v2(Bucket=bucket, Prefix="tree/")["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(f"tree/{n}" for n in files)
    for name, data in files.items():
        assert s3.get_object(Bucket=bucket, Key=f"tree/{name}")["Body"].read() == data
    big = s3.head_object(Bucket=bucket, Key="tree/nested/deeper/big.bin")
    assert big["ETag"].endswith('-2"')

    # a second sync has nothing to do; a sync down restores the same tree
    again = aws_cli(aws_cli_env, server.endpoint, "s3", "sync", str(up), f"s3://{bucket}/tree")
    assert "upload:" not in again.stdout
    down = tmp_path / "down"
    aws_cli(aws_cli_env, server.endpoint, "s3", "sync", f"s3://{bucket}/tree", str(down))
    for name, data in files.items():
        assert (down / name).read_bytes() == data


# -- buckets with uploads in progress ----------------------------------------------------


def test_delete_bucket_with_uploads_in_progress(s3: BaseClient, bucket: str) -> None:
    """AWS deletes a general purpose bucket that has only uploads in progress (its API
    reference requires aborting them first only for directory buckets); the uploads go with
    it, and a bucket created later under the same name does not see them."""
    upload = Upload(s3, bucket)
    part = upload.put(1, b"data")
    s3.put_object(Bucket=bucket, Key="object-in-the-way", Body=b"x")
    expect_error("BucketNotEmpty", 409, s3.delete_bucket, Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="object-in-the-way")

    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_error("NoSuchBucket", 404, s3.list_parts, **upload.ids())
    expect_error("NoSuchBucket", 404, upload.complete, parts=part_list(part))

    s3.create_bucket(Bucket=bucket)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    expect_error("NoSuchUpload", 404, s3.list_parts, **upload.ids())


# -- the connection after a rejected upload ----------------------------------------------


def test_rejected_part_keeps_the_connection_usable(server: ServerProcess, bucket: str) -> None:
    s3 = server.client()
    upload = Upload(s3, bucket, ChecksumAlgorithm="CRC64NVME")
    expect_error("InvalidRequest", 400, upload.put, number=1, body=b"x" * 100_000)  # CRC32
    assert upload.put(1, b"x" * 100_000, ChecksumAlgorithm="CRC64NVME")["ETag"]
