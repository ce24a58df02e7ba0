"""kms.crypto.wrapping (material at rest), kdf and material_ids, byte for byte."""

from __future__ import annotations

import hashlib
import hmac
import uuid

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kms.crypto import kdf, material_ids, wrapping
from kms.crypto.errors import CorruptWrappedMaterial, ValidationError

ROOT = bytes(range(0x80, 0xA0))
KEY_ID = uuid.UUID("1234abcd-12ab-34cd-56ef-1234567890ab")
MATERIAL_ID = bytes(range(0x40, 0x60))
MATERIAL = bytes(range(32))
NONCE = bytes(range(0xA0, 0xAC))
WRAPPED = bytes.fromhex(
    "4f4b4d5701"                                                          # magic, version
    "a0a1a2a3a4a5a6a7a8a9aaab"                                            # nonce
    "000e723358a5953776660cbd880c8489bd3b14a23b9d943ad8b99c201ccbcfc3"    # ciphertext
    "a3aee34865e806df5b5048fdad7d6eec"                                    # tag
)


def test_fixed_vector() -> None:
    assert wrapping.wrap_material(ROOT, KEY_ID, MATERIAL_ID, MATERIAL, nonce=NONCE) == WRAPPED
    assert wrapping.unwrap_material(ROOT, KEY_ID, MATERIAL_ID, WRAPPED) == MATERIAL


def test_vector_matches_the_documented_layout() -> None:
    aad = b"OKMW\x01" + KEY_ID.bytes + b"\x00\x00\x00\x20" + MATERIAL_ID
    assert b"OKMW\x01" + NONCE + AESGCM(ROOT).encrypt(NONCE, MATERIAL, aad) == WRAPPED


@pytest.mark.parametrize("material", [b"", b"\x01", bytes(2400)])
@pytest.mark.parametrize("material_id", [MATERIAL_ID, b"", b"import-wrapping-key"])
def test_round_trip(material: bytes, material_id: bytes) -> None:
    wrapped = wrapping.wrap_material(ROOT, KEY_ID, material_id, material)
    assert wrapping.unwrap_material(ROOT, KEY_ID, material_id, wrapped) == material
    assert wrapping.wrap_material(ROOT, KEY_ID, material_id, material) != wrapped


def test_cannot_move_to_another_key_or_material_id() -> None:
    with pytest.raises(CorruptWrappedMaterial):
        wrapping.unwrap_material(ROOT, uuid.UUID(int=KEY_ID.int ^ 1), MATERIAL_ID, WRAPPED)
    with pytest.raises(CorruptWrappedMaterial):
        wrapping.unwrap_material(ROOT, KEY_ID, MATERIAL_ID[:-1] + b"\x00", WRAPPED)
    with pytest.raises(CorruptWrappedMaterial):
        wrapping.unwrap_material(ROOT, KEY_ID, MATERIAL_ID[:-1], WRAPPED)


def test_wrong_root_key_fails() -> None:
    with pytest.raises(CorruptWrappedMaterial):
        wrapping.unwrap_material(bytes(32), KEY_ID, MATERIAL_ID, WRAPPED)


@pytest.mark.parametrize("index", range(len(WRAPPED)))
def test_flipping_any_byte_fails(index: int) -> None:
    tampered = bytearray(WRAPPED)
    tampered[index] ^= 0x80
    with pytest.raises(CorruptWrappedMaterial):
        wrapping.unwrap_material(ROOT, KEY_ID, MATERIAL_ID, bytes(tampered))


def test_truncated_fails() -> None:
    for cut in range(len(WRAPPED)):
        with pytest.raises(CorruptWrappedMaterial):
            wrapping.unwrap_material(ROOT, KEY_ID, MATERIAL_ID, WRAPPED[:cut])


def test_root_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        wrapping.wrap_material(ROOT[:16], KEY_ID, MATERIAL_ID, MATERIAL)
    with pytest.raises(ValueError):
        wrapping.unwrap_material(ROOT + b"\x00", KEY_ID, MATERIAL_ID, WRAPPED)


# ---- kdf --------------------------------------------------------------------------------

def test_derive_key_vector_and_separation() -> None:
    token_key = kdf.derive_key(ROOT, "import-token")
    assert token_key.hex() == "bf57a24c794d027868efae6d4540f9dcf5448eff7a7b221b76e85ad67032a46d"
    assert kdf.derive_key(ROOT, "import-tokens") != token_key
    assert kdf.derive_key(bytes(32), "import-token") != token_key
    assert len(kdf.derive_key(ROOT, "x", 64)) == 64
    with pytest.raises(ValueError):
        kdf.derive_key(b"short", "import-token")


def test_derive_key_is_rfc5869_hkdf_sha256() -> None:
    # HKDF with no salt: PRK = HMAC(zeros, IKM); OKM = HMAC(PRK, info || 0x01) for 32 bytes.
    prk = hmac.new(b"\x00" * 32, ROOT, hashlib.sha256).digest()
    okm = hmac.new(prk, b"okms/v1/import-token\x01", hashlib.sha256).digest()
    assert kdf.derive_key(ROOT, "import-token") == okm


# ---- material ids -----------------------------------------------------------------------

def test_material_ids() -> None:
    assert len(material_ids.new_material_id()) == 32
    assert material_ids.new_material_id() != material_ids.new_material_id()
    derived = material_ids.imported_material_id(KEY_ID, MATERIAL)
    assert derived.hex() == "2f5d87b3443ed4e980d155343341b5df8bd263a30879742d38013821220c1633"
    assert derived == hmac.new(MATERIAL, b"okms imported material id v1\x00" + KEY_ID.bytes,
                               hashlib.sha256).digest()
    assert material_ids.imported_material_id(uuid.UUID(int=1), MATERIAL) != derived
    assert material_ids.imported_material_id(KEY_ID, bytes(32)) != derived


def test_material_id_hex_form() -> None:
    text = material_ids.to_hex(MATERIAL_ID)
    assert text == MATERIAL_ID.hex() and len(text) == 64
    assert material_ids.from_hex(text) == MATERIAL_ID
    for bad in ("", text[:-1], text + "0", text.upper(), "g" * 64, " " + text[1:]):
        with pytest.raises(ValidationError):
            material_ids.from_hex(bad)
    with pytest.raises(ValueError):
        material_ids.to_hex(b"\x00" * 16)
