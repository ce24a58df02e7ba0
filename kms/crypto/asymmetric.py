"""Asymmetric KMS keys: generation, GetPublicKey, Sign/Verify, RSA-OAEP Encrypt/Decrypt.

Private keys are PKCS#8 DER (what GenerateDataKeyPair returns as PrivateKeyPlaintext and
what ImportKeyMaterial takes); public keys are SubjectPublicKeyInfo DER (GetPublicKey).

As AWS does:
- RSASSA-PSS uses MGF1 with the message hash and a salt as long as the hash.
- ECDSA signatures are DER `ECDSA-Sig-Value` (X9.62 / RFC 3279); the curve fixes the hash.
- RSAES-OAEP uses the same hash for OAEP and MGF1 and an empty label.
- MessageType DIGEST: the message is the hash, exactly the hash's length, not hashed again.
"""

from __future__ import annotations

from typing import Literal

from cryptography.exceptions import InvalidSignature as _BadSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

from kms.crypto.errors import (
    InvalidCiphertext,
    UnsupportedAlgorithm,
    UnsupportedKeySpec,
    ValidationError,
)

MessageType = Literal["RAW", "DIGEST"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

RSA_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ECC_NIST_P256": ec.SECP256R1,
    "ECC_NIST_P384": ec.SECP384R1,
    "ECC_NIST_P521": ec.SECP521R1,
    "ECC_SECG_P256K1": ec.SECP256K1,
}
_CURVE_SPEC = {curve.name: spec for spec, curve in _CURVES.items()}
_ECDSA = {
    "ECC_NIST_P256": "ECDSA_SHA_256",
    "ECC_NIST_P384": "ECDSA_SHA_384",
    "ECC_NIST_P521": "ECDSA_SHA_512",
    "ECC_SECG_P256K1": "ECDSA_SHA_256",
}
ED25519 = "ECC_NIST_EDWARDS25519"

# Specs a KMS key (CreateKey, SIGN_VERIFY / ENCRYPT_DECRYPT) may have here.
KEY_SPECS = (*RSA_BITS, *_CURVES)
# Specs GenerateDataKeyPair can produce here (SM2 and ML-KEM are not implemented).
KEY_PAIR_SPECS = (*KEY_SPECS, ED25519)

RSA_SIGNING_ALGORITHMS = (
    "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
)
RSA_ENCRYPTION_ALGORITHMS = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA_1": hashes.SHA1,
    "SHA_256": hashes.SHA256,
    "SHA_384": hashes.SHA384,
    "SHA_512": hashes.SHA512,
}


def _hash_of(algorithm: str) -> hashes.HashAlgorithm:
    """The hash named by the algorithm's suffix, e.g. RSASSA_PSS_SHA_384 -> SHA384()."""
    for suffix, cls in _HASHES.items():
        if algorithm.endswith("_" + suffix):
            return cls()
    raise UnsupportedAlgorithm(f"unknown algorithm {algorithm!r}")


# ---- keys ------------------------------------------------------------------------------

def _private_key(spec: str) -> PrivateKey:
    if spec in RSA_BITS:
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS[spec])
    if spec in _CURVES:
        return ec.generate_private_key(_CURVES[spec]())
    if spec == ED25519:
        return ed25519.Ed25519PrivateKey.generate()
    raise UnsupportedKeySpec(f"unsupported key spec {spec!r}")


