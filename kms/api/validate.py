"""Validating a request against the operation's input shape, AWS style.

`validate_request` = deserialize (`coerce`: wrong JSON types -> SerializationException) +
check the model's constraints (required, length, range, enum, pattern) -> one
`ValidationException` listing every violation:

    1 validation error detected: Value '' at 'keyId' failed to satisfy constraint:
    Member must have length greater than or equal to 1
    2 validation errors detected: <violation>; <violation>

Wording as AWS writes it (real KMS, Athena, DynamoDB messages): paths in lowerCamelCase,
list elements as `tags.1.member.tagKey`, a missing required member as `Value null at ...
Member must not be null`, enum as `Member must satisfy enum value set: [A, B]` (model
order; AWS's own order is a Java set's), map keys/values as `Map keys must satisfy
constraint: [...]`. The value is left out (`Value at 'plaintext'`) for sensitive and blob
members, as real KMS does for both `plaintext` and `ciphertextBlob`. Blob lengths count
decoded bytes; string lengths count code points (Smithy's rule). Patterns are Java regexes
matched in full, ASCII classes. At most 10 violations are reported (DynamoDB's behaviour).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from kms.api import model
from kms.api.coerce import coerce_structure
from kms.api.errors import VALIDATION, KmsApiError

log = logging.getLogger("kms.api")

MAX_REPORTED = 10
_JAVA_INT = range(-(2**31), 2**31)
NOT_NULL = "Member must not be null"


def validate_request(operation: str, document: dict[str, Any]) -> dict[str, Any]:
    """The validated input of `operation`: model member names (PascalCase) to Python values
    (str, int, bool, bytes for blobs, datetime for timestamps, list, dict). Raises
    `KmsApiError` (SerializationException / ValidationException)."""
    shape = model.input_shape(operation)
    if shape is None:
        return {}
    params = coerce_structure(shape, document)
    violations = check_structure(shape, params)
    if violations:
        raise validation_error(violations)
    return params


def validation_error(violations: Sequence[str]) -> KmsApiError:
    """The aggregated ValidationException for one or more `violation(...)` strings."""
    shown = list(violations)[:MAX_REPORTED]
    noun = "error" if len(shown) == 1 else "errors"
    return KmsApiError(VALIDATION, f"{len(shown)} validation {noun} detected: " + "; ".join(shown))


def violation(path: str, value: Any, constraint: str, *, hidden: bool = False) -> str:
    """One violation: `Value 'x' at 'path' failed to satisfy constraint: <constraint>`."""
    if value is None:
        shown = "Value null"
    elif hidden:
        shown = "Value"
    else:
        shown = f"Value '{render(value)}'"
    return f"{shown} at '{path}' failed to satisfy constraint: {constraint}"


def render(value: Any) -> str:
    """A value as Java's toString prints it in AWS messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def check_structure(shape: StructureShape, value: dict[str, Any], prefix: str = "") -> list[str]:
    """Every violation in a coerced structure, members in model order."""
    out: list[str] = []
    _structure(shape, value, prefix, out)
    return out


def _structure(shape: StructureShape, value: dict[str, Any], prefix: str, out: list[str]) -> None:
    required = set(shape.required_members)
    for name, member in shape.members.items():
        path = prefix + model.lower_camel(name)
        item = value.get(name)
        if item is None:
            if name in required:
                out.append(violation(path, None, NOT_NULL))
            continue
        _value(member, item, path, out)


def _value(shape: Shape, value: Any, path: str, out: list[str]) -> None:
    failed = constraint_failures(shape, value)
    if failed:
        hidden = is_hidden(shape) or (isinstance(value, int) and value not in _JAVA_INT)
        out.extend(violation(path, value, text, hidden=hidden) for text in failed)
    if isinstance(shape, StructureShape):
        _structure(shape, value, path + ".", out)
    elif isinstance(shape, ListShape):
        for index, item in enumerate(value, start=1):
            item_path = f"{path}.{index}.member"
            if item is None:
                out.append(violation(item_path, None, NOT_NULL))
            else:
                _value(shape.member, item, item_path, out)
    elif isinstance(shape, MapShape):
        _map_entries(shape, value, path, out)


