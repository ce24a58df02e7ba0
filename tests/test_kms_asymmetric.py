"""Asymmetric and HMAC KMS keys in-process: key specs, GetPublicKey, Sign/Verify, RSA
Encrypt/Decrypt, GenerateDataKeyPair, GenerateMac/VerifyMac. What KMS signs or encrypts is
checked with `cryptography` against the public key GetPublicKey hands out."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from kms.api import KmsApi
from kms.service.caller import Caller
from kms.service.service import KmsService
from kms.store.paths import KmsPaths
from tests.conftest import kms_error

ACCOUNT = "111122223333"
ADMIN = Caller(arn=f"arn:aws:iam::{ACCOUNT}:user/admin", account_id=ACCOUNT,
               user_name="admin", request_id="req-admin")

RSA_SIGNING = ["RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384",
               "RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384",
               "RSASSA_PSS_SHA_512"]
RSA_ENCRYPTION = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
ECDSA = {"ECC_NIST_P256": "ECDSA_SHA_256", "ECC_NIST_P384": "ECDSA_SHA_384",
         "ECC_NIST_P521": "ECDSA_SHA_512", "ECC_SECG_P256K1": "ECDSA_SHA_256"}
HMACS = {"HMAC_224": "HMAC_SHA_224", "HMAC_256": "HMAC_SHA_256", "HMAC_384": "HMAC_SHA_384",
         "HMAC_512": "HMAC_SHA_512"}
# (KeySpec, KeyUsage) -> the algorithm list DescribeKey and GetPublicKey show.
EXPECTED_LISTS: dict[tuple[str, str], dict[str, list[str]]] = {
    **{(spec, "ENCRYPT_DECRYPT"): {"EncryptionAlgorithms": RSA_ENCRYPTION}
       for spec in ("RSA_2048", "RSA_3072", "RSA_4096")},
    **{(spec, "SIGN_VERIFY"): {"SigningAlgorithms": RSA_SIGNING}
       for spec in ("RSA_2048", "RSA_3072", "RSA_4096")},
    **{(spec, "SIGN_VERIFY"): {"SigningAlgorithms": [algorithm]}
       for spec, algorithm in ECDSA.items()},
    **{(spec, "GENERATE_VERIFY_MAC"): {"MacAlgorithms": [algorithm]}
       for spec, algorithm in HMACS.items()},
}
HASHES = {"SHA_1": hashes.SHA1, "SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384,
          "SHA_512": hashes.SHA512}


def _hash(algorithm: str) -> hashes.HashAlgorithm:
    return next(cls() for suffix, cls in HASHES.items() if algorithm.endswith("_" + suffix))


def _digest(algorithm: str, message: bytes) -> bytes:
    digest = hashes.Hash(_hash(algorithm))
    digest.update(message)
    return digest.finalize()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kms-asymmetric")


@pytest.fixture(scope="module")
def kms(data_dir: Path) -> Iterator[KmsService]:
    service = KmsService(data_dir)
    yield service
    service.close()


@pytest.fixture(scope="module")
def keys(kms: KmsService) -> dict[tuple[str, str], dict[str, Any]]:
    """One key of every (spec, usage) this KMS makes, shared by the module's tests."""
    return {(spec, usage): kms.create_key(ADMIN, key_spec=spec, key_usage=usage)["KeyMetadata"]
            for spec, usage in EXPECTED_LISTS}


@pytest.fixture(scope="module")
def symmetric(kms: KmsService) -> dict[str, Any]:
    return kms.create_key(ADMIN)["KeyMetadata"]


# -- key specs -----------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "usage"), list(EXPECTED_LISTS))
def test_each_spec_creates_and_describes_as_aws_does(
        kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]], spec: str,
        usage: str) -> None:
    created = keys[spec, usage]
    described = kms.describe_key(ADMIN, key_id=created["KeyId"])["KeyMetadata"]
    assert described == created
    assert described["KeySpec"] == described["CustomerMasterKeySpec"] == spec
    assert described["KeyUsage"] == usage
    assert described["KeyState"] == "Enabled" and described["Enabled"] is True
    lists = {name: described[name] for name in
             ("EncryptionAlgorithms", "SigningAlgorithms", "MacAlgorithms") if name in described}
    assert lists == EXPECTED_LISTS[spec, usage]
    # only symmetric encryption keys show their current material
    assert "CurrentKeyMaterialId" not in described


