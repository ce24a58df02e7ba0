"""The SSE error matrix of s3-sse.md (§4.1, §4.5, §5.3-§5.5, §6.4, §6.9, §8.4, §9), row by
row, through boto3 (and raw HTTP where boto3 cannot say it) against the live server: the
exact code and HTTP status, and AWS's message where the reference records one as observed.
HEAD errors have no body, so boto3 reports the status as the code."""

from __future__ import annotations

import json
import os
import re
import socket
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import add_user, client_error, expect_error, make_client
from tests.rawhttp import sign
from tests.sse_helpers import (
    BUCKET_KEY,
    C_KEY_MD5,
    CONTEXT,
    KEY_ID,
    SSE,
    SseEnv,
    advance_kms_clock,
    b64,
    extra_headers,
    http,
    key_md5,
    ssec_headers,
)

# AWS's messages, as s3-sse.md records them.
INCOMPATIBLE = ("Server Side Encryption with Customer provided key is incompatible with the "
                "encryption method specified")
KMS_REQUIRES = ("Server Side Encryption with AWS KMS managed key requires HTTP header "
                "x-amz-server-side-encryption : aws:kms")
BAD_ALGORITHM = "The Encryption request you specified is not valid. Supported value: AES256."
NEED_ALGORITHM = ("Requests specifying Server Side Encryption with Customer provided keys must "
                  "provide a valid encryption algorithm.")
NEED_KEY = ("Requests specifying Server Side Encryption with Customer provided keys must "
            "provide an appropriate secret key.")
MD5_MISMATCH = "The calculated MD5 hash of the key did not match the hash that was provided."
BAD_KEY = "The secret key was invalid for the specified algorithm."
KEY_REQUIRED = ("The object was stored using a form of Server Side Encryption. The correct "
                "parameters must be provided to retrieve the object.")
WRONG_KEY = ("Requests specifying Server Side Encryption with Customer provided keys must "
             "provide the correct secret key.")
NOT_APPLICABLE = "The encryption parameters are not applicable to this object."
PART_NEEDS_KEY = ("The multipart upload initiate requested encryption. Subsequent part "
                  "requests must include the appropriate encryption parameters.")
PART_KEY_MISMATCH = ("The provided encryption parameters did not match the ones used "
                     "originally.")
SELF_COPY = ("This copy request is illegal because it is trying to copy an object to itself "
             "without changing the object's metadata, storage class, website redirect "
             "location or encryption attributes.")
NEED_SIGV4 = ("Requests specifying Server Side Encryption with AWS KMS managed keys require "
              "AWS Signature Version 4.")
NOT_SIGNED = "There were headers present in the request which were not signed"
BLOCKED_TAIL = ("because this bucket has blocked upload requests that specify Server Side "
                "Encryption with Customer provided keys (SSE-C). Please specify a different "
                "server-side encryption type")
REASONS = {400: "Bad Request", 403: "Forbidden", 404: "Not Found"}

KEY = os.urandom(32)          # the SSE-C key of this module's objects
OTHER = os.urandom(32)
BODY = os.urandom(70_000)


def expect(code: str, status: int, call: Callable[..., Any], message: str | None = None,
           **params: Any) -> dict[str, str]:
    """The call fails with this code and status; `message` is a regular expression the
    whole message must match. For HEAD (no body) pass the status as the code."""
    error = expect_error(code, status, call, **params)
    if code == str(status):
        assert error["Message"] == REASONS[status]
    if message is not None:
        assert re.fullmatch(message, error["Message"]), error
    return error


def exact(text: str) -> str:
    return re.escape(text)


def ssec(key: bytes | str | None = KEY, *, algorithm: str | None = "AES256",
         md5: str | None = None, prefix: str = "") -> dict[str, Any]:
    """boto3's SSE-C parameters (prefix "CopySource" for the copy source); botocore
    base64-encodes the key and adds its MD5 unless `md5` is given."""
    params: dict[str, Any] = {}
    if algorithm is not None:
        params[prefix + "SSECustomerAlgorithm"] = algorithm
    if key is not None:
        params[prefix + "SSECustomerKey"] = key
    if md5 is not None:
        params[prefix + "SSECustomerKeyMD5"] = md5
    return params


@pytest.fixture(scope="module")
def env(server) -> SseEnv:
    return SseEnv.create(server.endpoint)


@pytest.fixture(scope="module")
def kms(server) -> Any:
    return make_client(server.endpoint, "kms")


@pytest.fixture(scope="module")
def box(s3, env: SseEnv) -> str:
    """A bucket with one object per mode, written once for the whole module."""
    name = f"errors-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="plain", Body=BODY)
    s3.put_object(Bucket=name, Key="aes", Body=BODY, ServerSideEncryption="AES256")
    s3.put_object(Bucket=name, Key="kms", Body=BODY, ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=env.key_id)
    s3.put_object(Bucket=name, Key="ssec", Body=BODY, **ssec())
    s3.put_object(Bucket=name, Key="ssec-empty", Body=b"", **ssec())
    return name


