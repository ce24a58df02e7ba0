"""Encryption: Encrypt, Decrypt, ReEncrypt, GenerateDataKey and GenerateDataKeyPair (with
and without plaintext), GenerateRandom.

Symmetric ciphertexts name their key and key material, so a rotated key decrypts every old
ciphertext in one lookup, and Decrypt needs no KeyId. RSA ciphertexts (ENCRYPT_DECRYPT RSA
keys, RSAES_OAEP_SHA_1/256) are raw RSA-OAEP output, as AWS's are: they name nothing, so
Decrypt needs the KeyId and the EncryptionAlgorithm, and anyone holding the public key
(GetPublicKey) can make one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kms.crypto import asymmetric, blob, material_ids
from kms.crypto.errors import IncorrectKey, InvalidCiphertext
from kms.service.base import AuditNote, ServiceBase
from kms.service.caller import Caller
from kms.service.errors import KmsError, check_dry_run, validation
from kms.service.metadata import ENCRYPT_DECRYPT, SYMMETRIC, encryption_algorithms
from kms.store.records import KeyRecord

MAX_PLAINTEXT = 4096
DATA_KEY_SPECS = {"AES_256": 32, "AES_128": 16}


@dataclass(frozen=True)
class _Opened:
    """A decrypted ciphertext: who made it, how, and (symmetric only) with which material."""

    key: KeyRecord
    plaintext: bytes
    algorithm: str
    material_id: str | None


class CryptoOps(ServiceBase):
    def encrypt(self, caller: Caller, *, key_id: str, plaintext: bytes,
                encryption_context: Mapping[str, str] | None = None,
                encryption_algorithm: str | None = None, grant_tokens: list[str] | None = None,
                dry_run: bool = False) -> dict[str, Any]:
        algorithm = encryption_algorithm or SYMMETRIC
        params = {"keyId": key_id, "encryptionContext": encryption_context,
                  "encryptionAlgorithm": algorithm}

        def run(note: AuditNote) -> dict[str, Any]:
            if not 1 <= len(plaintext) <= MAX_PLAINTEXT:
                raise validation(length_error("plaintext", len(plaintext), MAX_PLAINTEXT))
            key = self._usable(caller, key_id, "Encrypt", note, encryption_context, algorithm)
            check_dry_run(dry_run)
            sealed = self._encrypt_with(key, algorithm, plaintext, encryption_context, note)
            return {"CiphertextBlob": sealed, "KeyId": key.arn, "EncryptionAlgorithm": algorithm}

        return self._call(caller, "Encrypt", params, run,
                          grant_tokens=grant_tokens)

    def decrypt(self, caller: Caller, *, ciphertext_blob: bytes,
                encryption_context: Mapping[str, str] | None = None,
                key_id: str | None = None, encryption_algorithm: str | None = None,
                grant_tokens: list[str] | None = None,
                dry_run: bool = False) -> dict[str, Any]:
        params = {"keyId": key_id, "encryptionContext": encryption_context,
                  "encryptionAlgorithm": encryption_algorithm or SYMMETRIC}

        def run(note: AuditNote) -> dict[str, Any]:
            opened = self._open(caller, ciphertext_blob, encryption_context, key_id,
                                encryption_algorithm, "Decrypt", note)
            check_dry_run(dry_run)
            result = {"KeyId": opened.key.arn, "Plaintext": opened.plaintext,
                      "EncryptionAlgorithm": opened.algorithm}
            if opened.material_id is not None:
                result["KeyMaterialId"] = opened.material_id
            return result

        return self._call(caller, "Decrypt", params, run,
                          grant_tokens=grant_tokens)

    def re_encrypt(self, caller: Caller, *, ciphertext_blob: bytes, destination_key_id: str,
                   source_encryption_context: Mapping[str, str] | None = None,
                   source_key_id: str | None = None,
                   destination_encryption_context: Mapping[str, str] | None = None,
                   source_encryption_algorithm: str | None = None,
                   destination_encryption_algorithm: str | None = None,
                   grant_tokens: list[str] | None = None,
                   dry_run: bool = False) -> dict[str, Any]:
        destination_algorithm = destination_encryption_algorithm or SYMMETRIC
        params = {"sourceKeyId": source_key_id, "destinationKeyId": destination_key_id,
                  "sourceEncryptionContext": source_encryption_context,
                  "destinationEncryptionContext": destination_encryption_context,
                  "sourceEncryptionAlgorithm": source_encryption_algorithm or SYMMETRIC,
                  "destinationEncryptionAlgorithm": destination_algorithm}

        def run(note: AuditNote) -> dict[str, Any]:
            source = self._open(caller, ciphertext_blob, source_encryption_context,
                                source_key_id, source_encryption_algorithm, "ReEncryptFrom",
                                note)
            destination = self._usable(caller, destination_key_id, "ReEncryptTo", note,
                                       destination_encryption_context, destination_algorithm)
            check_dry_run(dry_run)
            sealed = self._encrypt_with(destination, destination_algorithm, source.plaintext,
                                        destination_encryption_context, note)
            result = {"CiphertextBlob": sealed, "SourceKeyId": source.key.arn,
                      "KeyId": destination.arn, "SourceEncryptionAlgorithm": source.algorithm,
                      "DestinationEncryptionAlgorithm": destination_algorithm}
            if source.material_id is not None:
                result["SourceKeyMaterialId"] = source.material_id
            if destination_algorithm == SYMMETRIC:
                result["DestinationKeyMaterialId"] = destination.current_material_id
            return result

        return self._call(caller, "ReEncrypt", params, run,
                          grant_tokens=grant_tokens)

    def generate_data_key(self, caller: Caller, *, key_id: str,
                          encryption_context: Mapping[str, str] | None = None,
                          number_of_bytes: int | None = None, key_spec: str | None = None,
                          grant_tokens: list[str] | None = None,
                          dry_run: bool = False) -> dict[str, Any]:
        return self._data_key(caller, "GenerateDataKey", key_id, encryption_context,
                              number_of_bytes, key_spec, dry_run, grant_tokens,
                              with_plaintext=True)

    def generate_data_key_without_plaintext(
            self, caller: Caller, *, key_id: str,
            encryption_context: Mapping[str, str] | None = None,
            number_of_bytes: int | None = None, key_spec: str | None = None,
            grant_tokens: list[str] | None = None, dry_run: bool = False) -> dict[str, Any]:
        return self._data_key(caller, "GenerateDataKeyWithoutPlaintext", key_id,
                              encryption_context, number_of_bytes, key_spec, dry_run,
                              grant_tokens, with_plaintext=False)

    def generate_data_key_pair(self, caller: Caller, *, key_id: str, key_pair_spec: str,
                               encryption_context: Mapping[str, str] | None = None,
                               grant_tokens: list[str] | None = None,
                               recipient: Mapping[str, Any] | None = None,
                               dry_run: bool = False) -> dict[str, Any]:
        return self._data_key_pair(caller, "GenerateDataKeyPair", key_id, key_pair_spec,
                                   encryption_context, dry_run, grant_tokens,
                                   recipient=recipient, with_plaintext=True)

    def generate_data_key_pair_without_plaintext(
            self, caller: Caller, *, key_id: str, key_pair_spec: str,
            encryption_context: Mapping[str, str] | None = None,
            grant_tokens: list[str] | None = None, dry_run: bool = False) -> dict[str, Any]:
        return self._data_key_pair(caller, "GenerateDataKeyPairWithoutPlaintext", key_id,
                                   key_pair_spec, encryption_context, dry_run, grant_tokens,
                                   recipient=None, with_plaintext=False)

    def generate_random(self, caller: Caller, *, number_of_bytes: int | None = None,
                        custom_key_store_id: str | None = None) -> dict[str, Any]:
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
                  key_spec: str | None, dry_run: bool, grant_tokens: list[str] | None, *,
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
            key = self._usable(caller, key_id, event, note, context, SYMMETRIC)
            check_dry_run(dry_run)
            data_key = os.urandom(size)
            result = {"CiphertextBlob": self._seal(key, data_key, context, note),
                      "KeyId": key.arn, "KeyMaterialId": key.current_material_id}
            if with_plaintext:
                result["Plaintext"] = data_key
            return result

        return self._call(caller, event, params, run, grant_tokens=grant_tokens)

    def _data_key_pair(self, caller: Caller, event: str, key_id: str, key_pair_spec: str,
                       context: Mapping[str, str] | None, dry_run: bool,
                       grant_tokens: list[str] | None, *,
                       recipient: Mapping[str, Any] | None,
                       with_plaintext: bool) -> dict[str, Any]:
        """A fresh key pair; the private key (PKCS#8 DER) is encrypted under the symmetric
        KMS key exactly as Encrypt would, so plain Decrypt recovers it."""
        params = {"keyId": key_id, "encryptionContext": context, "keyPairSpec": key_pair_spec}

        def run(note: AuditNote) -> dict[str, Any]:
            if recipient is not None:
                raise KmsError("UnsupportedOperationException",
                               "Recipient (a Nitro Enclaves or NitroTPM attestation document) "
                               "is not supported by this KMS.")
            if key_pair_spec not in asymmetric.KEY_PAIR_SPECS:
                raise KmsError("UnsupportedOperationException",
                               f"KeyPairSpec {key_pair_spec} is not supported by this KMS: it "
                               f"makes {', '.join(asymmetric.KEY_PAIR_SPECS)} key pairs.")
            key = self._usable(caller, key_id, event, note, context, SYMMETRIC)
            check_dry_run(dry_run)
            private, public = asymmetric.data_key_pair(key_pair_spec)
            result = {"PrivateKeyCiphertextBlob": self._seal(key, private, context, note),
                      "PublicKey": public, "KeyId": key.arn, "KeyPairSpec": key_pair_spec,
                      "KeyMaterialId": key.current_material_id}
            if with_plaintext:
                result["PrivateKeyPlaintext"] = private
            return result

        return self._call(caller, event, params, run, grant_tokens=grant_tokens)

    def _usable(self, caller: Caller, key_id: str, action: str, note: AuditNote,
                context: Mapping[str, str] | None, algorithm: str) -> KeyRecord:
        """The key, checked for state, policy, usage and algorithm, for an encryption
        operation with `algorithm` (data keys and key pairs pass SYMMETRIC_DEFAULT)."""
        key = self._key(caller, key_id, note)
        operation = _state_operation(action)
        self._check_state(operation, key)
        self._authorize(caller, key, action, context)
        _check_encryption_key(key, operation, algorithm, context)
        return key

    def _encrypt_with(self, key: KeyRecord, algorithm: str, plaintext: bytes,
                      context: Mapping[str, str] | None, note: AuditNote) -> bytes:
        if algorithm == SYMMETRIC:
            return self._seal(key, plaintext, context, note)
        limit = asymmetric.max_plaintext_length(key.key_spec, algorithm)
        if len(plaintext) > limit:
            raise validation(f"Algorithm {algorithm} and key spec {key.key_spec} cannot "
                             f"encrypt data larger than {limit} bytes.")
        return asymmetric.rsa_encrypt(self._public_key(key), algorithm, plaintext)

    def _seal(self, key: KeyRecord, plaintext: bytes, context: Mapping[str, str] | None,
              note: AuditNote) -> bytes:
        material_id = key.current_material_id
        assert material_id is not None, "an enabled symmetric key has material"
        note.material_id = material_id
        return blob.seal(self._material(key, material_id), uuid.UUID(key.key_id),
                         material_ids.from_hex(material_id), plaintext, context)

    def _open(self, caller: Caller, ciphertext: bytes, context: Mapping[str, str] | None,
              key_id: str | None, algorithm: str | None, action: str,
              note: AuditNote) -> _Opened:
        """Decrypt for Decrypt or ReEncrypt. Without a KeyId, or with the symmetric
        algorithm, the ciphertext must be a KMS blob (which names its key); an RSA
        ciphertext needs both the KeyId and its RSAES_OAEP_* algorithm."""
        if key_id is not None and algorithm not in (None, SYMMETRIC):
            return self._open_rsa(caller, ciphertext, context, key_id, algorithm, action, note)
        return self._open_blob(caller, ciphertext, context, key_id, algorithm or SYMMETRIC,
                               action, note)

    def _open_rsa(self, caller: Caller, ciphertext: bytes, context: Mapping[str, str] | None,
                  key_id: str, algorithm: str, action: str, note: AuditNote) -> _Opened:
        key = self._usable(caller, key_id, action, note, context, algorithm)
        try:
            plaintext = asymmetric.rsa_decrypt(self._current_material(key), algorithm,
                                               ciphertext)
        except InvalidCiphertext:
            raise KmsError("InvalidCiphertextException", "") from None
        return _Opened(key, plaintext, algorithm, None)

    def _open_blob(self, caller: Caller, ciphertext: bytes, context: Mapping[str, str] | None,
                   key_id: str | None, algorithm: str, action: str,
                   note: AuditNote) -> _Opened:
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
        return _Opened(key, plaintext, SYMMETRIC, material_id)


def _check_encryption_key(key: KeyRecord, operation: str, algorithm: str,
                          context: Mapping[str, str] | None) -> None:
    """InvalidKeyUsageException unless the key encrypts with `algorithm`; an encryption
    context only goes with symmetric keys (ValidationException otherwise)."""
    if key.key_usage != ENCRYPT_DECRYPT:
        raise KmsError("InvalidKeyUsageException",
                       f"{key.arn} key usage is {key.key_usage} which is not valid for "
                       f"{operation}.")
    if algorithm not in encryption_algorithms(key):
        raise KmsError("InvalidKeyUsageException",
                       f"Algorithm {algorithm} is incompatible with key spec {key.key_spec}.")
    if context and key.key_spec != SYMMETRIC:
        raise validation("EncryptionContext is not supported when encrypting/decrypting with "
                         "asymmetric CMKs.")


def _state_operation(action: str) -> str:
    return "ReEncrypt" if action.startswith("ReEncrypt") else action


def length_error(member: str, length: int, maximum: int) -> str:
    return (f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            f"Member must have length {'less' if length else 'greater'} than or equal to "
            f"{maximum if length else 1}")


def _range_error(member: str, value: int | None, maximum: int) -> str:
    bound = (f"less than or equal to {maximum}" if (value or 0) > 1
             else "greater than or equal to 1")
    return (f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
            f"constraint: Member must have value {bound}")
