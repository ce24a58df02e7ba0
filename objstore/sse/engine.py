"""From a planned write to a data key, and from a stored object back to it: the one place
the object store calls the KMS (in-process, as S3 calls KMS on AWS, marked as invoked by
S3 and tied to the S3 request id). Blocking: run these in the KMS's worker thread.

What is kept with an object (ObjectRecord.attrs["sse"], JSON):
  mode, kms_key_arn, context (the user's pairs), bucket_key_enabled   (what S3 reports)
  kms_context (the full context given to the KMS), wrapped_key (base64), material_id
  wrapped_keys (DSSE-KMS: the outer layer's data key, wrapped; the inner one is wrapped_key)
  bucket_key (with an S3 Bucket Key: the bucket key's KMS ciphertext blob; wrapped_key is
    then the object's data key wrapped by the bucket key, and kms_context the bucket's)
  customer_key_salt, customer_key_fingerprint (base64; SSE-C: never the key itself)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from kms.service.caller import Caller
from kms.service.errors import KmsError
from kms.service.service import KmsService
from objstore.sse import bucket_keys as bk
from objstore.sse import context as ctx
from objstore.sse import customer_key, errors, names
from objstore.sse.bucket_keys import BucketKey, BucketKeyCache
from objstore.sse.errors import SseError
from objstore.sse.model import ReadRequest, StoredEncryption, WriteRequest
from objstore.sse.request import stored_encryption
from objstore.sse.streams import DataKeys

DEFAULT_KMS_KEY = "alias/aws/s3"
S3_SERVICE = "s3.amazonaws.com"


@dataclass(frozen=True)
class DataKey:
    """The plaintext data keys (memory only; two layers for DSSE-KMS) and what to store
    with the object."""

    keys: DataKeys
    stored: StoredEncryption
    attrs: dict[str, Any]

    def etag(self, md5: bytes) -> str:
        """S3's ETag: the MD5 for SSE-S3; for SSE-KMS and SSE-C a stable value that is not
        the MD5 of the data (the MD5 would leak what the plaintext is)."""
        if self.stored.mode == names.AES256:
            return md5.hex()
        return hmac.new(self.keys[0], b"etag" + md5, hashlib.sha256).digest()[:16].hex()


def kms_caller(identity_arn: str, account_id: str, user_name: str, region: str,
               request_id: str) -> Caller:
    return Caller(arn=identity_arn, account_id=account_id, user_name=user_name,
                  region=region, invoked_by=S3_SERVICE, request_id=request_id)


def new_data_key(kms: KmsService, caller: Caller, plan: WriteRequest, *, bucket: str,
                 key: str, bucket_keys: BucketKeyCache | None = None) -> DataKey:
    mode = plan.mode
    if mode == names.KMS and plan.bucket_key_enabled:
        return _under_bucket_key(kms, caller, plan, bucket, key,
                                 bucket_keys or BucketKeyCache())
    if mode == names.SSE_C:
        assert plan.customer_key is not None
        salt = customer_key.new_salt()
        stored = stored_encryption(plan, customer_key_salt=salt)
        return DataKey((customer_key.derive_data_key(plan.customer_key, salt),), stored,
                       _attrs(stored))
    full_context = ctx.kms_context(plan.context, bucket=bucket, key=key, bucket_key=False)
    if mode == names.AES256:
        data_key = os.urandom(32)
        wrapped = kms.seal_with_store_key(data_key, full_context)
        stored = stored_encryption(plan)
        return DataKey((data_key,), stored, _attrs(stored, full_context, wrapped))
    if mode in names.KMS_MODES:
        _check_region(plan.kms_key_id, caller.region)
        # DSSE-KMS: a second, independent data key for the second layer
        layers = 2 if mode == names.KMS_DSSE else 1
        try:
            made = [kms.generate_data_key(caller, key_id=plan.kms_key_id or DEFAULT_KMS_KEY,
                                          key_spec="AES_256",
                                          encryption_context=full_context)
                    for _ in range(layers)]
        except KmsError as error:
            raise kms_failure(error) from None
        stored = stored_encryption(plan, kms_key_arn=made[0]["KeyId"])
        attrs = _attrs(stored, full_context, made[0]["CiphertextBlob"],
                       made[0].get("KeyMaterialId"))
        if layers == 2:
            attrs["wrapped_keys"] = [base64.b64encode(m["CiphertextBlob"]).decode()
                                     for m in made[1:]]
        return DataKey(tuple(m["Plaintext"] for m in made), stored, attrs)
    raise SseError("NotImplemented", f"{mode} is not implemented by this server yet.", 501,
                   {})


def _check_region(key_id: str | None, region: str) -> None:
    """S3 answers a key ARN of another region in its own words, before asking the KMS."""
    if key_id and key_id.startswith("arn:") and key_id.count(":") >= 5:
        key_region = key_id.split(":")[3]
        if key_region != region:
            raise errors.key_in_other_region(key_region)


def _under_bucket_key(kms: KmsService, caller: Caller, plan: WriteRequest, bucket: str,
                      key: str, cache: BucketKeyCache,
                      data_key: bytes | None = None) -> DataKey:
    """A data key for the object (random, unless given), wrapped by the requester's bucket
    key for this bucket, KMS key and context (one GenerateDataKey per bucket key's
    lifetime)."""
    context = ctx.kms_context(plan.context, bucket=bucket, key=key, bucket_key=True)
    key_id = plan.kms_key_id or DEFAULT_KMS_KEY
    _check_region(key_id, caller.region)
    scope = bk.write_scope(caller.arn, bucket, key_id, context)
    try:
        kept = cache.get(scope)
        if kept is None:
            made = kms.generate_data_key(caller, key_id=key_id, key_spec="AES_256",
                                         encryption_context=context)
            kept = BucketKey(made["Plaintext"], made["CiphertextBlob"], made["KeyId"],
                             made.get("KeyMaterialId"), cache.now())
            cache.put(scope, kept)
            cache.put(bk.read_scope(caller.arn, kept.wrapped), kept)
        else:
            kms.check_key_usable(kept.kms_key_arn, "GenerateDataKey")
    except KmsError as error:
        raise kms_failure(error) from None
    data_key = data_key or os.urandom(32)
    stored = stored_encryption(plan, kms_key_arn=kept.kms_key_arn)
    attrs = _attrs(stored, context, bk.wrap(kept.plaintext, data_key), kept.material_id)
    attrs["bucket_key"] = base64.b64encode(kept.wrapped).decode()
    return DataKey((data_key,), stored, attrs)


def _open_bucket_key(kms: KmsService, caller: Caller, attrs: dict[str, Any],
                     cache: BucketKeyCache) -> bytes:
    wrapped = base64.b64decode(attrs["bucket_key"])
    scope = bk.read_scope(caller.arn, wrapped)
    kept = cache.get(scope)
    if kept is None:
        opened = kms.decrypt(caller, ciphertext_blob=wrapped,
                             encryption_context=attrs["kms_context"])
        kept = BucketKey(opened["Plaintext"], wrapped, opened["KeyId"],
                         attrs.get("material_id"), cache.now())
        cache.put(scope, kept)
    else:
        kms.check_key_usable(kept.kms_key_arn, "Decrypt")
    return bk.unwrap(kept.plaintext, base64.b64decode(attrs["wrapped_key"]))


def open_data_key(kms: KmsService, caller: Caller, attrs: dict[str, Any],
                  read: ReadRequest, bucket_keys: BucketKeyCache | None = None) -> DataKeys:
    """The data keys of a stored object (SSE-C: after checking the request's key)."""
    mode = attrs["mode"]
    if mode == names.SSE_C:
        assert read.customer_key is not None
        salt = base64.b64decode(attrs["customer_key_salt"])
        customer_key.check(read.customer_key, salt,
                           base64.b64decode(attrs["customer_key_fingerprint"]))
        return (customer_key.derive_data_key(read.customer_key, salt),)
    try:
        if mode == names.AES256:
            return (kms.open_with_store_key(base64.b64decode(attrs["wrapped_key"]),
                                            attrs["kms_context"]),)
        if "bucket_key" in attrs:
            return (_open_bucket_key(kms, caller, attrs, bucket_keys or BucketKeyCache()),)
        return tuple(kms.decrypt(caller, ciphertext_blob=base64.b64decode(blob),
                                 encryption_context=attrs["kms_context"])["Plaintext"]
                     for blob in [attrs["wrapped_key"], *attrs.get("wrapped_keys", [])])
    except KmsError as error:
        raise kms_failure(error) from None


REWRAPPABLE = frozenset({names.AES256, names.KMS})
KEPT_ATTRS = ("sealed_checksums",)   # sealed under the data key, which does not change


def rewrap(kms: KmsService, caller: Caller, attrs: dict[str, Any], *, kms_key_id: str,
           bucket_key: bool, bucket: str, key: str,
           bucket_keys: BucketKeyCache | None = None) -> DataKey:
    """A stored SSE-S3 or SSE-KMS object moved under another KMS key (UpdateObjectEncryption,
    `objstore rewrap`): its data key is opened and wrapped again (KMS Decrypt, then
    Encrypt, or the requester's bucket key), so no byte of data is rewritten and the ETag
    and sealed checksums stay valid. The user's encryption context is kept."""
    if attrs["mode"] not in REWRAPPABLE:
        raise ValueError(f"cannot re-wrap a {attrs['mode']} object")
    (data_key,) = open_data_key(kms, caller, attrs, ReadRequest(), bucket_keys)
    plan = WriteRequest(names.COPY_OBJECT, names.KMS, kms_key_id=kms_key_id,
                        context=dict(attrs.get("context", {})),
                        bucket_key_enabled=bucket_key, explicit=True)
    if bucket_key:
        made = _under_bucket_key(kms, caller, plan, bucket, key,
                                 bucket_keys or BucketKeyCache(), data_key)
    else:
        context = ctx.kms_context(plan.context, bucket=bucket, key=key, bucket_key=False)
        try:
            wrapped = kms.encrypt(caller, key_id=kms_key_id, plaintext=data_key,
                                  encryption_context=context)
        except KmsError as error:
            raise kms_failure(error) from None
        stored = stored_encryption(plan, kms_key_arn=wrapped["KeyId"])
        record = kms.snapshot().get_key(wrapped["KeyId"].rsplit("/", 1)[-1])
        made = DataKey((data_key,), stored,
                       _attrs(stored, context, wrapped["CiphertextBlob"],
                              record.current_material_id if record else None))
    made.attrs.update({name: attrs[name] for name in KEPT_ATTRS if name in attrs})
    return made


def stored_of(attrs: dict[str, Any] | None) -> StoredEncryption | None:
    if not attrs:
        return None
    salt, fingerprint = attrs.get("customer_key_salt"), attrs.get("customer_key_fingerprint")
    return StoredEncryption(attrs["mode"], kms_key_arn=attrs.get("kms_key_arn"),
                            context=dict(attrs.get("context", {})),
                            bucket_key_enabled=attrs.get("bucket_key_enabled", False),
                            customer_key_salt=base64.b64decode(salt) if salt else None,
                            customer_key_fingerprint=base64.b64decode(fingerprint)
                            if fingerprint else None)


def kms_failure(error: KmsError) -> SseError:
    """How S3 passes a KMS failure on (s3-sse.md §4.5): KMS.<Type> with status 400, and a
    policy denial as 403 AccessDenied."""
    if error.type_name == "AccessDeniedException":
        return SseError("AccessDenied", error.message, 403, {})
    return SseError(f"KMS.{error.type_name}", error.message or error.type_name, 400, {})


def _attrs(stored: StoredEncryption, kms_context: dict[str, str] | None = None,
           wrapped: bytes | None = None, material_id: str | None = None) -> dict[str, Any]:
    attrs: dict[str, Any] = {"mode": stored.mode}
    if stored.kms_key_arn:
        attrs["kms_key_arn"] = stored.kms_key_arn
    if stored.context:
        attrs["context"] = dict(stored.context)
    if stored.bucket_key_enabled:
        attrs["bucket_key_enabled"] = True
    if kms_context is not None:
        attrs["kms_context"] = kms_context
    if wrapped is not None:
        attrs["wrapped_key"] = base64.b64encode(wrapped).decode()
    if material_id:
        attrs["material_id"] = material_id
    if stored.customer_key_salt is not None:
        attrs["customer_key_salt"] = base64.b64encode(stored.customer_key_salt).decode()
    if stored.customer_key_fingerprint is not None:
        attrs["customer_key_fingerprint"] = base64.b64encode(
            stored.customer_key_fingerprint).decode()
    return attrs
