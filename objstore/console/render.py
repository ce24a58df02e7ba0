"""HTML responses: Jinja2 templates (autoescaped: every value is text unless a template
says otherwise), the layout's shared variables, redirects, and the security headers every
console response carries."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from objstore.console import state

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def environment() -> Environment:
    env = Environment(loader=PackageLoader("objstore.console", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = when
    env.filters["pretty_json"] = pretty_json
    return env


def when(epoch: float | None) -> str:
    """A KMS or storage timestamp, in UTC, to the second."""
    if epoch is None:
        return "—"
    return dt.datetime.fromtimestamp(float(epoch), dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def pretty_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


def url(request: web.Request, name: str, query: dict[str, str] | None = None,
        **parts: str) -> str:
    """The path of a named console route: url(request, "key", key_id=...)."""
    target = request.app.router[name].url_for(**parts)
    return str(target.with_query(query) if query else target)


def render(request: web.Request, template: str, status: int = 200,
           **variables: Any) -> web.Response:
    """A page: `template` with the layout's variables (user, csrf_token, flashes, url)."""
    session = state.session(request)
    env = request.app[state.TEMPLATES]
    page = env.get_template(template).render(
        user=request.get(state.USER), csrf_token=session.csrf_token,
        flashes=session.pop_flashes(), section=variables.pop("section", ""),
        url=lambda name, query=None, **parts: url(request, name, query, **parts),
        **variables)
    return web.Response(status=status, text=page, content_type="text/html")


def redirect(request: web.Request, name: str, query: dict[str, str] | None = None,
             **parts: str) -> web.Response:
    """303 See Other to a named route: what every successful POST answers."""
    return web.Response(status=303, headers={"Location": url(request, name, query, **parts)})
