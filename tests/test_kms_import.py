"""Imported key material in-process (Origin EXTERNAL): the test plays the customer, wrapping
its own key material with the PublicKey from GetParametersForImport as the AWS docs say."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from kms.crypto import asymmetric, blob
from kms.service.caller import Caller
from kms.service.service import KmsService
from tests.conftest import kms_error

ACCOUNT = "111122223333"
ADMIN = Caller(arn=f"arn:aws:iam::{ACCOUNT}:user/admin", account_id=ACCOUNT,
               user_name="admin")
DAY = 86_400
FOREVER = "KEY_MATERIAL_DOES_NOT_EXPIRE"
OAEP_256 = "RSAES_OAEP_SHA_256"
AES_WRAP_256 = "RSA_AES_KEY_WRAP_SHA_256"


@pytest.fixture
def kms(tmp_path: Path) -> Iterator[KmsService]:
    service = KmsService(tmp_path)
    yield service
    service.close()


def _oaep(algorithm: str) -> padding.OAEP:
    digest = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


def client_wrap(public_der: bytes, algorithm: str, material: bytes) -> bytes:
    """What the customer does with GetParametersForImport's PublicKey."""
    public = serialization.load_der_public_key(public_der)
    assert isinstance(public, rsa.RSAPublicKey)
    if algorithm.startswith("RSAES_OAEP_"):
        return public.encrypt(material, _oaep(algorithm))
    aes_key = os.urandom(32)
    return public.encrypt(aes_key, _oaep(algorithm)) + aes_key_wrap_with_padding(aes_key,
                                                                                 material)


def _external(kms: KmsService) -> dict[str, Any]:
    return kms.create_key(ADMIN, origin="EXTERNAL")["KeyMetadata"]


def _meta(kms: KmsService, key_id: str) -> dict[str, Any]:
    return kms.describe_key(ADMIN, key_id=key_id)["KeyMetadata"]


def _import(kms: KmsService, key_id: str, material: bytes, algorithm: str = OAEP_256,
            **kwargs: Any) -> dict[str, Any]:
    """GetParametersForImport, wrap, ImportKeyMaterial (never expiring unless told)."""
    params = kms.get_parameters_for_import(ADMIN, key_id=key_id, wrapping_algorithm=algorithm,
                                           wrapping_key_spec="RSA_2048")
    if "valid_to" not in kwargs:
        kwargs.setdefault("expiration_model", FOREVER)
    return kms.import_key_material(
        ADMIN, key_id=key_id, import_token=params["ImportToken"],
        encrypted_key_material=client_wrap(params["PublicKey"], algorithm, material), **kwargs)


