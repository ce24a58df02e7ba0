"""Objects: upload in any encryption mode (streamed, never held whole), download (streamed;
SSE-C with the key in a POST form; client-side objects raw or decrypted here with the KMS
as the signed-in user), the inspect view (how the object is stored, what a thief with the
disk sees, who can read it), and deletion.

SSE-C keys: a generated one is shown once, in the answer to the upload itself (never a
redirect, a URL, a cookie, the session or a log line); a pasted one travels only in a POST
body, is used and forgotten, and never appears in a page again."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import os
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web

from objstore.console import as_user, state
from objstore.console.errors import ConsoleError, KmsFailure
from objstore.console.middleware import accepts_uploads
from objstore.console.render import SECURITY_HEADERS, redirect, render
from objstore.console.views.buckets import key_choices
from objstore.console.views.s3_common import (
    S3Failure,
    alias_names,
    ctx_of,
    endpoint,
    mode_of,
    s3_call_failed,
    who,
)
from objstore.cse_format import content, envelope
from objstore.cse_format.errors import ClientSideError
from objstore.http import direct
from objstore.http.errors import S3Error
from objstore.http.transfer import SMALL_RESPONSE, read_range, send_range
from objstore.inspection import report
from objstore.sse import names
from objstore.sse.client_side import recognise
from objstore.storage.records import ObjectRecord

routes = web.RouteTableDef()

MODES = [
    ("default", "No SSE header", "The bucket's default encryption applies; without one, "
     "SSE-S3 — every object is encrypted, as on AWS since January 2023."),
    ("AES256", "SSE-S3 (AES256)", "A fresh data key per object, wrapped by the store's own "
     "key. No KMS key of yours, no audit record."),
    ("aws:kms", "SSE-KMS (aws:kms)", "A data key from GenerateDataKey under a KMS key (the "
     "AWS-managed alias/aws/s3 if you pick none); every use is audited; disabling the key "
     "locks the object."),
    ("aws:kms:dsse", "DSSE-KMS (aws:kms:dsse)", "Two independent layers, each under its own "
     "data key from the KMS."),
    ("SSE-C", "SSE-C (your own key)", "You give the key with every request; the server "
     "keeps only a salted fingerprint of it."),
    ("client-side", "Client-side (S3 Encryption Client V2)", "Encrypted here, before S3 "
     "stores it, under a data key the KMS gives you; S3 stores ciphertext it cannot read."),
]
MODE_VALUES = {value for value, _, _ in MODES}
FIELD_LIMIT = 16 * 1024        # any text field of the upload form
MAX_FIELDS = 40
DECRYPT_LIMIT = 64 * 1024**2   # client-side decryption in the console, authenticated first
TEXT_FIELDS = ("key", "mode", "kms_key_id", "context", "bucket_key", "ssec_source",
               "ssec_key", "cse_key_id", "content_type", "metadata")


# -- upload ----------------------------------------------------------------------------------

@routes.get("/buckets/{bucket}/upload", name="object_upload_form")
async def upload_form(request: web.Request) -> web.Response:
    bucket = request.match_info["bucket"]
    query = request.rel_url.query
    mode = query.get("mode", "default")
    values = {"key": query.get("prefix", ""), "mode": mode if mode in MODE_VALUES
              else "default"}
    return await _upload_page(request, bucket, values, None)


async def _upload_page(request: web.Request, bucket: str, values: dict[str, str],
                       error: ConsoleError | None, status: int = 200) -> web.Response:
    try:
        setting = direct.bucket_encryption(ctx_of(request), bucket)
    except S3Error as failure:
        raise S3Failure(failure) from None
    choices, refused = await key_choices(request)
    shown = {name: values.get(name, "") for name in TEXT_FIELDS if name != "ssec_key"}
    return render(request, "objects/upload.html", status=status, section="buckets",
                  bucket=bucket, values=shown, modes=MODES, choices=choices,
                  refused=refused, error=error, setting=setting, endpoint=endpoint(request))


class FormProblem(ConsoleError):
    pass


def _pairs(text: str, what: str) -> dict[str, str]:
    """key=value lines (or comma-separated) into a dict."""
    pairs: dict[str, str] = {}
    for item in text.replace(",", "\n").splitlines():
        item = item.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise FormProblem(f"Write the {what} as key=value pairs, one a line",
                              f"This is not one: {item[:80]!r}.")
        pairs[name.strip()] = value.strip()
    return pairs


def customer_key_headers(key: bytes) -> dict[str, str]:
    """The SSE-C triple for a 32-byte key, as boto3 sends it."""
    return {names.CUSTOMER.algorithm: "AES256",
            names.CUSTOMER.key: base64.b64encode(key).decode(),
            names.CUSTOMER.key_md5: base64.b64encode(hashlib.md5(key).digest()).decode()}


def pasted_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise FormProblem("The SSE-C key is not base64",
                          "Paste the key as base64 (44 characters for 32 bytes).") from None
    if len(key) != 32:
        raise FormProblem("The SSE-C key must be 256 bits",
                          f"That base64 decodes to {len(key)} bytes, not 32.")
    return key


def sse_headers(mode: str, values: dict[str, str]) -> tuple[dict[str, str], bytes | None]:
    """The S3 request headers for the chosen mode, and a generated SSE-C key (to show once)."""
    if mode == "AES256":
        return {names.SSE: names.AES256}, None
    if mode in names.KMS_MODES:
        headers = {names.SSE: mode}
        if values.get("kms_key_id"):
            headers[names.KEY_ID] = values["kms_key_id"]
        context = _pairs(values.get("context", ""), "encryption context")
        if context:
            headers[names.CONTEXT] = base64.b64encode(json.dumps(context).encode()).decode()
        if mode == names.KMS and values.get("bucket_key"):
            headers[names.BUCKET_KEY] = "true"
        return headers, None
    if mode == "SSE-C":
        if values.get("ssec_source") == "paste":
            return customer_key_headers(pasted_key(values.get("ssec_key", ""))), None
        generated = os.urandom(32)
        return customer_key_headers(generated), generated
    return {}, None


async def _fields_until_file(reader: MultipartReader) -> tuple[dict[str, str],
                                                                 BodyPartReader | None]:
    values: dict[str, str] = {}
    for _ in range(MAX_FIELDS):
        part = await reader.next()
        if part is None:
            return values, None
        if not isinstance(part, BodyPartReader):
            raise FormProblem("The form is malformed", "Nested multipart is not expected.")
        if part.name == "file":
            return values, part
        data = await part.read_chunk(FIELD_LIMIT + 1)
        if len(data) > FIELD_LIMIT:
            raise FormProblem("A form field is too long", f"{part.name}: at most "
                              f"{FIELD_LIMIT} bytes.")
        await part.release()
        if part.name in TEXT_FIELDS:
            values[part.name] = data.decode("utf-8", "replace")
    raise FormProblem("The form has too many fields")


async def _drain(reader: MultipartReader, part: BodyPartReader | None) -> None:
    """Read what is left of the body, so the browser gets the answer (not a reset)."""
    if part is not None:
        await part.release()
    while (rest := await reader.next()) is not None:
        await rest.release()


async def _chunks(part: BodyPartReader, sizes: list[int]) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(1024 * 1024):
        sizes[0] += len(chunk)
        yield chunk


async def _encrypting(source: AsyncIterator[bytes], data_key: bytes, iv: bytes,
                      ) -> AsyncIterator[bytes]:
    stream = content.StreamEncryptor(data_key, iv)
    async for chunk in source:
        yield stream.update(chunk)
    yield stream.finalize()


@routes.post("/buckets/{bucket}/upload", name="object_upload")
@accepts_uploads
async def upload(request: web.Request) -> web.Response:
    bucket = request.match_info["bucket"]
    reader: MultipartReader = request[state.MULTIPART]
    values: dict[str, str] = {}
    part: BodyPartReader | None = None
    try:
        values, part = await _fields_until_file(reader)
        if part is None:
            raise FormProblem("Choose a file to upload")
        key = values.get("key", "").strip() or (part.filename or "")
        if key.endswith("/") and part.filename:
            key += part.filename
        if not key:
            raise FormProblem("Give the object a key (name)")
        mode = values.get("mode", "default")
        if mode not in MODE_VALUES:
            raise FormProblem("Choose an encryption mode")
        headers, generated = sse_headers(mode, values)
        meta = _pairs(values.get("metadata", ""), "metadata")
        sizes = [0]
        body: AsyncIterator[bytes] = _chunks(part, sizes)
        metadata_after = None
        if mode == "client-side":
            body, metadata_after = await _client_side(request, values, body, sizes)
        stored = await direct.put_object(
            ctx_of(request), who(request, headers), bucket, key, body,
            content_type=values.get("content_type") or part.headers.get("Content-Type"),
            metadata=meta, metadata_after=metadata_after)
    except (FormProblem, KmsFailure) as problem:
        await _drain(reader, part)
        return await _upload_page(request, bucket, values, problem, problem.status)
    except S3Error as error:
        await _drain(reader, part)
        failure = S3Failure(error)
        return await _upload_page(request, bucket, values, failure, failure.status)
    await _drain(reader, None)
    mode_label = mode_of(stored.record, await alias_names(request))
    done = f"Uploaded {key} ({stored.record.size} bytes): {mode_label.label}" + (
        f", {mode_label.client_side}" if mode_label.client_side else "") + "."
    if generated is not None:
        # shown once, in this answer only: not in the session, a URL, a cookie or a log
        return render(request, "objects/key_once.html", status=201, section="buckets",
                      bucket=bucket, key=key, done=done,
                      customer_key=base64.b64encode(generated).decode(),
                      key_md5=headers[names.CUSTOMER.key_md5], endpoint=endpoint(request))
    state.flash(request, done)
    return redirect(request, "object", {"key": key}, bucket=bucket)


async def _client_side(request: web.Request, values: dict[str, str],
                       body: AsyncIterator[bytes], sizes: list[int]) -> tuple[
        AsyncIterator[bytes], Any]:
    """Envelope encryption as the S3 Encryption Client does it, here, for the signed-in
    user: GenerateDataKey (the user's own KMS call, not S3's), AES-256-GCM over the stream,
    the envelope in the object's metadata once the plaintext length is known."""
    key_id = values.get("cse_key_id", "").strip()
    if not key_id:
        raise FormProblem("Choose the KMS key for client-side encryption")
    try:
        context = envelope.kms_context(_pairs(values.get("context", ""),
                                              "encryption context"))
    except ClientSideError as error:
        raise FormProblem("That encryption context is not allowed", str(error)) from None
    made = await as_user.call(request, "generate_data_key", key_id=key_id,
                              key_spec="AES_256", encryption_context=context)
    iv = os.urandom(envelope.IV_BYTES)
    wrapped = made["CiphertextBlob"]
    return (_encrypting(body, made["Plaintext"], iv),
            lambda: envelope.metadata(wrapped, iv, context, sizes[0]))