def test_key_usage_defaults_and_incompatible_combinations(kms: KmsService) -> None:
    rsa_default = kms.create_key(ADMIN, key_spec="RSA_2048")["KeyMetadata"]
    assert rsa_default["KeyUsage"] == "ENCRYPT_DECRYPT"
    legacy = kms.create_key(ADMIN, customer_master_key_spec="ECC_NIST_P256",
                            key_usage="SIGN_VERIFY")["KeyMetadata"]
    assert legacy["KeySpec"] == "ECC_NIST_P256"
    for spec in ("ECC_NIST_P256", "HMAC_256"):
        missing = kms_error(kms.create_key, ADMIN, key_spec=spec)
        assert missing.type_name == "ValidationException"
        assert "must specify a KeyUsage" in missing.message
    for spec, usage in (("ECC_NIST_P384", "ENCRYPT_DECRYPT"), ("RSA_2048", "GENERATE_VERIFY_MAC"),
                        ("HMAC_512", "SIGN_VERIFY"), ("SYMMETRIC_DEFAULT", "SIGN_VERIFY")):
        wrong = kms_error(kms.create_key, ADMIN, key_spec=spec, key_usage=usage)
        assert (wrong.type_name, wrong.message) == (
            "ValidationException", f"KeyUsage {usage} is not compatible with KeySpec {spec}.")
    assert kms_error(kms.create_key, ADMIN, key_spec="RSA_1024",
                  key_usage="SIGN_VERIFY").type_name == "ValidationException"
    for spec, usage in (("ECC_NIST_P256", "KEY_AGREEMENT"),
                        ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY"), ("ML_DSA_44", "SIGN_VERIFY"),
                        ("SM2", "SIGN_VERIFY"), ("ML_KEM_768", "ENCAPSULATE_DECAPSULATE")):
        unsupported = kms_error(kms.create_key, ADMIN, key_spec=spec, key_usage=usage)
        assert unsupported.type_name == "UnsupportedOperationException"
        assert spec in unsupported.message


# -- GetPublicKey, Sign, Verify ------------------------------------------------------------


def _verify_locally(public_der: bytes, algorithm: str, message: bytes, signature: bytes) -> None:
    """Raises InvalidSignature unless `signature` is AWS's signature of the RAW `message`."""
    public = serialization.load_der_public_key(public_der)
    digest = _hash(algorithm)
    if isinstance(public, rsa.RSAPublicKey):
        scheme = (padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
                  if "_PSS_" in algorithm else padding.PKCS1v15())
        public.verify(signature, message, scheme, digest)
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, message, ec.ECDSA(digest))


SIGNING_CASES = [("RSA_2048", algorithm) for algorithm in RSA_SIGNING] + [
    ("RSA_3072", "RSASSA_PSS_SHA_384"), ("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512"),
    *ECDSA.items()]


@pytest.mark.parametrize(("spec", "algorithm"), SIGNING_CASES)
@pytest.mark.parametrize("message_type", ["RAW", "DIGEST"])
def test_signatures_verify_with_the_public_key(
        kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]], spec: str,
        algorithm: str, message_type: str) -> None:
    key = keys[spec, "SIGN_VERIFY"]
    message = b"the message that was signed"
    sent = message if message_type == "RAW" else _digest(algorithm, message)
    signed = kms.sign(ADMIN, key_id=key["KeyId"], message=sent, message_type=message_type,
                      signing_algorithm=algorithm)
    assert signed["KeyId"] == key["Arn"] and signed["SigningAlgorithm"] == algorithm
    public = kms.get_public_key(ADMIN, key_id=key["Arn"])
    _verify_locally(public["PublicKey"], algorithm, message, signed["Signature"])
    # KMS agrees, whichever form of the message it is shown: a digest is the same message
    for shown, kind in ((message, "RAW"), (_digest(algorithm, message), "DIGEST")):
        verified = kms.verify(ADMIN, key_id=key["KeyId"], message=shown, message_type=kind,
                              signature=signed["Signature"], signing_algorithm=algorithm)
        assert verified == {"KeyId": key["Arn"], "SignatureValid": True,
                            "SigningAlgorithm": algorithm}


