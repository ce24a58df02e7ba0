"""The store key: what protects SSE-S3 data keys. Like S3's own keys on AWS it is held by
the KMS but belongs to no customer: it is not listed, has no policy, and its use is not
in the customer's audit trail. It is derived from the KMS root key, so it lives and dies
with the KMS's data."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping

from kms.crypto import blob, kdf
from kms.crypto.errors import IncorrectKey, InvalidCiphertext
from kms.service.base import ServiceBase
from kms.service.errors import KmsError

STORE_KEY_ID = uuid.uuid5(uuid.NAMESPACE_URL, "objstore:sse-s3:store-key")
STORE_KEY_MATERIAL_ID = hashlib.sha256(b"objstore sse-s3 store key v1").digest()


class StoreKeyOps(ServiceBase):
    def _store_key(self) -> bytes:
        return kdf.derive_key(self._root_key, "sse-s3 store key v1")

    def seal_with_store_key(self, plaintext: bytes, context: Mapping[str, str]) -> bytes:
        """Wrap an SSE-S3 data key (the context binds it to its object)."""
        return blob.seal(self._store_key(), STORE_KEY_ID, STORE_KEY_MATERIAL_ID, plaintext,
                         context)

    def open_with_store_key(self, sealed: bytes, context: Mapping[str, str]) -> bytes:
        try:
            return blob.open_blob(self._store_key(), sealed, context, key_id=STORE_KEY_ID)
        except (InvalidCiphertext, IncorrectKey):
            raise KmsError("InvalidCiphertextException", "") from None
