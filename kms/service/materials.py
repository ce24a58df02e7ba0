"""What the service knows about each version of a key's material beyond the store's
columns, and what follows from it for the key.

A material's `extra` holds, for imported material, its ExpirationModel, ValidTo,
KeyMaterialDescription and whether it is still PENDING_ROTATION (imported with
ImportType NEW_KEY_MATERIAL, not yet made current by RotateKeyOnDemand); and, for a
promoted import, the date it became current. `wrapped is None` means the material was
deleted or expired: its id is remembered, so re-importing the same material brings back
every ciphertext made under it.

The current material is always the newest rotation that is not pending: the first
material, then each automatic or on-demand rotation in turn."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from kms.store.records import ENABLED, PENDING_DELETION, PENDING_IMPORT, KeyRecord, MaterialRecord

EXPIRES = "KEY_MATERIAL_EXPIRES"
DOES_NOT_EXPIRE = "KEY_MATERIAL_DOES_NOT_EXPIRE"
EXPIRATION_MODELS = (EXPIRES, DOES_NOT_EXPIRE)
ON_DEMAND = "ON_DEMAND"
AUTOMATIC = "AUTOMATIC"
# A key's `extra` flag: its automatic rotation came due while it was not Enabled.
ROTATION_OVERDUE = "rotation_overdue"

_MODEL = "expiration_model"
_VALID_TO = "valid_to"
_DESCRIPTION = "description"
_PENDING = "pending_rotation"
_ROTATED = "rotation_date"


def is_imported(material: MaterialRecord) -> bool:
    """The material is present (not deleted, not expired)."""
    return material.wrapped is not None


def is_pending_rotation(material: MaterialRecord) -> bool:
    return bool(material.extra.get(_PENDING))


def expiration_model(material: MaterialRecord) -> str | None:
    return material.extra.get(_MODEL)


def valid_to(material: MaterialRecord) -> float | None:
    return material.extra.get(_VALID_TO)


def description(material: MaterialRecord) -> str | None:
    return material.extra.get(_DESCRIPTION)


def rotation_date(material: MaterialRecord) -> float | None:
    """When the material became current by a rotation; None for the first material and
    for material pending rotation."""
    if material.rotation_type is None:
        return None
    return material.extra.get(_ROTATED, material.created)


def with_import(material: MaterialRecord, wrapped: bytes, model: str,
                expires_at: float | None, about: str | None) -> MaterialRecord:
    """The material as a (re-)import leaves it: present, with this expiry; a description
    not given keeps the one from the last import."""
    extra = {**material.extra, _MODEL: model, _VALID_TO: expires_at}
    if about is not None:
        extra[_DESCRIPTION] = about
    return dataclasses.replace(material, wrapped=wrapped, extra=extra)


def pending(material: MaterialRecord) -> MaterialRecord:
    return dataclasses.replace(material, extra={**material.extra, _PENDING: True})


def promoted(material: MaterialRecord, now: float) -> MaterialRecord:
    """Imported material pending rotation, made current by RotateKeyOnDemand."""
    extra = {k: v for k, v in material.extra.items() if k != _PENDING}
    return dataclasses.replace(material, rotation_type=ON_DEMAND, extra={**extra, _ROTATED: now})


def dropped(material: MaterialRecord) -> MaterialRecord | None:
    """The material after DeleteImportedKeyMaterial or expiry: its id remembered, its
    secret gone. None when it was pending rotation: such material is not permanently
    associated with the key, so it goes entirely."""
    if is_pending_rotation(material):
        return None
    return dataclasses.replace(material, wrapped=None)


def expired(material: MaterialRecord, now: float) -> bool:
    expiry = valid_to(material)
    return is_imported(material) and expiry is not None and expiry <= now


def in_rotation_order(materials: Sequence[MaterialRecord]) -> list[MaterialRecord]:
    """The materials that have been current, oldest first (pending ones left out)."""
    used = [m for m in materials if not is_pending_rotation(m)]
    return sorted(used, key=lambda m: (m.rotation_type is not None, rotation_date(m) or 0.0))


def current_of(materials: Sequence[MaterialRecord]) -> MaterialRecord | None:
    order = in_rotation_order(materials)
    return order[-1] if order else None


def refreshed(key: KeyRecord, materials: Sequence[MaterialRecord]) -> KeyRecord:
    """An EXTERNAL key after its materials changed. Usable only when every material that
    has been current is imported: otherwise PendingImport (PendingDeletion is kept) and no
    current material; when they all are again, a PendingImport key becomes Enabled.
    ExpirationModel/ValidTo say when the first imported material expires."""
    order = in_rotation_order(materials)
    complete = bool(order) and all(is_imported(m) for m in order)
    state = key.state
    if not complete and state != PENDING_DELETION:
        state = PENDING_IMPORT
    elif complete and state == PENDING_IMPORT:
        state = ENABLED
    expiries = [t for m in materials if is_imported(m) and (t := valid_to(m)) is not None]
    present = any(is_imported(m) for m in materials)
    model = (EXPIRES if expiries else DOES_NOT_EXPIRE) if present else None
    return dataclasses.replace(key, state=state,
                               current_material_id=order[-1].material_id if complete else None,
                               expiration_model=model,
                               valid_to=min(expiries) if expiries else None)
