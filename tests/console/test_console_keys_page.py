"""A key's page, in the browser: rotation and material versions, deletion and its date,
the policy editor and its refusals, grants, tags, public keys, try it, recent use, and
the plain-words summary of who may administer and who may use a key."""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect

from tests.console.conftest import Console, cookie_and_token, http

ACCOUNT = "111122223333"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def _create(console: Console, page: Page, description: str = "",
            key_type: str | None = None) -> str:
    page.goto(console.url("keys/new"))
    if key_type:
        page.get_by_label("Key type").select_option(label=key_type)
    page.get_by_label("Description (optional)").fill(description)
    page.get_by_role("button", name="Create key").click()
    expect(page.locator(".banner.ok")).to_contain_text("Created key")
    match = re.search(r"/console/keys/([0-9a-f-]{36})$", page.url)
    assert match, page.url
    return match.group(1)


def _section(page: Page, heading: str):  # type: ignore[no-untyped-def]
    return page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))


def _every_post_form_has_the_token(page: Page) -> None:
    forms = page.locator("form[method=post]")
    assert forms.count() > 0
    for i in range(forms.count()):
        assert forms.nth(i).locator("input[name=csrf_token]").count() == 1


def test_rotation_on_and_now_material_versions_and_recent_use(console: Console,
                                                              page: Page) -> None:
    console.sign_in(page)
    key_id = _create(console, page, "rotation demo")
    _every_post_form_has_the_token(page)
    material = _section(page, "Key material and rotation")
    # a period out of range: the browser would stop it, the server refuses it too
    page.get_by_label("Rotate automatically").check()
    page.evaluate("document.getElementById('period').removeAttribute('min')")
    page.get_by_label("every (90\u20132560 days)").fill("30")
    page.get_by_role("button", name="Save rotation").click()
    expect(page.locator(".banner.error")).to_contain_text("90 to 2560")
    page.get_by_label("Rotate automatically").check()
    page.get_by_label("every (90\u20132560 days)").fill("120")
    page.get_by_role("button", name="Save rotation").click()
    expect(page.locator(".banner.ok")).to_contain_text("every 120 days")
    expect(material).to_contain_text(re.compile(r"Automatic rotation\s*on"))
    expect(material).to_contain_text("120 days")
    expect(material).to_contain_text("Next rotation")
    page.get_by_role("button", name="Rotate now").click()
    expect(page.locator(".banner.ok")).to_contain_text("Rotated")
    versions = material.locator("table tbody tr")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("NON_CURRENT")
    expect(versions.nth(1)).to_contain_text("CURRENT")
    expect(versions.nth(1)).to_contain_text("ON_DEMAND")
    console.shot(page, "rotated")
    kms = console.server.client("kms")
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] and status["RotationPeriodInDays"] == 120
    assert len(kms.list_key_rotations(KeyId=key_id)["Rotations"]) == 1

    # recent use: what was done, by whom, with the request id linking to the audit page
    recent = _section(page, "Recent use")
    expect(recent).to_contain_text("RotateKeyOnDemand")
    expect(recent).to_contain_text("EnableKeyRotation")
    expect(recent).not_to_contain_text("GetKeyPolicy")   # the console's own reads left out
    first = recent.locator("tbody tr").first
    expect(first).to_contain_text("admin")
    request_id = first.locator("td").last.inner_text().strip()
    first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/console/audit\?request_id="))
    expect(page.locator("section.request")).to_have_count(1)
    expect(page.locator("section.request")).to_contain_text(request_id)
    expect(page.locator("section.request")).to_contain_text("RotateKeyOnDemand")


def test_schedule_deletion_shows_the_date_and_cancel_brings_it_back_disabled(
        console: Console, page: Page) -> None:
    console.sign_in(page)
    key_id = _create(console, page, "to delete")
    page.evaluate("document.getElementById('deletion-days').removeAttribute('min')")
    page.get_by_label("Schedule deletion after (7\u201330 days)").fill("3")
    page.get_by_role("button", name="Schedule deletion").click()
    expect(page.locator(".banner.error")).to_contain_text("7 to 30")
    page.get_by_label("Schedule deletion after (7\u201330 days)").fill("7")
    page.get_by_role("button", name="Schedule deletion").click()
    kms = console.server.client("kms")
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion"
    date = meta["DeletionDate"].strftime("%Y-%m-%d %H:%M:%S UTC")
    expect(page.locator(".banner.ok")).to_contain_text(f"will be deleted on {date}")
    general = _section(page, "General")
    expect(general).to_contain_text("PendingDeletion")
    expect(general).to_contain_text(date)
    console.shot(page, "pending-deletion")
    page.get_by_role("button", name="Cancel deletion").click()
    expect(page.locator(".banner.ok")).to_contain_text("Deletion cancelled")
    expect(page.get_by_role("button", name="Enable key")).to_be_visible()
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"


