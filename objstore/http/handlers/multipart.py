"""CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
AbortMultipartUpload, ListParts, ListMultipartUploads."""

from __future__ import annotations

import hashlib
import re
import secrets
import time

from aiohttp import web
from multidict import CIMultiDictProxy

from objstore.http import conditions, encryption, representation
from objstore.http.body import multiple_checksums, plan_body, read_small
from objstore.http.context import ServerContext, owner_xml
from objstore.http.errors import S3Error, invalid_argument
from objstore.http.handlers.objects import source_record
from objstore.http.request import S3Request
from objstore.http.responses import empty, xml_response
from objstore.http.transfer import copy_into_blob, receive_into_blob
from objstore.http.xml import child, children, document, element, elements, iso_time, parse_xml
from objstore.integrity import checksums
from objstore.integrity.digests import DEFAULT_CHECKSUM
from objstore.sse.headers import response_headers
from objstore.storage.multipart import MIN_PART_SIZE
from objstore.storage.records import ObjectRecord, PartRecord, Segment, UploadRecord

MAX_PARTS = 10_000
_COPY_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")


def _upload(ctx: ServerContext, req: S3Request) -> UploadRecord:
    return ctx.store.upload(req.require_bucket(), req.require_key(), req.query["uploadId"])


def _part_number(req: S3Request) -> int:
    value = req.query.get("partNumber", "")
    if not value.isdigit() or not 1 <= int(value) <= MAX_PARTS:
        raise invalid_argument("Part number must be an integer between 1 and 10000, "
                               "inclusive", "partNumber", value)
    return int(value)


