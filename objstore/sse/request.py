"""Plan a write or a read from its SSE request headers: validate them in AWS's order and
say which encryption applies. Pure: no I/O, no KMS (the wiring resolves keys afterwards).

References are to /work/shared/reference/s3-sse.md. The order a write is checked in:

    1. SSE/KEYID/CTX/BK on a part request (UploadPart, UploadPartCopy, Complete)  §3.1 §6.6
    2. SSE-C requested on a bucket that blocks SSE-C -> 403                       §8.4 §11.4
    3. SSE-C together with x-amz-server-side-encryption                           §5.3 row 1
    4. KEYID or CTX without SSE aws:kms / aws:kms:dsse (AES256 + KEYID too)       §4.1 4-5
    5. an SSE value other than AES256 / aws:kms / aws:kms:dsse                    §4.6
    6. the SSE-C triple, then TLS                                                 §5.3 rows 2-8
    7. the context header, then the KMS key id's syntax                           §4.2 §4.5
"""

from __future__ import annotations

from collections.abc import Mapping

from objstore.sse import context as ctx
from objstore.sse import customer_key, errors, keyids, names, triple
from objstore.sse.model import BucketEncryption, ReadRequest, StoredEncryption, WriteRequest

_BASE_LEVEL = BucketEncryption()   # SSE-S3 for every bucket with no setting (AWS since 2023)


def plan_write(headers: Mapping[str, str], *, operation: str,
               bucket_default: BucketEncryption | None, secure: bool,
               require_tls_for_ssec: bool, principal: str | None = None,
               resource: str | None = None) -> WriteRequest:
    """Validate a write's SSE headers and decide its encryption.

    operation: PutObject, CopyObject, CreateMultipartUpload (the destination's encryption),
        or UploadPart, UploadPartCopy, CompleteMultipartUpload (only the SSE-C triple; pass
        the result to `check_part`). The copy *source* is `plan_read`'s.
    bucket_default: the destination bucket's rule; None = never configured (SSE-S3).
    secure: the request came over TLS; require_tls_for_ssec: refuse SSE-C otherwise.
    principal, resource: the requester's ARN and the object's ARN, for AWS's message when
        the bucket blocks SSE-C (without them the 403 says "Access Denied").
    """
    if operation not in names.WRITES:
        raise ValueError(f"not a write operation: {operation!r}")
    h = names.lowered(headers)
    default = bucket_default or _BASE_LEVEL
    part = operation in names.PART_WRITES
    if part:
        for name in names.KMS_HEADERS:
            if name in h:
                raise errors.not_supported(name, h[name])
    ssec = triple.present(h, names.CUSTOMER)
    if ssec and default.blocks_ssec:
        raise errors.ssec_blocked(operation, principal, resource)
    sse = h.get(names.SSE)
    if ssec and sse is not None:
        raise errors.ssec_incompatible(sse)
    if (names.KEY_ID in h or names.CONTEXT in h) and sse not in names.KMS_MODES:
        raise errors.kms_requires_header(sse)
    if sse is not None and sse not in names.SSE_VALUES:
        raise errors.unsupported_method(sse)
    if ssec:
        key = triple.parse(h, names.CUSTOMER, secure=secure, require_tls=require_tls_for_ssec)
        return WriteRequest(operation, names.SSE_C, customer_key=key.key,
                            customer_key_md5=key.md5, explicit=True)
    if part:
        return WriteRequest(operation, None)
    explicit = any(name in h for name in names.KMS_HEADERS)
    mode = sse if sse is not None else default.algorithm or names.AES256
    if mode not in names.KMS_MODES:
        return WriteRequest(operation, mode, explicit=explicit)
    # An explicit aws:kms without KEYID gets alias/aws/s3 even if the bucket default names a
    # key (botocore model doc of SSEKMSKeyId; observed on AWS by aws-cdk #18262/#18340).
    key_id = h.get(names.KEY_ID) if sse is not None else default.kms_master_key_id
    user_context = ctx.parse(h[names.CONTEXT]) if names.CONTEXT in h else {}
    if key_id is not None:
        keyids.check(key_id)
    bucket_key = False
    if mode == names.KMS:   # DSSE-KMS takes the flag but never uses a bucket key (§4.6)
        flag = h.get(names.BUCKET_KEY)
        bucket_key = flag.strip().lower() == "true" if flag is not None \
            else default.bucket_key_enabled
    return WriteRequest(operation, mode, kms_key_id=key_id, context=user_context,
                        bucket_key_enabled=bucket_key, explicit=explicit)


