"""aws-chunked decoding: AWS vectors, boto3's trailer form, incremental parsing, errors."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import random
import zlib
from pathlib import Path

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.config import Config
from multidict import CIMultiDict

from objstore.auth import sigv4
from objstore.auth.chunked import AwsChunkedDecoder
from objstore.auth.errors import AuthError
from objstore.auth.identities import Identity, IdentityStore
from objstore.auth.verify import AuthContext, RequestToVerify, authenticate

AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TIMESTAMP = "20130524T000000Z"
SCOPE = "20130524/us-east-1/s3/aws4_request"
KEY = sigv4.signing_key(SECRET, "20130524", "us-east-1", "s3")
SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
UNSIGNED_EXAMPLE = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"


def context(seed: str = SEED) -> AuthContext:
    return AuthContext(
        identity=Identity("alice", AKID, SECRET, "111122223333"),
        form="sigv4-header",
        payload_mode="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        signing_key=KEY,
        timestamp=TIMESTAMP,
        scope=SCOPE,
        seed_signature=seed,
    )


def encode_signed(
    chunks: list[bytes], seed: str = SEED, trailers: dict[str, str] | None = None
) -> bytes:
    """An aws-chunked body signed the way SDKs do (independent of the decoder)."""
    out, previous = [], seed
    for data in [*chunks, b""]:
        sts = sigv4.chunk_string_to_sign(
            TIMESTAMP, SCOPE, previous, hashlib.sha256(data).hexdigest()
        )
        previous = sigv4.sign(KEY, sts)
        out.append(b"%x;chunk-signature=%s\r\n%s" % (len(data), previous.encode(), data))
        if data:
            out.append(b"\r\n")
    if trailers is not None:
        for name, value in trailers.items():
            out.append(f"{name}:{value}\r\n".encode())
        sts = sigv4.trailer_string_to_sign(TIMESTAMP, SCOPE, previous, trailers)
        out.append(f"x-amz-trailer-signature:{sigv4.sign(KEY, sts)}\r\n".encode())
    out.append(b"\r\n")
    return b"".join(out)


def decode(decoder: AwsChunkedDecoder, pieces: list[bytes]) -> tuple[bytes, dict[str, str]]:
    data = b"".join(bytes(part) for piece in pieces for part in decoder.feed(piece))
    return data, decoder.finish()


def split_at(body: bytes, offsets: list[int]) -> list[bytes]:
    bounds = [0, *sorted(offsets), len(body)]
    return [body[a:b] for a, b in itertools.pairwise(bounds)]


# --- AWS vectors (§11) ---------------------------------------------------------------------

VECTOR_SIGNED = (
    b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n"
    + b"a" * 65536
    + b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
    + b"\r\n"
    + b"a" * 1024
    + b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
    + b"\r\n\r\n"
)
VECTOR_TRAILER = (
    b"10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n"
    + b"a" * 65536
    + b"\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7"
    + b"\r\n"
    + b"a" * 1024
    + b"\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"
    + b"\r\nx-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:"
    + b"d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n"
)


def vector_context(tmp_path: Path, trailer: bool) -> AuthContext:
    """Authenticate the AWS example's headers to get the seed context end to end."""
    store = IdentityStore(tmp_path / "identities.json")
    store.ensure("alice", AKID, SECRET)
    headers = {
        "Host": "s3.amazonaws.com",
        "Content-Encoding": "aws-chunked",
        "x-amz-date": TIMESTAMP,
        "x-amz-decoded-content-length": "66560",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
    }
    if trailer:
        headers["x-amz-content-sha256"] = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
        headers["x-amz-trailer"] = "x-amz-checksum-crc32c"
        signed = "content-encoding;host;x-amz-content-sha256;x-amz-date;"
        signed += "x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer"
        seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
    else:
        headers["x-amz-content-sha256"] = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        headers["Content-Length"] = "66824"
        signed = "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
        signed += "x-amz-decoded-content-length;x-amz-storage-class"
        seed = SEED
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={AKID}/{SCOPE},SignedHeaders={signed},Signature={seed}"
    )
    req = RequestToVerify("PUT", "/examplebucket/chunkObject.txt", "", headers)
    now = dt.datetime(2013, 5, 24, tzinfo=dt.UTC)
    return authenticate(req, store, service="s3", now=now)