@pytest.fixture(scope="module")
def upload(s3, box: str) -> str:
    """An unencrypted multipart upload, the destination of UploadPartCopy reads."""
    return s3.create_multipart_upload(Bucket=box, Key="upload-target")["UploadId"]


def _new_key(kms: Any, **params: Any) -> dict[str, Any]:
    return kms.create_key(**params)["KeyMetadata"]


# --- writes: the SSE headers a write sends (PutObject, CopyObject dest, CreateMPU) ----

WRITES: dict[str, Callable[..., Any]] = {
    "PutObject": lambda s3, box, key, **p: s3.put_object(Bucket=box, Key=key, Body=b"x", **p),
    "CopyObject": lambda s3, box, key, **p: s3.copy_object(
        Bucket=box, Key=key, CopySource={"Bucket": box, "Key": "plain"}, **p),
    "CreateMultipartUpload": lambda s3, box, key, **p: s3.create_multipart_upload(
        Bucket=box, Key=key, **p),
}


@dataclass(frozen=True)
class Row:
    params: Callable[[SseEnv], dict[str, Any]]
    code: str
    message: str | None = None            # a regular expression, when AWS's text is known
    argument: str | None = None           # ArgumentName
    status: int = 400
    headers: dict[str, str | None] = field(default_factory=dict)
    xfail: str | None = None


WRITE_ROWS = {
    # §5.3 row 1
    "ssec-with-AES256": Row(lambda e: {"ServerSideEncryption": "AES256", **ssec()},
                            "InvalidArgument", exact(INCOMPATIBLE), SSE),
    "ssec-with-aws:kms": Row(lambda e: {"ServerSideEncryption": "aws:kms", **ssec()},
                             "InvalidArgument", exact(INCOMPATIBLE), SSE),
    # §4.1 rules 4 and 5
    "key-id-without-sse": Row(lambda e: {"SSEKMSKeyId": e.key_id}, "InvalidArgument",
                              exact(KMS_REQUIRES)),
    "AES256-with-key-id": Row(lambda e: {"ServerSideEncryption": "AES256",
                                         "SSEKMSKeyId": e.key_id}, "InvalidArgument"),
    # §4.6: any other value, the empty string too; values are case-sensitive (§3.1)
    "unknown-sse-value": Row(lambda e: {"ServerSideEncryption": "aes:kms"}, "InvalidArgument",
                             argument=SSE),
    "empty-sse-value": Row(lambda e: {"ServerSideEncryption": ""}, "InvalidArgument",
                           argument=SSE),
    "lowercase-sse-value": Row(lambda e: {"ServerSideEncryption": "aes256"}, "InvalidArgument",
                               argument=SSE),
    # §4.2
    "context-not-base64-json": Row(lambda e: {"ServerSideEncryption": "aws:kms",
                                              "SSEKMSEncryptionContext": "not json"},
                                   "InvalidArgument"),
    "context-not-string-map": Row(lambda e: {"ServerSideEncryption": "aws:kms",
                                             "SSEKMSEncryptionContext": b64(b'{"a": 1}')},
                                  "InvalidArgument"),
    # §5.3 rows 2-7
    "ssec-algorithm-AES128": Row(lambda e: ssec(algorithm="AES128"),
                                 "InvalidEncryptionAlgorithmError", exact(BAD_ALGORITHM)),
    "ssec-key-without-algorithm": Row(lambda e: ssec(algorithm=None), "InvalidArgument",
                                      exact(NEED_ALGORITHM)),
    "ssec-algorithm-without-key": Row(lambda e: ssec(None), "InvalidArgument",
                                      exact(NEED_KEY)),
    "ssec-without-key-md5": Row(lambda e: ssec(), "InvalidArgument",
                                headers={C_KEY_MD5: None}),
    "ssec-key-md5-mismatch": Row(lambda e: ssec(b64(KEY), md5=key_md5(OTHER)),
                                 "InvalidArgument", exact(MD5_MISMATCH)),
    "ssec-key-16-bytes": Row(lambda e: ssec(os.urandom(16)), "InvalidArgument",
                             exact(BAD_KEY)),
    # §5.1: an already-base64 key without its MD5 is encoded again by botocore: 44 bytes
    "ssec-key-base64-twice": Row(lambda e: ssec(b64(KEY)), "InvalidArgument", exact(BAD_KEY)),
    # §4.5: key ids that name no key
    "kms-fake-key-id": Row(lambda e: {"ServerSideEncryption": "aws:kms",
                                      "SSEKMSKeyId": "fake-key-id"},
                           "KMS.NotFoundException", exact("Invalid keyId 'fake-key-id'")),
    "kms-aws/s3-without-alias": Row(lambda e: {"ServerSideEncryption": "aws:kms",
                                               "SSEKMSKeyId": "aws/s3"},
                                    "KMS.NotFoundException", "Invalid keyId '?aws/s3'?"),
    "kms-missing-key-arn": Row(lambda e: {"ServerSideEncryption": "aws:kms",
                                          "SSEKMSKeyId": e.key_arn[:-12] + "0" * 12},
                               "KMS.NotFoundException",
                               r"Key 'arn:aws:kms:us-east-1:\d{12}:key/[0-9a-f-]+0{12}' does "
                               r"not exist"),
    "kms-missing-key-id": Row(lambda e: {"ServerSideEncryption": "aws:kms",
                                         "SSEKMSKeyId": str(uuid.uuid4())},
                              "KMS.NotFoundException"),
    "kms-missing-alias": Row(lambda e: {"ServerSideEncryption": "aws:kms",
                                        "SSEKMSKeyId": "alias/no-such-alias"},
                             "KMS.NotFoundException"),
    "kms-key-in-another-region": Row(lambda e: {"ServerSideEncryption": "aws:kms",
                                                "SSEKMSKeyId": e.key_arn.replace(
                                                    "us-east-1", "us-west-2")},
                                     "KMS.NotFoundException"),
    "dsse-fake-key-id": Row(lambda e: {"ServerSideEncryption": "aws:kms:dsse",
                                       "SSEKMSKeyId": "fake-key-id"},
                            "KMS.NotFoundException", exact("Invalid keyId 'fake-key-id'")),
}


