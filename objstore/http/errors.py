"""S3 errors on the wire, and the one place that maps domain errors to them."""

from __future__ import annotations

from xml.sax.saxutils import escape

from objstore.auth.errors import AuthError
from objstore.crypto import IntegrityError
from objstore.integrity.checksums import UnknownChecksum
from objstore.sse.errors import SseError
from objstore.storage import errors as storage

# code -> (HTTP status, AWS's usual message)
CODES: dict[str, tuple[int, str]] = {
    "AccessDenied": (403, "Access Denied"),
    "AuthorizationHeaderMalformed": (400, "The authorization header is malformed."),
    "AuthorizationQueryParametersError": (400, "Error parsing the query parameters."),
    "BadDigest": (400, "The Content-MD5 you specified did not match what we received."),
    "BucketAlreadyExists": (409, "The requested bucket name is not available. The bucket "
                            "namespace is shared by all users of the system. Please select a "
                            "different name and try again."),
    "BucketAlreadyOwnedByYou": (409, "Your previous request to create the named bucket "
                                "succeeded and you already own it."),
    "BucketNotEmpty": (409, "The bucket you tried to delete is not empty"),
    "EntityTooLarge": (400, "Your proposed upload exceeds the maximum allowed size"),
    "EntityTooSmall": (400, "Your proposed upload is smaller than the minimum allowed "
                       "object size."),
    "IncompleteBody": (400, "You did not provide the number of bytes specified by the "
                       "Content-Length HTTP header."),
    "InternalError": (500, "We encountered an internal error. Please try again."),
    "InvalidAccessKeyId": (403, "The AWS Access Key Id you provided does not exist in our "
                           "records."),
    "InvalidArgument": (400, "Invalid Argument"),
    "InvalidBucketName": (400, "The specified bucket is not valid."),
    "InvalidDigest": (400, "The Content-MD5 you specified is not valid."),
    "InvalidPart": (400, "One or more of the specified parts could not be found.  The part "
                    "may not have been uploaded, or the specified entity tag may not match "
                    "the part's entity tag."),
    "InvalidPartNumber": (416, "The requested partnumber is not satisfiable"),
    "InvalidPartOrder": (400, "The list of parts was not in ascending order. Parts must be "
                         "ordered by part number."),
    "InvalidRange": (416, "The requested range is not satisfiable"),
    "InvalidRequest": (400, "Invalid Request"),
    "InvalidURI": (400, "Couldn't parse the specified URI."),
    "KeyTooLongError": (400, "Your key is too long"),
    "MalformedXML": (400, "The XML you provided was not well-formed or did not validate "
                     "against our published schema"),
    "MetadataTooLarge": (400, "Your metadata headers exceed the maximum allowed metadata "
                         "size"),
    "MethodNotAllowed": (405, "The specified method is not allowed against this resource."),
    "MissingContentLength": (411, "You must provide the Content-Length HTTP header."),
    "NoSuchBucket": (404, "The specified bucket does not exist"),
    "NoSuchKey": (404, "The specified key does not exist."),
    "NoSuchUpload": (404, "The specified upload does not exist. The upload ID may be invalid, "
                     "or the upload may have been aborted or completed."),
    "NotImplemented": (501, "A header you provided implies functionality that is not "
                       "implemented"),
    "NotModified": (304, "Not Modified"),
    "PreconditionFailed": (412, "At least one of the pre-conditions you specified did not "
                           "hold"),
    "RequestTimeTooSkewed": (403, "The difference between the request time and the current "
                             "time is too large."),
    "SignatureDoesNotMatch": (403, "The request signature we calculated does not match the "
                              "signature you provided. Check your key and signing method."),
    "XAmzContentSHA256Mismatch": (400, "The provided 'x-amz-content-sha256' header does not "
                                  "match what was computed."),
}


