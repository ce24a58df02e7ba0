"""The Buckets pages in the browser: list, create, delete, browse a bucket by prefix and
delimiter with paging, each object's encryption at a glance, and the bucket's default
encryption set and deleted through PutBucketEncryption's rules."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect

from tests.console.conftest import Console, cookie_and_token, http


def _create_bucket(console: Console, page: Page, name: str) -> None:
    page.goto(console.url("buckets"))
    page.get_by_label("Bucket name").fill(name)
    page.get_by_role("button", name="Create bucket").click()
    expect(page.locator(".banner.ok")).to_contain_text(f"Created bucket {name}")
    expect(page.get_by_role("heading", name=f"Bucket {name}")).to_be_visible()


def test_create_list_and_delete_a_bucket(console: Console, page: Page) -> None:
    console.sign_in(page)
    _create_bucket(console, page, "console-made")
    console.shot(page, "empty-bucket")
    page.get_by_role("link", name="← Buckets").click()
    row = page.get_by_role("row", name=re.compile("console-made"))
    expect(row).to_contain_text("AES256")
    expect(row).to_contain_text("base level")
    s3 = console.server.client()
    assert "console-made" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    # an invalid name: S3's error, shown
    page.get_by_label("Bucket name").fill("Bad_Name")
    page.get_by_role("button", name="Create bucket").click()
    expect(page.locator(".banner.error")).to_contain_text("InvalidBucketName")
    console.shot(page, "bad-name")
    # a bucket with an object cannot be deleted; once empty it can
    s3.put_object(Bucket="console-made", Key="x", Body=b"x")
    page.goto(console.url("buckets/console-made"))
    page.get_by_role("button", name="Delete bucket console-made").click()
    expect(page.locator(".banner.error")).to_contain_text("BucketNotEmpty")
    s3.delete_object(Bucket="console-made", Key="x")
    page.get_by_role("button", name="Delete bucket console-made").click()
    expect(page.locator(".banner.ok")).to_contain_text("Deleted bucket console-made")
    assert "console-made" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_browse_by_prefix_and_delimiter_with_paging(console: Console, page: Page) -> None:
    s3 = console.server.client()
    s3.create_bucket(Bucket="browse")
    for i in range(12):
        s3.put_object(Bucket="browse", Key=f"docs/page-{i:02}.txt", Body=b"p")
    s3.put_object(Bucket="browse", Key="docs/deep/inner.txt", Body=b"i")
    s3.put_object(Bucket="browse", Key="top.txt", Body=b"t")
    console.sign_in(page)
    page.goto(console.url("buckets/browse"))
    expect(page.get_by_role("link", name="docs/")).to_be_visible()
    expect(page.get_by_role("link", name="top.txt")).to_be_visible()
    page.get_by_role("link", name="docs/").click()
    expect(page.get_by_role("link", name="deep/")).to_be_visible()
    page.get_by_label("Per page").select_option("10")
    page.get_by_role("button", name="List").click()
    table = page.get_by_role("table")
    expect(table).to_contain_text("page-00.txt")
    expect(table).not_to_contain_text("page-11.txt")
    console.shot(page, "first-page")
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_role("table")).to_contain_text("page-11.txt")
    expect(page.get_by_role("table")).not_to_contain_text("page-00.txt")
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    console.shot(page, "second-page")
    # no delimiter: everything, flat
    page.get_by_label("Prefix").fill("")
    page.get_by_label("Delimiter").fill("")
    page.get_by_label("Per page").select_option("100")
    page.get_by_role("button", name="List").click()
    expect(page.get_by_role("table")).to_contain_text("docs/deep/inner.txt")


def test_each_row_shows_the_objects_mode(console: Console, page: Page) -> None:
    s3, kms = console.server.client(), console.server.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/rows", TargetKeyId=key_id)
    s3.create_bucket(Bucket="modes")
    s3.put_object(Bucket="modes", Key="s3", Body=b"a", ServerSideEncryption="AES256")
    s3.put_object(Bucket="modes", Key="kms", Body=b"b", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId="alias/rows")
    s3.put_object(Bucket="modes", Key="bk", Body=b"b", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId="alias/rows", BucketKeyEnabled=True)
    s3.put_object(Bucket="modes", Key="dsse", Body=b"c", ServerSideEncryption="aws:kms:dsse",
                  SSEKMSKeyId="alias/rows")
    s3.put_object(Bucket="modes", Key="ssec", Body=b"d", SSECustomerAlgorithm="AES256",
                  SSECustomerKey=b"k" * 32)
    console.sign_in(page)
    page.goto(console.url("buckets/modes"))
    for key, label in (("s3", "SSE-S3"), ("kms", "SSE-KMS alias/rows"),
                       ("bk", "SSE-KMS alias/rows + Bucket Key"),
                       ("dsse", "DSSE-KMS alias/rows"), ("ssec", "SSE-C")):
        expect(page.get_by_role("row", name=re.compile(rf"^{key}\b"))).to_contain_text(label)
    console.shot(page, "modes")


def test_default_encryption_set_and_deleted(console: Console, page: Page) -> None:
    s3, kms = console.server.client(), console.server.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/bucket-default", TargetKeyId=key_id)
    s3.create_bucket(Bucket="defaults")
    console.sign_in(page)
    page.goto(console.url("buckets/defaults"))
    page.get_by_role("link", name="Default encryption settings").click()
    expect(page.locator("dl.facts")).to_contain_text("base level")
    page.get_by_label("SSE-KMS (aws:kms)").check()
    page.get_by_label("KMS key (for aws:kms and aws:kms:dsse)").select_option(
        "alias/bucket-default")
    page.get_by_label(re.compile("S3 Bucket Key")).check()
    page.get_by_label(re.compile("Block SSE-C")).check()
    page.get_by_role("button", name="Save default encryption").click()
    expect(page.locator(".banner.ok")).to_contain_text("Default encryption saved")
    console.shot(page, "kms-default")
    rule = s3.get_bucket_encryption(Bucket="defaults")[
        "ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/bucket-default"}
    assert rule["BucketKeyEnabled"] is True
    assert rule["BlockedEncryptionTypes"]["EncryptionType"] == ["SSE-C"]
    # an object written with no header gets the default
    s3.put_object(Bucket="defaults", Key="plain", Body=b"x")
    assert s3.head_object(Bucket="defaults", Key="plain")["SSEKMSKeyId"].endswith(key_id)
    # DSSE
    page.get_by_label("DSSE-KMS (aws:kms:dsse)").check()
    page.get_by_label(re.compile("S3 Bucket Key")).uncheck()
    page.get_by_role("button", name="Save default encryption").click()
    expect(page.locator("dl.facts")).to_contain_text("aws:kms:dsse")
    # back to the base level
    page.get_by_role("button", name="Delete default encryption").click()
    expect(page.locator(".banner.ok")).to_contain_text("SSE-S3 base level")
    expect(page.locator("dl.facts")).to_contain_text("no (base level)")
    rule = s3.get_bucket_encryption(Bucket="defaults")[
        "ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_settings_refused_as_s3_refuses_them(console: Console) -> None:
    """A KMSMasterKeyID with AES256 (which the form cannot send) gets S3's own error; and
    every settings POST needs the CSRF token."""
    console.server.client().create_bucket(Bucket="rules")
    cookie, token = cookie_and_token(console, signed_in_as={
        "access key id": "AKIAIOSFODNN7EXAMPLE",
        "secret access key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})
    target = console.url("buckets/rules/encryption")
    answer = http("POST", target, {"algorithm": "AES256", "kms_key_id": "alias/x"},
                  cookie=cookie)
    assert answer.status == 403   # no CSRF token
    answer = http("POST", target, {"csrf_token": token, "algorithm": "aws:kms:nope"},
                  cookie=cookie)
    assert answer.status == 303
    page = http("GET", target, cookie=cookie)
    assert "The encryption method specified is not supported" in page.body
    for path in ("buckets/rules/encryption/delete", "buckets/rules/delete", "buckets"):
        assert http("POST", console.url(path), {"name": "x"}, cookie=cookie).status == 403
