"""KMS grants in-process: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant,
RevokeGrant, and grants honoured (and constrained) wherever the key policy says no."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config

from kms.api import KmsApi
from kms.service import grants
from kms.service.caller import Caller
from kms.service.service import KmsService
from tests.conftest import kms_error

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
ROOT = Caller(arn=f"arn:aws:iam::{ACCOUNT}:root", account_id=ACCOUNT, user_name="root")
ADMIN = Caller(arn=f"arn:aws:iam::{ACCOUNT}:user/admin", account_id=ACCOUNT,
               user_name="admin")
BOB = Caller(arn=f"arn:aws:iam::{ACCOUNT}:user/bob", account_id=ACCOUNT, user_name="bob")
CAROL = Caller(arn=f"arn:aws:iam::{ACCOUNT}:user/carol", account_id=ACCOUNT,
               user_name="carol")
EVE = Caller(arn=f"arn:aws:iam::{OTHER_ACCOUNT}:user/eve", account_id=OTHER_ACCOUNT,
             user_name="eve")


@pytest.fixture
def kms(tmp_path: Path) -> Iterator[KmsService]:
    service = KmsService(tmp_path)
    yield service
    service.close()


def _admin_only_key(kms: KmsService, *extra: dict[str, Any]) -> dict[str, Any]:
    """A key whose policy lets ADMIN do everything, and nobody else anything (naming the
    account would let in all its users)."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ADMIN.arn}, "Action": "kms:*",
         "Resource": "*"}, *extra]}
    return kms.create_key(ADMIN, policy=json.dumps(policy),
                          bypass_policy_lockout_safety_check=True)["KeyMetadata"]


def _grant(kms: KmsService, key: dict[str, Any], grantee: Caller, *operations: str,
           **kwargs: Any) -> dict[str, Any]:
    return kms.create_grant(ADMIN, key_id=key["KeyId"], grantee_principal=grantee.arn,
                            operations=list(operations), **kwargs)


def _encrypt(kms: KmsService, caller: Caller, key: dict[str, Any],
             context: dict[str, str] | None = None) -> bytes:
    return kms.encrypt(caller, key_id=key["Arn"], plaintext=b"secret",
                       encryption_context=context)["CiphertextBlob"]


