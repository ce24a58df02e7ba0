"""JSON in and out of the wire, with AWS's answers to bodies that are not a JSON object.

Behaviour of AWS JSON 1.1 services (measured on Athena, another Coral JSON 1.1 service):
a body that is not JSON (truncated, empty, trailing comma), `null`, a string or a number
-> `SerializationException` without a message; a top-level array -> `SerializationException`
"Start of list found where not expected". Numbers with a fraction or exponent are parsed as
`Decimal` so integer members can be truncated exactly and timestamps keep their precision.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from kms.api.errors import serialization_error

START_OF_LIST = "Start of list found where not expected"
START_OF_STRUCTURE = "Start of structure or map found where not expected."


def _reject_constant(name: str) -> Any:
    # NaN / Infinity / -Infinity are not JSON; Python accepts them by default.
    raise ValueError(f"not JSON: {name}")


def parse_body(body: bytes) -> dict[str, Any]:
    """The request document; `KmsApiError(SerializationException)` if it is not an object."""
    try:
        text = body.decode("utf-8")
        document = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise serialization_error() from None
    if isinstance(document, dict):
        return document
    if isinstance(document, list):
        raise serialization_error(START_OF_LIST)
    raise serialization_error()


def dump(document: dict[str, Any]) -> bytes:
    """Compact JSON, ASCII only (non-ASCII as `\\u` escapes)."""
    return json.dumps(document, separators=(",", ":")).encode("ascii")
