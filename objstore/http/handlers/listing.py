"""ListObjects (v1) and ListObjectsV2."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from objstore.http.context import ServerContext, owner_xml
from objstore.http.errors import invalid_argument
from objstore.http.request import S3Request
from objstore.http.responses import xml_response
from objstore.http.tokens import decode_token, encode_token
from objstore.http.xml import document, element, iso_time, url_encode
from objstore.storage.records import ListEntry, ListPage

MAX_KEYS = 1000


def _max_keys(value: str | None) -> int:
    if value is None:
        return MAX_KEYS
    try:
        number = int(value)
    except ValueError:
        raise invalid_argument("Provided max-keys not an integer or within integer range",
                               "max-keys", value) from None
    if number < 0:
        raise invalid_argument("Argument maxKeys must be an integer between 0 and "
                               "2147483647", "maxKeys", value)
    return min(number, MAX_KEYS)


def _encoder(req: S3Request) -> tuple[Callable[[str], str], str]:
    encoding = req.query.get("encoding-type")
    if encoding is None:
        return (lambda value: value), ""
    if encoding != "url":
        raise invalid_argument("Invalid Encoding Method specified in Request",
                               "encoding-type", encoding)
    return url_encode, element("EncodingType", "url")


def _contents(page: ListPage, encode: Callable[[str], str], with_owner: bool) -> str:
    return "".join(_entry(entry, encode, with_owner) for entry in page.entries) + "".join(
        "<CommonPrefixes>" + element("Prefix", encode(prefix)) + "</CommonPrefixes>"
        for prefix in page.common_prefixes)


def _entry(entry: ListEntry, encode: Callable[[str], str], with_owner: bool) -> str:
    body = (element("Key", encode(entry.key)) + element("LastModified",
            iso_time(entry.last_modified)) + element("ETag", f'"{entry.etag}"'))
    if entry.checksum_algorithm:
        body += element("ChecksumAlgorithm", entry.checksum_algorithm)
        if entry.checksum_type:
            body += element("ChecksumType", entry.checksum_type)
    body += element("Size", entry.size)
    if with_owner:
        body += owner_xml(entry.owner)
    body += element("StorageClass", "STANDARD")
    return "<Contents>" + body + "</Contents>"


async def list_objects(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    query = req.query
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
    marker = query.get("marker", "")
    max_keys = _max_keys(query.get("max-keys"))
    encode, encoding_xml = _encoder(req)
    page = ctx.store.list_objects(req.require_bucket(), prefix=prefix, delimiter=delimiter,
                                  start_after=marker, max_keys=max_keys)
    body = (element("Name", req.bucket) + element("Prefix", encode(prefix))
            + element("Marker", encode(marker)) + element("MaxKeys", max_keys))
    if delimiter:
        body += element("Delimiter", encode(delimiter))
    body += element("IsTruncated", str(page.is_truncated).lower())
    if page.is_truncated and delimiter and page.next_marker is not None:
        body += element("NextMarker", encode(page.next_marker))
    body += encoding_xml + _contents(page, encode, with_owner=True)
    return xml_response(document("ListBucketResult", body))


async def list_objects_v2(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    query = req.query
    if query.get("list-type") != "2":
        raise invalid_argument("Invalid list type", "list-type", query.get("list-type"))
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
    start_after = query.get("start-after", "")
    token = query.get("continuation-token")
    max_keys = _max_keys(query.get("max-keys"))
    encode, encoding_xml = _encoder(req)
    begin = decode_token(token) if token is not None else start_after
    page = ctx.store.list_objects(req.require_bucket(), prefix=prefix, delimiter=delimiter,
                                  start_after=begin, max_keys=max_keys)
    body = element("Name", req.bucket) + element("Prefix", encode(prefix))
    if delimiter:
        body += element("Delimiter", encode(delimiter))
    body += element("MaxKeys", max_keys) + element("KeyCount", len(page.entries)
                                                   + len(page.common_prefixes))
    body += element("IsTruncated", str(page.is_truncated).lower())
    if token is not None:
        body += element("ContinuationToken", token)
    if page.is_truncated and page.next_marker is not None:
        body += element("NextContinuationToken", encode_token(page.next_marker))
    if "start-after" in query:
        body += element("StartAfter", encode(start_after))
    body += encoding_xml
    body += _contents(page, encode, with_owner=query.get("fetch-owner") == "true")
    return xml_response(document("ListBucketResult", body))
