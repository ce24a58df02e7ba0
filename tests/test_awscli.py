"""The AWS CLI's high-level `aws s3` commands and its error output, against the server."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.conftest import ServerProcess, aws_cli

CLIENT_ERROR_EXIT = 255  # AWS CLI v1: a service error
S3_COMMAND_FAILED = 1  # AWS CLI v1: an `aws s3` command that failed


Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(server: ServerProcess, aws_cli_env: dict) -> Cli:
    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return aws_cli(aws_cli_env, server.endpoint, *args, check=check)
    return run


def fresh_name() -> str:
    return f"cli-{uuid.uuid4().hex[:16]}"


def test_mb_ls_cp_rm_rb(cli: Cli, s3: BaseClient, tmp_path: Path) -> None:
    name = fresh_name()
    assert cli("s3", "mb", f"s3://{name}").stdout.strip() == f"make_bucket: {name}"
    s3.head_bucket(Bucket=name)

    docs = tmp_path / "docs"
    (docs / "deeper").mkdir(parents=True)
    (docs / "notes.txt").write_bytes(b"first line\nsecond line\n")
    (docs / "deeper" / "small.txt").write_bytes(b"small\n")
    cli("s3", "cp", "--recursive", str(docs), f"s3://{name}/docs/")
    cli("s3", "cp", str(docs / "notes.txt"), f"s3://{name}/top.txt")

    top = cli("s3", "ls", f"s3://{name}/").stdout.splitlines()
    assert [line.split()[-2:] for line in top] == [["PRE", "docs/"], ["23", "top.txt"]]
    everything = cli("s3", "ls", "--recursive", f"s3://{name}").stdout.splitlines()
    assert [line.split()[-2:] for line in everything] == [
        ["6", "docs/deeper/small.txt"], ["23", "docs/notes.txt"], ["23", "top.txt"]]

    back = tmp_path / "back.txt"
    cli("s3", "cp", f"s3://{name}/docs/notes.txt", str(back))
    assert back.read_bytes() == (docs / "notes.txt").read_bytes()

    removed = cli("s3", "rm", "--recursive", f"s3://{name}/docs/").stdout.splitlines()
    assert sorted(removed) == [f"delete: s3://{name}/docs/deeper/small.txt",
                               f"delete: s3://{name}/docs/notes.txt"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"]] == ["top.txt"]

    failed = cli("s3", "rb", f"s3://{name}", check=False)
    assert failed.returncode == S3_COMMAND_FAILED
    assert failed.stderr.startswith(f"remove_bucket failed: s3://{name} An error occurred "
                                    "(BucketNotEmpty) when calling the DeleteBucket operation")
    assert cli("s3", "rb", "--force", f"s3://{name}").stdout.splitlines()[-1] == (
        f"remove_bucket: {name}")
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=name)


def test_mb_with_an_invalid_name(cli: Cli) -> None:
    failed = cli("s3", "mb", "s3://ab", check=False)
    assert failed.returncode == S3_COMMAND_FAILED
    assert failed.stderr.startswith("make_bucket failed: s3://ab An error occurred "
                                    "(InvalidBucketName) when calling the CreateBucket "
                                    "operation:")


def test_head_object_error_output(cli: Cli, bucket: str) -> None:
    """HEAD errors carry no body, so the CLI can only report the status."""
    missing = cli("s3api", "head-object", "--bucket", bucket, "--key", "nope", check=False)
    assert missing.returncode == CLIENT_ERROR_EXIT
    assert missing.stdout == ""
    assert missing.stderr.strip() == (
        "An error occurred (404) when calling the HeadObject operation: Not Found")

    no_bucket = cli("s3api", "head-object", "--bucket", fresh_name(), "--key", "k", check=False)
    assert no_bucket.returncode == CLIENT_ERROR_EXIT
    assert "(404) when calling the HeadObject operation: Not Found" in no_bucket.stderr


def test_error_with_a_body_shows_code_and_message(cli: Cli, bucket: str) -> None:
    failed = cli("s3api", "get-object", "--bucket", bucket, "--key", "nope", "/dev/null",
                 check=False)
    assert failed.returncode == CLIENT_ERROR_EXIT
    assert failed.stderr.strip() == ("An error occurred (NoSuchKey) when calling the GetObject "
                                     "operation: The specified key does not exist.")
