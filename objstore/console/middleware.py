"""Around every console request: find the session, refuse a POST without its CSRF token,
send the signed-out to the sign-in page, turn errors into pages, add security headers."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from objstore.console import csrf, state
from objstore.console.errors import ConsoleError
from objstore.console.render import SECURITY_HEADERS, render, url
from objstore.console.session import COOKIE, set_cookie
from objstore.http.app import IN_FLIGHT, OPERATION, REQUEST_ID
from objstore.http.context import CONTEXT

log = logging.getLogger("objstore.console")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def public(handler: Handler) -> Handler:
    """Mark a view that needs no signed-in user (the sign-in page)."""
    handler.console_public = True  # type: ignore[attr-defined]
    return handler


def accepts_uploads(handler: Handler) -> Handler:
    """Mark a view whose form is multipart (its `csrf_token` field first; the view reads
    the other parts from `request[state.MULTIPART]`)."""
    handler.console_uploads = True  # type: ignore[attr-defined]
    return handler


def _is_public(request: web.Request) -> bool:
    route = request.match_info.route
    return isinstance(route.resource, web.StaticResource) or \
        getattr(route.handler, "console_public", False)


@web.middleware
async def console_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counted among the server's requests in flight (as S3's are), so a shutdown lets an
    upload or a download through the console finish within the grace period."""
    in_flight = request.config_dict.get(IN_FLIGHT)
    if in_flight is None:   # a console app on its own (tests)
        return await _around(request, handler)
    in_flight.enter()
    try:
        return await _around(request, handler)
    finally:
        in_flight.leave()


async def _around(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[REQUEST_ID] = secrets.token_hex(8).upper()   # for the access log line
    request[OPERATION] = "Console"
    sessions = request.app[state.SESSIONS]
    session = sessions.get(request.cookies.get(COOKIE))
    if session is not None:
        request[state.SESSION] = session
    try:
        response = await _handle(request, handler)
    except ConsoleError as error:
        response = render(request, "error.html", status=error.status, error=error)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        error = ConsoleError(exc.reason, "There is no such page here." if exc.status == 404
                             else "", status=exc.status)
        response = render(request, "error.html", status=exc.status, error=error)
    except Exception:
        log.exception("console error on %s %s", request.method, request.path)
        error = ConsoleError("Something went wrong in the server",
                             "The details are in the server's log.", status=500)
        response = render(request, "error.html", status=500, error=error)
    if request.get(state.NEW_COOKIE):
        set_cookie(request, response, request[state.SESSION])
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def _handle(request: web.Request, handler: Handler) -> web.StreamResponse:
    session = request.get(state.SESSION)
    if request.method == "POST":
        await csrf.check(request, session, uploads=getattr(
            request.match_info.route.handler, "console_uploads", False))
    identity = request.app[state.SESSIONS].identity(session, request.app[CONTEXT].identities)
    if identity is not None:
        request[state.USER] = identity
    elif not _is_public(request):
        if request.method != "GET":
            state.flash(request, "Your session has ended: sign in again.", "error")
            return web.Response(status=303, headers={"Location": url(request, "signin")})
        return web.Response(status=303, headers={
            "Location": url(request, "signin", {"next": request.path_qs})})
    return await handler(request)
