"""Reading the ledger: lines streamed forwards or backwards (from the end, in blocks), so a
large ledger is never loaded whole. Lines that are not a JSON object (a torn last line
after a crash) are skipped. Only the bytes present when the read began are read."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from kms.audit.events import parse_time

BLOCK = 64 * 1024
_KEY_FIELDS = ("keyId", "targetKeyId", "sourceKeyId", "destinationKeyId", "aliasName")


def iter_lines(path: Path, newest_first: bool = False) -> Iterator[bytes]:
    try:
        f = open(path, "rb")  # noqa: SIM115 - a generator: closed by the `with` below
    except FileNotFoundError:
        return
    with f:
        end = f.seek(0, 2)
        yield from (_backward(f, end) if newest_first else _forward(f, end))


def _forward(f: BinaryIO, end: int) -> Iterator[bytes]:
    f.seek(0)
    left = end
    while left > 0:
        line = f.readline(left)
        if not line:
            return
        left -= len(line)
        yield line


def _backward(f: BinaryIO, end: int) -> Iterator[bytes]:
    pos, tail = end, b""
    while pos > 0:
        size = min(BLOCK, pos)
        pos -= size
        f.seek(pos)
        lines = (f.read(size) + tail).split(b"\n")
        tail = lines[0]
        yield from reversed(lines[1:])
    yield tail


def parse(line: bytes) -> dict[str, Any] | None:
    line = line.strip()
    if not line:
        return None
    try:
        value = json.loads(line)
    except ValueError:  # torn or damaged line
        return None
    return value if isinstance(value, dict) else None


def needle(value: str) -> bytes:
    """How a string value appears inside a ledger line (as the ledger encodes it)."""
    return json.dumps(value, ensure_ascii=False)[1:-1].encode()


def key_names(value: str) -> set[str]:
    """A key identifier and, for a key ARN, its key id too."""
    names = {value}
    if value.startswith("arn:") and ":key/" in value:
        names.add(value.rsplit(":key/", 1)[1])
    return names


def record_keys(record: dict[str, Any]) -> set[str]:
    """Every key identifier a record names: resources, request and response members."""
    found: set[str] = set()
    for resource in record.get("resources") or ():
        if isinstance(resource, dict) and isinstance(resource.get("ARN"), str):
            found |= key_names(resource["ARN"])
    for section in ("requestParameters", "responseElements"):
        members = record.get(section)
        if not isinstance(members, dict):
            continue
        metadata = members.get("keyMetadata")
        if isinstance(metadata, dict):
            members = {**members, "keyId": metadata.get("keyId"), "arn": metadata.get("arn")}
        for name in (*_KEY_FIELDS, "arn"):
            if isinstance(members.get(name), str):
                found |= key_names(members[name])
    return found


@dataclass(frozen=True)
class Filter:
    key: str | None = None
    user: str | None = None
    operation: str | None = None
    since: float | None = None
    until: float | None = None
    request_id: str | None = None

    def needles(self) -> list[bytes]:
        """Substrings any matching line must contain (a cheap test before parsing)."""
        out = [needle(v) for v in (self.user, self.operation, self.request_id) if v]
        if self.key:
            out.append(needle(min(key_names(self.key), key=len)))
        return out

    def matches(self, record: dict[str, Any]) -> bool:
        if self.operation is not None and record.get("eventName") != self.operation:
            return False
        if self.request_id is not None and record.get("requestID") != self.request_id:
            return False
        if self.user is not None:
            identity = record.get("userIdentity") or {}
            if self.user not in (identity.get("arn"), identity.get("userName")):
                return False
        if self.key is not None and not key_names(self.key) & record_keys(record):
            return False
        if self.since is not None or self.until is not None:
            try:
                when = parse_time(record["eventTime"])
            except (KeyError, TypeError, ValueError):
                return False
            # eventTime has whole seconds: an event in the second `since` falls in counts
            if self.since is not None and when < math.floor(self.since):
                return False
            if self.until is not None and when > self.until:
                return False
        return True
