"""Console sign-in and out, sessions, CSRF, cookies, and the console's place on the S3
port (signed S3 requests under /console/ still reach S3)."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
import uuid

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect

from tests.conftest import ACCESS_KEY, SECRET_KEY, ServerProcess
from tests.console.conftest import ADMIN, Console, cookie_and_token, http


def test_the_server_prints_the_console_address_second(tmp_path) -> None:
    proc = ServerProcess(tmp_path / "data").start()
    try:
        assert proc.process is not None and proc.process.stdout is not None
        assert proc.process.stdout.readline().strip() == f"console: {proc.endpoint}/console/"
    finally:
        proc.stop()


def test_sign_in_shows_who_i_am_and_sign_out_ends_the_session(console: Console,
                                                               page: Page) -> None:
    page.goto(console.url(""))
    expect(page).to_have_url(re.compile(r"/console/signin\?next="))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    console.shot(page, "signin")
    console.sign_in(page)
    expect(page.get_by_role("heading", name="Hello, admin")).to_be_visible()
    expect(page.get_by_text("arn:aws:iam::111122223333:user/admin")).to_be_visible()
    expect(page.locator(".banner.ok")).to_contain_text("Signed in as admin")
    assert SECRET_KEY not in page.content()
    console.shot(page, "home")
    console.sign_out(page)
    expect(page.locator(".banner.ok")).to_contain_text("Signed out")
    page.goto(console.url("keys"))
    expect(page).to_have_url(re.compile(r"/console/signin"))


def test_sign_in_returns_to_the_page_asked_for(console: Console, page: Page) -> None:
    page.goto(console.url("clock"))
    console.sign_in(page, go=False)
    expect(page).to_have_url(console.url("clock"))


def test_a_wrong_secret_is_refused_without_echoing_it(console: Console, page: Page) -> None:
    wrong = "Not-The-Secret-" + uuid.uuid4().hex
    page.goto(console.url("signin"))
    page.get_by_label("Access key ID").fill(ACCESS_KEY)
    page.get_by_label("Secret access key").fill(wrong)
    with page.expect_response(re.compile(r"/console/signin$")) as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 401
    expect(page.locator(".banner.error")).to_contain_text("do not match an identity")
    expect(page.get_by_label("Access key ID")).to_have_value(ACCESS_KEY)
    expect(page.get_by_label("Secret access key")).to_have_value("")
    assert wrong not in page.content()
    console.shot(page, "refused")
    assert wrong not in console.server.log_path.read_text()
    page.goto(console.url("keys"))
    expect(page).to_have_url(re.compile(r"/console/signin"))


def test_an_unknown_access_key_is_refused_alike(console: Console) -> None:
    cookie, token = cookie_and_token(console)
    answer = http("POST", console.url("signin"), cookie=cookie, form={
        "csrf_token": token, "access_key": "AKIANOSUCHKEY0000000", "secret_key": "x"})
    assert answer.status == 401
    assert "do not match an identity" in answer.body


def test_the_session_cookie_is_httponly_samesite_strict_and_scoped(console: Console,
                                                                   page: Page) -> None:
    answer = http("GET", console.url("signin"))
    flags = [part.strip().lower() for part in answer.headers["Set-Cookie"].split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "path=/console" in flags
    assert any(flag.startswith("max-age=") for flag in flags)
    console.sign_in(page)
    cookies = page.context.cookies()
    assert [(c["name"], c["httpOnly"], c["sameSite"], c["path"]) for c in cookies] == \
        [("objstore_console", True, "Strict", "/console")]
    assert page.evaluate("document.cookie") == ""


def test_signing_in_gives_a_new_session_id(console: Console) -> None:
    before, token = cookie_and_token(console)
    answer = http("POST", console.url("signin"), cookie=before, form={
        "csrf_token": token, "access_key": ACCESS_KEY, "secret_key": SECRET_KEY})
    after = answer.headers["Set-Cookie"].split(";", 1)[0]
    assert after != before
    assert http("GET", console.url("keys"), cookie=before).status == 303  # old id: nobody
    assert http("GET", console.url("keys"), cookie=after).status == 200


def test_a_post_without_the_csrf_token_is_refused(console: Console) -> None:
    cookie, _ = cookie_and_token(console)
    answer = http("POST", console.url("signin"), cookie=cookie, form={
        "access_key": ACCESS_KEY, "secret_key": SECRET_KEY})
    assert answer.status == 403
    assert "did not come from this console" in answer.body
    assert http("POST", console.url("signin"), form={
        "access_key": ACCESS_KEY, "secret_key": SECRET_KEY}).status == 403  # no session


def test_a_post_with_a_wrong_or_foreign_csrf_token_is_refused(console: Console) -> None:
    cookie, token = cookie_and_token(console, signed_in_as=ADMIN)
    other_cookie, other_token = cookie_and_token(console, signed_in_as=ADMIN)
    for bad in ("", "x" * 43, other_token, token + "x"):
        answer = http("POST", console.url("clock"), cookie=cookie,
                      form={"csrf_token": bad, "days": "1"})
        assert answer.status == 403, bad
    answer = http("POST", console.url("keys"), cookie=cookie, form={"key_type": "0"})
    assert answer.status == 403
    # the right token works: the refusals were about the token only
    answer = http("POST", console.url("clock"), cookie=cookie,
                  form={"csrf_token": token, "days": "0.01"})
    assert answer.status == 303
    assert other_cookie != cookie


def test_a_post_not_urlencoded_is_refused(console: Console) -> None:
    cookie, token = cookie_and_token(console, signed_in_as=ADMIN)
    request = urllib.request.Request(console.url("clock"), method="POST",
                                     data=f'{{"csrf_token": "{token}"}}'.encode(),
                                     headers={"Cookie": cookie,
                                              "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 403


def test_an_unknown_console_page_is_a_console_404(console: Console) -> None:
    cookie, _ = cookie_and_token(console, signed_in_as=ADMIN)
    answer = http("GET", console.url("no/such/page"), cookie=cookie)
    assert answer.status == 404
    assert "no such page" in answer.body


def test_signed_s3_requests_under_console_still_reach_s3(console: Console) -> None:
    s3 = console.server.client()
    s3.create_bucket(Bucket="console")   # path style: /console/...
    s3.put_object(Bucket="console", Key="signin", Body=b"an object, not a page")
    assert s3.get_object(Bucket="console", Key="signin")["Body"].read() == \
        b"an object, not a page"
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "console", "Key": "signin"})
    assert http("GET", url).body == "an object, not a page"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="console")["Contents"]]
    assert keys == ["signin"]


def test_the_access_log_has_console_lines_without_secrets(console: Console) -> None:
    cookie_and_token(console, signed_in_as=ADMIN)
    log = console.server.log_path.read_text()
    assert re.search(r"Console POST /console/signin 303", log)
    assert SECRET_KEY not in log


def test_keyboard_only_sign_in_and_skip_link(console: Console, page: Page) -> None:
    page.goto(console.url("signin"))
    expect(page.get_by_label("Access key ID")).to_be_focused()   # autofocus
    page.keyboard.type(ACCESS_KEY)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Secret access key")).to_be_focused()
    page.keyboard.type(SECRET_KEY)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hello, admin")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    page.keyboard.press("Tab")   # the first control inside the page's content
    expect(page.get_by_role("main").get_by_role("link", name="Keys")).to_be_focused()


def _multipart(console: Console, path: str, cookie: str,
               fields: list[tuple[str, str]]) -> int:
    boundary = "console-test-boundary"
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{value}\r\n".encode() for name, value in fields)
    request = urllib.request.Request(
        console.url(path), data=body + f"--{boundary}--\r\n".encode(), method="POST",
        headers={"Cookie": cookie,
                 "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_multipart_posts_need_the_token_and_a_view_that_takes_files(console: Console
                                                                   ) -> None:
    cookie, token = cookie_and_token(console, signed_in_as=ADMIN)
    assert _multipart(console, "clock", cookie, [("days", "1")]) == 415
    assert _multipart(console, "clock", cookie, [("csrf_token", token), ("days", "1")]) == 415
    log = console.server.log_path.read_text()
    assert "console error" not in log
