"""Continuation tokens: opaque to clients, the last name a page returned."""

from __future__ import annotations

import base64
import binascii

from objstore.http.errors import invalid_argument


def encode_token(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_argument("The continuation token provided is incorrect",
                               "continuation-token", token) from None
