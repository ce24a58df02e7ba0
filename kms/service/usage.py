"""GetKeyLastUsage: a key's last successful cryptographic use, read from the audit
ledger (which starts with the store, so tracking starts when the key was created)."""

from __future__ import annotations

from typing import Any

from kms.audit.events import parse_time
from kms.service.base import AuditNote, ServiceBase
from kms.service.caller import Caller


class UsageOps(ServiceBase):
    def get_key_last_usage(self, caller: Caller, *, key_id: str) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            key = self._key(caller, key_id, note)
            self._authorize(caller, key, "GetKeyLastUsage")
            result: dict[str, Any] = {"KeyId": key.arn, "KeyCreationDate": key.created,
                                      "TrackingStartDate": key.created}
            last = self.ledger.last_usage(key.arn)
            if last is not None:
                result["KeyLastUsage"] = {
                    "Operation": last["eventName"],
                    "Timestamp": parse_time(last["eventTime"]),
                    "CloudTrailEventId": last["eventID"],
                    "KmsRequestId": last["requestID"],
                }
            return result

        return self._call(caller, "GetKeyLastUsage", {"keyId": key_id}, run)
