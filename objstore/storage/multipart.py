"""CompleteMultipartUpload's rules: which stored parts the request names, in what order."""

from __future__ import annotations

from objstore.storage.errors import EntityTooSmall, InvalidPart, InvalidPartOrder
from objstore.storage.records import PartRecord

MIN_PART_SIZE = 5 * 1024 * 1024


def select_parts(stored: list[PartRecord], requested: list[tuple[int, str]],
                 min_part_size: int = MIN_PART_SIZE) -> list[PartRecord]:
    """The stored parts named by `requested` ((part number, ETag) in request order), checked
    as S3 checks them: ascending order, each part present with that ETag, every part but
    the last at least min_part_size bytes."""
    by_number = {part.part_number: part for part in stored}
    chosen: list[PartRecord] = []
    previous = 0
    for number, etag in requested:
        if number <= previous:
            raise InvalidPartOrder()
        previous = number
        part = by_number.get(number)
        if part is None or etag.strip('"') != part.etag:
            raise InvalidPart(number, etag)
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < min_part_size:
            raise EntityTooSmall(part.part_number, part.size, min_part_size)
    return chosen
