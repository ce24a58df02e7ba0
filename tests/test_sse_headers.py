"""objstore.sse.headers: SSE response headers per operation and mode (s3-sse.md §3.2), and
the header names checked against botocore's S3 model (the authority on names)."""

from __future__ import annotations

import base64
import json

import botocore.session
import pytest
from botocore.awsrequest import HeadersDict
from botocore.parsers import RestXMLParser

from objstore.sse import names
from objstore.sse.context import encode
from objstore.sse.headers import response_headers
from objstore.sse.model import StoredEncryption

ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MD5 = "Xsqb0+sHwAbNQ65I395/0w=="
MODEL = botocore.session.get_session().get_service_model("s3")

WITH_SSE = ("PutObject", "GetObject", "HeadObject", "CopyObject", "CreateMultipartUpload",
            "UploadPart", "UploadPartCopy", "CompleteMultipartUpload")
WITH_CONTEXT = ("PutObject", "CopyObject", "CreateMultipartUpload")
WITH_CUSTOMER = tuple(op for op in WITH_SSE if op != "CompleteMultipartUpload")
KMS = StoredEncryption("aws:kms", kms_key_arn=ARN)
KMS_FULL = StoredEncryption("aws:kms", kms_key_arn=ARN, context={"a": "b"},
                            bucket_key_enabled=True)
SSEC = StoredEncryption("SSE-C", customer_key_salt=bytes(32),
                        customer_key_fingerprint=bytes(32))


def parsed(operation: str, headers: dict[str, str]) -> dict[str, object]:
    """What boto3 shows the caller for these response headers."""
    shape = MODEL.operation_model(operation).output_shape
    result = RestXMLParser().parse({"status_code": 200, "headers": HeadersDict(headers),
                                    "body": b""}, shape)
    result.pop("ResponseMetadata")
    return {k: v for k, v in result.items() if v not in ("", {})}   # Body, Metadata, Copy*


@pytest.mark.parametrize("operation", WITH_SSE)
def test_sse_s3(operation: str) -> None:
    headers = response_headers(StoredEncryption("AES256"), operation)
    assert headers == {"x-amz-server-side-encryption": "AES256"}
    assert parsed(operation, headers) == {"ServerSideEncryption": "AES256"}


