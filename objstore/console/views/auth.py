"""Sign in with an identity's access key and secret; sign out."""

from __future__ import annotations

import logging

from aiohttp import web

from objstore.console import state
from objstore.console.middleware import public
from objstore.console.render import redirect, render
from objstore.console.session import check_secret
from objstore.http.context import CONTEXT

log = logging.getLogger("objstore.console")
routes = web.RouteTableDef()


def _safe_next(target: str) -> str | None:
    """Only a path inside the console (no open redirect)."""
    if target.startswith("/console/") and not target.startswith("/console//"):
        return target
    return None


@routes.get("/signin", name="signin")
@public
async def signin_page(request: web.Request) -> web.Response:
    if request.get(state.USER) is not None:
        return redirect(request, "home")
    return render(request, "signin.html", next=request.query.get("next", ""), access_key="",
                  error=None)


@routes.post("/signin", name="signin_post")
@public
async def signin(request: web.Request) -> web.Response:
    form = await request.post()
    access_key = str(form.get("access_key", "")).strip()
    secret = str(form.get("secret_key", ""))
    target = _safe_next(str(form.get("next", "")))
    identity = request.app[CONTEXT].identities.lookup(access_key) if access_key else None
    if not check_secret(identity, secret):
        log.info("console sign-in refused for access key %s", access_key[:32] or "-")
        return render(request, "signin.html", status=401, next=target or "",
                      access_key=access_key,
                      error="That access key and secret do not match an identity.")
    assert identity is not None
    session = request.app[state.SESSIONS].sign_in(request.get(state.SESSION), identity)
    request[state.SESSION] = session
    request[state.NEW_COOKIE] = True
    log.info("console sign-in: %s", identity.name)
    session.flash(f"Signed in as {identity.name}.")
    if target:
        return web.Response(status=303, headers={"Location": target})
    return redirect(request, "home")


@routes.post("/signout", name="signout")
async def signout(request: web.Request) -> web.Response:
    request.app[state.SESSIONS].drop(state.session(request))
    request.pop(state.SESSION, None)
    state.flash(request, "Signed out.")
    return redirect(request, "signin")
