"""The CSRF check on multipart forms (uploads): the token is the first part, and the view
reads the rest of the body as a stream. In-process, with a test view."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from objstore.auth.identities import IdentityStore
from objstore.console import build_console, state
from objstore.console.middleware import accepts_uploads
from objstore.console.session import COOKIE
from tests.conftest import ACCESS_KEY, SECRET_KEY


@accepts_uploads
async def _upload(request: web.Request) -> web.Response:
    reader = request[state.MULTIPART]
    seen = []
    while (part := await reader.next()) is not None:
        assert isinstance(part, aiohttp.BodyPartReader)
        seen.append(f"{part.name}={(await part.read()).decode()}")
    return web.Response(text=";".join(seen))


async def test_an_upload_view_reads_the_parts_after_the_token(tmp_path: Path) -> None:
    identities = IdentityStore(tmp_path / "identities.json")
    admin = identities.ensure("admin", ACCESS_KEY, SECRET_KEY)
    app = build_console(SimpleNamespace(identities=identities))  # type: ignore[arg-type]
    app.router.add_post("/up", _upload)
    sessions = app[state.SESSIONS]
    session = sessions.sign_in(None, admin)

    async with TestClient(TestServer(app)) as client:
        async def post(*fields: tuple[str, str]) -> tuple[int, str]:
            form = aiohttp.FormData()
            for name, value in fields:
                form.add_field(name, value, filename="f.bin" if name == "file" else None)
            async with client.post("/up", data=form(),
                                   cookies={COOKIE: session.id}) as response:
                return response.status, await response.text()

        assert await post(("csrf_token", session.csrf_token), ("file", "bytes"),
                          ("mode", "SSE-S3")) == (200, "file=bytes;mode=SSE-S3")
        status, _ = await post(("file", "bytes"), ("csrf_token", session.csrf_token))
        assert status == 403   # the token must come first
        status, _ = await post(("csrf_token", "wrong"), ("file", "bytes"))
        assert status == 403