def _pkcs8(key: PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _spki(key: PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def generate(spec: str) -> bytes:
    """New private key material for a KMS key of `spec` (one of KEY_SPECS), PKCS#8 DER."""
    if spec not in KEY_SPECS:
        raise UnsupportedKeySpec(f"unsupported key spec {spec!r}")
    return _pkcs8(_private_key(spec))


def data_key_pair(spec: str) -> tuple[bytes, bytes]:
    """(PKCS#8 private DER, SPKI public DER) for GenerateDataKeyPair (one of KEY_PAIR_SPECS)."""
    if spec not in KEY_PAIR_SPECS:
        raise UnsupportedKeySpec(f"unsupported key pair spec {spec!r}")
    key = _private_key(spec)
    return _pkcs8(key), _spki(key.public_key())


def load_private(private_der: bytes, *, validate: bool = False) -> PrivateKey:
    """Load PKCS#8 DER. ValueError if it is not a private key of a supported type.

    The RSA consistency check costs 75-480 ms per load (RSA_2048-RSA_4096), so it is off by
    default: KMS material is either generated here or checked once at import
    (`importing.validate_import_material` passes validate=True), and is authenticated at
    rest by the root-key wrapping."""
    key = serialization.load_der_private_key(bytes(private_der), password=None,
                                             unsafe_skip_rsa_key_validation=not validate)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
                      | ed25519.Ed25519PrivateKey):
        raise ValueError(f"unsupported private key type {type(key).__name__}")
    return key


def load_public(der: bytes) -> PublicKey:
    """Load SPKI DER, or the public half of PKCS#8 DER."""
    der = bytes(der)
    try:
        key = serialization.load_der_public_key(der)
    except ValueError:
        return load_private(der).public_key()
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey
                      | ed25519.Ed25519PublicKey):
        raise ValueError(f"unsupported public key type {type(key).__name__}")
    return key


def public_der(private_der: bytes) -> bytes:
    """SubjectPublicKeyInfo DER of a private (or public) key: what GetPublicKey returns."""
    return _spki(load_public(private_der))


def spec_of(der: bytes) -> str:
    """The KMS key spec of a private or public key, e.g. "RSA_3072", "ECC_NIST_P256".
    UnsupportedKeySpec for other sizes/curves (e.g. RSA_1024, brainpool)."""
    return _spec_of_key(load_public(der))


def _spec_of_key(key: PublicKey) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        spec = f"RSA_{key.key_size}"
        if spec in RSA_BITS:
            return spec
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name in _CURVE_SPEC:
            return _CURVE_SPEC[key.curve.name]
    elif isinstance(key, ed25519.Ed25519PublicKey):
        return ED25519
    raise UnsupportedKeySpec("key size or curve not supported by KMS")


def pem_public(der: bytes) -> str:
    """The public key (SPKI DER, as GetPublicKey returns it) as PEM text."""
    return load_public(der).public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def openssh_public(der: bytes, comment: str = "") -> str:
    """The public key as one OpenSSH `authorized_keys` line (`ssh-rsa AAAA... comment`).
    UnsupportedKeySpec for secp256k1, which OpenSSH has no name for."""
    key = load_public(der)
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256k1":
        raise UnsupportedKeySpec("OpenSSH has no format for secp256k1 keys")
    line = key.public_bytes(serialization.Encoding.OpenSSH,
                            serialization.PublicFormat.OpenSSH).decode("ascii")
    return f"{line} {comment}" if comment else line


# ---- algorithm lists -------------------------------------------------------------------

def _check_spec(spec: str) -> None:
    if spec not in KEY_SPECS:
        raise UnsupportedKeySpec(f"unsupported key spec {spec!r}")


def signing_algorithms(spec: str) -> list[str]:
    """SigningAlgorithms for a SIGN_VERIFY key of `spec`, in AWS's order."""
    _check_spec(spec)
    return list(RSA_SIGNING_ALGORITHMS) if spec in RSA_BITS else [_ECDSA[spec]]


def encryption_algorithms(spec: str) -> list[str]:
    """EncryptionAlgorithms for an ENCRYPT_DECRYPT key of `spec` ([] for ECC keys)."""
    _check_spec(spec)
    return list(RSA_ENCRYPTION_ALGORITHMS) if spec in RSA_BITS else []


def digest_length(algorithm: str) -> int:
    """Bytes a DIGEST message must have for a signing algorithm (32, 48 or 64)."""
    if algorithm not in RSA_SIGNING_ALGORITHMS and algorithm not in _ECDSA.values():
        raise UnsupportedAlgorithm(f"unknown signing algorithm {algorithm!r}")
    return _hash_of(algorithm).digest_size


# ---- sign / verify ---------------------------------------------------------------------

