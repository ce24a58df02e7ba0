"""Which S3 operation a request is: method, bucket/key presence and sub-resources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from objstore.http.context import ServerContext
from objstore.http.errors import S3Error
from objstore.http.handlers import (
    buckets,
    encryption_config,
    listing,
    multipart,
    object_encryption,
    objects,
)
from objstore.http.request import S3Request

Handler = Callable[[ServerContext, S3Request], Awaitable[web.StreamResponse]]

# Sub-resources S3 has and this server does not (yet): answered with NotImplemented.
UNSUPPORTED = frozenset({
    "accelerate", "acl", "analytics", "attributes", "cors",
    "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "logging", "metadataTable",
    "metrics", "notification", "object-lock", "ownershipControls", "policy", "policyStatus",
    "publicAccessBlock", "replication", "requestPayment", "restore", "retention", "select",
    "session", "tagging", "torrent", "versions", "website", "renameObject",
})


SSE_HEADER_PREFIXES = ("x-amz-server-side-encryption",
                       "x-amz-copy-source-server-side-encryption")
SSE_C_HEADER_PREFIXES = ("x-amz-server-side-encryption-customer-",
                         "x-amz-copy-source-server-side-encryption-customer-")
# AWS refuses every SSE-C request over plain HTTP (MinIO's wording; reference/s3-sse.md §5.2)
INSECURE_SSE_C = ("Requests specifying Server Side Encryption with Customer provided keys "
                  "must be made over a secure connection.")
SSE_READY = frozenset({"PutObject", "GetObject", "HeadObject", "CopyObject", "UploadPart",
                       "UploadPartCopy", "CreateMultipartUpload", "CompleteMultipartUpload",
                       "ListParts"})


def resolve(method: str, bucket: str | None, key: str | None, query: Mapping[str, str],
            headers: Mapping[str, str]) -> tuple[str, Handler]:
    """(operation name, handler); S3Error for what we cannot serve."""
    unsupported = sorted(UNSUPPORTED.intersection(query))
    if unsupported:
        raise S3Error("NotImplemented", f"The {unsupported[0]} sub-resource is not "
                      "implemented by this server.")
    operation, handler = _resolve(method, bucket, key, query, headers)
    sse = sorted(name for name in headers if name.lower().startswith(SSE_HEADER_PREFIXES))
    if sse and operation not in SSE_READY:
        # refuse rather than store in clear what the client asked to be encrypted
        raise S3Error("NotImplemented", f"Server-side encryption on {operation} is not "
                      f"implemented by this server yet (header {sse[0]}); nothing was "
                      "stored.", Header=sse[0])
    if any(name.lower().startswith(SSE_C_HEADER_PREFIXES) for name in sse):
        return operation, _sse_c_transport_checked(handler)
    return operation, handler


def _sse_c_transport_checked(handler: Handler) -> Handler:
    """The handler, preceded by the server's HTTPS rule for SSE-C: checked after the
    signature and before the handler reads the body or touches anything."""
    async def checked(ctx: ServerContext, request: S3Request) -> web.StreamResponse:
        if ctx.require_tls_for_sse_c and not request.http.secure:
            raise S3Error("InvalidRequest", INSECURE_SSE_C)
        return await handler(ctx, request)
    return checked


def _resolve(method: str, bucket: str | None, key: str | None, query: Mapping[str, str],
             headers: Mapping[str, str]) -> tuple[str, Handler]:
    if bucket is None:
        if method == "GET":
            return "ListBuckets", buckets.list_buckets
        raise S3Error("MethodNotAllowed", Method=method, ResourceType="SERVICE")
    if key is None:
        return _bucket_operation(method, query)
    return _object_operation(method, query, headers)


def _bucket_operation(method: str, query: Mapping[str, str]) -> tuple[str, Handler]:
    if "encryption" in query:
        match method:
            case "PUT":
                return "PutBucketEncryption", encryption_config.put_bucket_encryption
            case "GET":
                return "GetBucketEncryption", encryption_config.get_bucket_encryption
            case "DELETE":
                return "DeleteBucketEncryption", encryption_config.delete_bucket_encryption
    if method == "GET":
        if "location" in query:
            return "GetBucketLocation", buckets.get_bucket_location
        if "versioning" in query:
            return "GetBucketVersioning", buckets.get_bucket_versioning
        if "uploads" in query:
            return "ListMultipartUploads", multipart.list_uploads
        if "list-type" in query:
            return "ListObjectsV2", listing.list_objects_v2
        return "ListObjects", listing.list_objects
    if method == "PUT":
        if "versioning" in query:
            raise S3Error("NotImplemented", "Versioning is not implemented by this server.")
        return "CreateBucket", buckets.create_bucket
    if method == "HEAD":
        return "HeadBucket", buckets.head_bucket
    if method == "DELETE":
        return "DeleteBucket", buckets.delete_bucket
    if method == "POST" and "delete" in query:
        return "DeleteObjects", objects.delete_objects
    raise S3Error("MethodNotAllowed", Method=method, ResourceType="BUCKET")


def _object_operation(method: str, query: Mapping[str, str],
                      headers: Mapping[str, str]) -> tuple[str, Handler]:
    upload = "uploadId" in query
    if method == "PUT":
        copy = "x-amz-copy-source" in headers
        if upload or "partNumber" in query:
            if copy:
                return "UploadPartCopy", multipart.upload_part_copy
            return "UploadPart", multipart.upload_part
        if copy:
            return "CopyObject", objects.copy_object
        if "encryption" in query:
            return "UpdateObjectEncryption", object_encryption.update_object_encryption
        return "PutObject", objects.put_object
    if method == "GET":
        if upload:
            return "ListParts", multipart.list_parts
        return "GetObject", objects.get_object
    if method == "HEAD":
        return "HeadObject", objects.head_object
    if method == "DELETE":
        if upload:
            return "AbortMultipartUpload", multipart.abort_upload
        return "DeleteObject", objects.delete_object
    if method == "POST":
        if "uploads" in query:
            return "CreateMultipartUpload", multipart.create_upload
        if upload:
            return "CompleteMultipartUpload", multipart.complete_upload
    raise S3Error("MethodNotAllowed", Method=method, ResourceType="OBJECT")
