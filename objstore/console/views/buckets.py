"""Buckets: the list, creating and deleting one, a bucket's objects (prefix and delimiter
browsing, paging, each object's encryption at a glance), and its default encryption, set
through the same rules as PutBucketEncryption. Every operation is the in-process S3 of
objstore.http.direct, for the signed-in identity."""

from __future__ import annotations

from aiohttp import web

from objstore.console import as_user, state
from objstore.console.render import redirect, render
from objstore.console.views.s3_common import (
    S3Failure,
    alias_names,
    ctx_of,
    endpoint,
    mode_of,
    s3_call_failed,
    who,
)
from objstore.http import direct
from objstore.http.errors import S3Error
from objstore.sse import names

routes = web.RouteTableDef()
PAGE_SIZES = (10, 25, 50, 100, 200)
DEFAULT_PAGE = 50


@routes.get("/buckets", name="buckets")
async def bucket_list(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    rows = []
    for bucket in direct.list_buckets(ctx):
        setting = direct.bucket_encryption(ctx, bucket.name)
        rows.append((bucket, setting))
    return render(request, "buckets/list.html", section="buckets", rows=rows,
                  endpoint=endpoint(request))


@routes.post("/buckets", name="bucket_create")
async def create_bucket(request: web.Request) -> web.Response:
    form = await request.post()
    name = str(form.get("name", "")).strip()
    try:
        await direct.create_bucket(ctx_of(request), who(request), name)
    except S3Error as error:
        s3_call_failed(request, error)
        return redirect(request, "buckets")
    state.flash(request, f"Created bucket {name}.")
    return redirect(request, "bucket", bucket=name)


@routes.post("/buckets/{bucket}/delete", name="bucket_delete")
async def delete_bucket(request: web.Request) -> web.Response:
    bucket = request.match_info["bucket"]
    try:
        await direct.delete_bucket(ctx_of(request), bucket)
    except S3Error as error:
        s3_call_failed(request, error)
        return redirect(request, "bucket", bucket=bucket)
    state.flash(request, f"Deleted bucket {bucket}.")
    return redirect(request, "buckets")


def _page_size(text: str) -> int:
    return int(text) if text.isdigit() and int(text) in PAGE_SIZES else DEFAULT_PAGE


@routes.get("/buckets/{bucket}", name="bucket")
async def bucket_page(request: web.Request) -> web.Response:
    bucket = request.match_info["bucket"]
    query = request.rel_url.query
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "/")
    after = query.get("after", "")
    size = _page_size(query.get("max", ""))
    ctx = ctx_of(request)
    try:
        listing = direct.list_objects(ctx, bucket, prefix=prefix, delimiter=delimiter,
                                      start_after=after, max_keys=size)
        setting = direct.bucket_encryption(ctx, bucket)
    except S3Error as error:
        raise S3Failure(error) from None
    aliases = await alias_names(request)
    rows = [(entry, mode_of(listing.records[entry.key], aliases))
            for entry in listing.page.entries if entry.key in listing.records]
    crumbs = _crumbs(prefix, delimiter)
    browse = {"delimiter": delimiter, "max": str(size)}
    next_query = None
    if listing.page.is_truncated and listing.page.next_marker is not None:
        next_query = {**browse, "prefix": prefix, "after": listing.page.next_marker}
    return render(request, "buckets/detail.html", section="buckets", bucket=bucket,
                  rows=rows, prefixes=listing.page.common_prefixes, prefix=prefix,
                  delimiter=delimiter, after=after, size=size, sizes=PAGE_SIZES,
                  q=lambda **extra: {**browse, **extra}, crumbs=crumbs,
                  next_query=next_query, setting=setting, describe_rule=describe_rule,
                  endpoint=endpoint(request))


def _crumbs(prefix: str, delimiter: str) -> list[tuple[str, str]]:
    """(label, prefix) for each level of the prefix, for the breadcrumb trail."""
    if not delimiter or not prefix:
        return []
    crumbs, built = [], ""
    for part in prefix.split(delimiter)[:-1] if prefix.endswith(delimiter) else \
            prefix.split(delimiter):
        built += part + delimiter
        crumbs.append((part + delimiter, built))
    return crumbs


