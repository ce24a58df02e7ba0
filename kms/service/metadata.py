"""KeyMetadata as DescribeKey and CreateKey return it (kms-api.md §3.3)."""

from __future__ import annotations

from typing import Any

from kms.store.records import ENABLED, PENDING_DELETION, KeyRecord

ENCRYPTION_ALGORITHMS = {"SYMMETRIC_DEFAULT": ["SYMMETRIC_DEFAULT"]}


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
    }
    if key.key_usage == "ENCRYPT_DECRYPT":
        meta["EncryptionAlgorithms"] = ENCRYPTION_ALGORITHMS.get(key.key_spec, [])
    if key.state == PENDING_DELETION and key.deletion_date is not None:
        meta["DeletionDate"] = key.deletion_date
    if key.origin == "EXTERNAL":
        meta["ExpirationModel"] = key.expiration_model or "KEY_MATERIAL_DOES_NOT_EXPIRE"
        if key.valid_to is not None:
            meta["ValidTo"] = key.valid_to
    if key.current_material_id and key.key_spec == "SYMMETRIC_DEFAULT":
        meta["CurrentKeyMaterialId"] = key.current_material_id
    return meta
