"""What the Buckets, Objects and SSE lesson pages share: S3 failures as banners, the
signed-in user as an in-process S3 requester, and each object's encryption in a few words."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from objstore.console import state
from objstore.console.errors import ConsoleError
from objstore.http import direct
from objstore.http.context import CONTEXT, ServerContext
from objstore.http.encryption import Requester
from objstore.http.errors import S3Error
from objstore.sse import names
from objstore.sse.client_side import recognise
from objstore.storage.records import ObjectRecord

# S3 error code -> what it means for the person looking at the page
_HEADLINES = {
    "AccessDenied": "Not allowed",
    "KMS.DisabledException": "The KMS key is disabled: enable it (Keys page) before "
                             "writing or reading objects under it",
    "KMS.NotFoundException": "There is no such KMS key",
    "KMS.KMSInvalidStateException": "The KMS key's state does not allow this now",
    "NoSuchBucket": "There is no such bucket",
    "NoSuchKey": "There is no such object",
    "BucketNotEmpty": "The bucket is not empty: delete its objects first",
    "BucketAlreadyExists": "That bucket name is taken",
    "BucketAlreadyOwnedByYou": "You have that bucket already",
    "InvalidBucketName": "That is not a valid bucket name",
    "InvalidArgument": "Some of the values are not valid",
    "InvalidRequest": "S3 refused the request",
    "MetadataTooLarge": "The metadata is too large (2 KB at most)",
    "KeyTooLongError": "The object key is too long (1024 bytes at most)",
    "EntityTooLarge": "The file is too large for one PutObject (5 GiB at most)",
}
SSEC_WRONG = "Requests specifying Server Side Encryption with Customer provided keys must " \
             "provide the correct secret key."
SSEC_BLOCKED = "blocked upload requests that specify Server Side Encryption with Customer " \
               "provided keys"


class S3Failure(ConsoleError):
    """An S3 operation done for the signed-in user failed: a plain-words headline, and what
    S3 itself answered (code and message), as boto3 or the AWS CLI would show it."""

    def __init__(self, error: S3Error) -> None:
        headline = _HEADLINES.get(error.code, "S3 refused this")
        if error.code == "AccessDenied" and error.message == SSEC_WRONG:
            headline = "Wrong key: that is not the key this object was encrypted with"
        elif error.code == "AccessDenied" and SSEC_BLOCKED in error.message:
            headline = "This bucket blocks SSE-C: its default encryption setting refuses " \
                       "customer-provided keys"
        elif error.code == "AccessDenied" and "kms:" in error.message:
            headline = "Not allowed: the KMS key's policy does not let you use this key"
        super().__init__(headline, f"S3 answered {error.status} {error.code}: "
                         f"{error.message}", status=error.status)
        self.code = error.code


def ctx_of(request: web.Request) -> ServerContext:
    return request.app[CONTEXT]


def who(request: web.Request, headers: Mapping[str, str] | None = None) -> Requester:
    """The signed-in identity as an S3 requester (its SSE headers, its connection's TLS)."""
    return direct.requester(state.user(request), headers, secure=request.secure)


def endpoint(request: web.Request) -> str:
    """This server's S3 endpoint, as the browser reached it (for commands shown on pages)."""
    return f"{request.scheme}://{request.host}"


@dataclass(frozen=True)
class Mode:
    """An object's protection at a glance: a short label, and a CSS class for its badge."""

    label: str
    kind: str
    client_side: str = ""   # "client-side (…)" when the S3 Encryption Client's envelope is on


def mode_of(record: ObjectRecord, aliases: Mapping[str, str]) -> Mode:
    """`aliases`: key ARN -> alias name (the KMS keys' first alias), to name keys kindly."""
    sse = record.attrs.get("sse") or {}
    mode = sse.get("mode")
    envelope = recognise(record.user_meta)
    client = ""
    if envelope is not None:
        client = f"client-side ({envelope.format}, {envelope.wrap_algorithm or 'own key'})"
    key = sse.get("kms_key_arn", "")
    named = aliases.get(key) or (key.rsplit("/", 1)[-1][:8] + "…" if key else "")
    if mode == names.AES256:
        return Mode("SSE-S3", "sse-s3", client)
    if mode == names.KMS:
        suffix = " + Bucket Key" if sse.get("bucket_key") else ""
        return Mode(f"SSE-KMS {named}{suffix}", "sse-kms", client)
    if mode == names.KMS_DSSE:
        return Mode(f"DSSE-KMS {named}", "dsse-kms", client)
    if mode == names.SSE_C:
        return Mode("SSE-C", "sse-c", client)
    return Mode("none (stored as sent)", "none", client)


async def alias_names(request: web.Request) -> dict[str, str]:
    """Key ARN -> its first alias name, read from the KMS's own key store in its thread (no
    KMS operation, no audit record: a listing only names keys)."""
    ctx = ctx_of(request)
    kms = ctx.kms

    def read() -> dict[str, str]:
        found: dict[str, str] = {}
        aliases = kms.snapshot().list_aliases(kms.account_id, kms.region)
        for alias in sorted(aliases, key=lambda a: a.name):
            found.setdefault(f"arn:aws:kms:{kms.region}:{kms.account_id}:key/"
                             f"{alias.target_key_id}", alias.name)
        return found

    return await asyncio.get_running_loop().run_in_executor(ctx.kms_executor, read)


def s3_call_failed(request: web.Request, error: S3Error) -> S3Failure:
    failure = S3Failure(error)
    state.flash(request, failure.banner, "error")
    return failure
