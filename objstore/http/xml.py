"""XML in and out. Responses are built as strings with every value escaped; request bodies
are parsed by xmltodict (expat, entities off) after a size check."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

import xmltodict

from objstore.http.errors import S3Error

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_XML_INVALID = {c: f"&#x{c:x};" for c in range(32) if c not in (9, 10, 13)}


def text(value: object) -> str:
    """Escape a value for element content (control characters as references)."""
    return escape(str(value)).translate(_XML_INVALID)


def element(name: str, value: object) -> str:
    return f"<{name}>{text(value)}</{name}>"


def elements(pairs: Iterable[tuple[str, object]]) -> str:
    return "".join(element(name, value) for name, value in pairs if value is not None)


def document(root: str, body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{NS}">{body}</{root}>'
            ).encode()


def iso_time(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def url_encode(value: str) -> str:
    """encoding-type=url as S3 does it."""
    return urllib.parse.quote(value, safe="/")


def parse_xml(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise S3Error("MalformedXML")
    try:
        parsed = xmltodict.parse(body, process_namespaces=False, disable_entities=True)
    except Exception:
        raise S3Error("MalformedXML") from None
    return {_local(k): v for k, v in parsed.items()}


def child(node: Any, name: str) -> Any:
    """A child element by local name (namespaces ignored), or None."""
    if not isinstance(node, dict):
        return None
    for key, value in node.items():
        if _local(key) == name:
            return value
    return None


def children(node: Any, name: str) -> list[Any]:
    value = child(node, name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]
