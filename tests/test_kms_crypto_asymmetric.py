"""kms.crypto.asymmetric: keys, Sign/Verify and RSA-OAEP, cross-checked with `cryptography`
(and the openssl CLI where present) in both directions."""

from __future__ import annotations

import base64
import functools
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from kms.crypto import asymmetric
from kms.crypto.errors import (
    InvalidCiphertext,
    UnsupportedAlgorithm,
    UnsupportedKeySpec,
    ValidationError,
)

# A fixed RSA_2048 key (PKCS#8 DER), so PKCS#1 v1.5 signatures have a fixed vector.
FIXED_RSA_2048 = base64.b64decode(
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDIH8vzsalW/sYNmqT8dGwKbwGdYZNTRk9YzY7C"
    "Rki1MbsXnN3uABReFmPxLKryUQBTgA3TfX1LdFpQJikTKCJbM1csG48bG2e5Aq49tU8vY2+LlMA2vTT6OwIWBHjD"
    "EI1mfFYbLw/cEzLJkctNoSwtgybYr4vkvGruAICc7T+OfWLwxhTI4VZntUuaTjgiKpi/RQy1BtBB4Kk/U+63E7qu"
    "2bdfza3Rcq9vQBjpAnFKLFrjaCbGPeqtLi9R+Dnb2S2YG5mFSvaWAub23+kKzu6bJnO1JJdjmgYA50hb/SswS81x"
    "6047M3qz+6hnAYxSrek3QL6EkPJ98pUFpdoLPg0NAgMBAAECggEAUbpulADXy+/zWUXxICq5ns8zxR6+yHD74aPd"
    "K+kBM4JySlPlbJe6uawCN9HKpHhBHli7DMaAf2quoXHcL3ciBMXkUV6V5HeeNffqyce8ZXmB6eqfTxuZQaIMmYpM"
    "+TjOzm5zydk/7FwozxoMAZGTVajsmeyjQJBUSQuKeswHOzyvBkvRlcXfFly6Y8PP//hFsSx4CagMRYhrNX/WefxE"
    "JxYBPa8VdbUhpPmPKM/WnIHYDEIa476IXWkuD0gC8fOrAHOv84i5lDYsOAPg7Nqpz8Bly3jnuTTv1hLFf2aZOfzZ"
    "9gpxOWmuGTzKrXg4uUZIpIGIbBHd9M7t1dBkEtymjwKBgQD5cFq1y2UsGeBNZYIApN18kjfdRt6YeN2iDZGYaxg7"
    "amtZQjUDzAq3Mdi/MSB11pDbsTsFs93/6dsFj1eQ7vouaeKFmJQvzvkcJWbR3Sv7hHP87sKU/cA1/Z1BaZjBsw4W"
    "Wqhgq7SO/X6PictZ8WJwebbtWWO/mAgNwcJejx5EVwKBgQDNY19OWeRbbVrcbYZ3h1KYD6qkCijyDmYNIVN/yUo6"
    "t47Bji1PntEby+A4jtgytGtuwzPnjfzN7hu3M6Qdi7ge5FFg30rvkosq+i4qFftNx3bV/Ds7OghOog0gbk86t0tn"
    "L8gxfLOfkAd6buj/HyrxMrTw7sfs4ZzuguK9/fX7OwKBgQCy/A36+NHGDWNH5hicwbA0XO89FkdPfRr712Sry9z9"
    "dWVGDR3hdZ4Sye/PcT7rj2UuX0QM2X3ozjNdD/gzhWd7unrShiN/ErLpoWTgHiYbOnXH/sMdCd/MXgljEJSOGR94"
    "puC/TTYojHkuIiAKkAykzJGYSlYq+rp8tJX2KBf9zQKBgQC2kFQRAxpWoleXg8t4x9KE07gsY9ONhXr0xODBv5y5"
    "oJvGNKjWEydwe8Jsw5wtRe4Q4HZsputF6Ra9u6tvj9gzrWMgppqnZS1LIGKUikF9G4XoI3JK7QShUK42W5cVbAQc"
    "Tn62blADzzS2gYud6ohzKU1os/cF+m1SHQmLNAjILQKBgE59UUmC0Rjqq1Qc3Y2bRl+VMFYZRbkCwcCWmvLEGq8g"
    "A4cboeL/eLQpq96xE0e2kwZ+vAAemWqFZBRlBWJIiWNEdht3uy+/zLY+3QHLlBWdgTb2M9Tzel1IPbNDC5kuXnNM"
    "RENOQi+GYORI8hHQmlyAAhBwfH2NtTCZTE3CYLeu"
)
FIXED_RSA_2048_SPKI_SHA256 = "f659472531b8169c34ec61e34f852f17810100827181cbf3abd078eb3208aa9a"
FIXED_PKCS1_SHA256_SIGNATURE = bytes.fromhex(
    "026069b96567e6521344cc6c439f270cecdd87f2c57ab179a841c05e50a837b4245aeaccf9b61c3736e7"
    "98051b878a62ac76880c7183948c0f31905720829f85b7e013663c5ce837d54312da1b7ee07805ac07f9"
    "d49c62f2c99d4efca9e65b41c40642f02b18b6ea49f913b61e2f3f34cdc4f6c9e2adffe9cdd4d532a415"
    "885bf822b257b16e5ed7828f37913be79d1d05e427922f51eebc6dcbe29f77e083041f7b8aece077c8ff"
    "58a55c234ea7e63c4702bb4f784349dd45fe9ef71ac4dedbec681988c9a4bcdc8f7d74099927e41c41be"
    "607c2b63f5d71281b9668a65f18ee1f8abecdf488d7403c3383f3626b8580ff8aea38d2fbe0bf0a4088d"
    "aa93284a"
)
MESSAGE = b"hello kms"
HASH = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512,
        "SHA_1": hashes.SHA1}
