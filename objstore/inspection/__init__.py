"""Inspection: what is stored for an object and what that means, for `objstore inspect` and
the web console alike. Reads only: never a KMS operation, never a write.

- `describe(data_dir, bucket, key)`: the report, from a data directory (read-only).
- `report(record, blobs, keys=..., principals=...)`: the same from records already held.

The report (a JSON-ready dict) says how the object is stored (mode, keys, wrapped data key,
frame layout), whether a client encrypted it before upload (the S3 Encryption Client's
envelope, recognised by `objstore.sse.client_side`), what a thief with the disk would see,
what still leaks, and who can read it (S3 access, and kms:Decrypt evaluated against the
key policy and grants, for each of the account's users).
"""

from objstore.inspection.report import describe, report

__all__ = ["describe", "report"]
