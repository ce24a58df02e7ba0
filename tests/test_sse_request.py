"""objstore.sse.request: every SSE rule decidable from headers alone, in AWS's order.

Section numbers are /work/shared/reference/s3-sse.md's.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from multidict import CIMultiDict

from objstore.sse import customer_key, errors
from objstore.sse.context import kms_context
from objstore.sse.errors import SseError
from objstore.sse.model import BucketEncryption, StoredEncryption
from objstore.sse.request import check_part, plan_read, plan_write, stored_encryption

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:111122223333:key/{KEY_ID}"
PRINCIPAL = "arn:aws:iam::123456789012:user/MaryMajor"
RESOURCE = "arn:aws:s3:::bkt/object-name"
OBJECT_WRITES = ("PutObject", "CopyObject", "CreateMultipartUpload")
PART_WRITES = ("UploadPart", "UploadPartCopy", "CompleteMultipartUpload")
SSE = "x-amz-server-side-encryption"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def md5_b64(data: bytes) -> str:
    return b64(hashlib.md5(data).digest())


def ssec(key: bytes = KEY, *, prefix: str = SSE, algorithm: str | None = "AES256",
         md5: str | None = None) -> dict[str, str]:
    headers = {f"{prefix}-customer-key": b64(key),
               f"{prefix}-customer-key-MD5": md5 if md5 is not None else md5_b64(key)}
    if algorithm is not None:
        headers[f"{prefix}-customer-algorithm"] = algorithm
    return headers


def ctx_header(value: object) -> str:
    return b64(json.dumps(value).encode())


def write(headers: dict[str, str] | CIMultiDict[str], *, operation: str = "PutObject",
          default: BucketEncryption | None = None, secure: bool = True,
          require_tls: bool = False, **kwargs: str):
    return plan_write(headers, operation=operation, bucket_default=default, secure=secure,
                      require_tls_for_ssec=require_tls, **kwargs)


def read(headers: dict[str, str], *, operation: str = "GetObject",
         stored: str | None = "AES256", secure: bool = True, require_tls: bool = False):
    return plan_read(headers, operation=operation, stored_mode=stored, secure=secure,
                     require_tls_for_ssec=require_tls)


def refused(call, code: str, status: int, message: str | None = None,
            **extra: str) -> SseError:
    with pytest.raises(SseError) as info:
        call()
    error = info.value
    assert (error.code, error.status) == (code, status), error
    if message is not None:
        assert error.message == message
    for name, value in extra.items():
        assert error.extra[name] == value, error.extra
    return error


# --- no headers: the bucket default, or SSE-S3 (§2, §8.2, §8.5) ---------------------------

@pytest.mark.parametrize("operation", OBJECT_WRITES)
def test_no_headers_no_setting_is_sse_s3(operation: str) -> None:
    plan = write({}, operation=operation)
    assert (plan.mode, plan.kms_key_id, plan.context, plan.bucket_key_enabled) == \
        ("AES256", None, {}, False)
    assert plan.customer_key is None and not plan.explicit and plan.operation == operation


def test_bucket_default_aes256() -> None:
    assert write({}, default=BucketEncryption("AES256")).mode == "AES256"


def test_bucket_default_only_blocks_ssec_is_sse_s3() -> None:
    default = BucketEncryption(None, blocked_encryption_types=("SSE-C",))
    assert write({}, default=default).mode == "AES256"


def test_bucket_default_kms_without_key_uses_aws_managed_key() -> None:
    plan = write({}, default=BucketEncryption("aws:kms"))
    assert (plan.mode, plan.kms_key_id, plan.bucket_key_enabled) == ("aws:kms", None, False)


def test_bucket_default_kms_with_key_and_bucket_key() -> None:
    plan = write({}, default=BucketEncryption("aws:kms", KEY_ARN, bucket_key_enabled=True))
    assert (plan.mode, plan.kms_key_id, plan.bucket_key_enabled) == ("aws:kms", KEY_ARN, True)
    assert not plan.explicit


def test_bucket_default_dsse_never_uses_a_bucket_key() -> None:
    # §4.6: AWS accepts the flag with DSSE but does not apply it.
    plan = write({}, default=BucketEncryption("aws:kms:dsse", "alias/k",
                                              bucket_key_enabled=True))
    assert (plan.mode, plan.kms_key_id, plan.bucket_key_enabled) == \
        ("aws:kms:dsse", "alias/k", False)


def test_bucket_default_aes256_ignores_its_bucket_key_flag() -> None:
    plan = write({}, default=BucketEncryption("AES256", bucket_key_enabled=True))
    assert (plan.mode, plan.bucket_key_enabled) == ("AES256", False)


def test_bucket_default_with_unusable_key_fails_at_write() -> None:
    # §8.1: PutBucketEncryption does not validate the key; the first PutObject fails.
    refused(lambda: write({}, default=BucketEncryption("aws:kms", "aws/s3")),
            "KMS.NotFoundException", 400, "Invalid keyId 'aws/s3'")


def test_bucket_encryption_rejects_what_put_bucket_encryption_would() -> None:
    with pytest.raises(ValueError):
        BucketEncryption("AES256", KEY_ID)      # §8.1 KMSMasterKeyID only with aws:kms*
    with pytest.raises(ValueError):
        BucketEncryption("aws:fsx")
    with pytest.raises(ValueError):
        BucketEncryption(blocked_encryption_types=("SSE-KMS",))


# --- explicit headers win over the default (§8.5, §4.1) ---------------------------------

@pytest.mark.parametrize("operation", OBJECT_WRITES)
def test_explicit_aes256_wins_over_kms_default(operation: str) -> None:
    default = BucketEncryption("aws:kms", KEY_ARN, bucket_key_enabled=True)
    plan = write({SSE: "AES256"}, operation=operation, default=default)
    assert (plan.mode, plan.kms_key_id, plan.bucket_key_enabled, plan.explicit) == \
        ("AES256", None, False, True)


def test_explicit_kms_with_key() -> None:
    plan = write({SSE: "aws:kms", f"{SSE}-aws-kms-key-id": KEY_ARN})
    assert (plan.mode, plan.kms_key_id) == ("aws:kms", KEY_ARN)


def test_explicit_kms_without_key_uses_aws_managed_key_even_with_default_key() -> None:
    # §4.1 rule 2 says the bucket default key; the botocore model doc of SSEKMSKeyId and
    # AWS as observed by aws-cdk (#18262, fixed in #18340) say alias/aws/s3. AWS wins.
    plan = write({SSE: "aws:kms"}, default=BucketEncryption("aws:kms", KEY_ARN))
    assert (plan.mode, plan.kms_key_id) == ("aws:kms", None)


def test_explicit_kms_over_aes256_default() -> None:
    plan = write({SSE: "aws:kms:dsse"}, default=BucketEncryption("AES256"))
    assert (plan.mode, plan.kms_key_id, plan.explicit) == ("aws:kms:dsse", None, True)


def test_header_names_are_case_insensitive() -> None:
    headers = CIMultiDict({"X-Amz-Server-Side-Encryption": "aws:kms",
                           "X-AMZ-SERVER-SIDE-ENCRYPTION-AWS-KMS-KEY-ID": "alias/k",
                           "x-amz-server-side-encryption-customer-KEY-md5": ""})
    plan = write(headers)
    assert (plan.mode, plan.kms_key_id) == ("aws:kms", "alias/k")
    assert write({"X-Amz-Server-Side-Encryption-Customer-Algorithm": "AES256",
                  "X-Amz-Server-Side-Encryption-Customer-Key": b64(KEY),
                  "X-Amz-Server-Side-Encryption-Customer-Key-Md5": md5_b64(KEY)}).mode == "SSE-C"


def test_sse_values_are_case_sensitive() -> None:
    # §3.1: AWS documents no case folding.
    refused(lambda: write({SSE: "aes256"}), "InvalidArgument", 400,
            errors.UNSUPPORTED_METHOD)


# --- KMS key ids: syntax only (§4.1 forms, §4.5) -----------------------------------------

@pytest.mark.parametrize("key_id", [
    KEY_ID, "mrk-1234abcd12ab34cd56ef1234567890ab", KEY_ARN,
    "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
    "alias/my-key", "alias/aws/s3", "alias/a_b/c-d",
    "arn:aws:kms:eu-central-1:111122223333:alias/my-key",
    "arn:aws-cn:kms:cn-north-1:111122223333:key/" + KEY_ID])
def test_key_id_forms_accepted(key_id: str) -> None:
    plan = write({SSE: "aws:kms", f"{SSE}-aws-kms-key-id": key_id})
    assert plan.kms_key_id == key_id


@pytest.mark.parametrize("key_id", [
    "fake-key-id", "aws/s3", "", "alias/", "alias/bad key", KEY_ID.upper(),
    "arn:aws:kms:us-east-1:111122223333:key/fake", "arn:aws:kms:us-east-1:1111:key/" + KEY_ID,
    "arn:aws:s3:::bkt", "alias/" + "a" * 2048])
def test_key_id_syntax_errors(key_id: str) -> None:
    # §4.5 row 1: 400 KMS.NotFoundException "Invalid keyId 'fake-key-id'".
    refused(lambda: write({SSE: "aws:kms:dsse", f"{SSE}-aws-kms-key-id": key_id}),
            "KMS.NotFoundException", 400, f"Invalid keyId '{key_id}'")


# --- KEYID / CTX / unknown SSE (§4.1 rules 4-5, §4.6, §11 step 5) -------------------------

def test_key_id_without_sse_header() -> None:
    # §4.1 rule 4 [observed]; also with a KMS bucket default.
    for default in (None, BucketEncryption("aws:kms")):
        refused(lambda d=default: write({f"{SSE}-aws-kms-key-id": KEY_ID}, default=d),
                "InvalidArgument", 400, errors.KMS_REQUIRES_HEADER,
                ArgumentName=SSE, ArgumentValue="null")


def test_key_id_with_aes256() -> None:
    # §4.1 rule 5: AES256 + KEYID -> 400 InvalidArgument (message as rule 4).
    refused(lambda: write({SSE: "AES256", f"{SSE}-aws-kms-key-id": KEY_ID}),
            "InvalidArgument", 400, errors.KMS_REQUIRES_HEADER, ArgumentValue="AES256")


@pytest.mark.parametrize("sse", [None, "AES256"])
def test_context_without_kms(sse: str | None) -> None:
    headers = {f"{SSE}-context": ctx_header({"a": "b"})}
    if sse:
        headers[SSE] = sse
    refused(lambda: write(headers), "InvalidArgument", 400, errors.KMS_REQUIRES_HEADER)


@pytest.mark.parametrize("value", ["aes:kms", "", "AES-256", "aws:fsx", "aws:backup", "SSE-C"])
def test_unknown_sse_value(value: str) -> None:
    # §4.6 (empty value captured on AWS: ArgumentValue empty).
    refused(lambda: write({SSE: value}), "InvalidArgument", 400, errors.UNSUPPORTED_METHOD,
            ArgumentName=SSE, ArgumentValue=value)


def test_order_key_id_before_unknown_sse_value() -> None:
    # §11 step 5 lists KEYID-without-aws:kms before the unknown SSE value.
    refused(lambda: write({SSE: "aes:kms", f"{SSE}-aws-kms-key-id": KEY_ID}),
            "InvalidArgument", 400, errors.KMS_REQUIRES_HEADER, ArgumentValue="aes:kms")


# --- encryption context (§4.2) -----------------------------------------------------------

def test_context_parsed() -> None:
    plan = write({SSE: "aws:kms", f"{SSE}-context": "eyJhIjoiYiJ9"})   # boto3's capture §3.1
    assert plan.context == {"a": "b"}
    pairs = {"project": "alpha", "ünï": "cödé", "aws:s3:arn": "arn:aws:s3:::bkt/k"}
    assert write({SSE: "aws:kms:dsse", f"{SSE}-context": ctx_header(pairs)}).context == pairs
    assert write({SSE: "aws:kms", f"{SSE}-context": "e30="}).context == {}


@pytest.mark.parametrize("value", [
    "not base64!", "e30", b64(b"\xff\xfe{}"), b64(b"{not json"), ctx_header(["a"]),
    ctx_header("a"), ctx_header({"a": 1}), ctx_header({"a": None}), ctx_header({"a": {"b": "c"}}),
    ctx_header({"a": ["b"]}), ctx_header({"a": True}), b64(b'{"a":"\\ud800"}'), ""])
def test_context_errors(value: str) -> None:
    refused(lambda: write({SSE: "aws:kms", f"{SSE}-context": value}), "InvalidArgument", 400,
            errors.BAD_CONTEXT, ArgumentName=f"{SSE}-context", ArgumentValue=value)


def test_order_context_before_key_id_syntax() -> None:
    # The key is KMS's to judge: S3 asks KMS only after its own header checks.
    refused(lambda: write({SSE: "aws:kms", f"{SSE}-context": "!",
                           f"{SSE}-aws-kms-key-id": "fake-key-id"}),
            "InvalidArgument", 400, errors.BAD_CONTEXT)


def test_kms_context_adds_s3_arn() -> None:
    # §4.2: object ARN without a bucket key, bucket ARN with one.
    assert kms_context({"a": "b"}, bucket="bkt", key="k/1", bucket_key=False) == \
        {"aws:s3:arn": "arn:aws:s3:::bkt/k/1", "a": "b"}
    assert kms_context({}, bucket="bkt", key="k", bucket_key=True) == \
        {"aws:s3:arn": "arn:aws:s3:::bkt"}
    assert kms_context({"aws:s3:arn": "arn:aws:s3:::bkt/k"}, bucket="bkt", key="k",
                       bucket_key=False) == {"aws:s3:arn": "arn:aws:s3:::bkt/k"}


def test_kms_context_refuses_a_different_s3_arn() -> None:
    refused(lambda: kms_context({"aws:s3:arn": "arn:aws:s3:::other/k"}, bucket="bkt", key="k",
                                bucket_key=False), "InvalidArgument", 400, errors.BAD_CONTEXT)


# --- bucket keys (§4.3) -------------------------------------------------------------------

@pytest.mark.parametrize(("flag", "default_flag", "expected"), [
    ("true", False, True), ("TRUE", False, True), ("false", True, False),
    (None, True, True), (None, False, False), ("yes", True, False)])
def test_bucket_key_header_overrides_bucket_setting(flag: str | None, default_flag: bool,
                                                    expected: bool) -> None:
    headers = {SSE: "aws:kms"}
    if flag is not None:
        headers[f"{SSE}-bucket-key-enabled"] = flag
    plan = write(headers, default=BucketEncryption("AES256", bucket_key_enabled=default_flag))
    assert plan.bucket_key_enabled is expected


def test_bucket_key_header_applies_to_kms_default() -> None:
    plan = write({f"{SSE}-bucket-key-enabled": "true"}, default=BucketEncryption("aws:kms"))
    assert (plan.mode, plan.bucket_key_enabled, plan.explicit) == ("aws:kms", True, True)


def test_bucket_key_header_ignored_without_kms() -> None:
    assert not write({SSE: "AES256", f"{SSE}-bucket-key-enabled": "true"}).bucket_key_enabled
    assert not write({SSE: "aws:kms:dsse",
                      f"{SSE}-bucket-key-enabled": "true"}).bucket_key_enabled
    assert not write({f"{SSE}-bucket-key-enabled": "true", **ssec()}).bucket_key_enabled


# --- SSE-C writes (§5.1, §5.3) -----------------------------------------------------------

@pytest.mark.parametrize("operation", OBJECT_WRITES + PART_WRITES)
def test_ssec_write(operation: str) -> None:
    plan = write(ssec(), operation=operation, default=BucketEncryption("aws:kms", KEY_ID))
    assert (plan.mode, plan.customer_key, plan.customer_key_md5, plan.explicit) == \
        ("SSE-C", KEY, md5_b64(KEY), True)
    assert plan.kms_key_id is None and plan.context == {}
    assert b64(KEY) not in repr(plan) and "customer_key=" not in repr(plan)


def test_boto3_vector() -> None:
    # botocore turns SSECustomerKey=b"a"*32 into these two headers (captured).
    plan = write({f"{SSE}-customer-algorithm": "AES256",
                  f"{SSE}-customer-key": "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=",
                  f"{SSE}-customer-key-MD5": "Xsqb0+sHwAbNQ65I395/0w=="})
    assert plan.customer_key == b"a" * 32


@pytest.mark.parametrize("sse", ["AES256", "aws:kms", "aws:kms:dsse", "bogus", ""])
def test_ssec_with_sse_header(sse: str) -> None:
    # §5.3 row 1 [observed: ArgumentValue is the SSE value].
    refused(lambda: write({SSE: sse, **ssec()}), "InvalidArgument", 400, errors.INCOMPATIBLE,
            ArgumentName=SSE, ArgumentValue=sse)


def test_ssec_row1_before_row2() -> None:
    # "checked before the algorithm" [observed].
    refused(lambda: write({SSE: "AES256", **ssec(algorithm="AES512")}), "InvalidArgument", 400,
            errors.INCOMPATIBLE)


@pytest.mark.parametrize("algorithm", ["AES512", "aes256", "aws:kms"])
def test_ssec_bad_algorithm(algorithm: str) -> None:
    # §5.3 row 2.
    refused(lambda: write(ssec(algorithm=algorithm)), "InvalidEncryptionAlgorithmError", 400,
            errors.BAD_ALGORITHM, ArgumentName=SSE, ArgumentValue=algorithm)


def test_ssec_bad_algorithm_before_missing_key() -> None:
    refused(lambda: write({f"{SSE}-customer-algorithm": "AES128"}),
            "InvalidEncryptionAlgorithmError", 400)


@pytest.mark.parametrize("headers", [
    {f"{SSE}-customer-key": b64(KEY), f"{SSE}-customer-key-MD5": md5_b64(KEY)},
    {f"{SSE}-customer-key": b64(KEY)},
    {f"{SSE}-customer-key-MD5": md5_b64(KEY)},
    {f"{SSE}-customer-algorithm": "", f"{SSE}-customer-key": b64(KEY)}])
def test_ssec_missing_algorithm(headers: dict[str, str]) -> None:
    # §5.3 row 3 [observed: ArgumentName x-amz-server-side-encryption, value null].
    refused(lambda: write(headers), "InvalidArgument", 400, errors.NEED_ALGORITHM,
            ArgumentName=SSE, ArgumentValue="null")


@pytest.mark.parametrize("headers", [
    {f"{SSE}-customer-algorithm": "AES256"},
    {f"{SSE}-customer-algorithm": "AES256", f"{SSE}-customer-key-MD5": md5_b64(KEY)},
    {f"{SSE}-customer-algorithm": "AES256", f"{SSE}-customer-key": "",
     f"{SSE}-customer-key-MD5": md5_b64(b"")}])
def test_ssec_missing_key(headers: dict[str, str]) -> None:
    # §5.3 row 4 (row 4 before row 5).
    refused(lambda: write(headers), "InvalidArgument", 400, errors.NEED_KEY)


def test_ssec_missing_md5() -> None:
    # §5.3 row 5.
    headers = ssec()
    del headers[f"{SSE}-customer-key-MD5"]
    refused(lambda: write(headers), "InvalidArgument", 400, errors.NEED_MD5)


@pytest.mark.parametrize("md5", [md5_b64(OTHER_KEY), "AAAAAAAAAAAAAAAAAAAAAA==", "not base64",
                                 b64(KEY)])
def test_ssec_md5_mismatch(md5: str) -> None:
    # §5.3 row 6 [observed: ArgumentName x-amz-server-side-encryption, value null].
    refused(lambda: write(ssec(md5=md5)), "InvalidArgument", 400, errors.MD5_MISMATCH,
            ArgumentName=SSE, ArgumentValue="null")


def test_ssec_key_not_base64_is_an_md5_mismatch() -> None:
    headers = ssec()
    headers[f"{SSE}-customer-key"] = "!" * 44
    refused(lambda: write(headers), "InvalidArgument", 400, errors.MD5_MISMATCH)


@pytest.mark.parametrize("key", [bytes(10), bytes(16), bytes(31), bytes(33),
                                 b64(KEY).encode()])
def test_ssec_key_length(key: bytes) -> None:
    # §5.3 row 7; the last is boto3's double encoding of an already-base64 key (§5.1).
    refused(lambda: write(ssec(key)), "InvalidArgument", 400, errors.BAD_KEY,
            ArgumentName=SSE)


def test_ssec_md5_checked_before_length() -> None:
    # §5.3 row 6 before row 7: a 24-byte key with a wrong MD5 [observed].
    refused(lambda: write(ssec(bytes(24), md5=md5_b64(KEY))), "InvalidArgument", 400,
            errors.MD5_MISMATCH)


# --- SSE-C over plain HTTP (§5.2, §5.3 row 8) ---------------------------------------------

@pytest.mark.parametrize("operation", OBJECT_WRITES + PART_WRITES)
def test_ssec_requires_tls_when_configured(operation: str) -> None:
    refused(lambda: write(ssec(), operation=operation, secure=False, require_tls=True),
            "InvalidRequest", 400, errors.NEED_TLS)
    assert write(ssec(), operation=operation, secure=True, require_tls=True).mode == "SSE-C"
    assert write(ssec(), operation=operation, secure=False, require_tls=False).mode == "SSE-C"


def test_tls_is_checked_last() -> None:
    refused(lambda: write(ssec(bytes(16)), secure=False, require_tls=True), "InvalidArgument",
            400, errors.BAD_KEY)


def test_tls_switch_does_not_touch_other_modes() -> None:
    assert write({SSE: "aws:kms"}, secure=False, require_tls=True).mode == "aws:kms"
    assert write({}, secure=False, require_tls=True).mode == "AES256"


# --- SSE-C blocked by the bucket (§8.4, §5.3 row 0, §11 step 4) ---------------------------

BLOCKING = BucketEncryption("AES256", blocked_encryption_types=("SSE-C",))


@pytest.mark.parametrize("operation", OBJECT_WRITES + PART_WRITES)
def test_ssec_blocked(operation: str) -> None:
    action = "s3:CopyObject" if operation == "CopyObject" else "s3:PutObject"
    refused(lambda: write(ssec(), operation=operation, default=BLOCKING, principal=PRINCIPAL,
                          resource=RESOURCE),
            "AccessDenied", 403,
            f'User: {PRINCIPAL} is not authorized to perform: {action} on resource: '
            f'"{RESOURCE}" because this bucket has blocked upload requests that specify '
            "Server Side Encryption with Customer provided keys (SSE-C). Please specify a "
            "different server-side encryption type")


def test_ssec_blocked_without_requester() -> None:
    refused(lambda: write(ssec(), default=BLOCKING), "AccessDenied", 403, "Access Denied")


def test_ssec_blocked_is_checked_first() -> None:
    # §11: step 4 (blocked) before step 5 (conflicts) and step 6 (the triple).
    refused(lambda: write({SSE: "AES256", **ssec(algorithm="bad")}, default=BLOCKING),
            "AccessDenied", 403)
    refused(lambda: write({f"{SSE}-customer-key": "x"}, default=BLOCKING), "AccessDenied", 403)


def test_blocked_bucket_takes_other_modes() -> None:
    assert write({}, default=BLOCKING).mode == "AES256"
    assert write({SSE: "aws:kms"}, default=BLOCKING).mode == "aws:kms"
    unblocked = BucketEncryption("AES256", blocked_encryption_types=("NONE",))
    assert write(ssec(), default=unblocked).mode == "SSE-C"


# --- part requests take only SSE-C (§3.1, §6.6-6.8) ---------------------------------------

@pytest.mark.parametrize("operation", PART_WRITES)
@pytest.mark.parametrize(("name", "value"), [
    (SSE, "AES256"), (SSE, "aws:kms"), (f"{SSE}-aws-kms-key-id", KEY_ID),
    (f"{SSE}-context", "e30="), (f"{SSE}-bucket-key-enabled", "true")])
def test_part_requests_refuse_sse_headers(operation: str, name: str, value: str) -> None:
    # AWS: 400 InvalidArgument "x-amz-server-side-encryption header is not supported for
    # this operation." (ArgumentName/Value) on UploadPart [public issue trackers].
    refused(lambda: write({name: value, **ssec()}, operation=operation), "InvalidArgument", 400,
            f"{name} header is not supported for this operation.", ArgumentName=name,
            ArgumentValue=value)


@pytest.mark.parametrize("operation", PART_WRITES)
def test_part_request_without_ssec_leaves_mode_to_the_upload(operation: str) -> None:
    plan = write({}, operation=operation, default=BucketEncryption("aws:kms", KEY_ID))
    assert (plan.mode, plan.kms_key_id, plan.explicit) == (None, None, False)


def test_unknown_operation() -> None:
    with pytest.raises(ValueError):
        write({}, operation="GetObject")
    with pytest.raises(ValueError):
        read({}, operation="PutObject")


# --- check_part: the upload's SSE-C key, repeated (§5.5) ---------------------------------

SALT = bytes(range(100, 132))
SSEC_UPLOAD = StoredEncryption("SSE-C", customer_key_salt=SALT,
                               customer_key_fingerprint=customer_key.fingerprint(KEY, SALT))
KMS_UPLOAD = StoredEncryption("aws:kms", kms_key_arn=KEY_ARN)


@pytest.mark.parametrize("operation", ["UploadPart", "UploadPartCopy"])
def test_part_without_key_on_ssec_upload(operation: str) -> None:
    plan = write({}, operation=operation)
    refused(lambda: check_part(plan, SSEC_UPLOAD), "InvalidRequest", 400, errors.PART_NEEDS_KEY)


@pytest.mark.parametrize("operation", PART_WRITES)
def test_part_with_key_on_plain_upload(operation: str) -> None:
    plan = write(ssec(), operation=operation)
    refused(lambda: check_part(plan, KMS_UPLOAD), "InvalidRequest", 400, errors.PART_NEEDS_KEY)


@pytest.mark.parametrize("operation", PART_WRITES)
def test_part_with_other_key(operation: str) -> None:
    plan = write(ssec(OTHER_KEY), operation=operation)
    refused(lambda: check_part(plan, SSEC_UPLOAD), "InvalidRequest", 400,
            errors.PART_KEY_MISMATCH)


@pytest.mark.parametrize("operation", PART_WRITES)
def test_part_with_the_upload_key(operation: str) -> None:
    check_part(write(ssec(), operation=operation), SSEC_UPLOAD)
    check_part(write({}, operation=operation), KMS_UPLOAD)


def test_complete_may_omit_the_key() -> None:
    # §5.5: AWS completed an SSE-C upload without the key [observed].
    check_part(write({}, operation="CompleteMultipartUpload"), SSEC_UPLOAD)


def test_check_part_is_for_part_requests() -> None:
    with pytest.raises(ValueError):
        check_part(write(ssec()), SSEC_UPLOAD)


# --- stored_encryption --------------------------------------------------------------------

def test_stored_ssec_keeps_only_a_fingerprint() -> None:
    plan = write(ssec())
    stored = stored_encryption(plan, customer_key_salt=SALT)
    assert stored.mode == "SSE-C" and stored.customer_key_salt == SALT
    assert customer_key.matches(KEY, SALT, stored.customer_key_fingerprint or b"")
    text = repr(stored).encode() + b"".join(
        v for v in vars(stored).values() if isinstance(v, bytes))
    for encoding in (KEY, b64(KEY).encode(), KEY.hex().encode(), md5_b64(KEY).encode(),
                     hashlib.md5(KEY).digest()):
        assert encoding not in text


def test_stored_kms_and_s3() -> None:
    plan = write({SSE: "aws:kms", f"{SSE}-context": ctx_header({"a": "b"}),
                  f"{SSE}-bucket-key-enabled": "true"})
    assert stored_encryption(plan, kms_key_arn=KEY_ARN) == StoredEncryption(
        "aws:kms", kms_key_arn=KEY_ARN, context={"a": "b"}, bucket_key_enabled=True)
    assert stored_encryption(write({})) == StoredEncryption("AES256")
    with pytest.raises(ValueError):
        stored_encryption(plan)
    with pytest.raises(ValueError):
        stored_encryption(write(ssec()))
    with pytest.raises(ValueError):
        stored_encryption(write({}, operation="UploadPart"))


# --- reads: GET, HEAD, GetObjectAttributes (§5.4, §6.2, §6.3) ------------------------------

READS = ("GetObject", "HeadObject", "GetObjectAttributes")


@pytest.mark.parametrize("operation", READS)
@pytest.mark.parametrize("stored", [None, "AES256", "aws:kms", "aws:kms:dsse"])
def test_read_without_headers(operation: str, stored: str | None) -> None:
    plan = read({}, operation=operation, stored=stored)
    assert (plan.customer_key, plan.customer_key_md5) == (None, None)


@pytest.mark.parametrize("operation", ["GetObject", "HeadObject"])
@pytest.mark.parametrize("stored", ["AES256", "aws:kms", "SSE-C"])
@pytest.mark.parametrize(("name", "value"), [
    (SSE, "AES256"), (SSE, "aws:kms"), (f"{SSE}-aws-kms-key-id", KEY_ID),
    (f"{SSE}-context", "e30="), (f"{SSE}-bucket-key-enabled", "false")])
def test_sse_headers_on_get_and_head(operation: str, stored: str, name: str,
                                     value: str) -> None:
    # §5.4 row 4: 400 (AWS documents only "400 Bad Request"; InvalidArgument recommended).
    refused(lambda: read({name: value, **ssec()}, operation=operation, stored=stored),
            "InvalidArgument", 400, f"{name} header is not supported for this operation.",
            ArgumentName=name, ArgumentValue=value)


@pytest.mark.parametrize("operation", READS)
def test_ssec_object_without_key(operation: str) -> None:
    # §5.4 row 1 [observed]: 400 InvalidRequest.
    refused(lambda: read({}, operation=operation, stored="SSE-C"), "InvalidRequest", 400,
            errors.KEY_REQUIRED)


@pytest.mark.parametrize("operation", READS)
@pytest.mark.parametrize("stored", [None, "AES256", "aws:kms", "aws:kms:dsse"])
def test_key_for_object_not_stored_with_one(operation: str, stored: str | None) -> None:
    # §5.4 row 3 [observed]: 400 InvalidRequest.
    refused(lambda: read(ssec(), operation=operation, stored=stored), "InvalidRequest", 400,
            errors.NOT_APPLICABLE)


@pytest.mark.parametrize("operation", READS)
def test_ssec_read(operation: str) -> None:
    plan = read(ssec(), operation=operation, stored="SSE-C")
    assert (plan.customer_key, plan.customer_key_md5) == (KEY, md5_b64(KEY))
    assert b64(KEY) not in repr(plan)


def test_malformed_triple_on_read() -> None:
    # §5.4 last row: as §5.3 rows 2-6.
    refused(lambda: read(ssec(algorithm="AES128"), stored="SSE-C"),
            "InvalidEncryptionAlgorithmError", 400)
    refused(lambda: read(ssec(algorithm=None), stored="SSE-C"), "InvalidArgument", 400,
            errors.NEED_ALGORITHM)
    refused(lambda: read(ssec(md5=md5_b64(OTHER_KEY)), stored="SSE-C"), "InvalidArgument", 400,
            errors.MD5_MISMATCH)
    refused(lambda: read(ssec(md5=md5_b64(OTHER_KEY)), stored="AES256"), "InvalidArgument",
            400, errors.MD5_MISMATCH)


def test_wrong_length_key_on_read_is_a_wrong_key() -> None:
    # §5.4 last row: AWS answers a wrong-length key on a read with the 403 of a wrong key.
    refused(lambda: read(ssec(bytes(10)), stored="SSE-C"), "AccessDenied", 403, errors.WRONG_KEY)
    refused(lambda: read(ssec(bytes(10)), stored="AES256"), "InvalidRequest", 400,
            errors.NOT_APPLICABLE)


def test_ssec_read_tls() -> None:
    refused(lambda: read(ssec(), stored="SSE-C", secure=False, require_tls=True),
            "InvalidRequest", 400, errors.NEED_TLS)
    assert read(ssec(), stored="SSE-C", secure=False).customer_key == KEY
    # The missing-key error does not depend on the transport.
    refused(lambda: read({}, stored="SSE-C", secure=False, require_tls=True), "InvalidRequest",
            400, errors.KEY_REQUIRED)


# --- copy sources: x-amz-copy-source-server-side-encryption-customer-* (§6.4, §6.7) -------

CS = "x-amz-copy-source-server-side-encryption"


@pytest.mark.parametrize("operation", ["CopyObject", "UploadPartCopy"])
def test_copy_source_key(operation: str) -> None:
    headers = {**ssec(prefix=CS), **ssec(OTHER_KEY), SSE: "ignored-here"}
    plan = read(headers, operation=operation, stored="SSE-C")
    assert (plan.customer_key, plan.customer_key_md5) == (KEY, md5_b64(KEY))


@pytest.mark.parametrize("operation", ["CopyObject", "UploadPartCopy"])
def test_copy_source_missing_key(operation: str) -> None:
    # The destination triple is not the source's key.
    refused(lambda: read(ssec(), operation=operation, stored="SSE-C"), "InvalidRequest", 400,
            errors.KEY_REQUIRED)


def test_copy_source_key_for_unencrypted_source() -> None:
    refused(lambda: read(ssec(prefix=CS), operation="CopyObject", stored="aws:kms"),
            "InvalidRequest", 400, errors.NOT_APPLICABLE)
    assert read(ssec(), operation="CopyObject", stored="aws:kms").customer_key is None


def test_copy_source_triple_errors() -> None:
    # The copy-source case also names x-amz-server-side-encryption [observed].
    refused(lambda: read(ssec(prefix=CS, algorithm="AES128"), operation="CopyObject",
                         stored="SSE-C"),
            "InvalidEncryptionAlgorithmError", 400, ArgumentName=SSE, ArgumentValue="AES128")
    refused(lambda: read(ssec(prefix=CS, md5=md5_b64(OTHER_KEY)), operation="UploadPartCopy",
                         stored="SSE-C"), "InvalidArgument", 400, errors.MD5_MISMATCH)
    refused(lambda: read(ssec(prefix=CS), operation="CopyObject", stored="SSE-C", secure=False,
                         require_tls=True), "InvalidRequest", 400, errors.NEED_TLS)