def plan_read(headers: Mapping[str, str], *, operation: str, stored_mode: str | None,
              secure: bool, require_tls_for_ssec: bool) -> ReadRequest:
    """Validate a read's SSE headers against how the object was stored (§5.4).

    operation: GetObject, HeadObject, GetObjectAttributes (the object's own triple), or
        CopyObject, UploadPartCopy (the source's x-amz-copy-source-...-customer-* triple;
        stored_mode is then the source object's).
    stored_mode: StoredEncryption.mode of the object (None: stored unencrypted).
    For an SSE-C object the caller must still `customer_key.check` the returned key.
    """
    if operation not in names.READS:
        raise ValueError(f"not a read operation: {operation!r}")
    h = names.lowered(headers)
    source = operation in names.COPY_READS
    if not source:
        for name in names.KMS_HEADERS:
            if name in h:
                raise errors.not_supported(name, h[name])
    which = names.COPY_SOURCE if source else names.CUSTOMER
    stored_ssec = stored_mode == names.SSE_C
    if not triple.present(h, which):
        if stored_ssec:
            raise errors.invalid_request(errors.KEY_REQUIRED)
        return ReadRequest()
    key = triple.parse(h, which, secure=secure, require_tls=require_tls_for_ssec,
                       allow_bad_length=True)
    if not stored_ssec:
        raise errors.invalid_request(errors.NOT_APPLICABLE)
    if len(key.key) != customer_key.KEY_SIZE:
        raise errors.wrong_key()
    return ReadRequest(key.key, key.md5)


def check_part(request: WriteRequest, upload: StoredEncryption) -> None:
    """A part request's SSE-C against its upload's (§5.5): UploadPart and UploadPartCopy must
    repeat the upload's key exactly; CompleteMultipartUpload may omit it, but a key it sends
    must be the upload's."""
    if request.operation not in names.PART_WRITES:
        raise ValueError(f"not a part operation: {request.operation!r}")
    upload_ssec = upload.mode == names.SSE_C
    if request.mode != names.SSE_C:
        if upload_ssec and request.operation != names.COMPLETE_MULTIPART_UPLOAD:
            raise errors.invalid_request(errors.PART_NEEDS_KEY)
        return
    if not upload_ssec:
        raise errors.invalid_request(errors.PART_NEEDS_KEY)
    salt, stored = upload.customer_key_salt, upload.customer_key_fingerprint
    if request.customer_key is None or salt is None or stored is None:
        raise ValueError("an SSE-C part check needs the key, the salt and the fingerprint")
    if not customer_key.matches(request.customer_key, salt, stored):
        raise errors.invalid_request(errors.PART_KEY_MISMATCH)


def stored_encryption(request: WriteRequest, *, kms_key_arn: str | None = None,
                      customer_key_salt: bytes | None = None) -> StoredEncryption:
    """What to keep with the object (or upload) a planned write creates.

    kms_key_arn: for the KMS modes, the ARN the KMS resolved kms_key_id (or alias/aws/s3) to.
    customer_key_salt: for SSE-C, `customer_key.new_salt()` (the same salt then goes to
        `customer_key.derive_data_key`); only its salted fingerprint is kept, never the key.
    """
    mode = request.mode
    if mode is None:
        raise ValueError("a part request does not choose an encryption")
    if mode in names.KMS_MODES:
        if kms_key_arn is None:
            raise ValueError(f"{mode} needs the resolved key ARN")
        return StoredEncryption(mode, kms_key_arn=kms_key_arn, context=dict(request.context),
                                bucket_key_enabled=request.bucket_key_enabled)
    if mode == names.SSE_C:
        if customer_key_salt is None or request.customer_key is None:
            raise ValueError("SSE-C needs a salt and the customer key")
        return StoredEncryption(mode, customer_key_salt=customer_key_salt,
                                customer_key_fingerprint=customer_key.fingerprint(
                                    request.customer_key, customer_key_salt))
    return StoredEncryption(mode)
