"""Asymmetric and HMAC keys: GetPublicKey, Sign, Verify, GenerateMac, VerifyMac.

The private half of an asymmetric key and an HMAC key are material like any other: wrapped
by the root key at rest, unwrapped only for the call. The public key is kept in clear.
(RSA Encrypt/Decrypt and GenerateDataKeyPair live with the other encryption operations in
`crypto_ops`.)"""

from __future__ import annotations

from typing import Any

from kms.crypto import asymmetric, hmac_keys
from kms.service.base import AuditNote, ServiceBase
from kms.service.caller import Caller
from kms.service.crypto_ops import length_error
from kms.service.errors import KmsError, check_dry_run, validation
from kms.service.metadata import (
    GENERATE_VERIFY_MAC,
    SIGN_VERIFY,
    algorithm_lists,
    mac_algorithms,
    signing_algorithms,
)
from kms.store.records import KeyRecord

MAX_MESSAGE = 4096
MAX_SIGNATURE = 6144


class AsymmetricOps(ServiceBase):
    def get_public_key(self, caller: Caller, *, key_id: str,
                       grant_tokens: list[str] | None = None) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            key = self._key(caller, key_id, note)
            self._check_state("GetPublicKey", key)
            self._authorize(caller, key, "GetPublicKey")
            if key.key_spec not in asymmetric.KEY_SPECS:
                raise KmsError("UnsupportedOperationException",
                               f"{key.arn} is a {key.key_spec} key, which has no public key: "
                               "GetPublicKey works only with asymmetric KMS keys.")
            return {"KeyId": key.arn, "PublicKey": self._public_key(key),
                    "CustomerMasterKeySpec": key.key_spec, "KeySpec": key.key_spec,
                    "KeyUsage": key.key_usage, **algorithm_lists(key)}

        return self._call(caller, "GetPublicKey", {"keyId": key_id}, run,
                          grant_tokens=grant_tokens)

    def sign(self, caller: Caller, *, key_id: str, message: bytes, signing_algorithm: str,
             message_type: str = "RAW", grant_tokens: list[str] | None = None,
             dry_run: bool = False) -> dict[str, Any]:
        params = {"keyId": key_id, "messageType": message_type,
                  "signingAlgorithm": signing_algorithm}

        def run(note: AuditNote) -> dict[str, Any]:
            _check_length("message", message, MAX_MESSAGE)
            key = self._key_for(caller, key_id, "Sign", SIGN_VERIFY, note)
            kind = _check_signing(key, signing_algorithm, message, message_type)
            check_dry_run(dry_run)
            signature = asymmetric.sign(self._current_material(key), signing_algorithm,
                                        message, kind)
            return {"KeyId": key.arn, "Signature": signature,
                    "SigningAlgorithm": signing_algorithm}

        return self._call(caller, "Sign", params, run,
                          grant_tokens=grant_tokens)

    def verify(self, caller: Caller, *, key_id: str, message: bytes, signature: bytes,
               signing_algorithm: str, message_type: str = "RAW",
               grant_tokens: list[str] | None = None, dry_run: bool = False) -> dict[str, Any]:
        params = {"keyId": key_id, "messageType": message_type,
                  "signingAlgorithm": signing_algorithm}

        def run(note: AuditNote) -> dict[str, Any]:
            _check_length("message", message, MAX_MESSAGE)
            _check_length("signature", signature, MAX_SIGNATURE)
            key = self._key_for(caller, key_id, "Verify", SIGN_VERIFY, note)
            kind = _check_signing(key, signing_algorithm, message, message_type)
            check_dry_run(dry_run)
            if not asymmetric.verify(self._public_key(key), signing_algorithm, message, kind,
                                     signature):
                raise KmsError("KMSInvalidSignatureException", "")
            return {"KeyId": key.arn, "SignatureValid": True,
                    "SigningAlgorithm": signing_algorithm}

        return self._call(caller, "Verify", params, run,
                          grant_tokens=grant_tokens)

    def generate_mac(self, caller: Caller, *, key_id: str, message: bytes, mac_algorithm: str,
                     grant_tokens: list[str] | None = None,
                     dry_run: bool = False) -> dict[str, Any]:
        params = {"keyId": key_id, "macAlgorithm": mac_algorithm}

        def run(note: AuditNote) -> dict[str, Any]:
            _check_length("message", message, MAX_MESSAGE)
            key = self._key_for(caller, key_id, "GenerateMac", GENERATE_VERIFY_MAC, note)
            _check_algorithm(key, mac_algorithm, mac_algorithms(key))
            check_dry_run(dry_run)
            tag = hmac_keys.mac(self._current_material(key), mac_algorithm, message)
            return {"Mac": tag, "MacAlgorithm": mac_algorithm, "KeyId": key.arn}

        return self._call(caller, "GenerateMac", params, run,
                          grant_tokens=grant_tokens)

    def verify_mac(self, caller: Caller, *, key_id: str, message: bytes, mac_algorithm: str,
                   mac: bytes, grant_tokens: list[str] | None = None,
                   dry_run: bool = False) -> dict[str, Any]:
        params = {"keyId": key_id, "macAlgorithm": mac_algorithm}

        def run(note: AuditNote) -> dict[str, Any]:
            _check_length("message", message, MAX_MESSAGE)
            _check_length("mac", mac, MAX_SIGNATURE)
            key = self._key_for(caller, key_id, "VerifyMac", GENERATE_VERIFY_MAC, note)
            _check_algorithm(key, mac_algorithm, mac_algorithms(key))
            check_dry_run(dry_run)
            if not hmac_keys.verify_mac(self._current_material(key), mac_algorithm, message,
                                        mac):
                raise KmsError("KMSInvalidMacException", "")
            return {"KeyId": key.arn, "MacValid": True, "MacAlgorithm": mac_algorithm}

        return self._call(caller, "VerifyMac", params, run,
                          grant_tokens=grant_tokens)

    def _key_for(self, caller: Caller, key_id: str, operation: str, usage: str,
                 note: AuditNote) -> KeyRecord:
        """The key, checked for state, policy and KeyUsage (InvalidKeyUsageException)."""
        key = self._key(caller, key_id, note)
        self._check_state(operation, key)
        self._authorize(caller, key, operation)
        if key.key_usage != usage:
            raise KmsError("InvalidKeyUsageException",
                           f"{key.arn} key usage is {key.key_usage} which is not valid for "
                           f"{operation}.")
        return key


def _check_length(member: str, value: bytes, maximum: int) -> None:
    if not 1 <= len(value) <= maximum:
        raise validation(length_error(member, len(value), maximum))


def _check_algorithm(key: KeyRecord, algorithm: str, allowed: list[str]) -> None:
    if algorithm not in allowed:
        raise KmsError("InvalidKeyUsageException",
                       f"Algorithm {algorithm} is incompatible with key spec {key.key_spec}.")


def _check_signing(key: KeyRecord, algorithm: str, message: bytes,
                   message_type: str) -> asymmetric.MessageType:
    """The algorithm must be the key's; a DIGEST must be exactly the hash's length
    (EXTERNAL_MU is for ML-DSA keys, which this KMS does not make)."""
    _check_algorithm(key, algorithm, signing_algorithms(key))
    if message_type == "RAW":
        return "RAW"
    if message_type != "DIGEST":
        raise validation(f"Message type {message_type} is incompatible with key spec "
                         f"{key.key_spec}.")
    if len(message) != asymmetric.digest_length(algorithm):
        raise validation(f"Digest is invalid length for algorithm {algorithm}.")
    return "DIGEST"
