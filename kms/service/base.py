"""What every KMS operation shares: the stores, the clock, identifier resolution, key
states, policy checks, material, the audit record, and the work the clock makes due."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kms.audit import events
from kms.audit.ledger import Ledger
from kms.crypto import asymmetric, hmac_keys, material_ids, wrapping
from kms.crypto.blob import KEY_LEN
from kms.service import access, grant_rules, identifiers, materials, policy, states
from kms.service.caller import Caller
from kms.service.clock import KmsClock
from kms.service.errors import KmsError, not_found
from kms.store.db import KeyStore
from kms.store.paths import KmsPaths
from kms.store.records import (
    ENABLED,
    PENDING_DELETION,
    AliasRecord,
    GrantRecord,
    KeyRecord,
    MaterialRecord,
    alias_arn,
    key_arn,
)
from kms.store.root_key import load_or_create_root_key

T = TypeVar("T")
DAY = 86_400.0
AWS_MANAGED_SERVICES = frozenset({"s3", "ebs", "rds", "lambda", "dynamodb", "secretsmanager",
                                  "sqs", "sns", "ssm", "glue", "backup", "kinesis"})
AWS_MANAGED_ROTATION_DAYS = 365


@dataclass
class AuditNote:
    """What an operation tells its audit record as it runs."""

    key_arns: list[str] = field(default_factory=list)
    material_id: str | None = None
    response: dict[str, Any] | None = None


def _new_secret(spec: str) -> tuple[bytes, bytes | None]:
    """Fresh material for a key of `spec` and, for an asymmetric key, its public key (SPKI
    DER): 32 random bytes (SYMMETRIC_DEFAULT), an HMAC key, or a PKCS#8 DER private key."""
    if spec == "SYMMETRIC_DEFAULT":
        return os.urandom(KEY_LEN), None
    if spec in hmac_keys.KEY_SPECS:
        return hmac_keys.generate(spec), None
    private = asymmetric.generate(spec)
    return private, asymmetric.public_der(private)


