"""The Clock page's report: what fell due while the clock moved (rotations, deletions),
from the key list before and after and the KMS's own audit events."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect

from tests.console.conftest import Console


def test_advancing_reports_rotations_and_deletions(console: Console, page: Page) -> None:
    kms = console.server.client("kms")
    rotating = kms.create_key(Description="rotates every 90 days")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotating, RotationPeriodInDays=90)
    doomed = kms.create_key(Description="<i>deleted</i>")["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    quiet = kms.create_key(Description="nothing happens")["KeyMetadata"]["KeyId"]
    console.sign_in(page)
    page.goto(console.url("clock"))
    expect(page.locator("section.report")).to_have_count(0)
    page.get_by_label("Advance the clock by (days)").fill("200")
    page.get_by_role("button", name="Advance").click()
    expect(page.locator(".banner.ok")).to_contain_text("moved forward 200 days")
    report = page.locator("section.report")
    changed = report.locator("table").first
    expect(changed.locator("tr", has_text=rotating)).to_contain_text("rotated 2 times")
    expect(changed.locator("tr", has_text=doomed)).to_contain_text("deleted")
    expect(changed.locator("tr", has_text=doomed)).to_contain_text("<i>deleted</i>")
    expect(changed).not_to_contain_text(quiet)
    events = report.locator("table").nth(1)
    expect(events.locator("tr", has_text="RotateKey")).to_have_count(2)
    expect(events.locator("tr", has_text="DeleteKey")).to_have_count(1)
    console.shot(page, "report")
    # the report is shown once; the link finds the events on the Audit page
    page.get_by_role("link", name="These and every other call since").click()
    expect(page.locator("table.audit", has_text="DeleteKey")).to_have_count(1)
    page.goto(console.url("clock"))
    expect(page.locator("section.report")).to_have_count(0)
    page.get_by_label("Advance the clock by (days)").fill("1")
    page.get_by_role("button", name="Advance").click()
    expect(page.locator("section.report")).to_contain_text("Nothing fell due")