@pytest.mark.parametrize(("spec", "usage"), [pair for pair in EXPECTED_LISTS
                                             if pair[1] != "GENERATE_VERIFY_MAC"])
def test_get_public_key_describes_the_key(
        kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]], spec: str,
        usage: str) -> None:
    key = keys[spec, usage]
    public = kms.get_public_key(ADMIN, key_id=key["KeyId"])
    assert public == {"KeyId": key["Arn"], "PublicKey": public["PublicKey"],
                      "CustomerMasterKeySpec": spec, "KeySpec": spec, "KeyUsage": usage,
                      **EXPECTED_LISTS[spec, usage]}
    loaded = serialization.load_der_public_key(public["PublicKey"])
    if spec.startswith("RSA_"):
        assert isinstance(loaded, rsa.RSAPublicKey)
        assert loaded.key_size == int(spec.removeprefix("RSA_"))
    else:
        assert isinstance(loaded, ec.EllipticCurvePublicKey)


def test_get_public_key_is_only_for_asymmetric_keys(
        kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]],
        symmetric: dict[str, Any]) -> None:
    for key in (symmetric, keys["HMAC_256", "GENERATE_VERIFY_MAC"]):
        error = kms_error(kms.get_public_key, ADMIN, key_id=key["KeyId"])
        assert error.type_name == "UnsupportedOperationException"


def test_signing_errors(kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]],
                        symmetric: dict[str, Any]) -> None:
    p256 = keys["ECC_NIST_P256", "SIGN_VERIFY"]
    rsa_encrypt = keys["RSA_2048", "ENCRYPT_DECRYPT"]
    for key in (rsa_encrypt, symmetric, keys["HMAC_256", "GENERATE_VERIFY_MAC"]):
        wrong_usage = kms_error(kms.sign, ADMIN, key_id=key["KeyId"], message=b"m",
                             signing_algorithm="RSASSA_PSS_SHA_256")
        assert (wrong_usage.type_name, wrong_usage.message) == (
            "InvalidKeyUsageException",
            f"{key['Arn']} key usage is {key['KeyUsage']} which is not valid for Sign.")
    for algorithm in ("ECDSA_SHA_384", "RSASSA_PSS_SHA_256"):
        wrong_algorithm = kms_error(kms.sign, ADMIN, key_id=p256["KeyId"], message=b"m",
                                 signing_algorithm=algorithm)
        assert (wrong_algorithm.type_name, wrong_algorithm.message) == (
            "InvalidKeyUsageException",
            f"Algorithm {algorithm} is incompatible with key spec ECC_NIST_P256.")
    short = kms_error(kms.sign, ADMIN, key_id=p256["KeyId"], message=b"x" * 31,
                   message_type="DIGEST", signing_algorithm="ECDSA_SHA_256")
    assert (short.type_name, short.message) == (
        "ValidationException", "Digest is invalid length for algorithm ECDSA_SHA_256.")
    wrong_size = kms_error(kms.verify, ADMIN, key_id=keys["RSA_2048", "SIGN_VERIFY"]["KeyId"],
                        message=b"x" * 32, message_type="DIGEST", signature=b"s",
                        signing_algorithm="RSASSA_PSS_SHA_512")
    assert wrong_size.type_name == "ValidationException"
    assert kms_error(kms.sign, ADMIN, key_id=p256["KeyId"], message=b"x" * 64,
                  message_type="EXTERNAL_MU",
                  signing_algorithm="ECDSA_SHA_256").type_name == "ValidationException"
    for message in (b"", b"x" * 4097):
        assert kms_error(kms.sign, ADMIN, key_id=p256["KeyId"], message=message,
                      signing_algorithm="ECDSA_SHA_256").type_name == "ValidationException"


def test_a_bad_signature_is_an_error_not_false(
        kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]]) -> None:
    key = keys["ECC_NIST_P384", "SIGN_VERIFY"]
    other = keys["RSA_2048", "SIGN_VERIFY"]
    good = kms.sign(ADMIN, key_id=key["KeyId"], message=b"pay 10",
                    signing_algorithm="ECDSA_SHA_384")["Signature"]
    foreign = kms.sign(ADMIN, key_id=other["KeyId"], message=b"pay 10",
                       signing_algorithm="RSASSA_PSS_SHA_384")["Signature"]
    for message, signature in ((b"pay 1000", good), (b"pay 10", foreign),
                               (b"pay 10", b"\x30\x02garbage")):
        error = kms_error(kms.verify, ADMIN, key_id=key["KeyId"], message=message,
                       signature=signature, signing_algorithm="ECDSA_SHA_384")
        assert error.type_name == "KMSInvalidSignatureException"


