"""The Keys pages and the Clock page, driven in the browser, as an administrator and as a
user whom key policies refuse."""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect

from tests.conftest import SECRET_KEY
from tests.console.conftest import Console

ACCOUNT = "111122223333"


def _create_in_browser(console: Console, page: Page, alias: str = "",
                       description: str = "", key_type: str | None = None) -> str:
    page.goto(console.url("keys"))
    page.get_by_role("link", name="Create a key").click()
    if key_type:
        page.get_by_label("Key type").select_option(label=key_type)
    page.get_by_label("Alias (optional)").fill(alias)
    page.get_by_label("Description (optional)").fill(description)
    page.get_by_role("button", name="Create key").click()
    expect(page.locator(".banner.ok")).to_contain_text("Created key")
    match = re.search(r"/console/keys/([0-9a-f-]{36})$", page.url)
    assert match, page.url
    return match.group(1)


def _policy_denying(user_arn: str, actions: str | list[str]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": user_arn}, "Action": actions,
         "Resource": "*"}]})


def test_create_a_key_see_it_listed_and_on_its_page(console: Console, page: Page) -> None:
    console.sign_in(page)
    key_id = _create_in_browser(console, page, alias="console-demo",
                                description="made in the browser")
    expect(page.get_by_role("heading", name=f"Key {key_id}")).to_be_visible()
    general = page.locator("section", has=page.get_by_role("heading", name="General"))
    for text in ("Enabled", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "AWS_KMS",
                 "made in the browser", "customer-managed"):
        expect(general).to_contain_text(text)
    expect(page.get_by_text("alias/console-demo")).to_be_visible()
    expect(page.locator("pre.policy")).to_contain_text("Enable IAM User Permissions")
    expect(page.locator("section", has=page.get_by_role("heading", name="Rotation"))) \
        .to_contain_text(re.compile(r"Automatic rotation\s*off"))
    console.shot(page, "key-page")
    page.get_by_role("link", name="← Keys").click()
    customer = page.locator("section", has=page.get_by_role(
        "heading", name="Customer-managed keys"))
    row = customer.get_by_role("row", name=re.compile(key_id))
    expect(row).to_contain_text("alias/console-demo")
    expect(row).to_contain_text("Enabled")
    console.shot(page, "list")
    # and the KMS agrees, over its own API
    kms = console.server.client("kms")
    assert kms.describe_key(KeyId="alias/console-demo")["KeyMetadata"]["KeyId"] == key_id


def test_an_rsa_signing_key_shows_its_algorithms_and_no_rotation(console: Console,
                                                                 page: Page) -> None:
    console.sign_in(page)
    _create_in_browser(console, page, key_type="RSA 2048, sign and verify")
    expect(page.locator("section", has=page.get_by_role("heading", name="General"))) \
        .to_contain_text("RSASSA_PSS_SHA_256")
    expect(page.get_by_text("Automatic rotation does not apply")).to_be_visible()


def test_disable_then_enable_a_key(console: Console, page: Page) -> None:
    console.sign_in(page)
    key_id = _create_in_browser(console, page)
    page.get_by_role("button", name="Disable key").click()
    expect(page.locator(".banner.ok")).to_contain_text("Key disabled")
    expect(page.locator("dl.facts").first).to_contain_text("Disabled")
    console.shot(page, "disabled")
    kms = console.server.client("kms")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    page.get_by_role("button", name="Enable key").click()
    expect(page.locator(".banner.ok")).to_contain_text("Key enabled")
    expect(page.get_by_role("button", name="Disable key")).to_be_visible()
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_a_taken_alias_is_an_error_banner_but_the_key_is_made(console: Console,
                                                              page: Page) -> None:
    console.sign_in(page)
    _create_in_browser(console, page, alias="taken-alias")
    page.goto(console.url("keys/new"))
    page.get_by_label("Alias (optional)").fill("taken-alias")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator(".banner.error")).to_contain_text("AlreadyExistsException")
    expect(page.locator(".banner.ok")).to_contain_text("Created key")


def test_a_missing_key_is_a_not_found_page(console: Console, page: Page) -> None:
    console.sign_in(page)
    response = page.goto(console.url("keys/00000000-0000-0000-0000-000000000000"))
    assert response is not None and response.status == 404
    expect(page.locator(".banner.error")).to_contain_text("There is no such key")
    expect(page.locator(".banner.error")).to_contain_text("NotFoundException")


