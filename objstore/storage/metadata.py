"""The metadata database: SQLite in WAL mode, one table per record kind.

Object keys are stored as UTF-8 BLOBs so that SQLite's memcmp ordering is S3's UTF-8
binary order, and so that any key (NUL included) round-trips. The functions here are
synchronous and take a connection: reads run on the event loop (they are index lookups),
writes run in the committer's thread.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from objstore.storage.records import (
    BucketRecord,
    ListEntry,
    ObjectRecord,
    PartRecord,
    UploadRecord,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY, owner TEXT NOT NULL, region TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL, key BLOB NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
    last_modified REAL NOT NULL, owner TEXT NOT NULL, checksum_algorithm TEXT,
    checksum_type TEXT, doc TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL,
    initiated REAL NOT NULL, owner TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, initiated);
CREATE TABLE IF NOT EXISTS bucket_configs (
    bucket TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (bucket, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, blob TEXT NOT NULL,
    size INTEGER NOT NULL, etag TEXT NOT NULL, last_modified REAL NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
"""


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, fsync on commit."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


# -- buckets -------------------------------------------------------------------------------

def get_bucket(conn: sqlite3.Connection, name: str) -> BucketRecord | None:
    row = conn.execute(
        "SELECT name, owner, region, created FROM buckets WHERE name = ?", (name,)
    ).fetchone()
    return BucketRecord(*row) if row else None


def list_buckets(conn: sqlite3.Connection) -> list[BucketRecord]:
    rows = conn.execute("SELECT name, owner, region, created FROM buckets ORDER BY name")
    return [BucketRecord(*row) for row in rows]


def insert_bucket(conn: sqlite3.Connection, bucket: BucketRecord) -> None:
    conn.execute(
        "INSERT INTO buckets (name, owner, region, created) VALUES (?, ?, ?, ?)",
        (bucket.name, bucket.owner, bucket.region, bucket.created),
    )


def delete_bucket(conn: sqlite3.Connection, name: str) -> None:
    conn.execute("DELETE FROM bucket_configs WHERE bucket = ?", (name,))
    conn.execute("DELETE FROM buckets WHERE name = ?", (name,))


def get_bucket_config(conn: sqlite3.Connection, bucket: str, name: str) -> dict | None:
    row = conn.execute("SELECT doc FROM bucket_configs WHERE bucket = ? AND name = ?",
                       (bucket, name)).fetchone()
    return json.loads(row[0]) if row else None


def put_bucket_config(conn: sqlite3.Connection, bucket: str, name: str, doc: dict) -> None:
    conn.execute("INSERT OR REPLACE INTO bucket_configs (bucket, name, doc) VALUES (?, ?, ?)",
                 (bucket, name, json.dumps(doc, separators=(",", ":"))))


def delete_bucket_config(conn: sqlite3.Connection, bucket: str, name: str) -> bool:
    cursor = conn.execute("DELETE FROM bucket_configs WHERE bucket = ? AND name = ?",
                          (bucket, name))
    return cursor.rowcount > 0


def bucket_has_objects(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", (name,)).fetchone() \
        is not None


def bucket_upload_ids(conn: sqlite3.Connection, name: str) -> list[str]:
    rows = conn.execute("SELECT upload_id FROM uploads WHERE bucket = ?", (name,))
    return [row[0] for row in rows]


# -- objects -------------------------------------------------------------------------------

_OBJECT_COLUMNS = "bucket, key, size, etag, last_modified, owner, doc"


def _object_from_row(row: tuple) -> ObjectRecord:
    bucket, key, size, etag, last_modified, owner, doc = row
    return ObjectRecord.from_row(bucket, bytes(key).decode(), size, etag, last_modified, owner,
                                 json.loads(doc))


def get_object(conn: sqlite3.Connection, bucket: str, key: str) -> ObjectRecord | None:
    row = conn.execute(
        f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ?",
        (bucket, key.encode()),
    ).fetchone()
    return _object_from_row(row) if row else None


def put_object(conn: sqlite3.Connection, record: ObjectRecord) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO objects (bucket, key, size, etag, last_modified, owner,"
        " checksum_algorithm, checksum_type, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (record.bucket, record.key.encode(), record.size, record.etag, record.last_modified,
         record.owner, record.checksum_algorithm or next(iter(record.checksums), None),
         record.checksum_type,
         json.dumps(record.doc(), separators=(",", ":"))),
    )


def delete_object(conn: sqlite3.Connection, bucket: str, key: str) -> None:
    conn.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key.encode()))