def test_a_disabled_signing_key_cannot_sign(kms: KmsService) -> None:
    key = kms.create_key(ADMIN, key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY")["KeyMetadata"]
    kms.disable_key(ADMIN, key_id=key["KeyId"])
    for call in (kms.sign, kms.get_public_key):
        arguments = {"message": b"m", "signing_algorithm": "ECDSA_SHA_256"} \
            if call == kms.sign else {}
        error = kms_error(call, ADMIN, key_id=key["KeyId"], **arguments)
        assert (error.type_name, error.message) == ("DisabledException",
                                                     f"{key['Arn']} is disabled.")


# -- RSA Encrypt / Decrypt -----------------------------------------------------------------


def _oaep(algorithm: str) -> padding.OAEP:
    digest = _hash(algorithm)
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


@pytest.mark.parametrize("algorithm", RSA_ENCRYPTION)
def test_rsa_ciphertext_made_outside_kms_decrypts_inside(
        kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]], algorithm: str) -> None:
    key = keys["RSA_3072", "ENCRYPT_DECRYPT"]
    public = serialization.load_der_public_key(
        kms.get_public_key(ADMIN, key_id=key["KeyId"])["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    ciphertext = public.encrypt(b"sealed outside", _oaep(algorithm))
    opened = kms.decrypt(ADMIN, ciphertext_blob=ciphertext, key_id=key["KeyId"],
                         encryption_algorithm=algorithm)
    assert opened == {"KeyId": key["Arn"], "Plaintext": b"sealed outside",
                      "EncryptionAlgorithm": algorithm}


@pytest.mark.parametrize("algorithm", RSA_ENCRYPTION)
def test_kms_rsa_ciphertext_is_plain_oaep(
        kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]], algorithm: str) -> None:
    key = keys["RSA_2048", "ENCRYPT_DECRYPT"]
    sealed = kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"sealed inside",
                         encryption_algorithm=algorithm)
    assert sealed["EncryptionAlgorithm"] == algorithm and sealed["KeyId"] == key["Arn"]
    assert len(sealed["CiphertextBlob"]) == 256  # the modulus size: raw OAEP, no header
    # the private key never leaves KMS; reach in to prove the format is standard OAEP
    record = kms.store.get_key(key["KeyId"])
    assert record is not None
    private = serialization.load_der_private_key(kms._current_material(record), None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.decrypt(sealed["CiphertextBlob"], _oaep(algorithm)) == b"sealed inside"
    assert kms.decrypt(ADMIN, ciphertext_blob=sealed["CiphertextBlob"], key_id=key["Arn"],
                       encryption_algorithm=algorithm)["Plaintext"] == b"sealed inside"


@pytest.mark.parametrize(("spec", "algorithm", "limit"), [
    ("RSA_2048", "RSAES_OAEP_SHA_1", 214), ("RSA_2048", "RSAES_OAEP_SHA_256", 190),
    ("RSA_3072", "RSAES_OAEP_SHA_1", 342), ("RSA_3072", "RSAES_OAEP_SHA_256", 318),
    ("RSA_4096", "RSAES_OAEP_SHA_1", 470), ("RSA_4096", "RSAES_OAEP_SHA_256", 446)])
def test_rsa_plaintext_limits(kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]],
                              spec: str, algorithm: str, limit: int) -> None:
    key_id = keys[spec, "ENCRYPT_DECRYPT"]["KeyId"]
    kms.encrypt(ADMIN, key_id=key_id, plaintext=b"x" * limit, encryption_algorithm=algorithm)
    error = kms_error(kms.encrypt, ADMIN, key_id=key_id, plaintext=b"x" * (limit + 1),
                   encryption_algorithm=algorithm)
    assert (error.type_name, error.message) == (
        "ValidationException",
        f"Algorithm {algorithm} and key spec {spec} cannot encrypt data larger than {limit} "
        "bytes.")


