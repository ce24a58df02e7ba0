"""An object's HTTP representation: which request headers are stored with it, and the
headers a GET or HEAD answers with."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping

from objstore.http.errors import S3Error
from objstore.integrity import checksums
from objstore.storage.records import ObjectRecord

STORED_HEADERS = ("Content-Type", "Content-Encoding", "Content-Disposition",
                  "Content-Language", "Cache-Control", "Expires",
                  "x-amz-website-redirect-location", "x-amz-storage-class")
DEFAULT_CONTENT_TYPE = "binary/octet-stream"
META_PREFIX = "x-amz-meta-"
MAX_USER_META = 2048
STORAGE_CLASSES = {"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
                   "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR",
                   "SNOW", "EXPRESS_ONEZONE", "FSX_OPENZFS", "FSX_ONTAP"}
OVERRIDES = {"response-content-type": "Content-Type",
             "response-content-language": "Content-Language",
             "response-expires": "Expires", "response-cache-control": "Cache-Control",
             "response-content-disposition": "Content-Disposition",
             "response-content-encoding": "Content-Encoding"}


def stored_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The representation headers a write stores (aws-chunked is transport, not content)."""
    stored = {name: headers[name] for name in STORED_HEADERS if name in headers}
    if "Content-Encoding" in stored:
        codings = [c.strip() for c in stored["Content-Encoding"].split(",")
                   if c.strip() and c.strip().lower() != "aws-chunked"]
        if codings:
            stored["Content-Encoding"] = ",".join(codings)
        else:
            del stored["Content-Encoding"]
    storage_class = stored.get("x-amz-storage-class")
    if storage_class is not None and storage_class not in STORAGE_CLASSES:
        raise S3Error("InvalidStorageClass", "The storage class you specified is not valid",
                      StorageClassRequested=storage_class)
    stored.setdefault("Content-Type", DEFAULT_CONTENT_TYPE)
    return stored


def user_metadata(headers: Mapping[str, str]) -> dict[str, str]:
    meta = {name.lower()[len(META_PREFIX):]: value for name, value in headers.items()
            if name.lower().startswith(META_PREFIX)}
    size = sum(len(k.encode()) + len(v.encode()) for k, v in meta.items())
    if size > MAX_USER_META:
        raise S3Error("MetadataTooLarge", Size=str(size), MaxSizeAllowed=str(MAX_USER_META))
    return meta


def http_date(epoch: float) -> str:
    return email.utils.formatdate(int(epoch), usegmt=True)


def object_headers(record: ObjectRecord, *, with_checksum: bool,
                   part_number: int | None = None) -> dict[str, str]:
    """Headers for GET/HEAD (and 304s) of an object."""
    headers = {"ETag": f'"{record.etag}"', "Last-Modified": http_date(record.last_modified),
               "Accept-Ranges": "bytes"}
    for name, value in record.headers.items():
        if name == "x-amz-storage-class" and value == "STANDARD":
            continue
        headers[name] = value
    for name, value in record.user_meta.items():
        headers[META_PREFIX + name] = value
    if part_number is not None and record.parts_count is not None:
        headers["x-amz-mp-parts-count"] = str(record.parts_count)
    if with_checksum:
        headers.update(checksum_headers(record, part_number))
    return headers


def checksum_values(values: dict[str, str]) -> dict[str, str]:
    """x-amz-checksum-* headers for algorithm -> value pairs."""
    return {checksums.header_name(k): v for k, v in values.items()}


def checksum_headers(record: ObjectRecord, part_number: int | None) -> dict[str, str]:
    if part_number is not None and record.part_checksums:
        return checksum_values(record.part_checksums[part_number - 1])
    headers = checksum_values(record.checksums)
    if headers and record.checksum_type:
        headers["x-amz-checksum-type"] = record.checksum_type
    return headers


def apply_overrides(headers: dict[str, str], query: Mapping[str, str]) -> None:
    for param, header in OVERRIDES.items():
        if param in query:
            headers[header] = query[param]
