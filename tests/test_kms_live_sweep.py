"""Every KMS operation we implement, once, through boto3 against the live server: the
wire shapes of each request and response, end to end."""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.serialization import load_der_public_key

from tests.conftest import make_client


@pytest.fixture
def kms(server_factory):
    return server_factory().client("kms")  # its own server: the clock moves here


def test_symmetric_key_life(kms) -> None:
    key = kms.create_key(Description="sweep", Tags=[{"TagKey": "a", "TagValue": "b"}])
    key_id = key["KeyMetadata"]["KeyId"]
    assert kms.list_keys(Limit=1)["Keys"]
    kms.update_key_description(KeyId=key_id, Description="sweep 2")
    kms.create_alias(AliasName="alias/sweep", TargetKeyId=key_id)
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.update_alias(AliasName="alias/sweep", TargetKeyId=other)
    kms.update_alias(AliasName="alias/sweep", TargetKeyId=key_id)
    assert any(a["AliasName"] == "alias/sweep"
               for a in kms.list_aliases(KeyId=key_id)["Aliases"])
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "c", "TagValue": "d"}])
    kms.untag_resource(KeyId=key_id, TagKeys=["a"])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "c", "TagValue": "d"}]
    assert kms.list_key_policies(KeyId=key_id)["PolicyNames"] == ["default"]
    policy = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=policy)
    sealed = kms.encrypt(KeyId="alias/sweep", Plaintext=b"p")["CiphertextBlob"]
    moved = kms.re_encrypt(CiphertextBlob=sealed, DestinationKeyId=other)
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == b"p"
    assert "Plaintext" not in kms.generate_data_key_without_plaintext(
        KeyId=key_id, NumberOfBytes=16)
    assert len(kms.generate_random(NumberOfBytes=12)["Plaintext"]) == 12
    pair = kms.generate_data_key_pair(KeyId=key_id, KeyPairSpec="ECC_NIST_P256")
    assert kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"] == \
        pair["PrivateKeyPlaintext"]
    assert "PrivateKeyPlaintext" not in kms.generate_data_key_pair_without_plaintext(
        KeyId=key_id, KeyPairSpec="RSA_2048")
    assert kms.get_key_last_usage(KeyId=key_id)["KeyLastUsage"]["Operation"]


def test_rotation(kms) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    old = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] and status["RotationPeriodInDays"] == 90
    kms.rotate_key_on_demand(KeyId=key_id)
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    kms.disable_key_rotation(KeyId=key_id)
    assert not kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]


def test_imported_key_material(kms) -> None:
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    material = os.urandom(32)
    wrapped = load_der_public_key(params["PublicKey"]).encrypt(
        material, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                               label=None))
    valid_to = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"],
                            EncryptedKeyMaterial=wrapped, ValidTo=valid_to,
                            ExpirationModel="KEY_MATERIAL_EXPIRES")
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    sealed = kms.encrypt(KeyId=key_id, Plaintext=b"imported")["CiphertextBlob"]
    kms.delete_imported_key_material(KeyId=key_id)
    with pytest.raises(kms.exceptions.KMSInvalidStateException):
        kms.decrypt(CiphertextBlob=sealed)


def test_asymmetric_and_hmac(kms) -> None:
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
        "KeyId"]
    public = load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
    signed = kms.sign(KeyId=key_id, Message=b"msg", SigningAlgorithm="ECDSA_SHA_256")
    public.verify(signed["Signature"], b"msg", ec.ECDSA(hashes.SHA256()))
    assert kms.verify(KeyId=key_id, Message=hashlib.sha256(b"msg").digest(),
                      MessageType="DIGEST", Signature=signed["Signature"],
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    with pytest.raises(kms.exceptions.KMSInvalidSignatureException):
        kms.verify(KeyId=key_id, Message=b"other", Signature=signed["Signature"],
                   SigningAlgorithm="ECDSA_SHA_256")
    mac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")[
        "KeyMetadata"]["KeyId"]
    mac = kms.generate_mac(KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert kms.verify_mac(KeyId=mac_key, Message=b"m", Mac=mac,
                          MacAlgorithm="HMAC_SHA_256")["MacValid"]
    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    sealed = kms.encrypt(KeyId=rsa, Plaintext=b"r", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert kms.decrypt(KeyId=rsa, CiphertextBlob=sealed["CiphertextBlob"],
                       EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"] == b"r"


def test_grants_and_deletion(kms, server_factory) -> None:
    key = kms.create_key()["KeyMetadata"]
    grant = kms.create_grant(KeyId=key["KeyId"], Operations=["Encrypt", "Decrypt"],
                             GranteePrincipal="arn:aws:iam::111122223333:user/someone",
                             RetiringPrincipal="arn:aws:iam::111122223333:user/admin")
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"][0]["GrantId"] == grant["GrantId"]
    assert kms.list_retirable_grants(
        RetiringPrincipal="arn:aws:iam::111122223333:user/admin")["Grants"]
    kms.retire_grant(GrantToken=grant["GrantToken"])
    second = kms.create_grant(KeyId=key["KeyId"], Operations=["Decrypt"],
                              GranteePrincipal="arn:aws:iam::111122223333:user/someone")
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=second["GrantId"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    kms.disable_key(KeyId=key["KeyId"])
    kms.enable_key(KeyId=key["KeyId"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=key["KeyId"])


def test_unimplemented_operations_say_so(kms) -> None:
    with pytest.raises(kms.exceptions.UnsupportedOperationException):
        kms.describe_custom_key_stores()


def test_make_client_is_the_same_for_kms(server) -> None:
    assert make_client(server.endpoint, "kms").list_aliases()["Aliases"]
