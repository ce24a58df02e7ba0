"""The KMS database: SQLite in WAL mode, fsync on commit, foreign keys enforced.

Tables: keys (tags and `extra` as JSON text), materials, aliases, grants, import_params.
Every row that belongs to a key references keys(key_id); deleting a key deletes them
explicitly (KeyStore.delete_key) and the foreign keys make a dangling row impossible."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    key_id TEXT PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    description TEXT NOT NULL,
    key_spec TEXT NOT NULL,
    key_usage TEXT NOT NULL,
    origin TEXT NOT NULL,
    key_manager TEXT NOT NULL,
    state TEXT NOT NULL,
    created REAL NOT NULL,
    deletion_date REAL,
    pending_window_days INTEGER,
    policy TEXT NOT NULL,
    rotation_enabled INTEGER NOT NULL,
    rotation_period_days INTEGER,
    next_rotation REAL,
    expiration_model TEXT,
    valid_to REAL,
    current_material_id TEXT,
    multi_region INTEGER NOT NULL,
    tags TEXT NOT NULL,
    extra TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS keys_by_created ON keys (created, key_id);
CREATE INDEX IF NOT EXISTS keys_by_deletion ON keys (deletion_date)
    WHERE deletion_date IS NOT NULL;
CREATE INDEX IF NOT EXISTS keys_by_rotation ON keys (next_rotation)
    WHERE next_rotation IS NOT NULL;
CREATE INDEX IF NOT EXISTS keys_by_valid_to ON keys (valid_to) WHERE valid_to IS NOT NULL;

CREATE TABLE IF NOT EXISTS materials (
    key_id TEXT NOT NULL REFERENCES keys (key_id),
    material_id TEXT NOT NULL,
    wrapped BLOB,
    created REAL NOT NULL,
    kind TEXT NOT NULL,
    rotation_type TEXT,
    public_der BLOB,
    extra TEXT NOT NULL,
    PRIMARY KEY (key_id, material_id)
);
CREATE INDEX IF NOT EXISTS materials_by_created ON materials (key_id, created);

CREATE TABLE IF NOT EXISTS aliases (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    target_key_id TEXT NOT NULL REFERENCES keys (key_id),
    created REAL NOT NULL,
    updated REAL NOT NULL,
    UNIQUE (account, region, name)
);
CREATE INDEX IF NOT EXISTS aliases_by_key ON aliases (target_key_id, name);

CREATE TABLE IF NOT EXISTS grants (
    grant_id TEXT PRIMARY KEY,
    grant_token TEXT NOT NULL UNIQUE,
    key_id TEXT NOT NULL REFERENCES keys (key_id),
    grantee_principal TEXT NOT NULL,
    retiring_principal TEXT,
    operations TEXT NOT NULL,
    constraints TEXT,
    name TEXT,
    created REAL NOT NULL,
    issuing_account TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS grants_by_key ON grants (key_id, grant_id);
CREATE INDEX IF NOT EXISTS grants_by_retiring ON grants (retiring_principal, grant_id)
    WHERE retiring_principal IS NOT NULL;

CREATE TABLE IF NOT EXISTS import_params (
    key_id TEXT PRIMARY KEY REFERENCES keys (key_id),
    wrapping_private_wrapped BLOB NOT NULL,
    wrapping_public_der BLOB NOT NULL,
    wrapping_algorithm TEXT NOT NULL,
    wrapping_spec TEXT NOT NULL,
    token_id TEXT NOT NULL,
    expires REAL NOT NULL
);
"""


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, fsync on commit,
    foreign keys on, schema created or checked."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA foreign_keys=ON")
        _migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection (`mode=ro`: never created, migrated or locked for writing),
    safe beside a running server; sqlite3.OperationalError if there is no database."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                           check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"KMS database schema version {version} is newer than this program's "
                f"({SCHEMA_VERSION})")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
