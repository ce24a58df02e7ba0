"""Console requests count among the server's requests in flight, as S3's do, so a graceful
shutdown (serve.py waits for IN_FLIGHT to go idle) lets a console upload finish. In-process,
with a slow test view."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from objstore.auth.identities import IdentityStore
from objstore.console import build_console, state
from objstore.console.session import COOKIE
from objstore.http.app import IN_FLIGHT, InFlight
from tests.conftest import ACCESS_KEY, SECRET_KEY


async def test_a_console_request_is_in_flight_until_it_ends(tmp_path: Path) -> None:
    identities = IdentityStore(tmp_path / "identities.json")
    admin = identities.ensure("admin", ACCESS_KEY, SECRET_KEY)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        started.set()
        await release.wait()
        return web.Response(text="done")

    console = build_console(SimpleNamespace(identities=identities))  # type: ignore[arg-type]
    console.router.add_get("/slow", slow)
    app = web.Application()
    in_flight = app[IN_FLIGHT] = InFlight()
    app.add_subapp("/console", console)
    session = console[state.SESSIONS].sign_in(None, admin)
    async with TestClient(TestServer(app)) as client:
        request = asyncio.create_task(client.get("/console/slow",
                                                 cookies={COOKIE: session.id}))
        await asyncio.wait_for(started.wait(), 5)
        assert in_flight.count == 1
        assert not await in_flight.wait_idle(0.05)   # a shutdown would wait for it
        release.set()
        response = await request
        assert await response.text() == "done"
        assert await in_flight.wait_idle(1) and in_flight.count == 0
