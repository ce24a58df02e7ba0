"""Symmetric cryptography: Encrypt, Decrypt, ReEncrypt, GenerateDataKey (with and without
plaintext), GenerateRandom. Ciphertexts name their key and key material, so a rotated key
decrypts every old ciphertext in one lookup, and Decrypt needs no KeyId."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from typing import Any

from kms.crypto import blob, material_ids
from kms.crypto.errors import IncorrectKey, InvalidCiphertext
from kms.service.base import AuditNote, ServiceBase
from kms.service.caller import Caller
from kms.service.errors import KmsError, validation
from kms.store.records import KeyRecord

SYMMETRIC = "SYMMETRIC_DEFAULT"
MAX_PLAINTEXT = 4096
DATA_KEY_SPECS = {"AES_256": 32, "AES_128": 16}


class CryptoOps(ServiceBase):
    def encrypt(self, caller: Caller, *, key_id: str, plaintext: bytes,
                encryption_context: Mapping[str, str] | None = None,
                encryption_algorithm: str | None = None, grant_tokens: list[str] | None = None,
                dry_run: bool = False) -> dict[str, Any]:
        params = {"keyId": key_id, "encryptionContext": encryption_context,
                  "encryptionAlgorithm": encryption_algorithm or SYMMETRIC}

        def run(note: AuditNote) -> dict[str, Any]:
            if not 1 <= len(plaintext) <= MAX_PLAINTEXT:
                raise validation(_length_error("plaintext", len(plaintext), MAX_PLAINTEXT))
            key = self._usable(caller, key_id, "Encrypt", note, encryption_context,
                               encryption_algorithm)
            _dry_run(dry_run)
            sealed = self._seal(key, plaintext, encryption_context, note)
            return {"CiphertextBlob": sealed, "KeyId": key.arn,
                    "EncryptionAlgorithm": SYMMETRIC}

        return self._call(caller, "Encrypt", params, run)

    def decrypt(self, caller: Caller, *, ciphertext_blob: bytes,
                encryption_context: Mapping[str, str] | None = None,
                key_id: str | None = None, encryption_algorithm: str | None = None,
                grant_tokens: list[str] | None = None, dry_run: bool = False,
                **unsupported: Any) -> dict[str, Any]:
        params = {"keyId": key_id, "encryptionContext": encryption_context,
                  "encryptionAlgorithm": encryption_algorithm or SYMMETRIC}

        def run(note: AuditNote) -> dict[str, Any]:
            key, plaintext, material_id = self._open(caller, ciphertext_blob,
                                                     encryption_context, key_id,
                                                     encryption_algorithm, "Decrypt", note)
            _dry_run(dry_run)
            return {"KeyId": key.arn, "Plaintext": plaintext,
                    "EncryptionAlgorithm": SYMMETRIC, "KeyMaterialId": material_id}

        return self._call(caller, "Decrypt", params, run)

    def re_encrypt(self, caller: Caller, *, ciphertext_blob: bytes, destination_key_id: str,
                   source_encryption_context: Mapping[str, str] | None = None,
                   source_key_id: str | None = None,
                   destination_encryption_context: Mapping[str, str] | None = None,
                   source_encryption_algorithm: str | None = None,
                   destination_encryption_algorithm: str | None = None,
                   grant_tokens: list[str] | None = None,
                   dry_run: bool = False) -> dict[str, Any]:
        params = {"sourceKeyId": source_key_id, "destinationKeyId": destination_key_id,
                  "sourceEncryptionContext": source_encryption_context,
                  "destinationEncryptionContext": destination_encryption_context}

        def run(note: AuditNote) -> dict[str, Any]:
            source, plaintext, source_material = self._open(
                caller, ciphertext_blob, source_encryption_context, source_key_id,
                source_encryption_algorithm, "ReEncryptFrom", note)
            destination = self._usable(caller, destination_key_id, "ReEncryptTo", note,
                                       destination_encryption_context,
                                       destination_encryption_algorithm)
            _dry_run(dry_run)
            sealed = self._seal(destination, plaintext, destination_encryption_context, note)
            return {"CiphertextBlob": sealed, "SourceKeyId": source.arn,
                    "KeyId": destination.arn, "SourceEncryptionAlgorithm": SYMMETRIC,
                    "DestinationEncryptionAlgorithm": SYMMETRIC,
                    "SourceKeyMaterialId": source_material,
                    "DestinationKeyMaterialId": destination.current_material_id}

        return self._call(caller, "ReEncrypt", params, run)

    def generate_data_key(self, caller: Caller, *, key_id: str,
                          encryption_context: Mapping[str, str] | None = None,
                          number_of_bytes: int | None = None, key_spec: str | None = None,
                          grant_tokens: list[str] | None = None,
                          dry_run: bool = False, **unsupported: Any) -> dict[str, Any]:
        return self._data_key(caller, "GenerateDataKey", key_id, encryption_context,
                              number_of_bytes, key_spec, dry_run, with_plaintext=True)

    def generate_data_key_without_plaintext(
            self, caller: Caller, *, key_id: str,
            encryption_context: Mapping[str, str] | None = None,
            number_of_bytes: int | None = None, key_spec: str | None = None,
            grant_tokens: list[str] | None = None, dry_run: bool = False) -> dict[str, Any]:
        return self._data_key(caller, "GenerateDataKeyWithoutPlaintext", key_id,
                              encryption_context, number_of_bytes, key_spec, dry_run,
                              with_plaintext=False)

    def generate_random(self, caller: Caller, *, number_of_bytes: int | None = None,
                        custom_key_store_id: str | None = None,
                        **unsupported: Any) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            if custom_key_store_id is not None:
                raise KmsError("CustomKeyStoreNotFoundException",
                               "Custom key stores are not supported by this KMS.")
            if number_of_bytes is None or not 1 <= number_of_bytes <= 1024:
                raise validation(_range_error("numberOfBytes", number_of_bytes, 1024))
            return {"Plaintext": os.urandom(number_of_bytes)}

        return self._call(caller, "GenerateRandom", {"numberOfBytes": number_of_bytes}, run)

    # -- shared steps ----------------------------------------------------------------------

    def _data_key(self, caller: Caller, event: str, key_id: str,
                  context: Mapping[str, str] | None, number_of_bytes: int | None,
                  key_spec: str | None, dry_run: bool, *,
                  with_plaintext: bool) -> dict[str, Any]:
        params = {"keyId": key_id, "encryptionContext": context,
                  "numberOfBytes": number_of_bytes, "keySpec": key_spec}

        def run(note: AuditNote) -> dict[str, Any]:
            if (number_of_bytes is None) == (key_spec is None):
                raise validation("Please specify either number of bytes or key spec.")
            if key_spec is not None and key_spec not in DATA_KEY_SPECS:
                raise validation(f"1 validation error detected: Value '{key_spec}' at "
                                 "'keySpec' failed to satisfy constraint: Member must satisfy "
                                 "enum value set: [AES_256, AES_128]")
            size = DATA_KEY_SPECS[key_spec] if key_spec else number_of_bytes
            assert size is not None
            if not 1 <= size <= 1024:
                raise validation(_range_error("numberOfBytes", size, 1024))
            key = self._usable(caller, key_id, event, note, context, None)
            _dry_run(dry_run)
            data_key = os.urandom(size)
            result = {"CiphertextBlob": self._seal(key, data_key, context, note),
                      "KeyId": key.arn, "KeyMaterialId": key.current_material_id}
            if with_plaintext:
                result["Plaintext"] = data_key
            return result

        return self._call(caller, event, params, run)

    def _usable(self, caller: Caller, key_id: str, action: str, note: AuditNote,
                context: Mapping[str, str] | None, algorithm: str | None) -> KeyRecord:
        """The key, checked for state, policy and usage, for a symmetric operation."""
        key = self._key(caller, key_id, note)
        self._check_state(_state_operation(action), key)
        self._authorize(caller, key, action, context)
        if key.key_spec != SYMMETRIC or key.key_usage != "ENCRYPT_DECRYPT":
            raise KmsError("InvalidKeyUsageException",
                           f"{key.arn} key usage is {key.key_usage} which is not valid for "
                           f"{action}.")
        if algorithm not in (None, SYMMETRIC):
            raise KmsError("InvalidKeyUsageException",
                           f"The encryption algorithm {algorithm} is not valid for {key.arn}.")
        return key

    def _seal(self, key: KeyRecord, plaintext: bytes, context: Mapping[str, str] | None,
              note: AuditNote) -> bytes:
        material_id = key.current_material_id
        assert material_id is not None, "an enabled symmetric key has material"
        note.material_id = material_id
        return blob.seal(self._material(key, material_id), uuid.UUID(key.key_id),
                         material_ids.from_hex(material_id), plaintext, context)

    def _open(self, caller: Caller, ciphertext: bytes, context: Mapping[str, str] | None,
              key_id: str | None, algorithm: str | None, action: str,
              note: AuditNote) -> tuple[KeyRecord, bytes, str]:
        try:
            header = blob.parse(ciphertext)
        except InvalidCiphertext:
            raise KmsError("InvalidCiphertextException", "") from None
        named = str(header.key_id)
        if key_id is not None:
            wanted = self._key(caller, key_id, note)
            if wanted.key_id != named:
                raise KmsError("IncorrectKeyException",
                               "The key ID in the request does not identify a CMK that can "
                               "perform this operation.")
        key = self._usable(caller, named, action, note, context, algorithm)
        material_id = material_ids.to_hex(header.material_id)
        note.material_id = material_id
        try:
            plaintext = blob.open_blob(self._material(key, material_id), ciphertext, context,
                                       key_id=header.key_id)
        except (InvalidCiphertext, IncorrectKey):
            raise KmsError("InvalidCiphertextException", "") from None
        return key, plaintext, material_id


def _state_operation(action: str) -> str:
    return "ReEncrypt" if action.startswith("ReEncrypt") else action


def _dry_run(dry_run: bool) -> None:
    if dry_run:
        raise KmsError("DryRunOperationException",
                       "The request would have succeeded, but the DryRun option is set.")


def _length_error(member: str, length: int, maximum: int) -> str:
    return (f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            f"Member must have length {'less' if length else 'greater'} than or equal to "
            f"{maximum if length else 1}")


def _range_error(member: str, value: int | None, maximum: int) -> str:
    bound = (f"less than or equal to {maximum}" if (value or 0) > 1
             else "greater than or equal to 1")
    return (f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
            f"constraint: Member must have value {bound}")