RSA_SIGNING = ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
               "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384",
               "RSASSA_PKCS1_V1_5_SHA_512"]
ECC = {"ECC_NIST_P256": ("ECDSA_SHA_256", "secp256r1"),
       "ECC_NIST_P384": ("ECDSA_SHA_384", "secp384r1"),
       "ECC_NIST_P521": ("ECDSA_SHA_512", "secp521r1"),
       "ECC_SECG_P256K1": ("ECDSA_SHA_256", "secp256k1")}


@functools.cache
def key(spec: str) -> bytes:
    if spec == "RSA_2048":
        return FIXED_RSA_2048
    return asymmetric.generate(spec)


def hash_for(algorithm: str) -> hashes.HashAlgorithm:
    return HASH["SHA_" + algorithm.rsplit("_", 1)[1]]()


@functools.cache
def theirs_private(der: bytes):  # type: ignore[no-untyped-def]
    return serialization.load_der_private_key(der, password=None)


def test_fixed_rsa_key_public_der_and_pkcs1_vector() -> None:
    public = asymmetric.public_der(FIXED_RSA_2048)
    assert hashlib.sha256(public).hexdigest() == FIXED_RSA_2048_SPKI_SHA256
    assert asymmetric.public_der(public) == public
    signature = asymmetric.sign(FIXED_RSA_2048, "RSASSA_PKCS1_V1_5_SHA_256", MESSAGE)
    assert signature == FIXED_PKCS1_SHA256_SIGNATURE
    digest = hashlib.sha256(MESSAGE).digest()
    assert asymmetric.sign(FIXED_RSA_2048, "RSASSA_PKCS1_V1_5_SHA_256", digest,
                           "DIGEST") == FIXED_PKCS1_SHA256_SIGNATURE


