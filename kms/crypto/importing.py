"""Imported key material (Origin EXTERNAL): the RSA wrapping key of GetParametersForImport,
unwrapping of ImportKeyMaterial's EncryptedKeyMaterial, and checks on what came out.

Wrapping algorithms (what the customer does, e.g. with openssl, per the AWS docs):
- RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256: material encrypted directly with RSA-OAEP
  (MGF1 of the same hash, empty label). Fits symmetric/HMAC/ECC material only.
- RSA_AES_KEY_WRAP_SHA_1 / RSA_AES_KEY_WRAP_SHA_256 (PKCS#11 CKM_RSA_AES_KEY_WRAP):
  RSA-OAEP(ephemeral AES-256 key) || AES Key Wrap with Padding (RFC 5649)(material); the
  first part is exactly one modulus long.
RSAES_PKCS1_V1_5 (withdrawn by AWS) and SM2PKE are refused: UnsupportedAlgorithm.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding

from kms.crypto import asymmetric, hmac_keys
from kms.crypto.errors import (
    IncorrectKeyMaterial,
    InvalidCiphertext,
    UnsupportedAlgorithm,
    UnsupportedKeySpec,
)

WRAPPING_KEY_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096")
_OAEP_OF = {
    "RSAES_OAEP_SHA_1": "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256": "RSAES_OAEP_SHA_256",
    "RSA_AES_KEY_WRAP_SHA_1": "RSAES_OAEP_SHA_1",
    "RSA_AES_KEY_WRAP_SHA_256": "RSAES_OAEP_SHA_256",
}
WRAPPING_ALGORITHMS = tuple(_OAEP_OF)
EPHEMERAL_AES_KEY_LEN = 32
SYMMETRIC_MATERIAL_LEN = 32


def new_wrapping_key(spec: str) -> tuple[bytes, bytes]:
    """A fresh RSA wrapping key pair: (PKCS#8 private DER, SPKI public DER). The public
    half is GetParametersForImport's PublicKey."""
    if spec not in WRAPPING_KEY_SPECS:
        raise UnsupportedKeySpec(f"unsupported wrapping key spec {spec!r}")
    return asymmetric.data_key_pair(spec)


def wrapping_key_digest(public_der: bytes) -> bytes:
    """SHA-256 of the wrapping public key's DER: what an import token binds."""
    return hashlib.sha256(bytes(public_der)).digest()


def unwrap_import(private_der: bytes, algorithm: str, encrypted: bytes) -> bytes:
    """Recover the key material from EncryptedKeyMaterial. InvalidCiphertext if it does not
    unwrap; UnsupportedAlgorithm for a wrapping algorithm this KMS does not take."""
    if algorithm not in _OAEP_OF:
        raise UnsupportedAlgorithm(f"unsupported wrapping algorithm {algorithm!r}")
    oaep = _OAEP_OF[algorithm]
    encrypted = bytes(encrypted)
    if algorithm == oaep:
        return asymmetric.rsa_decrypt(private_der, oaep, encrypted)
    wrapping_key = asymmetric.load_private(private_der)
    if not isinstance(wrapping_key, rsa.RSAPrivateKey):
        raise ValueError("the wrapping key must be an RSA private key")
    modulus_len = wrapping_key.key_size // 8
    if len(encrypted) <= modulus_len:
        raise InvalidCiphertext("encrypted key material is too short for RSA-AES key wrap")
    aes_key = asymmetric.rsa_decrypt(private_der, oaep, encrypted[:modulus_len])
    if len(aes_key) != EPHEMERAL_AES_KEY_LEN:
        raise InvalidCiphertext("the RSA-wrapped key is not a 256-bit AES key")
    try:
        return aes_key_unwrap_with_padding(aes_key, encrypted[modulus_len:])
    except (InvalidUnwrap, ValueError):
        raise InvalidCiphertext("AES key wrap (RFC 5649) failed to unwrap") from None


def _is_pkcs8(der: bytes) -> bool:
    """Shape check only: SEQUENCE { INTEGER 0|1, SEQUENCE (AlgorithmIdentifier) ... }.
    Tells PKCS#8 from the 'traditional' PKCS#1 RSAPrivateKey and SEC1 ECPrivateKey forms,
    which `cryptography` would also load but AWS refuses."""
    if len(der) < 8 or der[0] != 0x30:
        return False
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    return der[i:i + 2] == b"\x02\x01" and der[i + 2] in (0, 1) and der[i + 3:i + 4] == b"\x30"


def validate_import_material(key_spec: str, material: bytes) -> None:
    """IncorrectKeyMaterial unless `material` fits a key of `key_spec`:
    SYMMETRIC_DEFAULT exactly 32 bytes; HMAC_* within `hmac_keys.IMPORT_LENGTHS`;
    RSA/ECC a PKCS#8 DER private key of exactly that size or curve."""
    material = bytes(material)
    if key_spec == "SYMMETRIC_DEFAULT":
        if len(material) != SYMMETRIC_MATERIAL_LEN:
            raise IncorrectKeyMaterial("symmetric key material must be exactly 32 bytes")
    elif key_spec in hmac_keys.IMPORT_LENGTHS:
        low, high = hmac_keys.IMPORT_LENGTHS[key_spec]
        if not low <= len(material) <= high:
            raise IncorrectKeyMaterial(f"{key_spec} key material must be {low}-{high} bytes")
    elif key_spec in asymmetric.KEY_SPECS:
        if not _is_pkcs8(material):
            raise IncorrectKeyMaterial("asymmetric key material must be a PKCS#8 DER key")
        try:
            asymmetric.load_private(material, validate=True)
            spec = asymmetric.spec_of(asymmetric.public_der(material))
        except (ValueError, TypeError, UnsupportedKeySpec):
            raise IncorrectKeyMaterial("key material is not a usable private key") from None
        if spec != key_spec:
            raise IncorrectKeyMaterial(f"key material is {spec}, the key is {key_spec}")
    else:
        raise UnsupportedKeySpec(f"cannot import material for key spec {key_spec!r}")