@pytest.mark.parametrize("operation", WITH_SSE)
def test_sse_kms_minimal(operation: str) -> None:
    # The key ARN always; BK only when a bucket key is in use; CTX only if the client gave
    # one (§3.2).
    headers = response_headers(KMS, operation)
    assert headers == {"x-amz-server-side-encryption": "aws:kms",
                       "x-amz-server-side-encryption-aws-kms-key-id": ARN}
    assert parsed(operation, headers) == {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": ARN}


@pytest.mark.parametrize("operation", WITH_SSE)
def test_sse_kms_full(operation: str) -> None:
    headers = response_headers(KMS_FULL, operation)
    expected = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": ARN, "BucketKeyEnabled": True}
    if operation in WITH_CONTEXT:
        expected["SSEKMSEncryptionContext"] = "eyJhIjoiYiJ9"
    else:
        assert "x-amz-server-side-encryption-context" not in headers
    assert headers["x-amz-server-side-encryption-bucket-key-enabled"] == "true"
    assert parsed(operation, headers) == expected


@pytest.mark.parametrize("operation", WITH_SSE)
def test_dsse_never_reports_a_bucket_key(operation: str) -> None:
    stored = StoredEncryption("aws:kms:dsse", kms_key_arn=ARN, bucket_key_enabled=True)
    assert response_headers(stored, operation) == {
        "x-amz-server-side-encryption": "aws:kms:dsse",
        "x-amz-server-side-encryption-aws-kms-key-id": ARN}


@pytest.mark.parametrize("operation", WITH_CUSTOMER)
def test_ssec_echo(operation: str) -> None:
    # No x-amz-server-side-encryption on SSE-C objects [observed, §3.2].
    headers = response_headers(SSEC, operation, customer_key_md5=MD5)
    assert headers == {"x-amz-server-side-encryption-customer-algorithm": "AES256",
                       "x-amz-server-side-encryption-customer-key-MD5": MD5}
    assert parsed(operation, headers) == {"SSECustomerAlgorithm": "AES256",
                                          "SSECustomerKeyMD5": MD5}


def test_ssec_complete_multipart_upload_echoes_nothing() -> None:
    # Not in the model; AWS returned neither [observed, §3.2].
    assert response_headers(SSEC, "CompleteMultipartUpload") == {}
    assert response_headers(SSEC, "CompleteMultipartUpload", customer_key_md5=MD5) == {}


def test_ssec_needs_the_request_md5() -> None:
    with pytest.raises(ValueError):
        response_headers(SSEC, "GetObject")


@pytest.mark.parametrize("operation", ["GetObjectAttributes", "ListParts"])
def test_operations_without_sse_response_headers(operation: str) -> None:
    assert response_headers(KMS_FULL, operation) == {}
    assert response_headers(SSEC, operation, customer_key_md5=MD5) == {}


@pytest.mark.parametrize("operation", WITH_SSE)
def test_unencrypted_objects(operation: str) -> None:
    assert response_headers(None, operation) == {}
    assert response_headers(StoredEncryption(None), operation) == {}


def test_bad_calls() -> None:
    with pytest.raises(ValueError):
        response_headers(KMS, "DeleteObject")
    with pytest.raises(ValueError):
        response_headers(StoredEncryption("aws:kms"), "GetObject")


def test_context_echo_round_trips() -> None:
    pairs = {"project": "alpha", "ünï": "cödé ☃", "aws:s3:arn": "arn:aws:s3:::b/k"}
    value = response_headers(StoredEncryption("aws:kms", kms_key_arn=ARN, context=pairs),
                             "PutObject")["x-amz-server-side-encryption-context"]
    assert value == encode(pairs)
    assert json.loads(base64.b64decode(value).decode("utf-8")) == pairs
    assert value.isascii()


# --- names: botocore's model is the authority --------------------------------------------

def _members(operation: str, io: str) -> dict[str, str]:
    op = MODEL.operation_model(operation)
    shape = op.input_shape if io == "input" else op.output_shape
    return {m.serialization.get("name", "").lower(): name for name, m in shape.members.items()
            if m.serialization.get("location") == "header"}


@pytest.mark.parametrize("operation", sorted(names.WRITES | names.READS | {"ListParts"}))
def test_request_header_names_match_the_model(operation: str) -> None:
    members = _members(operation, "input")
    expected = {names.SSE: "ServerSideEncryption", names.KEY_ID: "SSEKMSKeyId",
                names.CONTEXT: "SSEKMSEncryptionContext", names.BUCKET_KEY: "BucketKeyEnabled",
                names.CUSTOMER.algorithm: "SSECustomerAlgorithm",
                names.CUSTOMER.key: "SSECustomerKey", names.CUSTOMER.key_md5: "SSECustomerKeyMD5",
                names.COPY_SOURCE.algorithm: "CopySourceSSECustomerAlgorithm",
                names.COPY_SOURCE.key: "CopySourceSSECustomerKey",
                names.COPY_SOURCE.key_md5: "CopySourceSSECustomerKeyMD5"}
    for header, member in expected.items():
        if header in members:
            assert members[header] == member
    # §3.1: which operations take which request headers.
    takes_kms = operation in names.OBJECT_WRITES
    assert all((h in members) == takes_kms for h in names.KMS_HEADERS)
    assert all(h in members for h in names.CUSTOMER.names())
    takes_copy_source = operation in names.COPY_READS
    assert all((h in members) == takes_copy_source for h in names.COPY_SOURCE.names())


@pytest.mark.parametrize("operation", (*WITH_SSE, "GetObjectAttributes", "ListParts"))
def test_response_header_names_match_the_model(operation: str) -> None:
    members = _members(operation, "output")
    emitted = set()
    for stored in (StoredEncryption("AES256"), KMS_FULL, SSEC,
                   StoredEncryption("aws:kms:dsse", kms_key_arn=ARN)):
        emitted |= {h.lower() for h in response_headers(stored, operation,
                                                        customer_key_md5=MD5)}
    modeled = {h for h in members if h.startswith("x-amz-server-side-encryption")}
    assert emitted == modeled
