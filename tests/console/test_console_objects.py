"""Objects in the browser: upload in every mode (streamed multipart form), download (SSE-C
with its key in a POST form, client-side raw or decrypted in the console), the inspect
view, deletion; the refusals (disabled key, key policy, SSE-C blocked, wrong key); and the
security rules (escaping, the SSE-C key never shown twice, logged or put in a URL, CSRF)."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect

from objstore.clientside import get_object as cse_get
from tests.conftest import make_client
from tests.console.conftest import ADMIN, Console, cookie_and_token, http

ACCOUNT = "111122223333"


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _upload(page: Page, console: Console, bucket: str, path: Path, mode: str, *,
            key: str = "", kms_key: str | None = None, context: str = "",
            bucket_key: bool = False, pasted: str | None = None, cse_key: str | None = None,
            metadata: str = "") -> None:
    page.goto(console.url(f"buckets/{bucket}/upload"))
    if key:
        page.get_by_label(re.compile("^Object key")).fill(key)
    page.get_by_label(mode, exact=True).check()
    if kms_key:
        page.get_by_label("KMS key", exact=True).select_option(kms_key)
    if context:
        page.get_by_label(re.compile("^Encryption context")).fill(context)
    if bucket_key:
        page.get_by_label("Use an S3 Bucket Key (SSE-KMS only)").check()
    if pasted is not None:
        page.get_by_label("Use my key:").check()
        page.get_by_label("Your 256-bit key, base64").fill(pasted)
    if cse_key:
        page.get_by_label("KMS key that wraps the data key").select_option(cse_key)
    if metadata:
        page.get_by_label(re.compile("^User metadata")).fill(metadata)
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()


def _download(page: Page, button: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("button" if button != "Download" else "link", name=button).click()
    return Path(info.value.path()).read_bytes()


def _key(console: Console, alias: str, policy: dict[str, object] | None = None) -> str:
    kms = console.server.client("kms")
    params = {"Policy": json.dumps(policy)} if policy else {}
    key_id = kms.create_key(**params)["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return key_id


def test_upload_without_a_header_is_sse_s3_and_downloads(console: Console, page: Page,
                                                         tmp_path: Path) -> None:
    console.server.client().create_bucket(Bucket="upl")
    data = os.urandom(3 * 1024 * 1024 + 17)   # several slices: streamed, not one chunk
    console.sign_in(page)
    _upload(page, console, "upl", _file(tmp_path, "big.bin", data), "No SSE header",
            key="folder/", metadata="owner=me")
    expect(page.locator(".banner.ok")).to_contain_text("Uploaded folder/big.bin")
    expect(page.locator(".banner.ok")).to_contain_text("SSE-S3")
    head = console.server.client().head_object(Bucket="upl", Key="folder/big.bin")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["Metadata"] == {"owner": "me"}
    assert head["ContentLength"] == len(data)
    stored = page.locator("section", has=page.get_by_role("heading", name="How it is stored"))
    expect(stored).to_contain_text("SSE-S3 (AES256)")
    expect(stored).to_contain_text("the store key")
    expect(stored).to_contain_text("sealed under the object's data key")
    expect(page.get_by_role("heading", name="A thief with the disk")).to_be_visible()
    expect(page.locator(".answer")).to_contain_text("Anyone with S3 read access")
    console.shot(page, "sse-s3-object")
    assert _download(page, "Download") == data
    # the bucket listing shows it under its folder
    page.goto(console.url("buckets/upl"))
    page.get_by_role("link", name="folder/").click()
    expect(page.get_by_role("row", name=re.compile("big.bin"))).to_contain_text("SSE-S3")


def test_sse_kms_with_a_key_and_context_then_dsse(console: Console, page: Page,
                                                  tmp_path: Path) -> None:
    s3 = console.server.client()
    s3.create_bucket(Bucket="kmsup")
    key_id = _key(console, "alias/uploads")
    console.sign_in(page)
    _upload(page, console, "kmsup", _file(tmp_path, "a.txt", b"under kms"),
            "SSE-KMS (aws:kms)", kms_key="alias/uploads", context="project=demo\nteam=blue",
            bucket_key=True)
    expect(page.locator(".banner.ok")).to_contain_text("SSE-KMS alias/uploads + Bucket Key")
    head = s3.head_object(Bucket="kmsup", Key="a.txt")
    assert head["SSEKMSKeyId"].endswith(key_id) and head["BucketKeyEnabled"] is True
    stored = page.locator("section", has=page.get_by_role("heading", name="How it is stored"))
    expect(stored).to_contain_text(key_id)
    expect(stored).to_contain_text("S3 Bucket Key")
    expect(page.locator(".answer")).to_contain_text("kms:Decrypt")
    console.shot(page, "sse-kms-object")
    assert _download(page, "Download") == b"under kms"
    # DSSE: two wrapped data keys
    _upload(page, console, "kmsup", _file(tmp_path, "d.txt", b"two layers"),
            "DSSE-KMS (aws:kms:dsse)", kms_key="alias/uploads", context="project=demo")
    expect(page.locator(".banner.ok")).to_contain_text("DSSE-KMS alias/uploads")
    expect(page.locator("dl.facts").nth(1)).to_contain_text("Outer layer's wrapped data key")
    assert s3.get_object(Bucket="kmsup", Key="d.txt")["Body"].read() == b"two layers"
    assert s3.head_object(Bucket="kmsup", Key="d.txt")["ServerSideEncryption"] == \
        "aws:kms:dsse"


def test_sse_c_generated_key_shown_once_and_never_again(console: Console, page: Page,
                                                        tmp_path: Path) -> None:
    console.server.client().create_bucket(Bucket="ssec")
    console.sign_in(page)
    _upload(page, console, "ssec", _file(tmp_path, "secret.txt", b"customer keyed"),
            "SSE-C (your own key)")
    expect(page.get_by_role("heading", name="Your SSE-C key — copy it now")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("The server keeps no copy")
    customer_key = page.get_by_label("SSE-C key (base64, 256 bits)").input_value()
    assert len(base64.b64decode(customer_key)) == 32
    console.shot(page, "key-once")
    seen = [page.content()]
    page.get_by_role("link", name=re.compile("I have saved the key")).click()
    expect(page.locator("section", has=page.get_by_role(
        "heading", name="How it is stored"))).to_contain_text("The server holds no key")
    console.shot(page, "ssec-object")
    seen.append(page.content())
    # a wrong key: a clear 403
    page.get_by_label("SSE-C key (base64)").fill(base64.b64encode(b"w" * 32).decode())
    page.get_by_role("button", name="Download with this key").click()
    expect(page.get_by_role("alert").first).to_contain_text("Wrong key")
    expect(page.get_by_role("alert").first).to_contain_text("403 AccessDenied")
    console.shot(page, "wrong-key")
    seen.append(page.content())
    # the right key downloads it
    page.get_by_label("SSE-C key (base64)").fill(customer_key)
    assert _download(page, "Download with this key") == b"customer keyed"
    # a plain GET download is refused with the reason
    page.goto(console.url("buckets/ssec/download?key=secret.txt"))
    expect(page.locator(".banner.error")).to_contain_text("400 InvalidRequest")
    for path in ("buckets/ssec", "buckets", "buckets/ssec/object?key=secret.txt"):
        page.goto(console.url(path))
        seen.append(page.content())
    # boto3 reads it with the key shown
    body = console.server.client().get_object(
        Bucket="ssec", Key="secret.txt", SSECustomerAlgorithm="AES256",
        SSECustomerKey=base64.b64decode(customer_key))["Body"].read()
    assert body == b"customer keyed"
    # shown once: in no later page, URL, or log line
    key_md5 = base64.b64encode(__import__("hashlib").md5(
        base64.b64decode(customer_key)).digest()).decode()
    for text in seen[1:]:
        assert customer_key not in text
    assert not any(customer_key in url or key_md5 in url for url in console.visited)
    log = console.server.log_path.read_text()
    assert customer_key not in log and base64.b64decode(customer_key).hex() not in log


def test_sse_c_with_a_pasted_key(console: Console, page: Page, tmp_path: Path) -> None:
    console.server.client().create_bucket(Bucket="pasted")
    mine = base64.b64encode(os.urandom(32)).decode()
    console.sign_in(page)
    _upload(page, console, "pasted", _file(tmp_path, "p.txt", b"my key"),
            "SSE-C (your own key)", pasted="not base64!")
    expect(page.get_by_role("alert").first).to_contain_text("not base64")
    _upload(page, console, "pasted", _file(tmp_path, "p.txt", b"my key"),
            "SSE-C (your own key)", pasted=mine)
    expect(page.locator(".banner.ok")).to_contain_text("SSE-C")
    assert mine not in page.content()
    page.get_by_label("SSE-C key (base64)").fill(mine)
    assert _download(page, "Download with this key") == b"my key"
    assert not any(mine in url for url in console.visited)
    assert mine not in console.server.log_path.read_text()


def test_client_side_upload_readable_by_the_helper_and_in_the_console(
        console: Console, page: Page, tmp_path: Path) -> None:
    s3, kms = console.server.client(), console.server.client("kms")
    s3.create_bucket(Bucket="cse")
    key_id = _key(console, "alias/cse")
    plaintext = os.urandom(300 * 1024) + b"dear diary"
    console.sign_in(page)
    _upload(page, console, "cse", _file(tmp_path, "diary.bin", plaintext),
            "Client-side (S3 Encryption Client V2)", cse_key="alias/cse",
            context="owner=me")
    expect(page.locator(".banner.ok")).to_contain_text("client-side (V2, kms+context)")
    client = page.locator("section", has=page.get_by_role("heading",
                                                            name="Client-side envelope"))
    expect(client).to_contain_text("encrypted by the client before it reached the server")
    expect(client).to_contain_text(key_id)
    console.shot(page, "cse-object")
    # the helper (boto3, AWS's format) decrypts what the console wrote
    assert cse_get(s3, kms, "cse", "diary.bin", {"owner": "me"}) == plaintext
    # raw download: the ciphertext (+ 16-byte tag)
    raw = _download(page, "Download")
    assert len(raw) == len(plaintext) + 16 and raw[:64] != plaintext[:64]
    # decrypt here, with the context; a wrong context is refused
    page.get_by_label(re.compile("^Encryption context")).fill("owner=you")
    page.get_by_role("button", name="Decrypt and download").click()
    expect(page.get_by_role("alert").first).to_contain_text("does not match")
    page.get_by_label(re.compile("^Encryption context")).fill("owner=me")
    assert _download(page, "Decrypt and download") == plaintext
    # the KMS audit trail: the user's own GenerateDataKey and Decrypt, not S3's
    trail = console.server.client("kms")  # noqa: F841 - same account; audit read below
    records = [json.loads(line) for line in (console.server.data_dir / "kms" / "audit.jsonl")
               .read_text().splitlines()]
    mine = [r for r in records if r.get("eventName") in ("GenerateDataKey", "Decrypt")
            and key_id in json.dumps(r.get("resources", r))]
    assert mine and all("invokedBy" not in r.get("userIdentity", {}) for r in mine)


def test_refusals_disabled_key_policy_and_blocked_ssec(console: Console, page: Page,
                                                       tmp_path: Path) -> None:
    s3, kms = console.server.client(), console.server.client("kms")
    s3.create_bucket(Bucket="refuse")
    bob = console.user("bob")
    disabled = _key(console, "alias/off")
    kms.disable_key(KeyId=disabled)
    _key(console, "alias/not-bob", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": bob["arn"]}, "Action": "kms:*",
         "Resource": "*"}]})
    path = _file(tmp_path, "f.txt", b"refused")
    console.sign_in(page)
    _upload(page, console, "refuse", path, "SSE-KMS (aws:kms)", kms_key="alias/off")
    expect(page.get_by_role("alert").first).to_contain_text("The KMS key is disabled")
    expect(page.get_by_role("alert").first).to_contain_text("KMS.DisabledException")
    console.shot(page, "disabled-key")
    console.sign_out(page)
    console.sign_in(page, bob)
    _upload(page, console, "refuse", path, "SSE-KMS (aws:kms)", kms_key="alias/not-bob")
    expect(page.get_by_role("alert").first).to_contain_text("403 AccessDenied")
    console.shot(page, "denied-by-policy")
    console.sign_out(page)
    console.sign_in(page)
    s3.put_bucket_encryption(Bucket="refuse", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}}]})
    _upload(page, console, "refuse", path, "SSE-C (your own key)")
    expect(page.get_by_role("alert").first).to_contain_text("This bucket blocks SSE-C")
    console.shot(page, "ssec-blocked")
    assert "Contents" not in s3.list_objects_v2(Bucket="refuse")


def test_names_and_metadata_render_as_text(console: Console, page: Page) -> None:
    s3 = console.server.client()
    s3.create_bucket(Bucket="xss")
    name = "<script>alert(1)</script>"
    s3.put_object(Bucket="xss", Key=name, Body=b"x", ContentType="text/html",
                  Metadata={"note": "<img src=x onerror=alert(2)>"})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    console.sign_in(page)
    page.goto(console.url("buckets/xss"))
    expect(page.get_by_role("link", name="<script>alert(1)</")).to_be_visible()  # a "folder"
    page.goto(console.url("buckets/xss?delimiter="))
    expect(page.get_by_role("link", name=name)).to_be_visible()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("dl.facts").first).to_contain_text("<img src=x onerror=alert(2)>")
    console.shot(page, "escaped")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download").click()
    assert Path(info.value.path()).read_bytes() == b"x"
    assert dialogs == []
    assert page.locator("script").count() == 0


def test_upload_and_delete_need_the_csrf_token(console: Console) -> None:
    console.server.client().create_bucket(Bucket="csrf")
    console.server.client().put_object(Bucket="csrf", Key="k", Body=b"k")
    cookie, token = cookie_and_token(console, signed_in_as=ADMIN)
    assert http("POST", console.url("buckets/csrf/delete-object"), {"key": "k"},
                cookie=cookie).status == 403
    assert http("POST", console.url("buckets/csrf/upload"), {"key": "n"},
                cookie=cookie).status in (403, 415)
    import urllib.request
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nn\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"f\"\r\n\r\nbytes\r\n--{boundary}--\r\n").encode()
    request = urllib.request.Request(console.url("buckets/csrf/upload"), data=body,
                                     method="POST", headers={
                                         "Cookie": cookie, "Content-Type":
                                         f"multipart/form-data; boundary={boundary}"})
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("an upload without the token was accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 403
    s3 = make_client(console.server.endpoint)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="csrf")["Contents"]] == ["k"]
    assert http("POST", console.url("buckets/csrf/delete-object"),
                {"csrf_token": token, "key": "k"}, cookie=cookie).status == 303
    assert "Contents" not in s3.list_objects_v2(Bucket="csrf")