class S3Error(Exception):
    """An error response: code, status, message and extra XML elements."""

    def __init__(self, code: str, message: str | None = None, *, status: int | None = None,
                 **extra: str) -> None:
        default_status, default_message = CODES.get(code, (400, code))
        super().__init__(message or default_message)
        self.code = code
        self.message = message or default_message
        self.status = status or default_status
        self.extra = {k: str(v) for k, v in extra.items()}

    def to_xml(self, resource: str, request_id: str) -> bytes:
        parts = [f"<Code>{self.code}</Code>", f"<Message>{escape(self.message)}</Message>"]
        parts += [f"<{name}>{escape(value)}</{name}>" for name, value in self.extra.items()]
        parts += [f"<Resource>{escape(resource)}</Resource>",
                  f"<RequestId>{request_id}</RequestId>", f"<HostId>{request_id}</HostId>"]
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + "".join(parts)
                + "</Error>").encode()


def invalid_argument(message: str, name: str, value: str | None) -> S3Error:
    return S3Error("InvalidArgument", message, ArgumentName=name,
                   ArgumentValue="null" if value is None else value)


_AUTH_CODES: dict[str, str] = {
    "missing": "AccessDenied",
    "unknown_key": "InvalidAccessKeyId",
    "bad_signature": "SignatureDoesNotMatch",
    "chunk_signature": "SignatureDoesNotMatch",
    "malformed_header": "AuthorizationHeaderMalformed",
    "malformed_query": "AuthorizationQueryParametersError",
    "skew": "RequestTimeTooSkewed",
    "expired": "AccessDenied",
    "not_yet_valid": "AccessDenied",
    "unsigned_headers": "AccessDenied",
    "missing_content_sha256": "InvalidRequest",
    "bad_content_sha256": "InvalidArgument",
    "unsupported": "InvalidRequest",
    "multiple_auth": "InvalidArgument",
    "incomplete_body": "IncompleteBody",
    "bad_chunk": "InvalidRequest",
    "malformed_trailer": "MalformedTrailerError",
}


def from_auth(exc: AuthError) -> S3Error:
    return S3Error(_AUTH_CODES.get(exc.kind, "AccessDenied"), exc.message, **exc.extra)


def from_domain(exc: Exception) -> S3Error | None:
    """The S3 error for a domain exception, or None if it is not one of ours."""
    match exc:
        case storage.NoSuchBucket():
            return S3Error("NoSuchBucket", BucketName=exc.bucket)
        case storage.NoSuchKey():
            return S3Error("NoSuchKey", Key=exc.key)
        case storage.BucketNotEmpty():
            return S3Error("BucketNotEmpty", BucketName=exc.bucket)
        case storage.BucketAlreadyOwnedByYou():
            return S3Error("BucketAlreadyOwnedByYou", BucketName=exc.bucket)
        case storage.BucketAlreadyExists():
            return S3Error("BucketAlreadyExists", BucketName=exc.bucket)
        case storage.NoSuchUpload():
            return S3Error("NoSuchUpload", UploadId=exc.upload_id)
        case storage.InvalidPart():
            return S3Error("InvalidPart", PartNumber=str(exc.part_number), ETag=exc.etag)
        case storage.InvalidPartOrder():
            return S3Error("InvalidPartOrder")
        case storage.EntityTooSmall():
            return S3Error("EntityTooSmall", ProposedSize=str(exc.size),
                           MinSizeAllowed=str(exc.min_size), PartNumber=str(exc.part_number))
        case storage.ObjectChanged():
            return S3Error("OperationAborted", "A conflicting conditional operation is "
                           "currently in progress against this resource. Please try again.",
                           status=409)
        case storage.PreconditionFailed():
            return S3Error("PreconditionFailed", Condition=exc.condition)
        case AuthError():
            return from_auth(exc)
        case SseError():
            return S3Error(exc.code, exc.message, status=exc.status, **exc.extra)
        case IntegrityError():
            return S3Error("InternalError", "The stored object failed authentication: it "
                           "was damaged on disk. No data was returned from the damaged part.")
        case UnknownChecksum():
            return S3Error("InvalidRequest", f"The checksum algorithm {exc.args[0]!r} is not "
                           "supported; use one of CRC32, CRC32C, CRC64NVME, SHA1, SHA256, "
                           "SHA512, MD5, XXHASH64, XXHASH3 or XXHASH128.")
    return None