@pytest.mark.parametrize("row", list(WRITE_ROWS))
@pytest.mark.parametrize("operation", list(WRITES))
def test_write_header_errors(s3, box: str, env: SseEnv, operation: str, row: str) -> None:
    spec = WRITE_ROWS[row]
    with extra_headers(s3, spec.headers):
        error = expect(spec.code, spec.status, WRITES[operation], spec.message, s3=s3,
                       box=box, key=f"refused/{row}", **spec.params(env))
    if spec.argument is not None:
        assert error.get("ArgumentName") == spec.argument
    assert b64(KEY) not in json.dumps(error)   # an error never echoes a customer key


def test_key_in_another_region_message(s3, box: str, env: SseEnv) -> None:
    expect("KMS.NotFoundException", 400, s3.put_object, exact("Invalid arn us-west-2"),
           Bucket=box, Key="region", Body=b"x", ServerSideEncryption="aws:kms",
           SSEKMSKeyId=env.key_arn.replace("us-east-1", "us-west-2"))


def test_bucket_is_checked_before_sse(s3, box: str) -> None:
    expect("NoSuchBucket", 404, s3.put_object, Bucket=f"missing-{uuid.uuid4().hex[:12]}",
           Key="k", Body=b"x", ServerSideEncryption="bogus")
    expect("NoSuchKey", 404, s3.get_object, Bucket=box, Key="missing", **ssec())


# --- writes with keys the KMS cannot use (§4.5) ----------------------------------------

@pytest.fixture(scope="module")
def unusable_keys(kms: Any) -> dict[str, tuple[str, str, str]]:
    """state -> (key ARN, S3 error code, message regex), each key kept in its state."""
    disabled = _new_key(kms)
    kms.disable_key(KeyId=disabled["KeyId"])
    pending = _new_key(kms)
    kms.schedule_key_deletion(KeyId=pending["KeyId"], PendingWindowInDays=7)
    external = _new_key(kms, Origin="EXTERNAL")
    rsa = _new_key(kms, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    hmac = _new_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    return {
        "disabled": (disabled["Arn"], "KMS.DisabledException",
                     exact(f"{disabled['Arn']} is disabled.")),
        "pending-deletion": (pending["Arn"], "KMS.KMSInvalidStateException",
                             exact(f"{pending['Arn']} is pending deletion.")),
        "pending-import": (external["Arn"], "KMS.KMSInvalidStateException",
                           exact(f"{external['Arn']} is pending import.")),
        "asymmetric": (rsa["Arn"], "KMS.InvalidKeyUsageException", ".+"),
        "hmac": (hmac["Arn"], "KMS.InvalidKeyUsageException", ".+"),
    }


@pytest.mark.parametrize("state", ["disabled", "pending-deletion", "pending-import",
                                   "asymmetric", "hmac"])
@pytest.mark.parametrize("operation", list(WRITES))
def test_write_with_an_unusable_kms_key(s3, box: str, unusable_keys: dict, operation: str,
                                        state: str) -> None:
    arn, code, message = unusable_keys[state]
    expect(code, 400, WRITES[operation], message, s3=s3, box=box, key=f"unusable/{state}",
           ServerSideEncryption="aws:kms", SSEKMSKeyId=arn)


# --- reads of SSE-KMS objects when their key changes state (§4.4, §4.5) -----------------

def _kms_object(s3, box: str, kms: Any, name: str) -> dict[str, Any]:
    key = _new_key(kms)
    s3.put_object(Bucket=box, Key=name, Body=BODY, ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=key["KeyId"])
    return key


def _unreadable(s3, box: str, upload: str, name: str, code: str, message: str) -> None:
    """GET (whole and ranged), and both copy operations, need the data key; HEAD does not."""
    expect(code, 400, s3.get_object, message, Bucket=box, Key=name)
    expect(code, 400, s3.get_object, message, Bucket=box, Key=name, Range="bytes=10-20")
    expect(code, 400, s3.copy_object, message, Bucket=box, Key=f"{name}-copy",
           CopySource={"Bucket": box, "Key": name})
    expect(code, 400, s3.upload_part_copy, message, Bucket=box, Key="upload-target",
           UploadId=upload, PartNumber=9, CopySource={"Bucket": box, "Key": name})
    assert s3.head_object(Bucket=box, Key=name)["ContentLength"] == len(BODY)


def test_disabled_key_makes_objects_unreadable_until_enabled(s3, box: str, kms: Any,
                                                             upload: str) -> None:
    key = _kms_object(s3, box, kms, "disabled-later")
    kms.disable_key(KeyId=key["KeyId"])
    _unreadable(s3, box, upload, "disabled-later", "KMS.DisabledException",
                exact(f"{key['Arn']} is disabled."))
    kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket=box, Key="disabled-later")["Body"].read() == BODY