@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_3072", "RSA_4096", *ECC])
def test_generate_gives_pkcs8_of_the_spec(spec: str) -> None:
    der = key(spec)
    private = theirs_private(der)
    assert private.private_bytes(serialization.Encoding.DER,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()) == der
    public = asymmetric.public_der(der)
    assert serialization.load_der_public_key(public).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == public
    assert asymmetric.spec_of(der) == asymmetric.spec_of(public) == spec
    if spec.startswith("RSA_"):
        assert isinstance(private, rsa.RSAPrivateKey)
        assert private.key_size == int(spec[4:])
        assert private.private_numbers().public_numbers.e == 65537
    else:
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        assert private.curve.name == ECC[spec][1]


def test_algorithm_lists_match_aws() -> None:
    for spec in ("RSA_2048", "RSA_3072", "RSA_4096"):
        assert asymmetric.signing_algorithms(spec) == RSA_SIGNING
        assert asymmetric.encryption_algorithms(spec) == ["RSAES_OAEP_SHA_1",
                                                          "RSAES_OAEP_SHA_256"]
    for spec, (algorithm, _) in ECC.items():
        assert asymmetric.signing_algorithms(spec) == [algorithm]
        assert asymmetric.encryption_algorithms(spec) == []
    for spec in ("SYMMETRIC_DEFAULT", "HMAC_256", "SM2", "ECC_NIST_EDWARDS25519", "RSA_1024"):
        with pytest.raises(UnsupportedKeySpec):
            asymmetric.signing_algorithms(spec)
        with pytest.raises(UnsupportedKeySpec):
            asymmetric.generate(spec)


def rsa_sign_cases() -> list[tuple[str, str]]:
    return [(spec, alg) for spec in ("RSA_2048", "RSA_3072") for alg in RSA_SIGNING]


@pytest.mark.parametrize(("spec", "algorithm"), rsa_sign_cases())
@pytest.mark.parametrize("message_type", ["RAW", "DIGEST"])
def test_rsa_signatures_verify_both_ways(spec: str, algorithm: str, message_type: str) -> None:
    der = key(spec)
    digest_alg = hash_for(algorithm)
    message = MESSAGE
    if message_type == "DIGEST":
        h = hashes.Hash(digest_alg)
        h.update(MESSAGE)
        message = h.finalize()
    ours = asymmetric.sign(der, algorithm, message, message_type)  # type: ignore[arg-type]
    assert len(ours) == int(spec[4:]) // 8
    public = theirs_private(der).public_key()
    if "PSS" in algorithm:
        # AWS: salt length = hash length. Verifying with exactly that length proves it.
        pad: padding.AsymmetricPadding = padding.PSS(padding.MGF1(digest_alg),
                                                     digest_alg.digest_size)
    else:
        pad = padding.PKCS1v15()
    public.verify(ours, MESSAGE, pad, hash_for(algorithm))
    theirs = theirs_private(der).sign(MESSAGE, pad, hash_for(algorithm))
    pub_der = asymmetric.public_der(der)
    assert asymmetric.verify(pub_der, algorithm, message, message_type, theirs)  # type: ignore[arg-type]
    assert asymmetric.verify(der, algorithm, message, message_type, ours)  # type: ignore[arg-type]


