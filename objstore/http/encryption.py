"""The handlers' side of server-side encryption: plan from the request, get the data key
from the SSE engine (in the KMS's worker thread), and the response headers."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from objstore.http.context import ServerContext
from objstore.http.errors import S3Error
from objstore.http.request import S3Request
from objstore.sse import engine
from objstore.sse.engine import DataKey
from objstore.sse.headers import response_headers
from objstore.sse.model import BucketEncryption, ReadRequest, StoredEncryption
from objstore.sse.request import check_part as check_part_rules
from objstore.sse.request import plan_read, plan_write
from objstore.sse.streams import DataKeys
from objstore.storage.records import ObjectRecord, UploadRecord


async def _in_kms(ctx: ServerContext, fn: Any, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(
        ctx.kms_executor, functools.partial(fn, *args, **kwargs))


def _caller(ctx: ServerContext, req: S3Request) -> engine.Caller:
    identity = req.identity
    return engine.kms_caller(identity.arn, identity.account_id, identity.name, ctx.region,
                             req.request_id)


BUCKET_SETTING = "encryption"


def bucket_default(ctx: ServerContext, bucket: str) -> BucketEncryption | None:
    """The bucket's default encryption rule; None if it never had one (objects without
    SSE headers are then stored as sent)."""
    rule = ctx.store.bucket_config(bucket, BUCKET_SETTING)
    if rule is None:
        return None
    return BucketEncryption(algorithm=rule.get("SSEAlgorithm"),
                            kms_master_key_id=rule.get("KMSMasterKeyID"),
                            bucket_key_enabled=rule.get("BucketKeyEnabled", False),
                            blocked_encryption_types=tuple(rule.get("BlockedEncryptionTypes",
                                                                    [])))


async def write_key(ctx: ServerContext, req: S3Request, operation: str) -> tuple[
        DataKey | None, str | None]:
    """The data key for a write that asks for encryption (None: stored as sent), and the
    SSE-C key MD5 to echo. Objects are encrypted when the request asks for it or the
    bucket has a default encryption setting (AWS's SSE-S3 default for every bucket is not
    applied yet: without either, the bytes are stored as sent)."""
    default = bucket_default(ctx, req.require_bucket())
    plan = plan_write(req.headers, operation=operation, bucket_default=default,
                      secure=req.http.secure, require_tls_for_ssec=False,
                      principal=req.identity.arn,
                      resource=f"arn:aws:s3:::{req.require_bucket()}/{req.require_key()}")
    if plan.bucket_key_enabled:
        raise S3Error("NotImplemented", "S3 Bucket Keys are not implemented by this server "
                      "yet.")
    if not plan.explicit and default is None:
        return None, None
    data_key = await _in_kms(ctx, engine.new_data_key, ctx.kms, _caller(ctx, req), plan,
                             bucket=req.require_bucket(), key=req.require_key())
    return data_key, plan.customer_key_md5


async def read_key(ctx: ServerContext, req: S3Request, record: ObjectRecord, operation: str,
                   *, need_key: bool) -> tuple[DataKeys | None, ReadRequest]:
    """Check a read's SSE headers against how the object is stored; the data key when the
    object is encrypted and the body is wanted (a HEAD of an SSE-C object still checks the
    customer key)."""
    attrs = record.attrs.get("sse")
    read = plan_read(req.headers, operation=operation,
                     stored_mode=attrs["mode"] if attrs else None, secure=req.http.secure,
                     require_tls_for_ssec=False)
    if not attrs or not (need_key or read.customer_key is not None):
        return None, read
    key = await _in_kms(ctx, engine.open_data_key, ctx.kms, _caller(ctx, req), attrs, read)
    return key, read


def headers_for(record: ObjectRecord, operation: str, read: ReadRequest) -> dict[str, str]:
    return response_headers(engine.stored_of(record.attrs.get("sse")), operation,
                            customer_key_md5=read.customer_key_md5)


async def part_key(ctx: ServerContext, req: S3Request, upload: UploadRecord, operation: str,
                   *, need_key: bool = True) -> DataKey | None:
    """A part request's SSE-C headers checked against its upload (AWS's rules), and the
    upload's data key when its parts are sealed (None for an unencrypted upload)."""
    plan = plan_write(req.headers, operation=operation, bucket_default=None,
                      secure=req.http.secure, require_tls_for_ssec=False)
    attrs = upload.attrs.get("sse")
    check_part_rules(plan, engine.stored_of(attrs) or StoredEncryption(None))
    if not attrs or not need_key:
        return None
    read = ReadRequest(customer_key=plan.customer_key, customer_key_md5=plan.customer_key_md5)
    key = await _in_kms(ctx, engine.open_data_key, ctx.kms, _caller(ctx, req), attrs, read)
    return DataKey(key, engine.stored_of(attrs) or StoredEncryption(None), attrs)


def upload_headers(req: S3Request, upload: UploadRecord, operation: str) -> dict[str, str]:
    """SSE response headers of a part operation or completion (the upload's encryption)."""
    attrs = upload.attrs.get("sse")
    if not attrs:
        return {}
    md5 = req.headers.get("x-amz-server-side-encryption-customer-key-MD5")
    return response_headers(engine.stored_of(attrs), operation, customer_key_md5=md5)
