"""The KMS clock: move it forward to watch rotations, deletions and expiries happen, and
see what did happen: the keys before and after (a diff of their states and current key
material) and the KMS's own events in between (RotateKey, DeleteKey,
DeleteExpiredKeyMaterial), with the KMS's time."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from kms.service.service import KmsService
from objstore.console import state
from objstore.console.render import redirect, render, when
from objstore.http.context import CONTEXT

routes = web.RouteTableDef()
MAX_DAYS = 3650
REPORT = "clock_report"         # session.data: what the last advance did (ids and names only)
MAX_EVENTS = 1000


@dataclass(frozen=True)
class KeyState:
    key_id: str
    state: str
    material: str | None
    description: str


def snapshot(kms: KmsService) -> dict[str, KeyState]:
    """Every key of the KMS, read from its store (no KMS call: nothing is audited or run)."""
    return {k.key_id: KeyState(k.key_id, k.state, k.current_material_id, k.description)
            for k in kms.snapshot().list_keys()}


def advance_and_report(kms: KmsService, days: float) -> dict[str, Any]:
    """Advance the clock; what changed, key by key, and the KMS's events in between."""
    before, start = snapshot(kms), kms.clock.now()
    end = kms.advance_clock(days)
    after = snapshot(kms)
    events = [e for e in kms.audit_trail(since=start, until=end + 1, limit=MAX_EVENTS,
                                         newest_first=False)
              if e.get("eventType") == "AwsServiceEvent"]
    changes = []
    for key_id, old in before.items():
        new = after.get(key_id)
        mine = [e["eventName"] for e in events if any(
            str(r.get("ARN", "")).endswith(key_id) for r in e.get("resources") or ())]
        rotations = mine.count("RotateKey")
        expired = mine.count("DeleteExpiredKeyMaterial")
        what: list[str] = []
        if new is None:
            what.append("deleted (its waiting period ended): every ciphertext made under it "
                        "is now unreadable")
        else:
            if rotations:
                what.append(f"rotated {rotations} time{'s' if rotations != 1 else ''} "
                            "(new key material is current; old ciphertexts still decrypt)")
            if expired:
                what.append("imported key material expired and was deleted")
            if new.state != old.state:
                what.append(f"state {old.state} → {new.state}")
        if what:
            changes.append({"key_id": key_id, "description": old.description, "what": what})
    return {"days": days, "start": start, "end": end, "changes": changes,
            "start_iso": dt.datetime.fromtimestamp(int(start), dt.UTC).strftime(
                "%Y-%m-%dT%H:%M:%S"),
            "events": [{"time": e.get("eventTime", ""), "name": e.get("eventName", ""),
                        "key_ids": [str(r.get("ARN", "")).rsplit("/", 1)[-1]
                                 for r in e.get("resources") or ()],
                        "material": (e.get("additionalEventData") or {}).get(
                            "keyMaterialId", "")}
                       for e in events]}


@routes.get("/clock", name="clock")
async def clock_page(request: web.Request) -> web.Response:
    kms = request.app[CONTEXT].kms
    report = state.session(request).data.pop(REPORT, None)
    return render(request, "clock.html", section="clock", now=kms.clock.now(),
                  offset_days=kms.clock.offset / 86_400, max_days=MAX_DAYS, report=report)


@routes.post("/clock", name="clock_post")
async def advance(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        days = float(str(form.get("days", "")))
    except ValueError:
        days = math.nan
    if not 0 < days <= MAX_DAYS:
        state.flash(request, f"Give a number of days above 0 and at most {MAX_DAYS}.",
                    "error")
        return redirect(request, "clock")
    ctx = request.app[CONTEXT]
    loop = asyncio.get_running_loop()
    report = await loop.run_in_executor(ctx.kms_executor, advance_and_report, ctx.kms, days)
    state.session(request).data[REPORT] = report
    state.flash(request, f"The KMS clock moved forward {days:g} days; anything that fell "
                f"due (rotations, deletions, expiries) has happened. KMS time is now "
                f"{when(report['end'])}.")
    return redirect(request, "clock")