@pytest.mark.parametrize("algorithm", [OAEP_256, AES_WRAP_256, "RSAES_OAEP_SHA_1"])
def test_import_round_trip(kms: KmsService, algorithm: str) -> None:
    key = _external(kms)
    assert (key["Origin"], key["KeyState"], key["Enabled"]) == ("EXTERNAL", "PendingImport",
                                                                False)
    assert "CurrentKeyMaterialId" not in key
    pending = kms_error(kms.encrypt, ADMIN, key_id=key["KeyId"], plaintext=b"x")
    assert (pending.type_name, pending.message) == ("KMSInvalidStateException",
                                                    f"{key['Arn']} is pending import.")

    params = kms.get_parameters_for_import(ADMIN, key_id=key["KeyId"],
                                           wrapping_algorithm=algorithm,
                                           wrapping_key_spec="RSA_3072")
    assert params["KeyId"] == key["Arn"]
    assert params["ParametersValidTo"] == pytest.approx(kms.clock.now() + DAY, abs=60)
    public = serialization.load_der_public_key(params["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 3072

    material = os.urandom(32)
    imported = kms.import_key_material(
        ADMIN, key_id=key["KeyId"], import_token=params["ImportToken"],
        encrypted_key_material=client_wrap(params["PublicKey"], algorithm, material),
        expiration_model=FOREVER)
    assert imported["KeyId"] == key["Arn"] and len(imported["KeyMaterialId"]) == 64
    meta = _meta(kms, key["KeyId"])
    assert (meta["KeyState"], meta["Enabled"]) == ("Enabled", True)
    assert meta["CurrentKeyMaterialId"] == imported["KeyMaterialId"]
    assert meta["ExpirationModel"] == FOREVER and "ValidTo" not in meta

    sealed = kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"mine",
                         encryption_context={"a": "b"})["CiphertextBlob"]
    opened = kms.decrypt(ADMIN, ciphertext_blob=sealed, encryption_context={"a": "b"})
    assert opened["Plaintext"] == b"mine"
    assert opened["KeyMaterialId"] == imported["KeyMaterialId"]
    # it really is the customer's material that encrypts
    assert blob.open_blob(material, sealed, {"a": "b"}) == b"mine"


def test_reimport_must_be_the_same_material(kms: KmsService) -> None:
    key = _external(kms)
    material = os.urandom(32)
    first = _import(kms, key["KeyId"], material)
    other = kms_error(_import, kms, key["KeyId"], os.urandom(32))
    assert other.type_name == "IncorrectKeyMaterialException"
    again = _import(kms, key["KeyId"], material, AES_WRAP_256)
    assert again["KeyMaterialId"] == first["KeyMaterialId"]
    # the id is derived from key and material: the same bytes in another key differ
    elsewhere = _import(kms, _external(kms)["KeyId"], material)
    assert elsewhere["KeyMaterialId"] != first["KeyMaterialId"]
    wrong_size = kms_error(_import, kms, _external(kms)["KeyId"], os.urandom(16))
    assert wrong_size.type_name == "IncorrectKeyMaterialException"


def test_delete_and_reimport_brings_old_ciphertexts_back(kms: KmsService) -> None:
    key = _external(kms)
    material = os.urandom(32)
    material_id = _import(kms, key["KeyId"], material)["KeyMaterialId"]
    sealed = kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"kept")["CiphertextBlob"]

    deleted = kms.delete_imported_key_material(ADMIN, key_id=key["Arn"])
    assert deleted == {"KeyId": key["Arn"], "KeyMaterialId": material_id}
    meta = _meta(kms, key["KeyId"])
    assert (meta["KeyState"], meta["Enabled"]) == ("PendingImport", False)
    error = kms_error(kms.decrypt, ADMIN, ciphertext_blob=sealed)
    assert (error.type_name, error.message) == ("KMSInvalidStateException",
                                                f"{key['Arn']} is pending import.")
    [entry] = kms.list_key_rotations(ADMIN, key_id=key["KeyId"],
                                     include_key_material="ALL_KEY_MATERIAL")["Rotations"]
    assert (entry["KeyMaterialId"], entry["ImportState"]) == (material_id, "PENDING_IMPORT")

    assert kms_error(_import, kms, key["KeyId"], os.urandom(32)).type_name == \
        "IncorrectKeyMaterialException"
    _import(kms, key["KeyId"], material, key_material_id=material_id)
    assert _meta(kms, key["KeyId"])["KeyState"] == "Enabled"
    assert kms.decrypt(ADMIN, ciphertext_blob=sealed)["Plaintext"] == b"kept"


def test_material_expires_at_valid_to(kms: KmsService) -> None:
    key = _external(kms)
    material = os.urandom(32)
    valid_to = kms.clock.now() + 10 * DAY
    material_id = _import(kms, key["KeyId"], material, valid_to=valid_to)["KeyMaterialId"]
    meta = _meta(kms, key["KeyId"])
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert meta["ValidTo"] == pytest.approx(valid_to)
    sealed = kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"x")["CiphertextBlob"]
    kms.advance_clock(9)
    assert _meta(kms, key["KeyId"])["KeyState"] == "Enabled"
    kms.advance_clock(2)
    meta = _meta(kms, key["KeyId"])
    assert meta["KeyState"] == "PendingImport" and "ValidTo" not in meta
    assert kms_error(kms.decrypt, ADMIN, ciphertext_blob=sealed).type_name == \
        "KMSInvalidStateException"
    [expired] = [r for r in kms.audit_trail(limit=20)
                 if r["eventName"] == "DeleteExpiredKeyMaterial"]
    assert expired["eventType"] == "AwsServiceEvent"
    assert expired["additionalEventData"] == {"keyMaterialId": material_id}
    assert expired["resources"][0]["ARN"] == key["Arn"]

    _import(kms, key["KeyId"], material)
    assert kms.decrypt(ADMIN, ciphertext_blob=sealed)["Plaintext"] == b"x"


