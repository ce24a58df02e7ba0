"""Imported key material (Origin EXTERNAL): GetParametersForImport, ImportKeyMaterial,
DeleteImportedKeyMaterial (kms-api.md §7.7).

GetParametersForImport hands out a fresh RSA wrapping key and an ImportToken binding the
key id, that wrapping key, the wrapping algorithm and a 24-hour expiry; the private half
is kept wrapped by the root key (the latest parameters replace earlier ones). The imported
material's id is derived from the key id and the material itself: re-importing the same
material after DeleteImportedKeyMaterial or expiry brings back the same id, and with it
every ciphertext made under it, while different material cannot pose as it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from kms.crypto import asymmetric, importing, kdf, material_ids, wrapping
from kms.crypto import import_token as tokens
from kms.crypto.errors import (
    ExpiredImportToken,
    IncorrectKeyMaterial,
    InvalidCiphertext,
    InvalidImportToken,
    UnsupportedAlgorithm,
    UnsupportedKeySpec,
)
from kms.service import materials
from kms.service.base import DAY, AuditNote, ServiceBase
from kms.service.caller import Caller
from kms.service.errors import KmsError, invalid_state, not_found, validation
from kms.store.records import PENDING_DELETION, ImportParamsRecord, KeyRecord, MaterialRecord

SYMMETRIC = "SYMMETRIC_DEFAULT"
EXTERNAL = "EXTERNAL"
NEW_KEY_MATERIAL = "NEW_KEY_MATERIAL"
EXISTING_KEY_MATERIAL = "EXISTING_KEY_MATERIAL"
PARAMETERS_VALID_SECONDS = 86_400
MAX_VALID_TO_DAYS = 365
WRAPPING_KEY_LABEL = b"import-wrapping-key"
TOKEN_SECRET_PURPOSE = "import-token"
_AWS_ERRORS: dict[type[Exception], str] = {
    InvalidImportToken: "InvalidImportTokenException",
    ExpiredImportToken: "ExpiredImportTokenException",
    InvalidCiphertext: "InvalidCiphertextException",
    IncorrectKeyMaterial: "IncorrectKeyMaterialException",
    UnsupportedAlgorithm: "UnsupportedOperationException",
    UnsupportedKeySpec: "UnsupportedOperationException",
}


class ImportOps(ServiceBase):
    def get_parameters_for_import(self, caller: Caller, *, key_id: str, wrapping_algorithm: str,
                                  wrapping_key_spec: str) -> dict[str, Any]:
        params = {"keyId": key_id, "wrappingAlgorithm": wrapping_algorithm,
                  "wrappingKeySpec": wrapping_key_spec}

        def run(note: AuditNote) -> dict[str, Any]:
            _check_wrapping(wrapping_algorithm, wrapping_key_spec)
            key = self._import_key(caller, key_id, "GetParametersForImport", note)
            key_uuid = uuid.UUID(key.key_id)
            private, public = importing.new_wrapping_key(wrapping_key_spec)
            expires = int(self.clock.now()) + PARAMETERS_VALID_SECONDS
            token_id = os.urandom(tokens.TOKEN_ID_LEN)
            token = tokens.make_import_token(
                self._token_secret(), key_uuid, importing.wrapping_key_digest(public),
                expires, wrapping_algorithm=wrapping_algorithm, token_id=token_id)
            self.store.put_import_params(ImportParamsRecord(
                key_id=key.key_id, wrapping_private_wrapped=wrapping.wrap_material(
                    self._root_key, key_uuid, WRAPPING_KEY_LABEL, private),
                wrapping_public_der=public, wrapping_algorithm=wrapping_algorithm,
                wrapping_spec=wrapping_key_spec, token_id=token_id.hex(), expires=expires))
            return {"KeyId": key.arn, "ImportToken": token, "PublicKey": public,
                    "ParametersValidTo": float(expires)}

        return self._call(caller, "GetParametersForImport", params, run)

    def import_key_material(self, caller: Caller, *, key_id: str, import_token: bytes,
                            encrypted_key_material: bytes,
                            valid_to: datetime | float | None = None,
                            expiration_model: str | None = None,
                            import_type: str | None = None,
                            key_material_description: str | None = None,
                            key_material_id: str | None = None) -> dict[str, Any]:
        model = expiration_model or materials.EXPIRES
        expiry = _epoch(valid_to)
        params = {"keyId": key_id, "validTo": expiry, "expirationModel": expiration_model,
                  "importType": import_type, "keyMaterialDescription": key_material_description,
                  "keyMaterialId": key_material_id}

        def run(note: AuditNote) -> dict[str, Any]:
            expires_at = _expiry(model, expiry, self.clock.now())
            key = self._import_key(caller, key_id, "ImportKeyMaterial", note)
            _symmetric_only(key, import_type, key_material_description, key_material_id)
            secret = self._unwrap_import(key, import_token, encrypted_key_material)
            with _aws_errors():
                importing.validate_import_material(key.key_spec, secret)
            material_id = material_ids.to_hex(
                material_ids.imported_material_id(uuid.UUID(key.key_id), secret))
            history = self.store.list_materials(key.key_id)
            target = self._import_target(key, history, material_id, secret, import_type,
                                         key_material_id)
            wrapped = wrapping.wrap_material(self._root_key, uuid.UUID(key.key_id),
                                             material_ids.from_hex(material_id), secret)
            self._store_import(key, materials.with_import(
                target, wrapped, model, expires_at, key_material_description),
                is_new=all(m.material_id != material_id for m in history))
            note.material_id = material_id
            result = {"KeyId": key.arn}
            if key.key_spec == SYMMETRIC:
                result["KeyMaterialId"] = material_id
            return result

        return self._call(caller, "ImportKeyMaterial", params, run)

    def delete_imported_key_material(self, caller: Caller, *, key_id: str,
                                     key_material_id: str | None = None) -> dict[str, Any]:
        params = {"keyId": key_id, "keyMaterialId": key_material_id}

        def run(note: AuditNote) -> dict[str, Any]:
            key = self._key(caller, key_id, note, allow_alias=False)
            self._authorize(caller, key, "DeleteImportedKeyMaterial")
            _external(key)
            target = _deletion_target(key, self.store.list_materials(key.key_id),
                                      key_material_id)
            if target is None:  # nothing was ever imported: no effect
                return {"KeyId": key.arn}
            with self.store.transaction():
                self._drop_material(target)
                self.store.update_key(
                    materials.refreshed(key, self.store.list_materials(key.key_id)))
            note.material_id = target.material_id
            return {"KeyId": key.arn, "KeyMaterialId": target.material_id}

        return self._call(caller, "DeleteImportedKeyMaterial", params, run)

    # -- shared steps ----------------------------------------------------------------------

    def _import_key(self, caller: Caller, key_id: str, action: str,
                    note: AuditNote) -> KeyRecord:
        """An EXTERNAL key that is not pending deletion (GetParametersForImport,
        ImportKeyMaterial)."""
        key = self._key(caller, key_id, note, allow_alias=False)
        self._authorize(caller, key, action)
        _external(key)
        if key.state == PENDING_DELETION:
            raise invalid_state(f"{key.arn} is pending deletion.")
        return key

    def _token_secret(self) -> bytes:
        return kdf.derive_key(self._root_key, TOKEN_SECRET_PURPOSE)

    def _unwrap_import(self, key: KeyRecord, token: bytes, encrypted: bytes) -> bytes:
        """The key material, if the token is the one the key's current import parameters
        were issued with, still valid, and the material unwraps with their wrapping key."""
        key_uuid = uuid.UUID(key.key_id)
        with _aws_errors():
            issued = tokens.check_import_token(self._token_secret(), token, key_uuid,
                                               self.clock.now())
        held = self.store.get_import_params(key.key_id)
        if held is None or issued.token_id.hex() != held.token_id or \
                issued.wrapping_key_digest != importing.wrapping_key_digest(
                    held.wrapping_public_der):
            raise KmsError("InvalidImportTokenException",
                           f"The import token is not the current one for {key.arn}; call "
                           "GetParametersForImport again.")
        private = wrapping.unwrap_material(self._root_key, key_uuid, WRAPPING_KEY_LABEL,
                                           held.wrapping_private_wrapped)
        with _aws_errors():
            return importing.unwrap_import(private, held.wrapping_algorithm, encrypted)

    def _import_target(self, key: KeyRecord, history: Sequence[MaterialRecord],
                       material_id: str, secret: bytes, import_type: str | None,
                       wanted_id: str | None) -> MaterialRecord:
        """The material record this import fills: a new one (the key's first material, or
        symmetric material pending rotation), or the one it was before (a re-import)."""
        existing = next((m for m in history if m.material_id == material_id), None)
        kind = import_type or (EXISTING_KEY_MATERIAL if history else NEW_KEY_MATERIAL)
        if kind == EXISTING_KEY_MATERIAL:
            if existing is None or wanted_id not in (None, material_id):
                raise KmsError("IncorrectKeyMaterialException",
                               "The key material does not match the key material previously "
                               f"imported into {key.arn}.")
            return existing
        if wanted_id is not None:
            raise validation("KeyMaterialId cannot be specified when ImportType is "
                             f"{NEW_KEY_MATERIAL}.")
        if existing is not None:
            raise KmsError("IncorrectKeyMaterialException",
                           f"This key material is already associated with {key.arn}; import "
                           f"it with ImportType {EXISTING_KEY_MATERIAL}.")
        if any(materials.is_pending_rotation(m) for m in history):
            raise invalid_state(f"{key.arn} already has key material pending rotation; "
                                "rotate to it or delete it first.")
        public = asymmetric.public_der(secret) if key.key_spec in asymmetric.KEY_SPECS else None
        fresh = MaterialRecord(key_id=key.key_id, material_id=material_id, wrapped=None,
                               created=self.clock.now(), kind="imported", public_der=public)
        return materials.pending(fresh) if history else fresh

    def _store_import(self, key: KeyRecord, material: MaterialRecord, *, is_new: bool) -> None:
        with self.store.transaction():
            if is_new:
                self.store.add_material(material)
            else:
                self.store.update_material(material)
            self.store.update_key(materials.refreshed(key, self.store.list_materials(key.key_id)))


@contextmanager
def _aws_errors() -> Iterator[None]:
    """The cryptography layer's domain errors as the AWS errors they are."""
    try:
        yield
    except tuple(_AWS_ERRORS) as error:
        raise KmsError(_AWS_ERRORS[type(error)], str(error)) from None


