"""kms.crypto.importing: the customer wraps key material as the AWS docs say (done here
with `cryptography`, and with the openssl commands from the AWS docs where openssl is
installed), and we unwrap it."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from kms.crypto import asymmetric, importing, wrapping
from kms.crypto.errors import (
    IncorrectKeyMaterial,
    InvalidCiphertext,
    UnsupportedAlgorithm,
    UnsupportedKeySpec,
)

HASHES = {"SHA_1": hashes.SHA1, "SHA_256": hashes.SHA256}


@functools.cache
def wrapping_key(spec: str = "RSA_2048") -> tuple[bytes, bytes]:
    return importing.new_wrapping_key(spec)


def oaep_for(algorithm: str) -> padding.OAEP:
    digest = HASHES["SHA_" + algorithm.rsplit("_", 1)[1]]()
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


def client_wrap(public_der: bytes, algorithm: str, material: bytes,
                aes_key: bytes | None = None) -> bytes:
    """What a customer does with the PublicKey from GetParametersForImport."""
    public = serialization.load_der_public_key(public_der)
    assert isinstance(public, rsa.RSAPublicKey)
    if algorithm.startswith("RSAES_OAEP_"):
        return public.encrypt(material, oaep_for(algorithm))
    aes_key = aes_key if aes_key is not None else os.urandom(32)
    return (public.encrypt(aes_key, oaep_for(algorithm))
            + aes_key_wrap_with_padding(aes_key, material))


@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_3072", "RSA_4096"])
def test_new_wrapping_key(spec: str) -> None:
    private, public = wrapping_key(spec)
    assert asymmetric.spec_of(private) == spec
    assert asymmetric.public_der(private) == public
    assert len(importing.wrapping_key_digest(public)) == 32


@pytest.mark.parametrize("spec", ["SM2", "RSA_1024", "ECC_NIST_P256"])
def test_wrapping_key_spec_refused(spec: str) -> None:
    with pytest.raises(UnsupportedKeySpec):
        importing.new_wrapping_key(spec)


@pytest.mark.parametrize("algorithm", importing.WRAPPING_ALGORITHMS)
@pytest.mark.parametrize("material_len", [32, 28, 64, 128])
def test_symmetric_and_hmac_material(algorithm: str, material_len: int) -> None:
    private, public = wrapping_key()
    material = os.urandom(material_len)
    encrypted = client_wrap(public, algorithm, material)
    assert importing.unwrap_import(private, algorithm, encrypted) == material


@pytest.mark.parametrize("algorithm", ["RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"])
@pytest.mark.parametrize("key_spec", ["RSA_2048", "RSA_4096", "ECC_NIST_P521"])
def test_asymmetric_material_by_key_wrap(algorithm: str, key_spec: str) -> None:
    private, public = wrapping_key("RSA_3072")
    material = asymmetric.generate(key_spec) if key_spec != "RSA_2048" else (
        asymmetric.data_key_pair("RSA_2048")[0])
    encrypted = client_wrap(public, algorithm, material)
    unwrapped = importing.unwrap_import(private, algorithm, encrypted)
    assert unwrapped == material
    importing.validate_import_material(key_spec, unwrapped)


def test_fixed_ephemeral_key_layout() -> None:
    private, public = wrapping_key()
    aes_key = bytes(range(32))
    material = bytes(range(100, 132))
    encrypted = client_wrap(public, "RSA_AES_KEY_WRAP_SHA_256", material, aes_key)
    assert len(encrypted) == 256 + 40  # modulus + (32 rounded to 8 + 8)
    assert encrypted[256:] == aes_key_wrap_with_padding(aes_key, material)
    assert importing.unwrap_import(private, "RSA_AES_KEY_WRAP_SHA_256", encrypted) == material


def test_wrong_algorithm_or_key_or_tampering_is_invalid_ciphertext() -> None:
    private, public = wrapping_key()
    material = os.urandom(32)
    oaep = client_wrap(public, "RSAES_OAEP_SHA_256", material)
    kw = client_wrap(public, "RSA_AES_KEY_WRAP_SHA_256", material)
    cases = [
        ("RSAES_OAEP_SHA_1", oaep),
        ("RSA_AES_KEY_WRAP_SHA_256", oaep),            # nothing after the RSA part
        ("RSA_AES_KEY_WRAP_SHA_1", kw),
        ("RSAES_OAEP_SHA_256", kw),                     # wrong length for plain OAEP
        ("RSA_AES_KEY_WRAP_SHA_256", kw[:-8]),
        ("RSA_AES_KEY_WRAP_SHA_256", kw[:256] + b"\x00" * 8),
        ("RSA_AES_KEY_WRAP_SHA_256", kw[:-1] + bytes([kw[-1] ^ 1])),
        ("RSA_AES_KEY_WRAP_SHA_256", bytes([kw[0] ^ 1]) + kw[1:]),
        ("RSAES_OAEP_SHA_256", b""),
    ]
    for algorithm, encrypted in cases:
        with pytest.raises(InvalidCiphertext):
            importing.unwrap_import(private, algorithm, encrypted)
    other_private, _ = importing.new_wrapping_key("RSA_2048")
    with pytest.raises(InvalidCiphertext):
        importing.unwrap_import(other_private, "RSAES_OAEP_SHA_256", oaep)


def test_ephemeral_key_must_be_aes_256() -> None:
    private, public = wrapping_key()
    encrypted = client_wrap(public, "RSA_AES_KEY_WRAP_SHA_256", os.urandom(32),
                            aes_key=os.urandom(16))
    with pytest.raises(InvalidCiphertext):
        importing.unwrap_import(private, "RSA_AES_KEY_WRAP_SHA_256", encrypted)


@pytest.mark.parametrize("algorithm", ["RSAES_PKCS1_V1_5", "SM2PKE", "SYMMETRIC_DEFAULT", ""])
def test_refused_wrapping_algorithms(algorithm: str) -> None:
    private, _ = wrapping_key()
    with pytest.raises(UnsupportedAlgorithm):
        importing.unwrap_import(private, algorithm, b"\x00" * 256)


def test_names_reexported_from_wrapping() -> None:
    assert wrapping.unwrap_import is importing.unwrap_import
    assert wrapping.new_wrapping_key is importing.new_wrapping_key


# ---- validate_import_material ------------------------------------------------------------

@pytest.mark.parametrize(("spec", "good", "bad"), [
    ("SYMMETRIC_DEFAULT", [32], [0, 16, 31, 33, 64]),
    ("HMAC_224", [28, 64], [27, 65]),
    ("HMAC_256", [32, 64], [31, 65]),
    ("HMAC_384", [48, 128], [47, 129]),
    ("HMAC_512", [64, 128], [63, 129]),
])
def test_secret_material_lengths(spec: str, good: list[int], bad: list[int]) -> None:
    for length in good:
        importing.validate_import_material(spec, os.urandom(length))
    for length in bad:
        with pytest.raises(IncorrectKeyMaterial):
            importing.validate_import_material(spec, os.urandom(length))


def test_asymmetric_material_must_match_spec_and_be_pkcs8() -> None:
    p256 = asymmetric.generate("ECC_NIST_P256")
    importing.validate_import_material("ECC_NIST_P256", p256)
    with pytest.raises(IncorrectKeyMaterial):
        importing.validate_import_material("ECC_NIST_P384", p256)
    with pytest.raises(IncorrectKeyMaterial):
        importing.validate_import_material("RSA_2048", p256)
    with pytest.raises(IncorrectKeyMaterial):  # a public key is not material
        importing.validate_import_material("ECC_NIST_P256", asymmetric.public_der(p256))
    with pytest.raises(IncorrectKeyMaterial):
        importing.validate_import_material("ECC_NIST_P256", os.urandom(138))
    with pytest.raises(IncorrectKeyMaterial):
        importing.validate_import_material("ECC_NIST_P256", p256[:-1])
    sec1 = serialization.load_der_private_key(p256, None).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption())
    with pytest.raises(IncorrectKeyMaterial):
        importing.validate_import_material("ECC_NIST_P256", sec1)
    brainpool = ec.generate_private_key(ec.BrainpoolP256R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    with pytest.raises(IncorrectKeyMaterial):
        importing.validate_import_material("ECC_NIST_P256", brainpool)


def test_rsa_material_traditional_and_inconsistent_are_refused() -> None:
    private, _ = wrapping_key()
    importing.validate_import_material("RSA_2048", private)
    pkcs1 = serialization.load_der_private_key(private, None).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption())
    with pytest.raises(IncorrectKeyMaterial):
        importing.validate_import_material("RSA_2048", pkcs1)
    # Corrupt one byte deep inside the private exponent: DER still parses, the key check
    # (only done at import) must catch it.
    broken = bytearray(private)
    broken[len(broken) // 2] ^= 0x01
    with pytest.raises(IncorrectKeyMaterial):
        importing.validate_import_material("RSA_2048", bytes(broken))


def test_unknown_key_spec() -> None:
    with pytest.raises(UnsupportedKeySpec):
        importing.validate_import_material("SM2", b"\x00" * 32)


# ---- the openssl commands from the AWS docs ----------------------------------------------

OPENSSL = shutil.which("openssl")
XXD = shutil.which("xxd")


def run(command: str, cwd: Path) -> None:
    subprocess.run(["bash", "-eo", "pipefail", "-c", command], cwd=cwd, check=True,
                   capture_output=True)


@pytest.mark.skipif(OPENSSL is None, reason="no openssl CLI")
@pytest.mark.parametrize("md", ["sha1", "sha256"])
def test_openssl_rsaes_oaep(tmp_path: Path, md: str) -> None:
    private, public = wrapping_key()
    material = os.urandom(32)
    (tmp_path / "WrappingPublicKey.bin").write_bytes(public)
    (tmp_path / "PlaintextKeyMaterial.bin").write_bytes(material)
    run("openssl pkeyutl -encrypt -in PlaintextKeyMaterial.bin -out EncryptedKeyMaterial.bin"
        " -inkey WrappingPublicKey.bin -keyform DER -pubin -pkeyopt rsa_padding_mode:oaep"
        f" -pkeyopt rsa_oaep_md:{md} -pkeyopt rsa_mgf1_md:{md}", tmp_path)
    encrypted = (tmp_path / "EncryptedKeyMaterial.bin").read_bytes()
    algorithm = "RSAES_OAEP_SHA_1" if md == "sha1" else "RSAES_OAEP_SHA_256"
    assert importing.unwrap_import(private, algorithm, encrypted) == material


@pytest.mark.skipif(OPENSSL is None or XXD is None, reason="no openssl or xxd CLI")
@pytest.mark.parametrize("md", ["sha1", "sha256"])
def test_openssl_rsa_aes_key_wrap(tmp_path: Path, md: str) -> None:
    private, public = wrapping_key("RSA_4096")
    material = asymmetric.data_key_pair("RSA_2048")[0]
    (tmp_path / "WrappingPublicKey.der").write_bytes(public)
    (tmp_path / "PrivateKey.der").write_bytes(material)
    run("openssl rand -out aes-key.bin 32 && "
        "openssl enc -id-aes256-wrap-pad -K \"$(xxd -p < aes-key.bin | tr -d '\\n')\""
        " -iv A65959A6 -in PrivateKey.der -out key-material-wrapped.bin && "
        "openssl pkeyutl -encrypt -in aes-key.bin -out aes-key-wrapped.bin"
        " -inkey WrappingPublicKey.der -keyform DER -pubin -pkeyopt rsa_padding_mode:oaep"
        f" -pkeyopt rsa_oaep_md:{md} -pkeyopt rsa_mgf1_md:{md} && "
        "cat aes-key-wrapped.bin key-material-wrapped.bin > EncryptedKeyMaterial.bin",
        tmp_path)
    encrypted = (tmp_path / "EncryptedKeyMaterial.bin").read_bytes()
    algorithm = "RSA_AES_KEY_WRAP_SHA_1" if md == "sha1" else "RSA_AES_KEY_WRAP_SHA_256"
    unwrapped = importing.unwrap_import(private, algorithm, encrypted)
    assert unwrapped == material
    importing.validate_import_material("RSA_2048", unwrapped)
