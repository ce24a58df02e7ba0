"""The KMS audit ledger: CloudTrail-shaped JSON Lines, scrubbed of every secret."""

from kms.audit.events import (
    CRYPTO_OPERATIONS,
    Identity,
    build_event,
    build_service_event,
    is_read_only,
    iso_time,
)
from kms.audit.ledger import Ledger
from kms.audit.scrub import SecretInRecord, is_secret_field, scrub

__all__ = [
    "CRYPTO_OPERATIONS",
    "Identity",
    "Ledger",
    "SecretInRecord",
    "build_event",
    "build_service_event",
    "is_read_only",
    "is_secret_field",
    "iso_time",
    "scrub",
]
