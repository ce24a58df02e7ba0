"""`objstore inspect BUCKET/KEY`: what is stored for an object, and what a thief holding
the disk would (and would not) learn from it. Reads the metadata database directly and
touches nothing, so it is safe beside a running server."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from objstore.crypto import FRAME_SIZE, HEADER_SIZE, FrameSealer
from objstore.storage import metadata
from objstore.storage.blobs import BlobStore
from objstore.storage.records import ObjectRecord

MODE_NAMES = {None: "none (stored as sent)", "AES256": "SSE-S3 (AES256)",
              "aws:kms": "SSE-KMS (aws:kms)", "SSE-C": "SSE-C (customer-provided key)"}


def describe(data_dir: Path, bucket: str, key: str) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{data_dir / 'objstore.db'}?mode=ro", uri=True)
    try:
        record = metadata.get_object(conn, bucket, key)
    finally:
        conn.close()
    if record is None:
        raise KeyError(f"no object s3://{bucket}/{key}")
    return _report(record, BlobStore(data_dir / "objects"))


def _report(record: ObjectRecord, blobs: BlobStore) -> dict[str, Any]:
    sse = record.attrs.get("sse") or {}
    mode = sse.get("mode")
    parts = [{"blob": str(blobs.path(s.blob)), "plaintext_bytes": s.size,
              "stored_bytes": blobs.stored_size(s.blob) if blobs.path(s.blob).exists()
              else None,
              "frames": max(1, -(-s.size // FRAME_SIZE)) if mode else None}
             for s in record.segments]
    report: dict[str, Any] = {
        "object": f"s3://{record.bucket}/{record.key}", "size": record.size,
        "etag": record.etag, "last_modified": record.last_modified,
        "mode": MODE_NAMES.get(mode, mode), "parts": parts,
    }
    if mode in ("aws:kms", "AES256"):
        report["kms_key"] = sse.get("kms_key_arn", "the store key (SSE-S3, held by the KMS)")
        report["key_material_id"] = sse.get("material_id")
        report["encryption_context"] = sse.get("kms_context")
        report["wrapped_data_key"] = sse.get("wrapped_key")
    if mode == "SSE-C":
        report["customer_key"] = ("not stored: only a salted HMAC fingerprint, to tell a "
                                  "right key from a wrong one")
        report["fingerprint"] = sse.get("customer_key_fingerprint")
    if mode:
        report["format"] = (f"each part: a {HEADER_SIZE}-byte header (magic, version, frame "
                            f"size, random salt), then AES-256-GCM frames of "
                            f"{FRAME_SIZE // 1024} KiB + a 16-byte tag; stored size of "
                            f"{record.size} bytes in one part: "
                            f"{FrameSealer.stored_size(record.size)}")
        report["a_thief_with_the_disk_sees"] = (
            "ciphertext only: no plaintext, and no data key (it is wrapped by the KMS"
            + (", whose root key would also be needed" if mode != "SSE-C"
               else "; for SSE-C it is derived from a key the server never stored") + ")")
    else:
        report["a_thief_with_the_disk_sees"] = "the object's bytes, in clear"
    report["still_leaks"] = ["the size (to within 16 bytes per 64 KiB frame)",
                             "the timestamps", "the bucket and key names",
                             "user metadata and content type: "
                             + json.dumps({**record.user_meta, **record.headers})]
    return report


def render(report: dict[str, Any]) -> str:
    lines = [report["object"]]
    for name, value in report.items():
        if name == "object":
            continue
        if isinstance(value, list | dict):
            value = json.dumps(value, indent=2)
        lines.append(f"  {name.replace('_', ' ')}: {value}")
    return "\n".join(lines)