def test_key_pending_deletion_makes_objects_unreadable(s3, box: str, kms: Any,
                                                       upload: str) -> None:
    key = _kms_object(s3, box, kms, "deleted-later")
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    _unreadable(s3, box, upload, "deleted-later", "KMS.KMSInvalidStateException",
                exact(f"{key['Arn']} is pending deletion."))
    kms.cancel_key_deletion(KeyId=key["KeyId"])      # the key comes back disabled
    expect("KMS.DisabledException", 400, s3.get_object, Bucket=box, Key="deleted-later")
    kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket=box, Key="deleted-later")["Body"].read() == BODY


def test_disabled_key_stops_parts_of_its_upload(s3, box: str, kms: Any) -> None:
    """UploadPart decrypts the upload's data key (§4.4): a disabled key refuses it."""
    key = _new_key(kms)
    upload_id = s3.create_multipart_upload(Bucket=box, Key="kms-upload",
                                           ServerSideEncryption="aws:kms",
                                           SSEKMSKeyId=key["KeyId"])["UploadId"]
    kms.disable_key(KeyId=key["KeyId"])
    expect("KMS.DisabledException", 400, s3.upload_part, exact(f"{key['Arn']} is disabled."),
           Bucket=box, Key="kms-upload", UploadId=upload_id, PartNumber=1, Body=b"part")
    kms.enable_key(KeyId=key["KeyId"])
    s3.upload_part(Bucket=box, Key="kms-upload", UploadId=upload_id, PartNumber=1,
                   Body=b"part")


def test_key_deleted_for_good_leaves_its_objects_unreadable(server_factory) -> None:
    """Its own server: the KMS clock only moves forward."""
    proc = server_factory()
    s3, kms = proc.client(), proc.client("kms")
    s3.create_bucket(Bucket="doomed")
    doomed, kept = _new_key(kms), _new_key(kms)
    for name, key in (("doomed", doomed), ("kept", kept)):
        s3.put_object(Bucket="doomed", Key=name, Body=BODY, ServerSideEncryption="aws:kms",
                      SSEKMSKeyId=key["KeyId"])
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    advance_kms_clock(proc.endpoint, 6)
    expect("KMS.KMSInvalidStateException", 400, s3.get_object,
           exact(f"{doomed['Arn']} is pending deletion."), Bucket="doomed", Key="doomed")
    advance_kms_clock(proc.endpoint, 2)
    expect("NotFoundException", 400, kms.describe_key, KeyId=doomed["KeyId"])
    expect("KMS.NotFoundException", 400, s3.get_object, Bucket="doomed", Key="doomed")
    expect("KMS.NotFoundException", 400, s3.copy_object, Bucket="doomed", Key="rescue",
           CopySource={"Bucket": "doomed", "Key": "doomed"}, ServerSideEncryption="AES256")
    expect("KMS.NotFoundException", 400, s3.put_object, Bucket="doomed", Key="new",
           Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=doomed["Arn"])
    assert s3.get_object(Bucket="doomed", Key="kept")["Body"].read() == BODY


