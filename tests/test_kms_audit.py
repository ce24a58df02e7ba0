"""The KMS audit ledger: CloudTrail-shaped records, scrubbed of every secret, appended whole
(a torn last line is skipped and never glues onto the next record), and queried by key,
user, operation, time and request id while streaming the file."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from kms.audit import (
    Identity,
    Ledger,
    SecretInRecord,
    build_event,
    build_service_event,
    is_read_only,
    iso_time,
    scrub,
)
from kms.audit import reader as ledger_reader

ACCOUNT = "111122223333"
REGION = "us-east-1"
ALICE = Identity(arn=f"arn:aws:iam::{ACCOUNT}:user/Alice", account_id=ACCOUNT,
               principal_id="AIDAALICE", user_name="Alice", access_key_id="AKIAALICE")
BOB = Identity(arn=f"arn:aws:iam::{ACCOUNT}:user/Bob", account_id=ACCOUNT,
             principal_id="AIDABOB", user_name="Bob")


def key_arn(key_id: str) -> str:
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"


def event(name: str, key_id: str | None = None, caller: Identity = ALICE, now: float = 1e9,
          **kwargs: Any) -> dict[str, Any]:
    params = kwargs.pop("request_parameters", {"keyId": key_id} if key_id else {})
    return build_event(event_name=name, region=REGION, identity=caller,
                       request_id=kwargs.pop("request_id", str(uuid.uuid4())),
                       recipient_account=ACCOUNT, request_parameters=params,
                       key_arns=[key_arn(key_id)] if key_id else [], now=now, **kwargs)


@pytest.fixture
def ledger(tmp_path: Path):
    with Ledger(tmp_path / "kms" / "audit.jsonl") as led:
        yield led


# -- record shape --------------------------------------------------------------------------


def test_build_event_is_cloudtrail_shaped() -> None:
    kid = str(uuid.uuid4())
    record = build_event(
        event_name="GenerateDataKey", region=REGION, identity=ALICE, request_id="req-1",
        recipient_account=ACCOUNT,
        request_parameters={"keyId": "alias/app", "keySpec": "AES_256",
                            "encryptionContext": {"aws:s3:arn": "arn:aws:s3:::b/k"}},
        key_arns=[key_arn(kid), key_arn(kid)], invoked_by="s3.amazonaws.com",
        key_material_id="ab" * 32, now=1_700_000_000.75)
    assert record["eventVersion"] == "1.08"
    assert record["eventTime"] == "2023-11-14T22:13:20Z"
    assert record["eventSource"] == "kms.amazonaws.com"
    assert record["eventName"] == "GenerateDataKey"
    assert record["awsRegion"] == REGION
    assert record["userIdentity"] == {
        "type": "IAMUser", "principalId": "AIDAALICE", "arn": ALICE.arn,
        "accountId": ACCOUNT, "accessKeyId": "AKIAALICE", "userName": "Alice",
        "invokedBy": "s3.amazonaws.com"}
    assert record["sourceIPAddress"] == record["userAgent"] == "s3.amazonaws.com"
    assert record["responseElements"] is None
    assert record["requestID"] == "req-1"
    uuid.UUID(record["eventID"])
    assert record["readOnly"] is True
    assert record["resources"] == [
        {"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key_arn(kid)}]
    assert record["eventType"] == "AwsApiCall"
    assert record["managementEvent"] is True
    assert record["recipientAccountId"] == ACCOUNT
    assert record["eventCategory"] == "Management"
    assert record["additionalEventData"] == {"keyMaterialId": "ab" * 32}
    assert "errorCode" not in record


def test_failed_call_has_error_and_no_response() -> None:
    record = event("Decrypt", str(uuid.uuid4()), error_code="IncorrectKeyException",
                   error_message="The key ID in the request does not identify a CMK",
                   response_elements={"keyId": "x"}, source_ip="10.0.0.1", user_agent="ua")
    assert record["errorCode"] == "IncorrectKeyException"
    assert record["errorMessage"].startswith("The key ID")
    assert record["responseElements"] is None
    assert (record["sourceIPAddress"], record["userAgent"]) == ("10.0.0.1", "ua")
    assert "invokedBy" not in record["userIdentity"]


def test_service_event_and_read_only() -> None:
    kid = str(uuid.uuid4())
    record = build_service_event(event_name="RotateKey", region=REGION, account=ACCOUNT,
                                 key_arn=key_arn(kid), now=0)
    assert record["eventType"] == "AwsServiceEvent"
    assert record["userIdentity"] == {"accountId": ACCOUNT, "invokedBy": "kms.amazonaws.com"}
    assert record["readOnly"] is False
    assert record["resources"][0]["ARN"] == key_arn(kid)
    assert record["eventTime"] == "1970-01-01T00:00:00Z"
    for name in ("Encrypt", "Decrypt", "GenerateDataKeyPair", "DescribeKey", "ListAliases",
                 "GetKeyPolicy", "GenerateRandom", "Verify"):
        assert is_read_only(name), name
    for name in ("CreateKey", "ScheduleKeyDeletion", "PutKeyPolicy", "TagResource",
                 "RotateKeyOnDemand", "ImportKeyMaterial", "CreateGrant", "RetireGrant"):
        assert not is_read_only(name), name


# -- scrubbing -----------------------------------------------------------------------------

SECRET = b"\x01TOP-SECRET-MATERIAL\x02" * 2
SECRET_B64 = base64.b64encode(SECRET).decode()


def leaky_record() -> dict[str, Any]:
    record = event("GenerateDataKeyPair", str(uuid.uuid4()))
    record["requestParameters"].update({
        "plaintext": SECRET_B64, "Plaintext": SECRET, "keyMaterial": SECRET_B64,
        "encryptedKeyMaterial": SECRET_B64, "importToken": SECRET_B64,
        "ciphertextBlob": SECRET, "message": SECRET_B64, "signature": SECRET_B64,
        "grantTokens": [SECRET_B64], "keyId": "alias/app",
        "encryptionContext": {"purpose": "test", "raw": SECRET},
        "x-amz-server-side-encryption-customer-key": SECRET_B64,
        "x-amz-server-side-encryption-customer-key-MD5": "md5-is-fine",
        "SSECustomerKey": SECRET_B64,
        "nested": [{"PrivateKeyPlaintext": SECRET_B64, "kept": 1}, SECRET],
        "weird": object(), "nan": float("nan"),
    })
    record["responseElements"] = {
        "privateKeyPlaintext": SECRET_B64, "privateKeyCiphertextBlob": SECRET_B64,
        "publicKey": SECRET_B64, "keyId": "kept", "keyMaterialId": "cd" * 32,
        "dataKeyPlaintext": SECRET_B64,
    }
    record["userIdentity"]["secretAccessKey"] = SECRET_B64
    record["userIdentity"]["sessionToken"] = SECRET_B64
    return record


def test_scrub_strips_every_secret_field() -> None:
    clean, removed = scrub(leaky_record())
    text = json.dumps(clean)
    assert SECRET_B64 not in text and "TOP-SECRET" not in text
    params = clean["requestParameters"]
    assert params["keyId"] == "alias/app"
    assert params["encryptionContext"] == {"purpose": "test"}
    assert params["x-amz-server-side-encryption-customer-key-MD5"] == "md5-is-fine"
    assert params["nested"] == [{"kept": 1}]
    assert clean["responseElements"] == {"keyId": "kept", "keyMaterialId": "cd" * 32}
    assert clean["userIdentity"]["accessKeyId"] == "AKIAALICE"
    assert "requestParameters.plaintext" in removed
    assert "requestParameters.encryptionContext.raw" in removed
    assert "requestParameters.nested[1]" in removed
    assert all(SECRET_B64 not in path for path in removed)  # paths only, never values


def test_ledger_never_writes_secrets(ledger: Ledger, caplog: pytest.LogCaptureFixture) -> None:
    written = ledger.append(leaky_record())
    raw = ledger.path.read_bytes()
    assert SECRET not in raw
    assert SECRET_B64.encode() not in raw
    assert b"TOP-SECRET" not in raw
    assert json.loads(raw) == written
    assert "dropped secret" in caplog.text and SECRET_B64 not in caplog.text


def test_strict_ledger_refuses_secrets(tmp_path: Path) -> None:
    with Ledger(tmp_path / "audit.jsonl", strict=True) as led:
        with pytest.raises(SecretInRecord) as info:
            led.append(leaky_record())
        assert "requestParameters.plaintext" in info.value.paths
        assert led.path.read_bytes() == b""
        led.append(event("Encrypt", str(uuid.uuid4())))  # a clean record is fine
        assert len(list(led.records())) == 1


# -- durability and torn lines -------------------------------------------------------------


def test_records_persist_and_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "kms" / "audit.jsonl"
    with Ledger(path) as led:
        first = led.append(event("CreateKey", "k1"))
    with Ledger(path) as led:
        second = led.append(event("Encrypt", "k1"))
        assert list(led.records()) == [first, second]
        assert list(led.records(newest_first=True)) == [second, first]
    assert path.stat().st_mode & 0o077 == 0
    assert path.read_bytes().count(b"\n") == 2


def test_append_fills_event_id_and_time(ledger: Ledger) -> None:
    written = ledger.append({"eventName": "Custom"})
    uuid.UUID(written["eventID"])
    assert written["eventTime"].endswith("Z")


def test_torn_last_line_is_skipped_and_next_record_is_whole(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with Ledger(path) as led:
        good = led.append(event("Encrypt", "k1", request_id="r-good"))
    whole = json.dumps(event("Decrypt", "k1", request_id="r-torn")).encode()
    with open(path, "ab") as f:
        f.write(whole[: len(whole) // 2])  # the crash: half a line, no newline
    with Ledger(path) as led:
        assert list(led.records()) == [good]
        assert list(led.records(newest_first=True)) == [good]
        assert led.query(request_id="r-torn") == []
        after = led.append(event("Encrypt", "k1", request_id="r-after"))
        assert list(led.records()) == [good, after]
        assert led.query(request_id="r-after") == [after]
    lines = path.read_bytes().split(b"\n")
    assert json.loads(lines[0]) == good and json.loads(lines[2]) == after


def test_garbage_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b'[1,2]\n\nnot json\n{"eventName":"X"}\n\x00\xff\n')
    with Ledger(path) as led:
        assert list(led.records()) == [{"eventName": "X"}]
        assert led.query(operation="X") == [{"eventName": "X"}]


def test_process_killed_while_appending_never_leaves_a_torn_record_readable(
        tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    script = textwrap.dedent(f"""
        import os, threading
        from pathlib import Path
        from kms.audit import Ledger
        led = Ledger(Path({str(path)!r}), fsync=False)
        big = "x" * 100_000
        def spam():
            while True:
                led.append({{"eventName": "Encrypt", "requestParameters": {{"pad": big}}}})
        for _ in range(3):
            threading.Thread(target=spam, daemon=True).start()
        threading.Timer(0.3, lambda: os._exit(9)).start()
        threading.Event().wait()
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parent.parent,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 9, result.stderr
    with Ledger(path) as led:
        records = list(led.records())
        assert records and all(r["requestParameters"]["pad"] == "x" * 100_000
                               for r in records)
        led.append({"eventName": "After"})
        assert next(led.records(newest_first=True))["eventName"] == "After"


