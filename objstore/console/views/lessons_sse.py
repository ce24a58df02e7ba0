"""SSE-mode lessons, one page per mode (SSE-S3, SSE-KMS, Bucket Keys, DSSE-KMS, SSE-C,
client-side) and one for the AWS-managed key: a few sentences, then each step done live in
this console (a "do it" form that writes a small object in that mode into the user's lesson
bucket, links to the object's inspect page, the Keys and Audit pages) with the matching
boto3 and AWS CLI commands beside it, for this server's endpoint."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from objstore.console import as_user, state
from objstore.console.errors import ConsoleError, KmsFailure
from objstore.console.render import redirect, render
from objstore.console.views.buckets import key_choices
from objstore.console.views.lessons_registry import Lesson, register
from objstore.console.views.objects import FormProblem, customer_key_headers, sse_headers
from objstore.console.views.s3_common import (
    S3Failure,
    alias_names,
    ctx_of,
    endpoint,
    mode_of,
    who,
)
from objstore.cse_format import content, envelope
from objstore.cse_format.errors import ClientSideError
from objstore.http import direct
from objstore.http.errors import S3Error
from objstore.sse import names

routes = web.RouteTableDef()
AWS_MANAGED = "alias/aws/s3"


@dataclass(frozen=True)
class SseLesson:
    slug: str
    title: str
    summary: str
    mode: str           # the upload form's mode for the live step

    @property
    def route(self) -> str:
        return f"lesson_sse_{self.slug.replace('-', '_')}"


LESSONS = [
    SseLesson("sse-s3", "SSE-S3: encryption you never ask for",
              "Every object is encrypted at rest with a key the store manages; no KMS key "
              "of yours, no audit record.", "AES256"),
    SseLesson("sse-kms", "SSE-KMS: objects under a KMS key",
              "A data key from the KMS per object: key policies decide who reads, every "
              "use is audited, disabling the key locks the objects.", "aws:kms"),
    SseLesson("aws-managed-key", "The AWS-managed key alias/aws/s3",
              "Ask for aws:kms without naming a key, and watch S3 make its key on first "
              "use.", "aws:kms"),
    SseLesson("bucket-keys", "S3 Bucket Keys: fewer KMS calls",
              "One GenerateDataKey per bucket key's lifetime instead of one per object; "
              "count them in the audit trail.", "aws:kms"),
    SseLesson("dsse-kms", "DSSE-KMS: two layers",
              "Two independent encryption layers, each under its own data key from the "
              "KMS.", "aws:kms:dsse"),
    SseLesson("sse-c", "SSE-C: your key, never stored",
              "You send the key with every request; the server keeps only a salted "
              "fingerprint. Lose the key, lose the object.", "SSE-C"),
    SseLesson("client-side", "Client-side encryption",
              "Encrypt before S3 sees the data (S3 Encryption Client V2): the server stores "
              "ciphertext it cannot read.", "client-side"),
]
BY_SLUG = {lesson.slug: lesson for lesson in LESSONS}

register(*(Lesson(route=lesson.route, title=lesson.title, summary=lesson.summary,
                  kind="sse", order=10 * n) for n, lesson in enumerate(LESSONS, 1)))


def lesson_bucket(request: web.Request) -> str:
    """The signed-in user's lesson bucket: lesson-<name>, made of valid bucket characters."""
    name = re.sub(r"[^a-z0-9-]+", "-", state.user(request).name.lower()).strip("-")
    return f"lesson-{name or 'user'}"[:63].rstrip("-")


async def _aws_managed_key(request: web.Request) -> dict[str, str] | None:
    """alias/aws/s3 and its key, if S3 made it already (asked as the signed-in user)."""
    outcome = await as_user.attempt(request, "list_aliases", limit=1000)
    for alias in (outcome.result or {}).get("Aliases", []):
        if alias["AliasName"] == AWS_MANAGED and "TargetKeyId" in alias:
            return {"alias": AWS_MANAGED, "key_id": alias["TargetKeyId"]}
    return None