def test_rsa_encryption_errors(kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]],
                               symmetric: dict[str, Any]) -> None:
    key = keys["RSA_2048", "ENCRYPT_DECRYPT"]
    other = keys["RSA_3072", "ENCRYPT_DECRYPT"]
    sealed = kms.encrypt(ADMIN, key_id=key["KeyId"], plaintext=b"p",
                         encryption_algorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    no_algorithm = kms_error(kms.encrypt, ADMIN, key_id=key["KeyId"], plaintext=b"p")
    assert (no_algorithm.type_name, no_algorithm.message) == (
        "InvalidKeyUsageException",
        "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.")
    on_symmetric = kms_error(kms.encrypt, ADMIN, key_id=symmetric["KeyId"], plaintext=b"p",
                          encryption_algorithm="RSAES_OAEP_SHA_1")
    assert on_symmetric.message == \
        "Algorithm RSAES_OAEP_SHA_1 is incompatible with key spec SYMMETRIC_DEFAULT."
    signing = keys["RSA_2048", "SIGN_VERIFY"]
    assert kms_error(kms.encrypt, ADMIN, key_id=signing["KeyId"], plaintext=b"p",
                  encryption_algorithm="RSAES_OAEP_SHA_1").message == \
        f"{signing['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt."
    for call, arguments in (
            (kms.encrypt, {"plaintext": b"p"}),
            (kms.decrypt, {"ciphertext_blob": sealed})):
        with_context = kms_error(call, ADMIN, key_id=key["KeyId"], **arguments,
                              encryption_algorithm="RSAES_OAEP_SHA_256",
                              encryption_context={"purpose": "test"})
        assert with_context.type_name == "ValidationException"
    # RSA ciphertext names no key: Decrypt needs the KeyId and the algorithm
    for arguments in ({}, {"encryption_algorithm": "RSAES_OAEP_SHA_256"},
                      {"key_id": key["KeyId"]},
                      {"key_id": key["KeyId"], "encryption_algorithm": "RSAES_OAEP_SHA_1"},
                      {"key_id": other["KeyId"], "encryption_algorithm": "RSAES_OAEP_SHA_256"}):
        error = kms_error(kms.decrypt, ADMIN, ciphertext_blob=sealed, **arguments)
        assert error.type_name == "InvalidCiphertextException", arguments
    for data_key_call in (kms.generate_data_key, kms.generate_data_key_pair):
        size = {"key_spec": "AES_256"} if data_key_call == kms.generate_data_key \
            else {"key_pair_spec": "ECC_NIST_P256"}
        refused = kms_error(data_key_call, ADMIN, key_id=key["KeyId"], **size)
        assert refused.type_name == "InvalidKeyUsageException"


def test_re_encrypt_between_rsa_and_symmetric_keys(
        kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]],
        symmetric: dict[str, Any]) -> None:
    key = keys["RSA_4096", "ENCRYPT_DECRYPT"]
    to_rsa = kms.re_encrypt(
        ADMIN, ciphertext_blob=kms.encrypt(ADMIN, key_id=symmetric["KeyId"],
                                           plaintext=b"moving")["CiphertextBlob"],
        destination_key_id=key["KeyId"], destination_encryption_algorithm="RSAES_OAEP_SHA_1")
    assert to_rsa["SourceKeyMaterialId"] == symmetric["CurrentKeyMaterialId"]
    assert "DestinationKeyMaterialId" not in to_rsa
    assert to_rsa["DestinationEncryptionAlgorithm"] == "RSAES_OAEP_SHA_1"
    back = kms.re_encrypt(ADMIN, ciphertext_blob=to_rsa["CiphertextBlob"],
                          source_key_id=key["Arn"],
                          source_encryption_algorithm="RSAES_OAEP_SHA_1",
                          destination_key_id=symmetric["KeyId"],
                          destination_encryption_context={"step": "2"})
    assert back["SourceKeyId"] == key["Arn"] and "SourceKeyMaterialId" not in back
    assert back["SourceEncryptionAlgorithm"] == "RSAES_OAEP_SHA_1"
    assert kms.decrypt(ADMIN, ciphertext_blob=back["CiphertextBlob"],
                       encryption_context={"step": "2"})["Plaintext"] == b"moving"


