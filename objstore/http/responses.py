"""Building responses: XML documents, empty answers."""

from __future__ import annotations

from aiohttp import web

XML = "application/xml"


def xml_response(body: bytes, status: int = 200,
                 headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=body, status=status, content_type=XML, headers=headers)


def empty(status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, headers=headers)
