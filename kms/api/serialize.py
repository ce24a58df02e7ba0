"""Turning the service's result into the JSON document of the response, by the output shape.

The service returns model member names (PascalCase, as boto3 shows them) with Python values:
`bytes` for blobs (sent as standard base64), `datetime` (naive = UTC) or epoch seconds
(int/float) for timestamps (sent as epoch-seconds numbers, e.g. 1700000000.123), `int`,
`bool`, `str`, lists (or tuples) and dicts. `None` members are left out.

Anything else (an unknown member, a value of the wrong type, an enum value the model does
not know) is a bug in the service: `OutputShapeError`, listing every problem.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape


class OutputShapeError(Exception):
    """The service's result does not fit the operation's output shape."""

    def __init__(self, operation: str, problems: list[str]) -> None:
        super().__init__(f"{operation} output does not match the model: " + "; ".join(problems))
        self.operation = operation
        self.problems = problems


def serialize_output(operation: str, shape: StructureShape | None, result: Any) -> dict[str, Any]:
    """The JSON-ready response document; `OutputShapeError` if `result` does not fit."""
    problems: list[str] = []
    if shape is None:
        if result:
            problems.append(f"no output expected, got {type(result).__name__}")
        document: dict[str, Any] = {}
    elif result is None:
        document = {}
    elif isinstance(result, Mapping):
        document = _structure(shape, result, operation, problems)
    else:
        problems.append(f"expected a mapping, got {type(result).__name__}")
        document = {}
    if problems:
        raise OutputShapeError(operation, problems)
    return document


def _structure(shape: StructureShape, value: Mapping[str, Any], path: str,
               problems: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, item in value.items():
        member = shape.members.get(name)
        if member is None:
            problems.append(f"{path}.{name}: not a member of {shape.name}")
        elif item is not None:
            out[name] = _value(member, item, f"{path}.{name}", problems)
    return out


_MISSING = object()


def _value(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    if isinstance(shape, StructureShape):
        out = _structure(shape, value, path, problems) if isinstance(value, Mapping) else _MISSING
    elif isinstance(shape, ListShape):
        out = _list(shape, value, path, problems)
    elif isinstance(shape, MapShape):
        out = _map(shape, value, path, problems)
    else:
        out = _scalar(shape, value)
        enum = shape.metadata.get("enum")
        if enum and out is not _MISSING and out not in enum:
            problems.append(f"{path}: {value!r} is not a value of {shape.name}")
    if out is _MISSING:
        problems.append(f"{path}: {type(value).__name__} is not a {shape.type_name} "
                        f"({shape.name})")
        return None
    return out


def _list(shape: ListShape, value: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(value, list | tuple):
        return _MISSING
    return [_value(shape.member, v, f"{path}[{i}]", problems) for i, v in enumerate(value)]


def _map(shape: MapShape, value: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(value, Mapping):
        return _MISSING
    return {_value(shape.key, k, f"{path} key", problems):
            _value(shape.value, v, f"{path}[{k!r}]", problems) for k, v in value.items()}


def _scalar(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "blob" and isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "timestamp":
        epoch = _epoch(value)
        return _MISSING if epoch is None else epoch
    if kind in ("integer", "long") and isinstance(value, int) and not isinstance(value, bool):
        return value
    if (kind == "boolean" and isinstance(value, bool)) or (
            kind == "string" and isinstance(value, str)):
        return value
    return _MISSING


def _epoch(value: Any) -> int | float | None:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None