def test_threads_append_whole_lines(ledger: Ledger) -> None:
    def spam(n: int) -> None:
        for i in range(50):
            ledger.append(event("Encrypt", f"k{n}", request_id=f"{n}-{i}"))

    threads = [threading.Thread(target=spam, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = list(ledger.records())
    assert len(records) == 200
    assert len({r["requestID"] for r in records}) == 200


# -- queries -------------------------------------------------------------------------------


@pytest.fixture
def populated(ledger: Ledger) -> tuple[Ledger, str, str]:
    k1, k2 = str(uuid.uuid4()), str(uuid.uuid4())
    ledger.append(event("CreateKey", k1, now=1000, request_id="r1",
                        response_elements={"keyMetadata": {"keyId": k1, "arn": key_arn(k1)}}))
    ledger.append(event("Encrypt", k1, now=1010.4, request_id="r2"))
    ledger.append(event("Encrypt", k2, caller=BOB, now=1020, request_id="r3"))
    ledger.append(event("Decrypt", k1, caller=BOB, now=1030, request_id="r4",
                        error_code="DisabledException", error_message="disabled"))
    ledger.append(event("CreateAlias", None, now=1040, request_id="r5",
                        request_parameters={"aliasName": "alias/a", "targetKeyId": k2}))
    ledger.append(event("Decrypt", None, now=1050, request_id="r6",
                        request_parameters={"keyId": key_arn(k1)}))
    return ledger, k1, k2


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [r["requestID"] for r in records]


def test_query_by_key_id_or_arn(populated: tuple[Ledger, str, str]) -> None:
    ledger, k1, k2 = populated
    assert ids(ledger.query(key=k1)) == ["r6", "r4", "r2", "r1"]
    assert ids(ledger.query(key=key_arn(k1))) == ["r6", "r4", "r2", "r1"]
    assert ids(ledger.query(key=k2, newest_first=False)) == ["r3", "r5"]
    assert ids(ledger.query(key="alias/a")) == ["r5"]
    assert ledger.query(key=str(uuid.uuid4())) == []


def test_query_by_user_operation_request_and_time(
        populated: tuple[Ledger, str, str]) -> None:
    ledger, k1, _ = populated
    assert ids(ledger.query(user="Bob")) == ["r4", "r3"]
    assert ids(ledger.query(user=BOB.arn)) == ["r4", "r3"]
    assert ids(ledger.query(operation="Encrypt")) == ["r3", "r2"]
    assert ids(ledger.query(operation="Decrypt", user="Bob", key=k1)) == ["r4"]
    assert ids(ledger.query(request_id="r5")) == ["r5"]
    assert ids(ledger.query(since=1010.9, until=1030)) == ["r4", "r3", "r2"]
    assert ids(ledger.query(since=1011)) == ["r6", "r5", "r4", "r3"]
    assert ids(ledger.query(until=1009.9)) == ["r1"]
    assert ids(ledger.query(limit=2)) == ["r6", "r5"]
    assert ids(ledger.query(limit=2, newest_first=False)) == ["r1", "r2"]
    assert ledger.query(limit=0) == []
    assert ids(ledger.query(limit=None)) == ["r6", "r5", "r4", "r3", "r2", "r1"]


def test_last_usage(populated: tuple[Ledger, str, str]) -> None:
    ledger, k1, k2 = populated
    # r6 is the newest successful cryptographic call with k1 (r4 failed, r5 is not crypto)
    assert ledger.last_usage(key_arn(k1))["requestID"] == "r6"  # type: ignore[index]
    assert ledger.last_usage(key_arn(k2))["requestID"] == "r3"  # type: ignore[index]
    assert ledger.last_usage(key_arn(str(uuid.uuid4()))) is None


def test_missing_ledger_file_reads_empty(tmp_path: Path) -> None:
    assert list(ledger_reader.iter_lines(tmp_path / "none.jsonl")) == []


def test_reverse_reading_streams_in_blocks(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger_reader, "BLOCK", 97)  # lines straddle many block edges
    path = tmp_path / "audit.jsonl"
    with Ledger(path, fsync=False) as led:
        for i in range(300):
            led.append({"eventName": "E", "requestID": f"r{i}", "pad": "y" * (i % 150),
                        "eventTime": iso_time(i)})
        forward = ids(led.query(limit=None, newest_first=False))
        assert forward == [f"r{i}" for i in range(300)]
        assert ids(led.query(limit=None)) == forward[::-1]
        assert ids(led.query(limit=3)) == ["r299", "r298", "r297"]
        assert ids(led.query(since=10, until=12)) == ["r12", "r11", "r10"]


def test_reader_does_not_read_the_whole_file_for_newest_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "audit.jsonl"
    with Ledger(path, fsync=False) as led:
        for i in range(2000):
            led.append({"eventName": "E", "requestID": f"r{i}", "pad": "z" * 200})
    reads: list[int] = []
    real_backward = ledger_reader._backward

    def counting(f, end):  # type: ignore[no-untyped-def]
        real_read = f.read

        def read(n: int = -1) -> bytes:
            data = real_read(n)
            reads.append(len(data))
            return data

        f.read = read
        return real_backward(f, end)

    monkeypatch.setattr(ledger_reader, "_backward", counting)
    with Ledger(path) as led:
        assert ids(led.query(limit=5)) == [f"r{i}" for i in range(1999, 1994, -1)]
    assert sum(reads) <= 2 * ledger_reader.BLOCK < os.path.getsize(path)


def test_identity_may_be_a_plain_dict() -> None:
    record = build_event(event_name="Encrypt", region=REGION, request_id="r",
                         recipient_account=ACCOUNT, invoked_by="s3.amazonaws.com",
                         identity={"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root",
                                   "accountId": ACCOUNT})
    assert record["userIdentity"] == {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root",
                                      "accountId": ACCOUNT, "invokedBy": "s3.amazonaws.com"}