def test_key_policy_denies_a_second_user(server, s3, box: str, kms: Any) -> None:
    """403 AccessDenied when the key policy refuses the caller kms:GenerateDataKey or
    kms:Decrypt (§4.5); S3 itself still lets the user in (HEAD, other keys)."""
    bob = add_user(server, f"sse-bob-{uuid.uuid4().hex[:8]}")
    as_bob = make_client(server.endpoint, access_key=bob["access key id"],
                         secret_key=bob["secret access key"])
    key = _new_key(kms)
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "account", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
             "Resource": "*"},
            {"Sid": "not-bob", "Effect": "Deny", "Principal": {"AWS": bob["arn"]},
             "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"}]}))
    s3.put_object(Bucket=box, Key="admins", Body=BODY, ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=key["KeyId"])
    writes = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key["Arn"]}
    expect("AccessDenied", 403, as_bob.put_object, Bucket=box, Key="bobs", Body=b"x", **writes)
    expect("AccessDenied", 403, as_bob.create_multipart_upload, Bucket=box, Key="bobs",
           **writes)
    expect("AccessDenied", 403, as_bob.get_object, Bucket=box, Key="admins")
    expect("AccessDenied", 403, as_bob.copy_object, Bucket=box, Key="bobs",
           CopySource={"Bucket": box, "Key": "admins"})
    assert as_bob.head_object(Bucket=box, Key="admins")["ContentLength"] == len(BODY)
    as_bob.put_object(Bucket=box, Key="bobs", Body=b"x", ServerSideEncryption="aws:kms")
    assert as_bob.get_object(Bucket=box, Key="aes")["Body"].read() == BODY
    assert s3.get_object(Bucket=box, Key="admins")["Body"].read() == BODY


# --- reads: SSE headers that GET/HEAD do not take, SSE-C triples (§5.4, §6.2, §6.3) ------

@pytest.mark.parametrize("header, value", [(SSE, "AES256"), (SSE, "aws:kms"),
                                           (KEY_ID, "alias/aws/s3"),
                                           (CONTEXT, b64(b'{"a":"b"}')),
                                           (BUCKET_KEY, "true")],
                         ids=["sse-AES256", "sse-aws:kms", "key-id", "context", "bucket-key"])
@pytest.mark.parametrize("name", ["aes", "kms"])
def test_sse_headers_on_get_and_head(s3, box: str, name: str, header: str,
                                     value: str) -> None:
    with extra_headers(s3, {header: value}):
        expect("InvalidArgument", 400, s3.get_object, Bucket=box, Key=name)
        expect("400", 400, s3.head_object, Bucket=box, Key=name)


READS: dict[str, Callable[..., Any]] = {
    "GetObject": lambda s3, box, upload, key, **p: s3.get_object(Bucket=box, Key=key, **p),
    "HeadObject": lambda s3, box, upload, key, **p: s3.head_object(Bucket=box, Key=key, **p),
    "GetObject-range": lambda s3, box, upload, key, **p: s3.get_object(
        Bucket=box, Key=key, Range="bytes=100-200", **p),
    "GetObject-partNumber": lambda s3, box, upload, key, **p: s3.get_object(
        Bucket=box, Key=key, PartNumber=1, **p),
    "CopyObject": lambda s3, box, upload, key, **p: s3.copy_object(
        Bucket=box, Key="copy-target", CopySource={"Bucket": box, "Key": key},
        **{f"CopySource{name}": value for name, value in p.items()}),
    "UploadPartCopy": lambda s3, box, upload, key, **p: s3.upload_part_copy(
        Bucket=box, Key="upload-target", UploadId=upload, PartNumber=1,
        CopySource={"Bucket": box, "Key": key},
        **{f"CopySource{name}": value for name, value in p.items()}),
}


def _read_error(s3, box: str, upload: str, operation: str, key: str, code: str, status: int,
                message: str | None, **params: Any) -> None:
    if operation == "HeadObject":
        code, message = str(status), None
    expect(code, status, READS[operation], message, s3=s3, box=box, upload=upload, key=key,
           **params)


@pytest.mark.parametrize("operation", list(READS))
def test_ssec_object_without_its_key(s3, box: str, upload: str, operation: str) -> None:
    _read_error(s3, box, upload, operation, "ssec", "InvalidRequest", 400, exact(KEY_REQUIRED))


@pytest.mark.parametrize("operation", list(READS))
def test_ssec_object_with_a_wrong_key(s3, box: str, upload: str, operation: str) -> None:
    _read_error(s3, box, upload, operation, "ssec", "AccessDenied", 403, exact(WRONG_KEY),
                **ssec(OTHER))


@pytest.mark.parametrize("operation", list(READS))
@pytest.mark.parametrize("name", ["plain", "aes", "kms"])
def test_ssec_key_for_an_object_stored_without_one(s3, box: str, upload: str, name: str,
                                                   operation: str) -> None:
    _read_error(s3, box, upload, operation, name, "InvalidRequest", 400, exact(NOT_APPLICABLE),
                **ssec())


