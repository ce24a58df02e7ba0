"""The inspection report of one object: how it is stored, what its files reveal, whether it
was encrypted before it reached the server, and who can read it.

`describe(data_dir, bucket, key)` reads everything read-only from a data directory (safe
beside a running server); `report(record, blobs, ...)` builds the same report from what a
caller already holds (a running server's store, its KMS's key store and its users)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kms.service.snapshot import KmsSnapshot
from objstore.auth.identities import DEFAULT_ACCOUNT_ID, IdentityStore
from objstore.inspection import at_rest, client_side
from objstore.inspection.readers import Audience, who_can_read
from objstore.sse.client_side import recognise
from objstore.storage import metadata
from objstore.storage.blobs import BlobStore
from objstore.storage.records import ObjectRecord

DEFAULT_REGION = "us-east-1"


def report(record: ObjectRecord, blobs: BlobStore, *, keys: KmsSnapshot | None = None,
           principals: Sequence[str] = (), account_id: str = DEFAULT_ACCOUNT_ID,
           region: str = DEFAULT_REGION) -> dict[str, Any]:
    """The report as a JSON-ready dict. `keys`: the KMS's key records (None: key states and
    policies are not looked at); `principals`: the ARNs of the account's users, whom "who
    can read" is answered for."""
    envelope = recognise(record.user_meta)
    key = client_side.client_key(envelope, keys, account=account_id, region=region) \
        if envelope else None
    result = at_rest.server_side(record, blobs)
    if envelope is not None:
        result["client_side_encryption"] = client_side.section(envelope, key)
    result.update(at_rest.exposure(record, envelope, key.name if key else None))
    result["who_can_read"] = who_can_read(record, envelope, key, keys,
                                          Audience(account_id, region, list(principals)))
    return result


def describe(data_dir: Path, bucket: str, key: str, *,
             users_file: Path | None = None) -> dict[str, Any]:
    """The report of s3://bucket/key in a data directory; KeyError if there is no such
    object. Opens the metadata and key databases read-only and writes nothing."""
    conn = sqlite3.connect(f"file:{data_dir / 'objstore.db'}?mode=ro", uri=True)
    try:
        record = metadata.get_object(conn, bucket, key)
        bucket_record = metadata.get_bucket(conn, bucket)
    finally:
        conn.close()
    if record is None:
        raise KeyError(f"no object s3://{bucket}/{key}")
    identities = IdentityStore(users_file or data_dir / "identities.json")
    principals = [identity.arn for identity in identities.list()]
    account_id = identities.list()[0].account_id if principals else DEFAULT_ACCOUNT_ID
    keys = KmsSnapshot.open(data_dir)
    try:
        return report(record, BlobStore(data_dir / "objects"), keys=keys,
                      principals=principals, account_id=account_id,
                      region=bucket_record.region if bucket_record else DEFAULT_REGION)
    finally:
        keys.close()
