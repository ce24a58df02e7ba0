"""Shared fixtures: a real server in a subprocess on a free port, and real clients.

`server` is one server for the whole session (fast); tests that restart or kill a server
use `server_factory` to get their own on their own data directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from kms.service.errors import KmsError

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"


@dataclass
class ServerProcess:
    data_dir: Path
    process: subprocess.Popen[str] | None = None
    endpoint: str = ""
    log_path: Path = field(default_factory=Path)

    def start(self, *extra: str) -> ServerProcess:
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-server.log"
        log = open(self.log_path, "a")  # noqa: SIM115 - kept open for the process's life
        self.process = subprocess.Popen(
            [sys.executable, "-m", "objstore", "serve", "--port", "0", "--data-dir",
             str(self.data_dir), "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY,
             *extra],
            stdout=subprocess.PIPE, stderr=log, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith(("http://", "https://")):  # https: serve --tls
            self.process.kill()
            raise RuntimeError(f"server did not start: {line!r}\n{self.log_path.read_text()}")
        self.endpoint = line
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        code = self.process.wait(timeout)
        self.process = None
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self) -> ServerProcess:
        self.stop()
        return self.start()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def client(self, service: str = "s3", **config: object) -> object:
        return make_client(self.endpoint, service, **config)


def make_client(endpoint: str, service: str = "s3", *, access_key: str = ACCESS_KEY,
                secret_key: str = SECRET_KEY, **config: object):
    return boto3.client(service, endpoint_url=endpoint, aws_access_key_id=access_key,
                        aws_secret_access_key=secret_key, region_name=REGION,
                        config=Config(retries={"max_attempts": 1}, **config))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("shared") / "data").start()
    yield proc
    if proc.process is not None:
        proc.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[object]:
    started: list[ServerProcess] = []

    def start(data_dir: Path | None = None, *extra: str) -> ServerProcess:
        proc = ServerProcess(data_dir or tmp_path / f"data{len(started)}").start(*extra)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.process is not None:
            proc.process.kill()
            proc.process.wait()


@pytest.fixture(scope="session")
def s3(server: ServerProcess):
    return server.client()


@pytest.fixture
def bucket(s3) -> str:
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def aws_cli_env(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Environment for running `aws` (from the venv) against the shared server."""
    home = tmp_path_factory.mktemp("awshome")
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=str(home / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"), HOME=str(home))
    env.pop("AWS_PROFILE", None)
    return env


def aws_cli(env: dict, endpoint: str, *args: str, check: bool = True,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    aws = str(Path(sys.executable).parent / "aws")
    return subprocess.run([aws, "--endpoint-url", endpoint, *args], env=env, check=check,
                          capture_output=True, text=True, timeout=timeout)


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def client_error(call: Callable[..., Any], **kwargs: Any) -> ClientError:
    """The ClientError a boto3 call that must fail raises."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value


def assert_error(error: ClientError, code: str, status: int) -> None:
    assert error.response["Error"]["Code"] == code
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == status


def expect_error(code: str, status: int, call: Callable[..., object],
                 **params: object) -> dict[str, str]:
    """Call a boto3 operation that must fail with this code and HTTP status."""
    error = client_error(call, **params)
    assert (error.response["Error"]["Code"],
            error.response["ResponseMetadata"]["HTTPStatusCode"]) == (code, status), \
        error.response["Error"]
    return error.response["Error"]


def kms_error(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> KmsError:
    """The KmsError an in-process KMS call that must fail raises."""
    with pytest.raises(KmsError) as caught:
        fn(*args, **kwargs)
    return caught.value


def add_user(server: ServerProcess, name: str) -> dict[str, str]:
    """Add a user with `objstore user add` (as the README says to) beside the running
    server; returns its printed fields: name, arn, access key id, secret access key."""
    out = subprocess.run([sys.executable, "-m", "objstore", "user", "add", name, "--data-dir",
                          str(server.data_dir)], check=True, capture_output=True,
                         text=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines())}