def _external(key: KeyRecord) -> None:
    if key.origin != EXTERNAL:
        raise KmsError("UnsupportedOperationException",
                       f"{key.arn} origin is {key.origin} which is not valid for this "
                       "operation.")


def _check_wrapping(algorithm: str, spec: str) -> None:
    """RSAES_PKCS1_V1_5 (withdrawn by AWS in 2023), SM2PKE and SM2 (China Regions only)
    are refused."""
    if algorithm not in importing.WRAPPING_ALGORITHMS:
        raise KmsError("UnsupportedOperationException",
                       f"WrappingAlgorithm {algorithm} is not supported.")
    if spec not in importing.WRAPPING_KEY_SPECS:
        raise KmsError("UnsupportedOperationException",
                       f"WrappingKeySpec {spec} is not supported.")


def _symmetric_only(key: KeyRecord, *options: str | None) -> None:
    """ImportType, KeyMaterialDescription and KeyMaterialId exist for symmetric keys only."""
    if key.key_spec != SYMMETRIC and any(option is not None for option in options):
        raise validation("ImportType, KeyMaterialDescription and KeyMaterialId are only valid "
                         "for symmetric encryption KMS keys.")


def _epoch(value: datetime | float | None) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    return None if value is None else float(value)


def _expiry(model: str, valid_to: float | None, now: float) -> float | None:
    """When the imported material expires (None: never), or ValidationException."""
    if model not in materials.EXPIRATION_MODELS:
        raise validation(f"1 validation error detected: Value '{model}' at 'expirationModel' "
                         "failed to satisfy constraint: Member must satisfy enum value set: "
                         f"[{', '.join(materials.EXPIRATION_MODELS)}]")
    if model == materials.DOES_NOT_EXPIRE:
        if valid_to is not None:
            raise validation(f"ValidTo must not be set when ExpirationModel is {model}.")
        return None
    if valid_to is None:
        raise validation(f"ValidTo is required when ExpirationModel is {model}.")
    if valid_to <= now:
        raise validation("ValidTo must be a future date and time.")
    if valid_to > now + MAX_VALID_TO_DAYS * DAY:
        raise validation(f"ValidTo must be at most {MAX_VALID_TO_DAYS} days from now.")
    return valid_to


def _deletion_target(key: KeyRecord, history: Sequence[MaterialRecord],
                     wanted_id: str | None) -> MaterialRecord | None:
    """The material DeleteImportedKeyMaterial deletes: the one named, else the current."""
    if wanted_id is None:
        return materials.current_of(history)
    found = next((m for m in history if m.material_id == wanted_id), None)
    if found is None:
        raise not_found(f"Key material {wanted_id} is not associated with {key.arn}.")
    return found
