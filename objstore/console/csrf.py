"""CSRF: every POST carries the session's token in a `csrf_token` form field; anything
else is refused with 403 before the handler runs.

Form bodies (application/x-www-form-urlencoded) are read here and cached by aiohttp, so
handlers call `await request.post()` again freely. A multipart form (an upload) must put
its `csrf_token` field first: only that part is read here, and the handler goes on with
`state.MULTIPART`, the reader positioned after it (large files are never buffered)."""

from __future__ import annotations

import hmac

from aiohttp import BodyPartReader, web

from objstore.console import state
from objstore.console.errors import ConsoleError
from objstore.console.session import Session

FIELD = "csrf_token"
MAX_TOKEN = 256


class CsrfRejected(ConsoleError):
    def __init__(self) -> None:
        super().__init__("This form has expired or did not come from this console",
                         "Nothing was done. Reload the page and try again.", status=403)


async def check(request: web.Request, session: Session | None, *,
                uploads: bool = False) -> None:
    """Refuse the POST unless it carries the session's token; multipart bodies only where
    `uploads` (a view marked `@accepts_uploads`)."""
    if session is None:
        raise CsrfRejected()
    if request.content_type == "multipart/form-data" and not uploads:
        raise ConsoleError("This form does not take files", "Nothing was done.", status=415)
    token = await _token(request)
    if not token or not hmac.compare_digest(token.encode(), session.csrf_token.encode()):
        raise CsrfRejected()


async def _token(request: web.Request) -> str | None:
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        part = await reader.next()
        if not isinstance(part, BodyPartReader) or part.name != FIELD:
            return None
        request[state.MULTIPART] = reader
        return (await part.read(decode=True))[:MAX_TOKEN].decode("utf-8", "replace")
    if request.content_type != "application/x-www-form-urlencoded":
        return None
    form = await request.post()
    value = form.get(FIELD)
    return value if isinstance(value, str) else None
