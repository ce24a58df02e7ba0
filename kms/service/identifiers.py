"""Key identifiers in their four forms: key id, key ARN, alias name, alias ARN."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from kms.service.errors import KmsError, not_found

_KEY_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ARN = re.compile(r"^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):(key/.+|alias/.+)$")
ALIAS_PREFIX = "alias/"
RESERVED_ALIAS_PREFIX = "alias/aws/"
_ALIAS_NAME = re.compile(r"^alias/[a-zA-Z0-9/_-]+$")


@dataclass(frozen=True)
class Identifier:
    kind: str          # "key" or "alias"
    value: str         # key id, or alias name (alias/...)
    region: str | None
    account: str | None


def parse(text: str, *, allow_alias: bool = True) -> Identifier:
    """Parse a KeyId parameter; NotFoundException for what cannot name a key."""
    if _KEY_ID.match(text):
        return Identifier("key", text, None, None)
    if text.startswith(ALIAS_PREFIX) and allow_alias:
        return Identifier("alias", text, None, None)
    if text.startswith("arn:"):
        match = _ARN.match(text)
        if match is None:
            raise KmsError("InvalidArnException", f"Invalid arn {text}")
        _, region, account, resource = match.groups()
        if resource.startswith("key/"):
            if not _KEY_ID.match(resource[4:]):
                raise not_found(f"Invalid keyId {text}")
            return Identifier("key", resource[4:], region, account)
        if allow_alias:
            return Identifier("alias", resource, region, account)
    raise not_found(f"Invalid keyId {text}")


def check_alias_name(name: str, *, customer: bool = True) -> None:
    if not _ALIAS_NAME.match(name) or len(name) > 256:
        raise KmsError("ValidationException",
                       f"1 validation error detected: Value '{name}' at 'aliasName' failed "
                       "to satisfy constraint: Member must satisfy regular expression "
                       "pattern: ^alias/[a-zA-Z0-9/_-]+$")
    if customer and name.startswith(RESERVED_ALIAS_PREFIX):
        raise KmsError("InvalidAliasNameException",
                       f"Alias {name} must not begin with '{RESERVED_ALIAS_PREFIX}'; that "
                       "prefix is reserved for AWS managed keys.")


def new_key_id() -> str:
    return str(uuid.uuid4())