def test_expiration_parameters(kms: KmsService) -> None:
    key = _external(kms)
    params = kms.get_parameters_for_import(ADMIN, key_id=key["KeyId"],
                                           wrapping_algorithm=OAEP_256,
                                           wrapping_key_spec="RSA_2048")
    wrapped = client_wrap(params["PublicKey"], OAEP_256, os.urandom(32))
    now = kms.clock.now()
    for options in ({}, {"valid_to": now - 1}, {"valid_to": now + 366 * DAY},
                    {"valid_to": now + DAY, "expiration_model": FOREVER},
                    {"expiration_model": "SOMETIMES"}):
        error = kms_error(kms.import_key_material, ADMIN, key_id=key["KeyId"],
                       import_token=params["ImportToken"], encrypted_key_material=wrapped,
                       **options)
        assert error.type_name == "ValidationException", options
    assert _meta(kms, key["KeyId"])["KeyState"] == "PendingImport"


def test_import_token_and_wrapping_errors(kms: KmsService) -> None:
    key = _external(kms)
    material = os.urandom(32)
    params = kms.get_parameters_for_import(ADMIN, key_id=key["KeyId"],
                                           wrapping_algorithm=OAEP_256,
                                           wrapping_key_spec="RSA_2048")
    wrapped = client_wrap(params["PublicKey"], OAEP_256, material)

    def attempt(token: bytes = params["ImportToken"], encrypted: bytes = wrapped,
                key_id: str = key["KeyId"]) -> str:
        return kms_error(kms.import_key_material, ADMIN, key_id=key_id, import_token=token,
                      encrypted_key_material=encrypted, expiration_model=FOREVER).type_name

    assert attempt(token=b"garbage") == "InvalidImportTokenException"
    assert attempt(key_id=_external(kms)["KeyId"]) == "InvalidImportTokenException"
    stranger = client_wrap(rsa.generate_private_key(65537, 2048).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        OAEP_256, material)
    assert attempt(encrypted=stranger) == "InvalidCiphertextException"
    # new parameters replace the old ones: the old token no longer works
    newer = kms.get_parameters_for_import(ADMIN, key_id=key["KeyId"],
                                          wrapping_algorithm=OAEP_256,
                                          wrapping_key_spec="RSA_2048")
    assert attempt() == "InvalidImportTokenException"
    kms.advance_clock(2)
    wrapped = client_wrap(newer["PublicKey"], OAEP_256, material)
    assert attempt(token=newer["ImportToken"], encrypted=wrapped) == \
        "ExpiredImportTokenException"
    assert _meta(kms, key["KeyId"])["KeyState"] == "PendingImport"


