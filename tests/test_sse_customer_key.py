"""objstore.sse.customer_key: SSE-C key fingerprints and per-object data keys.

DESIGN.md (SSE-C): the key is never stored in any recoverable form; a salted HMAC tells a
right key from a wrong one; the per-object data key is derived from the key and a salt.
s3-sse.md §5.4: a wrong key is 403 AccessDenied.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from objstore.sse import customer_key
from objstore.sse.errors import SseError

KEY = bytes(range(32))
SALT = bytes(range(100, 132))

# Pinned: stored fingerprints must stay checkable and stored objects decryptable across
# versions, so these bytes may never change (a new scheme needs a new label and info).
FINGERPRINT = "bec749069874af28482d55dff3307ad903207fd1f69f44b773f5c215adb46e05"
DATA_KEY = "b8449421c00ed00ede693e0992066f02aa1bcd46d19457b9bfb8778f7b19b790"


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869, written out independently of the code under test."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def test_fixed_vectors() -> None:
    assert customer_key.fingerprint(KEY, SALT).hex() == FINGERPRINT
    assert customer_key.derive_data_key(KEY, SALT).hex() == DATA_KEY


def test_vectors_follow_the_documented_construction() -> None:
    assert customer_key.fingerprint(KEY, SALT) == hmac.new(
        SALT, b"objstore sse-c key fingerprint v1\x00" + KEY, hashlib.sha256).digest()
    assert customer_key.derive_data_key(KEY, SALT) == hkdf_sha256(
        KEY, SALT, b"objstore sse-c data key v1", 32)


def test_fingerprint_is_salted() -> None:
    other_salt = bytes(32)
    assert customer_key.fingerprint(KEY, SALT) != customer_key.fingerprint(KEY, other_salt)
    assert customer_key.fingerprint(KEY, SALT) != customer_key.fingerprint(bytes(32), SALT)
    assert len(customer_key.fingerprint(KEY, SALT)) == 32


def test_nothing_derived_is_the_key_or_each_other() -> None:
    fingerprint = customer_key.fingerprint(KEY, SALT)
    data_key = customer_key.derive_data_key(KEY, SALT)
    prk = hmac.new(SALT, KEY, hashlib.sha256).digest()   # HKDF's pseudorandom key
    assert len({KEY, fingerprint, data_key, prk}) == 4


def test_data_key_differs_per_object() -> None:
    salts = {customer_key.new_salt() for _ in range(64)}
    assert len(salts) == 64 and all(len(s) == customer_key.SALT_SIZE == 32 for s in salts)
    keys = {customer_key.derive_data_key(KEY, s) for s in salts}
    assert len(keys) == 64 and all(len(k) == 32 for k in keys)


def test_check_accepts_the_right_key() -> None:
    customer_key.check(KEY, SALT, customer_key.fingerprint(KEY, SALT))
    assert customer_key.matches(KEY, SALT, bytes.fromhex(FINGERPRINT))


@pytest.mark.parametrize("key", [bytes(32), KEY[:-1] + b"\x00", KEY[:16], KEY + b"\x00", b""])
def test_check_refuses_a_wrong_key(key: bytes) -> None:
    # §5.4 row 2 [observed]: 403 AccessDenied.
    with pytest.raises(SseError) as info:
        customer_key.check(key, SALT, bytes.fromhex(FINGERPRINT))
    error = info.value
    assert (error.code, error.status, error.message) == (
        "AccessDenied", 403, "Requests specifying Server Side Encryption with Customer "
        "provided keys must provide the correct secret key.")
    assert error.extra == {}


def test_a_trailing_zero_byte_makes_another_key() -> None:
    # HMAC zero-pads its key: keyed by the customer key, K and K || 0x00 would collide.
    assert customer_key.fingerprint(KEY, SALT) != customer_key.fingerprint(KEY + b"\x00", SALT)
    assert not customer_key.matches(KEY + b"\x00", SALT, bytes.fromhex(FINGERPRINT))


def test_check_refuses_a_wrong_salt_or_fingerprint() -> None:
    with pytest.raises(SseError):
        customer_key.check(KEY, bytes(32), bytes.fromhex(FINGERPRINT))
    with pytest.raises(SseError):
        customer_key.check(KEY, SALT, bytes.fromhex(FINGERPRINT)[:16])


def test_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(customer_key.hmac, "compare_digest", spy)
    customer_key.check(KEY, SALT, bytes.fromhex(FINGERPRINT))
    assert calls == [(bytes.fromhex(FINGERPRINT), bytes.fromhex(FINGERPRINT))]


def test_derive_refuses_bad_inputs() -> None:
    with pytest.raises(ValueError):
        customer_key.derive_data_key(KEY[:31], SALT)
    with pytest.raises(ValueError):
        customer_key.derive_data_key(KEY, b"short")
    with pytest.raises(ValueError):
        customer_key.fingerprint(KEY, b"")


def test_key_md5_matches_botocore() -> None:
    # botocore's sse_md5 handler: base64(MD5(raw key)); ceph s3-tests' key A and its MD5.
    assert customer_key.key_md5(b"a" * 32) == "Xsqb0+sHwAbNQ65I395/0w=="
    key_a = base64.b64decode("pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=")
    assert customer_key.key_md5(key_a) == "DWygnHRtgiJ77HCm+1rvHw=="
