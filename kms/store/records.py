"""The records the KMS keeps: plain data. Key material appears only wrapped by the root
key; the store never sees plaintext material.

`extra` on keys and materials is a JSON object the service may use for anything the
columns do not cover (it is stored and returned untouched)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Key states (kms-api.md §4).
ENABLED = "Enabled"
DISABLED = "Disabled"
PENDING_DELETION = "PendingDeletion"
PENDING_IMPORT = "PendingImport"
UNAVAILABLE = "Unavailable"


def key_arn(region: str, account: str, key_id: str, partition: str = "aws") -> str:
    return f"arn:{partition}:kms:{region}:{account}:key/{key_id}"


def alias_arn(region: str, account: str, alias_name: str, partition: str = "aws") -> str:
    """`alias_name` includes the `alias/` prefix."""
    return f"arn:{partition}:kms:{region}:{account}:{alias_name}"


@dataclass
class KeyRecord:
    key_id: str
    arn: str
    account: str
    region: str
    description: str = ""
    key_spec: str = "SYMMETRIC_DEFAULT"
    key_usage: str = "ENCRYPT_DECRYPT"
    origin: str = "AWS_KMS"  # AWS_KMS | EXTERNAL
    key_manager: str = "CUSTOMER"  # AWS | CUSTOMER
    state: str = ENABLED
    created: float = 0.0
    deletion_date: float | None = None
    pending_window_days: int | None = None
    policy: str = ""  # the key policy, JSON text
    rotation_enabled: bool = False
    rotation_period_days: int | None = None
    next_rotation: float | None = None
    expiration_model: str | None = None  # KEY_MATERIAL_EXPIRES | ..._DOES_NOT_EXPIRE
    valid_to: float | None = None
    current_material_id: str | None = None
    multi_region: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.state == ENABLED


@dataclass
class MaterialRecord:
    """One version of a key's material. `wrapped` is the material sealed by the root key;
    None means the material was deleted but its id is remembered (imported material
    awaiting re-import). `rotation_type` is None for a key's first material."""

    key_id: str
    material_id: str
    wrapped: bytes | None
    created: float
    kind: str = "generated"  # generated | imported
    rotation_type: str | None = None  # AUTOMATIC | ON_DEMAND | None
    public_der: bytes | None = None  # SubjectPublicKeyInfo of an asymmetric key
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class AliasRecord:
    name: str  # alias/...
    arn: str  # arn:aws:kms:{region}:{account}:alias/...
    target_key_id: str
    created: float
    updated: float

    @property
    def region(self) -> str:
        return arn_region_account(self.arn)[0]

    @property
    def account(self) -> str:
        return arn_region_account(self.arn)[1]


@dataclass
class GrantRecord:
    grant_id: str
    grant_token: str
    key_id: str
    grantee_principal: str
    operations: list[str]
    created: float
    issuing_account: str
    retiring_principal: str | None = None
    constraints: dict[str, Any] | None = None
    name: str | None = None


@dataclass
class ImportParamsRecord:
    """The wrapping key pair handed out by GetParametersForImport; its private half is
    wrapped by the root key."""

    key_id: str
    wrapping_private_wrapped: bytes
    wrapping_public_der: bytes
    wrapping_algorithm: str
    wrapping_spec: str
    token_id: str
    expires: float


def arn_region_account(arn: str) -> tuple[str, str]:
    """(region, account) of a KMS ARN; ValueError if it is not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "kms":
        raise ValueError(f"not a KMS ARN: {arn!r}")
    return parts[3], parts[4]