@pytest.mark.parametrize("spec", list(ECC))
@pytest.mark.parametrize("message_type", ["RAW", "DIGEST"])
def test_ecdsa_signatures_verify_both_ways(spec: str, message_type: str) -> None:
    algorithm = ECC[spec][0]
    der = key(spec)
    message = MESSAGE
    if message_type == "DIGEST":
        h = hashes.Hash(hash_for(algorithm))
        h.update(MESSAGE)
        message = h.finalize()
    ours = asymmetric.sign(der, algorithm, message, message_type)  # type: ignore[arg-type]
    r, s = utils.decode_dss_signature(ours)  # DER ECDSA-Sig-Value, as AWS returns
    assert utils.encode_dss_signature(r, s) == ours
    private = theirs_private(der)
    private.public_key().verify(ours, MESSAGE, ec.ECDSA(hash_for(algorithm)))
    theirs = private.sign(MESSAGE, ec.ECDSA(hash_for(algorithm)))
    public = asymmetric.public_der(der)
    assert asymmetric.verify(public, algorithm, message, message_type, theirs)  # type: ignore[arg-type]


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P384"])
def test_wrong_message_or_signature_is_false(spec: str) -> None:
    der = key(spec)
    algorithm = asymmetric.signing_algorithms(spec)[0]
    public = asymmetric.public_der(der)
    signature = asymmetric.sign(der, algorithm, MESSAGE)
    assert asymmetric.verify(public, algorithm, MESSAGE, "RAW", signature)
    assert not asymmetric.verify(public, algorithm, MESSAGE + b"!", "RAW", signature)
    flipped = bytearray(signature)
    flipped[len(flipped) // 2] ^= 1
    assert not asymmetric.verify(public, algorithm, MESSAGE, "RAW", bytes(flipped))
    for junk in (b"", b"\x00", b"\x30\x00", signature[:-1], signature + b"\x00"):
        assert not asymmetric.verify(public, algorithm, MESSAGE, "RAW", junk)
    # Signed RAW, checked as DIGEST of the raw bytes' hash: the same message.
    digest = hashlib.new(algorithm[-7:].replace("_", "").lower(), MESSAGE).digest()
    assert asymmetric.verify(public, algorithm, digest, "DIGEST", signature)
    # ... but not as a RAW message that happens to be the digest.
    assert not asymmetric.verify(public, algorithm, digest, "RAW", signature)


def test_signature_from_another_key_is_false() -> None:
    other = asymmetric.generate("ECC_NIST_P256")
    signature = asymmetric.sign(other, "ECDSA_SHA_256", MESSAGE)
    assert not asymmetric.verify(key("ECC_NIST_P256"), "ECDSA_SHA_256", MESSAGE, "RAW",
                                 signature)


def test_pss_and_pkcs1_are_not_interchangeable() -> None:
    pss = asymmetric.sign(FIXED_RSA_2048, "RSASSA_PSS_SHA_256", MESSAGE)
    assert not asymmetric.verify(FIXED_RSA_2048, "RSASSA_PKCS1_V1_5_SHA_256", MESSAGE, "RAW",
                                 pss)
    assert not asymmetric.verify(FIXED_RSA_2048, "RSASSA_PSS_SHA_384", MESSAGE, "RAW", pss)


@pytest.mark.parametrize(("algorithm", "length"), [
    ("RSASSA_PSS_SHA_256", 32), ("RSASSA_PKCS1_V1_5_SHA_384", 48),
    ("RSASSA_PKCS1_V1_5_SHA_512", 64),
])
def test_digest_length_is_checked(algorithm: str, length: int) -> None:
    assert asymmetric.digest_length(algorithm) == length
    for bad in (length - 1, length + 1, 0):
        with pytest.raises(ValidationError):
            asymmetric.sign(FIXED_RSA_2048, algorithm, b"\x01" * bad, "DIGEST")
        with pytest.raises(ValidationError):
            asymmetric.verify(FIXED_RSA_2048, algorithm, b"\x01" * bad, "DIGEST", b"sig")
    asymmetric.sign(FIXED_RSA_2048, algorithm, b"\x01" * length, "DIGEST")


def test_ecdsa_p521_digest_is_64_bytes() -> None:
    der = key("ECC_NIST_P521")
    with pytest.raises(ValidationError):
        asymmetric.sign(der, "ECDSA_SHA_512", b"\x00" * 32, "DIGEST")
    signature = asymmetric.sign(der, "ECDSA_SHA_512", b"\x00" * 64, "DIGEST")
    assert asymmetric.verify(der, "ECDSA_SHA_512", b"\x00" * 64, "DIGEST", signature)


def test_unknown_message_type_is_a_validation_error() -> None:
    for message_type in ("EXTERNAL_MU", "raw", ""):
        with pytest.raises(ValidationError):
            asymmetric.sign(FIXED_RSA_2048, "RSASSA_PSS_SHA_256", MESSAGE,
                            message_type)  # type: ignore[arg-type]


@pytest.mark.parametrize(("spec", "algorithm"), [
    ("ECC_NIST_P256", "ECDSA_SHA_384"),
    ("ECC_NIST_P384", "ECDSA_SHA_256"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_512"),
    ("ECC_NIST_P256", "RSASSA_PSS_SHA_256"),
    ("RSA_2048", "ECDSA_SHA_256"),
    ("RSA_2048", "RSAES_OAEP_SHA_256"),
    ("RSA_2048", "RSASSA_PSS_SHA_1"),
    ("RSA_2048", "SM2DSA"),
])
def test_algorithm_not_of_the_key_is_refused(spec: str, algorithm: str) -> None:
    with pytest.raises(UnsupportedAlgorithm):
        asymmetric.sign(key(spec), algorithm, MESSAGE)
    with pytest.raises(UnsupportedAlgorithm):
        asymmetric.verify(key(spec), algorithm, MESSAGE, "RAW", b"sig")


# ---- RSA-OAEP ---------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "algorithm", "limit"), [
    ("RSA_2048", "RSAES_OAEP_SHA_1", 214), ("RSA_2048", "RSAES_OAEP_SHA_256", 190),
    ("RSA_3072", "RSAES_OAEP_SHA_1", 342), ("RSA_3072", "RSAES_OAEP_SHA_256", 318),
    ("RSA_4096", "RSAES_OAEP_SHA_1", 470), ("RSA_4096", "RSAES_OAEP_SHA_256", 446),
])
def test_oaep_plaintext_limits_match_aws(spec: str, algorithm: str, limit: int) -> None:
    assert asymmetric.max_plaintext_length(spec, algorithm) == limit
    der = key(spec)
    public = asymmetric.public_der(der)
    ciphertext = asymmetric.rsa_encrypt(public, algorithm, b"\xab" * limit)
    assert len(ciphertext) == int(spec[4:]) // 8
    assert asymmetric.rsa_decrypt(der, algorithm, ciphertext) == b"\xab" * limit
    with pytest.raises(ValidationError):
        asymmetric.rsa_encrypt(public, algorithm, b"\xab" * (limit + 1))


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
def test_oaep_interoperates_with_cryptography(algorithm: str) -> None:
    digest = hash_for(algorithm)
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    private = theirs_private(FIXED_RSA_2048)
    theirs = private.public_key().encrypt(b"data key", oaep)
    assert asymmetric.rsa_decrypt(FIXED_RSA_2048, algorithm, theirs) == b"data key"
    ours = asymmetric.rsa_encrypt(asymmetric.public_der(FIXED_RSA_2048), algorithm, b"x")
    assert private.decrypt(ours, oaep) == b"x"


