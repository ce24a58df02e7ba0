"""The SSE layer's data: a bucket's default encryption, a planned write, a planned read,
and the encryption attributes stored with an object or a multipart upload."""

from __future__ import annotations

from dataclasses import dataclass, field

from objstore.sse import names

BLOCKED_TYPES = frozenset({"NONE", names.SSE_C})


@dataclass(frozen=True)
class BucketEncryption:
    """One ServerSideEncryptionConfiguration rule (PutBucketEncryption, s3-sse.md §8.1).

    `algorithm` None: the rule has no ApplyServerSideEncryptionByDefault (only
    BlockedEncryptionTypes), so objects get the SSE-S3 base level.
    """

    algorithm: str | None = names.AES256          # SSEAlgorithm
    kms_master_key_id: str | None = None          # KMSMasterKeyID, as configured
    bucket_key_enabled: bool = False              # BucketKeyEnabled
    blocked_encryption_types: tuple[str, ...] = ()  # BlockedEncryptionTypes/EncryptionType

    def __post_init__(self) -> None:
        if self.algorithm is not None and self.algorithm not in names.SSE_VALUES:
            raise ValueError(f"unsupported SSEAlgorithm {self.algorithm!r}")
        if self.kms_master_key_id is not None and self.algorithm not in names.KMS_MODES:
            raise ValueError("KMSMasterKeyID needs SSEAlgorithm aws:kms or aws:kms:dsse")
        unknown = set(self.blocked_encryption_types) - BLOCKED_TYPES
        if unknown:
            raise ValueError(f"unknown EncryptionType {sorted(unknown)}")

    @property
    def blocks_ssec(self) -> bool:
        return names.SSE_C in self.blocked_encryption_types


@dataclass(frozen=True)
class WriteRequest:
    """What a write asked for, validated: the result of `plan_write`.

    mode: "AES256" | "aws:kms" | "aws:kms:dsse" | "SSE-C"; None only for UploadPart,
        UploadPartCopy and CompleteMultipartUpload without SSE-C headers (the upload's
        encryption applies; `check_part` compares).
    kms_key_id: for the KMS modes, the key as the request or the bucket default named it
        (key id, key ARN, alias name or alias ARN); None means the AWS-managed alias/aws/s3.
    context: the user's encryption context pairs (without S3's own aws:s3:arn pair).
    bucket_key_enabled: use an S3 Bucket Key (only ever True for aws:kms).
    customer_key: the 32 raw SSE-C key bytes. Memory only: never store, log or echo it.
    customer_key_md5: base64 MD5 of the key as the client sent it (for the response echo).
    explicit: the request named any SSE header (CopyObject onto itself is then legal).
    """

    operation: str
    mode: str | None
    kms_key_id: str | None = None
    context: dict[str, str] = field(default_factory=dict)
    bucket_key_enabled: bool = False
    customer_key: bytes | None = field(default=None, repr=False)
    customer_key_md5: str | None = None
    explicit: bool = False


@dataclass(frozen=True)
class ReadRequest:
    """The SSE-C key a read (or a copy's source) supplied: the result of `plan_read`.
    Both None when the object is not SSE-C."""

    customer_key: bytes | None = field(default=None, repr=False)
    customer_key_md5: str | None = None


@dataclass(frozen=True)
class StoredEncryption:
    """The encryption attributes kept with an object or a multipart upload, as far as the
    SSE layer needs them (the wrapped data keys, material ids and the full KMS context are
    the wiring's to store beside these).

    mode: as in WriteRequest; None for an object stored before encryption existed.
    kms_key_arn: the full key ARN the KMS resolved (what responses report).
    context: the user's pairs, echoed by PutObject/CopyObject/CreateMultipartUpload.
    customer_key_salt / customer_key_fingerprint: SSE-C only (see customer_key.py). The
        key MD5 is deliberately not here: every SSE-C request carries it, so responses
        echo the request's value and nothing key-derived but the salted HMAC is stored.
    """

    mode: str | None
    kms_key_arn: str | None = None
    context: dict[str, str] = field(default_factory=dict)
    bucket_key_enabled: bool = False
    customer_key_salt: bytes | None = None
    customer_key_fingerprint: bytes | None = None
