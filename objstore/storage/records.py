"""The metadata records storage keeps: plain data, serialisable to JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Segment:
    """One stored blob of an object: a single-part object has one, a multipart object one per
    part. `size` is the number of object bytes the segment holds."""

    blob: str
    size: int

    @staticmethod
    def from_json(doc: dict[str, Any]) -> Segment:
        return Segment(blob=doc["blob"], size=doc["size"])


@dataclass(frozen=True)
class BucketRecord:
    name: str
    owner: str
    region: str
    created: float


@dataclass
class ObjectRecord:
    """What storage knows of an object. `headers` holds the stored HTTP representation
    headers (Content-Type, Cache-Control, ...), `user_meta` the x-amz-meta-* pairs (names
    without the prefix), `checksums` algorithm name (upper case) -> base64 value, and
    `attrs` anything an upper layer wants to keep with the object (storage never reads it)."""

    bucket: str
    key: str
    size: int
    etag: str
    last_modified: float
    segments: list[Segment]
    owner: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    user_meta: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    checksum_type: str | None = None
    part_checksums: list[dict[str, str]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    # the algorithm of the object's checksum, for listings, when an upper layer keeps the
    # values themselves out of `checksums` (sealed in attrs, where storage never looks)
    checksum_algorithm: str | None = None

    @property
    def parts_count(self) -> int | None:
        """Number of parts for a multipart object, None for a single-part one."""
        return len(self.segments) if "-" in self.etag else None

    def doc(self) -> dict[str, Any]:
        """The JSON document stored beside the indexed columns."""
        data = asdict(self)
        for column in ("bucket", "key", "size", "etag", "last_modified", "owner"):
            data.pop(column)
        return data

    @staticmethod
    def from_row(bucket: str, key: str, size: int, etag: str, last_modified: float,
                 owner: str, doc: dict[str, Any]) -> ObjectRecord:
        return ObjectRecord(
            bucket=bucket, key=key, size=size, etag=etag, last_modified=last_modified,
            owner=owner, segments=[Segment.from_json(s) for s in doc["segments"]],
            headers=doc.get("headers", {}), user_meta=doc.get("user_meta", {}),
            checksums=doc.get("checksums", {}), checksum_type=doc.get("checksum_type"),
            part_checksums=doc.get("part_checksums", []), attrs=doc.get("attrs", {}),
            checksum_algorithm=doc.get("checksum_algorithm"),
        )


@dataclass
class UploadRecord:
    """A multipart upload in progress: what CreateMultipartUpload was told."""

    upload_id: str
    bucket: str
    key: str
    initiated: float
    owner: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    user_meta: dict[str, str] = field(default_factory=dict)
    checksum_algorithm: str | None = None
    checksum_type: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    def doc(self) -> dict[str, Any]:
        data = asdict(self)
        for column in ("upload_id", "bucket", "key", "initiated", "owner"):
            data.pop(column)
        return data

    @staticmethod
    def from_row(upload_id: str, bucket: str, key: str, initiated: float, owner: str,
                 doc: dict[str, Any]) -> UploadRecord:
        return UploadRecord(upload_id=upload_id, bucket=bucket, key=key, initiated=initiated,
                            owner=owner, **doc)


@dataclass
class PartRecord:
    upload_id: str
    part_number: int
    blob: str
    size: int
    etag: str
    last_modified: float
    checksums: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ListEntry:
    """One row of a listing: an object's summary."""

    key: str
    size: int
    etag: str
    last_modified: float
    owner: str
    checksum_algorithm: str | None = None
    checksum_type: str | None = None


@dataclass
class ListPage:
    entries: list[ListEntry]
    common_prefixes: list[str]
    is_truncated: bool
    next_marker: str | None   # the last key or common prefix returned, when truncated