def scan_objects(conn: sqlite3.Connection, bucket: str, start: bytes, inclusive: bool,
                 end: bytes | None, limit: int) -> Iterator[ListEntry]:
    """Up to `limit` objects with start <(=) key < end, in key order, read lazily: a caller
    that stops early costs only the rows it took."""
    sql = ("SELECT key, size, etag, last_modified, owner, checksum_algorithm, checksum_type"
           " FROM objects WHERE bucket = ? AND key " + (">=" if inclusive else ">") + " ?")
    args: list[object] = [bucket, start]
    if end is not None:
        sql += " AND key < ?"
        args.append(end)
    sql += " ORDER BY key LIMIT ?"
    args.append(limit)
    for row in conn.execute(sql, args):
        yield ListEntry(bytes(row[0]).decode(), *row[1:])


def all_segment_blobs(conn: sqlite3.Connection) -> Iterator[str]:
    for (doc,) in conn.execute("SELECT doc FROM objects"):
        for segment in json.loads(doc)["segments"]:
            yield segment["blob"]
    for (blob,) in conn.execute("SELECT blob FROM parts"):
        yield blob


# -- multipart uploads ---------------------------------------------------------------------

def insert_upload(conn: sqlite3.Connection, upload: UploadRecord) -> None:
    conn.execute(
        "INSERT INTO uploads (upload_id, bucket, key, initiated, owner, doc)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (upload.upload_id, upload.bucket, upload.key.encode(), upload.initiated, upload.owner,
         json.dumps(upload.doc(), separators=(",", ":"))),
    )


def _upload_from_row(row: tuple) -> UploadRecord:
    upload_id, bucket, key, initiated, owner, doc = row
    return UploadRecord.from_row(upload_id, bucket, bytes(key).decode(), initiated, owner,
                                 json.loads(doc))


def get_upload(conn: sqlite3.Connection, upload_id: str) -> UploadRecord | None:
    row = conn.execute(
        "SELECT upload_id, bucket, key, initiated, owner, doc FROM uploads WHERE upload_id = ?",
        (upload_id,),
    ).fetchone()
    return _upload_from_row(row) if row else None


def delete_upload(conn: sqlite3.Connection, upload_id: str) -> list[str]:
    """Delete the upload and its parts; returns the parts' blob ids."""
    blobs = [row[0] for row in conn.execute(
        "SELECT blob FROM parts WHERE upload_id = ?", (upload_id,))]
    conn.execute("DELETE FROM parts WHERE upload_id = ?", (upload_id,))
    conn.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))
    return blobs


def scan_uploads(conn: sqlite3.Connection, bucket: str, start_key: bytes,
                 start_upload: str | None, end: bytes | None, limit: int) -> list[UploadRecord]:
    """Uploads in (key, initiated, upload id) order, after (start_key, start_upload) when
    start_upload is given, else from start_key inclusive."""
    if start_upload is None:
        sql = ("SELECT upload_id, bucket, key, initiated, owner, doc FROM uploads"
               " WHERE bucket = ? AND key >= ?")
        args: list[object] = [bucket, start_key]
    else:
        marker = get_upload(conn, start_upload)
        initiated = marker.initiated if marker else float("inf")
        sql = ("SELECT upload_id, bucket, key, initiated, owner, doc FROM uploads"
               " WHERE bucket = ? AND (key > ? OR (key = ? AND (initiated > ?"
               " OR (initiated = ? AND upload_id > ?))))")
        args = [bucket, start_key, start_key, initiated, initiated, start_upload]
    if end is not None:
        sql += " AND key < ?"
        args.append(end)
    sql += " ORDER BY key, initiated, upload_id LIMIT ?"
    args.append(limit)
    return [_upload_from_row(row) for row in conn.execute(sql, args)]


def _part_from_row(row: tuple) -> PartRecord:
    upload_id, number, blob, size, etag, last_modified, doc = row
    extra = json.loads(doc)
    return PartRecord(upload_id, number, blob, size, etag, last_modified,
                      checksums=extra.get("checksums", {}), attrs=extra.get("attrs", {}))


def get_parts(conn: sqlite3.Connection, upload_id: str, after: int = 0,
              limit: int = 10_001) -> list[PartRecord]:
    rows = conn.execute(
        "SELECT upload_id, part_number, blob, size, etag, last_modified, doc FROM parts"
        " WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?",
        (upload_id, after, limit),
    )
    return [_part_from_row(row) for row in rows]


def get_part(conn: sqlite3.Connection, upload_id: str, part_number: int) -> PartRecord | None:
    parts = get_parts(conn, upload_id, after=part_number - 1, limit=1)
    return parts[0] if parts and parts[0].part_number == part_number else None


def put_part(conn: sqlite3.Connection, part: PartRecord) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO parts (upload_id, part_number, blob, size, etag, last_modified,"
        " doc) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (part.upload_id, part.part_number, part.blob, part.size, part.etag, part.last_modified,
         json.dumps({"checksums": part.checksums, "attrs": part.attrs}, separators=(",", ":"))),
    )