# -- the object page -------------------------------------------------------------------------

def _object_key(request: web.Request) -> str:
    key = request.rel_url.query.get("key", "")
    if not key:
        raise ConsoleError("Which object?", "The address names no object key.", 404)
    return key


async def _inspection(request: web.Request, record: ObjectRecord) -> dict[str, Any]:
    ctx = ctx_of(request)
    identity = state.user(request)
    principals = [i.arn for i in ctx.identities.list()]
    return await asyncio.get_running_loop().run_in_executor(
        ctx.kms_executor, lambda: report(record, ctx.store.blobs, keys=ctx.kms.snapshot(),
                                         principals=principals,
                                         account_id=identity.account_id,
                                         region=ctx.region))


@routes.get("/buckets/{bucket}/object", name="object")
async def object_page(request: web.Request) -> web.Response:
    bucket = request.match_info["bucket"]
    return await _object_view(request, bucket, _object_key(request), None)


async def _object_view(request: web.Request, bucket: str, key: str,
                       error: ConsoleError | None, status: int = 200) -> web.Response:
    try:
        record = direct.head_object(ctx_of(request), bucket, key)
    except S3Error as failure:
        raise S3Failure(failure) from None
    inspected = await _inspection(request, record)
    client = recognise(record.user_meta)
    mode = mode_of(record, await alias_names(request))
    return render(request, "objects/detail.html", status=status, section="buckets",
                  bucket=bucket, key=key, record=record, report=inspected, mode=mode,
                  stored_mode=direct.stored_mode(record), envelope=client,
                  user_context=client.user_context if client else {},
                  error=error, endpoint=endpoint(request),
                  content_type=record.headers.get("Content-Type", ""),
                  pretty=lambda value: json.dumps(value, indent=2, sort_keys=True),
                  compact=_compact)


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# -- download --------------------------------------------------------------------------------

