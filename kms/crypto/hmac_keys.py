"""HMAC KMS keys (KeyUsage GENERATE_VERIFY_MAC): GenerateMac / VerifyMac.

Generated keys are as long as the hash output (HMAC_224: 28 bytes ... HMAC_512: 64), as
AWS generates them. Imported HMAC material may be longer (`IMPORT_LENGTHS`).
"""

from __future__ import annotations

import hmac
import os

from kms.crypto.errors import UnsupportedAlgorithm, UnsupportedKeySpec

KEY_LENGTHS = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}
KEY_SPECS = tuple(KEY_LENGTHS)
# Inclusive byte ranges AWS accepts for imported HMAC material (hash output .. block size).
IMPORT_LENGTHS = {
    "HMAC_224": (28, 64), "HMAC_256": (32, 64), "HMAC_384": (48, 128), "HMAC_512": (64, 128),
}
_ALGORITHMS = {"HMAC_SHA_224": "sha224", "HMAC_SHA_256": "sha256",
               "HMAC_SHA_384": "sha384", "HMAC_SHA_512": "sha512"}


def _check_spec(spec: str) -> None:
    if spec not in KEY_LENGTHS:
        raise UnsupportedKeySpec(f"unsupported HMAC key spec {spec!r}")


def generate(spec: str) -> bytes:
    """Fresh key material for an HMAC key of `spec`."""
    _check_spec(spec)
    return os.urandom(KEY_LENGTHS[spec])


def mac_algorithms(spec: str) -> list[str]:
    """MacAlgorithms of a key of `spec`: HMAC_256 -> ["HMAC_SHA_256"]."""
    _check_spec(spec)
    return ["HMAC_SHA_" + spec.removeprefix("HMAC_")]


def _hash_name(algorithm: str) -> str:
    try:
        return _ALGORITHMS[algorithm]
    except KeyError:
        raise UnsupportedAlgorithm(f"unknown MAC algorithm {algorithm!r}") from None


def mac(key: bytes, algorithm: str, message: bytes) -> bytes:
    """HMAC of `message` (GenerateMac). The caller checks `algorithm` is the key's."""
    return hmac.new(bytes(key), bytes(message), _hash_name(algorithm)).digest()


def verify_mac(key: bytes, algorithm: str, message: bytes, tag: bytes) -> bool:
    """Constant-time check of `tag` (VerifyMac)."""
    return hmac.compare_digest(mac(key, algorithm, message), bytes(tag))

