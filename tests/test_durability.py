"""Crash safety, clean shutdown, concurrent writers: nothing half-written is ever seen."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.conftest import wait_until
from tests.rawhttp import open_put, read_status


def _blob_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "objects" / "blobs").rglob("*") if p.is_file()]


def _tmp_files(data_dir: Path) -> list[Path]:
    return list((data_dir / "objects" / "tmp").iterdir())


def test_kill_during_large_put_keeps_old_version(server_factory, tmp_path: Path) -> None:
    proc = server_factory()
    s3 = proc.client()
    s3.create_bucket(Bucket="crash")
    s3.put_object(Bucket="crash", Key="k", Body=b"old version")
    sock = open_put(proc.endpoint, "/crash/k", 64 * 1024 * 1024)
    sock.sendall(os.urandom(8 * 1024 * 1024))  # a part of the body, then the crash
    assert wait_until(lambda: any(f.stat().st_size > 0 for f in _tmp_files(proc.data_dir)))
    proc.kill()
    sock.close()
    assert _tmp_files(proc.data_dir)  # the unfinished write is on disk...
    proc.start()
    assert not _tmp_files(proc.data_dir)  # ...and gone after the restart
    s3 = proc.client()
    assert s3.get_object(Bucket="crash", Key="k")["Body"].read() == b"old version"
    assert len(_blob_files(proc.data_dir)) == 1


@pytest.mark.parametrize("delay_steps", [1, 3, 6, 10])
def test_kill_at_any_moment_leaves_old_or_new(server_factory, delay_steps: int) -> None:
    """Overwrite a key in a loop and kill -9 the server at different moments; after restart
    the key holds one complete version whose bytes match its ETag."""
    proc = server_factory()
    s3 = proc.client()
    s3.create_bucket(Bucket="crash")
    versions = {}
    for i in range(3):
        body = os.urandom(256 * 1024 + i)
        versions[hashlib.md5(body).hexdigest()] = body
        s3.put_object(Bucket="crash", Key="k", Body=body)
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            body = versions[list(versions)[i % len(versions)]]
            try:
                s3.put_object(Bucket="crash", Key="k", Body=body)
            except (BotoCoreError, ClientError):
                return
            i += 1

    with ThreadPoolExecutor(4) as pool:
        for _ in range(4):
            pool.submit(writer)
        threading.Event().wait(0.05 * delay_steps)
        proc.kill()
        stop.set()
    proc.start()
    got = proc.client().get_object(Bucket="crash", Key="k")
    body = got["Body"].read()
    assert got["ETag"].strip('"') in versions
    assert hashlib.md5(body).hexdigest() == got["ETag"].strip('"')
    assert len(_blob_files(proc.data_dir)) == 1


def test_sigterm_lets_a_write_in_flight_finish(server_factory) -> None:
    proc = server_factory(None, "--shutdown-grace", "20")
    s3 = proc.client()
    s3.create_bucket(Bucket="graceful")
    body = os.urandom(4 * 1024 * 1024)
    sock = open_put(proc.endpoint, "/graceful/k", len(body))
    sock.sendall(body[:1024 * 1024])
    assert wait_until(lambda: any(f.stat().st_size > 0 for f in _tmp_files(proc.data_dir)))
    assert proc.process is not None
    proc.process.send_signal(signal.SIGTERM)
    sock.sendall(body[1024 * 1024:])
    assert read_status(sock) == 200
    sock.close()
    assert proc.process.wait(30) == 0
    proc.process = None
    proc.start()
    got = proc.client().get_object(Bucket="graceful", Key="k")["Body"].read()
    assert got == body


def test_sigterm_discards_a_write_that_never_finishes(server_factory) -> None:
    proc = server_factory(None, "--shutdown-grace", "1")
    s3 = proc.client()
    s3.create_bucket(Bucket="graceful")
    sock = open_put(proc.endpoint, "/graceful/k", 4 * 1024 * 1024)
    sock.sendall(os.urandom(1024 * 1024))
    assert wait_until(lambda: any(f.stat().st_size > 0 for f in _tmp_files(proc.data_dir)))
    assert proc.process is not None
    proc.process.send_signal(signal.SIGTERM)
    assert proc.process.wait(30) == 0
    proc.process = None
    sock.close()
    assert not _tmp_files(proc.data_dir)
    assert not _blob_files(proc.data_dir)
    proc.start()
    with pytest.raises(ClientError) as error:
        proc.client().head_object(Bucket="graceful", Key="k")
    assert error.value.response["Error"]["Code"] == "404"


def test_concurrent_puts_to_one_key_last_writer_wins(s3, bucket: str, server) -> None:
    bodies = [bytes([i]) * (512 * 1024 + i) for i in range(16)]

    def put(body: bytes) -> None:
        s3.put_object(Bucket=bucket, Key="contended", Body=body)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, bodies))
    got = s3.get_object(Bucket=bucket, Key="contended")
    body = got["Body"].read()
    assert body in bodies
    assert hashlib.md5(body).hexdigest() == got["ETag"].strip('"')


def test_get_keeps_its_bytes_while_the_key_is_overwritten(s3, bucket: str) -> None:
    first = os.urandom(8 * 1024 * 1024)
    s3.put_object(Bucket=bucket, Key="k", Body=first)
    stream = s3.get_object(Bucket=bucket, Key="k")["Body"]
    head = stream.read(1024)
    s3.put_object(Bucket=bucket, Key="k", Body=b"second")
    s3.delete_object(Bucket=bucket, Key="k")
    assert head + stream.read() == first


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_memory_stays_flat_for_a_large_object(server_factory, tmp_path: Path) -> None:
    """A 512 MiB PUT and GET stream: the server's RSS stays far below the object's size."""
    proc = server_factory()
    s3 = proc.client()
    s3.create_bucket(Bucket="big")
    source = tmp_path / "big.bin"
    block = os.urandom(1024 * 1024)
    with source.open("wb") as f:
        for _ in range(512):
            f.write(block)
    peak = [_rss_mib(proc.pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mib(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with source.open("rb") as f:
            s3.put_object(Bucket="big", Key="k", Body=f)
        received = 0
        for chunk in s3.get_object(Bucket="big", Key="k")["Body"].iter_chunks(1024 * 1024):
            received += len(chunk)
    finally:
        done.set()
        sampler.join()
    assert received == 512 * 1024 * 1024
    assert peak[0] < 150, f"server RSS peaked at {peak[0]:.0f} MiB"
