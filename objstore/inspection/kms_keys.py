"""The KMS keys an object depends on, looked at read-only: which key, in what state, and
whom its policy and grants let call kms:Decrypt.

Nothing here calls a KMS operation: an operation would append to the audit trail and run
the clock's due work, and an inspection must change nothing. Instead it reads the key
records through the KMS's read-only view (`KmsSnapshot`: `KmsService.snapshot()`
in-process, or `KmsSnapshot.open(data_dir)` beside a running server or without one), and
evaluates the key policy with the KMS's own decision (`kms.service.access`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kms.crypto import blob
from kms.crypto.errors import InvalidCiphertext
from kms.service import access, policy
from kms.service.snapshot import ENABLED, GrantRecord, KeyRecord, KmsSnapshot, alias_arn

DECRYPT = "kms:Decrypt"
# What "administer" and "use" a key mean in a plain-words summary of its policy (the
# actions AWS's default key policy gives key administrators and key users).
ADMIN_ACTIONS = ("PutKeyPolicy", "EnableKey", "DisableKey", "ScheduleKeyDeletion",
                 "CancelKeyDeletion", "EnableKeyRotation", "RotateKeyOnDemand",
                 "CreateGrant", "RevokeGrant", "TagResource", "UpdateKeyDescription")
USE_ACTIONS = ("Encrypt", "Decrypt", "GenerateDataKey")


def find_key(records: KmsSnapshot, ref: str, *, account: str,
             region: str) -> KeyRecord | None:
    """The key a reference names: key id, key ARN, alias name or alias ARN."""
    if ref.startswith("arn:"):
        parts = ref.split(":", 5)
        if len(parts) == 6:
            region, account, resource = parts[3], parts[4], parts[5]
            ref = resource.removeprefix("key/")
    if ref.startswith("alias/"):
        alias = records.get_alias(alias_arn(region, account, ref))
        return records.get_key(alias.target_key_id) if alias else None
    return records.get_key(ref)


def key_id_in_blob(ciphertext_blob: bytes) -> str | None:
    """The KMS key id a ciphertext blob of this KMS names in its clear header (None for a
    blob from another KMS)."""
    try:
        return str(blob.parse(ciphertext_blob).key_id)
    except (InvalidCiphertext, ValueError):
        return None


@dataclass(frozen=True)
class DecryptAccess:
    """Who may call kms:Decrypt on a key, for one kind of call (through S3 or directly)."""

    key_arn: str
    state: str
    usable_now: bool
    allowed: list[str]        # the principals asked about whom the policy or a grant allows
    refused: list[str]
    statements: list[dict[str, Any]]   # the policy's statements that cover kms:Decrypt
    grants: list[dict[str, Any]]       # grants that include Decrypt


def may(parsed: Mapping[str, Any], grants: Sequence[GrantRecord], principal: str, *,
        account: str, action: str, context: Mapping[str, str] | None = None,
        via_service: str | None = None) -> bool:
    """The KMS's own decision (kms.service.access) for `principal` calling kms:`action`."""
    return access.allowed(parsed, grants, principal=principal, account=account,
                          action=action, context=context, via_service=via_service)


def decrypt_access(key: KeyRecord, records: KmsSnapshot, principals: Sequence[str], *,
                   account: str, context: Mapping[str, str] | None,
                   via_service: str | None) -> DecryptAccess:
    """Evaluate the key policy and grants as the KMS would for Decrypt by each principal
    (`via_service`: "s3.us-east-1.amazonaws.com" when S3 calls on the user's behalf)."""
    parsed = policy.parse(key.policy)
    grants = [g for g in records.list_grants(key.key_id, limit=None)
              if "Decrypt" in g.operations]
    allowed, refused = [], []
    for principal in principals:
        (allowed if may(parsed, grants, principal, account=account, action="Decrypt",
                        context=context, via_service=via_service)
         else refused).append(principal)
    return DecryptAccess(
        key_arn=key.arn, state=key.state, usable_now=key.state == ENABLED,
        allowed=allowed, refused=refused,
        statements=[_statement(s) for s in parsed["Statement"] if _covers_decrypt(s)],
        grants=[{"grantee": g.grantee_principal, "operations": g.operations,
                 **({"constraints": g.constraints} if g.constraints else {})}
                for g in grants])


@dataclass(frozen=True)
class PrincipalAccess:
    """What one principal may do with a key, directly and through S3."""

    principal: str
    administer: list[str]       # ADMIN_ACTIONS allowed
    use: list[str]              # USE_ACTIONS allowed, called directly
    use_via_s3: list[str]       # USE_ACTIONS allowed when S3 calls on the principal's behalf

    @property
    def administers(self) -> bool:
        return bool(self.administer)

    @property
    def uses(self) -> bool:
        return bool(self.use or self.use_via_s3)


def key_access(key: KeyRecord, records: KmsSnapshot, principals: Sequence[str], *,
               account: str, region: str) -> list[PrincipalAccess]:
    """Who may administer and who may use the key, among `principals`: each action asked
    without an encryption context (a condition on one reads as not met)."""
    parsed = policy.parse(key.policy)
    grants = records.list_grants(key.key_id, limit=None)
    via_s3 = f"s3.{region}.amazonaws.com"

    def allowed(principal: str, actions: Sequence[str], via: str | None) -> list[str]:
        return [a for a in actions if may(parsed, grants, principal, account=account,
                                          action=a, via_service=via)]

    return [PrincipalAccess(principal=p, administer=allowed(p, ADMIN_ACTIONS, None),
                            use=allowed(p, USE_ACTIONS, None),
                            use_via_s3=allowed(p, USE_ACTIONS, via_s3))
            for p in principals]


def named_principals(key: KeyRecord) -> list[str]:
    """The AWS principals the key policy's statements name (as written: ARNs, account ids,
    "*"), in order."""
    found: list[str] = []
    for statement in policy.parse(key.policy)["Statement"]:
        for field_name in ("Principal", "NotPrincipal"):
            value = statement.get(field_name)
            if value == "*":
                found.append("*")
            elif isinstance(value, dict):
                aws = value.get("AWS", [])
                found += [str(v) for v in (aws if isinstance(aws, list) else [aws])]
    return list(dict.fromkeys(found))


def _covers_decrypt(statement: Mapping[str, Any]) -> bool:
    def matches(actions: Any) -> bool:
        patterns = actions if isinstance(actions, list) else [actions]
        return any(fnmatch.fnmatchcase(DECRYPT.lower(), str(p).lower()) for p in patterns)

    if "Action" in statement:
        return matches(statement["Action"])
    return not matches(statement.get("NotAction", []))


def _statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"effect": statement["Effect"]}
    if "Sid" in statement:
        summary["sid"] = statement["Sid"]
    if "Principal" in statement:
        summary["principal"] = statement["Principal"]
    else:
        summary["not_principal"] = statement["NotPrincipal"]
    if "Condition" in statement:
        summary["condition"] = statement["Condition"]
    return summary

