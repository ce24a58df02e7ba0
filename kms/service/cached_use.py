"""For a caller that keeps a data key the KMS gave it (S3 Bucket Keys): the key-state check
a KMS call would make now, without a call. No audit record is written, because no KMS
operation happens; that is what makes bucket keys cheaper, and what the audit trail shows."""

from __future__ import annotations

from kms.service.base import ServiceBase
from kms.service.errors import not_found


class CachedUseOps(ServiceBase):
    def check_key_usable(self, key_arn: str, operation: str) -> None:
        """Raise the KmsError `operation` would raise on this key in its current state
        (disabled, pending deletion or import, deleted); nothing when it is usable."""
        key = self.store.get_key(key_arn.rsplit("/", 1)[-1])
        if key is None or key.arn != key_arn:
            raise not_found(f"Key '{key_arn}' does not exist")
        self._check_state(operation, key)
