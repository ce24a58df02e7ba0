"""PutBucketEncryption, GetBucketEncryption, DeleteBucketEncryption: a bucket's default
encryption, applied to writes that carry no SSE headers (explicit headers win). A bucket
that never had a setting (or whose setting was deleted) has AWS's base level since 2023,
SSE-S3, and GetBucketEncryption says so (s3-sse.md §8.2), with SSE-C not blocked (AWS
blocks it for new buckets since April 2026; a server for learning SSE-C does not). Only a
server run with `--default-encryption none` has buckets with no configuration at all."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from objstore.http import encryption
from objstore.http.body import read_small, require_integrity_header
from objstore.http.context import ServerContext
from objstore.http.errors import S3Error
from objstore.http.request import S3Request
from objstore.http.responses import empty, xml_response
from objstore.http.xml import child, children, document, element, parse_xml

SETTING = encryption.BUCKET_SETTING


async def put_bucket_encryption(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    bucket = req.require_bucket()
    ctx.store.bucket(bucket)
    require_integrity_header(req.headers)
    root = parse_xml(await read_small(req.http, req.auth, ctx.executor)).get(
        "ServerSideEncryptionConfiguration")
    rules = children(root, "Rule")
    if len(rules) != 1 or not isinstance(rules[0], dict):
        raise S3Error("MalformedXML")
    await ctx.store.put_bucket_config(bucket, SETTING, _rule(rules[0]))
    return empty()


async def get_bucket_encryption(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    rule = encryption.shown_rule(ctx, req.require_bucket())
    if rule is None:
        raise S3Error("ServerSideEncryptionConfigurationNotFoundError",
                      "The server side encryption configuration was not found", status=404,
                      BucketName=req.require_bucket())
    default = ""
    if rule.get("SSEAlgorithm"):
        default = ("<ApplyServerSideEncryptionByDefault>"
                   + element("SSEAlgorithm", rule["SSEAlgorithm"])
                   + (element("KMSMasterKeyID", rule["KMSMasterKeyID"])
                      if rule.get("KMSMasterKeyID") else "")
                   + "</ApplyServerSideEncryptionByDefault>")
    blocked = "".join(element("EncryptionType", t) for t in rule.get("BlockedEncryptionTypes",
                                                                     []))
    body = ("<Rule>" + default + element("BucketKeyEnabled",
                                         str(rule.get("BucketKeyEnabled", False)).lower())
            + (f"<BlockedEncryptionTypes>{blocked}</BlockedEncryptionTypes>" if blocked else "")
            + "</Rule>")
    return xml_response(document("ServerSideEncryptionConfiguration", body))


async def delete_bucket_encryption(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    await ctx.store.delete_bucket_config(req.require_bucket(), SETTING)
    return empty(204)


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    default = child(rule, "ApplyServerSideEncryptionByDefault")
    algorithm = child(default, "SSEAlgorithm") if default is not None else None
    if default is not None and not isinstance(algorithm, str):
        raise S3Error("MalformedXML")
    key_id = child(default, "KMSMasterKeyID") if default is not None else None
    bucket_key = child(rule, "BucketKeyEnabled") == "true"
    blocked = [t for t in children(child(rule, "BlockedEncryptionTypes"), "EncryptionType")
               if isinstance(t, str)]
    if key_id is not None and not isinstance(key_id, str):
        key_id = ""   # an element with children: refused without a KMS mode, never kept
    return encryption.bucket_rule(algorithm, key_id, bucket_key, blocked)
