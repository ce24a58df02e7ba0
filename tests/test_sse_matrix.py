"""Every encryption mode (tests/sse_helpers.MODES) through every way of writing and reading an
object, with boto3 against the live server: PutObject, GetObject, HeadObject and their SSE
response headers exactly as AWS sends them (s3-sse.md §3.2), ranges, partNumber, copies
from each mode into each mode, multipart uploads and downloads, presigned GET and PUT."""

from __future__ import annotations

import hashlib
import os
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig

from tests.conftest import make_client
from tests.sse_helpers import (
    MODES,
    Mode,
    SseEnv,
    http,
    mode_pairs,
    mode_params,
    response_headers,
)

FRAME = 64 * 1024
BODY = os.urandom(3 * FRAME) + b"MATRIX-PLAINTEXT-" * 100 + os.urandom(FRAME // 2)
MIB = 1024 * 1024
PART = 5 * MIB
BIG = os.urandom(12 * MIB)                    # three parts: 5 MiB, 5 MiB, 2 MiB
TRANSFER = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART,
                          max_concurrency=2)
COPY_KEY = os.urandom(32)                     # the SSE-C key of copy destinations

RANGES = {
    "start": ("bytes=0-99", 0, 99),
    "across-frame": (f"bytes={FRAME - 40}-{FRAME + 40}", FRAME - 40, FRAME + 40),
    "middle-frames": (f"bytes={FRAME + 10}-{2 * FRAME + 500}", FRAME + 10, 2 * FRAME + 500),
    "suffix": ("bytes=-100", len(BODY) - 100, len(BODY) - 1),
    "open-end": (f"bytes={len(BODY) - 5000}-", len(BODY) - 5000, len(BODY) - 1),
}


@pytest.fixture(scope="module")
def env(server) -> SseEnv:
    return SseEnv.create(server.endpoint)


@pytest.fixture(scope="module")
def box(s3) -> str:
    name = f"matrix-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def stored(s3, box: str, env: SseEnv) -> Any:
    """stored(mode): the key of a BODY object written in that mode (written once)."""
    done: dict[str, str] = {}

    def get(mode: Mode) -> str:
        if mode.name not in done:
            key = f"single/{mode.name}"
            s3.put_object(Bucket=box, Key=key, Body=BODY, **env.write(mode))
            done[mode.name] = key
        return done[mode.name]
    return get