def _attachment(key: str, suffix: str = "") -> str:
    name = (key.rstrip("/").rsplit("/", 1)[-1] or "object") + suffix
    ascii_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100]
    return (f"attachment; filename=\"{ascii_name or 'object'}\"; "
            f"filename*=UTF-8''{urllib.parse.quote(name, safe='')}")


async def _send(request: web.Request, opened: direct.Opened, key: str) -> web.StreamResponse:
    """The plaintext as a download: always an attachment of type octet-stream (an object's
    own Content-Type is never trusted on the console's origin), streamed by send_range."""
    record = opened.record
    response = web.StreamResponse(headers={
        **SECURITY_HEADERS, "Content-Type": "application/octet-stream",
        "Content-Disposition": _attachment(key), "ETag": f'"{record.etag}"'})
    response.content_length = record.size
    await send_range(request, response, ctx_of(request), record, 0, record.size,
                     opened.keys)
    return response


@routes.get("/buckets/{bucket}/download", name="object_download")
async def download(request: web.Request) -> web.StreamResponse:
    bucket, key = request.match_info["bucket"], _object_key(request)
    try:
        opened = await direct.open_object(ctx_of(request), who(request), bucket, key)
    except S3Error as error:
        if error.code == "InvalidRequest" and direct.stored_mode(
                direct.head_object(ctx_of(request), bucket, key)) == names.SSE_C:
            s3_call_failed(request, error)
            return redirect(request, "object", {"key": key}, bucket=bucket)
        raise S3Failure(error) from None
    return await _send(request, opened, key)


