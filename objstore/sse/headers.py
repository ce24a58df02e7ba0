"""The SSE response headers each operation answers with (s3-sse.md §3.2).

    operation                 SSE  KEYID  CTX  BK   C-algorithm + C-key-MD5
    PutObject                 yes  yes    yes  yes  yes
    GetObject, HeadObject     yes  yes    -    yes  yes
    CopyObject                yes  yes    yes  yes  yes
    CreateMultipartUpload     yes  yes    yes  yes  yes
    UploadPart(Copy)          yes  yes    -    yes  yes
    CompleteMultipartUpload   yes  yes    -    yes  -   (not in the model; AWS sends none)
    GetObjectAttributes, ListParts: none

By mode: SSE-S3 sends `AES256` only; SSE-KMS / DSSE-KMS send the mode, the key ARN, BK
`true` only when a bucket key is in use, and CTX only when the client gave a context (the
user's pairs, without S3's aws:s3:arn unless the client sent it); SSE-C sends the
algorithm and key MD5 and no x-amz-server-side-encryption at all.
"""

from __future__ import annotations

from objstore.sse import context, names
from objstore.sse.model import StoredEncryption

_WITH_CONTEXT = frozenset({names.PUT_OBJECT, names.COPY_OBJECT,
                           names.CREATE_MULTIPART_UPLOAD})
_WITH_CUSTOMER = frozenset({names.PUT_OBJECT, names.GET_OBJECT, names.HEAD_OBJECT,
                            names.COPY_OBJECT, names.CREATE_MULTIPART_UPLOAD,
                            names.UPLOAD_PART, names.UPLOAD_PART_COPY})
_WITH_SSE = _WITH_CUSTOMER | {names.COMPLETE_MULTIPART_UPLOAD}
_WITHOUT = frozenset({names.GET_OBJECT_ATTRIBUTES, names.LIST_PARTS})


def response_headers(stored: StoredEncryption | None, operation: str, *,
                     customer_key_md5: str | None = None) -> dict[str, str]:
    """SSE headers for `operation`'s response about an object (or upload) stored as `stored`.

    For a copy these describe the destination; for UploadPart(Copy) and Complete, the
    upload. customer_key_md5: for SSE-C, the key MD5 of this request's triple (the
    WriteRequest's or ReadRequest's), which the response echoes; it is not stored.
    """
    if operation not in _WITH_SSE | _WITHOUT:
        raise ValueError(f"unknown operation {operation!r}")
    if stored is None or stored.mode is None or operation in _WITHOUT:
        return {}
    if stored.mode == names.SSE_C:
        if operation not in _WITH_CUSTOMER:
            return {}
        if customer_key_md5 is None:
            raise ValueError("an SSE-C response echoes the request's key MD5")
        return {names.CUSTOMER.algorithm: "AES256", names.RESPONSE_KEY_MD5: customer_key_md5}
    headers = {names.SSE: stored.mode}
    if stored.mode in names.KMS_MODES:
        if stored.kms_key_arn is None:
            raise ValueError(f"a {stored.mode} object has a key ARN")
        headers[names.KEY_ID] = stored.kms_key_arn
        if stored.bucket_key_enabled and stored.mode == names.KMS:
            headers[names.BUCKET_KEY] = "true"
        if stored.context and operation in _WITH_CONTEXT:
            headers[names.CONTEXT] = context.encode(stored.context)
    return headers
