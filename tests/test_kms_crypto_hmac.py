"""kms.crypto.hmac_keys: GenerateMac/VerifyMac, checked against RFC 4231 vectors."""

from __future__ import annotations

import pytest

from kms.crypto import hmac_keys
from kms.crypto.errors import UnsupportedAlgorithm, UnsupportedKeySpec

# RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
RFC4231_CASE2 = {
    "HMAC_SHA_224": "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
    "HMAC_SHA_256": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    "HMAC_SHA_384": "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
                    "8e2240ca5e69e2c78b3239ecfab21649",
    "HMAC_SHA_512": "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
}
# RFC 4231, test case 6: 131-byte key of 0xaa (longer than the block: hashed first).
RFC4231_CASE6_SHA256 = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"


@pytest.mark.parametrize("algorithm", list(RFC4231_CASE2))
def test_rfc4231_case2(algorithm: str) -> None:
    tag = hmac_keys.mac(b"Jefe", algorithm, b"what do ya want for nothing?")
    assert tag.hex() == RFC4231_CASE2[algorithm]
    assert hmac_keys.verify_mac(b"Jefe", algorithm, b"what do ya want for nothing?", tag)


def test_rfc4231_case6_long_key() -> None:
    tag = hmac_keys.mac(b"\xaa" * 131, "HMAC_SHA_256",
                        b"Test Using Larger Than Block-Size Key - Hash Key First")
    assert tag.hex() == RFC4231_CASE6_SHA256


@pytest.mark.parametrize(("spec", "length", "algorithm"), [
    ("HMAC_224", 28, "HMAC_SHA_224"), ("HMAC_256", 32, "HMAC_SHA_256"),
    ("HMAC_384", 48, "HMAC_SHA_384"), ("HMAC_512", 64, "HMAC_SHA_512"),
])
def test_generate_and_algorithms(spec: str, length: int, algorithm: str) -> None:
    key = hmac_keys.generate(spec)
    assert len(key) == length
    assert hmac_keys.generate(spec) != key
    assert hmac_keys.mac_algorithms(spec) == [algorithm]
    tag = hmac_keys.mac(key, algorithm, b"message")
    assert len(tag) == length
    assert hmac_keys.verify_mac(key, algorithm, b"message", tag)


def test_verify_mac_rejects_everything_else() -> None:
    key = hmac_keys.generate("HMAC_256")
    tag = hmac_keys.mac(key, "HMAC_SHA_256", b"message")
    assert not hmac_keys.verify_mac(key, "HMAC_SHA_256", b"messagE", tag)
    assert not hmac_keys.verify_mac(key, "HMAC_SHA_256", b"message", tag[:-1])
    assert not hmac_keys.verify_mac(key, "HMAC_SHA_256", b"message", tag + b"\x00")
    assert not hmac_keys.verify_mac(key, "HMAC_SHA_256", b"message", b"")
    assert not hmac_keys.verify_mac(key, "HMAC_SHA_384", b"message", tag)
    assert not hmac_keys.verify_mac(hmac_keys.generate("HMAC_256"), "HMAC_SHA_256",
                                    b"message", tag)
    flipped = bytes([tag[0] ^ 1]) + tag[1:]
    assert not hmac_keys.verify_mac(key, "HMAC_SHA_256", b"message", flipped)


def test_unknown_names() -> None:
    with pytest.raises(UnsupportedKeySpec):
        hmac_keys.generate("HMAC_128")
    with pytest.raises(UnsupportedKeySpec):
        hmac_keys.mac_algorithms("SYMMETRIC_DEFAULT")
    with pytest.raises(UnsupportedAlgorithm):
        hmac_keys.mac(b"k", "HMAC_SHA_1", b"m")
    with pytest.raises(UnsupportedAlgorithm):
        hmac_keys.verify_mac(b"k", "hmac_sha_256", b"m", b"t")
