"""ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, GetBucketVersioning."""

from __future__ import annotations

from aiohttp import web

from objstore.http.body import read_small
from objstore.http.context import ServerContext, account_arn, owner_xml
from objstore.http.errors import S3Error, invalid_argument
from objstore.http.names import check_bucket_name
from objstore.http.request import S3Request
from objstore.http.responses import empty, xml_response
from objstore.http.tokens import decode_token, encode_token
from objstore.http.xml import child, document, element, iso_time, parse_xml
from objstore.storage.errors import BucketAlreadyOwnedByYou

MAX_BUCKETS_PAGE = 10_000
US_EAST_1 = "us-east-1"


async def list_buckets(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    prefix = req.query.get("prefix", "")
    limit = _max_buckets(req.query.get("max-buckets"))
    token = req.query.get("continuation-token")
    after = decode_token(token) if token is not None else ""
    region = req.query.get("bucket-region")
    buckets = [b for b in ctx.store.buckets() if b.name.startswith(prefix) and b.name > after
               and region in (None, b.region)]
    page, more = buckets[:limit], len(buckets) > limit
    body = owner_xml(req.identity.arn) + "<Buckets>" + "".join(
        "<Bucket>" + element("Name", b.name) + element("CreationDate", iso_time(b.created))
        + element("BucketRegion", b.region) + "</Bucket>" for b in page) + "</Buckets>"
    if more:
        body += element("ContinuationToken",
                        encode_token(page[-1].name))
    if prefix:
        body += element("Prefix", prefix)
    return xml_response(document("ListAllMyBucketsResult", body))


async def create_bucket(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    name = req.require_bucket()
    check_bucket_name(name)
    region = ctx.region
    body = await read_small(req.http, req.auth, ctx.executor)
    if body.strip():
        config = parse_xml(body).get("CreateBucketConfiguration")
        constraint = child(config, "LocationConstraint")
        if isinstance(constraint, str) and constraint:
            if constraint == US_EAST_1:  # us-east-1 is said by giving no constraint
                raise S3Error("InvalidLocationConstraint",
                              "The specified location-constraint is not valid",
                              LocationConstraint=constraint)
            region = constraint
    try:
        await ctx.store.create_bucket(name, account_arn(req.identity), region)
    except BucketAlreadyOwnedByYou:
        # AWS's legacy us-east-1 rule: creating your own us-east-1 bucket there again is a
        # successful no-op; everywhere else it is a 409.
        if region != US_EAST_1 or ctx.store.bucket(name).region != US_EAST_1:
            raise
    return empty(headers={"Location": f"/{name}"})


async def head_bucket(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    bucket = ctx.store.bucket(req.require_bucket())
    return empty(headers={"x-amz-bucket-region": bucket.region})


async def delete_bucket(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    await ctx.store.delete_bucket(req.require_bucket())
    return empty(204)


async def get_bucket_location(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    bucket = ctx.store.bucket(req.require_bucket())
    region = "" if bucket.region == US_EAST_1 else bucket.region
    return xml_response(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint '
        f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{region}</LocationConstraint>'
        .encode())


async def get_bucket_versioning(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    ctx.store.bucket(req.require_bucket())
    return xml_response(document("VersioningConfiguration", ""))  # never enabled


def _max_buckets(value: str | None) -> int:
    if value is None:
        return MAX_BUCKETS_PAGE
    if not value.isdigit() or not 1 <= int(value) <= MAX_BUCKETS_PAGE:
        raise invalid_argument("max-buckets must be an integer from 1 to 10000",
                               "max-buckets", value)
    return int(value)