def test_the_policy_editor_keeps_the_text_and_shows_each_refusal(console: Console,
                                                                 page: Page) -> None:
    console.sign_in(page)
    key_id = _create(console, page)
    page.get_by_role("link", name="Edit the key policy").click()
    editor = page.get_by_label("Key policy (JSON)")
    expect(editor).to_have_value(re.compile("Enable IAM User Permissions"))

    broken = '{"Version": "2012-10-17", "Statement": [ <b>oops</b> ]}'
    editor.fill(broken)
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator(".banner.error")).to_contain_text("not valid JSON")
    expect(page.locator(".banner.error")).to_contain_text("Line 1, column")
    expect(page.get_by_label("Key policy (JSON)")).to_have_value(broken)
    assert page.locator("b", has_text="oops").count() == 0    # shown as text, not markup

    no_statement = '{"Version": "2012-10-17", "Statement": []}'
    page.get_by_label("Key policy (JSON)").fill(no_statement)
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator(".banner.error")).to_contain_text("MalformedPolicyDocumentException")
    expect(page.get_by_label("Key policy (JSON)")).to_have_value(no_statement)

    lockout = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/nobody"},
        "Action": "kms:*", "Resource": "*"}]})
    page.get_by_label("Key policy (JSON)").fill(lockout)
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator(".banner.error")).to_contain_text("will not allow you to update the "
                                                          "key policy in the future")
    expect(page.get_by_label("Key policy (JSON)")).to_have_value(lockout)
    console.shot(page, "lockout-refused")
    kms = console.server.client("kms")
    assert "Enable IAM User Permissions" in kms.get_key_policy(KeyId=key_id,
                                                              PolicyName="default")["Policy"]

    good = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "<script>alert(1)</script>", "Effect": "Allow", "Principal": {"AWS": ROOT},
        "Action": "kms:*", "Resource": "*"}]})
    page.get_by_label("Key policy (JSON)").fill(good)
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator(".banner.ok")).to_contain_text("Key policy saved")
    expect(page.locator("pre.policy")).to_contain_text("<script>alert(1)</script>")
    assert page.locator("script").count() == 0


def test_grants_and_tags(console: Console, page: Page) -> None:
    console.user("gina")
    gina = f"arn:aws:iam::{ACCOUNT}:user/gina"
    console.sign_in(page)
    key_id = _create(console, page)
    grants = _section(page, "Grants")
    expect(grants).to_contain_text("No grants.")
    # no operation chosen: refused by the console, nothing made
    page.get_by_label("Give a grant to").select_option(gina)
    page.get_by_role("button", name="Create grant").click()
    expect(page.locator(".banner.error")).to_contain_text("at least one operation")
    page.get_by_label("Give a grant to").select_option(gina)
    grants.get_by_label("Encrypt", exact=True).check()
    grants.get_by_label("Decrypt", exact=True).check()
    page.get_by_label("Name (optional)").fill("gina-may-use")
    page.get_by_role("button", name="Create grant").click()
    expect(page.locator(".banner.ok")).to_contain_text(f"{gina} may Encrypt, Decrypt")
    row = grants.locator("tbody tr", has_text=gina)
    expect(row).to_contain_text("gina-may-use")
    kms = console.server.client("kms")
    (grant,) = kms.list_grants(KeyId=key_id)["Grants"]
    assert grant["GranteePrincipal"] == gina and set(grant["Operations"]) == {"Encrypt",
                                                                              "Decrypt"}
    # a principal that is not an ARN: the KMS's own refusal
    page.get_by_label("Give a grant to").select_option("")
    page.get_by_label("Grantee principal ARN (if not listed)").fill("not-an-arn")
    grants.get_by_label("Decrypt", exact=True).check()
    page.get_by_role("button", name="Create grant").click()
    expect(page.locator(".banner.error")).to_contain_text("InvalidArnException")
    console.shot(page, "grant")
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".banner.ok")).to_contain_text("Grant revoked")
    assert kms.list_grants(KeyId=key_id)["Grants"] == []

    tags = _section(page, "Tags")
    page.get_by_label("Tag key").fill("team<i>")
    page.get_by_label("Tag value").fill("<img src=x onerror=alert(1)>")
    page.get_by_role("button", name="Add tag").click()
    expect(page.locator(".banner.ok")).to_contain_text("Tagged team<i>")
    expect(tags).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator("main img").count() == 0
    page.get_by_label("Tag key").fill("aws:reserved")
    page.get_by_role("button", name="Add tag").click()
    expect(page.locator(".banner.error")).to_contain_text("TagException")
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [
        {"TagKey": "team<i>", "TagValue": "<img src=x onerror=alert(1)>"}]
    page.get_by_role("button", name="Remove tag team<i>").click()
    expect(page.locator(".banner.ok")).to_contain_text("Tag team<i> removed")
    expect(tags).to_contain_text("No tags.")


