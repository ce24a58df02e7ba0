"""KeyStore: the KMS's durable state in one SQLite database (`data_dir/kms/kms.db`).

Synchronous and thread-safe (one connection behind a re-entrant lock). Every write runs
in a transaction; `transaction()` lets the service group a read-check-write. Table
operations live in keys.py, aliases.py and grants.py."""

from __future__ import annotations

from kms.store.aliases import AliasesMixin
from kms.store.grants import GrantsMixin
from kms.store.keys import KeysMixin


class KeyStore(KeysMixin, AliasesMixin, GrantsMixin):
    """Open (creating if needed) the key database at `path`."""

    def __enter__(self) -> KeyStore:
        return self