def _signing_setup(key: PublicKey, algorithm: str, message: bytes,
                   message_type: str) -> tuple[bytes, hashes.HashAlgorithm | utils.Prehashed]:
    spec = _spec_of_key(key)
    if spec not in KEY_SPECS or algorithm not in signing_algorithms(spec):
        raise UnsupportedAlgorithm(f"{algorithm!r} is not valid for a {spec} key")
    digest = _hash_of(algorithm)
    message = bytes(message)
    if message_type == "RAW":
        return message, digest
    if message_type == "DIGEST":
        if len(message) != digest.digest_size:
            raise ValidationError(
                f"a DIGEST message for {algorithm} must be {digest.digest_size} bytes")
        return message, utils.Prehashed(digest)
    raise ValidationError(f"unsupported MessageType {message_type!r}")


def _rsa_padding(algorithm: str) -> padding.AsymmetricPadding:
    digest = _hash_of(algorithm)
    if algorithm.startswith("RSASSA_PSS_"):
        return padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
    return padding.PKCS1v15()


def sign(private_der: bytes, algorithm: str, message: bytes,
         message_type: MessageType = "RAW") -> bytes:
    """Sign as KMS Sign does. UnsupportedAlgorithm if the key cannot use `algorithm`;
    ValidationError for a DIGEST of the wrong length or an unknown message type."""
    key = load_private(private_der)
    data, hash_arg = _signing_setup(key.public_key(), algorithm, message, message_type)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, _rsa_padding(algorithm), hash_arg)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key.sign(data, ec.ECDSA(hash_arg))


def verify(der: bytes, algorithm: str, message: bytes, message_type: MessageType,
           signature: bytes) -> bool:
    """True iff `signature` is valid. `der` may be the private or the public key. Malformed
    signatures are simply invalid (False); bad arguments raise as in `sign`."""
    key = load_public(der)
    data, hash_arg = _signing_setup(key, algorithm, message, message_type)
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(bytes(signature), data, _rsa_padding(algorithm), hash_arg)
        else:
            assert isinstance(key, ec.EllipticCurvePublicKey)
            key.verify(bytes(signature), data, ec.ECDSA(hash_arg))
    except _BadSignature:
        return False
    return True


# ---- RSA-OAEP encrypt / decrypt --------------------------------------------------------

def _oaep(algorithm: str) -> padding.OAEP:
    if algorithm not in RSA_ENCRYPTION_ALGORITHMS:
        raise UnsupportedAlgorithm(f"{algorithm!r} is not an RSA encryption algorithm")
    digest = _hash_of(algorithm)
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


def max_plaintext_length(spec: str, algorithm: str) -> int:
    """Largest plaintext RSA-OAEP takes: modulus bytes - 2 * hash bytes - 2
    (RSA_2048: 214 with SHA-1, 190 with SHA-256)."""
    if spec not in RSA_BITS:
        raise UnsupportedAlgorithm(f"{spec} keys cannot encrypt")
    _oaep(algorithm)
    return RSA_BITS[spec] // 8 - 2 * _hash_of(algorithm).digest_size - 2


def rsa_encrypt(public_der: bytes, algorithm: str, plaintext: bytes) -> bytes:
    """RSA-OAEP encrypt (Encrypt with an RSA key). The output is the raw OAEP ciphertext,
    modulus-sized; ValidationError if the plaintext is over `max_plaintext_length`."""
    key = load_public(public_der)
    if not isinstance(key, rsa.RSAPublicKey):
        raise UnsupportedAlgorithm("only RSA keys can encrypt")
    limit = max_plaintext_length(_spec_of_key(key), algorithm)
    if len(plaintext) > limit:
        raise ValidationError(f"plaintext is over {limit} bytes, the limit for {algorithm}")
    return key.encrypt(bytes(plaintext), _oaep(algorithm))


def rsa_decrypt(private_der: bytes, algorithm: str, ciphertext: bytes) -> bytes:
    """RSA-OAEP decrypt. InvalidCiphertext for a wrong length, wrong key or wrong algorithm."""
    key = load_private(private_der)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UnsupportedAlgorithm("only RSA keys can decrypt")
    oaep = _oaep(algorithm)
    ciphertext = bytes(ciphertext)
    if len(ciphertext) != key.key_size // 8:
        raise InvalidCiphertext("RSA ciphertext has the wrong length for this key")
    try:
        return key.decrypt(ciphertext, oaep)
    except ValueError:
        raise InvalidCiphertext("RSA-OAEP decryption failed") from None
