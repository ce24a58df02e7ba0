"""KmsService: every KMS operation this store implements, in one object."""

from __future__ import annotations

from typing import Any

from kms.service.aliases import AliasOps
from kms.service.asymmetric import AsymmetricOps
from kms.service.cached_use import CachedUseOps
from kms.service.caller import Caller
from kms.service.crypto_ops import CryptoOps
from kms.service.grants import GrantOps
from kms.service.importing import ImportOps
from kms.service.keys import KeyOps
from kms.service.rotation import RotationOps
from kms.service.snapshot import KmsSnapshot
from kms.service.store_key import StoreKeyOps
from kms.service.usage import UsageOps


class KmsService(KeyOps, AliasOps, CryptoOps, AsymmetricOps, GrantOps, RotationOps,
                 ImportOps, UsageOps, StoreKeyOps, CachedUseOps):
    """The embedded KMS. Construct with the data directory; call `close()` at the end."""

    def advance_clock(self, days: float) -> float:
        """Move the KMS's clock forward (an administrator's teaching tool), then run what
        became due. Returns the new KMS time."""
        now = self.clock.advance(days * 86_400)
        self.run_due_work()
        return now

    def snapshot(self) -> KmsSnapshot:
        """A read-only, un-audited view of the key records (see kms.service.snapshot)."""
        return KmsSnapshot(self.store)

    def audit_trail(self, **filters: Any) -> list[dict[str, Any]]:
        return self.ledger.query(**filters)


__all__ = ["Caller", "KmsService"]
