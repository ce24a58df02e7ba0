"""What a key's page does: enable and disable, schedule and cancel deletion, rotation
(automatic with a period, and now), the key policy editor, grants and tags. Every action
is a KMS call as the signed-in identity; a refusal is the KMS's own answer in a banner."""

from __future__ import annotations

import json
import math

from aiohttp import web

from objstore.console import as_user, state
from objstore.console.errors import ConsoleError, KmsFailure
from objstore.console.render import redirect, render, when
from objstore.console.views.keys import principals_of, safe_back, to_back

routes = web.RouteTableDef()

MIN_WINDOW, MAX_WINDOW = 7, 30            # ScheduleKeyDeletion's PendingWindowInDays
MIN_PERIOD, MAX_PERIOD = 90, 2560         # EnableKeyRotation's RotationPeriodInDays


def _key_id(request: web.Request) -> str:
    return request.match_info["key_id"]


async def _back(request: web.Request, anchor: str = "") -> web.Response:
    """To the key's page (at `anchor`), or to the lesson page the form came from."""
    back = safe_back((await request.post()).get("back"), _key_id(request))
    if back:
        return to_back(back)
    response = redirect(request, "key", key_id=_key_id(request))
    if anchor:
        response.headers["Location"] += f"#{anchor}"
    return response


def _whole(text: str) -> int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value == int(value) else None


# -- state -------------------------------------------------------------------------------

@routes.post("/keys/{key_id}/enable", name="key_enable")
async def enable_key(request: web.Request) -> web.Response:
    await as_user.act(request, "enable_key", "Key enabled: it can be used again.",
                      key_id=_key_id(request))
    return await _back(request)


@routes.post("/keys/{key_id}/disable", name="key_disable")
async def disable_key(request: web.Request) -> web.Response:
    await as_user.act(request, "disable_key", "Key disabled: nothing can be encrypted or "
                      "decrypted with it (objects under it cannot be read) until it is "
                      "enabled again.", key_id=_key_id(request))
    return await _back(request)


@routes.post("/keys/{key_id}/schedule-deletion", name="key_schedule_deletion")
async def schedule_deletion(request: web.Request) -> web.Response:
    form = await request.post()
    days = _whole(str(form.get("days", "")))
    if days is None or not MIN_WINDOW <= days <= MAX_WINDOW:
        state.flash(request, f"Give a waiting period of {MIN_WINDOW} to {MAX_WINDOW} whole "
                    "days. Nothing was scheduled.", "error")
        return await _back(request, "deletion")
    try:
        done = await as_user.call(request, "schedule_key_deletion", key_id=_key_id(request),
                                  pending_window_in_days=days)
    except KmsFailure as failure:
        state.flash(request, failure.banner, "error")
        return await _back(request, "deletion")
    state.flash(request, f"Deletion scheduled: the key will be deleted on "
                f"{when(done['DeletionDate'])} (KMS time), and with it every ciphertext made "
                "under it. Until then it is PendingDeletion (unusable) and the deletion can "
                "be cancelled.")
    return await _back(request)


@routes.post("/keys/{key_id}/cancel-deletion", name="key_cancel_deletion")
async def cancel_deletion(request: web.Request) -> web.Response:
    await as_user.act(request, "cancel_key_deletion", "Deletion cancelled. The key is "
                      "Disabled now: enable it to use it again.", key_id=_key_id(request))
    return await _back(request)


@routes.post("/keys/{key_id}/description", name="key_description")
async def update_description(request: web.Request) -> web.Response:
    form = await request.post()
    await as_user.act(request, "update_key_description", "Description changed.",
                      key_id=_key_id(request), description=str(form.get("description", "")))
    return await _back(request)


# -- rotation ------------------------------------------------------------------------------

@routes.post("/keys/{key_id}/rotate", name="key_rotate_now")
async def rotate_now(request: web.Request) -> web.Response:
    await as_user.act(request, "rotate_key_on_demand", "Rotated: new key material is current "
                      "for new encryptions; ciphertexts made before still decrypt with the "
                      "material they name.", key_id=_key_id(request))
    return await _back(request, "rotation")


