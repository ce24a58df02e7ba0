"""Key types and KeyMetadata: which KeyUsage each KeySpec may have, the algorithms a key
lists (kms-api.md §3.1), and KeyMetadata as DescribeKey and CreateKey return it (§3.3)."""

from __future__ import annotations

from typing import Any

from kms.crypto import asymmetric, hmac_keys
from kms.service.errors import KmsError, validation
from kms.store.records import ENABLED, PENDING_DELETION, KeyRecord

SYMMETRIC = "SYMMETRIC_DEFAULT"
ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
SIGN_VERIFY = "SIGN_VERIFY"
GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"

# Every KeySpec of the model and the KeyUsage values AWS allows with it (CreateKey docs).
_AWS_USAGES: dict[str, frozenset[str]] = {
    SYMMETRIC: frozenset({ENCRYPT_DECRYPT}),
    **{spec: frozenset({GENERATE_VERIFY_MAC}) for spec in hmac_keys.KEY_SPECS},
    **{spec: frozenset({ENCRYPT_DECRYPT, SIGN_VERIFY}) for spec in asymmetric.RSA_BITS},
    **{spec: frozenset({SIGN_VERIFY, "KEY_AGREEMENT"})
       for spec in ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521")},
    "ECC_SECG_P256K1": frozenset({SIGN_VERIFY}),
    "ECC_NIST_EDWARDS25519": frozenset({SIGN_VERIFY}),
    **{spec: frozenset({SIGN_VERIFY}) for spec in ("ML_DSA_44", "ML_DSA_65", "ML_DSA_87")},
    **{spec: frozenset({"ENCAPSULATE_DECAPSULATE"})
       for spec in ("ML_KEM_512", "ML_KEM_768", "ML_KEM_1024")},
    "SM2": frozenset({ENCRYPT_DECRYPT, SIGN_VERIFY, "KEY_AGREEMENT"}),
}
_KEY_USAGES = ("SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT",
               "ENCAPSULATE_DECAPSULATE")


def _implemented(spec: str, usage: str) -> bool:
    """What this KMS can make: symmetric and HMAC keys, RSA for encryption or signing,
    ECDSA signing. (Ed25519, ML-DSA, ML-KEM, SM2 and key agreement are not implemented.)"""
    if spec in asymmetric.RSA_BITS:
        return usage in (ENCRYPT_DECRYPT, SIGN_VERIFY)
    if spec in asymmetric.KEY_SPECS:
        return usage == SIGN_VERIFY
    return spec == SYMMETRIC or spec in hmac_keys.KEY_SPECS


def _enum_error(value: str, member: str, allowed: list[str] | tuple[str, ...]) -> KmsError:
    return validation(f"1 validation error detected: Value '{value}' at '{member}' failed to "
                      f"satisfy constraint: Member must satisfy enum value set: "
                      f"[{', '.join(allowed)}]")


def check_spec_and_usage(spec: str, usage: str | None) -> str:
    """The KeyUsage a new key of `spec` gets (ENCRYPT_DECRYPT when none is given, as AWS
    defaults it). ValidationException for a combination AWS refuses,
    UnsupportedOperationException for one AWS allows but this KMS does not implement."""
    if spec not in _AWS_USAGES:
        raise _enum_error(spec, "keySpec", list(_AWS_USAGES))
    if usage is not None and usage not in _KEY_USAGES:
        raise _enum_error(usage, "keyUsage", _KEY_USAGES)
    allowed = _AWS_USAGES[spec]
    if usage is None and ENCRYPT_DECRYPT not in allowed:
        raise validation("You must specify a KeyUsage value for all KMS keys except for "
                         "symmetric encryption keys.")
    usage = usage or ENCRYPT_DECRYPT
    if usage not in allowed:
        raise validation(f"KeyUsage {usage} is not compatible with KeySpec {spec}.")
    if not _implemented(spec, usage):
        raise KmsError("UnsupportedOperationException",
                       f"KeySpec {spec} with KeyUsage {usage} is not supported by this KMS: "
                       "it makes SYMMETRIC_DEFAULT, RSA_2048/3072/4096 (ENCRYPT_DECRYPT or "
                       "SIGN_VERIFY), ECC_NIST_P256/P384/P521 and ECC_SECG_P256K1 "
                       "(SIGN_VERIFY) and HMAC_224/256/384/512 keys.")
    return usage


def encryption_algorithms(key: KeyRecord) -> list[str]:
    if key.key_usage != ENCRYPT_DECRYPT:
        return []
    if key.key_spec == SYMMETRIC:
        return [SYMMETRIC]
    return asymmetric.encryption_algorithms(key.key_spec)


def signing_algorithms(key: KeyRecord) -> list[str]:
    """In AWS's order, which is alphabetical (RSASSA_PKCS1_V1_5_* before RSASSA_PSS_*)."""
    if key.key_usage != SIGN_VERIFY:
        return []
    return sorted(asymmetric.signing_algorithms(key.key_spec))


def mac_algorithms(key: KeyRecord) -> list[str]:
    if key.key_usage != GENERATE_VERIFY_MAC:
        return []
    return hmac_keys.mac_algorithms(key.key_spec)


def algorithm_lists(key: KeyRecord) -> dict[str, list[str]]:
    """EncryptionAlgorithms, SigningAlgorithms or MacAlgorithms: the one the key's usage
    calls for (DescribeKey and GetPublicKey show it)."""
    lists = {"EncryptionAlgorithms": encryption_algorithms(key),
             "SigningAlgorithms": signing_algorithms(key),
             "MacAlgorithms": mac_algorithms(key)}
    return {name: algorithms for name, algorithms in lists.items() if algorithms}


def key_metadata(key: KeyRecord) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "AWSAccountId": key.account,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": key.created,
        "Enabled": key.state == ENABLED,
        "Description": key.description,
        "KeyUsage": key.key_usage,
        "KeyState": key.state,
        "Origin": key.origin,
        "KeyManager": key.key_manager,
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "MultiRegion": key.multi_region,
        **algorithm_lists(key),
    }
    if key.state == PENDING_DELETION and key.deletion_date is not None:
        meta["DeletionDate"] = key.deletion_date
    if key.origin == "EXTERNAL":
        meta["ExpirationModel"] = key.expiration_model or "KEY_MATERIAL_DOES_NOT_EXPIRE"
        if key.valid_to is not None:
            meta["ValidTo"] = key.valid_to
    # Only symmetric encryption keys name their current material (they alone rotate).
    if key.current_material_id and key.key_spec == SYMMETRIC:
        meta["CurrentKeyMaterialId"] = key.current_material_id
    return meta