def test_vector_signed_chunks(tmp_path: Path) -> None:
    assert len(VECTOR_SIGNED) == 66824
    ctx = vector_context(tmp_path, trailer=False)
    decoder = AwsChunkedDecoder(ctx, signed=True, expect_trailer=None)
    data, trailers = decode(decoder, [VECTOR_SIGNED])
    assert data == b"a" * 66560
    assert trailers == {}
    assert decoder.decoded_length == 66560


def test_vector_signed_trailer(tmp_path: Path) -> None:
    ctx = vector_context(tmp_path, trailer=True)
    decoder = AwsChunkedDecoder(ctx, signed=True, expect_trailer="x-amz-checksum-crc32c")
    data, trailers = decode(decoder, split_at(VECTOR_TRAILER, [7, 70000, 66700]))
    assert data == b"a" * 66560
    assert trailers == {"x-amz-checksum-crc32c": "sOO8/Q=="}


@pytest.mark.parametrize("seed", range(20))
def test_vector_random_boundaries(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    offsets = [rng.randrange(len(VECTOR_TRAILER)) for _ in range(rng.randrange(1, 40))]
    decoder = AwsChunkedDecoder(
        vector_context(tmp_path, trailer=True), signed=True, expect_trailer="x-amz-checksum-crc32c"
    )
    data, trailers = decode(decoder, split_at(VECTOR_TRAILER, offsets))
    assert data == b"a" * 66560
    assert trailers == {"x-amz-checksum-crc32c": "sOO8/Q=="}


# --- incremental parsing -------------------------------------------------------------------


def test_unsigned_every_split_offset() -> None:
    for i in range(len(UNSIGNED_EXAMPLE) + 1):
        decoder = AwsChunkedDecoder(None, signed=False, expect_trailer="x-amz-checksum-crc32")
        data, trailers = decode(decoder, split_at(UNSIGNED_EXAMPLE, [i]))
        assert (data, trailers) == (b"hello", {"x-amz-checksum-crc32": "NhCmhg=="}), i


def test_unsigned_byte_by_byte() -> None:
    decoder = AwsChunkedDecoder(None, signed=False, expect_trailer="X-Amz-Checksum-CRC32")
    pieces = [UNSIGNED_EXAMPLE[i : i + 1] for i in range(len(UNSIGNED_EXAMPLE))]
    assert decode(decoder, pieces) == (b"hello", {"x-amz-checksum-crc32": "NhCmhg=="})


def test_signed_every_pair_of_split_offsets() -> None:
    body = encode_signed([b"abc", b"de"], trailers={"x-amz-checksum-crc32": "AAAAAA=="})
    for i in range(0, len(body) + 1, 3):
        for j in range(i, len(body) + 1, 5):
            decoder = AwsChunkedDecoder(
                context(), signed=True, expect_trailer="x-amz-checksum-crc32"
            )
            data, trailers = decode(decoder, split_at(body, [i, j]))
            assert data == b"abcde"
            assert trailers == {"x-amz-checksum-crc32": "AAAAAA=="}


def test_unsigned_data_streams_out_before_chunk_ends() -> None:
    decoder = AwsChunkedDecoder(None, signed=False, expect_trailer=None)
    assert decoder.feed(b"100000\r\n") == []
    pieces = decoder.feed(b"x" * 1000)
    assert [bytes(p) for p in pieces] == [b"x" * 1000]
    assert isinstance(pieces[0], memoryview)  # not copied
    assert decoder.decoded_length == 1000


def test_signed_data_held_until_verified() -> None:
    body = encode_signed([b"x" * 100])
    decoder = AwsChunkedDecoder(context(), signed=True, expect_trailer=None)
    assert decoder.feed(body[:150]) == []
    assert b"".join(bytes(p) for p in decoder.feed(body[150:])) == b"x" * 100
    assert decoder.finish() == {}


def test_random_round_trip_unsigned() -> None:
    rng = random.Random(7)
    payload = rng.randbytes(300_000)
    sizes = [1, 0x10000, 5, 100_000, 3]
    chunks, pos = [], 0
    for size in sizes:
        chunks.append(payload[pos : pos + size])
        pos += size
    chunks.append(payload[pos:])
    crc = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    body += f"0\r\nx-amz-checksum-crc32: {crc}\r\n\r\n".encode()
    offsets = [rng.randrange(len(body)) for _ in range(50)]
    decoder = AwsChunkedDecoder(None, signed=False, expect_trailer="x-amz-checksum-crc32")
    assert decode(decoder, split_at(body, offsets)) == (payload, {"x-amz-checksum-crc32": crc})


# --- tolerant parsing (§6.1) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "ending",
    [
        b"x-amz-checksum-crc32:NhCmhg==\r\n\r\n",
        b"x-amz-checksum-crc32: NhCmhg==\r\n\r\n",
        b"x-amz-checksum-crc32:NhCmhg==\r\n",  # final CRLF missing
        b"x-amz-checksum-crc32:NhCmhg==\r",
        b"x-amz-checksum-crc32:NhCmhg==",
    ],
)
def test_tolerant_trailer(ending: bytes) -> None:
    decoder = AwsChunkedDecoder(None, signed=False, expect_trailer="x-amz-checksum-crc32")
    body = b"5\r\nhello\r\n0\r\n" + ending
    assert decode(decoder, [body]) == (b"hello", {"x-amz-checksum-crc32": "NhCmhg=="})