def test_a_user_a_key_policy_refuses_sees_why(console: Console, page: Page) -> None:
    bob = console.user("bob")
    bob_arn = f"arn:aws:iam::{ACCOUNT}:user/bob"
    kms = console.server.client("kms")
    hidden = kms.create_key(Description="bob may not even see this",
                            Policy=_policy_denying(bob_arn, "kms:*"))["KeyMetadata"]["KeyId"]
    no_admin = kms.create_key(Description="bob may look but not disable",
                              Policy=_policy_denying(bob_arn, ["kms:DisableKey",
                                                               "kms:GetKeyPolicy"])
                              )["KeyMetadata"]["KeyId"]
    console.sign_in(page, bob)
    page.goto(console.url("keys"))
    row = page.get_by_role("row", name=re.compile(hidden))
    expect(row).to_contain_text("you may not describe this key")
    expect(row).to_contain_text("AccessDeniedException")
    expect(page.get_by_role("row", name=re.compile(no_admin))) \
        .to_contain_text("bob may look but not disable")
    console.shot(page, "list-as-bob")

    response = page.goto(console.url(f"keys/{hidden}"))
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.locator(".banner.error")).to_contain_text(f"{bob_arn} is not authorized "
                                                          "to perform: kms:DescribeKey")
    console.shot(page, "hidden-key-as-bob")

    page.goto(console.url(f"keys/{no_admin}"))
    policy = page.locator("section", has=page.get_by_role("heading", name="Key policy"))
    expect(policy).to_contain_text("kms:GetKeyPolicy")
    page.get_by_role("button", name="Disable key").click()
    expect(page.locator(".banner.error").first).to_contain_text("Not allowed")
    expect(page.locator(".banner.error").first).to_contain_text("kms:DisableKey")
    console.shot(page, "disable-refused-as-bob")
    assert kms.describe_key(KeyId=no_admin)["KeyMetadata"]["KeyState"] == "Enabled"


def test_the_aws_managed_key_appears_after_first_use(console: Console, page: Page) -> None:
    s3 = console.server.client()
    s3.create_bucket(Bucket="managed-key-demo")
    s3.put_object(Bucket="managed-key-demo", Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    console.sign_in(page)
    page.goto(console.url("keys"))
    managed = page.locator("section", has=page.get_by_role("heading", name="AWS-managed keys"))
    expect(managed.locator("tr", has_text="alias/aws/s3")).to_be_visible()
    customer = page.locator("section", has=page.get_by_role(
        "heading", name="Customer-managed keys"))
    expect(customer).not_to_contain_text("alias/aws/s3")
    managed.get_by_role("link").first.click()
    expect(page.get_by_text("AWS (AWS-managed)")).to_be_visible()
    expect(page.get_by_role("button", name="Disable key")).to_have_count(0)
    expect(page.locator("section", has=page.get_by_role("heading", name="Rotation"))) \
        .to_contain_text("365 days")


def test_a_script_in_a_description_renders_as_text(console: Console, page: Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    console.sign_in(page)
    evil = "<script>alert(1)</script>"
    key_id = _create_in_browser(console, page, description=evil, alias="x<b>y")
    expect(page.get_by_text(evil)).to_be_visible()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.content()
    page.goto(console.url("keys"))
    expect(page.get_by_role("row", name=re.compile(key_id))).to_contain_text(evil)
    console.shot(page, "escaped")
    assert dialogs == []
    assert page.locator("script").count() == 0


def test_the_clock_moves_forward_and_refuses_nonsense(console: Console, page: Page) -> None:
    console.sign_in(page)
    page.get_by_role("link", name="Clock").first.click()
    expect(page.get_by_role("heading", name="KMS clock")).to_be_visible()
    before = float(_offset(page))
    page.get_by_label("Advance the clock by (days)").fill("2")
    page.get_by_role("button", name="Advance").click()
    expect(page.locator(".banner.ok")).to_contain_text("moved forward 2 days")
    assert float(_offset(page)) == pytest.approx(before + 2)
    console.shot(page, "advanced")
    # a form a browser would not send (the field says min 0.001): refused, nothing moved
    page.evaluate("document.getElementById('days').removeAttribute('min')")
    page.get_by_label("Advance the clock by (days)").fill("-5")
    page.get_by_role("button", name="Advance").click()
    expect(page.locator(".banner.error")).to_contain_text("above 0")
    assert float(_offset(page)) == pytest.approx(before + 2)


def _offset(page: Page) -> str:
    text = page.locator("dl.facts").inner_text()
    match = re.search(r"Ahead of real time\s+([\d.e+-]+) days", text)
    assert match, text
    return match.group(1)


def test_no_secret_in_any_url_or_log_line(console: Console, page: Page) -> None:
    bob = console.user("carol")
    console.sign_in(page, bob)
    page.goto(console.url("keys"))
    console.sign_out(page)
    console.sign_in(page)
    for url in console.visited:
        assert SECRET_KEY not in url and bob["secret access key"] not in url
        assert "secret" not in url.lower()
    log = console.server.log_path.read_text()
    assert SECRET_KEY not in log and bob["secret access key"] not in log