class ServiceBase:
    def __init__(self, data_dir: Path, *, account_id: str = "111122223333",
                 region: str = "us-east-1") -> None:
        paths = KmsPaths.of(data_dir)
        paths.ensure_dir()
        self.account_id = account_id
        self.region = region
        self._root_key = load_or_create_root_key(data_dir)
        self.store = KeyStore(paths.db)
        self.ledger = Ledger(paths.audit)
        self.clock = KmsClock(paths.dir / "clock.json")

    def close(self) -> None:
        self.store.close()
        self.ledger.close()

    # -- the audit record around every call ----------------------------------------------

    def _call(self, caller: Caller, event: str, params: Mapping[str, Any],
              fn: Callable[[AuditNote], T], *,
              grant_tokens: Sequence[str] | None = None) -> T:
        """Run one operation with its audit record. Grants take effect at once here, so
        the GrantTokens a request carries need only be genuine."""
        self.run_due_work()
        note = AuditNote()
        try:
            grant_rules.check_tokens(self._root_key, grant_tokens or ())
            result = fn(note)
        except KmsError as error:
            self._record(caller, event, params, note, error=error)
            raise
        self._record(caller, event, params, note)
        return result

    def _record(self, caller: Caller, event: str, params: Mapping[str, Any], note: AuditNote,
                error: KmsError | None = None) -> None:
        who = events.Identity(arn=caller.arn, account_id=caller.account_id,
                            principal_id=caller.access_key or caller.user_name,
                            type=caller.principal_type, user_name=caller.user_name,
                            access_key_id=caller.access_key or None)
        self.ledger.append(events.build_event(
            event_name=event, region=caller.region, identity=who,
            request_id=caller.request_id or str(uuid.uuid4()),
            recipient_account=self.account_id,
            request_parameters={k: v for k, v in params.items() if v is not None} or None,
            response_elements=note.response, key_arns=note.key_arns,
            source_ip=caller.source_ip, user_agent=caller.user_agent,
            invoked_by=caller.invoked_by,
            error_code=error.type_name if error else None,
            error_message=error.message if error else None,
            key_material_id=note.material_id, now=self.clock.now()))

    # -- finding keys ----------------------------------------------------------------------

    def _key(self, caller: Caller, text: str, note: AuditNote, *,
             allow_alias: bool = True) -> KeyRecord:
        """The key a KeyId parameter names (any of the four forms where allowed)."""
        ident = identifiers.parse(text, allow_alias=allow_alias)
        region = ident.region or caller.region
        account = ident.account or self.account_id
        if ident.kind == "alias":
            alias = self.store.get_alias(alias_arn(region, account, ident.value))
            if alias is None:
                alias = self._aws_managed_alias(ident.value, region, account)
            if alias is None:
                raise not_found(f"Alias {alias_arn(region, account, ident.value)} is not "
                                "found.")
            key_id = alias.target_key_id
        else:
            key_id = ident.value
        key = self.store.get_key(key_id)
        if key is None or key.region != region or key.account != account:
            raise not_found(f"Key '{key_arn(region, account, key_id)}' does not exist")
        note.key_arns.append(key.arn)
        return key

    def _aws_managed_alias(self, name: str, region: str, account: str) -> AliasRecord | None:
        """alias/aws/<service>: the AWS-managed key, created on first use."""
        service = name.removeprefix(identifiers.RESERVED_ALIAS_PREFIX)
        if not name.startswith(identifiers.RESERVED_ALIAS_PREFIX) or \
                service not in AWS_MANAGED_SERVICES or account != self.account_id:
            return None
        now = self.clock.now()
        key = self._new_key(region, description=f"Default key that protects my "
                            f"{service.upper()} data when no other key is defined",
                            key_manager="AWS",
                            policy_text=policy.aws_managed_policy(account, service, region))
        key.rotation_enabled = True
        key.rotation_period_days = AWS_MANAGED_ROTATION_DAYS
        key.next_rotation = now + AWS_MANAGED_ROTATION_DAYS * DAY
        self.store.update_key(key)
        alias = AliasRecord(name=name, arn=alias_arn(region, account, name),
                            target_key_id=key.key_id, created=now, updated=now)
        self.store.create_alias(alias)
        return alias

    def _new_key(self, region: str, *, description: str = "", key_manager: str = "CUSTOMER",
                 policy_text: str | None = None, origin: str = "AWS_KMS",
                 tags: Mapping[str, str] | None = None, key_spec: str = "SYMMETRIC_DEFAULT",
                 key_usage: str = "ENCRYPT_DECRYPT") -> KeyRecord:
        """Create and store a key with fresh material (none for EXTERNAL). The caller has
        checked that `key_spec` and `key_usage` go together."""
        key_id = identifiers.new_key_id()
        now = self.clock.now()
        key = KeyRecord(key_id=key_id, arn=key_arn(region, self.account_id, key_id),
                        account=self.account_id, region=region, description=description,
                        key_spec=key_spec, key_usage=key_usage,
                        origin=origin, key_manager=key_manager, created=now,
                        policy=policy_text or policy.default_policy(self.account_id),
                        tags=dict(tags or {}),
                        state=ENABLED if origin == "AWS_KMS" else "PendingImport")
        material = self._generate_material(key, now, rotation_type=None) \
            if origin == "AWS_KMS" else None
        return self.store.create_key(key, material)

    def _generate_material(self, key: KeyRecord, now: float,
                           rotation_type: str | None) -> MaterialRecord:
        material_id = material_ids.new_material_id()
        secret, public = _new_secret(key.key_spec)
        wrapped = wrapping.wrap_material(self._root_key, uuid.UUID(key.key_id), material_id,
                                         secret)
        return MaterialRecord(key_id=key.key_id, material_id=material_ids.to_hex(material_id),
                              wrapped=wrapped, created=now, rotation_type=rotation_type,
                              public_der=public)

    def _material(self, key: KeyRecord, material_id: str) -> bytes:
        """The plaintext material of one version of a key (never leaves the service)."""
        record = self.store.get_material(key.key_id, material_id)
        if record is None or record.wrapped is None:
            raise KmsError("InvalidCiphertextException", "")
        return wrapping.unwrap_material(self._root_key, uuid.UUID(key.key_id),
                                        material_ids.from_hex(material_id), record.wrapped)

    def _current_material(self, key: KeyRecord) -> bytes:
        """The plaintext material an enabled key uses now (HMAC key, PKCS#8 private key)."""
        assert key.current_material_id is not None, "an enabled key has material"
        return self._material(key, key.current_material_id)

    def _public_key(self, key: KeyRecord) -> bytes:
        """SPKI DER of an asymmetric key, kept in clear beside its wrapped private key (no
        unwrapping needed for GetPublicKey, Verify or RSA Encrypt)."""
        assert key.current_material_id is not None, "an enabled key has material"
        record = self.store.get_material(key.key_id, key.current_material_id)
        assert record is not None and record.public_der is not None, \
            "asymmetric material is stored with its public key"
        return record.public_der

    # -- checks ----------------------------------------------------------------------------

    def _check_state(self, operation: str, key: KeyRecord) -> None:
        states.check(operation, key)

    def _authorize(self, caller: Caller, key: KeyRecord, action: str,
                   context: Mapping[str, str] | None = None, *,
                   grant_tokens: list[str] | None = None,
                   child: GrantRecord | None = None) -> None:
        """AccessDenied unless the key policy allows the action, or a grant on the key for
        the caller does and no policy statement explicitly denies it (grants only allow).
        Grants apply from creation, so `grant_tokens` need only be genuine
        (InvalidGrantTokenException otherwise). `child`: for CreateGrant, the grant asked
        for, which a permission that comes from a grant must not widen."""
        grant_rules.check_tokens(self._root_key, grant_tokens or ())
        grants = (grant for grantee in dict.fromkeys((caller.arn,
                                                      grant_rules.root_arn(caller.account_id)))
                  for grant in self.store.list_grants(key.key_id, limit=None,
                                                      grantee_principal=grantee))  # lazy
        if access.allowed(policy.parse(key.policy), grants, principal=caller.arn,
                          account=caller.account_id, action=action, context=context,
                          via_service=caller.via_service, child=child):
            return
        raise KmsError("AccessDeniedException",
                       f"User: {caller.arn} is not authorized to perform: kms:{action} on "
                       f"resource: {key.arn} because no resource-based policy allows the "
                       f"kms:{action} action")

    def _customer_managed(self, key: KeyRecord, operation: str) -> None:
        if key.key_manager == "AWS":
            raise KmsError("UnsupportedOperationException",
                           f"{key.arn} is an AWS managed key; {operation} is not allowed on "
                           "it.")

    # -- work the clock makes due ----------------------------------------------------------

    def run_due_work(self) -> None:
        """Deletions whose window has passed, rotations whose date has come, imported
        material that has expired. Called before every operation and periodically."""
        now = self.clock.now()
        for key in self.store.keys_due(now):
            if key.state == PENDING_DELETION and key.deletion_date is not None \
                    and key.deletion_date <= now:
                self.store.delete_key(key.key_id)
                self._service_event("DeleteKey", key, now)
                continue
            if key.next_rotation is not None and key.next_rotation <= now:
                key = self._rotate_due(key, now)
            if key.valid_to is not None and key.valid_to <= now:
                self._expire_material(key, now)

    def _rotate_due(self, key: KeyRecord, now: float) -> KeyRecord:
        """Automatic rotation on every date of the schedule that has passed (the clock may
        have jumped several periods). A key that is not Enabled is not rotated but marked
        overdue; once enabled again it rotates at once and the schedule counts from then."""
        if key.state != ENABLED:
            if not key.extra.get(materials.ROTATION_OVERDUE):
                key = dataclasses.replace(
                    key, extra={**key.extra, materials.ROTATION_OVERDUE: True})
                self.store.update_key(key)
            return key
        if key.extra.get(materials.ROTATION_OVERDUE):
            extra = {k: v for k, v in key.extra.items() if k != materials.ROTATION_OVERDUE}
            key = dataclasses.replace(key, next_rotation=now, extra=extra)
        while key.next_rotation is not None and key.next_rotation <= now:
            key = self._rotate(key, key.next_rotation, materials.AUTOMATIC)
        return key

    def _rotate(self, key: KeyRecord, at: float, rotation_type: str) -> KeyRecord:
        """New material, current from `at`. An automatic rotation sets the next date of the
        schedule; an on-demand one leaves the schedule as it was."""
        material = self._generate_material(key, at, rotation_type)
        next_rotation = key.next_rotation
        if rotation_type == materials.AUTOMATIC:
            next_rotation = (at + key.rotation_period_days * DAY
                             if key.rotation_enabled and key.rotation_period_days else None)
        key = dataclasses.replace(key, current_material_id=material.material_id,
                                  next_rotation=next_rotation)
        with self.store.transaction():
            self.store.add_material(material)
            self.store.update_key(key)
        self._service_event("RotateKey", key, at, {"keyMaterialId": material.material_id,
                                                  "rotationType": rotation_type})
        return key

    def _expire_material(self, key: KeyRecord, now: float) -> None:
        """Imported material whose ValidTo has passed is deleted, its id remembered: the key
        is PendingImport until the same material is imported again."""
        gone = [m for m in self.store.list_materials(key.key_id) if materials.expired(m, now)]
        with self.store.transaction():
            for material in gone:
                self._drop_material(material)
            key = materials.refreshed(key, self.store.list_materials(key.key_id))
            self.store.update_key(key)
        for material in gone:
            self._service_event("DeleteExpiredKeyMaterial", key,
                                materials.valid_to(material) or now,
                                {"keyMaterialId": material.material_id})

    def _drop_material(self, material: MaterialRecord) -> None:
        """Delete imported material (DeleteImportedKeyMaterial, expiry): gone entirely if it
        was pending rotation, else its secret goes and its id stays for a re-import."""
        kept = materials.dropped(material)
        if kept is None:
            self.store.delete_materials(material.key_id, material.material_id)
        else:
            self.store.update_material(kept)

    def _service_event(self, name: str, key: KeyRecord, now: float,
                       data: dict[str, Any] | None = None) -> None:
        self.ledger.append(events.build_service_event(
            event_name=name, region=key.region, account=key.account, key_arn=key.arn,
            additional_event_data=data, now=now))