READ_TRIPLES = {
    "algorithm-AES128": (ssec(algorithm="AES128"), "InvalidEncryptionAlgorithmError", 400,
                         exact(BAD_ALGORITHM)),
    "key-without-algorithm": (ssec(algorithm=None), "InvalidArgument", 400,
                              exact(NEED_ALGORITHM)),
    "algorithm-without-key": (ssec(None), "InvalidArgument", 400, exact(NEED_KEY)),
    "key-md5-mismatch": (ssec(b64(KEY), md5=key_md5(OTHER)), "InvalidArgument", 400,
                         exact(MD5_MISMATCH)),
    # §5.4: on a read AWS answers a wrong-length key as a wrong key
    "key-16-bytes": (ssec(os.urandom(16)), "AccessDenied", 403, exact(WRONG_KEY)),
}


@pytest.mark.parametrize("operation", ["GetObject", "HeadObject", "CopyObject"])
@pytest.mark.parametrize("triple", list(READ_TRIPLES))
def test_malformed_ssec_triple_on_reads(s3, box: str, upload: str, triple: str,
                                        operation: str) -> None:
    params, code, status, message = READ_TRIPLES[triple]
    _read_error(s3, box, upload, operation, "ssec", code, status, message, **params)


def test_zero_byte_ssec_object(s3, box: str) -> None:
    expect("403", 403, s3.head_object, Bucket=box, Key="ssec-empty", **ssec(OTHER))
    expect("400", 400, s3.head_object, Bucket=box, Key="ssec-empty")
    expect("AccessDenied", 403, s3.get_object, exact(WRONG_KEY), Bucket=box, Key="ssec-empty",
           **ssec(OTHER))
    expect("InvalidRequest", 400, s3.get_object, exact(KEY_REQUIRED), Bucket=box,
           Key="ssec-empty")
    assert s3.head_object(Bucket=box, Key="ssec-empty", **ssec())["ContentLength"] == 0


def _raw_head(endpoint: str, path: str, headers: dict[str, str]) -> tuple[int, bytes, bytes]:
    """(status, header block, whatever follows it) of a signed HEAD on its own connection."""
    parsed = urllib.parse.urlparse(endpoint)
    signed = sign("HEAD", endpoint + path, headers)
    lines = [f"HEAD {path} HTTP/1.1", f"Host: {parsed.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in signed.items()]
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while piece := sock.recv(65536):
            data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, rest


@pytest.mark.parametrize("key, headers, status", [
    ("ssec", {}, 400),
    ("ssec", ssec_headers(OTHER), 403),
    ("ssec-empty", ssec_headers(OTHER), 403),
    ("aes", ssec_headers(KEY), 400),
    ("aes", {SSE: "AES256"}, 400),
    ("ssec", {**ssec_headers(KEY), C_KEY_MD5: key_md5(OTHER)}, 400),
], ids=["no-key", "wrong-key", "empty-wrong-key", "not-applicable", "sse-header",
        "md5-mismatch"])
def test_head_errors_have_no_body(server, box: str, key: str, headers: dict[str, str],
                                  status: int) -> None:
    got, head, rest = _raw_head(server.endpoint, f"/{box}/{key}", headers)
    assert got == status and rest == b""
    assert b"x-amz-request-id" in head.lower()


# --- multipart uploads with SSE-C (§5.5) ----------------------------------------------

def _ssec_upload(s3, box: str, name: str) -> str:
    return s3.create_multipart_upload(Bucket=box, Key=name, **ssec())["UploadId"]


def test_parts_must_repeat_the_uploads_key(s3, box: str) -> None:
    upload_id = _ssec_upload(s3, box, "mp-parts")
    part = {"Bucket": box, "Key": "mp-parts", "UploadId": upload_id, "PartNumber": 1,
            "Body": b"part"}
    expect("InvalidRequest", 400, s3.upload_part, exact(PART_NEEDS_KEY), **part)
    expect("InvalidRequest", 400, s3.upload_part, exact(PART_KEY_MISMATCH), **part,
           **ssec(OTHER))
    expect("InvalidArgument", 400, s3.upload_part, exact(MD5_MISMATCH), **part,
           **ssec(b64(KEY), md5=key_md5(OTHER)))
    expect("InvalidEncryptionAlgorithmError", 400, s3.upload_part, exact(BAD_ALGORITHM),
           **part, **ssec(algorithm="AES128"))
    copy = {"Bucket": box, "Key": "mp-parts", "UploadId": upload_id, "PartNumber": 2,
            "CopySource": {"Bucket": box, "Key": "aes"}}
    expect("InvalidRequest", 400, s3.upload_part_copy, exact(PART_NEEDS_KEY), **copy)
    expect("InvalidRequest", 400, s3.upload_part_copy, exact(PART_KEY_MISMATCH), **copy,
           **ssec(OTHER))
    assert s3.list_parts(Bucket=box, Key="mp-parts", UploadId=upload_id).get("Parts", []) == []


@pytest.mark.parametrize("write", [{}, {"ServerSideEncryption": "AES256"},
                                   {"ServerSideEncryption": "aws:kms"}],
                         ids=["no-sse", "AES256", "aws:kms"])
def test_ssec_part_for_an_upload_without_ssec(s3, box: str, write: dict[str, str]) -> None:
    upload_id = s3.create_multipart_upload(Bucket=box, Key="mp-other", **write)["UploadId"]
    expect("InvalidRequest", 400, s3.upload_part, exact(PART_NEEDS_KEY), Bucket=box,
           Key="mp-other", UploadId=upload_id, PartNumber=1, Body=b"x", **ssec())
    expect("InvalidRequest", 400, s3.upload_part_copy, exact(PART_NEEDS_KEY), Bucket=box,
           Key="mp-other", UploadId=upload_id, PartNumber=1,
           CopySource={"Bucket": box, "Key": "plain"}, **ssec())


def test_complete_of_an_ssec_upload(s3, box: str) -> None:
    """ListParts needs no key; Complete may omit it (AWS completed without it), but a key it
    sends must be the upload's (s3-sse.md's recommendation)."""
    upload_id = _ssec_upload(s3, box, "mp-complete")
    etag = s3.upload_part(Bucket=box, Key="mp-complete", UploadId=upload_id, PartNumber=1,
                          Body=BODY, **ssec())["ETag"]
    listed = s3.list_parts(Bucket=box, Key="mp-complete", UploadId=upload_id)
    assert [p["ETag"] for p in listed["Parts"]] == [etag]
    complete = {"Bucket": box, "Key": "mp-complete", "UploadId": upload_id,
                "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": etag}]}}
    expect("InvalidRequest", 400, s3.complete_multipart_upload, exact(PART_KEY_MISMATCH),
           **complete, **ssec(OTHER))
    s3.complete_multipart_upload(**complete)
    assert s3.get_object(Bucket=box, Key="mp-complete", **ssec())["Body"].read() == BODY
    expect("InvalidRequest", 400, s3.get_object, exact(KEY_REQUIRED), Bucket=box,
           Key="mp-complete")


