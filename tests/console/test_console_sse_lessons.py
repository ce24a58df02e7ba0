"""The SSE-mode lessons in the browser: listed on the Lessons index, each page's live step
works and its commands name this server. First (on this module's fresh server): the
AWS-managed key appears only after the first aws:kms write without a key id."""

from __future__ import annotations

import base64
import re

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect

from objstore.clientside import get_object
from tests.console.conftest import Console

LESSONS = {
    "sse-s3": "SSE-S3: encryption you never ask for",
    "sse-kms": "SSE-KMS: objects under a KMS key",
    "aws-managed-key": "The AWS-managed key alias/aws/s3",
    "bucket-keys": "S3 Bucket Keys: fewer KMS calls",
    "dsse-kms": "DSSE-KMS: two layers",
    "sse-c": "SSE-C: your key, never stored",
    "client-side": "Client-side encryption",
}


def test_aws_managed_key_appears_on_first_use(console: Console, page: Page) -> None:
    console.sign_in(page)
    page.goto(console.url("keys"))
    aws = page.locator("section", has=page.get_by_role("heading", name="AWS-managed keys"))
    expect(aws.get_by_role("table")).not_to_contain_text("alias/aws/s3")
    page.goto(console.url("lessons/sse/aws-managed-key"))
    status = page.locator(".aws-managed-status")
    expect(status).to_contain_text("Absent")
    console.shot(page, "absent")
    page.get_by_role("button", name="Write with aws:kms and no key").click()
    expect(page.locator(".banner.ok")).to_contain_text("SSE-KMS alias/aws/s3")
    page.goto(console.url("lessons/sse/aws-managed-key"))
    expect(status).to_contain_text("Present")
    console.shot(page, "present")
    page.locator(".step").nth(2).get_by_role("link", name="Keys page").click()
    aws = page.locator("section", has=page.get_by_role("heading", name="AWS-managed keys"))
    expect(aws.get_by_role("table")).to_contain_text("alias/aws/s3")
    console.shot(page, "keys-page")
    kms = console.server.client("kms")
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyManager"] == "AWS"


def test_every_lesson_is_listed_and_names_this_endpoint(console: Console,
                                                        page: Page) -> None:
    console.sign_in(page)
    for slug, title in LESSONS.items():
        page.goto(console.url("lessons"))
        page.get_by_role("link", name=title).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.locator("main")).to_contain_text(
            f"--endpoint-url {console.server.endpoint}")
        expect(page.locator(".step-code").first).to_contain_text("boto3")
        console.shot(page, slug)


def test_live_steps_write_in_each_mode(console: Console, page: Page) -> None:
    kms = console.server.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/lessons", TargetKeyId=key_id)
    s3 = console.server.client()
    console.sign_in(page)
    bucket = "lesson-admin"
    page.goto(console.url("lessons/sse/sse-s3"))
    page.get_by_role("button", name="Write an SSE-S3 object").click()
    expect(page.locator(".banner.ok")).to_contain_text("SSE-S3")
    expect(page.get_by_role("heading", name="How it is stored")).to_be_visible()
    page.goto(console.url("lessons/sse/sse-kms"))
    page.get_by_label("KMS key", exact=True).select_option("alias/lessons")
    page.get_by_role("button", name="Write an SSE-KMS object").click()
    expect(page.locator(".banner.ok")).to_contain_text("SSE-KMS alias/lessons")
    head = s3.head_object(Bucket=bucket, Key="sse-kms/example.txt")
    assert head["SSEKMSKeyId"].endswith(key_id)
    page.goto(console.url("lessons/sse/bucket-keys"))
    page.get_by_label("KMS key", exact=True).select_option("alias/lessons")
    page.get_by_role("button", name="Write three objects with a Bucket Key").click()
    expect(page.locator(".banner.ok")).to_contain_text("Wrote 3 objects")
    expect(page.get_by_role("row", name=re.compile("example-3.txt"))).to_contain_text(
        "+ Bucket Key")
    page.goto(console.url("lessons/sse/dsse-kms"))
    page.get_by_label("KMS key", exact=True).select_option("alias/lessons")
    page.get_by_role("button", name="Write a DSSE-KMS object").click()
    expect(page.locator(".banner.ok")).to_contain_text("DSSE-KMS alias/lessons")
    page.goto(console.url("lessons/sse/sse-c"))
    page.get_by_role("button", name="Write an SSE-C object with a new key").click()
    shown = page.get_by_label("SSE-C key (base64, 256 bits)").input_value()
    body = s3.get_object(Bucket=bucket, Key="sse-c/example.txt", SSECustomerAlgorithm="AES256",
                         SSECustomerKey=base64.b64decode(shown))["Body"].read()
    assert body.startswith(b"A SSE-C example")
    page.goto(console.url("lessons/sse/client-side"))
    page.get_by_label("KMS key that wraps the data key").select_option("alias/lessons")
    page.get_by_role("button", name="Encrypt here and upload").click()
    expect(page.locator(".banner.ok")).to_contain_text("client-side")
    assert get_object(s3, kms, bucket, "client-side/example.txt",
                      {"project": "lessons"}).startswith(b"A Client-side")
    console.shot(page, "client-side-object")
