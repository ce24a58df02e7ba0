"""What the SSE test modules share: the encryption modes (one line each), the request
parameters and raw headers each mode needs, and the response headers AWS answers with
(s3-sse.md §3.2).

A mode is turned into boto3 parameters by an `SseEnv`, which holds the KMS keys (a customer
key with an alias, and the AWS-managed alias/aws/s3) and the SSE-C keys of one test module.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import urllib3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import ACCESS_KEY, REGION, SECRET_KEY, make_client

SSE = "x-amz-server-side-encryption"
KEY_ID = "x-amz-server-side-encryption-aws-kms-key-id"
CONTEXT = "x-amz-server-side-encryption-context"
BUCKET_KEY = "x-amz-server-side-encryption-bucket-key-enabled"
C_ALGORITHM = "x-amz-server-side-encryption-customer-algorithm"
C_KEY = "x-amz-server-side-encryption-customer-key"
C_KEY_MD5 = "x-amz-server-side-encryption-customer-key-MD5"
CS_ALGORITHM = "x-amz-copy-source-server-side-encryption-customer-algorithm"
CS_KEY = "x-amz-copy-source-server-side-encryption-customer-key"
CS_KEY_MD5 = "x-amz-copy-source-server-side-encryption-customer-key-MD5"

# Operations whose response echoes the client's encryption context (§3.2).
WITH_CONTEXT = frozenset({"PutObject", "CopyObject", "CreateMultipartUpload"})


@dataclass(frozen=True)
class Mode:
    """One way to ask for encryption.

    sse: the x-amz-server-side-encryption value (None: no header; the object is then
        SSE-S3 all the same, AWS's base level since 2023).
    key: which reference to the customer KMS key goes in x-amz-...-aws-kms-key-id:
        "id", "arn", "alias", "alias-arn"; None: no key id (aws:kms uses alias/aws/s3).
    context: an encryption context sent with the write (SSE-KMS).
    ssec: SSE-C with a customer-provided key.
    """

    name: str
    sse: str | None = None
    key: str | None = None
    context: Mapping[str, str] | None = None
    ssec: bool = False

    @property
    def kms(self) -> bool:
        return self.sse in ("aws:kms", "aws:kms:dsse")


    @property
    def etag_is_md5(self) -> bool:
        """PutObject/CopyObject ETags are the plaintext's MD5 only for SSE-S3 and no SSE (§7)."""
        return not (self.kms or self.ssec)


MODES = [
    Mode("none"),
    Mode("AES256", "AES256"),
    Mode("kms-default", "aws:kms"),
    Mode("kms-key-id", "aws:kms", key="id"),
    Mode("kms-key-arn", "aws:kms", key="arn"),
    Mode("kms-alias", "aws:kms", key="alias"),
    Mode("kms-alias-arn", "aws:kms", key="alias-arn"),
    Mode("kms-context", "aws:kms", key="id", context={"project": "alpha", "tier": "gold"}),
    Mode("SSE-C", ssec=True),
    Mode("dsse", "aws:kms:dsse", key="id"),
]


def mode_params(modes: list[Mode] = MODES) -> list[Any]:
    return [pytest.param(mode, id=mode.name) for mode in modes]


def mode_pairs(modes: list[Mode] = MODES) -> list[Any]:
    return [pytest.param(source, dest, id=f"{source.name}->{dest.name}")
            for source in modes for dest in modes]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def key_md5(key: bytes) -> str:
    return b64(hashlib.md5(key).digest())


def context_header(context: Mapping[str, str]) -> str:
    return b64(json.dumps(dict(context)).encode())


@dataclass
class SseEnv:
    """The keys one test module encrypts with, and what each mode sends and gets back."""

    endpoint: str
    key_id: str
    key_arn: str
    alias: str
    alias_arn: str
    default_arn: str                       # the key behind alias/aws/s3
    customer_key: bytes = field(default_factory=lambda: os.urandom(32), repr=False)

    @classmethod
    def create(cls, endpoint: str) -> SseEnv:
        kms = make_client(endpoint, "kms")
        key = kms.create_key(Description="sse tests")["KeyMetadata"]
        alias = f"alias/sse-tests-{uuid.uuid4().hex[:12]}"
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        default = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
        return cls(endpoint, key["KeyId"], key["Arn"], alias,
                   key["Arn"].split(":key/")[0] + ":" + alias, default)

    def key_ref(self, mode: Mode) -> str | None:
        return {None: None, "id": self.key_id, "arn": self.key_arn, "alias": self.alias,
                "alias-arn": self.alias_arn}[mode.key]

    # --- boto3 parameters ----------------------------------------------------------

    def write(self, mode: Mode, customer_key: bytes | None = None) -> dict[str, Any]:
        """PutObject / CopyObject (destination) / CreateMultipartUpload / upload_file."""
        if mode.ssec:
            return {"SSECustomerAlgorithm": "AES256",
                    "SSECustomerKey": customer_key or self.customer_key}
        params: dict[str, Any] = {}
        if mode.sse is not None:
            params["ServerSideEncryption"] = mode.sse
        if (ref := self.key_ref(mode)) is not None:
            params["SSEKMSKeyId"] = ref
        if mode.context:
            params["SSEKMSEncryptionContext"] = context_header(mode.context)
        return params

    def read(self, mode: Mode, customer_key: bytes | None = None) -> dict[str, Any]:
        """GetObject / HeadObject / download_file."""
        if not mode.ssec:
            return {}
        return {"SSECustomerAlgorithm": "AES256",
                "SSECustomerKey": customer_key or self.customer_key}

    def copy_source(self, mode: Mode, customer_key: bytes | None = None) -> dict[str, Any]:
        if not mode.ssec:
            return {}
        return {"CopySourceSSECustomerAlgorithm": "AES256",
                "CopySourceSSECustomerKey": customer_key or self.customer_key}

    # --- raw HTTP headers (what a presigned URL's holder sends) ------------------------

    def write_headers(self, mode: Mode) -> dict[str, str]:
        if mode.ssec:
            return ssec_headers(self.customer_key)
        headers = {}
        if mode.sse is not None:
            headers[SSE] = mode.sse
        if (ref := self.key_ref(mode)) is not None:
            headers[KEY_ID] = ref
        if mode.context:
            headers[CONTEXT] = context_header(mode.context)
        return headers

    def read_headers(self, mode: Mode) -> dict[str, str]:
        return ssec_headers(self.customer_key) if mode.ssec else {}

    # --- what AWS answers ------------------------------------------------------------

    def expected(self, mode: Mode, operation: str,
                 customer_key: bytes | None = None) -> dict[str, Any]:
        """The x-amz-server-side-encryption* response headers (lowercase names) of
        `operation` on an object written in `mode` (§3.2)."""
        if mode.ssec:
            return {C_ALGORITHM: "AES256",
                    C_KEY_MD5.lower(): key_md5(customer_key or self.customer_key)}
        if mode.sse is None:   # AWS's base level since 2023: every new object is SSE-S3 (§2)
            return {SSE: "AES256"}
        headers: dict[str, Any] = {SSE: mode.sse}
        if mode.kms:
            headers[KEY_ID] = self.key_arn if mode.key else self.default_arn
            if mode.context and operation in WITH_CONTEXT:
                headers[CONTEXT] = dict(mode.context)   # compared decoded
        return headers

    def check(self, headers: Mapping[str, str], mode: Mode, operation: str,
              customer_key: bytes | None = None) -> None:
        """The response's SSE headers are exactly AWS's for this mode and operation."""
        got = sse_headers(headers)
        expected = self.expected(mode, operation, customer_key)
        assert got == expected, (operation, got, expected)


def sse_headers(headers: Mapping[str, str]) -> dict[str, Any]:
    """The x-amz-server-side-encryption* headers of a response, names lowercased; the
    context decoded to a dict."""
    got: dict[str, Any] = {name.lower(): value for name, value in headers.items()
                           if name.lower().startswith(SSE)}
    if CONTEXT in got:
        got[CONTEXT] = json.loads(base64.b64decode(got[CONTEXT]))
    return got


def response_headers(response: Mapping[str, Any]) -> dict[str, str]:
    return response["ResponseMetadata"]["HTTPHeaders"]


def ssec_headers(key: bytes, *, copy_source: bool = False) -> dict[str, str]:
    names = (CS_ALGORITHM, CS_KEY, CS_KEY_MD5) if copy_source else (C_ALGORITHM, C_KEY,
                                                                     C_KEY_MD5)
    return dict(zip(names, ("AES256", b64(key), key_md5(key)), strict=True))


# --- raw requests ---------------------------------------------------------------------

_HTTP = urllib3.PoolManager(retries=False)


def http(method: str, url: str, body: bytes | None = None,
         headers: Mapping[str, str] | None = None) -> urllib3.BaseHTTPResponse:
    return _HTTP.request(method, url, body=body, headers=dict(headers or {}),
                         preload_content=True, redirect=False)


def signed(method: str, endpoint: str, path: str) -> urllib3.BaseHTTPResponse:
    """A SigV4-signed request without a body (the admin endpoints)."""
    request = AWSRequest(method=method, url=endpoint + path,
                         headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(request)
    return http(method, request.url, headers=dict(request.headers.items()))


def advance_kms_clock(endpoint: str, days: float) -> None:
    """Move the server's KMS clock forward (README: POST /_objstore/kms/clock)."""
    query = urllib.parse.urlencode({"advance-days": days})
    response = signed("POST", endpoint, f"/_objstore/kms/clock?{query}")
    assert response.status == 200, response.data


@contextlib.contextmanager
def extra_headers(client: Any, headers: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, with None, remove) request headers on every request the client signs
    meanwhile: for what boto3's parameters cannot express."""
    def handler(request: AWSRequest, **_: Any) -> None:
        for name, value in headers.items():
            if name in request.headers:
                del request.headers[name]
            if value is not None:
                request.headers[name] = value

    unique = f"sse-extra-headers-{uuid.uuid4().hex}"
    client.meta.events.register("before-sign.s3", handler, unique_id=unique)
    try:
        yield
    finally:
        client.meta.events.unregister("before-sign.s3", unique_id=unique)
