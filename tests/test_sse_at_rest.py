"""What a thief with the disk finds: for every mode, objects written (single part, multipart,
copied, through a SigV2 URL that carries the SSE-C key) with a recognisable plaintext, then
every file of the data directory (blobs, SQLite db and WAL, the KMS's store and audit
ledger) and the server's log read while the server runs and again after it stopped. No
plaintext, in clear, base64 or hex; no SSE-C key in any form; no plaintext checksum or MD5
that would identify the content."""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess, make_client
from tests.sse_helpers import MODES, Mode, SseEnv, http

MARKER_REPEAT = 8_000                 # ~400 KB of plaintext: several 64 KiB frames


@dataclass
class Written:
    """What one mode's objects were made of, and what they must never leave on disk."""

    plaintext: bytes
    marker: bytes
    checksums: dict[str, str] = field(default_factory=dict)   # what -> base64 value
    md5s: list[bytes] = field(default_factory=list)       # raw MD5s of plaintexts


@dataclass
class Disk:
    env: SseEnv
    written: dict[str, Written]
    snapshots: list[dict[Path, bytes]]                    # running, then stopped


def _plaintext(mode: Mode) -> tuple[bytes, bytes]:
    marker = f"<AT-REST-{mode.name}-{uuid.uuid4().hex}>".encode()
    marker += b"#" * (-len(marker) % 3)               # so its base64 repeats in the body's
    return marker, marker * MARKER_REPEAT


def _write(s3: Any, env: SseEnv, bucket: str, mode: Mode) -> Written:
    marker, plaintext = _plaintext(mode)
    done = Written(plaintext, marker)
    write, read = env.write(mode), env.read(mode)
    put = s3.put_object(Bucket=bucket, Key=f"{mode.name}/single", Body=plaintext,
                        ChecksumAlgorithm="SHA256", **write)
    done.checksums["PutObject SHA-256"] = put["ChecksumSHA256"]
    done.md5s.append(hashlib.md5(plaintext).digest())
    crc = s3.put_object(Bucket=bucket, Key=f"{mode.name}/crc", Body=plaintext[1:], **write)
    done.checksums["PutObject CRC32"] = crc["ChecksumCRC32"]     # boto3's default

    key = f"{mode.name}/multi"
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256",
                                        **write)["UploadId"]
    half = plaintext[: len(plaintext) // 2]
    part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=half,
                          ChecksumAlgorithm="SHA256", **read)
    done.checksums["UploadPart SHA-256"] = part["ChecksumSHA256"]
    done.md5s.append(hashlib.md5(half).digest())
    complete = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, **read,
                                 MultipartUpload={"Parts": [{
                                     "PartNumber": 1, "ETag": part["ETag"],
                                     "ChecksumSHA256": part["ChecksumSHA256"]}]})
    done.checksums["composite SHA-256"] = complete["ChecksumSHA256"].partition("-")[0]
    s3.copy_object(Bucket=bucket, Key=f"{mode.name}/copy", **write, **env.copy_source(mode),
                   CopySource={"Bucket": bucket, "Key": f"{mode.name}/single"})
    assert s3.get_object(Bucket=bucket, Key=f"{mode.name}/copy", **read)["Body"].read() == \
        plaintext
    if mode.ssec:   # a SigV2 URL carries the SSE-C key in its query: it must not be logged
        url = s3.generate_presigned_url("get_object", Params={
            "Bucket": bucket, "Key": f"{mode.name}/single", **read})
        got = http("GET", url)
        assert got.status == 200 and got.data == plaintext
    return done


def _files(proc: ServerProcess) -> dict[Path, bytes]:
    paths = [p for p in proc.data_dir.rglob("*") if p.is_file()] + [proc.log_path]
    return {path: path.read_bytes() for path in paths}


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Disk]:
    proc = ServerProcess(tmp_path_factory.mktemp("at-rest") / "data").start()
    try:
        s3 = make_client(proc.endpoint)
        env = SseEnv.create(proc.endpoint)
        s3.create_bucket(Bucket="at-rest")
        written = {}
        for mode in MODES:
            written[mode.name] = _write(s3, env, "at-rest", mode)
        running = _files(proc)
        proc.stop()
        yield Disk(env, written, [running, _files(proc)])
    finally:
        if proc.process is not None:
            proc.kill()


def _found(disk: Disk, needles: dict[str, bytes]) -> list[str]:
    found = []
    for phase, files in zip(("running", "stopped"), disk.snapshots, strict=True):
        for path, content in files.items():
            found += [f"{what} in {path.name} ({phase})" for what, needle in needles.items()
                      if needle in content]
    return found


