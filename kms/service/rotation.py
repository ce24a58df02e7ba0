"""Rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
ListKeyRotations (kms-api.md §7.6).

Automatic rotation happens in `ServiceBase.run_due_work` when a key's next rotation date
passes. Every material a key ever had stays: a ciphertext names its material, so Decrypt
finds it in one lookup however often the key has rotated."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from kms.service import materials
from kms.service.base import DAY, AuditNote, ServiceBase
from kms.service.caller import Caller
from kms.service.errors import KmsError, invalid_state, validation
from kms.store.records import DISABLED, ENABLED, PENDING_DELETION, KeyRecord, MaterialRecord

SYMMETRIC = "SYMMETRIC_DEFAULT"
DEFAULT_PERIOD_DAYS = 365
MIN_PERIOD_DAYS = 90
MAX_PERIOD_DAYS = 2560
MAX_ON_DEMAND_ROTATIONS = 25
MAX_LIMIT = 1000
ROTATIONS_ONLY = "ROTATIONS_ONLY"
ALL_KEY_MATERIAL = "ALL_KEY_MATERIAL"
_STATE_WORDS = {"PendingDeletion": "pending deletion", "PendingImport": "pending import"}


class RotationOps(ServiceBase):
    def enable_key_rotation(self, caller: Caller, *, key_id: str,
                            rotation_period_in_days: int | None = None) -> dict[str, Any]:
        period = (DEFAULT_PERIOD_DAYS if rotation_period_in_days is None
                  else rotation_period_in_days)
        params = {"keyId": key_id, "rotationPeriodInDays": rotation_period_in_days}

        def run(note: AuditNote) -> dict[str, Any]:
            _check_period(period)
            key = self._rotation_key(caller, key_id, "EnableKeyRotation", note)
            self.store.update_key(_scheduled(key, period, self.clock.now()))
            return {}

        return self._call(caller, "EnableKeyRotation", params, run)

    def disable_key_rotation(self, caller: Caller, *, key_id: str) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            key = self._rotation_key(caller, key_id, "DisableKeyRotation", note)
            self.store.update_key(dataclasses.replace(
                key, rotation_enabled=False, rotation_period_days=None, next_rotation=None))
            return {}

        return self._call(caller, "DisableKeyRotation", {"keyId": key_id}, run)

    def get_key_rotation_status(self, caller: Caller, *, key_id: str) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            key = self._key(caller, key_id, note, allow_alias=False)
            self._authorize(caller, key, "GetKeyRotationStatus")
            _automatic_rotation_possible(key)
            # While a key is pending deletion its status reads false; cancelling the
            # deletion brings the old status back.
            enabled = key.rotation_enabled and key.state != PENDING_DELETION
            result: dict[str, Any] = {"KeyRotationEnabled": enabled, "KeyId": key.arn}
            if enabled:
                result["RotationPeriodInDays"] = key.rotation_period_days
                result["NextRotationDate"] = key.next_rotation
            return result

        return self._call(caller, "GetKeyRotationStatus", {"keyId": key_id}, run)

    def rotate_key_on_demand(self, caller: Caller, *, key_id: str) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            key = self._key(caller, key_id, note, allow_alias=False)
            self._customer_managed(key, "RotateKeyOnDemand")
            self._authorize(caller, key, "RotateKeyOnDemand")
            _symmetric(key)
            _rotation_state(key)
            history = self.store.list_materials(key.key_id)
            if sum(m.rotation_type == materials.ON_DEMAND for m in history) \
                    >= MAX_ON_DEMAND_ROTATIONS:
                raise KmsError("LimitExceededException",
                               f"{key.arn} has reached the limit of "
                               f"{MAX_ON_DEMAND_ROTATIONS} on-demand rotations.")
            now = self.clock.now()
            if key.origin == "EXTERNAL":
                key = self._rotate_to_import(key, history, now)
            else:
                key = self._rotate(key, now, materials.ON_DEMAND)
            note.material_id = key.current_material_id
            return {"KeyId": key.arn}

        return self._call(caller, "RotateKeyOnDemand", {"keyId": key_id}, run)

    def list_key_rotations(self, caller: Caller, *, key_id: str,
                           include_key_material: str | None = None, limit: int = 100,
                           marker: str | None = None) -> dict[str, Any]:
        mode = include_key_material or ROTATIONS_ONLY
        params = {"keyId": key_id, "includeKeyMaterial": include_key_material,
                  "limit": limit, "marker": marker}

        def run(note: AuditNote) -> dict[str, Any]:
            _check_listing(mode, limit)
            key = self._key(caller, key_id, note, allow_alias=False)
            self._authorize(caller, key, "ListKeyRotations")
            _symmetric(key)
            entries = _entries(key, self.store.list_materials(key.key_id), mode)
            return _page(entries, limit, marker)

        return self._call(caller, "ListKeyRotations", params, run)

    # -- shared steps ----------------------------------------------------------------------

    def _rotation_key(self, caller: Caller, key_id: str, operation: str,
                      note: AuditNote) -> KeyRecord:
        """The key for Enable/DisableKeyRotation: customer managed, symmetric, AWS_KMS
        origin, Enabled."""
        key = self._key(caller, key_id, note, allow_alias=False)
        self._customer_managed(key, operation)
        self._authorize(caller, key, operation)
        _automatic_rotation_possible(key)
        _rotation_state(key)
        return key

    def _rotate_to_import(self, key: KeyRecord, history: Sequence[MaterialRecord],
                          now: float) -> KeyRecord:
        """On-demand rotation of an EXTERNAL key: the material imported as
        NEW_KEY_MATERIAL (PENDING_ROTATION) becomes current."""
        waiting = next((m for m in history if materials.is_pending_rotation(m)), None)
        if waiting is None:
            raise invalid_state(f"{key.arn} has no imported key material in "
                                "PENDING_ROTATION state to rotate to.")
        with self.store.transaction():
            self.store.update_material(materials.promoted(waiting, now))
            key = materials.refreshed(key, self.store.list_materials(key.key_id))
            self.store.update_key(key)
        self._service_event("RotateKey", key, now, {"keyMaterialId": waiting.material_id,
                                                   "rotationType": materials.ON_DEMAND})
        return key


def _check_period(period: int) -> None:
    if not MIN_PERIOD_DAYS <= period <= MAX_PERIOD_DAYS:
        bound = (f"greater than or equal to {MIN_PERIOD_DAYS}" if period < MIN_PERIOD_DAYS
                 else f"less than or equal to {MAX_PERIOD_DAYS}")
        raise validation(f"1 validation error detected: Value '{period}' at "
                         "'rotationPeriodInDays' failed to satisfy constraint: Member must "
                         f"have value {bound}")


def _check_listing(mode: str, limit: int) -> None:
    if mode not in (ROTATIONS_ONLY, ALL_KEY_MATERIAL):
        raise validation(f"1 validation error detected: Value '{mode}' at "
                         "'includeKeyMaterial' failed to satisfy constraint: Member must "
                         f"satisfy enum value set: [{ALL_KEY_MATERIAL}, {ROTATIONS_ONLY}]")
    if not 1 <= limit <= MAX_LIMIT:
        bound = "greater than or equal to 1" if limit < 1 else f"less than or equal to {MAX_LIMIT}"
        raise validation(f"1 validation error detected: Value '{limit}' at 'limit' failed to "
                         f"satisfy constraint: Member must have value {bound}")


def _symmetric(key: KeyRecord) -> None:
    if key.key_spec != SYMMETRIC:
        raise KmsError("UnsupportedOperationException",
                       f"{key.arn} key spec is {key.key_spec} which is not valid for this "
                       "operation.")


def _automatic_rotation_possible(key: KeyRecord) -> None:
    """Automatic rotation exists for symmetric keys whose material KMS generates."""
    if key.origin != "AWS_KMS":
        raise KmsError("UnsupportedOperationException",
                       f"{key.arn} origin is {key.origin} which is not valid for this "
                       "operation.")
    _symmetric(key)


def _rotation_state(key: KeyRecord) -> None:
    if key.state == DISABLED:
        raise KmsError("DisabledException", f"{key.arn} is disabled.")
    if key.state != ENABLED:
        raise invalid_state(f"{key.arn} is {_STATE_WORDS.get(key.state, key.state.lower())}.")


def _scheduled(key: KeyRecord, period: int, now: float) -> KeyRecord:
    """Rotation on, every `period` days. Enabling starts the schedule now; changing the
    period of an enabled key keeps its starting point (the last automatic rotation, or
    when rotation was enabled), and a date already past means: rotate now."""
    if key.rotation_enabled and key.next_rotation is not None and key.rotation_period_days:
        since = key.next_rotation - key.rotation_period_days * DAY
        next_rotation = max(since + period * DAY, now)
    else:
        next_rotation = now + period * DAY
    return dataclasses.replace(key, rotation_enabled=True, rotation_period_days=period,
                               next_rotation=next_rotation)


def _entries(key: KeyRecord, history: Sequence[MaterialRecord],
             mode: str) -> list[dict[str, Any]]:
    """ListKeyRotations entries in rotation order. ROTATIONS_ONLY leaves out the first
    material and material pending rotation; ALL_KEY_MATERIAL has them (pending last)."""
    order = materials.in_rotation_order(history)
    current = order[-1].material_id if order else None
    shown = [m for m in order if mode == ALL_KEY_MATERIAL or m.rotation_type is not None]
    if mode == ALL_KEY_MATERIAL:
        shown += [m for m in history if materials.is_pending_rotation(m)]
    return [_entry(key, m, current) for m in shown]


def _entry(key: KeyRecord, material: MaterialRecord, current: str | None) -> dict[str, Any]:
    if materials.is_pending_rotation(material):
        state = "PENDING_ROTATION"
    else:
        state = "CURRENT" if material.material_id == current else "NON_CURRENT"
    entry: dict[str, Any] = {"KeyId": key.key_id, "KeyMaterialId": material.material_id,
                             "KeyMaterialState": state}
    rotated = materials.rotation_date(material)
    if rotated is not None:
        entry["RotationDate"] = rotated
        entry["RotationType"] = material.rotation_type
    if key.origin == "EXTERNAL":
        entry.update(_import_details(material))
    return entry


def _import_details(material: MaterialRecord) -> dict[str, Any]:
    """ImportState, ExpirationModel, ValidTo, KeyMaterialDescription of imported material."""
    present = materials.is_imported(material)
    details: dict[str, Any] = {"ImportState": "IMPORTED" if present else "PENDING_IMPORT"}
    model = materials.expiration_model(material)
    if model is not None:
        details["ExpirationModel"] = model
    expiry = materials.valid_to(material)
    if present and expiry is not None:
        details["ValidTo"] = expiry
    about = materials.description(material)
    if about is not None:
        details["KeyMaterialDescription"] = about
    return details


def _page(entries: list[dict[str, Any]], limit: int, marker: str | None) -> dict[str, Any]:
    """One page; the marker is the KeyMaterialId of the previous page's last entry."""
    ids = [entry["KeyMaterialId"] for entry in entries]
    if marker is not None and marker not in ids:
        raise KmsError("InvalidMarkerException", "Invalid marker.")
    start = ids.index(marker) + 1 if marker is not None else 0
    page = entries[start:start + limit]
    result: dict[str, Any] = {"Rotations": page, "Truncated": start + limit < len(entries)}
    if result["Truncated"]:
        result["NextMarker"] = page[-1]["KeyMaterialId"]
    return result
