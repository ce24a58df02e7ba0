"""Server-side encryption on single-part objects, through boto3: SSE-S3, SSE-KMS and SSE-C
really encrypt at rest, read back (whole, ranges, HEAD), answer with AWS's headers and
errors, and tie each KMS call to the S3 request that caused it."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig

from tests.conftest import assert_error, aws_cli, client_error, make_client

MARKER = b"PLAINTEXT-MARKER-" * 64
BODY = os.urandom(200_000) + MARKER + os.urandom(100_000)  # spans several 64 KiB frames


def _blobs(server) -> list[Path]:
    return [p for p in (server.data_dir / "objects" / "blobs").iterdir() if p.is_file()]


@pytest.fixture
def ssec_key() -> bytes:
    return os.urandom(32)


def _ssec(key: bytes) -> dict[str, object]:
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


@pytest.mark.parametrize("mode", ["AES256", "aws:kms", "aws:kms:dsse", "SSE-C"])
def test_round_trip_and_ranges(s3, bucket: str, mode: str, ssec_key: bytes) -> None:
    write = _ssec(ssec_key) if mode == "SSE-C" else {"ServerSideEncryption": mode}
    read = _ssec(ssec_key) if mode == "SSE-C" else {}
    put = s3.put_object(Bucket=bucket, Key="obj", Body=BODY, **write)
    got = s3.get_object(Bucket=bucket, Key="obj", **read)
    assert got["Body"].read() == BODY
    md5 = f'"{hashlib.md5(BODY).hexdigest()}"'
    assert put["ETag"] == got["ETag"]
    assert (put["ETag"] == md5) == (mode == "AES256")  # KMS modes and SSE-C: not MD5s
    for header, response in (("ServerSideEncryption", put), ("ServerSideEncryption", got)):
        if mode == "SSE-C":
            assert header not in response
            assert response["SSECustomerKeyMD5"] == base64.b64encode(
                hashlib.md5(ssec_key).digest()).decode()
        else:
            assert response[header] == mode
    for first, last in ((0, 0), (65535, 65536), (199_990, 200_100), (0, len(BODY) - 1)):
        part = s3.get_object(Bucket=bucket, Key="obj", Range=f"bytes={first}-{last}", **read)
        assert part["Body"].read() == BODY[first:last + 1]
    suffix = s3.get_object(Bucket=bucket, Key="obj", Range="bytes=-100", **read)
    assert suffix["Body"].read() == BODY[-100:]
    head = s3.head_object(Bucket=bucket, Key="obj", **read)
    assert head["ContentLength"] == len(BODY) and head["ETag"] == put["ETag"]


def test_nothing_readable_at_rest(server, s3, bucket: str, ssec_key: bytes) -> None:
    for key, extra in (("s3", {"ServerSideEncryption": "AES256"}),
                       ("kms", {"ServerSideEncryption": "aws:kms"}),
                       ("c", _ssec(ssec_key))):
        s3.put_object(Bucket=bucket, Key=key, Body=BODY, **extra)
    secrets = [MARKER[:32], ssec_key, base64.b64encode(ssec_key), ssec_key.hex().encode()]
    for path in server.data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for secret in secrets:
                assert secret not in content, f"{secret!r} found in {path}"


def test_sse_kms_key_context_and_audit(server, s3, bucket: str) -> None:
    kms = make_client(server.endpoint, "kms")
    key = kms.create_key(Description="for s3")["KeyMetadata"]
    context = {"project": "alpha"}
    put = s3.put_object(Bucket=bucket, Key="ctx", Body=b"secret report",
                        ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"],
                        SSEKMSEncryptionContext=base64.b64encode(
                            json.dumps(context).encode()).decode())
    assert put["SSEKMSKeyId"] == key["Arn"]
    assert json.loads(base64.b64decode(put["SSEKMSEncryptionContext"])) == context
    request_id = put["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    got = s3.get_object(Bucket=bucket, Key="ctx")
    assert got["Body"].read() == b"secret report" and got["SSEKMSKeyId"] == key["Arn"]
    records = [json.loads(line) for line in
               (server.data_dir / "kms" / "audit.jsonl").read_text().splitlines()]
    generated = [r for r in records if r["requestID"] == request_id]
    assert [r["eventName"] for r in generated] == ["GenerateDataKey"]
    assert generated[0]["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
    assert generated[0]["requestParameters"]["encryptionContext"] == {
        "aws:s3:arn": f"arn:aws:s3:::{bucket}/ctx", **context}


def test_dsse_kms_is_two_independent_layers(server, s3, bucket: str) -> None:
    """DSSE-KMS: two data keys from the KMS (two GenerateDataKey calls for one PUT, two
    Decrypts for one GET), and the blob is a sealed stream inside a sealed stream."""
    kms = make_client(server.endpoint, "kms")
    key = kms.create_key()["KeyMetadata"]
    put = s3.put_object(Bucket=bucket, Key="dsse", Body=BODY,
                        ServerSideEncryption="aws:kms:dsse", SSEKMSKeyId=key["KeyId"])
    assert put["ServerSideEncryption"] == "aws:kms:dsse"
    assert put["SSEKMSKeyId"] == key["Arn"]
    got = s3.get_object(Bucket=bucket, Key="dsse", Range="bytes=70000-140000")
    assert got["Body"].read() == BODY[70000:140001]
    assert got["ServerSideEncryption"] == "aws:kms:dsse"
    records = [json.loads(line) for line in
               (server.data_dir / "kms" / "audit.jsonl").read_text().splitlines()]
    for response, operation in ((put, "GenerateDataKey"), (got, "Decrypt")):
        request_id = response["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
        assert [r["eventName"] for r in records if r["requestID"] == request_id] == \
            [operation, operation]
    frames = -(-len(BODY) // 65536)
    inner = 26 + len(BODY) + 16 * frames
    outer = 26 + inner + 16 * -(-inner // 65536)
    assert outer in {p.stat().st_size for p in _blobs(server)}


def test_sse_kms_key_states_reach_the_object(server, s3, bucket: str) -> None:
    kms = make_client(server.endpoint, "kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=key)
    kms.disable_key(KeyId=key)
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="k"),
                 "KMS.DisabledException", 400)
    assert_error(client_error(s3.put_object, Bucket=bucket, Key="k2", Body=b"y",
                              ServerSideEncryption="aws:kms", SSEKMSKeyId=key),
                 "KMS.DisabledException", 400)
    kms.enable_key(KeyId=key)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    assert_error(client_error(s3.put_object, Bucket=bucket, Key="k3", Body=b"z",
                              ServerSideEncryption="aws:kms",
                              SSEKMSKeyId="alias/no-such-key"),
                 "KMS.NotFoundException", 400)


def test_sse_c_errors(s3, bucket: str, ssec_key: bytes) -> None:
    s3.put_object(Bucket=bucket, Key="c", Body=b"customer data", **_ssec(ssec_key))
    s3.put_object(Bucket=bucket, Key="empty", Body=b"", **_ssec(ssec_key))
    s3.put_object(Bucket=bucket, Key="plain", Body=b"plain")
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="c"), "InvalidRequest", 400)
    wrong = _ssec(os.urandom(32))
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="c", **wrong),
                 "AccessDenied", 403)
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="empty", **wrong),
                 "AccessDenied", 403)
    assert_error(client_error(s3.head_object, Bucket=bucket, Key="c", **wrong), "403", 403)
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="c", Range="bytes=0-3",
                              **wrong), "AccessDenied", 403)
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="plain", **_ssec(ssec_key)),
                 "InvalidRequest", 400)
    assert s3.get_object(Bucket=bucket, Key="empty", **_ssec(ssec_key))["Body"].read() == b""


def test_damage_on_disk_never_yields_wrong_bytes(server_factory) -> None:
    proc = server_factory()
    s3 = proc.client()
    s3.create_bucket(Bucket="damage")
    s3.put_object(Bucket="damage", Key="k", Body=BODY, ServerSideEncryption="AES256")
    (blob,) = _blobs(proc)
    raw = bytearray(blob.read_bytes())
    raw[100_000] ^= 0x01
    blob.write_bytes(bytes(raw))
    with pytest.raises(Exception) as failure:
        body = s3.get_object(Bucket="damage", Key="k")["Body"].read()
        assert body == BODY  # never reached with wrong bytes: the frame fails first
    assert "MARKER" not in str(failure.value)
    first = s3.get_object(Bucket="damage", Key="k", Range="bytes=0-1000")["Body"].read()
    assert first == BODY[:1001]  # undamaged frames still read


def _copy_source_key(key: bytes) -> dict[str, object]:
    return {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": key}


def test_copies_between_modes(s3, bucket: str, ssec_key: bytes) -> None:
    s3.put_object(Bucket=bucket, Key="plain", Body=BODY)
    source = {"Bucket": bucket, "Key": "plain"}
    to_kms = s3.copy_object(Bucket=bucket, Key="kms", CopySource=source,
                            ServerSideEncryption="aws:kms")
    assert to_kms["ServerSideEncryption"] == "aws:kms"
    to_c = s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "kms"},
                          **_ssec(ssec_key))
    assert to_c["SSECustomerAlgorithm"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="c", **_ssec(ssec_key))["Body"].read() == BODY
    # the SSE-C source needs its key, as x-amz-copy-source-server-side-encryption-customer-*
    assert_error(client_error(s3.copy_object, Bucket=bucket, Key="back",
                              CopySource={"Bucket": bucket, "Key": "c"}),
                 "InvalidRequest", 400)
    assert_error(client_error(s3.copy_object, Bucket=bucket, Key="back",
                              CopySource={"Bucket": bucket, "Key": "c"},
                              **_copy_source_key(os.urandom(32))), "AccessDenied", 403)
    s3.copy_object(Bucket=bucket, Key="back", CopySource={"Bucket": bucket, "Key": "c"},
                   ServerSideEncryption="AES256", **_copy_source_key(ssec_key))
    back = s3.get_object(Bucket=bucket, Key="back")
    assert back["Body"].read() == BODY and back["ServerSideEncryption"] == "AES256"
    # re-encrypting an object in place is a legal copy onto itself (SSE-C key rotation)
    new_key = os.urandom(32)
    s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "c"},
                   **_ssec(new_key), **_copy_source_key(ssec_key))
    assert s3.get_object(Bucket=bucket, Key="c", **_ssec(new_key))["Body"].read() == BODY
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="c", **_ssec(ssec_key)),
                 "AccessDenied", 403)


def test_parts_copied_from_encrypted_objects(s3, bucket: str) -> None:
    big = os.urandom(5 * 1024 * 1024) + BODY
    s3.put_object(Bucket=bucket, Key="src", Body=big, ServerSideEncryption="aws:kms")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="assembled")["UploadId"]
    first = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=upload, PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": "src"},
                                CopySourceRange=f"bytes=0-{5 * 1024 * 1024 - 1}")
    second = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=upload,
                                 PartNumber=2, CopySource={"Bucket": bucket, "Key": "src"},
                                 CopySourceRange=f"bytes={5 * 1024 * 1024}-{len(big) - 1}")
    s3.complete_multipart_upload(Bucket=bucket, Key="assembled", UploadId=upload,
                                 MultipartUpload={"Parts": [
                                     {"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]},
                                     {"PartNumber": 2,
                                      "ETag": second["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="assembled")["Body"].read() == big


@pytest.mark.parametrize("mode", ["AES256", "aws:kms", "aws:kms:dsse", "SSE-C"])
def test_multipart_uploads(s3, bucket: str, mode: str, ssec_key: bytes,
                           tmp_path: Path) -> None:
    extra = _ssec(ssec_key) if mode == "SSE-C" else {"ServerSideEncryption": mode}
    read = _ssec(ssec_key) if mode == "SSE-C" else {}
    source = tmp_path / "big.bin"
    data = os.urandom(11 * 1024 * 1024) + MARKER
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024,
                            multipart_chunksize=5 * 1024 * 1024, max_concurrency=3)
    s3.upload_file(str(source), bucket, "big", ExtraArgs=extra, Config=config)
    head = s3.head_object(Bucket=bucket, Key="big", **read)
    assert head["ETag"].endswith('-3"') and head["ContentLength"] == len(data)
    s3.download_file(bucket, "big", str(tmp_path / "back.bin"), ExtraArgs=read,
                     Config=config)
    assert (tmp_path / "back.bin").read_bytes() == data
    part = s3.get_object(Bucket=bucket, Key="big", PartNumber=2, **read)
    assert part["Body"].read() == data[5 * 1024 * 1024:10 * 1024 * 1024]
    across = s3.get_object(Bucket=bucket, Key="big", Range="bytes=5242000-5243000", **read)
    assert across["Body"].read() == data[5242000:5243001]


def test_sse_c_multipart_rules(s3, bucket: str, ssec_key: bytes) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", **_ssec(ssec_key))
    assert upload["SSECustomerAlgorithm"] == "AES256"
    upload_id = upload["UploadId"]
    assert_error(client_error(s3.upload_part, Bucket=bucket, Key="mp", UploadId=upload_id,
                              PartNumber=1, Body=b"x"), "InvalidRequest", 400)
    assert_error(client_error(s3.upload_part, Bucket=bucket, Key="mp", UploadId=upload_id,
                              PartNumber=1, Body=b"x", **_ssec(os.urandom(32))),
                 "InvalidRequest", 400)
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1,
                          Body=b"only part", **_ssec(ssec_key))
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id,
                                 MultipartUpload={"Parts": [{"PartNumber": 1,
                                                             "ETag": part["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="mp", **_ssec(ssec_key))["Body"].read() == \
        b"only part"
    plain = s3.create_multipart_upload(Bucket=bucket, Key="plain")["UploadId"]
    # a part with an SSE-C key for an upload that did not ask for one: AWS's refusal
    assert_error(client_error(s3.upload_part, Bucket=bucket, Key="plain", UploadId=plain,
                              PartNumber=1, Body=b"x", **_ssec(ssec_key)),
                 "InvalidRequest", 400)


def test_aws_cli_with_sse(server, aws_cli_env: dict, bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "file.bin"
    source.write_bytes(BODY)
    aws_cli(aws_cli_env, server.endpoint, "s3", "cp", str(source), f"s3://{bucket}/cli",
            "--sse", "aws:kms")
    aws_cli(aws_cli_env, server.endpoint, "s3", "cp", f"s3://{bucket}/cli",
            str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == BODY
    head = json.loads(aws_cli(aws_cli_env, server.endpoint, "s3api", "head-object",
                              "--bucket", bucket, "--key", "cli").stdout)
    assert head["ServerSideEncryption"] == "aws:kms"


def test_bucket_default_encryption(server, s3, bucket: str, ssec_key: bytes) -> None:
    base = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert base["Rules"] == [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                              "BucketKeyEnabled": False,
                              "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}}]
    kms = make_client(server.endpoint, "kms")
    key = kms.create_key()["KeyMetadata"]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                               "KMSMasterKeyID": key["KeyId"]}}]})
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
        "Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key["KeyId"]
    put = s3.put_object(Bucket=bucket, Key="by-default", Body=b"defaulted")
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == key["Arn"]
    explicit = s3.put_object(Bucket=bucket, Key="explicit", Body=b"x",
                             ServerSideEncryption="AES256")
    assert explicit["ServerSideEncryption"] == "AES256"  # an explicit header wins
    assert s3.get_object(Bucket=bucket, Key="by-default")["Body"].read() == b"defaulted"
    assert_error(client_error(s3.put_bucket_encryption, Bucket=bucket,
                              ServerSideEncryptionConfiguration={"Rules": [{
                                  "ApplyServerSideEncryptionByDefault": {
                                      "SSEAlgorithm": "AES256",
                                      "KMSMasterKeyID": key["KeyId"]}}]}),
                 "InvalidArgument", 400)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}}]})
    assert_error(client_error(s3.put_object, Bucket=bucket, Key="c", Body=b"x",
                              **_ssec(ssec_key)), "AccessDenied", 403)
    s3.delete_bucket_encryption(Bucket=bucket)
    # without a bucket rule every object still gets SSE-S3, as on AWS since 2023
    assert s3.put_object(Bucket=bucket, Key="plain", Body=b"p")["ServerSideEncryption"] \
        == "AES256"


def test_inspect_shows_what_is_stored(server, s3, bucket: str, ssec_key: bytes) -> None:
    import subprocess
    import sys

    s3.put_object(Bucket=bucket, Key="kms", Body=BODY, ServerSideEncryption="aws:kms",
                  Metadata={"owner": "alice"})
    s3.put_object(Bucket=bucket, Key="c", Body=b"x", **_ssec(ssec_key))
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")

    def inspect(key: str) -> dict:
        out = subprocess.run([sys.executable, "-m", "objstore", "inspect", f"{bucket}/{key}",
                              "--data-dir", str(server.data_dir), "--json"],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    kms = inspect("kms")
    assert kms["mode"] == "SSE-KMS (aws:kms)" and kms["kms_key"].startswith("arn:aws:kms:")
    assert kms["encryption_context"] == {"aws:s3:arn": f"arn:aws:s3:::{bucket}/kms"}
    assert kms["parts"][0]["frames"] == 5 and "alice" in kms["still_leaks"][-1]
    ssec = inspect("c")
    assert "not stored" in ssec["customer_key"] and "wrapped_data_key" not in ssec
    plain = inspect("plain")   # no SSE header: SSE-S3, as on AWS since 2023
    assert plain["mode"] == "SSE-S3 (AES256)" and "no plaintext" in \
        plain["a_thief_with_the_disk_sees"]


def test_checksums_are_sealed_with_the_object(server, s3, bucket: str) -> None:
    """A plaintext checksum is not kept in clear (a CRC of a short secret gives the secret
    away): it is sealed under the object's data key, and still answered to a client that
    asks, on GET, HEAD (a Decrypt for SSE-KMS, as on AWS), and on the parts of a multipart
    object."""
    kms = make_client(server.endpoint, "kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    body = b"pin=4721"
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    s3.put_object(Bucket=bucket, Key="pin", Body=body, ChecksumSHA256=sha,
                  ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    s3.put_object(Bucket=bucket, Key="default", Body=body, ChecksumAlgorithm="SHA1")
    sha1 = base64.b64encode(hashlib.sha1(body).digest()).decode()
    head = s3.head_object(Bucket=bucket, Key="pin", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == sha
    request_id = head["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    records = [json.loads(line) for line in
               (server.data_dir / "kms" / "audit.jsonl").read_text().splitlines()]
    assert [r["eventName"] for r in records if r["requestID"] == request_id] == ["Decrypt"]
    assert s3.get_object(Bucket=bucket, Key="default",
                         ChecksumMode="ENABLED")["ChecksumSHA1"] == sha1
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert {o["Key"]: o["ChecksumAlgorithm"] for o in listed} == {
        "pin": ["SHA256"], "default": ["SHA1"]}
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="SHA256",
                                        ServerSideEncryption="aws:kms")["UploadId"]
    part_sha = base64.b64encode(hashlib.sha256(b"part one").digest()).decode()
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1,
                          Body=b"part one", ChecksumSHA256=part_sha)
    assert part["ChecksumSHA256"] == part_sha
    listed_parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload)["Parts"]
    assert listed_parts[0]["ChecksumSHA256"] == part_sha
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": part["ETag"], "ChecksumSHA256": part_sha}]})
    assert done["ChecksumSHA256"].endswith("-1")
    got = s3.get_object(Bucket=bucket, Key="mp", PartNumber=1, ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == part_sha
    on_disk = b"".join(p.read_bytes() for p in server.data_dir.glob("objstore.db*"))
    for value in (sha, sha1, part_sha, done["ChecksumSHA256"]):
        assert value.encode() not in on_disk


def test_default_encryption_none_is_a_baseline_switch(server_factory) -> None:
    """`serve --default-encryption none` (not an AWS behaviour) stores objects with no SSE
    header as sent, for comparisons; asked-for encryption still applies."""
    server = server_factory(None, "--default-encryption", "none")
    s3 = make_client(server.endpoint)
    s3.create_bucket(Bucket="baseline")
    put = s3.put_object(Bucket="baseline", Key="plain", Body=MARKER)
    assert "ServerSideEncryption" not in put
    assert_error(client_error(s3.get_bucket_encryption, Bucket="baseline"),
                 "ServerSideEncryptionConfigurationNotFoundError", 404)
    assert s3.put_object(Bucket="baseline", Key="s3", Body=b"x",
                         ServerSideEncryption="AES256")["ServerSideEncryption"] == "AES256"
    assert any(MARKER in p.read_bytes() for p in _blobs(server))


def _audit(server) -> list[dict]:
    return [json.loads(line) for line in
            (server.data_dir / "kms" / "audit.jsonl").read_text().splitlines()]


def _request_id(response: dict) -> str:
    return response["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]


def test_bucket_keys_cut_kms_calls(server, s3, bucket: str) -> None:
    """With BucketKeyEnabled, ten PUTs cost one GenerateDataKey (context: the bucket's
    ARN) and ten GETs one Decrypt; each object still has its own data key, the responses
    say bucket-key-enabled, and a disabled KMS key stops them at once."""
    kms = make_client(server.endpoint, "kms")
    key = kms.create_key()["KeyMetadata"]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                               "KMSMasterKeyID": key["KeyId"]},
        "BucketKeyEnabled": True}]})
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert rule["Rules"][0]["BucketKeyEnabled"] is True
    puts = [s3.put_object(Bucket=bucket, Key=f"o{i}", Body=b"%d" % i * 1000)
            for i in range(10)]
    assert all(p["BucketKeyEnabled"] and p["SSEKMSKeyId"] == key["Arn"] for p in puts)
    gets = [s3.get_object(Bucket=bucket, Key=f"o{i}") for i in range(10)]
    assert [g["Body"].read() for g in gets] == [b"%d" % i * 1000 for i in range(10)]
    assert all(g["BucketKeyEnabled"] for g in gets)
    records = _audit(server)
    by_request = {r["requestID"]: r for r in records}
    generated = [by_request[_request_id(p)] for p in puts if _request_id(p) in by_request]
    assert [r["eventName"] for r in generated] == ["GenerateDataKey"]
    assert generated[0]["requestParameters"]["encryptionContext"] == {
        "aws:s3:arn": f"arn:aws:s3:::{bucket}"}
    assert len([g for g in gets if _request_id(g) in by_request]) <= 1
    # the header overrides the bucket setting, both ways
    alone = s3.put_object(Bucket=bucket, Key="own", Body=b"x", ServerSideEncryption="aws:kms",
                          SSEKMSKeyId=key["KeyId"], BucketKeyEnabled=False)
    assert "BucketKeyEnabled" not in alone
    assert by_request.get(_request_id(alone)) is None and \
        [r["eventName"] for r in _audit(server) if r["requestID"] == _request_id(alone)] == \
        ["GenerateDataKey"]
    kms.disable_key(KeyId=key["KeyId"])
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="o1"),
                 "KMS.DisabledException", 400)
    assert_error(client_error(s3.put_object, Bucket=bucket, Key="o11", Body=b"x"),
                 "KMS.DisabledException", 400)
    kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket=bucket, Key="o1")["Body"].read() == b"1" * 1000


def test_update_object_encryption_rewraps_without_rewriting(server, s3, bucket: str) -> None:
    """UpdateObjectEncryption moves SSE-S3 and SSE-KMS objects under another KMS key: the
    blob on disk is untouched, ETag and checksums kept, the old key no longer needed."""
    import subprocess
    import sys

    kms = make_client(server.endpoint, "kms")
    old, new = (kms.create_key()["KeyMetadata"] for _ in range(2))
    s3.put_object(Bucket=bucket, Key="s3", Body=BODY, ChecksumAlgorithm="SHA256")
    s3.put_object(Bucket=bucket, Key="kms", Body=BODY, ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=old["KeyId"])
    before = {p.name: p.read_bytes() for p in _blobs(server)}
    etags = {k: s3.head_object(Bucket=bucket, Key=k)["ETag"] for k in ("s3", "kms")}
    for name, bucket_key in (("s3", False), ("kms", True)):
        s3.update_object_encryption(Bucket=bucket, Key=name, ObjectEncryption={
            "SSEKMS": {"KMSKeyArn": new["Arn"], "BucketKeyEnabled": bucket_key}})
        head = s3.head_object(Bucket=bucket, Key=name, ChecksumMode="ENABLED")
        assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == new["Arn"]
        assert head["ETag"] == etags[name] and head.get("BucketKeyEnabled", False) == bucket_key
        report = json.loads(subprocess.run(
            [sys.executable, "-m", "objstore", "inspect", f"{bucket}/{name}", "--data-dir",
             str(server.data_dir), "--json"], check=True, capture_output=True,
            text=True).stdout)
        assert report["kms_key"] == new["Arn"] and report["key_material_id"]
    assert s3.head_object(Bucket=bucket, Key="s3", ChecksumMode="ENABLED")[
        "ChecksumSHA256"] == base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    assert {p.name: p.read_bytes() for p in _blobs(server)
            if p.name in before} == before                     # not a byte rewritten
    kms.disable_key(KeyId=old["KeyId"])                        # the old key is not needed
    for name in ("s3", "kms"):
        assert s3.get_object(Bucket=bucket, Key=name)["Body"].read() == BODY
    kms.disable_key(KeyId=new["KeyId"])
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="kms"),
                 "KMS.DisabledException", 400)
    kms.enable_key(KeyId=new["KeyId"])


def test_update_object_encryption_errors(server, s3, bucket: str, ssec_key: bytes) -> None:
    kms = make_client(server.endpoint, "kms")
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    s3.put_object(Bucket=bucket, Key="c", Body=b"x", **_ssec(ssec_key))
    s3.put_object(Bucket=bucket, Key="d", Body=b"x", ServerSideEncryption="aws:kms:dsse")
    s3.put_object(Bucket=bucket, Key="s", Body=b"x")

    def update(key: str, **target: object):
        return client_error(s3.update_object_encryption, Bucket=bucket, Key=key,
                            ObjectEncryption={"SSEKMS": target})

    for key in ("c", "d"):
        error = update(key, KMSKeyArn=arn)
        assert_error(error, "InvalidRequest", 400)
        assert "DSSE-KMS or SSE-C" in error.response["Error"]["Message"]
    assert "valid AWS KMS key" in update("s", KMSKeyArn="arn:aws:kms:us-east-1:alias/x").response[
        "Error"]["Message"]
    other = arn.replace(arn.split(":")[4], "999999999999")
    assert_error(update("s", KMSKeyArn=other), "AccessDenied", 403)
    assert_error(update("missing", KMSKeyArn=arn), "NoSuchKey", 404)
    missing_key = arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    assert_error(update("s", KMSKeyArn=missing_key), "KMS.NotFoundException", 400)
    assert s3.head_object(Bucket=bucket, Key="s")["ServerSideEncryption"] == "AES256"


def test_rewrap_command_moves_a_keys_objects(server, s3, bucket: str, ssec_key: bytes,
                                             aws_cli_env: dict) -> None:
    import subprocess
    import sys

    kms = make_client(server.endpoint, "kms")
    old, new = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    for i in range(3):
        s3.put_object(Bucket=bucket, Key=f"old/{i}", Body=b"o%d" % i,
                      ServerSideEncryption="aws:kms", SSEKMSKeyId=old)
    s3.put_object(Bucket=bucket, Key="old/sse-s3", Body=b"s")
    s3.put_object(Bucket=bucket, Key="old/c", Body=b"c", **_ssec(ssec_key))
    etag = s3.head_object(Bucket=bucket, Key="old/0")["ETag"]
    done = subprocess.run([sys.executable, "-m", "objstore", "rewrap", f"s3://{bucket}/old/",
                           "--kms-key-arn", new, "--from-key", old,
                           "--endpoint-url", server.endpoint],
                          env=aws_cli_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "3 moved" in done.stdout and "1 not movable" in done.stdout
    assert "1 skipped" in done.stdout   # the SSE-S3 object: not under --from-key
    for i in range(3):
        head = s3.head_object(Bucket=bucket, Key=f"old/{i}")
        assert head["SSEKMSKeyId"] == new
    assert s3.head_object(Bucket=bucket, Key="old/0")["ETag"] == etag
    kms.schedule_key_deletion(KeyId=old, PendingWindowInDays=7)
    assert s3.get_object(Bucket=bucket, Key="old/2")["Body"].read() == b"o2"
