"""The KMS service in-process: key life, cryptography, aliases, policies, the clock and
the audit trail, as the object store will call it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kms.service.caller import Caller
from kms.service.service import KmsService
from tests.conftest import kms_error

ACCOUNT = "111122223333"
ADMIN = Caller(arn=f"arn:aws:iam::{ACCOUNT}:user/admin", account_id=ACCOUNT,
               user_name="admin", request_id="req-admin")
BOB = Caller(arn=f"arn:aws:iam::{ACCOUNT}:user/bob", account_id=ACCOUNT, user_name="bob")


@pytest.fixture
def kms(tmp_path: Path) -> KmsService:
    service = KmsService(tmp_path)
    yield service
    service.close()


def test_encrypt_decrypt_with_context(kms: KmsService) -> None:
    key = kms.create_key(ADMIN)["KeyMetadata"]
    assert key["KeyState"] == "Enabled" and key["KeyManager"] == "CUSTOMER"
    sealed = kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"secret",
                         encryption_context={"ab": "c"})
    assert sealed["KeyId"] == key["Arn"]
    opened = kms.decrypt(ADMIN, ciphertext_blob=sealed["CiphertextBlob"],
                         encryption_context={"ab": "c"})
    assert opened["Plaintext"] == b"secret"
    assert opened["KeyMaterialId"] == key["CurrentKeyMaterialId"]
    # the canonical context: {"ab": "c"} never decrypts as {"a": "bc"}
    swapped = kms_error(kms.decrypt, ADMIN, ciphertext_blob=sealed["CiphertextBlob"],
                     encryption_context={"a": "bc"})
    assert swapped.type_name == "InvalidCiphertextException"
    assert kms_error(kms.decrypt, ADMIN, ciphertext_blob=sealed["CiphertextBlob"]).type_name == \
        "InvalidCiphertextException"


def test_decrypt_with_the_wrong_key_id(kms: KmsService) -> None:
    first = kms.create_key(ADMIN)["KeyMetadata"]
    second = kms.create_key(ADMIN)["KeyMetadata"]
    sealed = kms.encrypt(ADMIN, key_id=first["Arn"], plaintext=b"x")["CiphertextBlob"]
    error = kms_error(kms.decrypt, ADMIN, ciphertext_blob=sealed, key_id=second["KeyId"])
    assert error.type_name == "IncorrectKeyException"
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    assert kms_error(kms.decrypt, ADMIN, ciphertext_blob=tampered).type_name == \
        "InvalidCiphertextException"


def test_data_keys_and_reencrypt(kms: KmsService) -> None:
    key = kms.create_key(ADMIN)["KeyMetadata"]
    other = kms.create_key(ADMIN)["KeyMetadata"]
    data_key = kms.generate_data_key(ADMIN, key_id=key["KeyId"], key_spec="AES_256",
                                     encryption_context={"aws:s3:arn": "arn:aws:s3:::b/k"})
    assert len(data_key["Plaintext"]) == 32
    without = kms.generate_data_key_without_plaintext(ADMIN, key_id=key["KeyId"],
                                                      number_of_bytes=64)
    assert "Plaintext" not in without
    moved = kms.re_encrypt(ADMIN, ciphertext_blob=data_key["CiphertextBlob"],
                           source_encryption_context={"aws:s3:arn": "arn:aws:s3:::b/k"},
                           destination_key_id=other["KeyId"])
    assert moved["SourceKeyId"] == key["Arn"] and moved["KeyId"] == other["Arn"]
    assert kms.decrypt(ADMIN, ciphertext_blob=moved["CiphertextBlob"])["Plaintext"] == \
        data_key["Plaintext"]
    both = kms_error(kms.generate_data_key, ADMIN, key_id=key["KeyId"], key_spec="AES_256",
                  number_of_bytes=32)
    assert both.type_name == "ValidationException"
    assert len(kms.generate_random(ADMIN, number_of_bytes=7)["Plaintext"]) == 7


def test_key_states(kms: KmsService) -> None:
    key = kms.create_key(ADMIN)["KeyMetadata"]
    sealed = kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(ADMIN, key_id=key["KeyId"])
    assert kms_error(kms.decrypt, ADMIN, ciphertext_blob=sealed).type_name == "DisabledException"
    kms.enable_key(ADMIN, key_id=key["KeyId"])
    assert kms.decrypt(ADMIN, ciphertext_blob=sealed)["Plaintext"] == b"x"
    scheduled = kms.schedule_key_deletion(ADMIN, key_id=key["KeyId"], pending_window_in_days=7)
    assert scheduled["KeyState"] == "PendingDeletion"
    assert kms_error(kms.decrypt, ADMIN, ciphertext_blob=sealed).type_name == \
        "KMSInvalidStateException"
    assert kms_error(kms.schedule_key_deletion, ADMIN, key_id=key["KeyId"],
                  pending_window_in_days=6).type_name == "ValidationException"
    kms.cancel_key_deletion(ADMIN, key_id=key["KeyId"])
    assert kms.describe_key(ADMIN, key_id=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(ADMIN, key_id=key["KeyId"])
    kms.schedule_key_deletion(ADMIN, key_id=key["KeyId"], pending_window_in_days=7)
    kms.advance_clock(6)
    assert kms.describe_key(ADMIN, key_id=key["KeyId"])["KeyMetadata"]["KeyState"] == \
        "PendingDeletion"
    kms.advance_clock(2)
    assert kms_error(kms.describe_key, ADMIN, key_id=key["KeyId"]).type_name == "NotFoundException"
    assert kms_error(kms.decrypt, ADMIN, ciphertext_blob=sealed).type_name == "NotFoundException"


def test_aws_managed_key_appears_on_first_use(kms: KmsService) -> None:
    aliases = kms.list_aliases(ADMIN)["Aliases"]
    s3_alias = next(a for a in aliases if a["AliasName"] == "alias/aws/s3")
    assert "TargetKeyId" not in s3_alias
    via_s3 = Caller(arn=ADMIN.arn, account_id=ACCOUNT, user_name="admin",
                    invoked_by="s3.amazonaws.com")
    key = kms.generate_data_key(via_s3, key_id="alias/aws/s3", key_spec="AES_256")
    meta = kms.describe_key(ADMIN, key_id="alias/aws/s3")["KeyMetadata"]
    # its policy lets the account use it only through S3
    direct = kms_error(kms.generate_data_key, ADMIN, key_id="alias/aws/s3", key_spec="AES_256")
    assert direct.type_name == "AccessDeniedException"
    assert meta["KeyManager"] == "AWS" and meta["Arn"] == key["KeyId"]
    for refused in (kms.disable_key, kms.schedule_key_deletion):
        assert kms_error(refused, ADMIN, key_id=meta["KeyId"]).type_name == \
            "UnsupportedOperationException"
    assert kms_error(kms.create_alias, ADMIN, alias_name="alias/aws/mine",
                  target_key_id=meta["KeyId"]).type_name == "InvalidAliasNameException"


def test_aliases(kms: KmsService) -> None:
    key = kms.create_key(ADMIN)["KeyMetadata"]
    kms.create_alias(ADMIN, alias_name="alias/app", target_key_id=key["KeyId"])
    assert kms_error(kms.create_alias, ADMIN, alias_name="alias/app",
                  target_key_id=key["KeyId"]).type_name == "AlreadyExistsException"
    sealed = kms.encrypt(ADMIN, key_id="alias/app", plaintext=b"x")
    assert sealed["KeyId"] == key["Arn"]
    other = kms.create_key(ADMIN)["KeyMetadata"]
    kms.update_alias(ADMIN, alias_name="alias/app", target_key_id=other["KeyId"])
    assert kms.describe_key(ADMIN, key_id="alias/app")["KeyMetadata"]["KeyId"] == other["KeyId"]
    kms.delete_alias(ADMIN, alias_name="alias/app")
    assert kms_error(kms.describe_key, ADMIN, key_id="alias/app").type_name == "NotFoundException"


def test_a_key_administrator_who_may_not_use_the_key(kms: KmsService) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": ADMIN.arn},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "bob administers", "Effect": "Allow", "Principal": {"AWS": BOB.arn},
         "Action": ["kms:Describe*", "kms:Disable*", "kms:Enable*", "kms:Put*", "kms:Get*"],
         "Resource": "*"}]}
    key = kms.create_key(ADMIN, policy=json.dumps(policy),
                         bypass_policy_lockout_safety_check=True)["KeyMetadata"]
    kms.describe_key(BOB, key_id=key["KeyId"])
    kms.disable_key(BOB, key_id=key["KeyId"])
    kms.enable_key(BOB, key_id=key["KeyId"])
    denied = kms_error(kms.encrypt, BOB, key_id=key["KeyId"], plaintext=b"x")
    assert denied.type_name == "AccessDeniedException"
    assert "kms:Encrypt" in denied.message and BOB.arn in denied.message
    kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"x")


def test_policy_conditions_on_the_encryption_context(kms: KmsService) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt",
         "Resource": "*",
         "Condition": {"StringNotEquals": {"kms:EncryptionContext:app": "billing"}}}]}
    key = kms.create_key(ADMIN, policy=json.dumps(policy))["KeyMetadata"]
    good = kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"x",
                       encryption_context={"app": "billing"})["CiphertextBlob"]
    bad = kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"x",
                      encryption_context={"app": "other"})["CiphertextBlob"]
    kms.decrypt(ADMIN, ciphertext_blob=good, encryption_context={"app": "billing"})
    assert kms_error(kms.decrypt, ADMIN, ciphertext_blob=bad,
                  encryption_context={"app": "other"}).type_name == "AccessDeniedException"


def test_everything_survives_a_restart(tmp_path: Path) -> None:
    first = KmsService(tmp_path)
    key = first.create_key(ADMIN, description="keeps")["KeyMetadata"]
    first.create_alias(ADMIN, alias_name="alias/keeps", target_key_id=key["KeyId"])
    sealed = first.encrypt(ADMIN, key_id="alias/keeps", plaintext=b"durable")["CiphertextBlob"]
    first.close()
    second = KmsService(tmp_path)
    try:
        assert second.decrypt(ADMIN, ciphertext_blob=sealed)["Plaintext"] == b"durable"
        assert second.describe_key(ADMIN, key_id="alias/keeps")["KeyMetadata"][
            "Description"] == "keeps"
    finally:
        second.close()
    assert oct((tmp_path / "kms" / "root.key").stat().st_mode & 0o777) == "0o600"


def test_the_audit_trail(kms: KmsService, tmp_path: Path) -> None:
    key = kms.create_key(ADMIN)["KeyMetadata"]
    via_s3 = Caller(arn=ADMIN.arn, account_id=ACCOUNT, user_name="admin",
                    invoked_by="s3.amazonaws.com", request_id="s3-request-1")
    kms.generate_data_key(via_s3, key_id=key["KeyId"], key_spec="AES_256",
                          encryption_context={"aws:s3:arn": "arn:aws:s3:::bkt/obj"})
    kms_error(kms.encrypt, BOB, key_id="alias/none", plaintext=b"top secret")
    records = kms.audit_trail(limit=10)
    assert [r["eventName"] for r in records[:3]] == ["Encrypt", "GenerateDataKey", "CreateKey"]
    failed, generated = records[0], records[1]
    assert failed["errorCode"] == "NotFoundException"
    assert failed["userIdentity"]["arn"] == BOB.arn
    assert generated["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
    assert generated["requestParameters"]["encryptionContext"] == {
        "aws:s3:arn": "arn:aws:s3:::bkt/obj"}
    assert generated["additionalEventData"]["keyMaterialId"] == key["CurrentKeyMaterialId"]
    assert generated["resources"][0]["ARN"] == key["Arn"]
    assert kms.audit_trail(key=key["KeyId"], operation="GenerateDataKey", limit=5)
    ledger = (tmp_path / "kms" / "audit.jsonl").read_bytes()
    assert b"top secret" not in ledger
