"""The names the SSE layer speaks: request headers, operations and modes.

Header names are botocore's S3 model spelling (lowercase here: every lookup in this
package goes through `lowered`, so the caller's mapping may use any case). Mode values are
compared case-sensitively, as AWS does (s3-sse.md §3.1).
"""

from __future__ import annotations

from collections.abc import Mapping

# Modes. The first three are `x-amz-server-side-encryption` values; SSE-C has no value
# there (its objects answer without that header, s3-sse.md §3.2).
AES256 = "AES256"
KMS = "aws:kms"
KMS_DSSE = "aws:kms:dsse"
SSE_C = "SSE-C"
SSE_VALUES = frozenset({AES256, KMS, KMS_DSSE})
KMS_MODES = frozenset({KMS, KMS_DSSE})
MODES = SSE_VALUES | {SSE_C}

# Request headers (s3-sse.md §3.1).
SSE = "x-amz-server-side-encryption"
KEY_ID = "x-amz-server-side-encryption-aws-kms-key-id"
CONTEXT = "x-amz-server-side-encryption-context"
BUCKET_KEY = "x-amz-server-side-encryption-bucket-key-enabled"
KMS_HEADERS = (SSE, KEY_ID, CONTEXT, BUCKET_KEY)


class Triple:
    """The three SSE-C header names, for the object itself or for a copy source."""

    def __init__(self, prefix: str) -> None:
        self.algorithm = prefix + "-customer-algorithm"
        self.key = prefix + "-customer-key"
        self.key_md5 = prefix + "-customer-key-md5"   # model: ...-customer-key-MD5

    def names(self) -> tuple[str, str, str]:
        return self.algorithm, self.key, self.key_md5


CUSTOMER = Triple("x-amz-server-side-encryption")
COPY_SOURCE = Triple("x-amz-copy-source-server-side-encryption")

# Response header spellings (botocore's model; HTTP makes case irrelevant).
RESPONSE_KEY_MD5 = "x-amz-server-side-encryption-customer-key-MD5"

# Operations (botocore operation names).
PUT_OBJECT = "PutObject"
COPY_OBJECT = "CopyObject"
CREATE_MULTIPART_UPLOAD = "CreateMultipartUpload"
UPLOAD_PART = "UploadPart"
UPLOAD_PART_COPY = "UploadPartCopy"
COMPLETE_MULTIPART_UPLOAD = "CompleteMultipartUpload"
GET_OBJECT = "GetObject"
HEAD_OBJECT = "HeadObject"
GET_OBJECT_ATTRIBUTES = "GetObjectAttributes"
LIST_PARTS = "ListParts"

# Writes that choose the object's encryption (SSE, KEYID, CTX, BK and C3 accepted).
OBJECT_WRITES = frozenset({PUT_OBJECT, COPY_OBJECT, CREATE_MULTIPART_UPLOAD})
# Writes into an existing upload: only C3, which must match the upload's (§5.5, §6.6-6.8).
PART_WRITES = frozenset({UPLOAD_PART, UPLOAD_PART_COPY, COMPLETE_MULTIPART_UPLOAD})
WRITES = OBJECT_WRITES | PART_WRITES
# Reads: the object's own C3, or the copy source's CS3 (§5.4).
OBJECT_READS = frozenset({GET_OBJECT, HEAD_OBJECT, GET_OBJECT_ATTRIBUTES})
COPY_READS = frozenset({COPY_OBJECT, UPLOAD_PART_COPY})
READS = OBJECT_READS | COPY_READS


def lowered(headers: Mapping[str, str]) -> dict[str, str]:
    """A plain dict with lowercase names (works for dicts and aiohttp's CIMultiDict)."""
    return {name.lower(): value for name, value in headers.items()}
