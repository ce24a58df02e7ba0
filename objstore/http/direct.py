"""S3 operations for an identity, in-process, without an HTTP request: what the web console
does for its signed-in user. The same rules and the same code paths as the S3 handlers
(SSE headers planned by `encryption`, data keys from the SSE engine in the KMS's thread,
KMS calls made for the identity and marked as invoked by S3, blobs sealed and published,
metadata committed by the store), minus the wire: no signature, no XML.

SSE settings are given as S3 request headers (any case), exactly as a client would send
them:

    who = direct.requester(identity, {"x-amz-server-side-encryption": "aws:kms",
                                      "x-amz-server-side-encryption-aws-kms-key-id": key_id},
                           secure=request.secure)
    stored = await direct.put_object(ctx, who, "bucket", "key", chunks)   # async iterator
    opened = await direct.open_object(ctx, who, "bucket", "key")          # GetObject's key
    await transfer.send_range(request, response, ctx, opened.record, 0, opened.record.size,
                              opened.keys)

Failures are S3Error, with S3's code and message (the console shows them as S3 would
answer them): storage and SSE errors are translated as the HTTP entry point does."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from objstore.auth.identities import Identity
from objstore.http import encryption, representation
from objstore.http.context import ServerContext, account_arn
from objstore.http.encryption import Requester
from objstore.http.errors import S3Error, from_domain
from objstore.http.names import check_bucket_name
from objstore.http.request import MAX_KEY_BYTES
from objstore.http.router import INSECURE_SSE_C
from objstore.http.transfer import chunks_into_blob
from objstore.integrity.digests import DEFAULT_CHECKSUM
from objstore.sse.headers import response_headers
from objstore.sse.streams import DataKeys
from objstore.storage.errors import BucketAlreadyOwnedByYou
from objstore.storage.records import BucketRecord, ListPage, ObjectRecord

MAX_PUT_SIZE = 5 * 1024**3   # PutObject's limit on AWS
_SSE_C_PREFIX = "x-amz-server-side-encryption-customer-"


def requester(identity: Identity, headers: Mapping[str, str] | None = None, *,
              secure: bool, request_id: str | None = None) -> Requester:
    """Who acts: the identity, its SSE headers, whether its own connection is TLS. A new
    request id (as S3 gives every request; the KMS audit records carry it) unless given."""
    return Requester(identity, request_id or secrets.token_hex(8).upper(),
                     dict(headers or {}), secure=secure)


@contextmanager
def _as_s3() -> Iterator[None]:
    """Storage and SSE exceptions as the S3Error the HTTP entry point would answer."""
    try:
        yield
    except S3Error:
        raise
    except Exception as exc:
        error = from_domain(exc)
        if error is None:
            raise
        raise error from None


def _check_transport(ctx: ServerContext, who: Requester) -> None:
    """The server's HTTPS rule for SSE-C (`serve --require-tls-for-sse-c`), as the router
    applies it to S3 requests."""
    ssec = any(name.lower().startswith(_SSE_C_PREFIX) for name in who.headers)
    if ssec and ctx.require_tls_for_sse_c and not who.secure:
        raise S3Error("InvalidRequest", INSECURE_SSE_C)


# -- buckets ---------------------------------------------------------------------------------

def list_buckets(ctx: ServerContext) -> list[BucketRecord]:
    return ctx.store.buckets()


async def create_bucket(ctx: ServerContext, who: Requester, name: str) -> BucketRecord:
    """CreateBucket in the server's region (us-east-1's rule: your own bucket again is a
    success)."""
    check_bucket_name(name)
    with _as_s3():
        try:
            return await ctx.store.create_bucket(name, account_arn(who.identity), ctx.region)
        except BucketAlreadyOwnedByYou:
            if ctx.region != "us-east-1":
                raise
            return ctx.store.bucket(name)


async def delete_bucket(ctx: ServerContext, name: str) -> None:
    with _as_s3():
        await ctx.store.delete_bucket(name)


def bucket_encryption(ctx: ServerContext, bucket: str) -> dict[str, Any] | None:
    """GetBucketEncryption's rule (the SSE-S3 base level when none was set), with every
    field (None, False or [] when absent), and whether it was set rather than the base
    level: {"rule": {...}, "configured": bool}. None only without any default (`serve
    --default-encryption none` and no setting)."""
    with _as_s3():
        configured = ctx.store.bucket_config(bucket, encryption.BUCKET_SETTING) is not None
        rule = encryption.shown_rule(ctx, bucket)
    if rule is None:
        return None
    full = {"SSEAlgorithm": None, "KMSMasterKeyID": None, "BucketKeyEnabled": False,
            "BlockedEncryptionTypes": [], **rule}
    return {"rule": full, "configured": configured}


async def put_bucket_encryption(ctx: ServerContext, bucket: str, *, algorithm: str | None,
                                kms_master_key_id: str | None = None,
                                bucket_key_enabled: bool = False,
                                blocked_encryption_types: list[str] | None = None) -> None:
    """PutBucketEncryption with one rule, checked by the same rules as the S3 operation."""
    rule = encryption.bucket_rule(algorithm, kms_master_key_id or None, bucket_key_enabled,
                                  list(blocked_encryption_types or []))
    with _as_s3():
        await ctx.store.put_bucket_config(bucket, encryption.BUCKET_SETTING, rule)


async def delete_bucket_encryption(ctx: ServerContext, bucket: str) -> None:
    """DeleteBucketEncryption: the bucket is back at the SSE-S3 base level."""
    with _as_s3():
        await ctx.store.delete_bucket_config(bucket, encryption.BUCKET_SETTING)


# -- listing ---------------------------------------------------------------------------------

@dataclass
class Listing:
    """A ListObjectsV2 page, with each listed object's record (its encryption, metadata)."""

    page: ListPage
    records: dict[str, ObjectRecord] = field(default_factory=dict)