def test_oaep_failures_are_invalid_ciphertext() -> None:
    public = asymmetric.public_der(FIXED_RSA_2048)
    ciphertext = asymmetric.rsa_encrypt(public, "RSAES_OAEP_SHA_256", b"secret")
    with pytest.raises(InvalidCiphertext):  # wrong algorithm
        asymmetric.rsa_decrypt(FIXED_RSA_2048, "RSAES_OAEP_SHA_1", ciphertext)
    flipped = bytearray(ciphertext)
    flipped[100] ^= 1
    with pytest.raises(InvalidCiphertext):
        asymmetric.rsa_decrypt(FIXED_RSA_2048, "RSAES_OAEP_SHA_256", bytes(flipped))
    for bad in (b"", ciphertext[:-1], ciphertext + b"\x00", b"\xff" * 256):
        with pytest.raises(InvalidCiphertext):
            asymmetric.rsa_decrypt(FIXED_RSA_2048, "RSAES_OAEP_SHA_256", bad)
    with pytest.raises(InvalidCiphertext):  # another key of the same size
        asymmetric.rsa_decrypt(asymmetric.generate("RSA_2048"), "RSAES_OAEP_SHA_256",
                               ciphertext)


def test_oaep_refuses_other_algorithms_and_ecc_keys() -> None:
    public = asymmetric.public_der(FIXED_RSA_2048)
    for algorithm in ("SYMMETRIC_DEFAULT", "RSAES_PKCS1_V1_5", "RSASSA_PSS_SHA_256"):
        with pytest.raises(UnsupportedAlgorithm):
            asymmetric.rsa_encrypt(public, algorithm, b"x")
    with pytest.raises(UnsupportedAlgorithm):
        asymmetric.rsa_encrypt(asymmetric.public_der(key("ECC_NIST_P256")),
                               "RSAES_OAEP_SHA_256", b"x")
    with pytest.raises(UnsupportedAlgorithm):
        asymmetric.rsa_decrypt(key("ECC_NIST_P256"), "RSAES_OAEP_SHA_256", b"x" * 256)


