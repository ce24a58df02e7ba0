"""Run KMS calls as the signed-in identity: in-process, in the KMS's own worker thread,
with a Caller naming that identity (so key policies, grants and the audit trail see who
really acted), and KMS errors turned into banners (KmsFailure).

    meta = (await call(request, "describe_key", key_id=key_id))["KeyMetadata"]
    ok = await act(request, "disable_key", "Key disabled.", key_id=key_id)   # flashes
    outcome = await attempt(request, "get_key_policy", key_id=key_id)       # never raises
    rows = await run(request, lambda kms, caller: ...)                      # several calls
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from aiohttp import web

from kms.service.caller import Caller
from kms.service.errors import KmsError
from kms.service.service import KmsService
from objstore.console import state
from objstore.console.errors import KmsFailure
from objstore.http.context import CONTEXT

T = TypeVar("T")
USER_AGENT = "objstore-console"


def caller(request: web.Request) -> Caller:
    identity = state.user(request)
    ctx = request.app[CONTEXT]
    browser = request.headers.get("User-Agent", "")
    return Caller(arn=identity.arn, account_id=identity.account_id, user_name=identity.name,
                  region=ctx.region, source_ip=request.remote or "",
                  request_id=secrets.token_hex(8).upper(),
                  user_agent=f"{USER_AGENT} ({browser})" if browser else USER_AGENT,
                  access_key=identity.access_key)


async def run(request: web.Request, work: Callable[[KmsService, Caller], T]) -> T:
    """`work(kms, caller)` in the KMS thread; a KmsError it lets out becomes KmsFailure."""
    ctx = request.app[CONTEXT]
    who = caller(request)
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(ctx.kms_executor, partial(work, ctx.kms, who))
    except KmsError as error:
        raise KmsFailure(error) from None


async def call(request: web.Request, operation: str, **params: Any) -> dict[str, Any]:
    """One KmsService operation (its Python name: "create_key") as the signed-in user."""
    result: dict[str, Any] = await run(
        request, lambda kms, who: getattr(kms, operation)(who, **params))
    return result


@dataclass
class Attempt:
    result: dict[str, Any] | None = None
    error: KmsFailure | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


async def attempt(request: web.Request, operation: str, **params: Any) -> Attempt:
    """Like `call`, but a refusal is returned (to show beside one part of a page)."""
    try:
        return Attempt(result=await call(request, operation, **params))
    except KmsFailure as failure:
        return Attempt(error=failure)


async def act(request: web.Request, operation: str, done: str, **params: Any) -> bool:
    """An action from a form: flash `done` or the failure's banner; True if it worked."""
    try:
        await call(request, operation, **params)
    except KmsFailure as failure:
        state.flash(request, failure.banner, "error")
        return False
    state.flash(request, done)
    return True
