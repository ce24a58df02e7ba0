"""`objstore serve --tls`: HTTPS with a self-signed certificate kept in the data directory
(or the user's own), and `--require-tls-for-sse-c`, which refuses SSE-C over plain HTTP as
AWS does."""

from __future__ import annotations

import base64
import datetime as dt
import filecmp
import hashlib
import os
import shutil
import socket
import stat
import subprocess
import sys
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, SSLError
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from objstore.cli import tls
from tests import rawhttp
from tests.conftest import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    ServerProcess,
    aws_cli,
    client_error,
    expect_error,
    make_client,
)

INSECURE_SSE_C = ("Requests specifying Server Side Encryption with Customer provided keys "
                  "must be made over a secure connection.")
SSE_C_KEY = b"0123456789abcdef0123456789ABCDEF"  # 32 bytes: also usable on the CLI
SSE_C = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_C_KEY}
MiB = 1024 * 1024
Factory = Callable[..., ServerProcess]


def cert_of(server: ServerProcess) -> Path:
    return server.data_dir / "tls" / "cert.pem"


def https_client(server: ServerProcess, service: str = "s3", verify: Path | None = None,
                 **config: object):
    return boto3.client(service, endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, region_name=REGION,
                        verify=str(verify or cert_of(server)),
                        config=Config(retries={"max_attempts": 1}, **config))


