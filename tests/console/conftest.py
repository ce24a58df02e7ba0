"""Browser tests of the web console: a server of their own, headless Chromium driven by
Playwright, screenshots saved under tests/artifacts/console/ (gitignored).

Write a test as:

    def test_something(console: Console, page: Page) -> None:
        console.sign_in(page)                  # admin; or console.sign_in(page, bob)
        page.goto(console.url("keys"))
        ...
        console.shot(page, "after")            # tests/artifacts/console/<test>-after.png

Chromium is Debian's /usr/bin/chromium (`make test` installs it when run as root); the
tests are skipped, with the reason, when it or the playwright package is missing."""

from __future__ import annotations

import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.client import HTTPResponse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import ACCESS_KEY, SECRET_KEY, ServerProcess, add_user

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "console"
ADMIN = {"name": "admin", "access key id": ACCESS_KEY, "secret access key": SECRET_KEY}


@dataclass
class Console:
    server: ServerProcess
    test_name: str = ""
    visited: list[str] = field(default_factory=list)   # every URL the browser asked for

    @property
    def base(self) -> str:
        return self.server.endpoint + "/console/"

    def url(self, path: str = "") -> str:
        return self.base + path.lstrip("/")

    def user(self, name: str) -> dict[str, str]:
        """A new identity (added beside the running server, as the README says)."""
        return add_user(self.server, name)

    def sign_in(self, page: Page, who: dict[str, str] | None = None, *,
                go: bool = True) -> None:
        """Sign in (on the sign-in page the browser is on already when `go` is false)."""
        who = who or ADMIN
        if go:
            page.goto(self.url("signin"))
        page.get_by_label("Access key ID").fill(who["access key id"])
        page.get_by_label("Secret access key").fill(who["secret access key"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/console/(?!signin)"))

    def sign_out(self, page: Page) -> None:
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r"/console/signin"))

    def shot(self, page: Page, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.test_name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def banner(self, page: Page, kind: str = "error") -> str:
        return page.locator(f".banner.{kind}").first.inner_text()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module. Not longer: while Playwright's sync API is open its
    event loop counts as running in this thread, and async tests elsewhere would fail."""
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (`make test` run as root installs "
                    "Debian's chromium package)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("console") / "data").start()
    yield proc
    if proc.process is not None:
        proc.stop()


@pytest.fixture
def console(console_server: ServerProcess, request: pytest.FixtureRequest) -> Console:
    return Console(console_server, test_name=re.sub(r"\W+", "_", request.node.name))


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies, no storage from other tests); a
    screenshot of where it ended is saved when the test is done."""
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("request", lambda req: console.visited.append(req.url))
    yield page
    try:
        console.shot(page, "end")
    finally:
        context.close()


@pytest.fixture(scope="session", autouse=True)
def _fresh_artifacts() -> None:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)


# -- plain HTTP, for what a browser would never send ------------------------------------------

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Answer:
    status: int
    headers: Any
    body: str


def http(method: str, url: str, form: dict[str, str] | None = None,
         cookie: str | None = None) -> Answer:
    """One request, redirects not followed; a form is sent url-encoded."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if cookie:
        request.add_header("Cookie", cookie)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        response: HTTPResponse = opener.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read().decode())
    with response:
        return Answer(response.status, response.headers, response.read().decode())


def cookie_and_token(console: Console, signed_in_as: dict[str, str] | None = None
                     ) -> tuple[str, str]:
    """A session cookie and its CSRF token, as the sign-in form hands them out; signed in
    when `signed_in_as` is given."""
    page = http("GET", console.url("signin"))
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    token = _token(page.body)
    if signed_in_as is None:
        return cookie, token
    answer = http("POST", console.url("signin"), cookie=cookie, form={
        "csrf_token": token, "access_key": signed_in_as["access key id"],
        "secret_key": signed_in_as["secret access key"]})
    assert answer.status == 303, answer.body
    cookie = answer.headers["Set-Cookie"].split(";", 1)[0]
    home = http("GET", console.url(""), cookie=cookie)
    return cookie, _token(home.body)


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)
