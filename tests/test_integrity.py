"""Body integrity end to end: Content-MD5, x-amz-checksum-* (header and aws-chunked
trailer), the signed payload hash, aws-chunked bodies signed and unsigned, and what boto3
sends and verifies under each checksum setting."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import re
import urllib.parse
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pytest
from awscrt import checksums as crt
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.client import BaseClient
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.httpchecksum import StreamingChecksumBody

from tests.conftest import ACCESS_KEY, REGION, SECRET_KEY, ServerProcess, expect_error

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
BODY = b"The quick brown fox jumps over the lazy dog\n" * 3


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


CHECKSUMS: dict[str, Callable[[bytes], str]] = {
    "CRC32": lambda data: b64(zlib.crc32(data).to_bytes(4, "big")),
    "CRC32C": lambda data: b64(crt.crc32c(data).to_bytes(4, "big")),
    "CRC64NVME": lambda data: b64(crt.crc64nvme(data).to_bytes(8, "big")),
    "SHA1": lambda data: b64(hashlib.sha1(data).digest()),
    "SHA256": lambda data: b64(hashlib.sha256(data).digest()),
}


@pytest.fixture
def isolated_s3(server: ServerProcess) -> BaseClient:
    """A client of its own, for requests the server rejects before reading their body (see
    test_multipart.test_rejected_part_keeps_the_connection_usable)."""
    return server.client()


def absent(s3: BaseClient, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        return error.response["Error"]["Code"] == "404"
    return False


def with_headers(s3: BaseClient, operation: str, headers: dict[str, str]) -> Callable[[], None]:
    """Add headers to every `operation` request before it is signed; returns the undo."""
    def add(request: AWSRequest, **kwargs: object) -> None:
        for name, value in headers.items():
            del request.headers[name]  # replace, not add a second value
            request.headers[name] = value

    s3.meta.events.register_first(f"before-sign.s3.{operation}", add)
    return lambda: s3.meta.events.unregister(f"before-sign.s3.{operation}", add)


# -- Content-MD5 ------------------------------------------------------------------------


def test_content_md5_right(s3: BaseClient, bucket: str) -> None:
    md5 = hashlib.md5(BODY)
    put = s3.put_object(Bucket=bucket, Key="k", Body=BODY, ContentMD5=b64(md5.digest()))
    assert put["ETag"] == f'"{md5.hexdigest()}"'
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == BODY


def test_content_md5_wrong_is_bad_digest(s3: BaseClient, bucket: str) -> None:
    wrong = hashlib.md5(b"something else").digest()
    error = expect_error("BadDigest", 400, s3.put_object, Bucket=bucket, Key="k", Body=BODY,
                         ContentMD5=b64(wrong))
    assert error["CalculatedDigest"] == b64(hashlib.md5(BODY).digest())
    assert absent(s3, bucket, "k")


@pytest.mark.parametrize("value", ["not base64!", b64(b"0123456789"), ""],
                         ids=["not-base64", "ten-bytes", "empty"])
def test_content_md5_malformed_is_invalid_digest(isolated_s3: BaseClient, bucket: str,
                                                 value: str) -> None:
    undo = with_headers(isolated_s3, "PutObject", {"Content-MD5": value})
    try:
        expect_error("InvalidDigest", 400, isolated_s3.put_object, Bucket=bucket, Key="k",
                     Body=BODY)
    finally:
        undo()
    assert absent(isolated_s3, bucket, "k")


def test_upload_part_checks_content_md5(s3: BaseClient, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    expect_error("BadDigest", 400, s3.upload_part, Bucket=bucket, Key="k", UploadId=upload,
                 PartNumber=1, Body=BODY, ContentMD5=b64(hashlib.md5(b"x").digest()))
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="k", UploadId=upload)


# -- x-amz-checksum-* headers ------------------------------------------------------------


@pytest.mark.parametrize("algorithm", list(CHECKSUMS))
def test_checksum_algorithm_round_trip(s3: BaseClient, bucket: str, algorithm: str) -> None:
    expected = CHECKSUMS[algorithm](BODY)
    member = f"Checksum{algorithm}"
    put = s3.put_object(Bucket=bucket, Key="k", Body=BODY, ChecksumAlgorithm=algorithm)
    assert put[member] == expected

    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got[member] == expected and got["ChecksumType"] == "FULL_OBJECT"
    assert isinstance(got["Body"], StreamingChecksumBody)  # botocore checks it while reading
    assert got["Body"].read() == BODY
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head[member] == expected


@pytest.mark.parametrize("algorithm", list(CHECKSUMS))
def test_explicit_checksum_right_and_wrong(s3: BaseClient, bucket: str, algorithm: str) -> None:
    member = f"Checksum{algorithm}"
    put = s3.put_object(Bucket=bucket, Key="right", Body=BODY,
                        **{member: CHECKSUMS[algorithm](BODY)})
    assert put[member] == CHECKSUMS[algorithm](BODY)

    error = expect_error("BadDigest", 400, s3.put_object, Bucket=bucket, Key="wrong",
                         Body=BODY, **{member: CHECKSUMS[algorithm](b"other bytes")})
    assert algorithm in error["Message"].upper()
    assert absent(s3, bucket, "wrong")


@pytest.mark.parametrize("value", ["not base64!", b64(b"\x00" * 3)], ids=["garbage", "short"])
def test_malformed_checksum_value(isolated_s3: BaseClient, bucket: str, value: str) -> None:
    error = expect_error("InvalidRequest", 400, isolated_s3.put_object, Bucket=bucket, Key="k",
                         Body=BODY, ChecksumCRC32=value)
    assert error["Message"] == "Value for x-amz-checksum-crc32 header is invalid."


@pytest.mark.parametrize("headers", [
    {"x-amz-checksum-md4": "AAAAAAAAAAAAAAAAAAAAAA=="},
    {"x-amz-sdk-checksum-algorithm": "CRC99"},
], ids=["unknown-checksum-header", "unknown-sdk-algorithm"])
def test_unknown_checksum_algorithm_is_refused(isolated_s3: BaseClient, bucket: str,
                                               headers: dict[str, str]) -> None:
    undo = with_headers(isolated_s3, "PutObject", headers)
    try:
        error = expect_error("InvalidRequest", 400, isolated_s3.put_object, Bucket=bucket,
                             Key="k", Body=BODY, ChecksumAlgorithm="CRC32")
    finally:
        undo()
    assert "not supported" in error["Message"]
    assert absent(isolated_s3, bucket, "k")


def test_two_checksum_headers_are_refused(isolated_s3: BaseClient, bucket: str) -> None:
    error = expect_error("InvalidRequest", 400, isolated_s3.put_object, Bucket=bucket, Key="k",
                         Body=BODY, ChecksumCRC32=CHECKSUMS["CRC32"](BODY),
                         ChecksumSHA256=CHECKSUMS["SHA256"](BODY))
    assert "Multiple checksum Types are not allowed" in error["Message"]


def test_sdk_algorithm_must_name_the_header(isolated_s3: BaseClient, bucket: str) -> None:
    undo = with_headers(isolated_s3, "PutObject", {"x-amz-sdk-checksum-algorithm": "SHA256"})
    try:
        expect_error("InvalidRequest", 400, isolated_s3.put_object, Bucket=bucket, Key="k",
                     Body=BODY, ChecksumCRC32=CHECKSUMS["CRC32"](BODY))
    finally:
        undo()


def test_ranged_get_has_no_whole_object_checksum(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=BODY, ChecksumAlgorithm="SHA256")
    got = s3.get_object(Bucket=bucket, Key="k", Range="bytes=0-9", ChecksumMode="ENABLED")
    assert got["Body"].read() == BODY[:10]
    assert "ChecksumSHA256" not in got


# -- what boto3 sends under each setting ---------------------------------------------------


def recorder(s3: BaseClient, operation: str) -> list[AWSPreparedRequest]:
    sent: list[AWSPreparedRequest] = []
    s3.meta.events.register(f"before-send.s3.{operation}",
                            lambda request, **kwargs: sent.append(request))
    return sent


def test_boto3_when_supported_sends_crc32(server: ServerProcess, bucket: str) -> None:
    s3 = server.client(request_checksum_calculation="when_supported")
    sent = recorder(s3, "PutObject")
    put = s3.put_object(Bucket=bucket, Key="k", Body=BODY)
    headers = sent[0].headers
    assert headers["x-amz-checksum-crc32"] == CHECKSUMS["CRC32"](BODY).encode()
    assert headers["X-Amz-Content-SHA256"] == hashlib.sha256(BODY).hexdigest().encode()
    assert put["ChecksumCRC32"] == CHECKSUMS["CRC32"](BODY)
    got = s3.get_object(Bucket=bucket, Key="k")  # ChecksumMode ENABLED by default
    assert got["ChecksumCRC32"] == CHECKSUMS["CRC32"](BODY)
    assert got["Body"].read() == BODY


def test_boto3_when_required_sends_no_checksum(server: ServerProcess, bucket: str) -> None:
    s3 = server.client(request_checksum_calculation="when_required",
                       response_checksum_validation="when_required")
    sent = recorder(s3, "PutObject")
    put = s3.put_object(Bucket=bucket, Key="k", Body=BODY)
    assert not any(name.lower().startswith("x-amz-checksum-") for name in sent[0].headers)
    assert put["ETag"] == f'"{hashlib.md5(BODY).hexdigest()}"'
    assert "ChecksumCRC32" not in put
    plain = s3.get_object(Bucket=bucket, Key="k")  # no x-amz-checksum-mode sent
    assert not any(k.startswith("Checksum") for k in plain) and plain["Body"].read() == BODY

    # the server computed a CRC64NVME anyway (as S3 does since 2025); asked for, it is checked
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["ChecksumCRC64NVME"] == CHECKSUMS["CRC64NVME"](BODY)
    assert isinstance(got["Body"], StreamingChecksumBody) and got["Body"].read() == BODY


# -- hand-signed requests ------------------------------------------------------------------


class FixedPayloadAuth(S3SigV4Auth):
    """SigV4 with a payload hash of our choosing (a literal like STREAMING-..., or a lie)."""

    def __init__(self, payload_hash: str) -> None:
        super().__init__(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION)
        self._payload_hash = payload_hash

    def payload(self, request: AWSRequest) -> str:
        return self._payload_hash


@dataclass
class Signed:
    headers: dict[str, str]
    timestamp: str
    scope: str
    seed: str

    @property
    def key(self) -> bytes:
        key = ("AWS4" + SECRET_KEY).encode()
        for part in (self.scope.split("/")[0], REGION, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        return key


def sign(endpoint: str, method: str, path: str, headers: dict[str, str],
         payload_hash: str) -> Signed:
    request = AWSRequest(method=method, url=endpoint + path, headers=headers)
    FixedPayloadAuth(payload_hash).add_auth(request)
    signed = dict(request.headers.items())
    seed = signed["Authorization"].rsplit("Signature=", 1)[1]
    timestamp = signed["X-Amz-Date"]
    return Signed(signed, timestamp, f"{timestamp[:8]}/{REGION}/s3/aws4_request", seed)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def code(self) -> str:
        match = re.search(rb"<Code>([^<]*)</Code>", self.body)
        return match.group(1).decode() if match else ""


def send(endpoint: str, method: str, path: str, headers: dict[str, str],
         body: bytes | Iterable[bytes]) -> Reply:
    """One request on a connection of its own (chunked transfer if body is an iterable)."""
    parsed = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers,
                     encode_chunked=not isinstance(body, bytes))
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()},
                     response.read())
    finally:
        conn.close()


def test_payload_sha256_mismatch(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    claimed = hashlib.sha256(BODY).hexdigest()
    sent = BODY.replace(b"fox", b"cat")
    signed = sign(server.endpoint, "PUT", f"/{bucket}/k",
                  {"Content-Length": str(len(sent))}, claimed)
    reply = send(server.endpoint, "PUT", f"/{bucket}/k", signed.headers, sent)
    assert (reply.status, reply.code) == (400, "XAmzContentSHA256Mismatch")
    assert f"<ClientComputedContentSHA256>{claimed}<".encode() in reply.body
    computed = hashlib.sha256(sent).hexdigest()
    assert f"<S3ComputedContentSHA256>{computed}<".encode() in reply.body
    assert absent(s3, bucket, "k")


def test_payload_sha256_right(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    signed = sign(server.endpoint, "PUT", f"/{bucket}/k", {"Content-Length": str(len(BODY))},
                  hashlib.sha256(BODY).hexdigest())
    assert send(server.endpoint, "PUT", f"/{bucket}/k", signed.headers, BODY).status == 200
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == BODY


def test_trailer_without_aws_chunked_body(server: ServerProcess, s3: BaseClient,
                                          bucket: str) -> None:
    signed = sign(server.endpoint, "PUT", f"/{bucket}/k",
                  {"Content-Length": str(len(BODY)), "x-amz-trailer": "x-amz-checksum-crc32"},
                  hashlib.sha256(BODY).hexdigest())
    reply = send(server.endpoint, "PUT", f"/{bucket}/k", signed.headers, BODY)
    assert (reply.status, reply.code) == (400, "MalformedTrailerError")
    assert absent(s3, bucket, "k")


# -- aws-chunked bodies ------------------------------------------------------------------

UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
DATA = bytes(range(256)) * 320  # 80 KiB: a 64 KiB chunk and a 16 KiB one
CHUNKS = [DATA[:65536], DATA[65536:]]


class ChunkSigner:
    """Chunk and trailer signatures as sigv4.md §6.2-6.3 define them (hmac, no server code)."""

    def __init__(self, signed: Signed) -> None:
        self._key, self._signed = signed.key, signed
        self.previous = signed.seed

    def _sign(self, text: str) -> str:
        self.previous = hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()
        return self.previous

    def chunk(self, data: bytes) -> str:
        return self._sign("\n".join([
            "AWS4-HMAC-SHA256-PAYLOAD", self._signed.timestamp, self._signed.scope,
            self.previous, EMPTY_SHA256, hashlib.sha256(data).hexdigest()]))

    def trailer(self, trailers: dict[str, str]) -> str:
        canonical = "".join(f"{name}:{value}\n" for name, value in sorted(trailers.items()))
        return self._sign("\n".join([
            "AWS4-HMAC-SHA256-TRAILER", self._signed.timestamp, self._signed.scope,
            self.previous, hashlib.sha256(canonical.encode()).hexdigest()]))


def aws_chunked(chunks: list[bytes], *, signer: ChunkSigner | None = None,
                trailers: dict[str, str] | None = None,
                tamper: Callable[[int, str], str] = lambda index, sig: sig) -> bytes:
    """The aws-chunked encoding of chunks (then the 0-size chunk and any trailers)."""
    out = []
    for index, data in enumerate([*chunks, b""]):
        extension = ""
        if signer is not None:
            extension = ";chunk-signature=" + tamper(index, signer.chunk(data))
        out.append(f"{len(data):x}{extension}\r\n".encode() + data)
        if data:
            out.append(b"\r\n")
    for name, value in (trailers or {}).items():
        out.append(f"{name}:{value}\r\n".encode())
    if signer is not None and trailers:
        signature = tamper(len(chunks) + 1, signer.trailer(trailers))
        out.append(f"x-amz-trailer-signature:{signature}\r\n".encode())
    out.append(b"\r\n")
    return b"".join(out)


def streaming_headers(mode: str, decoded: int, encoding: str = "aws-chunked",
                      trailer: str | None = None, **extra: str) -> dict[str, str]:
    headers = {"Content-Encoding": encoding, "x-amz-decoded-content-length": str(decoded),
               **extra}
    if trailer is not None:
        headers["x-amz-trailer"] = trailer
    return headers


def pieces(body: bytes, size: int = 10_000) -> Iterator[bytes]:
    """The body in odd pieces, sent with HTTP chunked transfer as boto3 does over HTTPS."""
    return (body[i:i + size] for i in range(0, len(body), size))


def put_unsigned_trailer(endpoint: str, path: str, trailer_value: str, *,
                         encoding: str = "aws-chunked") -> Reply:
    headers = streaming_headers(UNSIGNED_TRAILER, len(DATA), encoding,
                                trailer="x-amz-checksum-crc32",
                                **{"x-amz-sdk-checksum-algorithm": "CRC32"})
    signed = sign(endpoint, "PUT", path, headers, UNSIGNED_TRAILER)
    body = aws_chunked(CHUNKS, trailers={"x-amz-checksum-crc32": trailer_value})
    return send(endpoint, "PUT", path, signed.headers, pieces(body))


def test_unsigned_trailer_crc32(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    reply = put_unsigned_trailer(server.endpoint, f"/{bucket}/k", CHECKSUMS["CRC32"](DATA))
    assert reply.status == 200, reply.body
    assert reply.headers["etag"] == f'"{hashlib.md5(DATA).hexdigest()}"'
    assert reply.headers["x-amz-checksum-crc32"] == CHECKSUMS["CRC32"](DATA)
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == DATA
    assert got["ChecksumCRC32"] == CHECKSUMS["CRC32"](DATA)
    assert "ContentEncoding" not in got  # aws-chunked is transport, not content


def test_unsigned_trailer_keeps_other_content_encodings(server: ServerProcess, s3: BaseClient,
                                                       bucket: str) -> None:
    reply = put_unsigned_trailer(server.endpoint, f"/{bucket}/k", CHECKSUMS["CRC32"](DATA),
                                 encoding="aws-chunked,gzip")
    assert reply.status == 200, reply.body
    assert s3.head_object(Bucket=bucket, Key="k")["ContentEncoding"] == "gzip"


def test_unsigned_trailer_bad_checksum(server: ServerProcess, s3: BaseClient,
                                       bucket: str) -> None:
    reply = put_unsigned_trailer(server.endpoint, f"/{bucket}/k", CHECKSUMS["CRC32"](b"nope"))
    assert (reply.status, reply.code) == (400, "BadDigest")
    assert absent(s3, bucket, "k")


def test_unsigned_trailer_upload_part(server: ServerProcess, s3: BaseClient,
                                      bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32")
    path = f"/{bucket}/k?partNumber=1&uploadId={urllib.parse.quote(upload['UploadId'])}"
    reply = put_unsigned_trailer(server.endpoint, path, CHECKSUMS["CRC32"](DATA))
    assert reply.status == 200, reply.body
    assert reply.headers["x-amz-checksum-crc32"] == CHECKSUMS["CRC32"](DATA)
    part = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload["UploadId"])["Parts"][0]
    assert (part["Size"], part["ChecksumCRC32"]) == (len(DATA), CHECKSUMS["CRC32"](DATA))


def put_signed(endpoint: str, path: str, *, trailers: dict[str, str] | None = None,
               tamper: Callable[[int, str], str] = lambda index, sig: sig,
               cut: int = 0, decoded: int = len(DATA)) -> Reply:
    """A PUT of DATA with signed chunks (and a signed trailer if trailers), its body sent
    with a Content-Length (as the Java SDK does); cut drops that many bytes at the end."""
    mode = SIGNED_TRAILER if trailers else SIGNED
    trailer = next(iter(trailers)) if trailers else None
    # the encoded length does not depend on the signatures: sign once with a dummy seed
    length = len(aws_chunked(CHUNKS, signer=ChunkSigner(Signed({}, "", "", "0" * 64)),
                             trailers=trailers)) - cut
    headers = streaming_headers(mode, decoded, trailer=trailer,
                                **{"Content-Length": str(length)})
    signed = sign(endpoint, "PUT", path, headers, mode)
    body = aws_chunked(CHUNKS, signer=ChunkSigner(signed), trailers=trailers, tamper=tamper)
    return send(endpoint, "PUT", path, signed.headers, body[:len(body) - cut])


def test_signed_chunks(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    reply = put_signed(server.endpoint, f"/{bucket}/k")
    assert reply.status == 200, reply.body
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == DATA and "ContentEncoding" not in got


def test_signed_chunks_with_signed_trailer(server: ServerProcess, s3: BaseClient,
                                           bucket: str) -> None:
    value = CHECKSUMS["CRC32C"](DATA)
    reply = put_signed(server.endpoint, f"/{bucket}/k", trailers={"x-amz-checksum-crc32c": value})
    assert reply.status == 200, reply.body
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32C"] == value and got["Body"].read() == DATA


@pytest.mark.parametrize("index", [0, 1, 2], ids=["first", "second", "final-empty"])
def test_bad_chunk_signature(server: ServerProcess, s3: BaseClient, bucket: str,
                             index: int) -> None:
    def corrupt(at: int, signature: str) -> str:
        return ("0" if signature[0] != "0" else "1") + signature[1:] if at == index else signature

    reply = put_signed(server.endpoint, f"/{bucket}/k", tamper=corrupt)
    assert (reply.status, reply.code) == (403, "SignatureDoesNotMatch")
    assert absent(s3, bucket, "k")


def test_bad_trailer_signature(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    reply = put_signed(server.endpoint, f"/{bucket}/k",
                       trailers={"x-amz-checksum-crc32": CHECKSUMS["CRC32"](DATA)},
                       tamper=lambda at, sig: "f" * 64 if at == 3 else sig)
    assert (reply.status, reply.code) == (403, "SignatureDoesNotMatch")
    assert absent(s3, bucket, "k")


def test_signed_trailer_bad_checksum(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    reply = put_signed(server.endpoint, f"/{bucket}/k",
                       trailers={"x-amz-checksum-sha256": CHECKSUMS["SHA256"](b"x")})
    assert (reply.status, reply.code) == (400, "BadDigest")
    assert absent(s3, bucket, "k")


@pytest.mark.parametrize("cut", [5, 200, 16_500], ids=["final-crlf", "final-chunk", "data"])
def test_truncated_aws_chunked_body(server: ServerProcess, s3: BaseClient, bucket: str,
                                    cut: int) -> None:
    reply = put_signed(server.endpoint, f"/{bucket}/k", cut=cut)
    assert (reply.status, reply.code) == (400, "IncompleteBody")
    assert absent(s3, bucket, "k")


@pytest.mark.parametrize("decoded", [len(DATA) + 1, len(DATA) - 1])
def test_decoded_length_mismatch(server: ServerProcess, s3: BaseClient, bucket: str,
                                 decoded: int) -> None:
    reply = put_signed(server.endpoint, f"/{bucket}/k", decoded=decoded)
    assert (reply.status, reply.code) == (400, "IncompleteBody")
    assert absent(s3, bucket, "k")


def test_announced_trailer_missing(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    path = f"/{bucket}/k"
    headers = streaming_headers(UNSIGNED_TRAILER, len(DATA), trailer="x-amz-checksum-crc32")
    signed = sign(server.endpoint, "PUT", path, headers, UNSIGNED_TRAILER)
    reply = send(server.endpoint, "PUT", path, signed.headers, pieces(aws_chunked(CHUNKS)))
    assert (reply.status, reply.code) == (400, "MalformedTrailerError")
    assert absent(s3, bucket, "k")
