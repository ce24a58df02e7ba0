"""Imported key material in the browser: a key with origin EXTERNAL, the wrapping public
key and import token downloaded, material wrapped locally (with `cryptography`, and with
the very `openssl` commands the page shows), uploaded with an expiry; the key is Enabled,
and the clock makes the material expire. Nothing of the material reaches a page or log."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="the playwright package is not installed (pip install -e '.[test]')")
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from playwright.sync_api import Page, expect

from tests.console.conftest import Console


def _create_external(console: Console, page: Page, description: str) -> str:
    page.goto(console.url("keys/new"))
    page.get_by_label("Key material origin").select_option("EXTERNAL")
    page.get_by_label("Description (optional)").fill(description)
    page.get_by_role("button", name="Create key").click()
    expect(page.locator(".banner.ok")).to_contain_text("PendingImport")
    match = re.search(r"/console/keys/([0-9a-f-]{36})/import$", page.url)
    assert match, page.url
    expect(page.locator("dl.facts")).to_contain_text("PendingImport")
    return match.group(1)


def _parameters(page: Page, algorithm: str, folder: Path) -> tuple[Path, Path]:
    page.get_by_label("Wrapping algorithm").select_option(algorithm)
    page.get_by_label("Wrapping key spec").select_option("RSA_2048")
    page.get_by_role("button", name="Get wrapping key and import token").click()
    expect(page.locator(".banner.ok")).to_contain_text("Wrapping public key and import token")
    files = []
    for name in ("WrappingPublicKey.bin", "ImportToken.bin"):
        with page.expect_download() as download:
            page.get_by_role("link", name=f"Download {name}").click()
        assert download.value.suggested_filename == name
        download.value.save_as(folder / name)
        files.append(folder / name)
    return files[0], files[1]


def _upload(page: Page, wrapped: Path, token: Path | None, expires_days: str | None) -> None:
    page.get_by_label("Wrapped key material (EncryptedKeyMaterial.bin)").set_input_files(
        str(wrapped))
    if token is not None:
        page.get_by_label(re.compile(r"^Import token")).set_input_files(str(token))
    if expires_days is not None:
        page.get_by_label("It expires after").check()
        page.get_by_label(re.compile(r"^days \(at most")).fill(expires_days)
    page.get_by_role("button", name="Import key material").click()


def test_import_wrapped_with_cryptography_then_let_it_expire(console: Console, page: Page,
                                                             tmp_path: Path) -> None:
    console.sign_in(page)
    key_id = _create_external(console, page, "imported with cryptography")
    console.shot(page, "import-page")
    public_file, token_file = _parameters(page, "RSAES_OAEP_SHA_256", tmp_path)
    commands = page.locator("pre.wrap-material").inner_text()
    assert commands.strip() == (
        "openssl pkeyutl -encrypt -pubin -inkey WrappingPublicKey.bin -keyform DER -in "
        "PlaintextKeyMaterial.bin -out EncryptedKeyMaterial.bin -pkeyopt "
        "rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256")
    expect(page.locator("pre.make-material")).to_have_text(
        "openssl rand -out PlaintextKeyMaterial.bin 32")
    console.shot(page, "parameters")

    # the wrong file first: the KMS's refusal, nothing imported
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(256))
    _upload(page, junk, None, None)
    expect(page.locator(".banner.error")).to_contain_text("InvalidCiphertextException")
    expect(page.locator(".banner.error")).to_contain_text("Nothing was imported")

    material = os.urandom(32)
    public = serialization.load_der_public_key(public_file.read_bytes())
    wrapped = tmp_path / "EncryptedKeyMaterial.bin"
    wrapped.write_bytes(public.encrypt(material, padding.OAEP(  # type: ignore[union-attr]
        mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)))
    _upload(page, wrapped, token_file, "1")
    expect(page.locator(".banner.ok")).to_contain_text("Key material imported")
    expect(page.locator(".banner.ok")).to_contain_text("expires on")
    assert page.url.endswith(f"/keys/{key_id}")
    general = page.locator("section", has=page.get_by_role("heading", name="General"))
    expect(general).to_contain_text("Enabled")
    expect(general).to_contain_text("KEY_MATERIAL_EXPIRES")
    versions = page.locator("section", has=page.get_by_role(
        "heading", name="Key material and rotation")).locator("tbody tr")
    expect(versions.first).to_contain_text("IMPORTED")
    console.shot(page, "imported")
    kms = console.server.client("kms")
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"under imported material")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"under imported material"

    # two days on, the material has expired: the clock page says so
    page.get_by_role("link", name="Clock").first.click()
    page.get_by_label("Advance the clock by (days)").fill("2")
    page.get_by_role("button", name="Advance").click()
    report = page.locator("section.report")
    row = report.locator("tr", has_text=key_id).first
    expect(row).to_contain_text("imported key material expired")
    expect(row).to_contain_text("Enabled → PendingImport")
    expect(report).to_contain_text("DeleteExpiredKeyMaterial")
    console.shot(page, "expired")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"

    for text in (console.server.log_path.read_text(),):
        assert material.hex() not in text
    for url in console.visited:
        assert material.hex() not in url


OPENSSL = shutil.which("openssl")


@pytest.mark.skipif(OPENSSL is None or shutil.which("xxd") is None,
                    reason="needs the openssl and xxd binaries")
@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_256"])
def test_the_openssl_commands_shown_really_work(console: Console, page: Page, tmp_path: Path,
                                                algorithm: str) -> None:
    console.sign_in(page)
    key_id = _create_external(console, page, f"imported with openssl, {algorithm}")
    _parameters(page, algorithm, tmp_path)
    make = page.locator("pre.make-material").inner_text()
    wrap = page.locator("pre.wrap-material").inner_text()
    console.shot(page, "commands")
    # exactly what the page says, in a shell, in the folder of the downloads
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", make + "\n" + wrap],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    material = (tmp_path / "PlaintextKeyMaterial.bin").read_bytes()
    assert len(material) == 32
    # the token from step 1 is kept in the session: the upload may leave it out
    _upload(page, tmp_path / "EncryptedKeyMaterial.bin", None, None)
    expect(page.locator(".banner.ok")).to_contain_text("Key material imported")
    expect(page.locator(".banner.ok")).to_contain_text("does not expire")
    kms = console.server.client("kms")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    assert material.hex() not in page.content()
    assert material.hex() not in console.server.log_path.read_text()


def test_import_page_refusals(console: Console, page: Page, tmp_path: Path) -> None:
    console.sign_in(page)
    key_id = _create_external(console, page, "refusals")
    # nothing to download before step 1
    response = page.goto(console.url(f"keys/{key_id}/import/ImportToken.bin"))
    assert response is not None and response.status == 404
    expect(page.locator(".banner.error")).to_contain_text("Nothing to download yet")
    # a key whose material the KMS made takes no import
    made = console.server.client("kms").create_key()["KeyMetadata"]["KeyId"]
    page.goto(console.url(f"keys/{made}/import"))
    expect(page.locator(".banner.error")).to_contain_text("only a key created with origin "
                                                          "EXTERNAL")
    page.goto(console.url(f"keys/{key_id}/import"))
    _parameters(page, "RSAES_OAEP_SHA_1", tmp_path)
    expect(page.locator("pre.wrap-material")).to_contain_text("rsa_oaep_md:sha1")
    # an expiry out of range: refused before the KMS is asked
    junk = tmp_path / "w.bin"
    junk.write_bytes(b"\x01" * 256)
    page.evaluate("document.getElementById('valid_days').removeAttribute('max')")
    _upload(page, junk, None, "400")
    expect(page.locator(".banner.error")).to_contain_text("at most 365")
    assert console.server.client("kms").describe_key(
        KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
