"""Reading a request document into Python values by the input shape (the deserializer).

A JSON value of the wrong type is a `SerializationException`, raised for the first one in
document order, with the wording of AWS's JSON deserializer (measured on Athena, AWS JSON 1.1):

* `"1"` for an integer   -> "STRING_VALUE can not be converted to an Integer"
* `true` for an integer  -> "TRUE_VALUE can not be converted to an Integer"
* `1` / `true` for a string -> "NUMBER_VALUE / TRUE_VALUE can not be converted to a String"
* an array where a scalar or structure is expected -> "Start of list found where not expected"
* an object where a scalar or list is expected -> "Start of structure or map found where not
  expected."
* a scalar for a list -> "Expected list or null"; for a structure -> "Expected null"; for a
  map -> "Expected map or null" (DynamoDB/Kinesis wording)

Other rules, same sources: unknown members are ignored; a member that is `null` counts as
absent; a number with a fraction for an integer member is truncated (`1.9` -> 1).
Booleans also accept the strings AWS's deserializer accepts (true/yes/y/t/1,
false/no/n/f/0, any case; measured on SES v2 and DynamoDB). Blobs are standard base64,
checked as strictly as AWS does (length a multiple of 4, alphabet, canonical padding;
DynamoDB's wording). Timestamps are epoch seconds (numbers); a string is refused (AWS's
behaviour not found; our choice). Integers outside Java's int range are kept as they are
and fail the range constraint with the value left out of the message, as Athena does.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from kms.api.codec import START_OF_LIST, START_OF_STRUCTURE
from kms.api.errors import KmsApiError, serialization_error

_TRUE_STRINGS = frozenset({"true", "yes", "y", "t", "1"})
_FALSE_STRINGS = frozenset({"false", "no", "n", "f", "0"})
_BAD_BASE64 = re.compile(r"[^A-Za-z0-9+/=]|=[^=]")
# Past this magnitude a "number" is surely out of every range; avoids huge int conversions.
_HUGE = Decimal(2) ** 64


def _token(value: Any) -> str:
    """The deserializer's name for the JSON token it found."""
    if value is True:
        return "TRUE_VALUE"
    if value is False:
        return "FALSE_VALUE"
    if isinstance(value, int | Decimal):
        return "NUMBER_VALUE"
    return "STRING_VALUE"


def _wrong(value: Any, target: str) -> KmsApiError:
    if isinstance(value, list):
        return serialization_error(START_OF_LIST)
    if isinstance(value, dict):
        return serialization_error(START_OF_STRUCTURE)
    return serialization_error(f"{_token(value)} can not be converted to {target}")


def coerce_structure(shape: StructureShape, document: dict[str, Any]) -> dict[str, Any]:
    """The members of `document` the shape knows, converted; nulls and unknown keys dropped."""
    out: dict[str, Any] = {}
    members = shape.members
    for name, value in document.items():
        member = members.get(name)
        if member is None or value is None:
            continue
        out[name] = coerce(member, value)
    return out


def coerce(shape: Shape, value: Any) -> Any:
    """One non-null JSON value as the shape's Python type (bytes, int, datetime, ...)."""
    return _COERCERS.get(shape.type_name, _as_string)(shape, value)


def _as_structure(shape: Shape, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        assert isinstance(shape, StructureShape)
        return coerce_structure(shape, value)
    if isinstance(value, list):
        raise serialization_error(START_OF_LIST)
    raise serialization_error("Expected null")


def _as_list(shape: Shape, value: Any) -> list[Any]:
    if isinstance(value, list):
        assert isinstance(shape, ListShape)
        return [None if item is None else coerce(shape.member, item) for item in value]
    if isinstance(value, dict):
        raise serialization_error(START_OF_STRUCTURE)
    raise serialization_error("Expected list or null")


def _as_map(shape: Shape, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        assert isinstance(shape, MapShape)
        return {key: None if item is None else coerce(shape.value, item)
                for key, item in value.items()}
    if isinstance(value, list):
        raise serialization_error(START_OF_LIST)
    raise serialization_error("Expected map or null")


def _as_string(shape: Shape, value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _wrong(value, "a String")


def _as_integer(shape: Shape, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _wrong(value, "an Integer" if shape.type_name == "integer" else "a Long")
    if isinstance(value, int):
        return value
    if abs(value) >= _HUGE:
        return int(_HUGE) if value > 0 else -int(_HUGE)
    return int(value)  # truncates toward zero


def _as_boolean(shape: Shape, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in _TRUE_STRINGS:
            return True
        if lowered in _FALSE_STRINGS:
            return False
        # "an Boolean" is AWS's wording for strings (measured on SES v2), sic.
        raise serialization_error("STRING_VALUE can not be converted to an Boolean")
    raise _wrong(value, "a Boolean")


def _as_blob(shape: Shape, value: Any) -> bytes:
    if not isinstance(value, str):
        raise _wrong(value, "a Blob")
    problem = base64_problem(value)
    if problem is None:
        return base64.b64decode(value, validate=True)
    shown = "Value" if shape.metadata.get("sensitive") else f"'{value}'"
    raise serialization_error(f"{shown} can not be converted to a Blob: {problem}")


def base64_problem(text: str) -> str | None:
    """Why `text` is not canonical standard base64 (DynamoDB's wording, typo included), or
    None if it is."""
    if len(text) % 4:
        return f"Base64 encoded length is expected a multiple of 4 bytes but found: {len(text)}"
    bad = _BAD_BASE64.search(text)
    if bad:
        return f"Invalid Base64 character: '{bad.group(0)[0]}'"
    try:
        decoded = base64.b64decode(text, validate=True)
    except binascii.Error:
        decoded = None
    if decoded is None or base64.b64encode(decoded).decode("ascii") != text:
        return "Invalid last non-pad Base64 character dectected"
    return None


def _as_timestamp(shape: Shape, value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _wrong(value, "a Timestamp")
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (OverflowError, OSError, ValueError):
        raise serialization_error() from None


_COERCERS: dict[str, Callable[[Shape, Any], Any]] = {
    "structure": _as_structure,
    "list": _as_list,
    "map": _as_map,
    "string": _as_string,
    "integer": _as_integer,
    "long": _as_integer,
    "boolean": _as_boolean,
    "blob": _as_blob,
    "timestamp": _as_timestamp,
}