def _page(lesson: SseLesson):  # type: ignore[no-untyped-def]
    async def view(request: web.Request) -> web.Response:
        choices, refused = await key_choices(request)
        bucket = lesson_bucket(request)
        return render(request, f"lessons/sse_{lesson.slug.replace('-', '_')}.html",
                      section="lessons", lesson=lesson, lessons=LESSONS, choices=choices,
                      refused=refused, bucket=bucket, endpoint=endpoint(request),
                      aws_managed=await _aws_managed_key(request)
                      if lesson.slug == "aws-managed-key" else None)
    return view


for _lesson in LESSONS:
    routes.get(f"/lessons/sse/{_lesson.slug}", name=_lesson.route)(_page(_lesson))


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


@routes.post("/lessons/sse/{slug}/try", name="lesson_sse_try")
async def try_it(request: web.Request) -> web.Response:
    """Do the lesson's step live: a small object in the lesson's mode, in the user's lesson
    bucket (made if need be); then its inspect page (or, for SSE-C, the key, once)."""
    lesson = BY_SLUG.get(request.match_info["slug"])
    if lesson is None:
        raise ConsoleError("There is no such lesson", status=404)
    form = await request.post()
    values = {name: str(form.get(name, "")) for name in ("kms_key_id", "context",
                                                          "cse_key_id", "count")}
    if lesson.slug == "bucket-keys":
        values["bucket_key"] = "true"
    ctx = ctx_of(request)
    bucket = lesson_bucket(request)
    count = 3 if lesson.slug == "bucket-keys" else 1
    key = f"{lesson.slug}/example.txt"
    text = f"A {lesson.title.split(':')[0]} example, written by the console's lesson.\n"
    try:
        if bucket not in {b.name for b in direct.list_buckets(ctx)}:
            await direct.create_bucket(ctx, who(request), bucket)
        headers, generated = sse_headers(lesson.mode, values)
        for n in range(count):
            key = f"{lesson.slug}/example-{n + 1}.txt" if count > 1 else key
            body, meta_after = _one(text.encode()), None
            if lesson.mode == "client-side":
                body, meta_after = await _client_side(request, values, text.encode())
            stored = await direct.put_object(ctx, who(request, headers), bucket, key, body,
                                             content_type="text/plain",
                                             metadata_after=meta_after)
    except (FormProblem, KmsFailure) as problem:
        state.flash(request, problem.banner, "error")
        return redirect(request, lesson.route)
    except S3Error as error:
        state.flash(request, S3Failure(error).banner, "error")
        return redirect(request, lesson.route)
    label = mode_of(stored.record, await alias_names(request)).label
    done = f"Wrote s3://{bucket}/{key} in this lesson's mode: {label}."
    if generated is not None:
        return render(request, "objects/key_once.html", status=201, section="lessons",
                      bucket=bucket, key=key, done=done,
                      customer_key=base64.b64encode(generated).decode(),
                      key_md5=customer_key_headers(generated)[names.CUSTOMER.key_md5],
                      endpoint=endpoint(request))
    if count > 1:
        state.flash(request, f"Wrote {count} objects under {bucket}/{lesson.slug}/ with a "
                    "Bucket Key. The Audit page shows how many GenerateDataKey calls that "
                    "took.")
        return redirect(request, "bucket", {"prefix": f"{lesson.slug}/"}, bucket=bucket)
    state.flash(request, done)
    return redirect(request, "object", {"key": key}, bucket=bucket)


async def _client_side(request: web.Request, values: dict[str, str],
                       data: bytes) -> tuple[AsyncIterator[bytes], object]:
    key_id = values.get("cse_key_id", "").strip()
    if not key_id:
        raise FormProblem("Choose the KMS key for client-side encryption")
    pairs = {}
    for item in values.get("context", "").replace(",", "\n").splitlines():
        name, sep, value = item.strip().partition("=")
        if sep and name.strip():
            pairs[name.strip()] = value.strip()
    try:
        context = envelope.kms_context(pairs)
    except ClientSideError as error:
        raise FormProblem("That encryption context is not allowed", str(error)) from None
    made = await as_user.call(request, "generate_data_key", key_id=key_id,
                              key_spec="AES_256", encryption_context=context)
    iv = os.urandom(envelope.IV_BYTES)
    ciphertext = content.encrypt(made["Plaintext"], iv, data)
    meta = envelope.metadata(made["CiphertextBlob"], iv, context, len(data))
    return _one(ciphertext), lambda: meta
