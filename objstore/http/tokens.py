"""Continuation tokens: opaque to clients, the last name a page returned."""

from __future__ import annotations

import base64
import binascii

from objstore.http.errors import invalid_argument


def encode_token(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def decode_token(token: str) -> str:
    """The name a token carries; InvalidArgument for anything encode_token did not make."""
    try:
        name = base64.b64decode(token, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        name = ""
    if not name or encode_token(name) != token:
        raise invalid_argument("The continuation token provided is incorrect",
                               "continuation-token", token)
    return name
