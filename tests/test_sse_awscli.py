"""Server-side encryption from the AWS CLI: `aws s3 cp` up and down with --sse AES256,
--sse aws:kms --sse-kms-key-id, and --sse-c with a key file (multipart both ways), copies
out of SSE-C, and `aws s3api head-object` showing the SSE headers."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import aws_cli
from tests.sse_helpers import SseEnv, key_md5

BODY = os.urandom(300_000)
BIG = os.urandom(9 * 1024 * 1024)     # above the CLI's 8 MiB multipart threshold


@pytest.fixture(scope="module")
def env(server) -> SseEnv:
    return SseEnv.create(server.endpoint)


@pytest.fixture(scope="module")
def box(s3) -> str:
    name = f"cli-sse-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def cli(server, aws_cli_env: dict) -> Any:
    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return aws_cli(aws_cli_env, server.endpoint, *args, check=check)
    return run


def _head(cli: Any, box: str, key: str, *extra: str) -> dict[str, Any]:
    return json.loads(cli("s3api", "head-object", "--bucket", box, "--key", key,
                          *extra).stdout)


def test_cp_with_sse_kms_and_a_key_id(cli: Any, box: str, env: SseEnv,
                                      tmp_path: Path) -> None:
    source, back = tmp_path / "up.bin", tmp_path / "down.bin"
    source.write_bytes(BODY)
    cli("s3", "cp", str(source), f"s3://{box}/kms", "--sse", "aws:kms",
        "--sse-kms-key-id", env.key_id)
    head = _head(cli, box, "kms")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", env.key_arn)
    assert "BucketKeyEnabled" not in head and "SSECustomerAlgorithm" not in head
    cli("s3", "cp", f"s3://{box}/kms", str(back))
    assert back.read_bytes() == BODY


def test_cp_with_sse_s3(cli: Any, s3, box: str, tmp_path: Path) -> None:
    source, back = tmp_path / "up.bin", tmp_path / "down.bin"
    source.write_bytes(BODY)
    cli("s3", "cp", str(source), f"s3://{box}/aes", "--sse", "AES256")
    head = s3.head_object(Bucket=box, Key="aes")
    assert head["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in head
    cli("s3", "cp", f"s3://{box}/aes", str(back))
    assert back.read_bytes() == BODY


def test_cp_with_sse_c_both_ways(cli: Any, s3, box: str, tmp_path: Path) -> None:
    key = os.urandom(32)
    key_file = tmp_path / "key.bin"
    key_file.write_bytes(key)
    sse_c = ["--sse-c", "AES256", "--sse-c-key", f"fileb://{key_file}"]
    source, back = tmp_path / "up.bin", tmp_path / "down.bin"
    source.write_bytes(BIG)
    cli("s3", "cp", str(source), f"s3://{box}/ssec", *sse_c)

    head = _head(cli, box, "ssec", "--sse-customer-algorithm", "AES256",
                 "--sse-customer-key", f"fileb://{key_file}")
    assert (head["SSECustomerAlgorithm"], head["SSECustomerKeyMD5"]) == ("AES256",
                                                                         key_md5(key))
    assert "ServerSideEncryption" not in head
    assert head["ContentLength"] == len(BIG) and head["ETag"].endswith('-2"')
    cli("s3", "cp", f"s3://{box}/ssec", str(back), *sse_c)
    assert back.read_bytes() == BIG

    # out of SSE-C into SSE-KMS, server side: the source key as --sse-c-copy-source-key
    cli("s3", "cp", f"s3://{box}/ssec", f"s3://{box}/from-ssec", "--sse", "aws:kms",
        "--sse-c-copy-source", "AES256", "--sse-c-copy-source-key", f"fileb://{key_file}")
    copied = s3.get_object(Bucket=box, Key="from-ssec")
    assert copied["ServerSideEncryption"] == "aws:kms" and copied["Body"].read() == BIG