def test_import_needs_an_external_key(kms: KmsService) -> None:
    key = kms.create_key(ADMIN)["KeyMetadata"]
    for call in (lambda: kms.get_parameters_for_import(
                     ADMIN, key_id=key["KeyId"], wrapping_algorithm=OAEP_256,
                     wrapping_key_spec="RSA_2048"),
                 lambda: kms.delete_imported_key_material(ADMIN, key_id=key["KeyId"])):
        error = kms_error(call)
        assert error.type_name == "UnsupportedOperationException"
        assert error.message == (f"{key['Arn']} origin is AWS_KMS which is not valid for "
                                 "this operation.")
    external = _external(kms)
    assert kms_error(kms.get_parameters_for_import, ADMIN, key_id=external["KeyId"],
                  wrapping_algorithm="RSAES_PKCS1_V1_5",
                  wrapping_key_spec="RSA_2048").type_name == "UnsupportedOperationException"
    # nothing imported yet: deleting has no effect
    assert kms.delete_imported_key_material(ADMIN, key_id=external["KeyId"]) == {
        "KeyId": external["Arn"]}
    kms.schedule_key_deletion(ADMIN, key_id=external["KeyId"], pending_window_in_days=7)
    assert kms_error(kms.get_parameters_for_import, ADMIN, key_id=external["KeyId"],
                  wrapping_algorithm=OAEP_256,
                  wrapping_key_spec="RSA_2048").type_name == "KMSInvalidStateException"
    assert _meta(kms, external["KeyId"])["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(ADMIN, key_id=external["KeyId"])
    assert _meta(kms, external["KeyId"])["KeyState"] == "PendingImport"


def test_deleting_material_of_a_key_pending_deletion(kms: KmsService) -> None:
    key = _external(kms)
    _import(kms, key["KeyId"], os.urandom(32))
    kms.schedule_key_deletion(ADMIN, key_id=key["KeyId"], pending_window_in_days=7)
    kms.delete_imported_key_material(ADMIN, key_id=key["KeyId"])
    assert _meta(kms, key["KeyId"])["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(ADMIN, key_id=key["KeyId"])
    assert _meta(kms, key["KeyId"])["KeyState"] == "PendingImport"


def test_on_demand_rotation_to_new_imported_material(kms: KmsService) -> None:
    key = _external(kms)
    first, second = os.urandom(32), os.urandom(32)
    first_id = _import(kms, key["KeyId"], first)["KeyMaterialId"]
    assert kms_error(kms.rotate_key_on_demand, ADMIN, key_id=key["KeyId"]).type_name == \
        "KMSInvalidStateException"
    assert kms_error(_import, kms, key["KeyId"], second, import_type="NEW_KEY_MATERIAL",
                  key_material_id=first_id).type_name == "ValidationException"
    second_id = _import(kms, key["KeyId"], second, import_type="NEW_KEY_MATERIAL",
                        key_material_description="next year")["KeyMaterialId"]
    assert kms_error(_import, kms, key["KeyId"], os.urandom(32),
                  import_type="NEW_KEY_MATERIAL").type_name == "KMSInvalidStateException"
    listed = kms.list_key_rotations(ADMIN, key_id=key["KeyId"],
                                    include_key_material="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialId"], r["KeyMaterialState"]) for r in listed] == [
        (first_id, "CURRENT"), (second_id, "PENDING_ROTATION")]
    assert listed[1]["KeyMaterialDescription"] == "next year"
    assert listed[1]["ImportState"] == "IMPORTED" and "RotationDate" not in listed[1]
    before = kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"1")["CiphertextBlob"]
    assert blob.open_blob(first, before, None) == b"1"

    kms.rotate_key_on_demand(ADMIN, key_id=key["KeyId"])
    assert _meta(kms, key["KeyId"])["CurrentKeyMaterialId"] == second_id
    after = kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"2")["CiphertextBlob"]
    assert blob.open_blob(second, after, None) == b"2"
    assert kms.decrypt(ADMIN, ciphertext_blob=before)["Plaintext"] == b"1"
    [rotation] = kms.list_key_rotations(ADMIN, key_id=key["KeyId"])["Rotations"]
    assert (rotation["KeyMaterialId"], rotation["RotationType"]) == (second_id, "ON_DEMAND")

    # every material that has been current must be present for the key to be usable
    kms.delete_imported_key_material(ADMIN, key_id=key["KeyId"], key_material_id=first_id)
    assert _meta(kms, key["KeyId"])["KeyState"] == "PendingImport"
    _import(kms, key["KeyId"], first, import_type="EXISTING_KEY_MATERIAL")
    assert _meta(kms, key["KeyId"])["CurrentKeyMaterialId"] == second_id
    assert kms.decrypt(ADMIN, ciphertext_blob=before)["Plaintext"] == b"1"


def test_material_pending_rotation_can_be_replaced(kms: KmsService) -> None:
    key = _external(kms)
    _import(kms, key["KeyId"], os.urandom(32))
    pending_id = _import(kms, key["KeyId"], os.urandom(32),
                         import_type="NEW_KEY_MATERIAL")["KeyMaterialId"]
    kms.delete_imported_key_material(ADMIN, key_id=key["KeyId"], key_material_id=pending_id)
    assert _meta(kms, key["KeyId"])["KeyState"] == "Enabled"
    assert len(kms.list_key_rotations(ADMIN, key_id=key["KeyId"],
                                      include_key_material="ALL_KEY_MATERIAL")["Rotations"]) == 1
    replacement = _import(kms, key["KeyId"], os.urandom(32), import_type="NEW_KEY_MATERIAL")
    assert replacement["KeyMaterialId"] != pending_id