# -- data key pairs ------------------------------------------------------------------------


def _spki(private: Any) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize("pair_spec", ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256",
                                       "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
                                       "ECC_NIST_EDWARDS25519"])
def test_data_key_pairs_decrypt_with_plain_decrypt(
        kms: KmsService, symmetric: dict[str, Any], pair_spec: str) -> None:
    context = {"owner": "billing"}
    pair = kms.generate_data_key_pair(ADMIN, key_id=symmetric["KeyId"],
                                      key_pair_spec=pair_spec, encryption_context=context)
    assert pair["KeyId"] == symmetric["Arn"] and pair["KeyPairSpec"] == pair_spec
    assert pair["KeyMaterialId"] == symmetric["CurrentKeyMaterialId"]
    private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], None)
    assert _spki(private) == pair["PublicKey"]
    opened = kms.decrypt(ADMIN, ciphertext_blob=pair["PrivateKeyCiphertextBlob"],
                         encryption_context=context)
    assert opened["Plaintext"] == pair["PrivateKeyPlaintext"]


def test_data_key_pair_without_plaintext(kms: KmsService, symmetric: dict[str, Any]) -> None:
    pair = kms.generate_data_key_pair_without_plaintext(ADMIN, key_id=symmetric["Arn"],
                                                        key_pair_spec="ECC_NIST_P384")
    assert "PrivateKeyPlaintext" not in pair
    private_der = kms.decrypt(ADMIN, ciphertext_blob=pair["PrivateKeyCiphertextBlob"])[
        "Plaintext"]
    assert _spki(serialization.load_der_private_key(private_der, None)) == pair["PublicKey"]
    wrong_context = kms_error(kms.decrypt, ADMIN, ciphertext_blob=pair["PrivateKeyCiphertextBlob"],
                           encryption_context={"other": "context"})
    assert wrong_context.type_name == "InvalidCiphertextException"
    for spec in ("SM2", "ML_KEM_512"):
        assert kms_error(kms.generate_data_key_pair, ADMIN, key_id=symmetric["KeyId"],
                      key_pair_spec=spec).type_name == "UnsupportedOperationException"


# -- HMAC ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "algorithm"), list(HMACS.items()))
def test_hmac_round_trip(kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]],
                         spec: str, algorithm: str) -> None:
    key = keys[spec, "GENERATE_VERIFY_MAC"]
    made = kms.generate_mac(ADMIN, key_id=key["KeyId"], message=b"amount=10",
                            mac_algorithm=algorithm)
    assert made["KeyId"] == key["Arn"] and made["MacAlgorithm"] == algorithm
    record = kms.store.get_key(key["KeyId"])
    assert record is not None
    name = "sha" + algorithm.removeprefix("HMAC_SHA_")
    assert made["Mac"] == hmac.new(kms._current_material(record), b"amount=10", name).digest()
    assert kms.verify_mac(ADMIN, key_id=key["KeyId"], message=b"amount=10", mac=made["Mac"],
                          mac_algorithm=algorithm) == {
        "KeyId": key["Arn"], "MacValid": True, "MacAlgorithm": algorithm}
    tampered_tag = bytes([made["Mac"][0] ^ 1]) + made["Mac"][1:]
    for message, tag in ((b"amount=1000", made["Mac"]), (b"amount=10", tampered_tag)):
        error = kms_error(kms.verify_mac, ADMIN, key_id=key["KeyId"], message=message, mac=tag,
                       mac_algorithm=algorithm)
        assert error.type_name == "KMSInvalidMacException"


def test_hmac_errors(kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]],
                     symmetric: dict[str, Any]) -> None:
    key = keys["HMAC_384", "GENERATE_VERIFY_MAC"]
    wrong_algorithm = kms_error(kms.generate_mac, ADMIN, key_id=key["KeyId"], message=b"m",
                             mac_algorithm="HMAC_SHA_256")
    assert (wrong_algorithm.type_name, wrong_algorithm.message) == (
        "InvalidKeyUsageException", "Algorithm HMAC_SHA_256 is incompatible with key spec "
        "HMAC_384.")
    wrong_usage = kms_error(kms.generate_mac, ADMIN, key_id=symmetric["KeyId"], message=b"m",
                         mac_algorithm="HMAC_SHA_256")
    assert wrong_usage.type_name == "InvalidKeyUsageException"
    assert kms_error(kms.encrypt, ADMIN, key_id=key["KeyId"],
                  plaintext=b"m").type_name == "InvalidKeyUsageException"
    assert kms_error(kms.generate_mac, ADMIN, key_id=key["KeyId"], message=b"",
                  mac_algorithm="HMAC_SHA_384").type_name == "ValidationException"


