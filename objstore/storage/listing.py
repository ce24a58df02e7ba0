"""Listing with prefix, delimiter and a start point, in UTF-8 binary order.

Each common prefix costs one index seek: after reporting `photos/`, the scan jumps to the
first key past every `photos/...` key instead of walking them, so a listing stays fast
however many keys a prefix rolls up.
"""

from __future__ import annotations

import sqlite3

from objstore.storage import metadata
from objstore.storage.records import ListEntry, ListPage

BATCH = 1000


def successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with prefix (None: none)."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


def list_objects(conn: sqlite3.Connection, bucket: str, *, prefix: str = "",
                 delimiter: str = "", start_after: str = "", max_keys: int = 1000) -> ListPage:
    if max_keys == 0:  # AWS: an empty page that is not truncated, whatever the bucket holds
        return ListPage([], [], False, None)
    pfx = prefix.encode()
    delim = delimiter.encode()
    upper = successor(pfx) if pfx else None
    cursor, inclusive = pfx, True
    after = start_after.encode()
    if after >= cursor:
        cursor, inclusive = after, False
        rolled = _common_prefix(after, pfx, delim)
        if rolled is not None:  # the start point is inside a prefix reported already
            nxt = successor(rolled)
            if nxt is None:
                return ListPage([], [], False, None)
            cursor, inclusive = max(nxt, cursor), True

    entries: list[ListEntry] = []
    prefixes: list[str] = []
    last: str | None = None
    while True:
        if upper is not None and cursor >= upper:
            return ListPage(entries, prefixes, False, None)
        taken = 0
        for row in metadata.scan_objects(conn, bucket, cursor, inclusive, upper, BATCH):
            taken += 1
            if len(entries) + len(prefixes) >= max_keys:
                return ListPage(entries, prefixes, True, last)
            raw = row.key.encode()
            rolled = _common_prefix(raw, pfx, delim)
            if rolled is None:
                entries.append(row)
                last = row.key
                cursor, inclusive = raw, False
                continue
            last = rolled.decode()
            prefixes.append(last)
            nxt = successor(rolled)
            if nxt is None:
                return ListPage(entries, prefixes, False, None)
            cursor, inclusive = nxt, True
            taken = BATCH  # a jump: query again from past the prefix
            break
        if taken < BATCH:
            return ListPage(entries, prefixes, False, None)


def _common_prefix(key: bytes, prefix: bytes, delimiter: bytes) -> bytes | None:
    if not delimiter or not key.startswith(prefix):
        return None
    index = key.find(delimiter, len(prefix))
    return None if index < 0 else key[: index + len(delimiter)]
