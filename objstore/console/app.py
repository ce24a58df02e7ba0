"""The console's aiohttp sub-application, mounted at /console/ on the server's app.

Signed requests (SigV4/SigV2 headers or presigned query) and virtual-hosted ones are not
the console's: they go on to S3, so a bucket named `console` or a key under `console/`
in a virtual-hosted bucket still works."""

from __future__ import annotations

from functools import partial
from importlib import resources

from aiohttp import web
from aiohttp.web_urldispatcher import PrefixedSubAppResource, _Resolve

from objstore.console import state
from objstore.console.middleware import console_middleware
from objstore.console.render import environment
from objstore.console.session import SessionStore
from objstore.console.views import ROUTES
from objstore.http.context import CONTEXT, ServerContext
from objstore.http.request import virtual_host_bucket

PREFIX = "/console"
_SIGNED_QUERY = ("X-Amz-Signature", "X-Amz-Credential", "Signature", "AWSAccessKeyId")


def build_console(ctx: ServerContext) -> web.Application:
    console = web.Application(middlewares=[console_middleware])
    console[CONTEXT] = ctx
    console[state.SESSIONS] = SessionStore()
    console[state.TEMPLATES] = environment()
    for routes in ROUTES:
        console.add_routes(routes)
    static = resources.files("objstore.console") / "static"
    console.router.add_static("/static", str(static), name="static")
    return console


def mount_console(app: web.Application) -> None:
    """Serve the console at PREFIX/ on `app` (built by objstore.http.app.build_app)."""
    console = build_console(app[CONTEXT])
    # aiohttp's add_subapp with our resource class (the public call has no such argument)
    app._add_subapp(partial(_ConsoleResource, PREFIX, console), console)


class _ConsoleResource(PrefixedSubAppResource):
    async def resolve(self, request: web.Request) -> _Resolve:
        if _is_for_s3(request, self._app[CONTEXT].domain):
            return None, set()
        return await super().resolve(request)


def _is_for_s3(request: web.Request, domain: str) -> bool:
    if "Authorization" in request.headers or "X-Amz-Target" in request.headers:
        return True
    if any(name in request.rel_url.query for name in _SIGNED_QUERY):
        return True
    return virtual_host_bucket(request.headers.get("Host"), domain) is not None
