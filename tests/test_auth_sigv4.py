"""SigV4/SigV2 request verification: AWS test vectors, botocore-signed requests, failures."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import boto3
import botocore.auth
import botocore.credentials
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.config import Config
from botocore.utils import percent_encode
from multidict import CIMultiDict

from objstore.auth import sigv4
from objstore.auth.errors import AuthError
from objstore.auth.identities import IdentityStore
from objstore.auth.verify import AuthContext, RequestToVerify, authenticate

AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
VECTOR_TIME = dt.datetime(2013, 5, 24, tzinfo=dt.UTC)
SIGN_TIME = dt.datetime(2026, 11, 28, 13, 39, 11, tzinfo=dt.UTC)
ENDPOINT = "http://127.0.0.1:18081"
CREDS = botocore.credentials.Credentials(AKID, SECRET)

OBJECT_KEYS = [
    "plain.txt",
    "a/b c.txt",
    "plus+sign",
    "eq=uals",
    "tilde~x",
    "sub!*()'delims",
    "unicode/日本語/ファイル.txt",
    "literal%2Fpercent",
    "question?and#hash",
    "dots/../and//double/./slashes",
    "trailing/",
]


@pytest.fixture
def identities(tmp_path: Path) -> IdentityStore:
    store = IdentityStore(tmp_path / "identities.json")
    store.ensure("alice", AKID, SECRET)
    return store


@pytest.fixture
def fixed_clock() -> Iterator[None]:
    with mock.patch(
        "botocore.auth.get_current_datetime", return_value=SIGN_TIME.replace(tzinfo=None)
    ):
        yield


def to_verify(request: AWSRequest | AWSPreparedRequest, **extra: str) -> RequestToVerify:
    """What an HTTP server would hand to authenticate() for this botocore request."""
    parts = urlsplit(request.url)
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in request.headers.items():  # a prepared request holds bytes values
        text = value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value
        headers.add(name, text)
    headers.setdefault("Host", parts.netloc)
    return RequestToVerify(request.method, parts.path, parts.query, headers, **extra)


def expect_error(kind: str, req: RequestToVerify, store: IdentityStore, **kw: object) -> AuthError:
    kw.setdefault("service", "s3")
    kw.setdefault("now", SIGN_TIME)
    with pytest.raises(AuthError) as info:
        authenticate(req, store, **kw)  # type: ignore[arg-type]
    assert info.value.kind == kind, info.value
    return info.value


def sigv4_header(
    signed: str, signature: str, *, service: str = "s3", date: str = "20130524"
) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential={AKID}/{date}/us-east-1/{service}/aws4_request,"
        f"SignedHeaders={signed},Signature={signature}"
    )


# --- §11 test vectors -------------------------------------------------------------------


def vector_get_object() -> RequestToVerify:
    headers = {
        "Host": "examplebucket.s3.amazonaws.com",
        "Range": "bytes=0-9",
        "x-amz-content-sha256": EMPTY,
        "x-amz-date": "20130524T000000Z",
        "Authorization": sigv4_header(
            "host;range;x-amz-content-sha256;x-amz-date",
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
        ),
    }
    return RequestToVerify("GET", "/test.txt", "", headers)


def test_vector_get_object(identities: IdentityStore) -> None:
    ctx = authenticate(vector_get_object(), identities, service="s3", now=VECTOR_TIME)
    assert ctx.identity.name == "alice"
    assert ctx.form == "sigv4-header"
    assert ctx.payload_mode == EMPTY
    assert ctx.scope == "20130524/us-east-1/s3/aws4_request"
    assert ctx.timestamp == "20130524T000000Z"
    assert ctx.signing_key == sigv4.signing_key(SECRET, "20130524", "us-east-1", "s3")


def test_vector_put_object(identities: IdentityStore) -> None:
    body_hash = hashlib.sha256(b"Welcome to Amazon S3.").hexdigest()
    headers = {
        "Date": "Fri, 24 May 2013 00:00:00 GMT",
        "Host": "examplebucket.s3.amazonaws.com",
        "x-amz-content-sha256": body_hash,
        "x-amz-date": "20130524T000000Z",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "Authorization": sigv4_header(
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
        ),
    }
    req = RequestToVerify("PUT", "/test%24file.text", "", headers)
    assert authenticate(req, identities, service="s3", now=VECTOR_TIME).payload_mode == body_hash


@pytest.mark.parametrize(
    ("query", "signature"),
    [
        ("lifecycle", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        ("max-keys=2&prefix=J", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ],
)
def test_vector_bucket_get(identities: IdentityStore, query: str, signature: str) -> None:
    headers = {
        "Host": "examplebucket.s3.amazonaws.com",
        "x-amz-content-sha256": EMPTY,
        "x-amz-date": "20130524T000000Z",
        "Authorization": sigv4_header("host;x-amz-content-sha256;x-amz-date", signature),
    }
    req = RequestToVerify("GET", "/", query, headers)
    authenticate(req, identities, service="s3", now=VECTOR_TIME)


VECTOR_PRESIGN_QUERY = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256"
    f"&X-Amz-Credential={AKID}%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
)


def test_vector_presigned_get(identities: IdentityStore) -> None:
    req = RequestToVerify(
        "GET", "/test.txt", VECTOR_PRESIGN_QUERY, {"Host": "examplebucket.s3.amazonaws.com"}
    )
    ctx = authenticate(req, identities, service="s3", now=VECTOR_TIME + dt.timedelta(hours=23))
    assert ctx.form == "sigv4-query"
    assert ctx.payload_mode == "UNSIGNED-PAYLOAD"
    assert ctx.query_headers == {}
    expired = expect_error("expired", req, identities, now=VECTOR_TIME + dt.timedelta(days=2))
    assert expired.message == "Request has expired"
    assert expired.extra == {
        "X-Amz-Expires": "86400",
        "Expires": "2013-05-25T00:00:00Z",
        "ServerTime": "2013-05-26T00:00:00Z",
    }


def test_vector_streaming_seed(identities: IdentityStore) -> None:
    headers = {
        "Host": "s3.amazonaws.com",
        "Content-Encoding": "aws-chunked",
        "Content-Length": "66824",
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-date": "20130524T000000Z",
        "x-amz-decoded-content-length": "66560",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "Authorization": sigv4_header(
            "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            "x-amz-decoded-content-length;x-amz-storage-class",
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        ),
    }
    req = RequestToVerify("PUT", "/examplebucket/chunkObject.txt", "", headers)
    ctx = authenticate(req, identities, service="s3", now=VECTOR_TIME)
    assert ctx.payload_mode == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    assert ctx.seed_signature == "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"


def test_vector_chunk_signatures() -> None:
    key = sigv4.signing_key(SECRET, "20130524", "us-east-1", "s3")
    scope = "20130524/us-east-1/s3/aws4_request"
    previous = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    expected = [
        (b"a" * 65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"),
        (b"a" * 1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
        (b"", "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"),
    ]
    for data, signature in expected:
        sts = sigv4.chunk_string_to_sign(
            "20130524T000000Z", scope, previous, hashlib.sha256(data).hexdigest()
        )
        previous = sigv4.sign(key, sts)
        assert previous == signature


def test_vector_signed_trailer_signature() -> None:
    key = sigv4.signing_key(SECRET, "20130524", "us-east-1", "s3")
    sts = sigv4.trailer_string_to_sign(
        "20130524T000000Z",
        "20130524/us-east-1/s3/aws4_request",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
        {"x-amz-checksum-crc32c": "sOO8/Q=="},
    )
    assert sigv4.sign(key, sts) == (
        "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
    )


# --- canonicalisation rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("uploads", "uploads="),
        ("uploadId=u%2F1%2B2%3D&partNumber=3", "partNumber=3&uploadId=u%2F1%2B2%3D"),
        ("prefix=a+b&delimiter=%2f", "delimiter=%2F&prefix=a%2Bb"),
        ("b=2&a=2&a=1&&", "a=1&a=2&b=2"),
        ("k=%7e~%20", "k=~~%20"),
    ],
)
def test_canonical_query(raw: str, canonical: str) -> None:
    assert sigv4.canonical_query(raw) == canonical


def test_canonical_query_drops_signature() -> None:
    assert sigv4.canonical_query("b=1&X-Amz-Signature=abc", drop=("X-Amz-Signature",)) == "b=1"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("", "/"),
        ("/bkt/a%20b%2Bc", "/bkt/a%20b%2Bc"),
        ("/bkt/a b+c", "/bkt/a%20b%2Bc"),
        ("/bkt/%7e%2a", "/bkt/~%2A"),
        ("/bkt/x%252F", "/bkt/x%252F"),
        ("/bkt/a/../b//c/./d", "/bkt/a/../b//c/./d"),
    ],
)
def test_canonical_uri_s3(raw: str, canonical: str) -> None:
    assert sigv4.canonical_uri_s3(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("/", "/"), ("", "/"), ("/a/./b/../c//d/", "/a/c/d/"), ("/a%20b", "/a%2520b")],
)
def test_canonical_uri_other_services(raw: str, canonical: str) -> None:
    assert sigv4.canonical_uri_other(raw) == canonical


def test_canonical_headers_trim_and_repeat() -> None:
    headers = {"host": ["h"], "x-amz-meta-a": ["  a   b  ", "c"]}
    assert sigv4.canonical_headers(["host", "x-amz-meta-a"], headers) == (
        "host:h\nx-amz-meta-a:a b,c\n"
    )


# --- requests signed by botocore ---------------------------------------------------------


def object_url(key: str, query: str = "", bucket: str = "bkt") -> str:
    url = f"{ENDPOINT}/{bucket}/{percent_encode(key, safe='/~')}"
    return f"{url}?{query}" if query else url


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("key", OBJECT_KEYS)
def test_botocore_header_put(identities: IdentityStore, key: str) -> None:
    body = b"hello"
    request = AWSRequest(
        "PUT",
        object_url(key),
        data=body,
        headers={
            "Content-Type": "text/plain",
            "x-amz-meta-name": "  spaced   value ",
            "x-amz-server-side-encryption-customer-algorithm": "AES256",
        },
    )
    botocore.auth.S3SigV4Auth(CREDS, "s3", "us-east-1").add_auth(request)
    request.headers["Content-Length"] = "5"  # added after signing, as botocore does
    request.headers["User-Agent"] = "Boto3/1.43.11"
    ctx = authenticate(to_verify(request), identities, service="s3", now=SIGN_TIME)
    assert ctx.payload_mode == hashlib.sha256(body).hexdigest()
    assert ctx.form == "sigv4-header"


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize(
    "query",
    [
        "uploads",
        "uploadId=u%2F1%2B2%3D&partNumber=3",
        "versionId=3%2FL4kqtJl&response-content-disposition=attachment%3B%20filename%3D%22x%20y%22",
        "list-type=2&prefix=%E6%97%A5&delimiter=%2F&start-after=a%2Bb",
        "tagging",
    ],
)
def test_botocore_header_query(identities: IdentityStore, query: str) -> None:
    request = AWSRequest("GET", object_url("a b/日", query))
    botocore.auth.S3SigV4Auth(CREDS, "s3", "us-east-1").add_auth(request)
    authenticate(to_verify(request), identities, service="s3", now=SIGN_TIME)


@pytest.mark.usefixtures("fixed_clock")
def test_botocore_virtual_host(identities: IdentityStore) -> None:
    request = AWSRequest("GET", "https://examplebucket.s3.amazonaws.com/a%20b.txt")
    botocore.auth.S3SigV4Auth(CREDS, "s3", "eu-west-2").add_auth(request)
    ctx = authenticate(to_verify(request), identities, service="s3", now=SIGN_TIME)
    assert ctx.scope == "20261128/eu-west-2/s3/aws4_request"


@pytest.mark.usefixtures("fixed_clock")
def test_botocore_date_header_instead_of_x_amz_date(identities: IdentityStore) -> None:
    request = AWSRequest("GET", object_url("k"), headers={"Date": "placeholder"})
    botocore.auth.S3SigV4Auth(CREDS, "s3", "us-east-1").add_auth(request)
    assert "X-Amz-Date" not in request.headers
    ctx = authenticate(to_verify(request), identities, service="s3", now=SIGN_TIME)
    assert ctx.timestamp == "20261128T133911Z"


@pytest.mark.usefixtures("fixed_clock")
def test_repeated_header_values_are_joined(identities: IdentityStore) -> None:
    request = AWSRequest("GET", object_url("k"))
    request.headers.add_header("x-amz-meta-multi", "one")
    request.headers.add_header("x-amz-meta-multi", "two")
    botocore.auth.S3SigV4Auth(CREDS, "s3", "us-east-1").add_auth(request)
    req = to_verify(request)
    assert req.headers.getall("x-amz-meta-multi") == ["one", "two"]  # type: ignore[attr-defined]
    authenticate(req, identities, service="s3", now=SIGN_TIME)


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("key", OBJECT_KEYS)
def test_botocore_presigned_v4(identities: IdentityStore, key: str) -> None:
    request = AWSRequest(
        "GET",
        object_url(key, "response-content-disposition=inline%3B%20a%2Bb"),
        headers={"x-amz-server-side-encryption-customer-algorithm": "AES256"},
    )
    botocore.auth.S3SigV4QueryAuth(CREDS, "s3", "us-east-1", expires=600).add_auth(request)
    assert "X-Amz-Signature=" in request.url
    ctx = authenticate(to_verify(request), identities, service="s3", now=SIGN_TIME)
    assert ctx.form == "sigv4-query"
    assert ctx.payload_mode == "UNSIGNED-PAYLOAD"
    later = SIGN_TIME + dt.timedelta(seconds=601)
    err = expect_error("expired", to_verify(request), identities, now=later)
    assert err.extra["X-Amz-Expires"] == "600"
    assert err.extra["Expires"] == "2026-11-28T13:49:11Z"


@pytest.mark.usefixtures("fixed_clock")
def test_presigned_v4_unsigned_amz_header(identities: IdentityStore) -> None:
    request = AWSRequest("PUT", object_url("k"))
    botocore.auth.S3SigV4QueryAuth(CREDS, "s3", "us-east-1").add_auth(request)
    request.headers["x-amz-server-side-encryption"] = "AES256"
    request.headers["x-amz-acl"] = "private"
    err = expect_error("unsigned_headers", to_verify(request), identities)
    assert err.extra == {"HeadersNotSigned": "x-amz-acl, x-amz-server-side-encryption"}


@pytest.mark.usefixtures("fixed_clock")
def test_presigned_v4_x_amz_query_params_become_headers(identities: IdentityStore) -> None:
    url = object_url("k", "x-amz-server-side-encryption=AES256")
    request = AWSRequest("PUT", url)
    botocore.auth.S3SigV4QueryAuth(CREDS, "s3", "us-east-1").add_auth(request)
    ctx = authenticate(to_verify(request), identities, service="s3", now=SIGN_TIME)
    assert ctx.query_headers == {"x-amz-server-side-encryption": "AES256"}


@pytest.mark.usefixtures("fixed_clock")
def test_presigned_v4_not_yet_valid(identities: IdentityStore) -> None:
    request = AWSRequest("GET", object_url("k"))
    botocore.auth.S3SigV4QueryAuth(CREDS, "s3", "us-east-1").add_auth(request)
    req = to_verify(request)
    authenticate(req, identities, service="s3", now=SIGN_TIME - dt.timedelta(minutes=14))
    err = expect_error("not_yet_valid", req, identities, now=SIGN_TIME - dt.timedelta(minutes=16))
    assert err.message == "Request is not valid yet"


def presign_v4(expires: str) -> RequestToVerify:
    query = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential={AKID}%2F20261128%2Fus-east-1%2Fs3%2Faws4_request"
        f"&X-Amz-Date=20261128T133911Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=0000"
    )
    return RequestToVerify("GET", "/bkt/k", query, {"Host": "127.0.0.1"})


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("abc", "X-Amz-Expires should be a number"),
        ("-1", "X-Amz-Expires must be non-negative"),
        ("0", "X-Amz-Expires must be at least 1 second"),
        ("604801", "X-Amz-Expires must be less than a week (in seconds); that is, the given "),
    ],
)
def test_presigned_v4_bad_expires(identities: IdentityStore, expires: str, message: str) -> None:
    err = expect_error("malformed_query", presign_v4(expires), identities)
    assert err.message.startswith(message)


def test_presigned_v4_max_expires_accepted(identities: IdentityStore) -> None:
    # parameter accepted; the dummy signature then fails
    expect_error("bad_signature", presign_v4("604800"), identities)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("X-Amz-Algorithm=AWS4-HMAC-SHA256", "Query-string authentication version 4 requires"),
        (presign_v4("60").raw_query.replace("AWS4-HMAC-SHA256", "HMAC"), "X-Amz-Algorithm only"),
        (presign_v4("60").raw_query.replace("%2Fs3%2F", "%2F"), "Error parsing the X-Amz-Cred"),
        (presign_v4("60").raw_query.replace("T133911Z", "T1339Z"), "X-Amz-Date must be in"),
        (presign_v4("60").raw_query.replace("=host", "=x-amz-date"), "X-Amz-SignedHeaders must"),
        (
            presign_v4("60").raw_query.replace("1128%2F", "1127%2F"),
            'Error parsing the X-Amz-Credential parameter; Invalid credential date "20261127"',
        ),
    ],
)
def test_presigned_v4_malformed(identities: IdentityStore, query: str, message: str) -> None:
    req = RequestToVerify("GET", "/bkt/k", query, {"Host": "127.0.0.1"})
    err = expect_error("malformed_query", req, identities)
    assert err.message.startswith(message)


def test_presigned_sigv4a_unsupported(identities: IdentityStore) -> None:
    query = presign_v4("60").raw_query.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")
    expect_error("unsupported", RequestToVerify("GET", "/b/k", query, {}), identities)


def sigv2_presign(url: str, expires: int = 3600, **headers: str) -> AWSRequest:
    request = AWSRequest("GET", url, headers=headers)
    with mock.patch("botocore.auth.time") as fake_time:
        fake_time.time.return_value = SIGN_TIME.timestamp()
        botocore.auth.HmacV1QueryAuth(CREDS, expires=expires).add_auth(request)
    return request


@pytest.mark.parametrize("key", OBJECT_KEYS)
def test_botocore_presigned_v2(identities: IdentityStore, key: str) -> None:
    sse_c = {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        "x-amz-server-side-encryption-customer-key-MD5": "4Funlf7OsLF0HL+vKU+fkg==",
    }
    url = object_url(key, "versionId=v%2B1&response-content-type=text%2Fplain&other=x")
    request = sigv2_presign(url, **sse_c)
    assert "AWSAccessKeyId=" in request.url
    ctx = authenticate(to_verify(sigv2_presign(url)), identities, service="s3", now=SIGN_TIME)
    assert ctx.form == "sigv2-query"
    bare = RequestToVerify("GET", *urlsplit(request.url)[2:4], {"Host": "127.0.0.1:18081"})
    ctx = authenticate(bare, identities, service="s3", now=SIGN_TIME)
    assert ctx.payload_mode == "UNSIGNED-PAYLOAD"
    assert ctx.query_headers == {name.lower(): value for name, value in sse_c.items()}


def test_presigned_v2_expired(identities: IdentityStore) -> None:
    request = sigv2_presign(object_url("k"), expires=60)
    err = expect_error(
        "expired", to_verify(request), identities, now=SIGN_TIME + dt.timedelta(seconds=61)
    )
    assert err.extra == {"Expires": "2026-11-28T13:40:11Z", "ServerTime": "2026-11-28T13:40:12Z"}


def test_presigned_v2_wrong_secret(identities: IdentityStore) -> None:
    request = AWSRequest("GET", object_url("k"))
    with mock.patch("botocore.auth.time") as fake_time:
        fake_time.time.return_value = SIGN_TIME.timestamp()
        wrong = botocore.credentials.Credentials(AKID, "not-the-secret")
        botocore.auth.HmacV1QueryAuth(wrong).add_auth(request)
    err = expect_error("bad_signature", to_verify(request), identities)
    expires = int(SIGN_TIME.timestamp()) + 3600
    assert err.extra["StringToSign"] == f"GET\n\n\n{expires}\n/bkt/k"


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        (f"AWSAccessKeyId={AKID}&Signature=x", "malformed_query"),
        (f"AWSAccessKeyId={AKID}&Signature=x&Expires=soon", "malformed_query"),
        ("AWSAccessKeyId=NOPE&Signature=x&Expires=1795876751", "unknown_key"),
    ],
)
def test_presigned_v2_malformed(identities: IdentityStore, query: str, kind: str) -> None:
    expect_error(kind, RequestToVerify("GET", "/bkt/k", query, {}), identities)


def sigv2_header_request(url: str, creds: botocore.credentials.Credentials = CREDS) -> AWSRequest:
    request = AWSRequest(
        "PUT",
        url,
        data=b"x",
        headers={"Content-Type": "text/plain", "Content-MD5": "LZ4fK7ZKqDXgeUbd6WQVXQ=="},
    )
    request.headers["x-amz-meta-a"] = " 1 "
    with mock.patch("botocore.auth.formatdate", return_value="Sat, 28 Nov 2026 13:39:11 GMT"):
        botocore.auth.HmacV1Auth(creds).add_auth(request)
    return request


@pytest.mark.parametrize("key", OBJECT_KEYS)
def test_botocore_sigv2_header(identities: IdentityStore, key: str) -> None:
    request = sigv2_header_request(object_url(key, "uploadId=x%2By&partNumber=2"))
    ctx = authenticate(to_verify(request), identities, service="s3", now=SIGN_TIME)
    assert ctx.form == "sigv2-header"
    later = SIGN_TIME + dt.timedelta(minutes=16)
    err = expect_error("skew", to_verify(request), identities, now=later)
    assert err.extra["RequestTime"] == "Sat, 28 Nov 2026 13:39:11 GMT"


def test_sigv2_header_virtual_host(identities: IdentityStore) -> None:
    request = AWSRequest("GET", "http://bkt.s3.example.com/a%20b", auth_path="/bkt/a%20b")
    with mock.patch("botocore.auth.formatdate", return_value="Sat, 28 Nov 2026 13:39:11 GMT"):
        botocore.auth.HmacV1Auth(CREDS).add_auth(request)
    req = to_verify(request, vhost_bucket="bkt")
    assert authenticate(req, identities, service="s3", now=SIGN_TIME).form == "sigv2-header"


def test_sigv2_header_failures(identities: IdentityStore) -> None:
    wrong = sigv2_header_request(object_url("k"), botocore.credentials.Credentials(AKID, "wrong"))
    expect_error("bad_signature", to_verify(wrong), identities)
    unknown = sigv2_header_request(
        object_url("k"), botocore.credentials.Credentials("AKIDUNKNOWN", SECRET)
    )
    expect_error("unknown_key", to_verify(unknown), identities)
    no_colon = RequestToVerify("GET", "/b/k", "", {"Authorization": "AWS nocolon"})
    expect_error("malformed_header", no_colon, identities)
    no_date = RequestToVerify("GET", "/b/k", "", {"Authorization": f"AWS {AKID}:sig"})
    expect_error("malformed_header", no_date, identities)
    kms = RequestToVerify("POST", "/", "", {"Authorization": f"AWS {AKID}:sig"})
    expect_error("unsupported", kms, identities, service="kms")


def kms_request(body: bytes, creds: botocore.credentials.Credentials = CREDS) -> AWSRequest:
    request = AWSRequest(
        "POST",
        f"{ENDPOINT}/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "TrentService.GenerateDataKey",
        },
    )
    botocore.auth.SigV4Auth(creds, "kms", "eu-central-1").add_auth(request)
    return request


@pytest.mark.usefixtures("fixed_clock")
def test_botocore_kms(identities: IdentityStore) -> None:
    body = json.dumps({"KeyId": "alias/x", "KeySpec": "AES_256"}).encode()
    digest = hashlib.sha256(body).hexdigest()
    request = kms_request(body)
    assert "X-Amz-Content-SHA256" not in request.headers
    req = to_verify(request, body_sha256=digest)
    ctx = authenticate(req, identities, service="kms", now=SIGN_TIME)
    assert ctx.scope == "20261128/eu-central-1/kms/aws4_request"
    assert ctx.payload_mode == digest
    tampered = to_verify(request, body_sha256=hashlib.sha256(b"{}").hexdigest())
    err = expect_error("bad_signature", tampered, identities, service="kms")
    assert err.message.endswith("Consult the service documentation for details.")
    # the S3 endpoint refuses a KMS-scoped signature
    err = expect_error("malformed_header", req, identities, service="s3")
    assert 'incorrect service "kms"' in err.message


@pytest.mark.usefixtures("fixed_clock")
def test_kms_empty_body_default(identities: IdentityStore) -> None:
    request = kms_request(b"")
    authenticate(to_verify(request), identities, service="kms", now=SIGN_TIME)


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize(
    ("delta", "start"),
    [
        (
            dt.timedelta(minutes=6),
            "Signature expired: 20261128T133911Z is now earlier than "
            "20261128T134011Z (20261128T134511Z - 5 min.)",
        ),
        (
            -dt.timedelta(minutes=6),
            "Signature not yet current: 20261128T133911Z is still later "
            "than 20261128T133811Z (20261128T133311Z + 5 min.)",
        ),
    ],
)
def test_kms_skew(identities: IdentityStore, delta: dt.timedelta, start: str) -> None:
    body = b"{}"
    req = to_verify(kms_request(body), body_sha256=hashlib.sha256(body).hexdigest())
    authenticate(req, identities, service="kms", now=SIGN_TIME + delta / 2)
    err = expect_error("skew", req, identities, service="kms", now=SIGN_TIME + delta)
    assert err.message == start


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("minutes", [16, -16])
def test_s3_skew(identities: IdentityStore, minutes: int) -> None:
    request = AWSRequest("GET", object_url("k"))
    botocore.auth.S3SigV4Auth(CREDS, "s3", "us-east-1").add_auth(request)
    req = to_verify(request)
    authenticate(req, identities, service="s3", now=SIGN_TIME + dt.timedelta(minutes=14))
    now = SIGN_TIME + dt.timedelta(minutes=minutes)
    err = expect_error("skew", req, identities, now=now)
    assert err.message == (
        "The difference between the request time and the current time is too large."
    )
    assert err.extra == {
        "RequestTime": "20261128T133911Z",
        "ServerTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "MaxAllowedSkewMilliseconds": "900000",
    }


# --- the botocore client end to end (captured just before sending) -------------------------


class Captured(Exception):
    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


def capture(client: object, call: str, **params: object) -> AWSPreparedRequest:
    def before_send(request: AWSPreparedRequest, **_: object) -> None:
        raise Captured(request)

    client.meta.events.register("before-send", before_send)  # type: ignore[attr-defined]
    with pytest.raises(Captured) as info:
        getattr(client, call)(**params)
    return info.value.request


def client(service: str, endpoint: str = ENDPOINT, **config: object) -> object:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}, **config),  # type: ignore[arg-type]
    )


NOW = dt.datetime.now(dt.UTC)


@pytest.mark.parametrize("key", OBJECT_KEYS)
def test_boto3_put_object_sse_c(identities: IdentityStore, key: str) -> None:
    request = capture(
        client("s3"),
        "put_object",
        Bucket="bkt",
        Key=key,
        Body=b"hello",
        SSECustomerAlgorithm="AES256",
        SSECustomerKey="k" * 32,
        Metadata={"note": "a  b"},
    )
    ctx = authenticate(to_verify(request), identities, service="s3", now=NOW)
    assert ctx.payload_mode == hashlib.sha256(b"hello").hexdigest()


def test_boto3_kms(identities: IdentityStore) -> None:
    request = capture(client("kms"), "generate_data_key", KeyId="alias/x", KeySpec="AES_256")
    digest = hashlib.sha256(request.body).hexdigest()  # type: ignore[arg-type]
    ctx = authenticate(to_verify(request, body_sha256=digest), identities, service="kms", now=NOW)
    assert ctx.form == "sigv4-header"


@pytest.mark.parametrize("key", OBJECT_KEYS)
@pytest.mark.parametrize("signature_version", [None, "s3v4"])
def test_boto3_presigned_url(
    identities: IdentityStore, key: str, signature_version: str | None
) -> None:
    s3 = client("s3", signature_version=signature_version)
    url = s3.generate_presigned_url(  # type: ignore[attr-defined]
        "get_object",
        Params={"Bucket": "bkt", "Key": key, "ResponseContentDisposition": "attachment; x=y"},
    )
    parts = urlsplit(url)
    req = RequestToVerify("GET", parts.path, parts.query, {"Host": parts.netloc})
    ctx = authenticate(req, identities, service="s3", now=NOW)
    assert ctx.form == ("sigv4-query" if signature_version else "sigv2-query")


# --- generic failures ----------------------------------------------------------------------


@pytest.mark.usefixtures("fixed_clock")
def test_wrong_secret(identities: IdentityStore) -> None:
    request = AWSRequest("GET", object_url("k"))
    wrong = botocore.credentials.Credentials(AKID, SECRET + "x")
    botocore.auth.S3SigV4Auth(wrong, "s3", "us-east-1").add_auth(request)
    err = expect_error("bad_signature", to_verify(request), identities)
    assert err.message.startswith("The request signature we calculated does not match")
    assert err.extra["AWSAccessKeyId"] == AKID
    assert err.extra["CanonicalRequest"].startswith("GET\n/bkt/k\n\nhost:127.0.0.1:18081\n")
    assert err.extra["StringToSign"].startswith("AWS4-HMAC-SHA256\n20261128T133911Z\n")
    assert err.extra["StringToSignBytes"].startswith("41 57 53 34 2d")
    assert set(err.extra) >= {"SignatureProvided", "CanonicalRequestBytes"}


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("service", ["s3", "kms"])
def test_unknown_key(identities: IdentityStore, service: str) -> None:
    request = AWSRequest("POST", f"{ENDPOINT}/")
    other = botocore.credentials.Credentials("AKIAUNKNOWNKEY000000", SECRET)
    botocore.auth.S3SigV4Auth(other, service, "us-east-1").add_auth(request)
    err = expect_error("unknown_key", to_verify(request), identities, service=service)
    assert err.extra == {"AWSAccessKeyId": "AKIAUNKNOWNKEY000000"}
    expected = {
        "s3": "The AWS Access Key Id you provided does not exist in our records.",
        "kms": "The security token included in the request is invalid.",
    }
    assert err.message == expected[service]


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: RequestToVerify("GET", r.raw_path + "x", r.raw_query, r.headers),
        lambda r: RequestToVerify("GET", r.raw_path, "a=1", r.headers),
        lambda r: RequestToVerify("HEAD", r.raw_path, r.raw_query, r.headers),
        lambda r: RequestToVerify(
            "GET", r.raw_path, r.raw_query, {**r.headers, "Range": "bytes=0-1"}
        ),
    ],
)
def test_tampered_request(identities: IdentityStore, tamper: object) -> None:
    request = AWSRequest("GET", object_url("a b"), headers={"Range": "bytes=0-9"})
    botocore.auth.S3SigV4Auth(CREDS, "s3", "us-east-1").add_auth(request)
    req = RequestToVerify(
        "GET", *urlsplit(request.url)[2:4], {**request.headers, "Host": "127.0.0.1:18081"}
    )
    authenticate(req, identities, service="s3", now=SIGN_TIME)
    expect_error("bad_signature", tamper(req), identities)  # type: ignore[operator]


@pytest.mark.usefixtures("fixed_clock")
def test_unsigned_amz_header_on_header_auth(identities: IdentityStore) -> None:
    request = AWSRequest("GET", object_url("k"))
    botocore.auth.S3SigV4Auth(CREDS, "s3", "us-east-1").add_auth(request)
    request.headers["x-amz-copy-source"] = "/other/key"
    err = expect_error("unsigned_headers", to_verify(request), identities)
    assert err.extra == {"HeadersNotSigned": "x-amz-copy-source"}


def signed_vector_headers(**changes: str | None) -> dict[str, str]:
    headers = dict(vector_get_object().headers)
    for name, value in changes.items():
        headers.pop(name.replace("_", "-"), None)
        if value is not None:
            headers[name.replace("_", "-")] = value
    return headers


@pytest.mark.parametrize(
    ("changes", "kind", "message"),
    [
        ({"Authorization": "AWS4-HMAC-SHA256 garbage"}, "malformed_header", "The authorization"),
        (
            {"Authorization": sigv4_header("host", "abc").replace("SignedHeaders", "Signed")},
            "malformed_header",
            "The authorization header is malformed; the authorization header requires three",
        ),
        (
            {"Authorization": sigv4_header("host", "abc").replace("/s3/aws4_request", "/s3")},
            "malformed_header",
            "The authorization header is malformed; the Credential is mal-formed",
        ),
        (
            {"Authorization": sigv4_header("host;;x", "abc")},
            "malformed_header",
            "The authorization header is malformed; SignedHeaders is malformed.",
        ),
        (
            {"Authorization": sigv4_header("range;x-amz-content-sha256;x-amz-date", "abc")},
            "malformed_header",
            "The authorization header is malformed; SignedHeaders must include host.",
        ),
        (
            {"Authorization": sigv4_header("host", "abc", date="20130523")},
            "malformed_header",
            'The authorization header is malformed; Invalid credential date "20130523". '
            'This date is not the same as X-Amz-Date: "20130524".',
        ),
        (
            {"x_amz_date": None},
            "malformed_header",
            "AWS authentication requires a valid Date or x-amz-date header",
        ),
        (
            {"x_amz_date": "2013-05-24T00:00:00Z"},
            "malformed_header",
            "AWS authentication requires a valid Date or x-amz-date header",
        ),
        (
            {"x_amz_content_sha256": None},
            "missing_content_sha256",
            "Missing required header for this request: x-amz-content-sha256",
        ),
        (
            {"Authorization": "AWS4-ECDSA-P256-SHA256 Credential=x"},
            "unsupported",
            "The authorization mechanism you have provided is not supported.",
        ),
        ({"Authorization": "Bearer token"}, "unsupported", "The authorization mechanism"),
    ],
)
def test_malformed_header_auth(
    identities: IdentityStore, changes: dict[str, str | None], kind: str, message: str
) -> None:
    req = RequestToVerify("GET", "/test.txt", "", signed_vector_headers(**changes))
    err = expect_error(kind, req, identities, now=VECTOR_TIME)
    assert err.message.startswith(message)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("abc", "bad_content_sha256"),
        ("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "unsupported"),
        ("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER", "unsupported"),
    ],
)
def test_content_sha256_values(identities: IdentityStore, value: str, kind: str) -> None:
    signed = "host;x-amz-content-sha256;x-amz-date"
    canonical = sigv4.canonical_request(
        "PUT",
        "/b/k",
        "",
        f"host:h\nx-amz-content-sha256:{value}\nx-amz-date:20130524T000000Z\n",
        signed,
        value,
    )
    scope = "20130524/us-east-1/s3/aws4_request"
    key = sigv4.signing_key(SECRET, "20130524", "us-east-1", "s3")
    signature = sigv4.sign(key, sigv4.string_to_sign("20130524T000000Z", scope, canonical))
    headers = {
        "Host": "h",
        "x-amz-content-sha256": value,
        "x-amz-date": "20130524T000000Z",
        "Authorization": sigv4_header(signed, signature),
    }
    err = expect_error(
        kind, RequestToVerify("PUT", "/b/k", "", headers), identities, now=VECTOR_TIME
    )
    if kind == "bad_content_sha256":
        assert err.message.startswith("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, ")


def test_upper_case_hex_payload_is_normalised(identities: IdentityStore) -> None:
    value = EMPTY.upper()
    signed = "host;x-amz-content-sha256;x-amz-date"
    canonical = sigv4.canonical_request(
        "GET",
        "/b/k",
        "",
        f"host:h\nx-amz-content-sha256:{value}\nx-amz-date:20130524T000000Z\n",
        signed,
        value,
    )
    key = sigv4.signing_key(SECRET, "20130524", "us-east-1", "s3")
    sts = sigv4.string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", canonical)
    headers = {
        "Host": "h",
        "x-amz-content-sha256": value,
        "x-amz-date": "20130524T000000Z",
        "Authorization": sigv4_header(signed, sigv4.sign(key, sts)),
    }
    ctx = authenticate(
        RequestToVerify("GET", "/b/k", "", headers), identities, service="s3", now=VECTOR_TIME
    )
    assert ctx.payload_mode == EMPTY


@pytest.mark.parametrize(
    ("service", "message"), [("s3", "Access Denied"), ("kms", "Missing Authentication Token")]
)
def test_no_credentials(identities: IdentityStore, service: str, message: str) -> None:
    req = RequestToVerify("GET", "/bkt/k", "AWSAccessKeyId=x&X-Amz-Credential=y", {})
    assert expect_error("missing", req, identities, service=service).message == message


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("X-Amz-Algorithm=AWS4-HMAC-SHA256&Signature=x", {}),
        ("X-Amz-Algorithm=AWS4-HMAC-SHA256", {"Authorization": "AWS4-HMAC-SHA256 x"}),
        ("Signature=x", {"Authorization": "AWS a:b"}),
    ],
)
def test_multiple_auth(identities: IdentityStore, query: str, headers: dict[str, str]) -> None:
    err = expect_error("multiple_auth", RequestToVerify("GET", "/", query, headers), identities)
    assert err.message.startswith("Only one auth mechanism allowed")


def test_query_auth_only_for_s3(identities: IdentityStore) -> None:
    req = RequestToVerify("GET", "/", VECTOR_PRESIGN_QUERY, {"Host": "h"})
    expect_error("unsupported", req, identities, service="kms")


def test_auth_context_hides_signing_key(identities: IdentityStore) -> None:
    ctx = authenticate(vector_get_object(), identities, service="s3", now=VECTOR_TIME)
    assert isinstance(ctx, AuthContext)
    assert "signing_key" not in repr(ctx)
    assert SECRET not in repr(ctx)


def test_signing_key_is_cached() -> None:
    sigv4.signing_key.cache_clear()
    sigv4.signing_key(SECRET, "20130524", "us-east-1", "s3")
    sigv4.signing_key(SECRET, "20130524", "us-east-1", "s3")
    assert sigv4.signing_key.cache_info().hits == 1