def test_complete_with_the_uploads_key(s3, box: str) -> None:
    upload_id = _ssec_upload(s3, box, "mp-complete-key")
    etag = s3.upload_part(Bucket=box, Key="mp-complete-key", UploadId=upload_id, PartNumber=1,
                          Body=b"last", **ssec())["ETag"]
    s3.complete_multipart_upload(Bucket=box, Key="mp-complete-key", UploadId=upload_id,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
                                 **ssec())
    assert s3.get_object(Bucket=box, Key="mp-complete-key", **ssec())["Body"].read() == b"last"


# --- copies (§6.4) ---------------------------------------------------------------------

def test_copy_onto_itself(s3, box: str) -> None:
    s3.put_object(Bucket=box, Key="self", Body=BODY, ServerSideEncryption="AES256")
    source = {"Bucket": box, "Key": "self"}
    expect("InvalidRequest", 400, s3.copy_object, exact(SELF_COPY), Bucket=box, Key="self",
           CopySource=source)
    # naming any SSE header, even the unchanged one, makes it legal
    assert s3.copy_object(Bucket=box, Key="self", CopySource=source,
                          ServerSideEncryption="AES256")["ServerSideEncryption"] == "AES256"
    moved = s3.copy_object(Bucket=box, Key="self", CopySource=source,
                           ServerSideEncryption="aws:kms")
    assert moved["ServerSideEncryption"] == "aws:kms"
    assert s3.get_object(Bucket=box, Key="self")["Body"].read() == BODY


# --- SigV2 and SSE-KMS (§4.5, §6.9) ------------------------------------------------------


@pytest.fixture(scope="module")
def sigv2(server) -> Any:
    return make_client(server.endpoint, signature_version="s3")


def test_sigv2_put_with_sse_kms(sigv2: Any, box: str) -> None:
    error = expect("InvalidArgument", 400, sigv2.put_object, exact(NEED_SIGV4), Bucket=box,
                   Key="v2", Body=b"x", ServerSideEncryption="aws:kms")
    assert (error["ArgumentName"], error["ArgumentValue"]) == ("Authorization", "null")


def test_sigv2_get_of_an_sse_kms_object(sigv2: Any, box: str) -> None:
    expect("InvalidArgument", 400, sigv2.get_object, exact(NEED_SIGV4), Bucket=box, Key="kms")


def test_sigv2_presigned_get_of_an_sse_kms_object(s3, box: str) -> None:
    url = s3.generate_presigned_url("get_object", Params={"Bucket": box, "Key": "kms"})
    assert "AWSAccessKeyId=" in url
    got = http("GET", url)
    assert got.status == 400, got.status
    error = ET.fromstring(got.data)
    assert (error.findtext("Code"), error.findtext("Message")) == ("InvalidArgument", NEED_SIGV4)


def test_sigv2_still_serves_other_modes(sigv2: Any, box: str) -> None:
    assert sigv2.get_object(Bucket=box, Key="aes")["Body"].read() == BODY
    assert sigv2.get_object(Bucket=box, Key="ssec", **ssec())["Body"].read() == BODY


