"""Admin endpoints under /_objstore/ (no bucket name can start with "_"), authenticated
like any S3 request:

  GET  /_objstore/kms/audit?key=&user=&operation=&since=&until=&request-id=&limit=
  GET  /_objstore/kms/clock
  POST /_objstore/kms/clock?advance-days=N

They answer JSON. The console and scripts use them; `objstore kms` does the same
in-process."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from objstore.http.context import ServerContext
from objstore.http.errors import S3Error, invalid_argument

PREFIX = "/_objstore/"
MAX_AUDIT_RECORDS = 1000


def is_admin_path(raw_path: str) -> bool:
    return raw_path.startswith(PREFIX)


async def handle(ctx: ServerContext, method: str, raw_path: str,
                 query: Mapping[str, str]) -> web.Response:
    route = raw_path[len(PREFIX):].rstrip("/")
    loop = asyncio.get_running_loop()
    if route == "kms/audit" and method == "GET":
        filters = _audit_filters(query)
        records = await loop.run_in_executor(ctx.kms_executor,
                                             lambda: ctx.kms.audit_trail(**filters))
        return _json({"Records": records})
    if route == "kms/clock" and method in ("GET", "POST"):
        if method == "POST":
            days = _number(query, "advance-days")
            if days is None or days < 0:
                raise invalid_argument("advance-days must be a number of days >= 0",
                                       "advance-days", query.get("advance-days"))
            await loop.run_in_executor(ctx.kms_executor, ctx.kms.advance_clock, days)
        now = ctx.kms.clock.now()
        return _json({"Now": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(),
                      "OffsetDays": ctx.kms.clock.offset / 86_400})
    raise S3Error("NotImplemented", f"No admin endpoint {method} {raw_path}.", status=404)


def _audit_filters(query: Mapping[str, str]) -> dict[str, Any]:
    limit = _number(query, "limit")
    return {"key": query.get("key"), "user": query.get("user"),
            "operation": query.get("operation"), "request_id": query.get("request-id"),
            "since": _time(query, "since"), "until": _time(query, "until"),
            "limit": min(int(limit), MAX_AUDIT_RECORDS) if limit else 100}


def _number(query: Mapping[str, str], name: str) -> float | None:
    if name not in query:
        return None
    try:
        return float(query[name])
    except ValueError:
        raise invalid_argument(f"{name} must be a number", name, query[name]) from None


def _time(query: Mapping[str, str], name: str) -> float | None:
    if name not in query:
        return None
    try:
        moment = dt.datetime.fromisoformat(query[name].replace("Z", "+00:00"))
    except ValueError:
        raise invalid_argument(f"{name} must be an ISO 8601 time", name, query[name]) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def _json(document: dict[str, Any]) -> web.Response:
    return web.Response(text=json.dumps(document, indent=2), content_type="application/json")