# ---- data key pairs, OpenSSH ------------------------------------------------------------

@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P521",
                                  "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"])
def test_data_key_pair(spec: str) -> None:
    private, public = asymmetric.data_key_pair(spec)
    assert asymmetric.public_der(private) == public
    assert asymmetric.spec_of(private) == spec
    assert private.startswith(b"\x30") and public.startswith(b"\x30")


def test_rsa_4096_data_key_pair_fits_kms_plaintext_limit() -> None:
    assert len(key("RSA_4096")) <= 4096


@pytest.mark.parametrize("spec", ["SM2", "ML_KEM_512", "SYMMETRIC_DEFAULT"])
def test_unsupported_key_pair_specs(spec: str) -> None:
    with pytest.raises(UnsupportedKeySpec):
        asymmetric.data_key_pair(spec)


@pytest.mark.parametrize(("spec", "prefix"), [
    ("RSA_2048", "ssh-rsa "), ("ECC_NIST_P256", "ecdsa-sha2-nistp256 "),
    ("ECC_NIST_P384", "ecdsa-sha2-nistp384 "), ("ECC_NIST_P521", "ecdsa-sha2-nistp521 "),
])
def test_openssh_public(spec: str, prefix: str) -> None:
    der = key(spec)
    line = asymmetric.openssh_public(der, "kms key")
    assert line.startswith(prefix) and line.endswith(" kms key")
    assert asymmetric.openssh_public(asymmetric.public_der(der)) == line.removesuffix(
        " kms key")
    loaded = serialization.load_ssh_public_key(line.encode())
    assert loaded.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo) == (
        asymmetric.public_der(der))


def test_openssh_public_refuses_secp256k1() -> None:
    with pytest.raises(UnsupportedKeySpec):
        asymmetric.openssh_public(key("ECC_SECG_P256K1"))


# ---- the openssl CLI agrees -------------------------------------------------------------

OPENSSL = shutil.which("openssl")


def openssl(*args: str) -> None:
    assert OPENSSL is not None
    subprocess.run([OPENSSL, *args], check=True, capture_output=True)


@pytest.mark.skipif(OPENSSL is None, reason="no openssl CLI")
@pytest.mark.parametrize(("spec", "algorithm", "options"), [
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", []),
    ("RSA_2048", "RSASSA_PSS_SHA_384",
     ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:48"]),
    ("ECC_NIST_P256", "ECDSA_SHA_256", []),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256", []),
])
def test_openssl_verifies_our_signatures(tmp_path: Path, spec: str, algorithm: str,
                                         options: list[str]) -> None:
    (tmp_path / "public.der").write_bytes(asymmetric.public_der(key(spec)))
    (tmp_path / "message").write_bytes(MESSAGE)
    (tmp_path / "sig").write_bytes(asymmetric.sign(key(spec), algorithm, MESSAGE))
    digest = "-" + algorithm[-7:].replace("_", "").lower()
    openssl("dgst", digest, "-verify", str(tmp_path / "public.der"), "-keyform", "DER",
            *options, "-signature", str(tmp_path / "sig"), str(tmp_path / "message"))
