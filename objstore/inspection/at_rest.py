"""What is on disk for an object: its blobs, the server-side encryption kept with it, the
stored format, and what a thief holding the disk would (and would not) learn."""

from __future__ import annotations

import json
from typing import Any

from objstore.crypto import FRAME_SIZE, HEADER_SIZE, FrameSealer
from objstore.sse import names
from objstore.sse.client_side import ClientEnvelope
from objstore.storage.blobs import BlobStore
from objstore.storage.records import ObjectRecord

MODE_NAMES = {None: "none (stored as sent)", names.AES256: "SSE-S3 (AES256)",
              names.KMS: "SSE-KMS (aws:kms)",
              names.KMS_DSSE: "DSSE-KMS (aws:kms:dsse, two layers)",
              names.SSE_C: "SSE-C (customer-provided key)"}


def server_side(record: ObjectRecord, blobs: BlobStore) -> dict[str, Any]:
    """The object, its parts and its server-side encryption (mode, key, wrapped data key)."""
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
    if mode in names.KMS_MODES or mode == names.AES256:
        report["kms_key"] = sse.get("kms_key_arn", "the store key (SSE-S3, held by the KMS)")
        report["key_material_id"] = sse.get("material_id")
        report["encryption_context"] = sse.get("kms_context")
        report["wrapped_data_key"] = sse.get("wrapped_key")
        if sse.get("wrapped_keys"):
            report["outer_layer_wrapped_data_keys"] = sse["wrapped_keys"]
        if sse.get("bucket_key"):
            report["bucket_key"] = (
                "S3 Bucket Key: the data key above is wrapped (AES-GCM) by a bucket-level "
                "key, which the KMS wrapped under the bucket's ARN context; one KMS call "
                "serves many objects")
            report["wrapped_bucket_key"] = sse["bucket_key"]
    if sse.get("sealed_checksums"):
        report["checksums"] = ("sealed under the object's data key (a plaintext checksum "
                               "would reveal short contents)")
    if mode == names.SSE_C:
        report["customer_key"] = ("not stored: only a salted HMAC fingerprint, to tell a "
                                  "right key from a wrong one")
        report["fingerprint"] = sse.get("customer_key_fingerprint")
    if mode:
        layers = 2 if mode == names.KMS_DSSE else 1
        stored = record.size
        for _ in range(layers):
            stored = FrameSealer.stored_size(stored)
        report["format"] = (("two layers, each " if layers == 2 else "each part: ")
                            + f"a {HEADER_SIZE}-byte header (magic, version, frame "
                            f"size, random salt), then AES-256-GCM frames of "
                            f"{FRAME_SIZE // 1024} KiB + a 16-byte tag; stored size of "
                            f"{record.size} bytes in one part: {stored}")
    return report


def exposure(record: ObjectRecord, envelope: ClientEnvelope | None,
             client_key: str | None) -> dict[str, Any]:
    """What a thief with the data directory sees, and what leaks whatever the mode."""
    mode = (record.attrs.get("sse") or {}).get("mode")
    if mode:
        sees = ("ciphertext only: no plaintext, and no data key (it is wrapped by the KMS"
                + (", whose root key would also be needed" if mode != names.SSE_C
                   else "; for SSE-C it is derived from a key the server never stored") + ")")
        if envelope is not None:
            sees += "; and under that layer, the client's own ciphertext"
    elif envelope is not None:
        sees = "the client's ciphertext only: no plaintext"
    else:
        sees = "the object's bytes, in clear"
    if envelope is not None:
        sees += ("; the client's data key in the metadata is wrapped"
                 + (f" by KMS key {client_key}" if client_key else
                    " by a key the client holds") + ", useless without it")
    leaks = ["the size (to within 16 bytes per 64 KiB frame)" if mode else "the size",
             "the timestamps", "the bucket and key names",
             "user metadata and content type: "
             + json.dumps({**record.user_meta, **record.headers})]
    if envelope is not None and envelope.plaintext_length is not None:
        leaks.insert(1, "the exact plaintext size, in the client's envelope "
                        f"({envelope.plaintext_length} bytes)")
    return {"a_thief_with_the_disk_sees": sees, "still_leaks": leaks}