@pytest.fixture(scope="module")
def multipart(s3, box: str, env: SseEnv, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """multipart(mode): the key of a 3-part BIG object uploaded with upload_file."""
    source = tmp_path_factory.mktemp("matrix") / "big.bin"
    source.write_bytes(BIG)
    done: dict[str, str] = {}

    def get(mode: Mode) -> str:
        if mode.name not in done:
            key = f"multi/{mode.name}"
            s3.upload_file(str(source), box, key, ExtraArgs=env.write(mode), Config=TRANSFER)
            done[mode.name] = key
        return done[mode.name]
    return get


def _status(response: dict[str, Any]) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


def _md5(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


@pytest.mark.parametrize("mode", mode_params())
def test_put_get_head(s3, box: str, env: SseEnv, mode: Mode) -> None:
    key = f"pgh/{mode.name}"
    put = s3.put_object(Bucket=box, Key=key, Body=BODY, **env.write(mode))
    env.check(response_headers(put), mode, "PutObject")
    assert (put["ETag"] == _md5(BODY)) == mode.etag_is_md5

    got = s3.get_object(Bucket=box, Key=key, **env.read(mode))
    assert got["Body"].read() == BODY
    assert _status(got) == 200 and got["ETag"] == put["ETag"]
    env.check(response_headers(got), mode, "GetObject")

    head = s3.head_object(Bucket=box, Key=key, **env.read(mode))
    assert head["ContentLength"] == len(BODY) and head["ETag"] == put["ETag"]
    env.check(response_headers(head), mode, "HeadObject")


@pytest.mark.parametrize("span", list(RANGES), ids=list(RANGES))
@pytest.mark.parametrize("mode", mode_params())
def test_ranged_get(s3, box: str, env: SseEnv, stored: Any, mode: Mode, span: str) -> None:
    header, first, last = RANGES[span]
    got = s3.get_object(Bucket=box, Key=stored(mode), Range=header, **env.read(mode))
    assert got["Body"].read() == BODY[first:last + 1]
    assert _status(got) == 206
    assert got["ContentRange"] == f"bytes {first}-{last}/{len(BODY)}"
    assert got["ContentLength"] == last - first + 1
    env.check(response_headers(got), mode, "GetObject")


@pytest.mark.parametrize("mode", mode_params())
def test_part_number_of_a_single_part_object(s3, box: str, env: SseEnv, stored: Any,
                                             mode: Mode) -> None:
    got = s3.get_object(Bucket=box, Key=stored(mode), PartNumber=1, **env.read(mode))
    assert got["Body"].read() == BODY
    env.check(response_headers(got), mode, "GetObject")


@pytest.mark.parametrize("mode", mode_params())
def test_multipart_upload_and_download(s3, box: str, env: SseEnv, multipart: Any,
                                       mode: Mode, tmp_path: Path) -> None:
    key = multipart(mode)
    head = s3.head_object(Bucket=box, Key=key, **env.read(mode))
    assert head["ETag"].endswith('-3"') and head["ContentLength"] == len(BIG)
    env.check(response_headers(head), mode, "HeadObject")
    target = tmp_path / "back.bin"
    s3.download_file(box, key, str(target), ExtraArgs=env.read(mode), Config=TRANSFER)
    assert target.read_bytes() == BIG


@pytest.mark.parametrize("mode", mode_params())
def test_multipart_part_number(s3, box: str, env: SseEnv, multipart: Any, mode: Mode) -> None:
    key = multipart(mode)
    second = s3.get_object(Bucket=box, Key=key, PartNumber=2, **env.read(mode))
    assert second["Body"].read() == BIG[PART:2 * PART]
    assert _status(second) == 206 and second["PartsCount"] == 3
    assert second["ContentRange"] == f"bytes {PART}-{2 * PART - 1}/{len(BIG)}"
    env.check(response_headers(second), mode, "GetObject")
    last = s3.head_object(Bucket=box, Key=key, PartNumber=3, **env.read(mode))
    assert last["ContentLength"] == len(BIG) - 2 * PART and last["PartsCount"] == 3
    env.check(response_headers(last), mode, "HeadObject")


@pytest.mark.parametrize("mode", mode_params())
def test_multipart_range_across_a_part_boundary(s3, box: str, env: SseEnv, multipart: Any,
                                                mode: Mode) -> None:
    first, last = PART - 3000, PART + 70_000   # also crosses the next part's first frame
    got = s3.get_object(Bucket=box, Key=multipart(mode), Range=f"bytes={first}-{last}",
                        **env.read(mode))
    assert got["Body"].read() == BIG[first:last + 1]
    assert got["ContentRange"] == f"bytes {first}-{last}/{len(BIG)}"
    env.check(response_headers(got), mode, "GetObject")


@pytest.mark.parametrize(("source", "dest"), mode_pairs())
def test_copy(s3, box: str, env: SseEnv, stored: Any, source: Mode, dest: Mode) -> None:
    key = f"copy/{source.name}/{dest.name}"
    copied = s3.copy_object(Bucket=box, Key=key,
                            CopySource={"Bucket": box, "Key": stored(source)},
                            **env.copy_source(source), **env.write(dest, COPY_KEY))
    env.check(response_headers(copied), dest, "CopyObject", COPY_KEY)
    etag = copied["CopyObjectResult"]["ETag"]
    assert (etag == _md5(BODY)) == dest.etag_is_md5
    got = s3.get_object(Bucket=box, Key=key, **env.read(dest, COPY_KEY))
    assert got["Body"].read() == BODY and got["ETag"] == etag
    env.check(response_headers(got), dest, "GetObject", COPY_KEY)
    head = s3.head_object(Bucket=box, Key=key, **env.read(dest, COPY_KEY))
    env.check(response_headers(head), dest, "HeadObject", COPY_KEY)


@pytest.fixture(scope="module")
def presigner(server) -> Any:
    return make_client(server.endpoint, signature_version="s3v4")


@pytest.mark.parametrize("mode", mode_params())
def test_presigned_get(box: str, env: SseEnv, stored: Any, presigner: Any,
                       mode: Mode) -> None:
    url = presigner.generate_presigned_url("get_object", Params={
        "Bucket": box, "Key": stored(mode), **env.read(mode)})
    assert "X-Amz-Signature=" in url
    if mode.ssec:   # SigV4: the key stays a (signed) header, never in the URL
        key = env.read_headers(mode)["x-amz-server-side-encryption-customer-key"]
        assert key not in url and urllib.parse.quote(key, safe="") not in url
    got = http("GET", url, headers=env.read_headers(mode))
    assert got.status == 200, got.data
    assert got.data == BODY
    env.check(got.headers, mode, "GetObject")


@pytest.mark.parametrize("mode", mode_params())
def test_presigned_put(s3, box: str, env: SseEnv, presigner: Any, mode: Mode) -> None:
    key = f"presigned-put/{mode.name}"
    url = presigner.generate_presigned_url("put_object", Params={
        "Bucket": box, "Key": key, **env.write(mode)})
    signed_headers = url.split("X-Amz-SignedHeaders=")[1].split("&")[0]
    for name in env.write_headers(mode):   # the SSE headers are part of the signature
        assert name.lower() in signed_headers
    put = http("PUT", url, body=BODY, headers=env.write_headers(mode))
    assert put.status == 200, put.data
    env.check(put.headers, mode, "PutObject")
    got = s3.get_object(Bucket=box, Key=key, **env.read(mode))
    assert got["Body"].read() == BODY
    env.check(response_headers(got), mode, "GetObject")


@pytest.mark.parametrize("mode", mode_params([m for m in MODES if not m.kms]))
def test_presigned_get_sigv2(s3, box: str, env: SseEnv, stored: Any, mode: Mode) -> None:
    """boto3's default presigned URLs in us-east-1 are SigV2, and SigV2 carries every x-amz-*
    header in the query string, the SSE-C key included: the URL alone reads the object
    (s3-sse.md §6.9). (SSE-KMS refuses SigV2: tests/test_sse_errors.py.)"""
    url = s3.generate_presigned_url("get_object", Params={
        "Bucket": box, "Key": stored(mode), **env.read(mode)})
    assert "AWSAccessKeyId=" in url
    got = http("GET", url)
    assert got.status == 200, got.data
    assert got.data == BODY
    env.check(got.headers, mode, "GetObject")