@routes.post("/buckets/{bucket}/download", name="object_download_post")
async def download_with_key(request: web.Request) -> web.StreamResponse:
    """An SSE-C object: the key comes in this POST body only."""
    bucket = request.match_info["bucket"]
    form = await request.post()
    key = str(form.get("key", ""))
    try:
        customer_key = pasted_key(str(form.get("ssec_key", "")))
        opened = await direct.open_object(ctx_of(request),
                                          who(request, customer_key_headers(customer_key)),
                                          bucket, key)
    except FormProblem as problem:
        return await _object_view(request, bucket, key, problem, 400)
    except S3Error as error:
        failure = S3Failure(error)
        return await _object_view(request, bucket, key, failure, failure.status)
    return await _send(request, opened, key)


@routes.post("/buckets/{bucket}/decrypt", name="object_decrypt")
async def decrypt_client_side(request: web.Request) -> web.StreamResponse:
    """A client-side encrypted object, decrypted here as the S3 Encryption Client would:
    the envelope's context checked, its data key unwrapped by KMS Decrypt as the signed-in
    user, the whole ciphertext authenticated before a byte of plaintext is sent."""
    bucket = request.match_info["bucket"]
    form = await request.post()
    key = str(form.get("key", ""))
    ctx = ctx_of(request)
    try:
        pairs = _pairs(str(form.get("context", "")), "encryption context")
        record = direct.head_object(ctx, bucket, key)
        if record.size > DECRYPT_LIMIT:
            raise FormProblem("Too large to decrypt in the console",
                              f"At most {DECRYPT_LIMIT // 1024**2} MiB here; use "
                              "`objstore cse get`, which streams to a file.")
        found = envelope.read(record.user_meta, pairs)
        unwrapped = await as_user.call(request, "decrypt", ciphertext_blob=found.wrapped_key,
                                       encryption_context=found.context)
        opened = await direct.open_object(ctx, who(request), bucket, key)
        stream = content.StreamDecryptor(unwrapped["Plaintext"], found.iv)
        plaintext = bytearray()
        for start in range(0, opened.record.size, SMALL_RESPONSE):
            end = min(start + SMALL_RESPONSE, opened.record.size)
            plaintext += stream.update(await read_range(ctx, opened.record, start, end,
                                                        opened.keys))
        stream.finalize()
        if found.plaintext_length is not None and found.plaintext_length != len(plaintext):
            raise ClientSideError("the plaintext's length is not the envelope's")
    except ClientSideError as error:
        return await _object_view(request, bucket, key, ConsoleError(
            "Client-side decryption refused", str(error).capitalize() + ".", 400), 400)
    except (FormProblem, KmsFailure) as problem:
        return await _object_view(request, bucket, key, problem, problem.status)
    except S3Error as error:
        failure = S3Failure(error)
        return await _object_view(request, bucket, key, failure, failure.status)
    return web.Response(body=bytes(plaintext), headers={
        **SECURITY_HEADERS, "Content-Type": "application/octet-stream",
        "Content-Disposition": _attachment(key)})


@routes.post("/buckets/{bucket}/delete-object", name="object_delete")
async def delete(request: web.Request) -> web.Response:
    bucket = request.match_info["bucket"]
    form = await request.post()
    key = str(form.get("key", ""))
    try:
        await direct.delete_object(ctx_of(request), bucket, key)
    except S3Error as error:
        s3_call_failed(request, error)
        return redirect(request, "object", {"key": key}, bucket=bucket)
    state.flash(request, f"Deleted {key}.")
    prefix = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    return redirect(request, "bucket", {"prefix": prefix} if prefix else None, bucket=bucket)
