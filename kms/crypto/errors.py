"""Domain exceptions of the KMS cryptography layer.

The API layer maps each to an AWS error type; the suggested mapping is in each docstring.
Programming errors (a key of the wrong length handed in by our own code) stay `ValueError`.
"""

from __future__ import annotations


class KmsCryptoError(Exception):
    """Base class of every domain error raised by `kms.crypto`."""


class InvalidCiphertext(KmsCryptoError):
    """Malformed blob, failed authentication, or wrong encryption context.

    AWS: InvalidCiphertextException (AWS sends it with an empty message)."""


class IncorrectKey(KmsCryptoError):
    """The ciphertext was made under another KMS key than the one requested.

    AWS: IncorrectKeyException."""


class InvalidSignature(KmsCryptoError):
    """A signature or MAC did not verify. AWS: KMSInvalidSignatureException /
    KMSInvalidMacException. (`verify` and `verify_mac` return False; the service raises
    this.)"""


class UnsupportedAlgorithm(KmsCryptoError):
    """Unknown algorithm, or one the key spec does not support.

    AWS: InvalidKeyUsageException when the key cannot use it; ValidationException when
    the name is unknown."""


class UnsupportedKeySpec(KmsCryptoError):
    """A key spec this KMS does not implement (SM2, ML-DSA, ...).

    AWS: UnsupportedOperationException or ValidationException."""


class ValidationError(KmsCryptoError):
    """An input of the wrong shape: a DIGEST of the wrong length, an RSA plaintext over
    the OAEP limit, an encryption context that is not valid Unicode text.

    AWS: ValidationException."""


class InvalidImportToken(KmsCryptoError):
    """Garbage, a forged token, or a token issued for another key.

    AWS: InvalidImportTokenException."""


class ExpiredImportToken(KmsCryptoError):
    """A genuine token for this key whose validity has passed.

    AWS: ExpiredImportTokenException."""


class IncorrectKeyMaterial(KmsCryptoError):
    """Imported material of the wrong length or type for the key spec.

    AWS: IncorrectKeyMaterialException."""


class CorruptWrappedMaterial(KmsCryptoError):
    """Key material at rest failed to unwrap: wrong root key, tampering, or a wrapped
    material moved to another key. Never the client's fault.

    AWS: KMSInternalException."""
