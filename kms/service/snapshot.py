"""A read-only, un-audited view of the KMS's key records, for tools that explain rather
than act: the object store's inspection ("who can read this object?"), the console's key
pickers and clock report. Not an AWS operation: no caller, no authorization, no audit
record, no due work run (a KMS call would do all four, and an inspection must change
nothing). Reach it in-process with `KmsService.snapshot()`, or offline, beside a running
server, with `KmsSnapshot.open(data_dir)` (the key database opened read-only).

The record types and key states are re-exported here, so that users of the view need
nothing from kms.store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kms.store.db import KeyStore
from kms.store.paths import KmsPaths
from kms.store.records import (
    DISABLED,
    ENABLED,
    PENDING_DELETION,
    PENDING_IMPORT,
    AliasRecord,
    GrantRecord,
    KeyRecord,
    alias_arn,
)

__all__ = ["DISABLED", "ENABLED", "PENDING_DELETION", "PENDING_IMPORT", "AliasRecord",
           "GrantRecord", "KeyRecord", "KmsSnapshot", "alias_arn"]


class KmsSnapshot:
    def __init__(self, store: KeyStore | None, *, owned: bool = False) -> None:
        self._store = store
        self._owned = owned   # opened by `open`, closed by `close`

    @classmethod
    def open(cls, data_dir: Path) -> KmsSnapshot:
        """The key database of a data directory, read-only; with no database, a view of
        no keys."""
        try:
            return cls(KeyStore(KmsPaths.of(data_dir).db, read_only=True), owned=True)
        except sqlite3.OperationalError:
            return cls(None)

    def close(self) -> None:
        if self._owned and self._store is not None:
            self._store.close()
        self._store = None

    def get_key(self, key_id: str) -> KeyRecord | None:
        return self._store.get_key(key_id) if self._store else None

    def get_alias(self, arn: str) -> AliasRecord | None:
        return self._store.get_alias(arn) if self._store else None

    def list_keys(self) -> list[KeyRecord]:
        return self._store.list_keys(limit=None) if self._store else []

    def list_aliases(self, account: str, region: str | None = None) -> list[AliasRecord]:
        return self._store.list_aliases_by_account(account, region, limit=None) \
            if self._store else []

    def list_grants(self, key_id: str, limit: int | None = None) -> list[GrantRecord]:
        return self._store.list_grants(key_id, limit=limit) if self._store else []