@routes.post("/keys/{key_id}/rotation", name="key_rotation")
async def set_rotation(request: web.Request) -> web.Response:
    form = await request.post()
    if form.get("automatic") != "on":
        await as_user.act(request, "disable_key_rotation", "Automatic rotation is off.",
                          key_id=_key_id(request))
        return await _back(request, "rotation")
    period = _whole(str(form.get("period", "")))
    if period is None or not MIN_PERIOD <= period <= MAX_PERIOD:
        state.flash(request, f"Give a rotation period of {MIN_PERIOD} to {MAX_PERIOD} whole "
                    "days. Nothing was changed.", "error")
        return await _back(request, "rotation")
    await as_user.act(request, "enable_key_rotation", f"Automatic rotation is on: every "
                      f"{period} days.", key_id=_key_id(request),
                      rotation_period_in_days=period)
    return await _back(request, "rotation")


# -- the key policy ------------------------------------------------------------------------

@routes.get("/keys/{key_id}/policy", name="key_policy_edit")
async def policy_form(request: web.Request) -> web.Response:
    key_id = _key_id(request)
    current = await as_user.call(request, "get_key_policy", key_id=key_id)
    return _policy_page(request, current["Policy"], None)


def _policy_page(request: web.Request, text: str, error: ConsoleError | None,
                 status: int = 200) -> web.Response:
    return render(request, "keys/policy.html", status=status, section="keys",
                  key_id=_key_id(request), text=text, error=error,
                  principals=principals_of(request), account=state.user(request).account_id)


@routes.post("/keys/{key_id}/policy", name="key_policy_save")
async def save_policy(request: web.Request) -> web.Response:
    form = await request.post()
    text = str(form.get("policy", ""))
    try:
        json.loads(text)
    except ValueError as error:
        where = (f"Line {error.lineno}, column {error.colno}: {error.msg}."
                 if isinstance(error, json.JSONDecodeError) else str(error))
        return _policy_page(request, text, ConsoleError(
            "The policy is not valid JSON", f"{where} Nothing was saved."), 400)
    try:
        await as_user.call(request, "put_key_policy", key_id=_key_id(request), policy=text)
    except KmsFailure as failure:
        failure.detail = "Nothing was saved; your text is kept below."
        return _policy_page(request, text, failure, failure.status)
    state.flash(request, "Key policy saved: it applies to the next call.")
    return await _back(request, "policy")


# -- grants --------------------------------------------------------------------------------

@routes.post("/keys/{key_id}/grants", name="key_grant_create")
async def create_grant(request: web.Request) -> web.Response:
    form = await request.post()
    grantee = str(form.get("grantee", "")).strip() or str(form.get("grantee_arn", "")).strip()
    operations = [str(op) for op in form.getall("operations", [])]
    name = str(form.get("name", "")).strip() or None
    if not grantee or not operations:
        state.flash(request, "Choose a grantee and at least one operation. No grant was "
                    "made.", "error")
        return await _back(request, "grants")
    try:
        made = await as_user.call(request, "create_grant", key_id=_key_id(request),
                                  grantee_principal=grantee, operations=operations, name=name)
    except KmsFailure as failure:
        state.flash(request, failure.banner, "error")
        return await _back(request, "grants")
    state.flash(request, f"Grant {made['GrantId'][:12]}… made: {grantee} may "
                f"{', '.join(operations)} with this key (until it is revoked or retired).")
    return await _back(request, "grants")


@routes.post("/keys/{key_id}/grants/{grant_id}/revoke", name="key_grant_revoke")
async def revoke_grant(request: web.Request) -> web.Response:
    await as_user.act(request, "revoke_grant", "Grant revoked: what it allowed is refused "
                      "from now on.", key_id=_key_id(request),
                      grant_id=request.match_info["grant_id"])
    return await _back(request, "grants")


# -- tags ----------------------------------------------------------------------------------

@routes.post("/keys/{key_id}/tags", name="key_tag_add")
async def add_tag(request: web.Request) -> web.Response:
    form = await request.post()
    name, value = str(form.get("tag_key", "")).strip(), str(form.get("tag_value", ""))
    if not name:
        state.flash(request, "Give the tag a key. Nothing was tagged.", "error")
        return await _back(request, "tags")
    await as_user.act(request, "tag_resource", f"Tagged {name}.", key_id=_key_id(request),
                      tags=[{"TagKey": name, "TagValue": value}])
    return await _back(request, "tags")


@routes.post("/keys/{key_id}/tags/remove", name="key_tag_remove")
async def remove_tag(request: web.Request) -> web.Response:
    form = await request.post()
    name = str(form.get("tag_key", ""))
    await as_user.act(request, "untag_resource", f"Tag {name} removed.",
                      key_id=_key_id(request), tag_keys=[name])
    return await _back(request, "tags")
