"""The Audit page in the browser: each S3 request with the KMS calls it caused, filters
(key, user, operation, time range, request id), paging, refusals, escaping."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

pytest.importorskip("playwright.sync_api",
                    reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect

from tests.console.conftest import Console

ACCOUNT = "111122223333"


def test_s3_requests_grouped_with_their_kms_calls_and_filters(console: Console,
                                                              page: Page) -> None:
    kms = console.server.client("kms")
    key_id = kms.create_key(Description="<script>alert('audit')</script>")[
        "KeyMetadata"]["KeyId"]
    s3 = console.server.client()
    s3.create_bucket(Bucket="audit-demo")
    put = s3.put_object(Bucket="audit-demo", Key="a.txt", Body=b"x",
                        ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    put_id = put["ResponseMetadata"]["RequestId"]
    s3.get_object(Bucket="audit-demo", Key="a.txt")["Body"].read()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    console.sign_in(page)
    page.get_by_role("link", name="Audit").first.click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    s3_groups = page.locator("section.request.via-s3")
    expect(s3_groups.first).to_be_visible()
    put_group = page.locator("section.request", has_text=put_id)
    expect(put_group).to_have_count(1)
    expect(put_group.locator("h2")).to_contain_text(f"S3 request {put_id} by admin")
    expect(put_group).to_contain_text("GenerateDataKey")
    expect(put_group).to_contain_text("s3.amazonaws.com")
    console.shot(page, "all")

    # filters: key, operation, user, request id
    page.get_by_label("Key (id, ARN or alias)").fill(key_id)
    page.get_by_label("Operation").fill("Decrypt")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"operation=Decrypt"))
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Decrypt")
    expect(rows.first).to_contain_text("s3.amazonaws.com")
    console.shot(page, "decrypt-of-key")

    page.goto(console.url(f"audit?request_id={put_id}"))
    expect(page.locator("section.request")).to_have_count(1)
    expect(page.get_by_label("Request ID")).to_have_value(put_id)

    page.goto(console.url("audit?operation=CreateKey&user=admin"))
    create = page.locator("table.audit tbody tr", has_text=key_id)
    expect(create).to_have_count(1)
    create.get_by_text("Record").click()
    expect(create.locator("pre")).to_contain_text("<script>alert('audit')</script>")
    assert dialogs == [] and page.locator("main script").count() == 0
    console.shot(page, "escaped-record")

    page.goto(console.url("audit?user=nobody-at-all"))
    expect(page.get_by_text("No records match.")).to_be_visible()


def test_time_range_paging_and_a_bad_time(console: Console, page: Page) -> None:
    kms = console.server.client("kms")
    for n in range(5):
        kms.create_key(Description=f"paging {n}")
    console.sign_in(page)
    page.goto(console.url("audit?operation=CreateKey&limit=2"))
    expect(page.locator("table.audit tbody tr")).to_have_count(2)
    expect(page.get_by_text("Records 1\u20132, more older ones follow")).to_be_visible()
    first_page = page.locator("table.audit").all_inner_texts()
    page.get_by_role("link", name="Older →").click()
    expect(page.get_by_text(re.compile(r"Records 3\u20134"))).to_be_visible()
    assert page.locator("table.audit").all_inner_texts() != first_page
    page.get_by_role("link", name="← Newer").click()
    expect(page.get_by_text("Records 1\u20132")).to_be_visible()

    # a range in the future finds nothing; one around now finds them
    page.goto(console.url("audit?operation=CreateKey&since=2999-01-01T00:00"))
    expect(page.get_by_text("No records match.")).to_be_visible()
    page.goto(console.url("audit?operation=CreateKey&since=2000-01-01T00:00"
                          "&until=2999-01-01T00:00"))
    expect(page.locator("table.audit tbody tr").first).to_be_visible()

    response = page.goto(console.url("audit?since=yesterday"))
    assert response is not None and response.status == 400
    expect(page.locator(".banner.error")).to_contain_text("not a date and time")


def test_an_alias_filter_and_a_refused_call_shown(console: Console, page: Page) -> None:
    kms = console.server.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/audited", TargetKeyId=key_id)
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError, match="DisabledException"):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    console.sign_in(page)
    page.goto(console.url("audit?key=alias/audited&operation=Encrypt"))
    row = page.locator("table.audit tbody tr").first
    expect(row).to_contain_text("DisabledException")
    expect(row.get_by_role("link", name=key_id)).to_be_visible()
    response = page.goto(console.url("audit?key=alias/not-there"))
    assert response is not None and response.status == 404
    expect(page.locator(".banner.error")).to_contain_text("NotFoundException")