def _map_entries(shape: MapShape, value: dict[str, Any], path: str, out: list[str]) -> None:
    hidden = is_hidden(shape)
    if any(constraint_failures(shape.key, key) for key in value):
        listed = ", ".join(constraint_texts(shape.key))
        out.append(violation(path, value, f"Map keys must satisfy constraint: [{listed}]",
                             hidden=hidden))
    bad_values = [v for v in value.values() if v is None or constraint_failures(shape.value, v)]
    if bad_values:
        texts = constraint_texts(shape.value)
        if any(v is None for v in bad_values):
            texts.append(NOT_NULL)
        listed = ", ".join(texts)
        out.append(violation(path, value, f"Map value must satisfy constraint: [{listed}]",
                             hidden=hidden))


def constraint_failures(shape: Shape, value: Any) -> list[str]:
    """The constraint texts `value` (coerced, not None) violates, in a fixed order."""
    meta = shape.metadata
    failed: list[str] = []
    size = _size(shape, value)
    if size is not None:
        if "min" in meta and size < meta["min"]:
            failed.append(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and size > meta["max"]:
            failed.append(f"Member must have length less than or equal to {meta['max']}")
    elif shape.type_name in ("integer", "long"):
        if "min" in meta and value < meta["min"]:
            failed.append(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            failed.append(f"Member must have value less than or equal to {meta['max']}")
    enum = meta.get("enum")
    if enum and value not in enum:
        failed.append(_enum_text(enum))
    pattern = meta.get("pattern")
    if pattern and isinstance(value, str) and not _matches(pattern, value):
        failed.append(f"Member must satisfy regular expression pattern: {pattern}")
    return failed


def constraint_texts(shape: Shape) -> list[str]:
    """All constraints of a shape, as listed inside `Map keys must satisfy constraint: [...]`
    (AWS lists the maximum before the minimum, then the pattern)."""
    meta = shape.metadata
    kind = "value" if shape.type_name in ("integer", "long") else "length"
    texts: list[str] = []
    if "max" in meta:
        texts.append(f"Member must have {kind} less than or equal to {meta['max']}")
    if "min" in meta:
        texts.append(f"Member must have {kind} greater than or equal to {meta['min']}")
    if meta.get("enum"):
        texts.append(_enum_text(meta["enum"]))
    if meta.get("pattern"):
        texts.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    return texts


def _enum_text(values: Sequence[str]) -> str:
    return "Member must satisfy enum value set: [" + ", ".join(values) + "]"


def _size(shape: Shape, value: Any) -> int | None:
    if shape.type_name in ("string", "blob", "list", "map"):
        return len(value)
    return None


def is_hidden(shape: Shape) -> bool:
    """Whether AWS leaves values of this shape out of messages: blobs, sensitive shapes, and
    containers of either."""
    return _hidden(shape, frozenset())


def _hidden(shape: Shape, seen: frozenset[str]) -> bool:
    if shape.type_name == "blob" or shape.metadata.get("sensitive"):
        return True
    if shape.name in seen:
        return False
    seen = seen | {shape.name}
    if isinstance(shape, ListShape):
        return _hidden(shape.member, seen)
    if isinstance(shape, MapShape):
        return _hidden(shape.key, seen) or _hidden(shape.value, seen)
    if isinstance(shape, StructureShape):
        return any(_hidden(m, seen) for m in shape.members.values())
    return False


def _matches(pattern: str, value: str) -> bool:
    compiled = _compile(pattern)
    return compiled is None or compiled.fullmatch(value) is not None


@functools.cache
def _compile(pattern: str) -> re.Pattern[str] | None:
    """A model pattern (Java syntax) as a Python regex; None (no check) if untranslatable."""
    try:
        return re.compile(pattern, re.ASCII)
    except re.error:
        log.warning("model pattern %r is not a Python regex; not enforced", pattern)
        return None