def test_each_key_type_tried_and_public_keys_exported(console: Console, page: Page,
                                                      tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization
    console.sign_in(page)

    rsa = _create(console, page, key_type="RSA 2048, encrypt and decrypt")
    public = _section(page, "Public key")
    pem = public.locator("pre.public-pem").inner_text()
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    expect(public.locator("pre.public-openssh")).to_contain_text("ssh-rsa AAAA")
    with page.expect_download() as download:
        public.get_by_role("link", name="Download public key (PEM)").click()
    path = tmp_path / "rsa.pem"
    download.value.save_as(path)
    assert path.read_text().strip() == pem.strip()
    der = console.server.client("kms").get_public_key(KeyId=rsa)["PublicKey"]
    assert serialization.load_pem_public_key(path.read_bytes()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == der
    with page.expect_download() as download:
        public.get_by_role("link", name="Download public key (OpenSSH)").click()
    ssh = tmp_path / "rsa.pub"
    download.value.save_as(ssh)
    assert ssh.read_text().startswith("ssh-rsa ") and rsa in ssh.read_text()
    console.shot(page, "rsa-public-key")
    page.get_by_role("link", name="Try it").first.click()
    page.get_by_label("Text (at most 1024 bytes)").fill("hello rsa")
    page.get_by_role("button", name="Encrypt and decrypt").click()
    result = page.locator("section.result")
    expect(result).to_contain_text("RSAES_OAEP_SHA_256")
    expect(result).to_contain_text(re.compile(r"Same as the text\s*yes"))

    _create(console, page, key_type="ECC NIST P-256, sign and verify")
    expect(_section(page, "Public key").locator("pre.public-openssh")) \
        .to_contain_text("ecdsa-sha2-nistp256 ")
    page.get_by_role("link", name="Try it").first.click()
    page.get_by_role("button", name="Sign and verify").click()
    expect(page.locator("section.result")).to_contain_text("ECDSA_SHA_256")
    expect(page.locator("section.result")).to_contain_text(re.compile(r"Signature valid\s*yes"))

    _create(console, page, key_type="ECC secp256k1, sign and verify")
    expect(_section(page, "Public key")).to_contain_text("OpenSSH has no format for secp256k1")

    _create(console, page, key_type="HMAC 256, generate and verify MACs")
    expect(page.get_by_role("heading", name="Public key")).to_have_count(0)
    page.get_by_role("link", name="Try it").first.click()
    page.get_by_role("button", name="Make and check a MAC").click()
    expect(page.locator("section.result")).to_contain_text("HMAC_SHA_256")
    expect(page.locator("section.result")).to_contain_text(re.compile(r"MAC valid\s*yes"))


def test_try_it_then_decrypt_the_old_ciphertext_after_rotating(console: Console,
                                                               page: Page) -> None:
    console.sign_in(page)
    key_id = _create(console, page)
    page.get_by_role("link", name="Try it").first.click()
    page.get_by_label("Text (at most 1024 bytes)").fill("before rotation")
    page.get_by_label("Encryption context (optional, name=value, comma separated)") \
        .fill("app=demo")
    page.get_by_role("button", name="Encrypt and decrypt").click()
    result = page.locator("section.result")
    expect(result).to_contain_text(re.compile(r"Decrypted again\s*before rotation"))
    ciphertext = result.locator("dd").nth(1).inner_text().strip()
    first_material = result.locator("dd").nth(4).inner_text().strip()
    page.goto(console.url(f"keys/{key_id}"))
    page.get_by_role("button", name="Rotate now").click()
    expect(page.locator(".banner.ok")).to_contain_text("Rotated")
    page.get_by_role("link", name="Try it").first.click()
    page.get_by_label("Ciphertext (base64)").fill(ciphertext)
    page.get_by_label("Encryption context it was made with").fill("app=demo")
    page.get_by_role("button", name="Decrypt", exact=True).click()
    expect(page.locator("section.result")).to_contain_text("before rotation")
    expect(page.locator("section.result")).to_contain_text(first_material)
    console.shot(page, "old-ciphertext-decrypts")
    # the wrong context, and something that is not base64: banners, no crash
    page.get_by_label("Ciphertext (base64)").fill(ciphertext)
    page.get_by_label("Encryption context it was made with").fill("app=other")
    page.get_by_role("button", name="Decrypt", exact=True).click()
    expect(page.locator(".banner.error")).to_contain_text("InvalidCiphertextException")
    page.get_by_label("Ciphertext (base64)").fill("%%% not base64")
    page.get_by_role("button", name="Decrypt", exact=True).click()
    expect(page.locator(".banner.error")).to_contain_text("not base64")
    for url in console.visited:
        assert "before" not in url and "rotation" not in url
    assert "before rotation" not in console.server.log_path.read_text()


def test_an_administrator_who_may_not_use_the_key(console: Console, page: Page) -> None:
    """bob may administer (through the account's statement) but only alice may use."""
    bob = console.user("bob")
    console.user("alice")
    alice_arn = f"arn:aws:iam::{ACCOUNT}:user/alice"
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Key administrators", "Effect": "Allow", "Principal": {"AWS": ROOT},
         "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
                    "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
                    "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
                    "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand"],
         "Resource": "*"},
        {"Sid": "Key users", "Effect": "Allow", "Principal": {"AWS": alice_arn},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                    "kms:DescribeKey"], "Resource": "*"}]})
    kms = console.server.client("kms")
    key_id = kms.create_key(Description="admins apart from users",
                            Policy=policy)["KeyMetadata"]["KeyId"]
    console.sign_in(page, bob)
    page.goto(console.url(f"keys/{key_id}"))
    access = _section(page, "Who may administer or use it")
    expect(access.locator("p.summary").first).to_contain_text("user/bob")
    expect(access.locator("p.summary").nth(1)).to_contain_text("user/alice")
    expect(access.locator("p.summary").nth(1)).not_to_contain_text("user/bob")
    bob_row = access.locator("tbody tr", has_text="user/bob")
    expect(bob_row).to_contain_text("(you)")
    expect(bob_row).to_contain_text("every administrative action")
    expect(access.locator("tbody tr", has_text="user/alice")).to_contain_text(
        "Encrypt, Decrypt, GenerateDataKey")
    console.shot(page, "who-may")

    page.get_by_role("link", name="Try it").first.click()
    page.get_by_role("button", name="Encrypt and decrypt").click()
    expect(page.locator(".banner.error")).to_contain_text("Not allowed")
    expect(page.locator(".banner.error")).to_contain_text(
        f"arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: kms:Encrypt")
    console.shot(page, "admin-may-not-encrypt")

    page.goto(console.url(f"keys/{key_id}"))
    page.get_by_role("button", name="Disable key").click()
    expect(page.locator(".banner.ok")).to_contain_text("Key disabled")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"


def test_key_actions_refuse_a_post_without_the_token(console: Console) -> None:
    cookie, token = cookie_and_token(console, {"access key id": "AKIAIOSFODNN7EXAMPLE",
                                               "secret access key":
                                               "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})
    key_id = console.server.client("kms").create_key()["KeyMetadata"]["KeyId"]
    for action in ("disable", "rotate", "schedule-deletion", "policy", "grants", "tags",
                   "try", "import/parameters"):
        answer = http("POST", console.url(f"keys/{key_id}/{action}"), cookie=cookie,
                      form={"days": "7", "policy": "{}"})
        assert answer.status == 403, (action, answer.status)
    assert console.server.client("kms").describe_key(
        KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert token
