"""The KMS clock: move it forward to watch rotations, deletions and expiries happen."""

from __future__ import annotations

import asyncio
import math

from aiohttp import web

from objstore.console import state
from objstore.console.render import redirect, render, when
from objstore.http.context import CONTEXT

routes = web.RouteTableDef()
MAX_DAYS = 3650


@routes.get("/clock", name="clock")
async def clock_page(request: web.Request) -> web.Response:
    kms = request.app[CONTEXT].kms
    return render(request, "clock.html", section="clock", now=kms.clock.now(),
                  offset_days=kms.clock.offset / 86_400, max_days=MAX_DAYS)


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
    now = await loop.run_in_executor(ctx.kms_executor, ctx.kms.advance_clock, days)
    state.flash(request, f"The KMS clock moved forward {days:g} days; anything that fell "
                f"due (rotations, deletions, expiries) has happened. KMS time is now "
                f"{when(now)}.")
    return redirect(request, "clock")