def _denied(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    return kms_error(fn, *args, **kwargs).type_name == "AccessDeniedException"


# -- grants honoured -----------------------------------------------------------------------

def test_a_grant_lets_a_denied_user_in_until_it_is_retired_or_revoked(
        kms: KmsService) -> None:
    key = _admin_only_key(kms)
    assert _denied(_encrypt, kms, BOB, key)
    grant = _grant(kms, key, BOB, "Encrypt", "Decrypt", "RetireGrant")
    assert len(grant["GrantId"]) == 64 and int(grant["GrantId"], 16) >= 0
    sealed = _encrypt(kms, BOB, key)
    assert kms.decrypt(BOB, ciphertext_blob=sealed)["Plaintext"] == b"secret"
    kms.retire_grant(BOB, grant_token=grant["GrantToken"])
    assert _denied(_encrypt, kms, BOB, key)
    assert _denied(kms.decrypt, BOB, ciphertext_blob=sealed)

    revoked = _grant(kms, key, BOB, "Decrypt")
    assert kms.decrypt(BOB, ciphertext_blob=sealed)["Plaintext"] == b"secret"
    kms.revoke_grant(ADMIN, key_id=key["Arn"], grant_id=revoked["GrantId"])
    assert _denied(kms.decrypt, BOB, ciphertext_blob=sealed)


def test_a_grant_allows_only_its_operations(kms: KmsService) -> None:
    key = _admin_only_key(kms)
    _grant(kms, key, BOB, "Decrypt")
    sealed = _encrypt(kms, ADMIN, key)
    assert kms.decrypt(BOB, ciphertext_blob=sealed)["Plaintext"] == b"secret"
    assert _denied(_encrypt, kms, BOB, key)
    assert _denied(kms.generate_data_key, BOB, key_id=key["KeyId"], key_spec="AES_256")
    assert _denied(kms.describe_key, BOB, key_id=key["KeyId"])
    # nor does it reach anyone else
    assert _denied(kms.decrypt, CAROL, ciphertext_blob=sealed)


def test_a_grant_to_an_account_reaches_its_users_and_crosses_accounts(
        kms: KmsService) -> None:
    key = _admin_only_key(kms)
    kms.create_grant(ADMIN, key_id=key["KeyId"], grantee_principal=ROOT.arn,
                     operations=["Encrypt"])
    _encrypt(kms, BOB, key)
    _encrypt(kms, CAROL, key)
    assert _denied(_encrypt, kms, EVE, key)
    _grant(kms, key, EVE, "Encrypt", "DescribeKey")
    _encrypt(kms, EVE, key)
    assert kms.describe_key(EVE, key_id=key["Arn"])["KeyMetadata"]["Arn"] == key["Arn"]


def test_an_explicit_deny_in_the_key_policy_beats_any_grant(kms: KmsService) -> None:
    key = _admin_only_key(kms, {"Effect": "Deny", "Principal": {"AWS": BOB.arn},
                                "Action": "kms:Decrypt", "Resource": "*"})
    _grant(kms, key, BOB, "Encrypt", "Decrypt")
    sealed = _encrypt(kms, BOB, key)
    assert _denied(kms.decrypt, BOB, ciphertext_blob=sealed)


def test_encryption_context_equals(kms: KmsService) -> None:
    key = _admin_only_key(kms)
    _grant(kms, key, BOB, "Encrypt", constraints={
        "EncryptionContextEquals": {"app": "billing"}})
    _encrypt(kms, BOB, key, {"app": "billing"})
    _encrypt(kms, BOB, key, {"APP": "billing"})  # constraint keys ignore case...
    assert _denied(_encrypt, kms, BOB, key, {"app": "Billing"})  # ...values do not
    assert _denied(_encrypt, kms, BOB, key, {"app": "billing", "team": "x"})
    assert _denied(_encrypt, kms, BOB, key, {})
    assert _denied(_encrypt, kms, BOB, key)


def test_encryption_context_subset(kms: KmsService) -> None:
    key = _admin_only_key(kms)
    _grant(kms, key, BOB, "Encrypt", "Decrypt", "DescribeKey", constraints={
        "EncryptionContextSubset": {"app": "billing", "env": "prod"}})
    context = {"app": "billing", "env": "prod", "object": "o1"}
    sealed = _encrypt(kms, BOB, key, context)
    assert kms.decrypt(BOB, ciphertext_blob=sealed, encryption_context=context)[
        "Plaintext"] == b"secret"
    assert _denied(_encrypt, kms, BOB, key, {"app": "billing"})
    assert _denied(_encrypt, kms, BOB, key, {"app": "billing", "env": "dev"})
    # the constraint does not apply to operations without an encryption context
    kms.describe_key(BOB, key_id=key["KeyId"])


def test_a_grant_delegates_no_more_than_it_has(kms: KmsService) -> None:
    key = _admin_only_key(kms)
    _grant(kms, key, BOB, "Decrypt", "CreateGrant",
           constraints={"EncryptionContextSubset": {"app": "billing"}})

    def delegate(operations: list[str], constraints: dict[str, Any] | None) -> None:
        kms.create_grant(BOB, key_id=key["KeyId"], grantee_principal=CAROL.arn,
                         operations=operations, constraints=constraints)

    delegate(["Decrypt"], {"EncryptionContextSubset": {"App": "billing", "env": "prod"}})
    delegate(["Decrypt", "CreateGrant"], {"EncryptionContextEquals": {"app": "billing"}})
    assert _denied(delegate, ["Encrypt"], {"EncryptionContextSubset": {"app": "billing"}})
    assert _denied(delegate, ["Decrypt"], None)
    assert _denied(delegate, ["Decrypt"], {"EncryptionContextSubset": {"env": "prod"}})
    assert _denied(delegate, ["Decrypt"], {"EncryptionContextEquals": {"env": "prod"}})
    # a policy-given CreateGrant has no such limit
    kms.create_grant(ADMIN, key_id=key["KeyId"], grantee_principal=CAROL.arn,
                     operations=["Encrypt"])


# -- CreateGrant -------------------------------------------------------------------------

def test_a_named_grant_is_created_once(kms: KmsService) -> None:
    key = _admin_only_key(kms)
    first = _grant(kms, key, BOB, "Encrypt", "Decrypt", name="app-1")
    retry = _grant(kms, key, BOB, "Decrypt", "Encrypt", name="app-1")
    assert retry["GrantId"] == first["GrantId"]
    assert retry["GrantToken"] != first["GrantToken"]
    assert len(kms.list_grants(ADMIN, key_id=key["KeyId"])["Grants"]) == 1
    other = _grant(kms, key, BOB, "Encrypt", name="app-1")  # other parameters: a new grant
    unnamed = [_grant(kms, key, BOB, "Encrypt")["GrantId"] for _ in range(2)]
    assert len({first["GrantId"], other["GrantId"], *unnamed}) == 4
    # every token of a grant names it
    kms.retire_grant(ROOT, grant_token=retry["GrantToken"])
    assert kms_error(kms.retire_grant, ROOT, grant_token=first["GrantToken"]).type_name == \
        "NotFoundException"


def test_create_grant_refusals(kms: KmsService, monkeypatch: pytest.MonkeyPatch) -> None:
    key = _admin_only_key(kms)

    def refused(**kwargs: Any) -> str:
        arguments = {"key_id": key["KeyId"], "grantee_principal": BOB.arn,
                     "operations": ["Encrypt"], **kwargs}
        return kms_error(kms.create_grant, ADMIN, **arguments).type_name

    assert refused(operations=["Sign"]) == "ValidationException"
    assert refused(operations=[]) == "ValidationException"
    assert refused(grantee_principal=None) == "ValidationException"
    assert refused(grantee_principal="bob") == "InvalidArnException"
    assert refused(retiring_principal="arn:aws:s3:::bucket") == "InvalidArnException"
    assert refused(constraints={"EncryptionContextEquals": {"a": "1"},
                                "EncryptionContextSubset": {"a": "1"}}) == \
        "ValidationException"
    assert refused(constraints={"EncryptionContextSubset": {
        str(n): "v" for n in range(9)}}) == "ValidationException"
    assert refused(constraints={"EncryptionContextSubset": {"a": "v" * 385}}) == \
        "ValidationException"
    assert refused(key_id="alias/nope") == "NotFoundException"
    assert refused(grant_tokens=["not-a-token"]) == "InvalidGrantTokenException"
    assert refused(dry_run=True) == "DryRunOperationException"
    assert kms.list_grants(ADMIN, key_id=key["KeyId"])["Grants"] == []
    assert kms_error(kms.create_grant, BOB, key_id=key["KeyId"], grantee_principal=BOB.arn,
                  operations=["Encrypt"]).type_name == "AccessDeniedException"
    # a genuine token is accepted
    token = _grant(kms, key, CAROL, "Encrypt")["GrantToken"]
    _grant(kms, key, BOB, "Encrypt", grant_tokens=[token])
    monkeypatch.setattr(grants, "MAX_GRANTS_PER_KEY", 2)
    assert refused() == "LimitExceededException"


def test_create_grant_follows_the_key_state(kms: KmsService) -> None:
    key = _admin_only_key(kms)
    grant = _grant(kms, key, BOB, "Encrypt", retiring_principal=CAROL.arn)
    kms.disable_key(ADMIN, key_id=key["KeyId"])
    error = kms_error(_grant, kms, key, BOB, "Decrypt")
    assert error.type_name == "DisabledException" and key["Arn"] in error.message
    # listing, retiring and revoking work in every state
    assert len(kms.list_grants(ADMIN, key_id=key["KeyId"])["Grants"]) == 1
    kms.schedule_key_deletion(ADMIN, key_id=key["KeyId"], pending_window_in_days=7)
    assert kms_error(_grant, kms, key, BOB, "Decrypt").type_name == "KMSInvalidStateException"
    kms.retire_grant(CAROL, key_id=key["Arn"], grant_id=grant["GrantId"])
    assert kms.list_grants(ADMIN, key_id=key["KeyId"])["Grants"] == []


def test_deleting_the_key_deletes_its_grants(kms: KmsService) -> None:
    key = _admin_only_key(kms)
    grant = _grant(kms, key, BOB, "Encrypt", retiring_principal=CAROL.arn)
    kms.schedule_key_deletion(ADMIN, key_id=key["KeyId"], pending_window_in_days=7)
    kms.advance_clock(8)
    assert kms.list_retirable_grants(CAROL, retiring_principal=CAROL.arn)["Grants"] == []
    assert kms_error(kms.retire_grant, CAROL, grant_token=grant["GrantToken"]).type_name == \
        "NotFoundException"


# -- listing -------------------------------------------------------------------------------

def test_list_grants_entries_paging_and_filters(kms: KmsService) -> None:
    key = _admin_only_key(kms)
    other_key = _admin_only_key(kms)
    named = _grant(kms, key, BOB, "Encrypt", "Decrypt", name="app-1",
                   retiring_principal=CAROL.arn,
                   constraints={"EncryptionContextSubset": {"app": "billing"}})
    ids = {named["GrantId"], *(_grant(kms, key, CAROL, "Decrypt")["GrantId"]
                               for _ in range(4))}
    _grant(kms, other_key, BOB, "Encrypt")

    seen: list[str] = []
    marker = None
    while True:
        page = kms.list_grants(ADMIN, key_id=key["Arn"], limit=2, marker=marker)
        seen += [grant["GrantId"] for grant in page["Grants"]]
        assert len(page["Grants"]) <= 2
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
    assert sorted(seen) == seen and set(seen) == ids

    entry, = kms.list_grants(ADMIN, key_id=key["KeyId"], grant_id=named["GrantId"])["Grants"]
    assert entry["KeyId"] == key["Arn"]
    assert entry["Name"] == "app-1" and entry["GranteePrincipal"] == BOB.arn
    assert entry["RetiringPrincipal"] == CAROL.arn
    assert entry["IssuingAccount"] == ROOT.arn
    assert entry["Operations"] == ["Encrypt", "Decrypt"]
    assert entry["Constraints"] == {"EncryptionContextSubset": {"app": "billing"}}
    assert isinstance(entry["CreationDate"], float)
    by_bob = kms.list_grants(ADMIN, key_id=key["KeyId"], grantee_principal=BOB.arn)
    assert [g["GrantId"] for g in by_bob["Grants"]] == [named["GrantId"]]

    def refusal(**kwargs: Any) -> str:
        return kms_error(kms.list_grants, ADMIN, key_id=key["KeyId"], **kwargs).type_name

    assert refusal(marker="not-a-marker") == "InvalidMarkerException"
    assert refusal(grant_id="not-a-grant-id") == "InvalidGrantIdException"
    assert refusal(limit=0) == "ValidationException"
    assert _denied(kms.list_grants, BOB, key_id=key["KeyId"])


def test_list_retirable_grants(kms: KmsService) -> None:
    first, second = _admin_only_key(kms), _admin_only_key(kms)
    expected = {_grant(kms, key, BOB, "Encrypt", retiring_principal=CAROL.arn)["GrantId"]
                for key in (first, second, first)}
    _grant(kms, first, BOB, "Encrypt", retiring_principal=ADMIN.arn)
    page = kms.list_retirable_grants(BOB, retiring_principal=CAROL.arn, limit=2)
    assert page["Truncated"] and len(page["Grants"]) == 2
    rest = kms.list_retirable_grants(BOB, retiring_principal=CAROL.arn,
                                     marker=page["NextMarker"])
    assert not rest["Truncated"]
    entries = page["Grants"] + rest["Grants"]
    assert {g["GrantId"] for g in entries} == expected
    assert {g["KeyId"] for g in entries} == {first["Arn"], second["Arn"]}
    assert all(g["RetiringPrincipal"] == CAROL.arn for g in entries)
    assert _denied(kms.list_retirable_grants, BOB,
                   retiring_principal=f"arn:aws:iam::{OTHER_ACCOUNT}:user/eve")
    assert kms_error(kms.list_retirable_grants, BOB, retiring_principal="carol").type_name == \
        "InvalidArnException"


# -- retiring and revoking -------------------------------------------------------------------

def test_who_may_retire_a_grant(kms: KmsService) -> None:
    key = _admin_only_key(kms)

    def retire(caller: Caller, grant: dict[str, Any]) -> None:
        kms.retire_grant(caller, key_id=key["Arn"], grant_id=grant["GrantId"])

    plain = _grant(kms, key, BOB, "Encrypt", retiring_principal=CAROL.arn)
    for outsider in (BOB, ADMIN, EVE):  # grantee without RetireGrant, a key admin, another
        assert _denied(retire, outsider, plain)
    retire(CAROL, plain)
    retire(BOB, _grant(kms, key, BOB, "Encrypt", "RetireGrant"))
    retire(ROOT, _grant(kms, key, BOB, "Encrypt"))  # the issuing account
    cross = _grant(kms, key, EVE, "Encrypt", retiring_principal=f"arn:aws:iam::"
                   f"{OTHER_ACCOUNT}:root")
    retire(EVE, cross)  # a retiring account reaches its users
    assert kms.list_grants(ADMIN, key_id=key["KeyId"])["Grants"] == []


def test_retire_grant_errors(kms: KmsService) -> None:
    key = _admin_only_key(kms)
    grant = _grant(kms, key, BOB, "Encrypt", "RetireGrant")
    token = grant["GrantToken"]

    def refusal(**kwargs: Any) -> str:
        return kms_error(kms.retire_grant, BOB, **kwargs).type_name

    assert refusal(key_id=key["Arn"], grant_id="xyz") == "InvalidGrantIdException"
    assert refusal(key_id=key["Arn"], grant_id="0" * 64) == "NotFoundException"
    assert refusal(key_id=_admin_only_key(kms)["Arn"], grant_id=grant["GrantId"]) == \
        "NotFoundException"
    assert refusal(grant_token="garbage!") == "InvalidGrantTokenException"
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[10] ^= 1
    forged = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    assert refusal(grant_token=forged) == "InvalidGrantTokenException"
    assert refusal() == "ValidationException"
    assert refusal(key_id=key["Arn"]) == "ValidationException"
    assert refusal(grant_token=token, grant_id=grant["GrantId"]) == "ValidationException"
    assert refusal(grant_token=token, dry_run=True) == "DryRunOperationException"
    kms.retire_grant(BOB, grant_token=token)
    assert refusal(grant_token=token) == "NotFoundException"


def test_revoke_grant_needs_the_key_policy(kms: KmsService) -> None:
    key = _admin_only_key(kms)
    grant = _grant(kms, key, BOB, "Encrypt", "Decrypt", "RetireGrant", "CreateGrant")
    assert _denied(kms.revoke_grant, BOB, key_id=key["KeyId"], grant_id=grant["GrantId"])
    assert kms_error(kms.revoke_grant, ADMIN, key_id=key["KeyId"],
                  grant_id="nope").type_name == "InvalidGrantIdException"
    assert kms_error(kms.revoke_grant, ADMIN, key_id=_admin_only_key(kms)["KeyId"],
                  grant_id=grant["GrantId"]).type_name == "NotFoundException"
    assert kms_error(kms.revoke_grant, ADMIN, key_id=key["KeyId"], grant_id=grant["GrantId"],
                  dry_run=True).type_name == "DryRunOperationException"
    kms.revoke_grant(ADMIN, key_id=key["KeyId"], grant_id=grant["GrantId"])
    assert kms_error(kms.revoke_grant, ADMIN, key_id=key["KeyId"],
                  grant_id=grant["GrantId"]).type_name == "NotFoundException"


# -- audit and wire ----------------------------------------------------------------------------

def test_the_audit_trail_records_grant_calls(kms: KmsService, tmp_path: Path) -> None:
    key = _admin_only_key(kms)
    grant = _grant(kms, key, BOB, "Encrypt", "RetireGrant", name="audited",
                   constraints={"EncryptionContextSubset": {"app": "billing"}})
    kms_error(kms.retire_grant, EVE, key_id=key["Arn"], grant_id=grant["GrantId"])
    kms.retire_grant(BOB, grant_token=grant["GrantToken"])
    retired, failed, created = kms.audit_trail(limit=3)
    assert created["eventName"] == "CreateGrant" and created["userIdentity"]["arn"] == \
        ADMIN.arn
    assert created["requestParameters"] == {
        "keyId": key["KeyId"], "granteePrincipal": BOB.arn,
        "operations": ["Encrypt", "RetireGrant"], "name": "audited",
        "constraints": {"encryptionContextSubset": {"app": "billing"}}}
    assert created["responseElements"] == {"grantId": grant["GrantId"]}
    assert created["resources"][0]["ARN"] == key["Arn"]
    assert failed["eventName"] == "RetireGrant" and failed["errorCode"] == \
        "AccessDeniedException"
    assert retired["eventName"] == "RetireGrant" and "errorCode" not in retired
    assert retired["resources"][0]["ARN"] == key["Arn"]
    assert kms.audit_trail(key=key["KeyId"], operation="RetireGrant", limit=5)
    ledger = (tmp_path / "kms" / "audit.jsonl").read_text()
    assert grant["GrantToken"] not in ledger


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.data


def test_grants_over_the_wire_with_boto3(kms: KmsService) -> None:
    """boto3 -> KmsApi (strict output) -> the service: the grant shapes fit the model."""
    api = KmsApi(kms, strict_output=True)
    client = boto3.client("kms", region_name="us-east-1", endpoint_url="http://kms.test",
                          aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                          config=Config(retries={"total_max_attempts": 1}))

    def send(request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse:
        target = request.headers["X-Amz-Target"]
        body = request.body if isinstance(request.body, bytes) else request.body.encode()
        status, headers, payload = api.handle(
            target.decode() if isinstance(target, bytes) else target, body, ADMIN)
        return AWSResponse(request.url, status, headers, _Body(payload))

    client.meta.events.register("before-send.kms", send)
    key = _admin_only_key(kms)
    created = client.create_grant(KeyId=key["KeyId"], GranteePrincipal=BOB.arn,
                                  RetiringPrincipal=ADMIN.arn, Operations=["Decrypt"],
                                  Constraints={"EncryptionContextEquals": {"a": "b"}},
                                  Name="wire")
    listed = client.list_grants(KeyId=key["Arn"], Limit=10)
    assert [g["GrantId"] for g in listed["Grants"]] == [created["GrantId"]]
    assert listed["Grants"][0]["Constraints"] == {"EncryptionContextEquals": {"a": "b"}}
    retirable = client.list_retirable_grants(RetiringPrincipal=ADMIN.arn)
    assert retirable["Grants"][0]["KeyId"] == key["Arn"]
    client.retire_grant(GrantToken=created["GrantToken"])
    again = client.create_grant(KeyId=key["KeyId"], GranteePrincipal=BOB.arn,
                                Operations=["Encrypt"])
    client.revoke_grant(KeyId=key["KeyId"], GrantId=again["GrantId"])
    assert client.list_grants(KeyId=key["KeyId"])["Grants"] == []
    with pytest.raises(client.exceptions.InvalidGrantTokenException):
        client.retire_grant(GrantToken="x")
