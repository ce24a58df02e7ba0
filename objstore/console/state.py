"""What the console keeps on the app and on each request."""

from __future__ import annotations

from aiohttp import MultipartReader, web
from jinja2 import Environment

from objstore.auth.identities import Identity
from objstore.console.session import Session, SessionStore

SESSIONS = web.AppKey("console_sessions", SessionStore)
TEMPLATES = web.AppKey("console_templates", Environment)

SESSION = web.RequestKey("console_session", Session)      # may be absent
USER = web.RequestKey("console_user", Identity)            # absent when signed out
NEW_COOKIE = web.RequestKey("console_new_cookie", bool)    # set the session cookie
MULTIPART = web.RequestKey("console_multipart", MultipartReader)  # after its csrf_token


def user(request: web.Request) -> Identity:
    """The signed-in identity (every page but sign-in requires one)."""
    return request[USER]


def session(request: web.Request) -> Session:
    """This request's session, created (and its cookie set) when there is none yet."""
    current = request.get(SESSION)
    if current is None:
        current = request.app[SESSIONS].new()
        request[SESSION] = current
        request[NEW_COOKIE] = True
    return current


def flash(request: web.Request, message: str, kind: str = "ok") -> None:
    session(request).flash(message, kind)
