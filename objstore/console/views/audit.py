"""The audit trail: every KMS call, who made it, on which key, through what and with what
outcome, filtered as the ledger query allows (key, user, operation, time range, request
id), newest first, a page at a time. The KMS calls one S3 request caused (the same
requestID, `invokedBy: s3.amazonaws.com`) are shown together under that request.

Records never hold key material or plaintext (the ledger scrubs them); every value is
shown as text (autoescaped), whatever a user put in a description, alias or tag."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from objstore.console import as_user
from objstore.console.errors import ConsoleError
from objstore.console.render import render
from objstore.http.context import CONTEXT

routes = web.RouteTableDef()

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 10_000
S3 = "s3.amazonaws.com"
FILTERS = ("key", "user", "operation", "since", "until", "request_id")
OPERATIONS = ["Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
              "ReEncrypt", "CreateKey", "DescribeKey", "EnableKey", "DisableKey",
              "ScheduleKeyDeletion", "CancelKeyDeletion", "DeleteKey", "PutKeyPolicy",
              "GetKeyPolicy", "CreateGrant", "RevokeGrant", "EnableKeyRotation",
              "DisableKeyRotation", "RotateKeyOnDemand", "RotateKey",
              "GetParametersForImport", "ImportKeyMaterial", "DeleteExpiredKeyMaterial",
              "Sign", "Verify", "GenerateMac", "TagResource", "UntagResource"]


@dataclass
class Group:
    """The records with one requestID: one S3 request and the KMS calls it caused, or one
    direct KMS call."""

    request_id: str
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def via_s3(self) -> bool:
        return any((r.get("userIdentity") or {}).get("invokedBy") == S3 for r in self.records)

    @property
    def user(self) -> str:
        identity = self.records[0].get("userIdentity") or {}
        return str(identity.get("userName") or identity.get("arn") or
                   identity.get("invokedBy") or "")


def group_by_request(records: list[dict[str, Any]]) -> list[Group]:
    groups: dict[str, Group] = {}
    for record in records:
        request_id = str(record.get("requestID", ""))
        groups.setdefault(request_id, Group(request_id)).records.append(record)
    return list(groups.values())


def _time(text: str, name: str) -> float | None:
    """A `datetime-local` value (or ISO 8601), read as UTC (the KMS's time)."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConsoleError(f"The {name} time is not a date and time",
                           "Use the form's picker, or YYYY-MM-DDTHH:MM (UTC).") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def _whole(text: str, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(text)))
    except ValueError:
        return default


def _keys_of(record: dict[str, Any]) -> list[str]:
    return [str(r.get("ARN", "")).rsplit("/", 1)[-1] for r in record.get("resources") or ()
            if isinstance(r, dict)]


@routes.get("/audit", name="audit")
async def audit_page(request: web.Request) -> web.Response:
    values = {name: request.query.get(name, "").strip() for name in FILTERS}
    limit = _whole(request.query.get("limit", ""), DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _whole(request.query.get("offset", ""), 0, 0, MAX_OFFSET)
    error: ConsoleError | None = None
    records: list[dict[str, Any]] = []
    more = False
    try:
        since, until = _time(values["since"], "from"), _time(values["until"], "to")
        key = values["key"] or None
        if key and key.startswith("alias/"):
            # the ledger names keys by id and ARN: find the key the alias points to now
            found = await as_user.attempt(request, "describe_key", key_id=key)
            if found.error is not None:
                raise found.error
            key = found.result["KeyMetadata"]["KeyId"] if found.result else key
        ctx = request.app[CONTEXT]
        filters = {"key": key, "user": values["user"] or None,
                   "operation": values["operation"] or None,
                   "request_id": values["request_id"] or None, "since": since,
                   "until": until, "limit": offset + limit + 1}
        loop = asyncio.get_running_loop()
        found_records = await loop.run_in_executor(
            ctx.kms_executor, lambda: ctx.kms.audit_trail(**filters))
        records = found_records[offset:offset + limit]
        more = len(found_records) > offset + limit
    except ConsoleError as failure:
        error = failure
    query = {name: value for name, value in values.items() if value}
    if limit != DEFAULT_LIMIT:
        query["limit"] = str(limit)
    ctx = request.app[CONTEXT]
    return render(request, "audit.html", section="audit", values=values, limit=limit,
                  offset=offset, groups=group_by_request(records), count=len(records),
                  more=more, error=error, query=query, operations=OPERATIONS,
                  users=[i.name for i in ctx.identities.list()], keys_of=_keys_of,
                  as_json=lambda r: json.dumps(r, indent=2, sort_keys=True),
                  now=ctx.kms.clock.now(), status=error.status if error else 200)
