"""Errors of the framed stream format.

`IntegrityError` means "these stored bytes cannot be trusted": an authentication failure,
a stream cut short, or a header that is not a valid stream header (`FormatError`). A caller
catches `IntegrityError` alone and maps it to one wire error. Mistakes by the caller (a key
of the wrong length, a range outside the object) are plain `ValueError`s.
"""

from __future__ import annotations


class IntegrityError(Exception):
    """Stored bytes failed authentication, were cut short, or are not a stream at all."""

    def __init__(self, message: str, *, frame: int | None = None) -> None:
        super().__init__(message)
        self.frame = frame


class FormatError(IntegrityError):
    """The stream header is malformed: bad magic, unknown version or algorithm, bad sizes."""
