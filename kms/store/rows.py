"""Records to SQLite rows and back. Column lists and conversions live here, in one place."""

from __future__ import annotations

import json
from typing import Any

from kms.store.records import (
    AliasRecord,
    GrantRecord,
    ImportParamsRecord,
    KeyRecord,
    MaterialRecord,
    arn_region_account,
)

KEY_COLUMNS = (
    "key_id, arn, account, region, description, key_spec, key_usage, origin, key_manager,"
    " state, created, deletion_date, pending_window_days, policy, rotation_enabled,"
    " rotation_period_days, next_rotation, expiration_model, valid_to, current_material_id,"
    " multi_region, tags, extra"
)
MATERIAL_COLUMNS = (
    "key_id, material_id, wrapped, created, kind, rotation_type, public_der, extra"
)
ALIAS_COLUMNS = "name, arn, target_key_id, created, updated"
GRANT_COLUMNS = (
    "grant_id, grant_token, key_id, grantee_principal, retiring_principal, operations,"
    " constraints, name, created, issuing_account"
)
IMPORT_COLUMNS = (
    "key_id, wrapping_private_wrapped, wrapping_public_der, wrapping_algorithm,"
    " wrapping_spec, token_id, expires"
)


def placeholders(columns: str) -> str:
    return ", ".join("?" for _ in columns.split(","))


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def key_to_row(key: KeyRecord) -> tuple[Any, ...]:
    return (key.key_id, key.arn, key.account, key.region, key.description, key.key_spec,
            key.key_usage, key.origin, key.key_manager, key.state, key.created,
            key.deletion_date, key.pending_window_days, key.policy, int(key.rotation_enabled),
            key.rotation_period_days, key.next_rotation, key.expiration_model, key.valid_to,
            key.current_material_id, int(key.multi_region), _dumps(dict(key.tags)),
            _dumps(key.extra))


def key_from_row(row: tuple[Any, ...]) -> KeyRecord:
    (key_id, arn, account, region, description, key_spec, key_usage, origin, key_manager,
     state, created, deletion_date, pending_window_days, policy, rotation_enabled,
     rotation_period_days, next_rotation, expiration_model, valid_to, current_material_id,
     multi_region, tags, extra) = row
    return KeyRecord(
        key_id=key_id, arn=arn, account=account, region=region, description=description,
        key_spec=key_spec, key_usage=key_usage, origin=origin, key_manager=key_manager,
        state=state, created=created, deletion_date=deletion_date,
        pending_window_days=pending_window_days, policy=policy,
        rotation_enabled=bool(rotation_enabled), rotation_period_days=rotation_period_days,
        next_rotation=next_rotation, expiration_model=expiration_model, valid_to=valid_to,
        current_material_id=current_material_id, multi_region=bool(multi_region),
        tags=json.loads(tags), extra=json.loads(extra))


def material_to_row(material: MaterialRecord) -> tuple[Any, ...]:
    return (material.key_id, material.material_id, _bytes(material.wrapped), material.created,
            material.kind, material.rotation_type, _bytes(material.public_der),
            _dumps(material.extra))


def material_from_row(row: tuple[Any, ...]) -> MaterialRecord:
    key_id, material_id, wrapped, created, kind, rotation_type, public_der, extra = row
    return MaterialRecord(key_id=key_id, material_id=material_id, wrapped=_bytes(wrapped),
                          created=created, kind=kind, rotation_type=rotation_type,
                          public_der=_bytes(public_der), extra=json.loads(extra))


def alias_to_row(alias: AliasRecord) -> tuple[Any, ...]:
    """(arn, name, account, region, target_key_id, created, updated)."""
    region, account = arn_region_account(alias.arn)
    if not alias.arn.endswith(":" + alias.name) or not alias.name.startswith("alias/"):
        raise ValueError(f"alias name {alias.name!r} does not match ARN {alias.arn!r}")
    return (alias.arn, alias.name, account, region, alias.target_key_id, alias.created,
            alias.updated)


def alias_from_row(row: tuple[Any, ...]) -> AliasRecord:
    name, arn, target_key_id, created, updated = row
    return AliasRecord(name=name, arn=arn, target_key_id=target_key_id, created=created,
                       updated=updated)


def grant_to_row(grant: GrantRecord) -> tuple[Any, ...]:
    constraints = None if grant.constraints is None else _dumps(grant.constraints)
    return (grant.grant_id, grant.grant_token, grant.key_id, grant.grantee_principal,
            grant.retiring_principal, _dumps(list(grant.operations)), constraints, grant.name,
            grant.created, grant.issuing_account)


def grant_from_row(row: tuple[Any, ...]) -> GrantRecord:
    (grant_id, grant_token, key_id, grantee_principal, retiring_principal, operations,
     constraints, name, created, issuing_account) = row
    return GrantRecord(
        grant_id=grant_id, grant_token=grant_token, key_id=key_id,
        grantee_principal=grantee_principal, retiring_principal=retiring_principal,
        operations=json.loads(operations),
        constraints=None if constraints is None else json.loads(constraints),
        name=name, created=created, issuing_account=issuing_account)


def import_to_row(params: ImportParamsRecord) -> tuple[Any, ...]:
    return (params.key_id, bytes(params.wrapping_private_wrapped),
            bytes(params.wrapping_public_der), params.wrapping_algorithm,
            params.wrapping_spec, params.token_id, params.expires)


def import_from_row(row: tuple[Any, ...]) -> ImportParamsRecord:
    (key_id, private_wrapped, public_der, algorithm, spec, token_id, expires) = row
    return ImportParamsRecord(
        key_id=key_id, wrapping_private_wrapped=bytes(private_wrapped),
        wrapping_public_der=bytes(public_der), wrapping_algorithm=algorithm,
        wrapping_spec=spec, token_id=token_id, expires=expires)
