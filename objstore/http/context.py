"""What every handler shares: the store, the worker threads, the identities, settings."""

from __future__ import annotations

import hashlib
from concurrent.futures import Executor
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from aiohttp import web

from kms.api.dispatch import KmsApi
from kms.service.service import KmsService
from objstore.auth.identities import Identity, IdentityStore
from objstore.sse.bucket_keys import BucketKeyCache
from objstore.storage.store import Store


@dataclass
class ServerContext:
    store: Store
    identities: IdentityStore
    executor: Executor
    region: str
    domain: str  # virtual-hosted requests: Host `bucket.<domain>`
    kms: KmsService
    kms_api: KmsApi
    kms_executor: Executor  # one thread: KMS calls run one at a time
    require_tls_for_sse_c: bool = False  # refuse SSE-C over plain HTTP, as AWS does
    # SSE-S3 for objects with no other setting, as AWS since 2023; None (`serve
    # --default-encryption none`, not an AWS behaviour) stores them as sent
    default_encryption: str | None = "AES256"
    bucket_keys: BucketKeyCache = field(default_factory=BucketKeyCache)  # S3 Bucket Keys


CONTEXT = web.AppKey("context", ServerContext)


def canonical_id(owner_arn: str) -> str:
    """A stable 64-hex canonical user id, as S3 shows owners: one per account."""
    account = owner_arn.split(":")[4] if owner_arn.count(":") >= 5 else owner_arn
    return hashlib.sha256(account.encode()).hexdigest()


def account_arn(identity: Identity) -> str:
    """Buckets belong to accounts, not to the users in them."""
    return f"arn:aws:iam::{identity.account_id}:root"


def owner_xml(owner_arn: str) -> str:
    name = owner_arn.rsplit("/", 1)[-1] if "/" in owner_arn else owner_arn.rsplit(":", 1)[-1]
    return (f"<Owner><ID>{canonical_id(owner_arn)}</ID>"
            f"<DisplayName>{escape(name)}</DisplayName></Owner>")