def describe_rule(rule: dict[str, object] | None) -> str:
    """A bucket's default encryption in a few words."""
    if rule is None:
        return "none: objects without SSE headers are stored as sent"
    algorithm = rule.get("SSEAlgorithm")
    text = {names.AES256: "SSE-S3 (AES256)", names.KMS: "SSE-KMS (aws:kms)",
            names.KMS_DSSE: "DSSE-KMS (aws:kms:dsse)"}.get(str(algorithm),
                                                          "SSE-S3 base level")
    if algorithm in names.KMS_MODES:
        text += " under " + str(rule.get("KMSMasterKeyID") or "alias/aws/s3 (AWS-managed)")
    if rule.get("BucketKeyEnabled"):
        text += ", Bucket Key on"
    if names.SSE_C in (rule.get("BlockedEncryptionTypes") or []):  # type: ignore[operator]
        text += ", SSE-C blocked"
    return text


# -- default encryption ----------------------------------------------------------------------

async def key_choices(request: web.Request) -> tuple[list[tuple[str, str]], str | None]:
    """The symmetric KMS keys the user may pick: (value, label), or a refusal to show."""
    outcome = await as_user.attempt(request, "list_aliases", limit=1000)
    keys = await as_user.attempt(request, "list_keys", limit=1000)
    if not keys.ok or keys.result is None:
        return [], keys.error.banner if keys.error else None
    labels: dict[str, list[str]] = {}
    if outcome.ok and outcome.result is not None:
        for alias in outcome.result["Aliases"]:
            if "TargetKeyId" in alias and not alias["AliasName"].startswith("alias/aws/"):
                labels.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    choices = []
    for key in keys.result["Keys"]:
        key_id = key["KeyId"]
        meta = await as_user.attempt(request, "describe_key", key_id=key_id)
        if meta.ok and meta.result is not None:
            info = meta.result["KeyMetadata"]
            if info["KeyManager"] != "CUSTOMER" or info["KeySpec"] != "SYMMETRIC_DEFAULT" \
                    or info["KeyState"] == "PendingDeletion":
                continue
            state_note = "" if info["KeyState"] == "Enabled" else f" ({info['KeyState']})"
        else:
            state_note = ""
        named = ", ".join(labels.get(key_id, [])) or "no alias"
        choices.append((labels[key_id][0] if key_id in labels else key["KeyArn"],
                        f"{named} — {key_id}{state_note}"))
    return choices, None


@routes.get("/buckets/{bucket}/encryption", name="bucket_encryption")
async def encryption_page(request: web.Request) -> web.Response:
    bucket = request.match_info["bucket"]
    try:
        setting = direct.bucket_encryption(ctx_of(request), bucket)
    except S3Error as error:
        raise S3Failure(error) from None
    choices, refused = await key_choices(request)
    rule = setting["rule"] if setting else {"SSEAlgorithm": None, "KMSMasterKeyID": None,
                                             "BucketKeyEnabled": False,
                                             "BlockedEncryptionTypes": []}
    return render(request, "buckets/encryption.html", section="buckets", bucket=bucket,
                  setting=setting, rule=rule, choices=choices, refused=refused,
                  describe_rule=describe_rule, endpoint=endpoint(request))


@routes.post("/buckets/{bucket}/encryption", name="bucket_encryption_put")
async def put_encryption(request: web.Request) -> web.Response:
    bucket = request.match_info["bucket"]
    form = await request.post()
    algorithm = str(form.get("algorithm", names.AES256))
    key_id = str(form.get("kms_key_id", "")).strip() if algorithm in names.KMS_MODES else ""
    blocked = ["SSE-C"] if form.get("block_ssec") else []
    try:
        await direct.put_bucket_encryption(
            ctx_of(request), bucket, algorithm=algorithm, kms_master_key_id=key_id or None,
            bucket_key_enabled=bool(form.get("bucket_key")),
            blocked_encryption_types=blocked)
    except S3Error as error:
        s3_call_failed(request, error)
        return redirect(request, "bucket_encryption", bucket=bucket)
    state.flash(request, "Default encryption saved: objects written without SSE headers now "
                "get " + describe_rule(direct.bucket_encryption(ctx_of(request), bucket)
                                       ["rule"]) + ".")  # type: ignore[index]
    return redirect(request, "bucket_encryption", bucket=bucket)


@routes.post("/buckets/{bucket}/encryption/delete", name="bucket_encryption_delete")
async def delete_encryption(request: web.Request) -> web.Response:
    bucket = request.match_info["bucket"]
    try:
        await direct.delete_bucket_encryption(ctx_of(request), bucket)
    except S3Error as error:
        s3_call_failed(request, error)
        return redirect(request, "bucket_encryption", bucket=bucket)
    state.flash(request, "Default encryption deleted: the bucket is back at the SSE-S3 base "
                "level (every object is still encrypted, as on AWS since 2023).")
    return redirect(request, "bucket_encryption", bucket=bucket)
