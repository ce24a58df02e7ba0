"""Sections not built yet: the navigation already links to them."""

from __future__ import annotations

from aiohttp import web

from objstore.console.render import render

routes = web.RouteTableDef()

_COMING: dict[str, str] = {}


def _page(section: str):  # type: ignore[no-untyped-def]
    async def view(request: web.Request) -> web.Response:
        return render(request, "coming.html", section=section, about=_COMING[section])
    return view


for _section in _COMING:
    routes.get(f"/{_section}", name=_section)(_page(_section))
