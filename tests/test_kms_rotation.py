"""Key rotation in-process: automatic and on-demand rotation, the rotation schedule as the
KMS clock moves, ListKeyRotations, and every old ciphertext still decrypting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kms.service.caller import Caller
from kms.service.service import KmsService
from tests.conftest import kms_error

ACCOUNT = "111122223333"
ADMIN = Caller(arn=f"arn:aws:iam::{ACCOUNT}:user/admin", account_id=ACCOUNT,
               user_name="admin")
DAY = 86_400


@pytest.fixture
def kms(tmp_path: Path) -> Iterator[KmsService]:
    service = KmsService(tmp_path)
    yield service
    service.close()


def _key(kms: KmsService, **kwargs: Any) -> dict[str, Any]:
    return kms.create_key(ADMIN, **kwargs)["KeyMetadata"]


def _current(kms: KmsService, key_id: str) -> str:
    return kms.describe_key(ADMIN, key_id=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]


def _rotations(kms: KmsService, key_id: str, **kwargs: Any) -> list[dict[str, Any]]:
    return kms.list_key_rotations(ADMIN, key_id=key_id, **kwargs)["Rotations"]


def test_on_demand_rotation_keeps_every_old_ciphertext(kms: KmsService,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    key = _key(kms)
    first = key["CurrentKeyMaterialId"]
    old = kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"before",
                      encryption_context={"k": "v"})["CiphertextBlob"]
    assert kms.rotate_key_on_demand(ADMIN, key_id=key["Arn"]) == {"KeyId": key["Arn"]}
    second = _current(kms, key["KeyId"])
    assert second != first
    new = kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"after")["CiphertextBlob"]

    # Decrypt reads the material id from the blob: one lookup, no scan of the versions.
    def no_scan(*_: object) -> None:
        raise AssertionError("Decrypt must not list a key's materials")

    monkeypatch.setattr(kms.store, "list_materials", no_scan)
    opened = kms.decrypt(ADMIN, ciphertext_blob=old, encryption_context={"k": "v"})
    assert (opened["Plaintext"], opened["KeyMaterialId"]) == (b"before", first)
    opened = kms.decrypt(ADMIN, ciphertext_blob=new)
    assert (opened["Plaintext"], opened["KeyMaterialId"]) == (b"after", second)
    monkeypatch.undo()

    [rotation] = _rotations(kms, key["KeyId"])
    assert rotation["KeyId"] == key["KeyId"] and rotation["KeyMaterialId"] == second
    assert rotation["RotationType"] == "ON_DEMAND" and rotation["KeyMaterialState"] == "CURRENT"
    assert rotation["RotationDate"] == pytest.approx(kms.clock.now(), abs=60)
    everything = _rotations(kms, key["KeyId"], include_key_material="ALL_KEY_MATERIAL")
    assert [r["KeyMaterialId"] for r in everything] == [first, second]
    assert everything[0]["KeyMaterialState"] == "NON_CURRENT"
    assert "RotationDate" not in everything[0] and "RotationType" not in everything[0]
    assert "ImportState" not in everything[0]


def test_automatic_rotation_follows_the_kms_clock(kms: KmsService) -> None:
    key = _key(kms)
    assert kms.get_key_rotation_status(ADMIN, key_id=key["KeyId"]) == {
        "KeyRotationEnabled": False, "KeyId": key["Arn"]}
    kms.enable_key_rotation(ADMIN, key_id=key["KeyId"], rotation_period_in_days=90)
    status = kms.get_key_rotation_status(ADMIN, key_id=key["KeyId"])
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    start = status["NextRotationDate"] - 90 * DAY
    assert start == pytest.approx(kms.clock.now(), abs=60)
    sealed = [kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"v0")["CiphertextBlob"]]

    kms.advance_clock(89)
    assert _rotations(kms, key["KeyId"]) == []
    kms.advance_clock(2)
    [rotation] = _rotations(kms, key["KeyId"])
    assert rotation["RotationType"] == "AUTOMATIC"
    assert rotation["RotationDate"] == pytest.approx(start + 90 * DAY)
    sealed.append(kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"v1")["CiphertextBlob"])

    # A jump over two more periods makes both rotations, each on its date.
    kms.advance_clock(200)
    dates = [r["RotationDate"] for r in _rotations(kms, key["KeyId"])]
    assert dates == pytest.approx([start + n * 90 * DAY for n in (1, 2, 3)])
    assert kms.get_key_rotation_status(ADMIN, key_id=key["KeyId"])["NextRotationDate"] == \
        pytest.approx(start + 4 * 90 * DAY)
    for n, blob in enumerate(sealed):
        assert kms.decrypt(ADMIN, ciphertext_blob=blob)["Plaintext"] == f"v{n}".encode()

    events = [e for e in kms.audit_trail(limit=50) if e["eventName"] == "RotateKey"]
    assert len(events) == 3
    assert {e["eventType"] for e in events} == {"AwsServiceEvent"}
    assert {e["additionalEventData"]["rotationType"] for e in events} == {"AUTOMATIC"}
    assert events[0]["resources"][0]["ARN"] == key["Arn"]


def test_on_demand_rotation_leaves_the_schedule_alone(kms: KmsService) -> None:
    key = _key(kms)
    kms.enable_key_rotation(ADMIN, key_id=key["KeyId"])
    scheduled = kms.get_key_rotation_status(ADMIN, key_id=key["KeyId"])["NextRotationDate"]
    kms.rotate_key_on_demand(ADMIN, key_id=key["KeyId"])
    status = kms.get_key_rotation_status(ADMIN, key_id=key["KeyId"])
    assert status["RotationPeriodInDays"] == 365 and status["NextRotationDate"] == scheduled


def test_changing_the_period_keeps_the_starting_point(kms: KmsService) -> None:
    key = _key(kms)
    kms.enable_key_rotation(ADMIN, key_id=key["KeyId"], rotation_period_in_days=365)
    start = kms.get_key_rotation_status(ADMIN, key_id=key["KeyId"])["NextRotationDate"] - \
        365 * DAY
    kms.advance_clock(100)
    kms.enable_key_rotation(ADMIN, key_id=key["KeyId"], rotation_period_in_days=180)
    assert kms.get_key_rotation_status(ADMIN, key_id=key["KeyId"])["NextRotationDate"] == \
        pytest.approx(start + 180 * DAY)
    # a period that has already run out: the key rotates straight away
    kms.enable_key_rotation(ADMIN, key_id=key["KeyId"], rotation_period_in_days=90)
    kms.describe_key(ADMIN, key_id=key["KeyId"])
    [rotation] = _rotations(kms, key["KeyId"])
    assert rotation["RotationDate"] == pytest.approx(kms.clock.now(), abs=60)
    kms.disable_key_rotation(ADMIN, key_id=key["KeyId"])
    assert kms.get_key_rotation_status(ADMIN, key_id=key["KeyId"]) == {
        "KeyRotationEnabled": False, "KeyId": key["Arn"]}
    kms.advance_clock(400)
    assert len(_rotations(kms, key["KeyId"])) == 1


def test_a_disabled_key_rotates_when_enabled_again(kms: KmsService) -> None:
    key = _key(kms)
    kms.enable_key_rotation(ADMIN, key_id=key["KeyId"], rotation_period_in_days=90)
    kms.disable_key(ADMIN, key_id=key["KeyId"])
    kms.advance_clock(100)
    assert _rotations(kms, key["KeyId"]) == []
    assert kms.get_key_rotation_status(ADMIN, key_id=key["KeyId"])["KeyRotationEnabled"]
    kms.advance_clock(10)
    kms.enable_key(ADMIN, key_id=key["KeyId"])
    [rotation] = _rotations(kms, key["KeyId"])
    now = kms.clock.now()
    assert rotation["RotationDate"] == pytest.approx(now, abs=60)
    assert kms.get_key_rotation_status(ADMIN, key_id=key["KeyId"])["NextRotationDate"] == \
        pytest.approx(rotation["RotationDate"] + 90 * DAY)


def test_rotation_status_while_pending_deletion(kms: KmsService) -> None:
    key = _key(kms)
    kms.enable_key_rotation(ADMIN, key_id=key["KeyId"])
    kms.schedule_key_deletion(ADMIN, key_id=key["KeyId"], pending_window_in_days=7)
    assert kms.get_key_rotation_status(ADMIN, key_id=key["KeyId"]) == {
        "KeyRotationEnabled": False, "KeyId": key["Arn"]}
    for refused in (kms.enable_key_rotation, kms.disable_key_rotation,
                    kms.rotate_key_on_demand):
        error = kms_error(refused, ADMIN, key_id=key["KeyId"])
        assert error.type_name == "KMSInvalidStateException"
        assert error.message == f"{key['Arn']} is pending deletion."
    kms.cancel_key_deletion(ADMIN, key_id=key["KeyId"])
    assert kms.get_key_rotation_status(ADMIN, key_id=key["KeyId"])["KeyRotationEnabled"]


def test_on_demand_rotations_are_limited_to_25(kms: KmsService) -> None:
    key = _key(kms)
    for _ in range(25):
        kms.rotate_key_on_demand(ADMIN, key_id=key["KeyId"])
    error = kms_error(kms.rotate_key_on_demand, ADMIN, key_id=key["KeyId"])
    assert error.type_name == "LimitExceededException"
    # automatic rotation does not count against the limit
    kms.enable_key_rotation(ADMIN, key_id=key["KeyId"], rotation_period_in_days=90)
    kms.advance_clock(91)
    assert len(_rotations(kms, key["KeyId"], limit=1000)) == 26


def test_list_key_rotations_pages(kms: KmsService) -> None:
    key = _key(kms)
    for _ in range(5):
        kms.rotate_key_on_demand(ADMIN, key_id=key["KeyId"])
    seen: list[str] = []
    marker = None
    while True:
        page = kms.list_key_rotations(ADMIN, key_id=key["KeyId"], limit=2,
                                      **({"marker": marker} if marker else {}))
        seen += [r["KeyMaterialId"] for r in page["Rotations"]]
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
    assert len(seen) == len(set(seen)) == 5 and seen[-1] == _current(kms, key["KeyId"])
    assert kms_error(kms.list_key_rotations, ADMIN, key_id=key["KeyId"],
                  marker="nonsense").type_name == "InvalidMarkerException"
    assert kms_error(kms.list_key_rotations, ADMIN, key_id=key["KeyId"],
                  limit=0).type_name == "ValidationException"


@pytest.mark.parametrize("days", [89, 2561])
def test_rotation_period_range(kms: KmsService, days: int) -> None:
    key = _key(kms)
    error = kms_error(kms.enable_key_rotation, ADMIN, key_id=key["KeyId"],
                   rotation_period_in_days=days)
    assert error.type_name == "ValidationException" and "rotationPeriodInDays" in error.message


def test_what_cannot_rotate(kms: KmsService) -> None:
    key = _key(kms)
    kms.create_alias(ADMIN, alias_name="alias/rot", target_key_id=key["KeyId"])
    assert kms_error(kms.enable_key_rotation, ADMIN, key_id="alias/rot").type_name == \
        "NotFoundException"
    kms.disable_key(ADMIN, key_id=key["KeyId"])
    for refused in (kms.enable_key_rotation, kms.disable_key_rotation,
                    kms.rotate_key_on_demand):
        error = kms_error(refused, ADMIN, key_id=key["KeyId"])
        assert (error.type_name, error.message) == ("DisabledException",
                                                    f"{key['Arn']} is disabled.")
    assert kms.list_key_rotations(ADMIN, key_id=key["KeyId"])["Rotations"] == []

    external = _key(kms, origin="EXTERNAL")
    for refused in (kms.enable_key_rotation, kms.disable_key_rotation,
                    kms.get_key_rotation_status):
        error = kms_error(refused, ADMIN, key_id=external["KeyId"])
        assert error.type_name == "UnsupportedOperationException"
        assert error.message == (f"{external['Arn']} origin is EXTERNAL which is not valid "
                                 "for this operation.")

    kms.generate_data_key(Caller(arn=ADMIN.arn, account_id=ACCOUNT, user_name="admin",
                                 invoked_by="s3.amazonaws.com"),
                          key_id="alias/aws/s3", key_spec="AES_256")
    managed = kms.describe_key(ADMIN, key_id="alias/aws/s3")["KeyMetadata"]
    for refused in (kms.enable_key_rotation, kms.disable_key_rotation,
                    kms.rotate_key_on_demand):
        assert kms_error(refused, ADMIN, key_id=managed["KeyId"]).type_name == \
            "UnsupportedOperationException"


def test_an_aws_managed_key_rotates_every_year(kms: KmsService) -> None:
    via_s3 = Caller(arn=ADMIN.arn, account_id=ACCOUNT, user_name="admin",
                    invoked_by="s3.amazonaws.com")
    data_key = kms.generate_data_key(via_s3, key_id="alias/aws/s3", key_spec="AES_256")
    managed = kms.describe_key(ADMIN, key_id="alias/aws/s3")["KeyMetadata"]
    status = kms.get_key_rotation_status(ADMIN, key_id=managed["KeyId"])
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 365
    kms.advance_clock(366)
    [rotation] = _rotations(kms, managed["KeyId"])
    assert rotation["RotationType"] == "AUTOMATIC"
    assert kms.decrypt(via_s3, ciphertext_blob=data_key["CiphertextBlob"])["Plaintext"] == \
        data_key["Plaintext"]


def test_asymmetric_keys_do_not_rotate(kms: KmsService) -> None:
    key = _key(kms, key_spec="RSA_2048", key_usage="SIGN_VERIFY")
    for refused in (kms.enable_key_rotation, kms.get_key_rotation_status,
                    kms.rotate_key_on_demand, kms.list_key_rotations):
        assert kms_error(refused, ADMIN, key_id=key["KeyId"]).type_name == \
            "UnsupportedOperationException"


def test_on_demand_rotation_is_audited(kms: KmsService) -> None:
    key = _key(kms)
    kms.rotate_key_on_demand(ADMIN, key_id=key["KeyId"])
    current = _current(kms, key["KeyId"])
    records = kms.audit_trail(key=key["KeyId"], limit=10)
    api = next(r for r in records if r["eventName"] == "RotateKeyOnDemand")
    assert api["eventType"] == "AwsApiCall" and api["readOnly"] is False
    assert api["requestParameters"] == {"keyId": key["KeyId"]}
    assert api["additionalEventData"]["keyMaterialId"] == current
    service = next(r for r in records if r["eventName"] == "RotateKey")
    assert service["additionalEventData"] == {"keyMaterialId": current,
                                              "rotationType": "ON_DEMAND"}


def test_rotated_keys_survive_a_restart(tmp_path: Path) -> None:
    first = KmsService(tmp_path)
    key = first.create_key(ADMIN)["KeyMetadata"]
    sealed = first.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"old")["CiphertextBlob"]
    first.enable_key_rotation(ADMIN, key_id=key["KeyId"], rotation_period_in_days=90)
    first.close()
    second = KmsService(tmp_path)
    try:
        second.advance_clock(91)
        assert len(_rotations(second, key["KeyId"])) == 1
        assert second.decrypt(ADMIN, ciphertext_blob=sealed)["Plaintext"] == b"old"
    finally:
        second.close()