def _forms(name: str, data: bytes, *, raw: bool = True) -> dict[str, bytes]:
    """data in clear (if raw), base64 (standard, URL-safe, percent-encoded) and hex."""
    text = base64.b64encode(data)
    forms = {f"{name} base64": text, f"{name} urlsafe base64": base64.urlsafe_b64encode(data),
             f"{name} base64 in a URL": urllib.parse.quote(text.decode(), safe="").encode(),
             f"{name} hex": data.hex().encode(), f"{name} HEX": data.hex().upper().encode()}
    if raw:
        forms[name] = data
    return forms


def _written(disk: Disk, mode: Mode) -> Written:
    if mode.name not in disk.written:
        pytest.fail(f"{mode.name} objects could not be written")
    return disk.written[mode.name]


@pytest.mark.parametrize("mode", [pytest.param(m, id=m.name) for m in MODES])
def test_no_plaintext_on_disk(disk: Disk, mode: Mode) -> None:
    done = _written(disk, mode)
    needles = {"marker": done.marker, "marker hex": done.marker.hex().encode()}
    for shift in range(3):   # base64 of the body at any alignment holds one of these
        piece = done.plaintext[shift: shift + 3 * len(done.marker)]
        needles[f"marker base64 +{shift}"] = base64.b64encode(piece)[8:-8]
    assert _found(disk, needles) == []


@pytest.mark.parametrize("mode", [pytest.param(m, id=m.name)
                                  for m in MODES if m.ssec])
def test_customer_key_nowhere(disk: Disk, mode: Mode) -> None:
    _written(disk, mode)
    assert _found(disk, _forms("SSE-C key", disk.env.customer_key)) == []


@pytest.mark.parametrize("mode", [pytest.param(m, id=m.name) for m in MODES])
def test_no_plaintext_checksum_on_disk(disk: Disk, mode: Mode) -> None:
    """The checksums the client sent are of the plaintext: kept only sealed (s3-sse.md §6.1
    stores them; AWS encrypts them with the object, §4.4)."""
    done = _written(disk, mode)
    needles: dict[str, bytes] = {}
    for what, value in done.checksums.items():
        digest = base64.b64decode(value)   # 4 raw bytes (CRC32) could occur by chance
        needles.update(_forms(what, digest, raw=len(digest) >= 16))
    assert _found(disk, needles) == []


@pytest.mark.parametrize("mode", [pytest.param(m, id=m.name)
                                  for m in MODES if not m.etag_is_md5])
def test_no_plaintext_md5_on_disk(disk: Disk, mode: Mode) -> None:
    """SSE-KMS and SSE-C ETags are not the plaintext's MD5 (§7): nor is it kept anywhere.
    (SSE-S3's ETag is the MD5, as on AWS.)"""
    done = _written(disk, mode)
    needles: dict[str, bytes] = {}
    for number, md5 in enumerate(done.md5s):
        needles.update(_forms(f"MD5 #{number}", md5))
    assert _found(disk, needles) == []


@pytest.fixture(scope="module")
def checksum_box(s3) -> str:
    name = f"checksums-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def shared_env(server) -> SseEnv:
    return SseEnv.create(server.endpoint)


@pytest.mark.parametrize("mode", [pytest.param(m, id=m.name) for m in MODES])
def test_sealed_checksums_still_answer(s3, checksum_box: str, shared_env: SseEnv,
                                       mode: Mode) -> None:
    """Kept sealed, the plaintext checksum still answers x-amz-checksum-mode: ENABLED on a
    full GET and HEAD, single part and multipart (§1.3, §6.2)."""
    env = shared_env
    body = b"checksummed " * 10_000
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    key = f"{mode.name}/single"
    s3.put_object(Bucket=checksum_box, Key=key, Body=body, ChecksumAlgorithm="SHA256",
                  **env.write(mode))
    head = s3.head_object(Bucket=checksum_box, Key=key, ChecksumMode="ENABLED",
                          **env.read(mode))
    assert head.get("ChecksumSHA256") == sha
    got = s3.get_object(Bucket=checksum_box, Key=key, ChecksumMode="ENABLED", **env.read(mode))
    assert got["Body"].read() == body and got.get("ChecksumSHA256") == sha

    key = f"{mode.name}/multi"
    upload = s3.create_multipart_upload(Bucket=checksum_box, Key=key,
                                        ChecksumAlgorithm="SHA256", **env.write(mode))
    part = s3.upload_part(Bucket=checksum_box, Key=key, UploadId=upload["UploadId"],
                          PartNumber=1, Body=body, ChecksumAlgorithm="SHA256",
                          **env.read(mode))
    assert part["ChecksumSHA256"] == sha
    done = s3.complete_multipart_upload(
        Bucket=checksum_box, Key=key, UploadId=upload["UploadId"], **env.read(mode),
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"],
                                    "ChecksumSHA256": sha}]})
    composite = done.get("ChecksumSHA256")
    assert composite is not None and composite.endswith("-1")
    head = s3.head_object(Bucket=checksum_box, Key=key, ChecksumMode="ENABLED",
                          **env.read(mode))
    assert head.get("ChecksumSHA256") == composite
