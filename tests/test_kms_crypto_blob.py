"""kms.crypto.blob: the symmetric ciphertext blob, byte for byte."""

from __future__ import annotations

import uuid

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kms.crypto import blob
from kms.crypto.context import canonical_context
from kms.crypto.errors import IncorrectKey, InvalidCiphertext

KEY_ID = uuid.UUID("1234abcd-12ab-34cd-56ef-1234567890ab")
MATERIAL = bytes(range(32))
MATERIAL_ID = bytes(range(0x40, 0x60))
NONCE = bytes(range(0xA0, 0xAC))
CONTEXT = {"aws:s3:arn": "arn:aws:s3:::bucket/key"}
VECTOR = bytes.fromhex(
    "4f4b4d5301"                                                          # magic, version
    "1234abcd12ab34cd56ef1234567890ab"                                    # key id
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"    # material id
    "a0a1a2a3a4a5a6a7a8a9aaab"                                            # nonce
    "8e7d10412aeb69d211"                                                  # ciphertext
    "59fbafbbebe98844c0137d7bd5ad186a"                                    # tag
)


def test_fixed_nonce_vector_is_stable() -> None:
    sealed = blob.seal(MATERIAL, KEY_ID, MATERIAL_ID, b"hello kms", CONTEXT, nonce=NONCE)
    assert sealed == VECTOR
    assert blob.open_blob(MATERIAL, VECTOR, CONTEXT) == b"hello kms"


def test_vector_matches_the_documented_layout() -> None:
    header = b"OKMS\x01" + KEY_ID.bytes + MATERIAL_ID + NONCE
    assert len(header) == blob.HEADER_LEN == 65
    aad = header + canonical_context(CONTEXT)
    assert header + AESGCM(MATERIAL).encrypt(NONCE, b"hello kms", aad) == VECTOR


def test_parse_reads_the_header() -> None:
    header = blob.parse(VECTOR)
    assert header == blob.BlobHeader(KEY_ID, MATERIAL_ID, NONCE, 1)
    assert header.encode() == VECTOR[:blob.HEADER_LEN]


@pytest.mark.parametrize("plaintext", [b"", b"x", bytes(range(256)) * 16])
@pytest.mark.parametrize("ctx", [None, {}, {"a": "b"}, {"k1": "v1", "k2": "é"}])
def test_round_trip(plaintext: bytes, ctx: dict[str, str] | None) -> None:
    sealed = blob.seal(MATERIAL, KEY_ID, MATERIAL_ID, plaintext, ctx)
    assert len(sealed) == blob.HEADER_LEN + len(plaintext) + blob.TAG_LEN
    assert blob.open_blob(MATERIAL, sealed, ctx) == plaintext
    assert blob.open_blob(MATERIAL, bytearray(sealed), ctx, key_id=KEY_ID) == plaintext


def test_max_plaintext_fits_aws_ciphertext_limit() -> None:
    assert len(blob.seal(MATERIAL, KEY_ID, MATERIAL_ID, b"\x00" * 4096, None)) <= 6144


def test_random_nonces_differ() -> None:
    one = blob.seal(MATERIAL, KEY_ID, MATERIAL_ID, b"same", None)
    two = blob.seal(MATERIAL, KEY_ID, MATERIAL_ID, b"same", None)
    assert blob.parse(one).nonce != blob.parse(two).nonce


def test_none_and_empty_context_are_interchangeable() -> None:
    sealed = blob.seal(MATERIAL, KEY_ID, MATERIAL_ID, b"p", None)
    assert blob.open_blob(MATERIAL, sealed, {}) == b"p"


def test_context_swap_ab_c_vs_a_bc_fails() -> None:
    sealed = blob.seal(MATERIAL, KEY_ID, MATERIAL_ID, b"secret", {"ab": "c"})
    with pytest.raises(InvalidCiphertext):
        blob.open_blob(MATERIAL, sealed, {"a": "bc"})
    sealed = blob.seal(MATERIAL, KEY_ID, MATERIAL_ID, b"secret", {"a": "bc"})
    with pytest.raises(InvalidCiphertext):
        blob.open_blob(MATERIAL, sealed, {"ab": "c"})


@pytest.mark.parametrize("ctx", [None, {"aws:s3:arn": "arn:aws:s3:::bucket/KEY"},
                                 {"aws:s3:arn": "arn:aws:s3:::bucket/key", "x": ""}])
def test_any_other_context_fails(ctx: dict[str, str] | None) -> None:
    with pytest.raises(InvalidCiphertext):
        blob.open_blob(MATERIAL, VECTOR, ctx)


@pytest.mark.parametrize("index", range(len(VECTOR)))
def test_flipping_any_byte_fails(index: int) -> None:
    tampered = bytearray(VECTOR)
    tampered[index] ^= 0x01
    with pytest.raises(InvalidCiphertext):
        blob.open_blob(MATERIAL, bytes(tampered), CONTEXT)


def test_truncation_and_extension_fail() -> None:
    for cut in range(len(VECTOR)):
        with pytest.raises(InvalidCiphertext):
            blob.open_blob(MATERIAL, VECTOR[:cut], CONTEXT)
    with pytest.raises(InvalidCiphertext):
        blob.open_blob(MATERIAL, VECTOR + b"\x00", CONTEXT)


def test_wrong_material_fails() -> None:
    with pytest.raises(InvalidCiphertext):
        blob.open_blob(bytes(32), VECTOR, CONTEXT)


def test_header_swapped_to_another_key_id_fails() -> None:
    other = uuid.UUID("00000000-0000-4000-8000-000000000001")
    moved = VECTOR[:5] + other.bytes + VECTOR[21:]
    assert blob.parse(moved).key_id == other
    with pytest.raises(InvalidCiphertext):
        blob.open_blob(MATERIAL, moved, CONTEXT)


def test_blob_for_another_key_is_incorrect_key() -> None:
    with pytest.raises(IncorrectKey):
        blob.open_blob(MATERIAL, VECTOR, CONTEXT, key_id=uuid.UUID(int=1))


@pytest.mark.parametrize("bad", [
    b"",
    b"OKMS",
    VECTOR[:blob.MIN_BLOB_LEN - 1],
    b"XKMS" + VECTOR[4:],
    b"OKMS\x02" + VECTOR[5:],
    b"OKMS\x00" + VECTOR[5:],
    b"\x01\x02\x03" * 100,
])
def test_parse_rejects_malformed(bad: bytes) -> None:
    with pytest.raises(InvalidCiphertext):
        blob.parse(bad)
    with pytest.raises(InvalidCiphertext):
        blob.open_blob(MATERIAL, bad, CONTEXT)


def test_caller_bugs_are_value_errors() -> None:
    with pytest.raises(ValueError):
        blob.seal(MATERIAL[:16], KEY_ID, MATERIAL_ID, b"p", None)
    with pytest.raises(ValueError):
        blob.seal(MATERIAL, KEY_ID, MATERIAL_ID[:16], b"p", None)
    with pytest.raises(ValueError):
        blob.seal(MATERIAL, KEY_ID, MATERIAL_ID, b"p", None, nonce=b"\x00" * 8)
    with pytest.raises(ValueError):
        blob.open_blob(MATERIAL[:16], VECTOR, CONTEXT)
