"""The Range header, as S3 reads it: one range; bad syntax is ignored (whole object)."""

from __future__ import annotations

import re

from objstore.http.errors import S3Error

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of the bytes asked for, None for the whole object; raises
    InvalidRange (416) when the range cannot be satisfied."""
    if header is None:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise _unsatisfiable(header, size)
        if size == 0:  # AWS answers a suffix range of an empty object with all of it (200)
            return None
        return max(0, size - suffix), size
    start = int(first)
    end = int(last) + 1 if last else size
    if last and end <= start:
        return None
    if start >= size:
        raise _unsatisfiable(header, size)
    return start, min(end, size)


def _unsatisfiable(header: str, size: int) -> S3Error:
    return S3Error("InvalidRange", RangeRequested=header, ActualObjectSize=str(size))