@pytest.mark.parametrize("ending", [b"0\r\n\r\n", b"0\r\n"])
def test_no_trailer(ending: bytes) -> None:
    decoder = AwsChunkedDecoder(None, signed=False, expect_trailer=None)
    assert decode(decoder, [b"5\r\nhello\r\n" + ending]) == (b"hello", {})


def test_empty_payload_and_upper_case_hex() -> None:
    decoder = AwsChunkedDecoder(None, signed=False, expect_trailer=None)
    assert decode(decoder, [b"A\r\n0123456789\r\n0\r\n\r\n"]) == (b"0123456789", {})
    decoder = AwsChunkedDecoder(None, signed=False, expect_trailer=None)
    assert decode(decoder, [b"0\r\n\r\n"]) == (b"", {})


# --- what boto3 sends over HTTPS -----------------------------------------------------------


class Captured(Exception):
    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


def test_boto3_https_put_object(tmp_path: Path) -> None:
    store = IdentityStore(tmp_path / "identities.json")
    store.ensure("alice", AKID, SECRET)
    s3 = boto3.client(
        "s3",
        endpoint_url="https://127.0.0.1:18443",
        region_name="us-east-1",
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )

    def before_send(request: AWSPreparedRequest, **_: object) -> None:
        raise Captured(request)

    s3.meta.events.register("before-send", before_send)
    payload = random.Random(3).randbytes(2 * 1024 * 1024 + 17)  # several 1 MiB chunks
    with pytest.raises(Captured) as info:
        s3.put_object(Bucket="bkt", Key="big file", Body=payload)
    request = info.value.request
    headers = CIMultiDict(
        (k, v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()
    )
    headers.setdefault("Host", "127.0.0.1:18443")
    req = RequestToVerify("PUT", "/bkt/big%20file", "", headers)
    ctx = authenticate(req, store, service="s3", now=dt.datetime.now(dt.UTC))
    assert ctx.payload_mode == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    body = request.body.read()  # type: ignore[union-attr]
    decoder = AwsChunkedDecoder(ctx, signed=False, expect_trailer=headers["x-amz-trailer"])
    data, trailers = decode(decoder, split_at(body, [100, 1_000_000, 2_000_000]))
    assert data == payload
    assert int(headers["X-Amz-Decoded-Content-Length"]) == decoder.decoded_length
    crc = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
    assert trailers == {"x-amz-checksum-crc32": crc}


# --- failures -------------------------------------------------------------------------------


def expect_error(kind: str, decoder: AwsChunkedDecoder, body: bytes) -> AuthError:
    with pytest.raises(AuthError) as info:
        decoder.feed(body)
        decoder.finish()
    assert info.value.kind == kind, info.value
    return info.value


def test_tampered_chunk() -> None:
    body = bytearray(encode_signed([b"hello world"]))
    body[body.index(b"hello")] = ord("j")
    decoder = AwsChunkedDecoder(context(), signed=True, expect_trailer=None)
    err = expect_error("chunk_signature", decoder, bytes(body))
    assert err.message.startswith("The request signature we calculated does not match")


def test_wrong_seed() -> None:
    decoder = AwsChunkedDecoder(context("0" * 64), signed=True, expect_trailer=None)
    expect_error("chunk_signature", decoder, encode_signed([b"abc"]))


def test_missing_chunk_signature() -> None:
    decoder = AwsChunkedDecoder(context(), signed=True, expect_trailer=None)
    expect_error("chunk_signature", decoder, b"3\r\nabc\r\n0\r\n\r\n")


def test_final_chunk_signature_checked() -> None:
    body = encode_signed([b"abc"])
    end = body.rindex(b"0;chunk-signature=") + len(b"0;chunk-signature=")
    tampered = body[:end] + b"f" + body[end + 1 :]
    decoder = AwsChunkedDecoder(context(), signed=True, expect_trailer=None)
    expect_error("chunk_signature", decoder, tampered)


def test_bad_trailer_signature() -> None:
    body = encode_signed([b"abc"], trailers={"x-amz-checksum-crc32": "AAAAAA=="})
    tampered = body.replace(b"AAAAAA==", b"BBBBBB==")
    decoder = AwsChunkedDecoder(context(), signed=True, expect_trailer="x-amz-checksum-crc32")
    expect_error("chunk_signature", decoder, tampered)


def test_missing_trailer_signature() -> None:
    body = encode_signed([b"abc"], trailers={"x-amz-checksum-crc32": "AAAAAA=="})
    cut = body[: body.index(b"x-amz-trailer-signature")] + b"\r\n"
    decoder = AwsChunkedDecoder(context(), signed=True, expect_trailer="x-amz-checksum-crc32")
    expect_error("chunk_signature", decoder, cut)


@pytest.mark.parametrize(
    ("body", "expect_trailer"),
    [
        (b"zz\r\nab\r\n0\r\n\r\n", None),  # size not hex
        (b"\r\n", None),  # empty size
        (b"5\r\nhello!\r\n0\r\n\r\n", None),  # data longer than declared
        (b"5\r\nhello\n0\r\n\r\n", None),  # bare LF
        (b"5\r\nhello\r\n0\r\n\r\nextra", None),  # data after the end
        (b"5\r\nhello\r\n0\r\nno-colon\r\n\r\n", "x-amz-checksum-crc32"),
        (b"5" * 5000, None),  # endless header line
    ],
)
def test_bad_chunk(body: bytes, expect_trailer: str | None) -> None:
    decoder = AwsChunkedDecoder(None, signed=False, expect_trailer=expect_trailer)
    expect_error("bad_chunk", decoder, body)


@pytest.mark.parametrize(
    ("body", "expect_trailer"),
    [
        (b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", None),  # unannounced
        (b"5\r\nhello\r\n0\r\n\r\n", "x-amz-checksum-crc32"),  # announced trailer missing
    ],
)
def test_malformed_trailer(body: bytes, expect_trailer: str | None) -> None:
    decoder = AwsChunkedDecoder(None, signed=False, expect_trailer=expect_trailer)
    expect_error("malformed_trailer", decoder, body)


def test_signed_chunk_too_large() -> None:
    decoder = AwsChunkedDecoder(context(), signed=True, expect_trailer=None, max_chunk=10)
    expect_error("bad_chunk", decoder, encode_signed([b"x" * 11]))


@pytest.mark.parametrize("cut", [0, 1, 3, 5, 9, 12])
def test_incomplete_body(cut: int) -> None:
    decoder = AwsChunkedDecoder(None, signed=False, expect_trailer="x-amz-checksum-crc32")
    err = expect_error("incomplete_body", decoder, UNSIGNED_EXAMPLE[:cut])
    assert err.message == "The request body terminated unexpectedly"


def test_signed_needs_sigv4_context() -> None:
    with pytest.raises(ValueError):
        AwsChunkedDecoder(None, signed=True, expect_trailer=None)
    sigv2 = AuthContext(Identity("a", AKID, SECRET, "1"), "sigv2-header", "UNSIGNED-PAYLOAD")
    with pytest.raises(ValueError):
        AwsChunkedDecoder(sigv2, signed=True, expect_trailer=None)
