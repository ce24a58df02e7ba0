"""Canonical, unambiguous encoding of an encryption context (the AAD of a blob).

Format (all lengths 4-byte unsigned big-endian):

    count
    then for each pair, sorted by the key's UTF-8 bytes:
        len(key) key-utf8 len(value) value-utf8

`None` and `{}` both encode as four zero bytes. Because every string is length-prefixed,
`{"ab": "c"}` and `{"a": "bc"}` encode differently (JSON-join or concatenation encodings
used by some emulators do not).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from kms.crypto.errors import ValidationError

_U32 = struct.Struct(">I")


def _utf8(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise ValidationError(f"encryption context {what}s must be strings")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates from a JSON "\ud800" escape
        raise ValidationError(f"encryption context {what} is not valid Unicode") from exc


def canonical_context(ctx: Mapping[str, str] | None) -> bytes:
    """Encode `ctx` as described in the module docstring."""
    if not ctx:
        return _U32.pack(0)
    pairs = sorted((_utf8(k, "key"), _utf8(v, "value")) for k, v in ctx.items())
    out = [_U32.pack(len(pairs))]
    for key, value in pairs:
        out += [_U32.pack(len(key)), key, _U32.pack(len(value)), value]
    return b"".join(out)