def fresh_bucket(s3) -> str:
    name = f"tls-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One HTTPS server for the read-and-write tests; it also requires TLS for SSE-C, so
    every SSE-C call below proves HTTPS passes that check."""
    proc = ServerProcess(tmp_path_factory.mktemp("tls") / "data").start(
        "--tls", "--require-tls-for-sse-c")
    yield proc
    if proc.process is not None:
        proc.stop()


@pytest.fixture(scope="module")
def s3s(tls_server: ServerProcess):
    return https_client(tls_server)


# --- HTTPS with boto3 --------------------------------------------------------------------

def test_banner_names_the_https_endpoint_then_how_to_trust_it(tls_server: ServerProcess
                                                              ) -> None:
    assert tls_server.endpoint.startswith("https://127.0.0.1:")
    assert tls_server.process is not None and tls_server.process.stdout is not None
    hints = "".join(tls_server.process.stdout.readline() for _ in range(4))
    cert = str(cert_of(tls_server).resolve())
    assert f'verify="{cert}"' in hints
    assert f"--ca-bundle {cert}" in hints
    assert f"AWS_CA_BUNDLE={cert}" in hints


def test_put_get_over_https_uses_aws_chunked_with_a_crc_trailer(s3s) -> None:
    bucket = fresh_bucket(s3s)
    sent: list[dict[str, str]] = []
    s3s.meta.events.register("before-send.s3.PutObject",
                             lambda request, **_: sent.append(dict(request.headers)))
    body = os.urandom(300_000)
    s3s.put_object(Bucket=bucket, Key="dir/chunked.bin", Body=body)
    # what makes HTTPS different for the server: botocore streams the body aws-chunked
    # with its CRC32 in a trailer instead of a Content-MD5 or a checksum header
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v)
               for k, v in sent[0].items()}
    assert headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert headers["x-amz-trailer"] == "x-amz-checksum-crc32"
    got = s3s.get_object(Bucket=bucket, Key="dir/chunked.bin", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got["ChecksumCRC32"]
    ranged = s3s.get_object(Bucket=bucket, Key="dir/chunked.bin", Range="bytes=10-19")
    assert ranged["Body"].read() == body[10:20]
    keys = [o["Key"] for o in s3s.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["dir/chunked.bin"]


def test_multipart_upload_file_and_download_file_over_https(s3s, tmp_path: Path) -> None:
    bucket = fresh_bucket(s3s)
    source, copy = tmp_path / "big.bin", tmp_path / "back.bin"
    source.write_bytes(os.urandom(20 * MiB))
    config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB)
    s3s.upload_file(str(source), bucket, "big.bin", Config=config)
    assert s3s.head_object(Bucket=bucket, Key="big.bin")["ETag"].endswith('-3"')
    s3s.download_file(bucket, "big.bin", str(copy), Config=config)
    assert filecmp.cmp(source, copy, shallow=False)


def test_sse_c_over_https_is_allowed_even_when_tls_is_required(s3s, tmp_path: Path) -> None:
    bucket = fresh_bucket(s3s)
    put = s3s.put_object(Bucket=bucket, Key="c", Body=b"customer keyed", **SSE_C)
    assert put["SSECustomerAlgorithm"] == "AES256"
    assert s3s.get_object(Bucket=bucket, Key="c", **SSE_C)["Body"].read() == b"customer keyed"
    assert s3s.head_object(Bucket=bucket, Key="c", **SSE_C)["ContentLength"] == 14
    expect_error("InvalidRequest", 400, s3s.get_object, Bucket=bucket, Key="c")
    # the copy-source SSE-C headers pass over HTTPS too
    s3s.copy_object(Bucket=bucket, Key="c2", CopySource={"Bucket": bucket, "Key": "c"},
                    CopySourceSSECustomerAlgorithm="AES256",
                    CopySourceSSECustomerKey=SSE_C_KEY)
    assert s3s.get_object(Bucket=bucket, Key="c2")["Body"].read() == b"customer keyed"
    # and a multipart SSE-C upload (every part carries the key)
    source = tmp_path / "parts.bin"
    source.write_bytes(os.urandom(11 * MiB))
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    s3s.upload_file(str(source), bucket, "mp", ExtraArgs=SSE_C, Config=config)
    back = tmp_path / "parts.back"
    s3s.download_file(bucket, "mp", str(back), ExtraArgs=SSE_C, Config=config)
    assert filecmp.cmp(source, back, shallow=False)


def test_sse_kms_over_https(s3s) -> None:
    bucket = fresh_bucket(s3s)
    put = s3s.put_object(Bucket=bucket, Key="k", Body=b"kms keyed",
                         ServerSideEncryption="aws:kms")
    assert put["ServerSideEncryption"] == "aws:kms"
    got = s3s.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"kms keyed"
    assert got["SSEKMSKeyId"] == put["SSEKMSKeyId"]


def test_kms_client_over_https(tls_server: ServerProcess) -> None:
    kms = https_client(tls_server, "kms")
    key_id = kms.create_key(Description="over https")["KeyMetadata"]["KeyId"]
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256",
                                     EncryptionContext={"purpose": "tls test"})
    assert len(data_key["Plaintext"]) == 32
    clear = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"],
                        EncryptionContext={"purpose": "tls test"})["Plaintext"]
    assert clear == data_key["Plaintext"]


def test_clients_that_do_not_trust_the_certificate_are_refused(tls_server: ServerProcess
                                                               ) -> None:
    untrusting = boto3.client("s3", endpoint_url=tls_server.endpoint, region_name=REGION,
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                              config=Config(retries={"max_attempts": 1}))
    with pytest.raises(SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        untrusting.list_buckets()


def test_plain_http_to_the_tls_port_fails_cleanly(tls_server: ServerProcess) -> None:
    port = urllib.parse.urlsplit(tls_server.endpoint).port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        while piece := sock.recv(4096):
            answer += piece
    assert not answer.startswith(b"HTTP/")  # the handshake failed; the socket was closed
    plain = make_client(f"http://127.0.0.1:{port}")
    with pytest.raises(BotoCoreError):
        plain.list_buckets()
    # the server is still up and serving HTTPS
    assert tls_server.process is not None and tls_server.process.poll() is None
    assert "Buckets" in https_client(tls_server).list_buckets()


@pytest.mark.skipif(not (Path(sys.executable).parent / "aws").exists(),
                    reason="the AWS CLI is not installed in the venv")
def test_aws_cli_over_https_with_sse_c(tls_server: ServerProcess, aws_cli_env: dict,
                                       tmp_path: Path) -> None:
    bucket = fresh_bucket(https_client(tls_server))
    cert = str(cert_of(tls_server))
    source, back = tmp_path / "up.txt", tmp_path / "down.txt"
    source.write_text("sent with the AWS CLI over HTTPS\n")
    key = SSE_C_KEY.decode()
    aws_cli(aws_cli_env, tls_server.endpoint, "--ca-bundle", cert, "s3", "cp", str(source),
            f"s3://{bucket}/cli.txt", "--sse-c", "AES256", "--sse-c-key", key)
    # AWS_CA_BUNDLE does the same as --ca-bundle
    env = dict(aws_cli_env, AWS_CA_BUNDLE=cert)
    aws_cli(env, tls_server.endpoint, "s3", "cp", f"s3://{bucket}/cli.txt", str(back),
            "--sse-c", "AES256", "--sse-c-key", key)
    assert back.read_text() == source.read_text()
    refused = aws_cli(aws_cli_env, tls_server.endpoint, "s3", "ls", f"s3://{bucket}/",
                      check=False)
    assert refused.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in refused.stderr


def test_virtual_hosted_style_over_https_with_a_two_label_domain(
        server_factory: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenSSL never matches `*.localhost` (a wildcard needs two labels after it), so
    virtual-hosted HTTPS wants a domain like `s3.localhost`; the certificate names it."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    server = server_factory(None, "--tls", "--domain", "s3.localhost")
    port = urllib.parse.urlsplit(server.endpoint).port
    s3 = boto3.client("s3", endpoint_url=f"https://s3.localhost:{port}", region_name=REGION,
                      aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                      verify=str(cert_of(server)),
                      config=Config(s3={"addressing_style": "virtual"},
                                    retries={"max_attempts": 1}))
    urls: list[str] = []
    s3.meta.events.register("before-send.s3", lambda request, **_: urls.append(request.url))
    s3.create_bucket(Bucket="vhost-tls")
    s3.put_object(Bucket="vhost-tls", Key="k", Body=b"virtual over tls")
    assert s3.get_object(Bucket="vhost-tls", Key="k")["Body"].read() == b"virtual over tls"
    assert urls[0].startswith(f"https://vhost-tls.s3.localhost:{port}/")


# --- the certificate's life -------------------------------------------------------------

def test_certificate_is_made_once_and_reused_across_restarts(server_factory: Factory
                                                             ) -> None:
    server = server_factory(None, "--tls")
    cert, key = cert_of(server), server.data_dir / "tls" / "key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first = (cert.read_bytes(), key.read_bytes())
    names = x509.load_pem_x509_certificate(first[0]).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert {"localhost", "*.localhost"} <= set(names.get_values_for_type(x509.DNSName))
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} >= {"127.0.0.1",
                                                                             "::1"}
    https_client(server).create_bucket(Bucket="kept-across-restarts")
    server.stop()
    server.start("--tls")
    assert (cert.read_bytes(), key.read_bytes()) == first
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    buckets = https_client(server).list_buckets()["Buckets"]
    assert [b["Name"] for b in buckets] == ["kept-across-restarts"]
    # without --tls the same data directory is served over plain HTTP again
    server.stop()
    server.start()
    assert server.endpoint.startswith("http://")
    assert [b["Name"] for b in server.client().list_buckets()["Buckets"]] == [
        "kept-across-restarts"]


def test_ensure_self_signed_reuses_renews_and_mends(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    made = tls.ensure_self_signed(tmp_path, now=now)
    assert made.generated and made.self_signed
    original = made.cert.read_bytes()
    again = tls.ensure_self_signed(tmp_path, now=now + dt.timedelta(days=30))
    assert not again.generated and again.cert.read_bytes() == original

    # expired (or about to): made again, with a new validity period
    later = made.not_after + dt.timedelta(days=1)
    renewed = tls.ensure_self_signed(tmp_path, now=later)
    assert renewed.generated and renewed.cert.read_bytes() != original
    assert renewed.not_after > later + dt.timedelta(days=300)

    # a key that does not belong to the certificate (say, a crash between the writes)
    other = ec.generate_private_key(ec.SECP256R1())
    renewed.key.write_bytes(other.private_bytes(Encoding.PEM, PrivateFormat.PKCS8,
                                                NoEncryption()))
    mended = tls.ensure_self_signed(tmp_path, now=later)
    assert mended.generated
    tls.server_context(mended)  # loads: the pair matches again

    # a loosened key file is tightened back to 0600
    mended.key.chmod(0o644)
    assert not tls.ensure_self_signed(tmp_path, now=later).generated
    assert stat.S_IMODE(mended.key.stat().st_mode) == 0o600

    # garbage in the files: made again rather than failing to start
    mended.cert.write_text("not a certificate")
    assert tls.ensure_self_signed(tmp_path, now=later).generated


def test_certificate_covers_the_domain_and_listen_address(tmp_path: Path) -> None:
    tls.ensure_self_signed(tmp_path)
    files = tls.ensure_self_signed(tmp_path, host="10.1.2.3", domain="s3.example.test")
    assert files.generated  # new names: made again
    names = x509.load_pem_x509_certificate(files.cert.read_bytes()).extensions \
        .get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost", "*.localhost", "s3.example.test", "*.s3.example.test"} <= set(
        names.get_values_for_type(x509.DNSName))
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {
        "127.0.0.1", "::1", "10.1.2.3"}
    # a wildcard listen address is not something a client dials: nothing to add
    assert not tls.ensure_self_signed(tmp_path, host="0.0.0.0",
                                      domain="s3.example.test").generated


def test_own_certificate_and_key(server_factory: Factory, tmp_path: Path) -> None:
    own = tls.ensure_self_signed(tmp_path / "mine")  # any PEM pair will do
    server = server_factory(None, "--tls-cert", str(own.cert), "--tls-key", str(own.key))
    assert server.endpoint.startswith("https://")
    s3 = https_client(server, verify=own.cert)
    s3.create_bucket(Bucket="own-cert")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["own-cert"]
    assert not (server.data_dir / "tls").exists()


def test_unusable_certificate_or_key_stops_the_start(tmp_path: Path) -> None:
    own = tls.ensure_self_signed(tmp_path / "mine")
    stranger = tls.ensure_self_signed(tmp_path / "other")
    base = [sys.executable, "-m", "objstore", "serve", "--port", "0",
            "--data-dir", str(tmp_path / "data")]
    for args, complaint in [
            (["--tls-cert", str(own.cert), "--tls-key", str(stranger.key)], "cannot use"),
            (["--tls-cert", str(tmp_path / "missing.pem"), "--tls-key", str(own.key)],
             "cannot read"),
            (["--tls-cert", str(own.cert)], "go together")]:
        result = subprocess.run([*base, *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, result.stderr
        assert complaint in result.stderr and result.stdout == ""


# --- --require-tls-for-sse-c over plain HTTP ---------------------------------------------

@pytest.fixture
def strict_http(server_factory: Factory) -> ServerProcess:
    return server_factory(None, "--require-tls-for-sse-c")


def test_sse_c_over_http_is_refused_as_aws_refuses_it(strict_http: ServerProcess) -> None:
    s3 = strict_http.client()
    bucket = fresh_bucket(s3)
    error = expect_error("InvalidRequest", 400, s3.put_object, Bucket=bucket, Key="c",
                         Body=b"must not be stored", **SSE_C)
    assert error["Message"] == INSECURE_SSE_C
    expect_error("404", 404, s3.head_object, Bucket=bucket, Key="c")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)

    # every operation that carries the customer key: reads, copies, multipart
    s3.put_object(Bucket=bucket, Key="plain", Body=b"plain")
    expect_error("InvalidRequest", 400, s3.get_object, Bucket=bucket, Key="plain", **SSE_C)
    expect_error("400", 400, s3.head_object, Bucket=bucket, Key="plain", **SSE_C)
    expect_error("InvalidRequest", 400, s3.copy_object, Bucket=bucket, Key="copy",
                 CopySource={"Bucket": bucket, "Key": "plain"},
                 CopySourceSSECustomerAlgorithm="AES256",
                 CopySourceSSECustomerKey=SSE_C_KEY)
    expect_error("InvalidRequest", 400, s3.create_multipart_upload, Bucket=bucket,
                 Key="mp", **SSE_C)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["plain"]

    # the other modes need no secret from the client: still allowed over HTTP
    s3.put_object(Bucket=bucket, Key="kms", Body=b"kms", ServerSideEncryption="aws:kms")
    s3.put_object(Bucket=bucket, Key="s3", Body=b"s3", ServerSideEncryption="AES256")
    assert s3.get_object(Bucket=bucket, Key="kms")["Body"].read() == b"kms"
    assert s3.get_object(Bucket=bucket, Key="s3")["ServerSideEncryption"] == "AES256"


def test_refused_before_the_body_is_read(strict_http: ServerProcess) -> None:
    s3 = strict_http.client()
    bucket = fresh_bucket(s3)
    # An Expect: 100-continue client waits for the server before sending the body: the
    # refusal comes first, with no 100 Continue, so the body never crosses the wire.
    sock = rawhttp.open_put(strict_http.endpoint, f"/{bucket}/early", 1 * MiB, {
        "Expect": "100-continue",
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": base64.b64encode(SSE_C_KEY).decode(),
        "x-amz-server-side-encryption-customer-key-md5":
            base64.b64encode(hashlib.md5(SSE_C_KEY).digest()).decode()})
    with sock:
        sock.settimeout(10)
        assert rawhttp.read_status(sock) == 400
    expect_error("404", 404, s3.head_object, Bucket=bucket, Key="early")


def test_signature_is_checked_before_the_tls_rule(strict_http: ServerProcess) -> None:
    forged = make_client(strict_http.endpoint, secret_key="not-the-secret-key")
    s3 = strict_http.client()
    bucket = fresh_bucket(s3)
    expect_error("SignatureDoesNotMatch", 403, forged.put_object, Bucket=bucket, Key="c",
                 Body=b"x", **SSE_C)


def test_sse_c_over_http_is_allowed_by_default(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="c", Body=b"local testing", **SSE_C)
    assert s3.get_object(Bucket=bucket, Key="c", **SSE_C)["Body"].read() == b"local testing"


def test_curl_with_cacert_gets_s3_errors_over_https(tls_server: ServerProcess) -> None:
    """Any TLS client works, not only botocore's: an unsigned request over HTTPS gets
    S3's XML error, as over HTTP."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    result = subprocess.run(["curl", "-sS", "--cacert", str(cert_of(tls_server)),
                             tls_server.endpoint + "/"], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    assert "<Code>AccessDenied</Code>" in result.stdout


def test_tls_rule_is_checked_where_the_request_is_routed(strict_http: ServerProcess
                                                         ) -> None:
    """Before the handler looks anything up: a missing bucket does not hide it."""
    error = client_error(make_client(strict_http.endpoint).get_object, Bucket="no-such-b",
                         Key="k", **SSE_C)
    assert error.response["Error"]["Code"] == "InvalidRequest"
    assert error.response["Error"]["Message"] == INSECURE_SSE_C
