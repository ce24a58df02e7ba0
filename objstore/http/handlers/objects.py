"""PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject."""

from __future__ import annotations

import urllib.parse

from aiohttp import web

from objstore.http import conditions, encryption, representation
from objstore.http.body import plan_body, read_small, require_integrity_header
from objstore.http.context import ServerContext
from objstore.http.errors import S3Error, from_domain, invalid_argument
from objstore.http.ranges import parse_range
from objstore.http.request import S3Request
from objstore.http.responses import empty, xml_response
from objstore.http.transfer import (
    SMALL_RESPONSE,
    copy_into_blob,
    read_range,
    receive_into_blob,
    send_range,
)
from objstore.http.xml import child, children, document, element, elements, iso_time, parse_xml
from objstore.integrity import checksums
from objstore.integrity.digests import DEFAULT_CHECKSUM
from objstore.sse.headers import response_headers
from objstore.storage.records import ObjectRecord

MAX_DELETE_KEYS = 1000


def _checksum_requested(req: S3Request) -> bool:
    return req.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED"


async def put_object(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    bucket, key = req.require_bucket(), req.require_key()
    ctx.store.bucket(bucket)
    headers = representation.stored_headers(req.headers)
    meta = representation.user_metadata(req.headers)
    condition = conditions.write_condition(req.headers, bucket, key)
    plan = plan_body(req.headers, req.auth)
    data_key, key_md5 = await encryption.write_key(ctx, encryption.requester(req), bucket, key,
                                                   "PutObject")
    blob, result = await receive_into_blob(ctx, req.http, plan, req.auth,
                                           data_key.keys if data_key else None)
    record = encryption.single_part_record(
        data_key, bucket=bucket, key=key, blob=blob, size=result.size, md5=result.md5,
        checksums=result.checksums, owner=req.identity.arn, headers=headers, user_meta=meta)
    await ctx.store.commit_object(record, condition)
    response = {"ETag": f'"{record.etag}"'}
    if plan.explicit_checksum:
        response.update(representation.checksum_values(result.checksums))
        response["x-amz-checksum-type"] = "FULL_OBJECT"
    if data_key:
        response.update(response_headers(data_key.stored, "PutObject",
                                         customer_key_md5=key_md5))
    return empty(headers=response)


def _part_number(req: S3Request) -> int | None:
    value = req.query.get("partNumber")
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 10_000:
        raise invalid_argument("Part number must be an integer between 1 and 10000, "
                               "inclusive", "partNumber", value)
    return int(value)


def _read_target(req: S3Request, record: ObjectRecord,
                 part_number: int | None) -> tuple[int, int, bool]:
    """(start, end, partial) of what a GET or HEAD asks for."""
    range_header = req.headers.get("Range")
    if part_number is not None:
        if range_header is not None:
            raise S3Error("InvalidRequest", "Cannot specify both Range header and partNumber "
                          "query parameter")
        count = record.parts_count or 1
        if part_number > count:
            raise S3Error("InvalidPartNumber", PartNumberRequested=str(part_number),
                          ActualPartCount=str(count))
        if record.parts_count is None:
            return 0, record.size, False
        start = sum(s.size for s in record.segments[: part_number - 1])
        return start, start + record.segments[part_number - 1].size, True
    span = parse_range(range_header, record.size)
    if span is None:
        return 0, record.size, False
    return span[0], span[1], True


async def get_object(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    return await _read_object(ctx, req, send_body=True)


async def head_object(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    return await _read_object(ctx, req, send_body=False)


async def _read_object(ctx: ServerContext, req: S3Request, *,
                       send_body: bool) -> web.StreamResponse:
    record = ctx.store.object(req.require_bucket(), req.require_key())
    part_number = _part_number(req)
    try:
        conditions.check_read(req.headers, record.etag, record.last_modified)
    except S3Error as error:
        if error.code != "NotModified":
            raise
        return empty(304, headers={"ETag": f'"{record.etag}"', "Last-Modified":
                                   representation.http_date(record.last_modified)})
    operation = "GetObject" if send_body else "HeadObject"
    start, end, partial = _read_target(req, record, part_number)
    with_checksum = _checksum_requested(req) and (not partial or part_number is not None)
    data_key, read = await encryption.read_key(
        ctx, encryption.requester(req), record, operation,
        need_key=send_body or (with_checksum and encryption.has_sealed_checksums(record)))
    if with_checksum:
        record = encryption.reveal_checksums(record, data_key)
    headers = representation.object_headers(record, with_checksum=with_checksum,
                                             part_number=part_number)
    headers.update(encryption.headers_for(record, operation, read))
    representation.apply_overrides(headers, req.query)
    status = 206 if partial else 200
    if partial:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{record.size}"
    if send_body and end - start <= SMALL_RESPONSE:
        body = await read_range(ctx, record, start, end, data_key)
        return web.Response(status=status, headers=headers, body=body)
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = end - start
    if send_body:
        await send_range(req.http, response, ctx, record, start, end, data_key)
    else:
        await response.prepare(req.http)
        await response.write_eof()
    return response


async def delete_object(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    await ctx.store.delete_object(req.require_bucket(), req.require_key())
    return empty(204)


async def delete_objects(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    bucket = req.require_bucket()
    ctx.store.bucket(bucket)
    require_integrity_header(req.headers)
    root = parse_xml(await read_small(req.http, req.auth, ctx.executor)).get("Delete")
    if not isinstance(root, dict):
        raise S3Error("MalformedXML")
    quiet = child(root, "Quiet") == "true"
    items = children(root, "Object")
    if not items or len(items) > MAX_DELETE_KEYS:
        raise S3Error("MalformedXML")
    results = []
    for item in items:
        key = child(item, "Key")
        if not isinstance(key, str):
            raise S3Error("MalformedXML")
        try:
            await ctx.store.delete_object(bucket, key)
            if not quiet:
                results.append("<Deleted>" + element("Key", key) + "</Deleted>")
        except Exception as exc:
            error = from_domain(exc)
            if error is None:
                raise
            results.append("<Error>" + elements([("Key", key), ("Code", error.code),
                                                 ("Message", error.message)]) + "</Error>")
    return xml_response(document("DeleteResult", "".join(results)))


def parse_copy_source(req: S3Request) -> tuple[str, str]:
    raw = req.headers["x-amz-copy-source"]
    source, _, version = urllib.parse.unquote(raw).partition("?versionId=")
    bucket, _, key = source.lstrip("/").partition("/")
    if not bucket or not key:
        raise invalid_argument("Copy Source must mention the source bucket and key: "
                               "sourcebucket/sourcekey", "x-amz-copy-source", raw)
    if version and version != "null":
        raise S3Error("NoSuchVersion", "The specified version does not exist.", status=404,
                      Key=key, VersionId=version)
    return bucket, key


def source_record(ctx: ServerContext, req: S3Request) -> ObjectRecord:
    bucket, key = parse_copy_source(req)
    record = ctx.store.object(bucket, key)
    conditions.check_read(req.headers, record.etag, record.last_modified,
                          prefix="x-amz-copy-source-")
    return record


async def copy_object(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    bucket, key = req.require_bucket(), req.require_key()
    ctx.store.bucket(bucket)
    condition = conditions.write_condition(req.headers, bucket, key)
    source = source_record(ctx, req)
    directive = req.headers.get("x-amz-metadata-directive", "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise invalid_argument("Unknown metadata directive.", "x-amz-metadata-directive",
                               directive)
    if directive == "REPLACE":
        headers = representation.stored_headers(req.headers)
        meta = representation.user_metadata(req.headers)
    else:
        headers = dict(source.headers)
        meta = dict(source.user_meta)
        for name in ("x-amz-storage-class", "x-amz-website-redirect-location"):
            if name in req.headers:
                headers[name] = req.headers[name]
    data_key, key_md5 = await encryption.write_key(ctx, encryption.requester(req), bucket, key,
                                                   "CopyObject")
    if (source.bucket, source.key) == (bucket, key) and directive == "COPY" and \
            not encryption.names_encryption(req.headers) and not any(
                name in req.headers for name in ("x-amz-storage-class",
                                                 "x-amz-website-redirect-location")):
        raise S3Error("InvalidRequest", "This copy request is illegal because it is trying to "
                      "copy an object to itself without changing the object's metadata, "
                      "storage class, website redirect location or encryption attributes.")
    source_key, _ = await encryption.read_key(ctx, encryption.requester(req), source,
                                              "CopyObject", need_key=True)
    algorithm = _copy_algorithm(req, source)
    writer, digests = await copy_into_blob(ctx, source, 0, source.size, algorithm,
                                           source_key=source_key,
                                           data_key=data_key.keys if data_key else None)
    record = encryption.single_part_record(
        data_key, bucket=bucket, key=key, blob=writer.blob_id, size=digests.size,
        md5=digests.md5, checksums=digests.checksums(), owner=req.identity.arn,
        headers=headers, user_meta=meta)
    await ctx.store.commit_object(record, condition)
    body = elements([("ETag", f'"{record.etag}"'), ("LastModified",
                     iso_time(record.last_modified))])
    body += "".join(element("Checksum" + name, value)
                    for name, value in digests.checksums().items())
    response = {} if data_key is None else response_headers(
        data_key.stored, "CopyObject", customer_key_md5=key_md5)
    return xml_response(document("CopyObjectResult", body), headers=response)


def _copy_algorithm(req: S3Request, source: ObjectRecord) -> str:
    asked = req.headers.get("x-amz-checksum-algorithm")
    if asked is not None:
        return checksums.algorithm(asked)
    return source.checksum_algorithm or next(iter(source.checksums), DEFAULT_CHECKSUM)
