"""The KMS's durable state: keys, key material (wrapped by the root key), aliases, grants
and import parameters in SQLite, and the root key file. Synchronous; no crypto here beyond
reading and writing the root key's bytes."""

from kms.store.db import KeyStore
from kms.store.errors import AlreadyExists, InvalidMarker, NotFound, RootKeyError, StoreError
from kms.store.paths import KmsPaths
from kms.store.records import (
    AliasRecord,
    GrantRecord,
    ImportParamsRecord,
    KeyRecord,
    MaterialRecord,
)
from kms.store.root_key import load_or_create_root_key

__all__ = [
    "AliasRecord",
    "AlreadyExists",
    "GrantRecord",
    "ImportParamsRecord",
    "InvalidMarker",
    "KeyRecord",
    "KeyStore",
    "KmsPaths",
    "MaterialRecord",
    "NotFound",
    "RootKeyError",
    "StoreError",
    "load_or_create_root_key",
]