async def create_upload(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    bucket, key = req.require_bucket(), req.require_key()
    ctx.store.bucket(bucket)
    asked = req.headers.get("x-amz-checksum-algorithm")
    algorithm = checksums.algorithm(asked) if asked else None
    checksum_type = _checksum_type(req.headers.get("x-amz-checksum-type"))
    if algorithm is None and checksum_type is not None:
        raise S3Error("InvalidRequest", "The x-amz-checksum-type header can only be used with "
                      "the x-amz-checksum-algorithm header.")
    if algorithm is not None:
        checksum_type = checksum_type or (
            "FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE")
        impossible = (checksum_type == "COMPOSITE" and algorithm == "CRC64NVME") or (
            checksum_type == "FULL_OBJECT" and not checksums.supports_full_object(algorithm))
        if impossible:
            raise S3Error("InvalidRequest", f"The {checksum_type} checksum type cannot be used "
                          f"with the {algorithm.lower()} checksum algorithm.")
    data_key, key_md5 = await encryption.write_key(ctx, encryption.requester(req), bucket, key,
                                                   "CreateMultipartUpload")
    upload = UploadRecord(
        upload_id=secrets.token_urlsafe(48), bucket=bucket, key=key, initiated=time.time(),
        owner=req.identity.arn, headers=representation.stored_headers(req.headers),
        user_meta=representation.user_metadata(req.headers), checksum_algorithm=algorithm,
        checksum_type=checksum_type, attrs={"sse": data_key.attrs} if data_key else {})
    await ctx.store.create_upload(upload)
    headers: dict[str, str] = {}
    if algorithm:
        headers = {"x-amz-checksum-algorithm": algorithm,
                   "x-amz-checksum-type": checksum_type or ""}
    if data_key:
        headers.update(response_headers(data_key.stored, "CreateMultipartUpload",
                                        customer_key_md5=key_md5))
    body = elements([("Bucket", bucket), ("Key", key), ("UploadId", upload.upload_id)])
    return xml_response(document("InitiateMultipartUploadResult", body), headers=headers)


def _checksum_type(value: str | None) -> str | None:
    if value is None:
        return None
    if value.upper() not in ("COMPOSITE", "FULL_OBJECT"):
        raise S3Error("InvalidRequest", "Value for x-amz-checksum-type header is invalid.")
    return value.upper()


async def upload_part(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    number = _part_number(req)
    upload = _upload(ctx, req)
    part_key = await encryption.part_key(ctx, encryption.requester(req), upload, "UploadPart")
    plan = plan_body(req.headers, req.auth)
    if upload.checksum_algorithm is not None:
        if plan.explicit_checksum and plan.algorithm != upload.checksum_algorithm:
            raise S3Error("InvalidRequest", "Checksum Type mismatch occurred, expected "
                          f"checksum Type: {upload.checksum_algorithm.lower()}, actual "
                          f"checksum Type: {plan.algorithm.lower()}")
        plan.algorithm = upload.checksum_algorithm
    blob, result = await receive_into_blob(ctx, req.http, plan, req.auth,
                                           part_key.keys if part_key else None)
    part = PartRecord(upload.upload_id, number, blob, result.size,
                      part_key.etag(result.md5) if part_key else result.etag,
                      time.time(), **encryption.part_checksum_fields(part_key,
                                                                     result.checksums))
    await ctx.store.commit_part(part)
    headers = {"ETag": f'"{part.etag}"'}
    if upload.checksum_algorithm is not None or plan.explicit_checksum:
        headers.update(representation.checksum_values(result.checksums))
    headers.update(encryption.upload_headers(req.headers, upload, "UploadPart"))
    return empty(headers=headers)


async def upload_part_copy(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    number = _part_number(req)
    upload = _upload(ctx, req)
    part_key = await encryption.part_key(ctx, encryption.requester(req), upload, "UploadPartCopy")
    source = source_record(ctx, req)
    start, end = _copy_range(req.headers.get("x-amz-copy-source-range"), source.size)
    source_key, _ = await encryption.read_key(ctx, encryption.requester(req), source,
                                              "UploadPartCopy", need_key=True)
    algorithm = upload.checksum_algorithm or DEFAULT_CHECKSUM
    writer, digests = await copy_into_blob(ctx, source, start, end, algorithm,
                                           source_key=source_key,
                                           data_key=part_key.keys if part_key else None)
    part = PartRecord(upload.upload_id, number, writer.blob_id, digests.size,
                      part_key.etag(digests.md5) if part_key else digests.md5.hex(),
                      time.time(), **encryption.part_checksum_fields(part_key,
                                                                     digests.checksums()))
    await ctx.store.commit_part(part)
    body = elements([("ETag", f'"{part.etag}"'), ("LastModified", iso_time(part.last_modified))])
    if upload.checksum_algorithm is not None:
        body += "".join(element("Checksum" + k, v) for k, v in digests.checksums().items())
    return xml_response(document("CopyPartResult", body),
                        headers=encryption.upload_headers(req.headers, upload, "UploadPartCopy"))


def _copy_range(header: str | None, size: int) -> tuple[int, int]:
    if header is None:
        return 0, size
    match = _COPY_RANGE.match(header.strip())
    if match is None:
        raise invalid_argument("The x-amz-copy-source-range value must be of the form "
                               "bytes=first-last where first and last are the zero-based "
                               "offsets of the first and last bytes to copy",
                               "x-amz-copy-source-range", header)
    first, last = int(match.group(1)), int(match.group(2))
    if first > last or last >= size:
        raise invalid_argument(f"Range specified is not valid for source object of size: "
                               f"{size}", "x-amz-copy-source-range", header)
    return first, last + 1


def _requested_parts(req: S3Request, root: object) -> list[tuple[int, str, dict[str, str]]]:
    parts = []
    for part in children(root, "Part"):
        number, etag = child(part, "PartNumber"), child(part, "ETag")
        if not isinstance(number, str) or not number.isdigit() or not isinstance(etag, str):
            raise S3Error("MalformedXML")
        given = {name: value for name in checksums.ALGORITHMS
                 if isinstance(value := child(part, "Checksum" + name), str)}
        parts.append((int(number), etag, given))
    if not parts:
        raise S3Error("MalformedXML")
    return parts


def multipart_etag(parts: list[PartRecord]) -> str:
    digest = hashlib.md5(b"".join(bytes.fromhex(part.etag) for part in parts)).hexdigest()
    return f"{digest}-{len(parts)}"


def _object_checksums(upload: UploadRecord, parts: list[PartRecord]) -> tuple[dict[str, str],
                                                                               str | None]:
    algorithm = upload.checksum_algorithm or DEFAULT_CHECKSUM
    if not all(algorithm in part.checksums for part in parts):
        return {}, None
    if upload.checksum_type == "COMPOSITE":
        return {algorithm: checksums.composite(
            algorithm, [part.checksums[algorithm] for part in parts])}, "COMPOSITE"
    if not checksums.supports_full_object(algorithm):
        return {}, None
    return {algorithm: checksums.combine_full_object(
        algorithm, [(part.checksums[algorithm], part.size) for part in parts])}, "FULL_OBJECT"


async def complete_upload(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    upload = _upload(ctx, req)
    # the parts' checksums are sealed under the upload's data key (an SSE-C upload completed
    # without its key, as AWS allows, gets an object without checksums)
    upload_key = await encryption.part_key(
        ctx, encryption.requester(req), upload, "CompleteMultipartUpload",
        need_key=encryption.completion_needs_key(req.headers, upload))
    condition = conditions.write_condition(req.headers, upload.bucket, upload.key)
    expected_size = _expected_size(req.headers.get("x-amz-mp-object-size"))
    claimed = _claimed_checksum(req.headers, upload)
    document_root = parse_xml(await read_small(req.http, req.auth, ctx.executor,
                                               checksum_headers=False))
    requested = _requested_parts(req, document_root.get("CompleteMultipartUpload"))
    if upload.checksum_algorithm is not None and upload.checksum_type == "COMPOSITE":
        for number, _, given in requested:
            if upload.checksum_algorithm not in given:
                raise S3Error("InvalidRequest", "The upload was created using a "
                              f"{upload.checksum_algorithm.lower()} checksum. The complete "
                              "request must include the checksum for each part. It was missing "
                              f"for part {number} in the request.")

    def build(stored_parts: list[PartRecord]) -> ObjectRecord:
        parts = [encryption.reveal_part(part, upload_key.keys if upload_key else None)
                 for part in stored_parts]
        for part, (_, _, given) in zip(parts, requested, strict=True):
            for name, value in given.items():
                if part.checksums.get(name) != value:
                    raise S3Error("InvalidPart", PartNumber=str(part.part_number),
                                  ETag=part.etag)
        size = sum(p.size for p in parts)
        if expected_size is not None and expected_size != size:
            raise S3Error("InvalidRequest", "The provided 'x-amz-mp-object-size' header value "
                          f"{expected_size} does not match what was computed: {size}")
        object_checksums, checksum_type = _object_checksums(upload, parts)
        if claimed is not None:
            algorithm, value = claimed
            actual = object_checksums.get(algorithm)
            if actual is None or value not in (actual, actual.partition("-")[0]):
                raise S3Error("BadDigest", f"The {algorithm.lower()} you specified did not "
                              "match the calculated checksum.")
        return ObjectRecord(
            bucket=upload.bucket, key=upload.key, size=size,
            etag=multipart_etag(parts), last_modified=time.time(),
            segments=[Segment(p.blob, p.size) for p in parts], owner=upload.owner,
            headers=upload.headers, user_meta=upload.user_meta,
            **encryption.checksum_fields(upload.attrs.get("sse"),
                                         upload_key.keys if upload_key else None,
                                         object_checksums, checksum_type,
                                         [p.checksums for p in parts]))

    record = await ctx.store.complete_upload(
        upload, [(number, etag) for number, etag, _ in requested], build, MIN_PART_SIZE,
        condition)
    location = f"http://{req.http.host}/{record.bucket}/{record.key}"
    body = elements([("Location", location), ("Bucket", record.bucket), ("Key", record.key),
                     ("ETag", f'"{record.etag}"')])
    shown = encryption.reveal_checksums(record, upload_key.keys if upload_key else None)
    body += "".join(element("Checksum" + k, v) for k, v in shown.checksums.items())
    if record.checksum_type:
        body += element("ChecksumType", record.checksum_type)
    return xml_response(document("CompleteMultipartUploadResult", body),
                        headers=encryption.upload_headers(req.headers, upload,
                                                          "CompleteMultipartUpload"))


def _expected_size(value: str | None) -> int | None:
    """x-amz-mp-object-size: the object size the client expects, checked on completion."""
    if value is None:
        return None
    try:
        size = int(value)
    except ValueError:
        raise S3Error("InvalidRequest", "Value for x-amz-mp-object-size header is invalid: "
                      f"'{value}'") from None
    if size < 0:
        raise S3Error("InvalidRequest", "Value for x-amz-mp-object-size header is less than "
                      f"zero: '{value}'")
    return size


def _claimed_checksum(headers: CIMultiDictProxy[str],
                      upload: UploadRecord) -> tuple[str, str] | None:
    """The whole-object checksum a CompleteMultipartUpload asserts ((algorithm, value)),
    after checking its algorithm and x-amz-checksum-type against the upload's."""
    algorithm = upload.checksum_algorithm or DEFAULT_CHECKSUM
    checksum_type = upload.checksum_type or "FULL_OBJECT"
    asked_type = _checksum_type(headers.get("x-amz-checksum-type"))
    if asked_type is not None and asked_type != checksum_type:
        raise S3Error("InvalidRequest", f"The upload was created using the {checksum_type} "
                      "checksum mode. The complete request must use the same checksum mode.")
    given = checksums.value_headers(headers)
    if not given:
        return None
    if len(given) > 1:
        raise multiple_checksums()
    name, value = next(iter(given.items()))
    claimed = checksums.algorithm_of_header(name)
    if claimed != algorithm:
        raise S3Error("InvalidRequest", "Checksum Type mismatch occurred, expected checksum "
                      f"Type: {algorithm.lower()}, actual checksum Type: {claimed.lower()}")
    return algorithm, value


async def abort_upload(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    await ctx.store.abort_upload(_upload(ctx, req))
    return empty(204)


def _int_param(req: S3Request, name: str, default: int, maximum: int) -> int:
    value = req.query.get(name)
    if value is None:
        return default
    if not value.isdigit():
        raise invalid_argument(f"Provided {name} not an integer or within integer range",
                               name, value)
    return min(int(value), maximum)


async def list_parts(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    upload = _upload(ctx, req)
    max_parts = _int_param(req, "max-parts", 1000, 1000)
    marker = _int_param(req, "part-number-marker", 0, MAX_PARTS)
    upload_key = await encryption.part_key(
        ctx, encryption.requester(req), upload, "CompleteMultipartUpload",
        need_key=encryption.completion_needs_key(req.headers, upload))
    parts = [encryption.reveal_part(part, upload_key.keys if upload_key else None)
             for part in ctx.store.parts(upload.upload_id, after=marker,
                                         limit=max_parts + 1)]
    page, truncated = parts[:max_parts], len(parts) > max_parts
    body = elements([("Bucket", upload.bucket), ("Key", upload.key),
                     ("UploadId", upload.upload_id), ("PartNumberMarker", marker)])
    if page:
        body += element("NextPartNumberMarker", page[-1].part_number)
    body += elements([("MaxParts", max_parts), ("IsTruncated", str(truncated).lower())])
    for part in page:
        body += "<Part>" + elements([("PartNumber", part.part_number),
                                     ("LastModified", iso_time(part.last_modified)),
                                     ("ETag", f'"{part.etag}"'), ("Size", part.size)])
        if upload.checksum_algorithm:
            value = part.checksums.get(upload.checksum_algorithm)
            if value:
                body += element("Checksum" + upload.checksum_algorithm, value)
        body += "</Part>"
    owner = owner_xml(upload.owner)
    body += owner.replace("<Owner>", "<Initiator>").replace("</Owner>", "</Initiator>") + owner
    body += element("StorageClass", upload.headers.get("x-amz-storage-class", "STANDARD"))
    if upload.checksum_algorithm:
        body += elements([("ChecksumAlgorithm", upload.checksum_algorithm),
                          ("ChecksumType", upload.checksum_type)])
    return xml_response(document("ListPartsResult", body))


async def list_uploads(ctx: ServerContext, req: S3Request) -> web.StreamResponse:
    bucket = req.require_bucket()
    prefix = req.query.get("prefix", "")
    delimiter = req.query.get("delimiter", "")
    key_marker = req.query.get("key-marker", "")
    upload_marker = req.query.get("upload-id-marker")
    max_uploads = _int_param(req, "max-uploads", 1000, 1000)
    uploads = ctx.store.list_uploads(bucket, prefix=prefix, key_marker=key_marker,
                                     upload_id_marker=upload_marker, limit=max_uploads + 1)
    page, truncated = uploads[:max_uploads], len(uploads) > max_uploads
    body = elements([("Bucket", bucket), ("KeyMarker", key_marker),
                     ("UploadIdMarker", upload_marker or "")])
    if truncated:
        body += elements([("NextKeyMarker", page[-1].key),
                          ("NextUploadIdMarker", page[-1].upload_id)])
    body += elements([("MaxUploads", max_uploads), ("IsTruncated", str(truncated).lower())])
    if prefix:
        body += element("Prefix", prefix)
    if delimiter:
        body += element("Delimiter", delimiter)
    common: list[str] = []
    for upload in page:
        rest = upload.key[len(prefix):]
        if delimiter and delimiter in rest:
            rolled = prefix + rest[: rest.index(delimiter) + len(delimiter)]
            if rolled not in common:
                common.append(rolled)
            continue
        owner = owner_xml(upload.owner)
        body += "<Upload>" + elements([("Key", upload.key), ("UploadId", upload.upload_id)])
        body += owner.replace("<Owner>", "<Initiator>").replace("</Owner>", "</Initiator>")
        body += owner + elements([
            ("StorageClass", upload.headers.get("x-amz-storage-class", "STANDARD")),
            ("Initiated", iso_time(upload.initiated)),
            ("ChecksumAlgorithm", upload.checksum_algorithm),
            ("ChecksumType", upload.checksum_type)]) + "</Upload>"
    body += "".join("<CommonPrefixes>" + element("Prefix", p) + "</CommonPrefixes>"
                    for p in common)
    return xml_response(document("ListMultipartUploadsResult", body))