def list_objects(ctx: ServerContext, bucket: str, *, prefix: str = "", delimiter: str = "",
                 start_after: str = "", max_keys: int = 1000) -> Listing:
    with _as_s3():
        page = ctx.store.list_objects(bucket, prefix=prefix, delimiter=delimiter,
                                      start_after=start_after, max_keys=max(0, max_keys))
        records = {}
        for entry in page.entries:
            try:
                records[entry.key] = ctx.store.object(bucket, entry.key)
            except Exception as exc:   # deleted since the page was read
                if from_domain(exc) is None:
                    raise
    return Listing(page, records)


# -- objects ---------------------------------------------------------------------------------

@dataclass
class Stored:
    """What PutObject made: the record, and the SSE headers its response would carry."""

    record: ObjectRecord
    sse_headers: dict[str, str]


async def put_object(ctx: ServerContext, who: Requester, bucket: str, key: str,
                     chunks: AsyncIterator[bytes], *, content_type: str | None = None,
                     metadata: Mapping[str, str] | None = None,
                     metadata_after: Callable[[], Mapping[str, str]] | None = None,
                     ) -> Stored:
    """PutObject from an async iterator of body chunks, never holding more than a chunk:
    the SSE headers in `who.headers` (else the bucket's default, else SSE-S3) decide the
    encryption; a CRC64NVME checksum is computed (sealed with the object), as S3 does for
    uploads that bring none. `metadata`: user metadata (names without x-amz-meta-);
    `metadata_after`: more of it, known only once the body is read (a client-side
    envelope's plaintext length). Nothing is visible until the whole body is stored; a
    failure (or cancellation) discards what was written."""
    if not key or len(key.encode()) > MAX_KEY_BYTES:
        raise S3Error("KeyTooLongError", Size=str(len(key.encode())),
                      MaxSizeAllowed=str(MAX_KEY_BYTES)) if key else \
            S3Error("InvalidArgument", "An object key is needed.")
    _check_transport(ctx, who)
    headers = representation.stored_headers(
        {"Content-Type": content_type} if content_type else {})
    meta = _user_metadata(metadata or {})
    with _as_s3():
        ctx.store.bucket(bucket)
        data_key, key_md5 = await encryption.write_key(ctx, who, bucket, key, "PutObject")
        writer, digests = await chunks_into_blob(ctx, chunks, DEFAULT_CHECKSUM,
                                                 data_key.keys if data_key else None,
                                                 max_size=MAX_PUT_SIZE)
        try:
            if metadata_after is not None:
                meta = _user_metadata({**metadata_after(), **meta})
            record = encryption.single_part_record(
                data_key, bucket=bucket, key=key, blob=writer.blob_id, size=digests.size,
                md5=digests.md5, checksums=digests.checksums(), owner=who.identity.arn,
                headers=headers, user_meta=meta)
            await ctx.store.publish(writer)
        except BaseException:
            await asyncio.shield(ctx.store.discard(writer))
            raise
        await ctx.store.commit_object(record)
    sse_headers = {} if data_key is None else response_headers(
        data_key.stored, "PutObject", customer_key_md5=key_md5)
    return Stored(record, sse_headers)


def _user_metadata(meta: Mapping[str, str]) -> dict[str, str]:
    return representation.user_metadata({representation.META_PREFIX + name.lower(): value
                                         for name, value in meta.items()})


@dataclass
class Opened:
    """An object ready to be read: its record (checksums revealed when the key allowed), its
    data keys (None when stored as sent), and GetObject's SSE response headers."""

    record: ObjectRecord
    keys: DataKeys | None
    sse_headers: dict[str, str]


async def open_object(ctx: ServerContext, who: Requester, bucket: str, key: str, *,
                      operation: str = "GetObject") -> Opened:
    """GetObject's (or HeadObject's) SSE checks and data key: an SSE-C object needs its key
    in `who.headers` (400 without it, 403 AccessDenied for a wrong one); a KMS object
    needs kms:Decrypt for the identity (AccessDenied, KMS.DisabledException, ...)."""
    _check_transport(ctx, who)
    with _as_s3():
        record = ctx.store.object(bucket, key)
        keys, read = await encryption.read_key(ctx, who, record, operation,
                                               need_key=operation == "GetObject")
        record = encryption.reveal_checksums(record, keys)
        return Opened(record, keys, encryption.headers_for(record, operation, read))


def head_object(ctx: ServerContext, bucket: str, key: str) -> ObjectRecord:
    """The object's record, without any key (what the console lists and inspects)."""
    with _as_s3():
        return ctx.store.object(bucket, key)


async def delete_object(ctx: ServerContext, bucket: str, key: str) -> bool:
    with _as_s3():
        return await ctx.store.delete_object(bucket, key)


def stored_mode(record: ObjectRecord) -> str | None:
    """The object's server-side mode: AES256, aws:kms, aws:kms:dsse, SSE-C, or None."""
    return (record.attrs.get("sse") or {}).get("mode")


__all__ = [
    "MAX_PUT_SIZE",
    "Listing",
    "Opened",
    "Requester",
    "Stored",
    "bucket_encryption",
    "create_bucket",
    "delete_bucket",
    "delete_bucket_encryption",
    "delete_object",
    "head_object",
    "list_buckets",
    "list_objects",
    "open_object",
    "put_bucket_encryption",
    "put_object",
    "requester",
    "stored_mode",
]