# -- through the wire, and the audit trail -------------------------------------------------


class _Body:
    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._payload


def test_boto3_drives_the_asymmetric_operations(
        kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]],
        symmetric: dict[str, Any]) -> None:
    api = KmsApi(kms, strict_output=True)

    def send(request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse:
        target = request.headers["X-Amz-Target"]
        body = request.body if isinstance(request.body, bytes) else request.body.encode()
        status, headers, payload = api.handle(
            target.decode() if isinstance(target, bytes) else target, body, ADMIN)
        return AWSResponse(request.url, status, headers, _Body(payload))

    client = boto3.client("kms", region_name="us-east-1", endpoint_url="http://kms.test",
                          aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                          config=Config(retries={"total_max_attempts": 1}))
    client.meta.events.register("before-send.kms", send)
    signer = keys["ECC_NIST_P521", "SIGN_VERIFY"]["KeyId"]
    signature = client.sign(KeyId=signer, Message=b"hello", MessageType="RAW",
                            SigningAlgorithm="ECDSA_SHA_512")["Signature"]
    public = client.get_public_key(KeyId=signer)
    assert public["SigningAlgorithms"] == ["ECDSA_SHA_512"]
    _verify_locally(public["PublicKey"], "ECDSA_SHA_512", b"hello", signature)
    with pytest.raises(ClientError) as caught:
        client.verify(KeyId=signer, Message=b"bye", Signature=signature,
                      SigningAlgorithm="ECDSA_SHA_512")
    assert caught.value.response["Error"]["Code"] == "KMSInvalidSignatureException"
    mac_key = keys["HMAC_256", "GENERATE_VERIFY_MAC"]["KeyId"]
    tag = client.generate_mac(KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert client.verify_mac(KeyId=mac_key, Message=b"m", Mac=tag,
                             MacAlgorithm="HMAC_SHA_256")["MacValid"] is True
    pair = client.generate_data_key_pair_without_plaintext(KeyId=symmetric["KeyId"],
                                                           KeyPairSpec="RSA_2048")
    assert client.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"]


def test_the_audit_ledger_keeps_no_secrets(
        kms: KmsService, keys: dict[tuple[str, str], dict[str, Any]],
        symmetric: dict[str, Any], data_dir: Path) -> None:
    message = b"a message only the signer should know"
    signer = keys["RSA_2048", "SIGN_VERIFY"]
    kms.sign(ADMIN, key_id=signer["KeyId"], message=message,
             signing_algorithm="RSASSA_PSS_SHA_256")
    pair = kms.generate_data_key_pair(ADMIN, key_id=symmetric["KeyId"],
                                      key_pair_spec="ECC_NIST_P256")
    mac_key = keys["HMAC_512", "GENERATE_VERIFY_MAC"]
    kms.generate_mac(ADMIN, key_id=mac_key["KeyId"], message=message,
                     mac_algorithm="HMAC_SHA_512")
    secrets = [message, pair["PrivateKeyPlaintext"], pair["PrivateKeyCiphertextBlob"]]
    for key in (signer, mac_key):
        record = kms.store.get_key(key["KeyId"])
        assert record is not None
        secrets.append(kms._current_material(record))
    trail = kms.audit_trail(limit=3)
    assert [record["eventName"] for record in trail] == [
        "GenerateMac", "GenerateDataKeyPair", "Sign"]
    assert trail[2]["requestParameters"] == {"keyId": signer["KeyId"], "messageType": "RAW",
                                             "signingAlgorithm": "RSASSA_PSS_SHA_256"}
    ledger = KmsPaths.of(data_dir).audit.read_bytes()
    for secret in secrets:
        for form in (secret, base64.b64encode(secret), secret.hex().encode()):
            assert form not in ledger
