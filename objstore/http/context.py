"""What every handler shares: the store, the worker threads, the identities, settings."""

from __future__ import annotations

import hashlib
from concurrent.futures import Executor
from dataclasses import dataclass
from xml.sax.saxutils import escape

from aiohttp import web

from objstore.auth.identities import IdentityStore
from objstore.storage.store import Store


@dataclass
class ServerContext:
    store: Store
    identities: IdentityStore
    executor: Executor
    region: str


CONTEXT = web.AppKey("context", ServerContext)


def canonical_id(owner_arn: str) -> str:
    """A stable 64-hex canonical user id, as S3 shows owners."""
    return hashlib.sha256(owner_arn.encode()).hexdigest()


def owner_xml(owner_arn: str) -> str:
    name = owner_arn.rsplit("/", 1)[-1] if "/" in owner_arn else owner_arn.rsplit(":", 1)[-1]
    return (f"<Owner><ID>{canonical_id(owner_arn)}</ID>"
            f"<DisplayName>{escape(name)}</DisplayName></Owner>")
