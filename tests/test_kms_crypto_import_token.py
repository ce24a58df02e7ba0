"""kms.crypto.import_token: genuine, bound to one key, expiring, byte for byte."""

from __future__ import annotations

import hashlib
import hmac
import uuid

import pytest

from kms.crypto.errors import ExpiredImportToken, InvalidImportToken
from kms.crypto.import_token import ImportToken, check_import_token, make_import_token

SECRET = bytes(32)
KEY_ID = uuid.UUID("1234abcd-12ab-34cd-56ef-1234567890ab")
DIGEST = bytes(range(32))
EXPIRES = 1_700_000_000
TOKEN_ID = bytes(range(16))
ALGORITHM = "RSA_AES_KEY_WRAP_SHA_256"
VECTOR = bytes.fromhex(
    "4f4b495401"                                                          # magic, version
    "1234abcd12ab34cd56ef1234567890ab"                                    # key id
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"    # key digest
    "000000006553f100"                                                    # expires_at
    "18" "5253415f4145535f4b45595f575241505f5348415f323536"               # algorithm
    "000102030405060708090a0b0c0d0e0f"                                    # token id
    "2ad82cbc1ae207db90a449af60f58cd04d0edbdb48e283f0094ec285109048da"    # HMAC-SHA256
)


def make(**overrides: object) -> bytes:
    args: dict[str, object] = {"wrapping_algorithm": ALGORITHM, "token_id": TOKEN_ID}
    args.update(overrides)
    return make_import_token(SECRET, KEY_ID, DIGEST, EXPIRES, **args)  # type: ignore[arg-type]


def test_fixed_vector() -> None:
    assert make() == VECTOR
    assert VECTOR[-32:] == hmac.new(SECRET, VECTOR[:-32], hashlib.sha256).digest()


def test_check_returns_what_was_bound() -> None:
    assert check_import_token(SECRET, VECTOR, KEY_ID, EXPIRES - 1) == ImportToken(
        KEY_ID, DIGEST, ALGORITHM, EXPIRES, TOKEN_ID)


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256",
                                       "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"])
def test_every_algorithm_round_trips(algorithm: str) -> None:
    token = make_import_token(SECRET, KEY_ID, DIGEST, EXPIRES, wrapping_algorithm=algorithm)
    assert check_import_token(SECRET, token, KEY_ID, 0).wrapping_algorithm == algorithm


def test_tokens_are_distinct() -> None:
    one = make_import_token(SECRET, KEY_ID, DIGEST, EXPIRES, wrapping_algorithm=ALGORITHM)
    two = make_import_token(SECRET, KEY_ID, DIGEST, EXPIRES, wrapping_algorithm=ALGORITHM)
    assert one != two


def test_expiry_uses_the_callers_clock() -> None:
    check_import_token(SECRET, VECTOR, KEY_ID, EXPIRES - 0.001)
    for now in (EXPIRES, EXPIRES + 0.5, EXPIRES + 86400):
        with pytest.raises(ExpiredImportToken):
            check_import_token(SECRET, VECTOR, KEY_ID, now)


def test_token_for_another_key_is_invalid_even_if_expired() -> None:
    with pytest.raises(InvalidImportToken):
        check_import_token(SECRET, VECTOR, uuid.UUID(int=KEY_ID.int + 1), 0)
    with pytest.raises(InvalidImportToken):
        check_import_token(SECRET, VECTOR, uuid.UUID(int=KEY_ID.int + 1), EXPIRES + 1)


def test_other_secret_is_invalid() -> None:
    with pytest.raises(InvalidImportToken):
        check_import_token(b"\x01" * 32, VECTOR, KEY_ID, 0)


@pytest.mark.parametrize("index", range(len(VECTOR)))
def test_flipping_any_byte_is_invalid(index: int) -> None:
    tampered = bytearray(VECTOR)
    tampered[index] ^= 0x01
    with pytest.raises(InvalidImportToken):
        check_import_token(SECRET, bytes(tampered), KEY_ID, 0)


def test_forged_extension_with_a_valid_mac_of_other_layout_is_invalid() -> None:
    # A genuinely MACed body whose declared name length disagrees with its size.
    body = bytearray(VECTOR[:-32])
    body[61] = 0x17
    forged = bytes(body) + hmac.new(SECRET, bytes(body), hashlib.sha256).digest()
    with pytest.raises(InvalidImportToken):
        check_import_token(SECRET, forged, KEY_ID, 0)


@pytest.mark.parametrize("bad", [b"", b"OKIT\x01", VECTOR[:-1], VECTOR + b"\x00",
                                 b"x" * len(VECTOR), b"OKIT\x02" + VECTOR[5:]])
def test_garbage_is_invalid(bad: bytes) -> None:
    with pytest.raises(InvalidImportToken):
        check_import_token(SECRET, bad, KEY_ID, 0)


def test_caller_bugs_are_value_errors() -> None:
    with pytest.raises(ValueError):
        make(wrapping_algorithm="RSAES_PKCS1_V1_5")
    with pytest.raises(ValueError):
        make(token_id=b"short")
    with pytest.raises(ValueError):
        make_import_token(SECRET, KEY_ID, DIGEST[:16], EXPIRES, wrapping_algorithm=ALGORITHM)
    with pytest.raises(ValueError):
        make_import_token(b"short", KEY_ID, DIGEST, EXPIRES, wrapping_algorithm=ALGORITHM)