# --- presigned SigV4 requests and their SSE headers (§6.9) ------------------------------

@pytest.fixture(scope="module")
def presigner(server) -> Any:
    return make_client(server.endpoint, signature_version="s3v4")


def test_presigned_put_with_an_unsigned_sse_header(presigner: Any, box: str) -> None:
    url = presigner.generate_presigned_url("put_object", Params={"Bucket": box,
                                                                 "Key": "unsigned"})
    got = http("PUT", url, body=b"x", headers={SSE: "aws:kms"})
    assert got.status == 403
    error = ET.fromstring(got.data)
    assert (error.findtext("Code"), error.findtext("Message")) == ("AccessDenied", NOT_SIGNED)
    assert SSE in (error.findtext("HeadersNotSigned") or "")


@pytest.mark.parametrize("method, params", [
    ("put_object", {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/aws/s3"}),
    ("put_object", ssec()),
    ("get_object", ssec()),
], ids=["put-sse-kms", "put-ssec", "get-ssec"])
def test_presigned_url_without_its_signed_sse_headers(presigner: Any, box: str, method: str,
                                                      params: dict[str, Any]) -> None:
    url = presigner.generate_presigned_url(method, Params={"Bucket": box, "Key": "ssec",
                                                           **params})
    got = http("PUT" if method == "put_object" else "GET", url,
               body=b"x" if method == "put_object" else None)
    assert got.status == 403
    assert ET.fromstring(got.data).findtext("Code") == "SignatureDoesNotMatch"


# --- buckets that block SSE-C (§8.4) ------------------------------------------------------

BLOCK_SSEC = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                         "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}}]}


@pytest.fixture
def blocking(s3) -> tuple[str, str]:
    """A bucket with an SSE-C object and an SSE-C upload made before it blocked SSE-C."""
    name = f"blocks-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="old", Body=BODY, **ssec())
    s3.put_object(Bucket=name, Key="plain", Body=BODY)
    upload_id = s3.create_multipart_upload(Bucket=name, Key="mp", **ssec())["UploadId"]
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=BLOCK_SSEC)
    return name, upload_id


def test_blocked_ssec_writes(s3, blocking: tuple[str, str]) -> None:
    name, _ = blocking
    message = rf"User: arn:aws:iam::\d{{12}}:user/\S+ is not authorized to perform: \S+ on " \
              rf'resource: "arn:aws:s3:::{name}/new" {re.escape(BLOCKED_TAIL)}'
    for operation in WRITES:
        expect("AccessDenied", 403, WRITES[operation], message, s3=s3, box=name, key="new",
               **ssec())
    # objects written before stay readable with their key, and copy out of SSE-C
    assert s3.get_object(Bucket=name, Key="old", **ssec())["Body"].read() == BODY
    s3.copy_object(Bucket=name, Key="rescued", CopySource={"Bucket": name, "Key": "old"},
                   **ssec(prefix="CopySource"))



@pytest.mark.parametrize("operation", ["UploadPart", "UploadPartCopy"])
def test_blocked_ssec_parts(s3, blocking: tuple[str, str], operation: str) -> None:
    name, upload_id = blocking
    part = {"Bucket": name, "Key": "mp", "UploadId": upload_id, "PartNumber": 1, **ssec()}
    if operation == "UploadPart":
        expect("AccessDenied", 403, s3.upload_part, Body=b"x", **part)
    else:
        expect("AccessDenied", 403, s3.upload_part_copy,
               CopySource={"Bucket": name, "Key": "plain"}, **part)


# --- ranges on encrypted objects (§9) ----------------------------------------------------

@pytest.mark.parametrize("name, read", [("aes", {}), ("kms", {}), ("ssec", ssec())],
                         ids=["AES256", "aws:kms", "SSE-C"])
def test_unsatisfiable_range(s3, box: str, name: str, read: dict[str, Any]) -> None:
    error = expect("InvalidRange", 416, s3.get_object,
                   exact("The requested range is not satisfiable"), Bucket=box, Key=name,
                   Range=f"bytes={len(BODY)}-", **read)
    assert error.get("ActualObjectSize") in (None, str(len(BODY)))


def test_ssec_key_is_never_echoed_in_errors(s3, box: str) -> None:
    """No error document carries the key, even when the request's key is wrong."""
    for call, params in ((s3.get_object, ssec(OTHER)), (s3.get_object, ssec(OTHER[:16])),
                         (s3.put_object, {**ssec(b64(OTHER), md5=key_md5(KEY)),
                                          "Body": b"x"})):
        error = json.dumps(client_error(call, Bucket=box, Key="ssec", **params).response,
                           default=str)
        for form in (b64(OTHER), b64(OTHER[:16]), OTHER.hex()):
            assert form not in error
