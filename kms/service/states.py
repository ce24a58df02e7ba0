"""Which key states each operation accepts, and AWS's error for the others (kms-api.md
§4.2)."""

from __future__ import annotations

from kms.service.errors import KmsError, invalid_state
from kms.store.records import DISABLED, ENABLED, PENDING_DELETION, PENDING_IMPORT, KeyRecord

# Operations that need the key usable (Enabled): cryptographic calls and grants.
USE = frozenset({"Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey",
                 "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
                 "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify", "GenerateMac",
                 "VerifyMac", "GetPublicKey", "CreateGrant"})
# Operations refused while the key is pending deletion (but fine when disabled).
NOT_WHILE_DELETING = frozenset({"CreateAlias", "DisableKey", "EnableKey",
                                "TagResource", "UntagResource", "UpdateKeyDescription",
                                "ScheduleKeyDeletion", "EnableKeyRotation",
                                "DisableKeyRotation", "RotateKeyOnDemand"})
NOT_WHILE_IMPORTING = frozenset({"DisableKey", "EnableKey"})


def check(operation: str, key: KeyRecord) -> None:
    state = key.state
    if operation in USE:
        if state == DISABLED:
            raise KmsError("DisabledException", f"{key.arn} is disabled.")
        if state == PENDING_DELETION:
            raise invalid_state(f"{key.arn} is pending deletion.")
        if state == PENDING_IMPORT:
            raise invalid_state(f"{key.arn} is pending import.")
        if state != ENABLED:
            raise invalid_state(f"{key.arn} is {state.lower()}.")
        return
    if state == PENDING_DELETION and operation in NOT_WHILE_DELETING:
        raise invalid_state(f"{key.arn} is pending deletion.")
    if state == PENDING_IMPORT and operation in NOT_WHILE_IMPORTING:
        raise invalid_state(f"{key.arn} is pending import.")
