"""The handlers' side of server-side encryption: plan from the request, get the data key
from the SSE engine (in the KMS's worker thread), and the response headers.

Every function takes a `Requester` (who asks, the request id for the KMS audit trail, the
SSE headers) rather than a signed S3Request, so the S3 handlers (`requester(req)`) and
in-process callers (`objstore.http.direct`, for the console) go through the same rules."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from objstore.auth.identities import Identity
from objstore.http.context import ServerContext
from objstore.http.errors import S3Error, invalid_argument
from objstore.http.request import S3Request
from objstore.sse import engine, names, sealed
from objstore.sse import errors as sse_errors
from objstore.sse.engine import DataKey
from objstore.sse.headers import response_headers
from objstore.sse.model import BucketEncryption, ReadRequest, StoredEncryption
from objstore.sse.request import check_part as check_part_rules
from objstore.sse.request import plan_read, plan_write
from objstore.sse.streams import DataKeys
from objstore.storage.records import ObjectRecord, PartRecord, Segment, UploadRecord


async def _in_kms(ctx: ServerContext, mode: str | None, fn: Any, *args: Any,
                  **kwargs: Any) -> Any:
    """Run an engine call: in the KMS's worker thread when it calls the KMS's API; inline
    for SSE-S3 and SSE-C, whose key work is one small local AES-GCM or HKDF step (no KMS
    call, no audit record, nothing to wait for)."""
    if mode in (names.AES256, names.SSE_C):
        return fn(*args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(
        ctx.kms_executor, functools.partial(fn, *args, **kwargs))


@dataclass(frozen=True)
class Requester:
    """Who asks for an SSE operation: the identity (its KMS calls are made for it, marked
    as invoked by S3), the request id (the audit trail's link to the request), the request's
    headers (any case; only the SSE ones are read), whether it came over TLS, and whether
    it was signed with SigV2 (AWS refuses the KMS modes then)."""

    identity: Identity
    request_id: str
    headers: Mapping[str, str]
    secure: bool = False
    sigv2: bool = False


def requester(req: S3Request) -> Requester:
    """The Requester of a signed S3 request."""
    return Requester(req.identity, req.request_id, req.headers, secure=req.http.secure,
                     sigv2=req.auth.form.startswith("sigv2"))


def _caller(ctx: ServerContext, who: Requester) -> engine.Caller:
    identity = who.identity
    return engine.kms_caller(identity.arn, identity.account_id, identity.name, ctx.region,
                             who.request_id)


BUCKET_SETTING = "encryption"


def names_encryption(headers: Mapping[str, str]) -> bool:
    """The request names an encryption of its own (any SSE header for the object)."""
    return any(name.lower().startswith(names.SSE) for name in headers)


def bucket_default(ctx: ServerContext, bucket: str) -> BucketEncryption | None:
    """The bucket's default encryption rule; None if it never had one (objects without
    SSE headers then get the server's default: SSE-S3, as on AWS)."""
    rule = ctx.store.bucket_config(bucket, BUCKET_SETTING)
    if rule is None:
        return None
    return BucketEncryption(algorithm=rule.get("SSEAlgorithm"),
                            kms_master_key_id=rule.get("KMSMasterKeyID"),
                            bucket_key_enabled=rule.get("BucketKeyEnabled", False),
                            blocked_encryption_types=tuple(rule.get("BlockedEncryptionTypes",
                                                                    [])))


def bucket_rule(algorithm: str | None, kms_master_key_id: str | None, bucket_key: bool,
                blocked: list[str]) -> dict[str, Any]:
    """A PutBucketEncryption rule checked as S3 checks it, as it is kept (the bucket's
    "encryption" setting). S3Error (InvalidArgument, MalformedXML) for what S3 refuses."""
    if algorithm is not None and algorithm not in names.SSE_VALUES:
        raise invalid_argument("The encryption method specified is not supported",
                               "x-amz-server-side-encryption", algorithm)
    if kms_master_key_id is not None and algorithm not in names.KMS_MODES:
        raise invalid_argument("a KMSMasterKeyID is not applicable if the default sse "
                               "algorithm is not aws:kms or aws:kms:dsse",
                               "ApplyServerSideEncryptionByDefault", None)
    if set(blocked) - {"NONE", "SSE-C"}:
        raise S3Error("MalformedXML")
    stored: dict[str, Any] = {"BucketKeyEnabled": bucket_key,
                              "BlockedEncryptionTypes": list(blocked)}
    if algorithm is not None:
        stored["SSEAlgorithm"] = algorithm
    if kms_master_key_id:
        stored["KMSMasterKeyID"] = kms_master_key_id
    return stored


def shown_rule(ctx: ServerContext, bucket: str) -> dict[str, Any] | None:
    """What GetBucketEncryption reports: the bucket's rule, else the SSE-S3 base level
    (None only on a server run with `--default-encryption none`)."""
    rule = ctx.store.bucket_config(bucket, BUCKET_SETTING)
    if rule is None and ctx.default_encryption is not None:
        rule = {"SSEAlgorithm": ctx.default_encryption, "BucketKeyEnabled": False,
                "BlockedEncryptionTypes": ["NONE"]}
    return rule


async def write_key(ctx: ServerContext, who: Requester, bucket: str, key: str,
                    operation: str) -> tuple[DataKey | None, str | None]:
    """The data key for a write, and the SSE-C key MD5 to echo. As on AWS since 2023 every
    object is encrypted: by the request's SSE headers, else the bucket's default rule,
    else SSE-S3. Only a server started with `--default-encryption none` (not an AWS
    behaviour: a baseline for comparisons) stores objects without either as sent (None)."""
    default = bucket_default(ctx, bucket)
    plan = plan_write(who.headers, operation=operation, bucket_default=default,
                      secure=who.secure, require_tls_for_ssec=False,
                      principal=who.identity.arn, resource=f"arn:aws:s3:::{bucket}/{key}")
    if not plan.explicit and default is None and ctx.default_encryption is None:
        return None, None
    _check_signature_version(who, plan.mode)
    data_key = await _in_kms(ctx, plan.mode, engine.new_data_key, ctx.kms, _caller(ctx, who),
                             plan, bucket=bucket, key=key, bucket_keys=ctx.bucket_keys)
    return data_key, plan.customer_key_md5


async def read_key(ctx: ServerContext, who: Requester, record: ObjectRecord, operation: str,
                   *, need_key: bool) -> tuple[DataKeys | None, ReadRequest]:
    """Check a read's SSE headers against how the object is stored; the data key when the
    object is encrypted and the body is wanted (a HEAD of an SSE-C object still checks the
    customer key)."""
    attrs = record.attrs.get("sse")
    read = plan_read(who.headers, operation=operation,
                     stored_mode=attrs["mode"] if attrs else None, secure=who.secure,
                     require_tls_for_ssec=False)
    if attrs:
        _check_signature_version(who, attrs["mode"])
    if not attrs or not (need_key or read.customer_key is not None):
        return None, read
    key = await _in_kms(ctx, attrs["mode"], engine.open_data_key, ctx.kms, _caller(ctx, who),
                        attrs, read, ctx.bucket_keys)
    return key, read


async def rewrap(ctx: ServerContext, who: Requester, record: ObjectRecord, *,
                 kms_key_arn: str, bucket_key: bool) -> DataKey:
    """The object's data key wrapped again under another KMS key (UpdateObjectEncryption)."""
    return await _in_kms(ctx, names.KMS, engine.rewrap, ctx.kms, _caller(ctx, who),
                         record.attrs["sse"], kms_key_id=kms_key_arn, bucket_key=bucket_key,
                         bucket=record.bucket, key=record.key, bucket_keys=ctx.bucket_keys)


def _check_signature_version(who: Requester, mode: str | None) -> None:
    """AWS refuses SSE-KMS (and DSSE-KMS) writes and reads signed with SigV2 (boto3's
    default presigned URLs in us-east-1 among them)."""
    if mode in names.KMS_MODES and who.sigv2:
        raise sse_errors.kms_needs_sigv4()


def headers_for(record: ObjectRecord, operation: str, read: ReadRequest) -> dict[str, str]:
    return response_headers(engine.stored_of(record.attrs.get("sse")), operation,
                            customer_key_md5=read.customer_key_md5)


async def part_key(ctx: ServerContext, who: Requester, upload: UploadRecord, operation: str,
                   *, need_key: bool = True) -> DataKey | None:
    """A part request's SSE-C headers checked against its upload (AWS's rules), and the
    upload's data key when its parts are sealed (None for an unencrypted upload)."""
    plan = plan_write(who.headers, operation=operation,
                      bucket_default=bucket_default(ctx, upload.bucket),
                      secure=who.secure, require_tls_for_ssec=False,
                      principal=who.identity.arn,
                      resource=f"arn:aws:s3:::{upload.bucket}/{upload.key}")
    attrs = upload.attrs.get("sse")
    check_part_rules(plan, engine.stored_of(attrs) or StoredEncryption(None))
    if not attrs or not need_key:
        return None
    read = ReadRequest(customer_key=plan.customer_key, customer_key_md5=plan.customer_key_md5)
    key = await _in_kms(ctx, attrs["mode"], engine.open_data_key, ctx.kms, _caller(ctx, who),
                        attrs, read, ctx.bucket_keys)
    return DataKey(key, engine.stored_of(attrs) or StoredEncryption(None), attrs)


def completion_needs_key(headers: Mapping[str, str], upload: UploadRecord) -> bool:
    """Whether CompleteMultipartUpload or ListParts opens the upload's data key (to read
    its parts' sealed checksums): always for the KMS modes and SSE-S3; for SSE-C only
    when the request brought the key (AWS lets both go without it)."""
    attrs = upload.attrs.get("sse")
    if not attrs:
        return False
    if attrs["mode"] != names.SSE_C:
        return True
    return names.CUSTOMER.key in names.lowered(headers)


def upload_headers(headers: Mapping[str, str], upload: UploadRecord,
                   operation: str) -> dict[str, str]:
    """SSE response headers of a part operation or completion (the upload's encryption)."""
    attrs = upload.attrs.get("sse")
    if not attrs:
        return {}
    md5 = names.lowered(headers).get(names.CUSTOMER.key_md5)
    return response_headers(engine.stored_of(attrs), operation, customer_key_md5=md5)


# Plaintext checksums (a CRC of a short secret is as good as the secret) are kept sealed
# under the object's data key; reading them costs what reading the object costs.
SEALED_CHECKSUMS = "sealed_checksums"
CHECKSUMS_PURPOSE = "checksums"


def checksum_fields(sse: dict[str, Any] | None, keys: DataKeys | None,
                    values: dict[str, str], checksum_type: str | None,
                    part_values: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """An ObjectRecord's checksum fields and attrs, given its encryption attrs (None: stored
    as sent) and data keys: in clear for an object stored as sent; sealed in its
    encryption attrs for an encrypted one; none at all if its key is not at hand (an
    SSE-C upload completed without the key)."""
    part_values = part_values or []
    if sse is None:
        return {"checksums": values, "checksum_type": checksum_type,
                "part_checksums": part_values, "attrs": {}}
    attrs = dict(sse)
    if keys is None:
        return {"attrs": {"sse": attrs}}
    if values or part_values:
        attrs[SEALED_CHECKSUMS] = sealed.seal(keys, CHECKSUMS_PURPOSE, {
            "checksums": values, "part_checksums": part_values})
    return {"checksum_type": checksum_type if values else None,
            "checksum_algorithm": next(iter(values), None), "attrs": {"sse": attrs}}


def single_part_record(data_key: DataKey | None, *, bucket: str, key: str, blob: str,
                       size: int, md5: bytes, checksums: dict[str, str], owner: str,
                       headers: dict[str, str], user_meta: dict[str, str]) -> ObjectRecord:
    """The record of an object written in one piece (PutObject, CopyObject, a console
    upload): S3's ETag for its encryption, and its checksums in clear or sealed."""
    return ObjectRecord(
        bucket=bucket, key=key, size=size,
        etag=data_key.etag(md5) if data_key else md5.hex(),
        last_modified=time.time(), segments=[Segment(blob, size)],
        owner=owner, headers=headers, user_meta=user_meta,
        **checksum_fields(data_key.attrs if data_key else None,
                          data_key.keys if data_key else None, checksums, "FULL_OBJECT"))


def has_sealed_checksums(record: ObjectRecord) -> bool:
    return SEALED_CHECKSUMS in (record.attrs.get("sse") or {})


def reveal_checksums(record: ObjectRecord, keys: DataKeys | None) -> ObjectRecord:
    """The record with its checksums readable (unchanged if they were never sealed; without
    them if the key is not at hand)."""
    text = (record.attrs.get("sse") or {}).get(SEALED_CHECKSUMS)
    if text is None or keys is None:
        return record
    values = sealed.open_sealed(keys, CHECKSUMS_PURPOSE, text)
    return dataclasses.replace(record, checksums=values["checksums"],
                               part_checksums=values["part_checksums"])


def part_checksum_fields(part_key: DataKey | None,
                         values: dict[str, str]) -> dict[str, Any]:
    """A PartRecord's checksums and attrs (sealed under the upload's data key)."""
    if part_key is None or not values:
        return {"checksums": values}
    return {"checksums": {}, "attrs": {SEALED_CHECKSUMS: sealed.seal(
        part_key.keys, CHECKSUMS_PURPOSE, values)}}


def reveal_part(part: PartRecord, keys: DataKeys | None) -> PartRecord:
    text = part.attrs.get(SEALED_CHECKSUMS)
    if text is None or keys is None:
        return part
    return dataclasses.replace(part, checksums=sealed.open_sealed(keys, CHECKSUMS_PURPOSE,
                                                                  text))
