"""The scrubber every ledger record passes through: no key material, plaintext, secret or
bearer token can reach the audit ledger, whatever a caller puts in the record.

A field is dropped, at any depth, when its name (compared lower-case, without `-`/`_`)
is a known secret field or contains a secret word; so are values that are not JSON
(bytes above all: raw key material or ciphertext handed over by mistake)."""

from __future__ import annotations

import math
import re
from typing import Any

# Whole field names (normalised) that are never logged.
SECRET_FIELDS = frozenset({
    "plaintext", "privatekeyplaintext", "keymaterial", "encryptedkeymaterial",
    "ciphertextblob", "privatekeyciphertextblob", "ciphertextforrecipient",
    "sourceciphertextblob", "importtoken", "granttoken", "granttokens", "message",
    "signature", "mac", "sharedsecret", "publickey", "privatekey", "wrappedkey", "datakey",
    "rootkey", "authorization", "xamzsecuritytoken",
    # SSE-C keys (S3 headers and the boto3 parameter names)
    "xamzserversideencryptioncustomerkey", "xamzcopysourceserversideencryptioncustomerkey",
    "ssecustomerkey", "copysourcessecustomerkey", "customerkey",
})
# Words that make any field name secret...
SECRET_WORDS = ("plaintext", "privatekey", "secret", "password", "sessiontoken",
                "customerkey", "keymaterialbytes")
# ...except these, which only look alike.
ALLOWED_FIELDS = frozenset({
    "xamzserversideencryptioncustomerkeymd5",
    "xamzcopysourceserversideencryptioncustomerkeymd5",
    "ssecustomerkeymd5", "copysourcessecustomerkeymd5", "customerkeymd5",
})

_NON_ALNUM = re.compile(r"[^a-z0-9]")


class SecretInRecord(ValueError):
    """Raised instead of stripping when the ledger is strict."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__("audit record carries secret or non-JSON fields: " + ", ".join(paths))
        self.paths = paths


def is_secret_field(name: str) -> bool:
    norm = _NON_ALNUM.sub("", name.lower())
    if norm in ALLOWED_FIELDS:
        return False
    return norm in SECRET_FIELDS or any(word in norm for word in SECRET_WORDS)


def scrub(record: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A cleaned deep copy of `record` and the paths of the fields removed (names only,
    never values)."""
    removed: list[str] = []
    clean = _scrub_dict(record, "", removed)
    return clean, removed


def _scrub_dict(value: dict[Any, Any], path: str, removed: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, item in value.items():
        where = f"{path}.{name}" if path else str(name)
        if not isinstance(name, str) or is_secret_field(name):
            removed.append(where)
            continue
        ok, clean = _scrub_value(item, where, removed)
        if ok:
            out[name] = clean
    return out


def _scrub_value(value: Any, path: str, removed: list[str]) -> tuple[bool, Any]:
    if value is None or isinstance(value, bool | int | str):
        return True, value
    if isinstance(value, float):
        if math.isfinite(value):
            return True, value
    elif isinstance(value, dict):
        return True, _scrub_dict(value, path, removed)
    elif isinstance(value, list | tuple):
        items = []
        for index, item in enumerate(value):
            ok, clean = _scrub_value(item, f"{path}[{index}]", removed)
            if ok:
                items.append(clean)
        return True, items
    removed.append(path)  # bytes, objects, NaN: never serialised, never str()-ed
    return False, None
