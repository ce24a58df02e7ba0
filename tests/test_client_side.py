"""Client-side encryption: objstore.clientside writes the S3 Encryption Client's V2 format
byte for byte, round-trips through the live server (which only ever holds ciphertext), and
refuses a wrong context, a wrong key or a changed byte; the server recognises such objects
and says who can read them; the KMS audit trail shows the client, not S3, using the key."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig

from objstore.cli.inspect_object import render
from objstore.clientside import ClientSideError, client, content, envelope
from objstore.inspection import describe, report
from objstore.sse.client_side import recognise
from objstore.storage.blobs import BlobStore
from objstore.storage.records import ObjectRecord, Segment
from tests.conftest import ACCESS_KEY, REGION, SECRET_KEY, add_user, make_client

ADMIN = "arn:aws:iam::111122223333:user/admin"
MARKER = b"CLIENT-SIDE-PLAINTEXT-MARKER-"
BODY = os.urandom(100_000) + MARKER * 100 + os.urandom(50_000)

# AES-256-GCM, no AAD: test case 15 of McGrew & Viega, "The Galois/Counter Mode of Operation"
GCM_KEY = bytes.fromhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
GCM_IV = bytes.fromhex("cafebabefacedbaddecaf888")
GCM_PLAINTEXT = bytes.fromhex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")
GCM_CIPHERTEXT_AND_TAG = bytes.fromhex(
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
    "b094dac5d93471bdec1a502270e3cc6c")


class _FakeKms:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def generate_data_key(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        return {"Plaintext": GCM_KEY, "CiphertextBlob": b"wrapped-data-key",
                "KeyId": "arn:aws:kms:us-east-1:111122223333:key/k"}


class _RecordingS3:
    def __init__(self) -> None:
        self.puts: list[dict[str, Any]] = []

    def put_object(self, **params: Any) -> dict[str, Any]:
        self.puts.append(params)
        return {}


def test_the_format_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client.os, "urandom", lambda n: GCM_IV[:n])
    kms, s3 = _FakeKms(), _RecordingS3()
    client.put_object(s3, kms, "b", "k", GCM_PLAINTEXT, "alias/demo", {"project": "alpha"})
    assert kms.calls == [{"KeyId": "alias/demo", "KeySpec": "AES_256", "EncryptionContext": {
        "project": "alpha", "aws:x-amz-cek-alg": "AES/GCM/NoPadding"}}]
    (put,) = s3.puts
    assert put["Body"] == GCM_CIPHERTEXT_AND_TAG
    assert put["Metadata"] == {
        "x-amz-key-v2": base64.b64encode(b"wrapped-data-key").decode(),
        "x-amz-iv": "yv66vvrO263eyviI",
        "x-amz-cek-alg": "AES/GCM/NoPadding",
        "x-amz-wrap-alg": "kms+context",
        "x-amz-matdesc": '{"aws:x-amz-cek-alg":"AES/GCM/NoPadding","project":"alpha"}',
        "x-amz-tag-len": "128",
        "x-amz-unencrypted-content-length": "64",
    }
    with pytest.raises(ClientSideError, match="reserved"):
        client.put_object(s3, kms, "b", "k", b"x", "alias/demo",
                          {"aws:x-amz-cek-alg": "AES/CBC/PKCS5Padding"})


@pytest.mark.parametrize("slice_size", [1, 15, 16, 17, 4096, 1 << 20])
def test_streaming_matches_one_shot(slice_size: int) -> None:
    data = os.urandom(200_003)
    reader = content.EncryptingReader(io.BytesIO(data), GCM_KEY, GCM_IV)
    pieces = iter(lambda: reader.read(slice_size), b"")
    streamed = b"".join(pieces)
    assert streamed == content.encrypt(GCM_KEY, GCM_IV, data)
    decryptor = content.StreamDecryptor(GCM_KEY, GCM_IV)
    plain = b"".join(decryptor.update(streamed[i:i + slice_size])
                     for i in range(0, len(streamed), slice_size))
    decryptor.finalize()
    assert plain == data
    damaged = content.StreamDecryptor(GCM_KEY, GCM_IV)
    damaged.update(streamed[:-1] + bytes([streamed[-1] ^ 1]))
    with pytest.raises(ClientSideError):
        damaged.finalize()


def test_the_server_side_rule_recognises_envelopes() -> None:
    meta = envelope.metadata(b"blob", GCM_IV, envelope.kms_context({"a": "b"}), 10)
    found = recognise({f"X-Amz-{name[6:].upper()}": value for name, value in meta.items()})
    assert found is not None and found.format == "V2" and not found.problems
    assert (found.wrap_algorithm, found.content_algorithm, found.tag_length_bits,
            found.plaintext_length, found.iv, found.wrapped_key) == \
        ("kms+context", "AES/GCM/NoPadding", 128, 10, GCM_IV, b"blob")
    assert found.user_context == {"a": "b"}
    legacy = recognise({"x-amz-key-v2": "AAAA", "x-amz-iv": "AAAA", "x-amz-wrap-alg": "kms",
                        "x-amz-cek-alg": "AES/CBC/PKCS5Padding",
                        "x-amz-matdesc": '{"kms_cmk_id":"alias/old"}'})
    assert legacy is not None and legacy.kms_key_id == "alias/old" and not legacy.problems
    v1 = recognise({"x-amz-key": "AAAA", "x-amz-iv": "AAAA", "x-amz-matdesc": "{}"})
    assert v1 is not None and v1.format == "V1" and not v1.problems
    assert (v1.content_algorithm, v1.wrap_algorithm) == ("AES/CBC/PKCS5Padding", None)
    mixed = recognise({"x-amz-key": "AAAA", "x-amz-key-v2": "AAAA", "x-amz-iv": "AAAA"})
    assert mixed is not None and any("V1" in problem for problem in mixed.problems)
    assert recognise({"x-amz-key-v2": "AAAA"}) is None          # no IV: not an envelope
    assert recognise({"owner": "alice"}) is None
    v3 = recognise({"x-amz-3": "AAAA", "x-amz-d": "AA==", "x-amz-i": "AA==",
                    "x-amz-c": "115", "x-amz-w": "12", "x-amz-t": '{"a":"b"}'})
    assert v3 is not None and v3.format == "V3" and v3.wrap_algorithm == "kms+context"
    assert v3.context == {"a": "b"}


@pytest.fixture(scope="module")
def kms(server):
    return make_client(server.endpoint, "kms")


def fetched_body(s3, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def _blob_of(server, bucket: str, key: str) -> Path:
    (part,) = describe(server.data_dir, bucket, key)["parts"]
    return Path(part["blob"])


def test_round_trip_server_sees_only_ciphertext(server, s3, kms, bucket: str) -> None:
    key = kms.create_key(Description="client-side")["KeyMetadata"]
    context = {"case": bucket}
    meta = client.put_object(s3, kms, bucket, "secret", BODY, key["KeyId"], context)
    assert client.get_object(s3, kms, bucket, "secret", context) == BODY
    raw = s3.get_object(Bucket=bucket, Key="secret")
    stored = raw["Body"].read()
    assert raw["Metadata"] == meta  # the envelope comes back as it was sent
    assert len(stored) == len(BODY) + 16 and MARKER not in stored
    on_disk = _blob_of(server, bucket, "secret").read_bytes()
    assert MARKER not in on_disk

    out = subprocess.run([sys.executable, "-m", "objstore", "inspect", f"{bucket}/secret",
                          "--data-dir", str(server.data_dir), "--json"],
                         check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    cse = report["client_side_encryption"]
    assert cse["server_saw_plaintext"] is False and "before it reached" in cse["summary"]
    assert (cse["content_algorithm"], cse["wrap_algorithm"], cse["kms_key"]) == \
        ("AES/GCM/NoPadding", "kms+context", key["Arn"])
    assert cse["encryption_context"] == {**context, "aws:x-amz-cek-alg": "AES/GCM/NoPadding"}
    if report["mode"] == "none (stored as sent)":  # no server-side layer: stored as sent
        assert on_disk == stored
    assert "client's" in report["a_thief_with_the_disk_sees"]
    assert key["Arn"] in report["a_thief_with_the_disk_sees"]
    readers = report["who_can_read"]
    assert key["Arn"] in readers["in_short"] and "never" in readers["in_short"]
    assert ADMIN in readers["account_users_who_can_read_now"]
    assert readers["kms_keys"][0]["key"] == key["Arn"]

    # the KMS saw the client, under its own identity, not S3 on its behalf
    records = [json.loads(line) for line in
               (server.data_dir / "kms" / "audit.jsonl").read_text().splitlines()]
    ours = [r for r in records if (r.get("requestParameters") or {}).get(
        "encryptionContext", {}).get("case") == bucket]
    assert [r["eventName"] for r in ours] == ["GenerateDataKey", "Decrypt"]
    for record in ours:
        assert "invokedBy" not in record["userIdentity"]
        assert record["userIdentity"]["arn"] == ADMIN
        assert record["requestParameters"]["encryptionContext"]["aws:x-amz-cek-alg"] == \
            "AES/GCM/NoPadding"


def test_wrong_context_key_or_byte_is_refused(s3, kms, bucket: str) -> None:
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    client.put_object(s3, kms, bucket, "k", BODY, key, {"project": "alpha"})
    for wrong in (None, {"project": "beta"}, {"project": "alpha", "extra": "x"}):
        with pytest.raises(ClientSideError, match="context"):
            client.get_object(s3, kms, bucket, "k", wrong)
    with pytest.raises(ClientSideError, match="IncorrectKeyException"):
        client.get_object(s3, kms, bucket, "k", {"project": "alpha"}, kms_key_id=other)
    # someone with write access to the bucket (or the server itself) changes one byte, or
    # the envelope's IV: the client's GCM tag catches either
    fetched = s3.get_object(Bucket=bucket, Key="k")
    ciphertext, meta = bytearray(fetched["Body"].read()), fetched["Metadata"]
    ciphertext[len(BODY) // 2] ^= 0x01
    s3.put_object(Bucket=bucket, Key="changed", Body=bytes(ciphertext), Metadata=meta)
    other_iv = {**meta, "x-amz-iv": base64.b64encode(os.urandom(12)).decode()}
    s3.put_object(Bucket=bucket, Key="new-iv", Body=fetched_body(s3, bucket, "k"),
                  Metadata=other_iv)
    for changed in ("changed", "new-iv"):
        with pytest.raises(ClientSideError, match="authentication") as refused:
            client.get_object(s3, kms, bucket, changed, {"project": "alpha"})
        assert MARKER not in str(refused.value).encode()
    s3.put_object(Bucket=bucket, Key="plain", Body=b"not encrypted")
    with pytest.raises(ClientSideError, match="no S3 Encryption Client"):
        client.get_object(s3, kms, bucket, "plain")


def test_large_files_stream_through_multipart(s3, kms, bucket: str, tmp_path: Path) -> None:
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    source = tmp_path / "big.bin"
    data = os.urandom(6 * 1024 * 1024) + MARKER
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024,
                            multipart_chunksize=5 * 1024 * 1024)
    client.upload_file(s3, kms, source, bucket, "big", key, transfer_config=config)
    head = s3.head_object(Bucket=bucket, Key="big")
    assert head["ETag"].endswith('-2"') and head["ContentLength"] == len(data) + 16
    assert head["Metadata"]["x-amz-unencrypted-content-length"] == str(len(data))
    target = tmp_path / "back.bin"
    assert client.download_file(s3, kms, bucket, "big", target) == len(data)
    assert target.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_who_can_read_follows_the_key_policy(server, s3, kms, bucket: str) -> None:
    bob = add_user(server, f"bob-{bucket[-8:]}")
    key = kms.create_key()["KeyMetadata"]
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "account", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
             "Resource": "*"},
            {"Sid": "not bob", "Effect": "Deny", "Principal": {"AWS": bob["arn"]},
             "Action": "kms:Decrypt", "Resource": "*"}]}))
    client.put_object(s3, kms, bucket, "k", b"for admin only", key["KeyId"])
    readers = describe(server.data_dir, bucket, "k")["who_can_read"]
    (facts,) = readers["kms_keys"]
    assert bob["arn"] in facts["cannot_decrypt"]
    assert bob["arn"] not in readers["account_users_who_can_read_now"]
    assert ADMIN in readers["account_users_who_can_read_now"]
    assert [s.get("sid") for s in facts["policy_statements_covering_decrypt"]] == \
        ["account", "not bob"]
    as_bob = {"access_key": bob["access key id"], "secret_key": bob["secret access key"]}
    with pytest.raises(ClientSideError, match="AccessDenied"):  # the report is right
        client.get_object(make_client(server.endpoint, **as_bob),
                          make_client(server.endpoint, "kms", **as_bob), bucket, "k")
    kms.disable_key(KeyId=key["KeyId"])
    disabled = describe(server.data_dir, bucket, "k")["who_can_read"]
    assert disabled["in_short"].startswith("nobody, now") and "Disabled" in \
        disabled["in_short"]
    assert disabled["account_users_who_can_read_now"] == []


def test_who_can_read_each_server_side_mode(server, s3, kms, bucket: str) -> None:
    key = kms.create_key()["KeyMetadata"]
    s3.put_object(Bucket=bucket, Key="s3", Body=b"x", ServerSideEncryption="AES256")
    s3.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=key["KeyId"])
    s3.put_object(Bucket=bucket, Key="c", Body=b"x", SSECustomerAlgorithm="AES256",
                  SSECustomerKey=os.urandom(32))
    short = {k: describe(server.data_dir, bucket, k)["who_can_read"]
             for k in ("s3", "kms", "c")}
    assert "store key automatically" in short["s3"]["in_short"]
    assert "kms:Decrypt" in short["kms"]["in_short"]
    assert short["kms"]["kms_keys"][0]["key"] == key["Arn"]
    assert "customer-provided key" in short["c"]["in_short"]
    assert "account_users_who_can_read_now" not in short["c"]
    for name in ("s3", "kms"):
        assert ADMIN in short[name]["account_users_who_can_read_now"]


def test_who_can_read_an_object_stored_as_sent(tmp_path: Path) -> None:
    """The report from records a caller holds (as the console does): no KMS at all here."""
    record = ObjectRecord(bucket="b", key="k", size=1, etag="e", last_modified=0.0,
                          segments=[Segment("blob", 1)])
    plain = report(record, BlobStore(tmp_path), principals=[ADMIN])
    assert plain["a_thief_with_the_disk_sees"] == "the object's bytes, in clear"
    assert "in clear on disk" in plain["who_can_read"]["in_short"]
    assert plain["who_can_read"]["account_users_who_can_read_now"] == [ADMIN]
    record.user_meta = envelope.metadata(b"not this KMS's blob", GCM_IV,
                                         envelope.kms_context(None), 1)
    cse = report(record, BlobStore(tmp_path), principals=[ADMIN])
    assert cse["client_side_encryption"]["kms_key"].startswith("unknown")
    assert "account_users_who_can_read_now" not in cse["who_can_read"]
    text = render(cse)
    assert "  client side encryption: {" in text and "  who can read: {" in text


def test_a_server_side_layer_over_the_client_s(server, s3, kms, bucket: str) -> None:
    client_key = kms.create_key()["KeyMetadata"]
    server_key = kms.create_key()["KeyMetadata"]
    client.put_object(s3, kms, bucket, "both", BODY, client_key["KeyId"],
                      extra_args={"ServerSideEncryption": "aws:kms",
                                  "SSEKMSKeyId": server_key["KeyId"],
                                  "Metadata": {"owner": "alice"}})
    assert client.get_object(s3, kms, bucket, "both") == BODY
    found = describe(server.data_dir, bucket, "both")
    assert found["mode"] == "SSE-KMS (aws:kms)"
    assert found["client_side_encryption"]["kms_key"] == client_key["Arn"]
    readers = found["who_can_read"]
    assert [k["key"] for k in readers["kms_keys"]] == [server_key["Arn"], client_key["Arn"]]
    assert len(readers["needs"]) == 3  # S3 access, the server's key, the client's key
    kms.disable_key(KeyId=server_key["KeyId"])
    assert describe(server.data_dir, bucket, "both")["who_can_read"]["in_short"] \
        .startswith(f"nobody, now: key {server_key['Arn']} is Disabled")


def test_cli_put_and_get(server, kms, bucket: str, tmp_path: Path) -> None:
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    source = tmp_path / "in.bin"
    source.write_bytes(BODY)
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))

    def cse(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "objstore", "cse", *args,
                               "--endpoint-url", server.endpoint], env=env,
                              capture_output=True, timeout=60)

    put = cse("put", "--kms-key-id", key, "--context", "team=blue", str(source),
              f"s3://{bucket}/cli")
    assert put.returncode == 0, put.stderr
    got = cse("get", "--context", "team=blue", f"s3://{bucket}/cli", "-")
    assert got.returncode == 0 and got.stdout == BODY
    refused = cse("get", f"s3://{bucket}/cli", str(tmp_path / "out.bin"))
    assert refused.returncode == 1 and b"context" in refused.stderr
    assert not (tmp_path / "out.bin").exists()
