"""The key-administration lessons, walked in the browser: the index, then lessons done
live from start to end (each step's form acts on the lesson key and comes back), with the
boto3 and AWS CLI commands beside every step."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect

from tests.console.conftest import Console

ADMIN_LESSONS = ["Create a customer-managed key", "Key policies: who administers, who uses",
                 "Rotate a key", "Disable and re-enable a key",
                 "Schedule a key's deletion, and watch the clock",
                 "Import your own key material", "Read the audit trail"]


def _step(page: Page, n: int):  # type: ignore[no-untyped-def]
    return page.locator("section.step", has=page.locator(f"#step-{n}"))


def test_the_index_lists_every_lesson_and_each_shows_commands(console: Console,
                                                               page: Page) -> None:
    console.sign_in(page)
    page.get_by_role("link", name="Lessons").first.click()
    admin = page.locator("section", has=page.get_by_role("heading",
                                                          name="Administering KMS keys"))
    expect(admin.locator("li")).to_have_count(len(ADMIN_LESSONS))
    expect(page.get_by_role("heading", name="Server-side encryption, one mode at a time")) \
        .to_be_visible()
    console.shot(page, "index")
    for title in ADMIN_LESSONS:
        page.goto(console.url("lessons"))
        admin.get_by_role("link", name=title, exact=True).click()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        if page.get_by_role("button", name="Create a key for this lesson").count():
            continue   # the steps appear once a key is chosen
        expect(page.locator(".step-code").first).to_contain_text(re.compile("boto3|AWS CLI"))
        expect(page.locator(".step-code pre").first).to_be_visible()


def test_walk_the_rotation_lesson(console: Console, page: Page) -> None:
    console.sign_in(page)
    page.goto(console.url("lessons/admin/rotation"))
    page.get_by_role("button", name="Create a key for this lesson").click()
    expect(page.locator(".banner.ok")).to_contain_text("Created key")
    expect(page).to_have_url(re.compile(r"/lessons/admin/rotation\?key=[0-9a-f-]{36}$"))
    key_id = page.url.rsplit("=", 1)[1]
    expect(page.locator(".lesson-key")).to_contain_text(key_id)
    expect(page.locator(".lesson-key")).to_contain_text("lesson: Rotate a key")
    console.shot(page, "start")

    # 1: encrypt something now, on the key's try-it page
    _step(page, 1).get_by_role("link", name="Try it").click()
    page.get_by_label("Text (at most 1024 bytes)").fill("before rotation")
    page.get_by_role("button", name="Encrypt and decrypt").click()
    ciphertext = page.locator("section.result dd").nth(1).inner_text().strip()
    page.go_back()
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?key="))

    # 2: automatic rotation, with its boto3 and CLI beside it
    step2 = _step(page, 2)
    expect(step2.locator(".step-code")).to_contain_text(
        "kms.enable_key_rotation(KeyId=KEY_ID, RotationPeriodInDays=90)")
    expect(step2.locator(".step-code")).to_contain_text(
        f"kms enable-key-rotation --key-id {key_id}")
    step2.get_by_label("Every (90\u20132560 days)").fill("180")
    step2.get_by_role("button", name="Turn on automatic rotation").click()
    expect(page.locator(".banner.ok")).to_contain_text("every 180 days")
    expect(page).to_have_url(re.compile(rf"/lessons/admin/rotation\?key={key_id}$"))

    # 3: rotate now, and come back to the lesson
    before = _step(page, 3).locator("code").first.inner_text()
    _step(page, 3).get_by_role("button", name="Rotate now").click()
    expect(page.locator(".banner.ok")).to_contain_text("Rotated")
    expect(page).to_have_url(re.compile(r"/lessons/admin/rotation\?key="))
    after = _step(page, 3).locator("code").first.inner_text()
    assert before != after
    console.shot(page, "rotated")

    # 4: the old ciphertext still decrypts
    _step(page, 4).get_by_role("link", name="\"Decrypt a ciphertext\"").click()
    page.get_by_label("Ciphertext (base64)").fill(ciphertext)
    page.get_by_role("button", name="Decrypt", exact=True).click()
    expect(page.locator("section.result")).to_contain_text("before rotation")
    kms = console.server.client("kms")
    assert kms.get_key_rotation_status(KeyId=key_id)["RotationPeriodInDays"] == 180
    assert len(kms.list_key_rotations(KeyId=key_id)["Rotations"]) == 1


def test_walk_the_disable_and_deletion_lessons_on_a_chosen_key(console: Console,
                                                               page: Page) -> None:
    kms = console.server.client("kms")
    key_id = kms.create_key(Description="chosen for lessons")["KeyMetadata"]["KeyId"]
    console.sign_in(page)
    page.goto(console.url("lessons/admin/disable-enable"))
    page.get_by_label("or use one of yours").select_option(key_id)
    page.get_by_role("button", name="Use this key").click()
    expect(page.locator(".lesson-key")).to_contain_text("chosen for lessons")

    _step(page, 1).get_by_role("button", name="Disable key").click()
    expect(page.locator(".banner.ok")).to_contain_text("Key disabled")
    expect(page.locator(".lesson-key")).to_contain_text("Disabled")
    _step(page, 2).get_by_role("link", name="Try it").click()
    page.get_by_role("button", name="Encrypt and decrypt").click()
    expect(page.locator(".banner.error")).to_contain_text("DisabledException")
    console.shot(page, "disabled-refused")
    page.goto(console.url(f"lessons/admin/disable-enable?key={key_id}"))
    _step(page, 3).get_by_role("button", name="Enable key").click()
    expect(page.locator(".banner.ok")).to_contain_text("Key enabled")
    expect(page.locator(".lesson-key")).to_contain_text("Enabled")

    # on to the deletion lesson, same key (the links keep it)
    page.get_by_role("link", name="Schedule a key's deletion, and watch the clock").click()
    expect(page.locator(".lesson-key")).to_contain_text(key_id)
    _step(page, 1).get_by_label("Waiting period (7\u201330 days)").fill("7")
    _step(page, 1).get_by_role("button", name="Schedule deletion").click()
    expect(page.locator(".banner.ok")).to_contain_text("Deletion scheduled")
    expect(_step(page, 1)).to_contain_text("will be deleted on")
    console.shot(page, "scheduled")
    _step(page, 2).get_by_role("button", name="Cancel deletion").click()
    expect(page.locator(".banner.ok")).to_contain_text("Deletion cancelled")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"


def test_a_lesson_back_link_cannot_leave_the_console(console: Console, page: Page) -> None:
    """The hidden `back` field only ever names a lesson page."""
    key_id = console.server.client("kms").create_key()["KeyMetadata"]["KeyId"]
    console.sign_in(page)
    page.goto(console.url(f"lessons/admin/rotation?key={key_id}"))
    step3 = _step(page, 3)
    step3.locator("input[name=back]").evaluate(
        "el => el.value = 'https://evil.example/'")
    step3.get_by_role("button", name="Rotate now").click()
    expect(page.locator(".banner.ok")).to_contain_text("Rotated")
    expect(page).to_have_url(re.compile(rf"/console/keys/{key_id}#rotation$"))
