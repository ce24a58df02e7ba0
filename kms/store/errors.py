"""Errors the KMS store raises; the service maps them to KMS wire errors."""

from __future__ import annotations


class StoreError(Exception):
    """Base class for store errors."""


class AlreadyExists(StoreError):
    """A record with this identity exists already (alias name, key id, grant id, ...)."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"{kind} {ident!r} already exists")
        self.kind = kind
        self.ident = ident


class NotFound(StoreError):
    """The record to update, or the key a new record refers to, does not exist."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"{kind} {ident!r} not found")
        self.kind = kind
        self.ident = ident


class InvalidMarker(StoreError):
    """A paging marker that names no existing record."""

    def __init__(self, marker: str) -> None:
        super().__init__(f"invalid marker {marker!r}")
        self.marker = marker


class RootKeyError(StoreError):
    """The root key cannot be loaded safely (bad permissions, wrong length, bad base64)."""
