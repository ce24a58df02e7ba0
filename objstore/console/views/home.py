"""The home page: who you are, and where to go."""

from __future__ import annotations

from aiohttp import web

from objstore.console import state
from objstore.console.render import redirect, render

routes = web.RouteTableDef()


@routes.get("", name="root")
async def root(request: web.Request) -> web.Response:
    return redirect(request, "home")


@routes.get("/", name="home")
async def home(request: web.Request) -> web.Response:
    return render(request, "home.html", section="home", identity=state.user(request))
