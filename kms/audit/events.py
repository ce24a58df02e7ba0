"""Building CloudTrail-shaped records for KMS calls (kms-api.md §11)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

EVENT_VERSION = "1.08"
EVENT_SOURCE = "kms.amazonaws.com"

# Cryptographic operations: what "using a key" means (last_usage), and all read-only.
CRYPTO_OPERATIONS = frozenset({
    "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify",
    "GenerateMac", "VerifyMac", "DeriveSharedSecret",
})
_READ_ONLY_PREFIXES = ("Describe", "List", "Get")


def is_read_only(event_name: str) -> bool:
    return (event_name in CRYPTO_OPERATIONS or event_name == "GenerateRandom"
            or event_name.startswith(_READ_ONLY_PREFIXES))


def iso_time(epoch: float) -> str:
    """CloudTrail's eventTime: UTC, ISO 8601, whole seconds, `Z`."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


@dataclass(frozen=True)
class Identity:
    """Who made the call: the record's userIdentity (build one from the service's caller)."""

    arn: str
    account_id: str
    principal_id: str = ""
    type: str = "IAMUser"
    user_name: str | None = None
    access_key_id: str | None = None

    def identity(self, invoked_by: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "principalId": self.principal_id,
                               "arn": self.arn, "accountId": self.account_id}
        if self.access_key_id:
            out["accessKeyId"] = self.access_key_id
        if self.user_name:
            out["userName"] = self.user_name
        if invoked_by:
            out["invokedBy"] = invoked_by
        return out


def key_resources(key_arns: Iterable[str]) -> list[dict[str, str]]:
    """`resources` entries for key ARNs (duplicates dropped, order kept)."""
    out: list[dict[str, str]] = []
    for arn in dict.fromkeys(a for a in key_arns if a):
        parts = arn.split(":", 5)
        account = parts[4] if len(parts) == 6 else ""
        out.append({"accountId": account, "type": "AWS::KMS::Key", "ARN": arn})
    return out


def build_event(*, event_name: str, region: str, identity: Identity | dict[str, Any],
                request_id: str,
                recipient_account: str,
                request_parameters: dict[str, Any] | None = None,
                response_elements: dict[str, Any] | None = None,
                key_arns: Iterable[str] = (), source_ip: str = "127.0.0.1",
                user_agent: str = "", invoked_by: str | None = None,
                error_code: str | None = None, error_message: str | None = None,
                key_material_id: str | None = None,
                additional_event_data: dict[str, Any] | None = None,
                read_only: bool | None = None, now: float | None = None) -> dict[str, Any]:
    """One AwsApiCall record. With `invoked_by` (e.g. "s3.amazonaws.com": the object store
    calling on the user's behalf) the identity stays the user's, and the source address and
    user agent become the service's host name. A failed call keeps errorCode/errorMessage
    and drops responseElements."""
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": _user_identity(identity, invoked_by),
        "eventTime": iso_time(time.time() if now is None else now),
        "eventSource": EVENT_SOURCE,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": invoked_by or source_ip,
        "userAgent": invoked_by or user_agent,
    }
    if error_code is not None:
        record["errorCode"] = error_code
        record["errorMessage"] = error_message or ""
        response_elements = None
    record["requestParameters"] = request_parameters
    record["responseElements"] = response_elements
    extra = dict(additional_event_data or {})
    if key_material_id is not None:
        extra["keyMaterialId"] = key_material_id
    if extra:
        record["additionalEventData"] = extra
    record.update(_tail(request_id, is_read_only(event_name) if read_only is None
                        else read_only, key_arns, "AwsApiCall", recipient_account))
    return record


def build_service_event(*, event_name: str, region: str, account: str, key_arn: str,
                        additional_event_data: dict[str, Any] | None = None,
                        now: float | None = None) -> dict[str, Any]:
    """A KMS-internal event (scheduled rotation, deletion, material expiry): RotateKey,
    DeleteKey, DeleteExpiredKeyMaterial, ..."""
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": {"accountId": account, "invokedBy": EVENT_SOURCE},
        "eventTime": iso_time(time.time() if now is None else now),
        "eventSource": EVENT_SOURCE,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": EVENT_SOURCE,
        "userAgent": EVENT_SOURCE,
        "requestParameters": None,
        "responseElements": None,
    }
    if additional_event_data:
        record["additionalEventData"] = dict(additional_event_data)
    record.update(_tail(str(uuid.uuid4()), False, [key_arn], "AwsServiceEvent", account))
    return record


def _user_identity(identity: Identity | dict[str, Any],
                   invoked_by: str | None) -> dict[str, Any]:
    if isinstance(identity, Identity):
        return identity.identity(invoked_by)
    out = dict(identity)
    if invoked_by:
        out["invokedBy"] = invoked_by
    return out


def _tail(request_id: str, read_only: bool, key_arns: Iterable[str], event_type: str,
          recipient_account: str) -> dict[str, Any]:
    return {
        "requestID": request_id,
        "eventID": str(uuid.uuid4()),
        "readOnly": read_only,
        "resources": key_resources(key_arns),
        "eventType": event_type,
        "managementEvent": True,
        "recipientAccountId": recipient_account,
        "eventCategory": "Management",
    }
