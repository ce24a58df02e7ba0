"""KMS key identifiers, syntax only: key id, key ARN, alias name, alias ARN (s3-sse.md §4.1).
Whether the key exists, is enabled and may be used is the KMS's to say."""

from __future__ import annotations

import re

from objstore.sse.errors import invalid_key_id

_ID = r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
_ALIAS = r"alias/[a-zA-Z0-9/_-]{1,250}"
_ARN = r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:"
_FORMS = re.compile(rf"{_ID}|{_ALIAS}|{_ARN}key/{_ID}|{_ARN}{_ALIAS}")
MAX_LENGTH = 2048


def check(key_id: str) -> None:
    """400 KMS.NotFoundException "Invalid keyId '...'" for what cannot name a KMS key, e.g.
    `fake-key-id` or `aws/s3` without `alias/` (§4.5)."""
    if len(key_id) > MAX_LENGTH or not _FORMS.fullmatch(key_id):
        raise invalid_key_id(key_id)
