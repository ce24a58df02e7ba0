"""UpdateObjectEncryption (`PUT /{Bucket}/{Key}?encryption`): move an SSE-S3 or SSE-KMS
object under another KMS key by re-wrapping its data key; no byte of data is rewritten,
and the ETag, checksums and metadata stay as they were. Errors and their wording are
AWS's (botocore's model documentation of the operation)."""

from __future__ import annotations

import re

from aiohttp import web

from objstore.http import encryption
from objstore.http.body import read_small, require_integrity_header
from objstore.http.context import ServerContext
from objstore.http.errors import S3Error
from objstore.http.request import S3Request
from objstore.http.responses import empty
from objstore.http.xml import child, parse_xml
from objstore.sse import engine

KEY_ARN = re.compile(r"arn:aws[-a-z0-9]*:kms:[-a-z0-9]*:([0-9]{12}):key/.+")
_AGAIN = "Modify the request to {}, and then try again."
UNENCRYPTED = ("The UpdateObjectEncryption operation doesn't supported unencrypted source "
               "objects. Only source objects encrypted with SSE-S3 or SSE-KMS are supported.")
UNSUPPORTED_SOURCE = ("The UpdateObjectEncryption operation doesn't support source objects "
                      "with the encryption type DSSE-KMS or SSE-C. Only source objects "
                      "encrypted with SSE-S3 or SSE-KMS are supported.")
NEEDS_SIGV4 = ("Requests that modify an object encryption configuration require AWS "
               "Signature Version 4. " + _AGAIN.format("use AWS Signature Version 4"))
NEEDS_TYPE = ("Requests that modify an object encryption configuration require a valid new "
              "encryption type. Valid values are SSEKMS. "
              + _AGAIN.format("specify SSE-KMS for the updated encryption type"))
NEEDS_ARN = ("Requests that modify an object's encryption type to SSE-KMS require an AWS KMS "
             "key Amazon Resource Name (ARN). " + _AGAIN.format("specify a KMS key ARN"))
BAD_ARN = ("Requests that modify an object's encryption type to SSE-KMS require a valid AWS "
           "KMS key Amazon Resource Name (ARN). Confirm that you have a correctly formatted "
           "KMS key ARN in your request, and then try again.")
BAD_BUCKET_KEY = ("The BucketKeyEnabled value isn't valid. Valid values are true or false. "
                  + _AGAIN.format("specify a valid value"))
OTHER_ACCOUNT = ("The AWS KMS key in the request must be owned by the same account as the "
                 "bucket. " + _AGAIN.format("specify a KMS key from the same account"))


async def update_object_encryption(ctx: ServerContext,
                                   req: S3Request) -> web.StreamResponse:
    bucket, key = req.require_bucket(), req.require_key()
    owner = ctx.store.bucket(bucket).owner
    if encryption.requester(req).sigv2:
        raise S3Error("InvalidRequest", NEEDS_SIGV4)
    require_integrity_header(req.headers)
    root = parse_xml(await read_small(req.http, req.auth, ctx.executor)).get(
        "ObjectEncryption")
    if not isinstance(root, dict):
        raise S3Error("MalformedXML")
    target = child(root, "SSE-KMS")
    if not isinstance(target, dict):
        raise S3Error("InvalidRequest", NEEDS_TYPE)
    arn = child(target, "KMSKeyArn")
    if not isinstance(arn, str) or not arn:
        raise S3Error("InvalidRequest", NEEDS_ARN)
    match = KEY_ARN.fullmatch(arn)
    if match is None:
        raise S3Error("InvalidRequest", BAD_ARN)
    flag = child(target, "BucketKeyEnabled")
    if flag is not None and flag not in ("true", "false"):
        raise S3Error("InvalidRequest", BAD_BUCKET_KEY)
    if match.group(1) != owner.split(":")[4]:
        raise S3Error("AccessDenied", OTHER_ACCOUNT)
    record = ctx.store.object(bucket, key)
    attrs = record.attrs.get("sse")
    if not attrs:
        raise S3Error("InvalidRequest", UNENCRYPTED)
    if attrs["mode"] not in engine.REWRAPPABLE:
        raise S3Error("InvalidRequest", UNSUPPORTED_SOURCE)
    moved = await encryption.rewrap(ctx, encryption.requester(req), record, kms_key_arn=arn,
                                    bucket_key=flag == "true")
    await ctx.store.update_object_attrs(record, {**record.attrs, "sse": moved.attrs})
    return empty()