def test_the_audit_trail_never_holds_the_material(kms: KmsService, tmp_path: Path) -> None:
    key = _external(kms)
    material = os.urandom(32)
    params = kms.get_parameters_for_import(ADMIN, key_id=key["KeyId"],
                                           wrapping_algorithm=AES_WRAP_256,
                                           wrapping_key_spec="RSA_2048")
    wrapped = client_wrap(params["PublicKey"], AES_WRAP_256, material)
    material_id = kms.import_key_material(
        ADMIN, key_id=key["KeyId"], import_token=params["ImportToken"],
        encrypted_key_material=wrapped, expiration_model=FOREVER)["KeyMaterialId"]
    kms.delete_imported_key_material(ADMIN, key_id=key["KeyId"])
    records = kms.audit_trail(key=key["KeyId"], limit=10)
    by_name = {r["eventName"]: r for r in records}
    imported = by_name["ImportKeyMaterial"]
    assert imported["requestParameters"] == {"keyId": key["KeyId"], "expirationModel": FOREVER}
    assert imported["additionalEventData"] == {"keyMaterialId": material_id}
    assert imported["readOnly"] is False
    assert by_name["GetParametersForImport"]["requestParameters"] == {
        "keyId": key["KeyId"], "wrappingAlgorithm": AES_WRAP_256,
        "wrappingKeySpec": "RSA_2048"}
    assert by_name["DeleteImportedKeyMaterial"]["additionalEventData"] == {
        "keyMaterialId": material_id}
    ledger = (tmp_path / "kms" / "audit.jsonl").read_bytes()
    for secret in (material, wrapped, params["ImportToken"], params["PublicKey"]):
        assert secret not in ledger
        assert base64.b64encode(secret) not in ledger
    assert material.hex().encode() not in ledger


def test_imported_material_survives_a_restart(tmp_path: Path) -> None:
    first = KmsService(tmp_path)
    key = first.create_key(ADMIN, origin="EXTERNAL")["KeyMetadata"]
    params = first.get_parameters_for_import(ADMIN, key_id=key["KeyId"],
                                             wrapping_algorithm=OAEP_256,
                                             wrapping_key_spec="RSA_2048")
    first.close()
    second = KmsService(tmp_path)
    try:
        second.import_key_material(
            ADMIN, key_id=key["KeyId"], import_token=params["ImportToken"],
            encrypted_key_material=client_wrap(params["PublicKey"], OAEP_256, os.urandom(32)),
            expiration_model=FOREVER)
        sealed = second.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"x")["CiphertextBlob"]
        assert second.decrypt(ADMIN, ciphertext_blob=sealed)["Plaintext"] == b"x"
    finally:
        second.close()


@pytest.mark.parametrize(("spec", "usage", "algorithm"), [
    ("HMAC_256", "GENERATE_VERIFY_MAC", OAEP_256),
    ("RSA_2048", "SIGN_VERIFY", AES_WRAP_256),
])
def test_import_into_hmac_and_asymmetric_keys(kms: KmsService, spec: str, usage: str,
                                              algorithm: str) -> None:
    key = kms.create_key(ADMIN, origin="EXTERNAL", key_spec=spec,
                         key_usage=usage)["KeyMetadata"]
    material = os.urandom(32) if spec == "HMAC_256" else asymmetric.generate(spec)
    assert _import(kms, key["KeyId"], material, algorithm) == {"KeyId": key["Arn"]}
    assert _meta(kms, key["KeyId"])["KeyState"] == "Enabled"
    if spec == "HMAC_256":
        mac = kms.generate_mac(ADMIN, key_id=key["KeyId"], message=b"m",
                               mac_algorithm="HMAC_SHA_256")["Mac"]
        assert mac == hmac.new(material, b"m", hashlib.sha256).digest()
    else:
        assert kms.get_public_key(ADMIN, key_id=key["KeyId"])["PublicKey"] == \
            asymmetric.public_der(material)
    # their material never changes after the first import
    other = os.urandom(32) if spec == "HMAC_256" else asymmetric.generate(spec)
    assert kms_error(_import, kms, key["KeyId"], other, algorithm).type_name == \
        "IncorrectKeyMaterialException"
    assert kms_error(_import, kms, key["KeyId"], material, algorithm,
                  import_type="NEW_KEY_MATERIAL").type_name == "ValidationException"
