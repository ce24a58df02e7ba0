"""What a grant is allowed to say and what it allows: the grant operations each kind of
key supports, encryption-context constraints, the principals a grant names, grant ids and
grant tokens. Pure rules: no store, no clock."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from kms.crypto import kdf
from kms.service.errors import KmsError, validation
from kms.store.records import GrantRecord, KeyRecord

SYMMETRIC = "SYMMETRIC_DEFAULT"
EQUALS = "EncryptionContextEquals"
SUBSET = "EncryptionContextSubset"
MAX_CONSTRAINT_PAIRS = 8
MAX_CONSTRAINT_VALUE = 384

# Every key allows these in a grant; encryption-context constraints never apply to them.
COMMON_OPERATIONS = frozenset({"CreateGrant", "DescribeKey", "RetireGrant"})
# The operations of a symmetric encryption key: all of them take an encryption context.
CONTEXT_OPERATIONS = frozenset({
    "Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext"})
_BY_USAGE = {
    "ENCRYPT_DECRYPT": frozenset({"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo",
                                  "GetPublicKey"}),
    "SIGN_VERIFY": frozenset({"Sign", "Verify", "GetPublicKey"}),
    "GENERATE_VERIFY_MAC": frozenset({"GenerateMac", "VerifyMac"}),
    "KEY_AGREEMENT": frozenset({"DeriveSharedSecret", "GetPublicKey"}),
    "ENCAPSULATE_DECAPSULATE": frozenset({"Encapsulate", "Decapsulate", "GetPublicKey"}),
}

_GRANT_ID = re.compile(r"^[0-9a-f]{64}$")
_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}):.+$")

_TOKEN_MAGIC = b"OKGT\x01"
_TOKEN_NONCE_LEN = 16
_MAC_LEN = 32
_TOKEN_LEN = len(_TOKEN_MAGIC) + 32 + _TOKEN_NONCE_LEN + _MAC_LEN


# -- operations --------------------------------------------------------------------------

def key_operations(key: KeyRecord) -> frozenset[str]:
    """The grant operations a key supports (AWS answers others with a validation error)."""
    if key.key_spec == SYMMETRIC:
        return CONTEXT_OPERATIONS | COMMON_OPERATIONS
    return _BY_USAGE.get(key.key_usage, frozenset()) | COMMON_OPERATIONS


def check_operations(operations: Iterable[str], key: KeyRecord) -> list[str]:
    """The operations once each, in the order given; ValidationException for an empty list
    or an operation the key does not support."""
    unique = list(dict.fromkeys(operations))
    if not unique:
        raise validation("1 validation error detected: Value '[]' at 'operations' failed to "
                         "satisfy constraint: Member must have length greater than or equal "
                         "to 1")
    unsupported = [op for op in unique if op not in key_operations(key)]
    if unsupported:
        raise validation(f"Grant operations {unsupported} are not valid for {key.arn}: its "
                         f"KeySpec is {key.key_spec} and its KeyUsage is {key.key_usage}.")
    return unique


# -- constraints -------------------------------------------------------------------------

def check_constraints(constraints: Mapping[str, Any] | None,
                      key: KeyRecord) -> dict[str, dict[str, str]] | None:
    """The constraints as stored (None for none); ValidationException for what AWS refuses:
    both kinds at once, more than 8 pairs, a value over 384 characters, or any encryption
    context constraint on a key that is not a symmetric encryption key."""
    if not constraints:
        return None
    if "SourceArn" in constraints:
        raise KmsError("UnsupportedOperationException",
                       "SourceArn grant constraints are not supported by this KMS.")
    unknown = sorted(set(constraints) - {EQUALS, SUBSET})
    if unknown:
        raise validation(f"Unknown grant constraints: {', '.join(unknown)}.")
    if len(constraints) > 1:
        raise validation(f"Specify either {EQUALS} or {SUBSET}, not both.")
    (kind, pairs), = constraints.items()
    if key.key_spec != SYMMETRIC:
        raise validation("Encryption context grant constraints are valid only for symmetric "
                         f"encryption KMS keys; {key.arn} is {key.key_spec}.")
    if len(pairs) > MAX_CONSTRAINT_PAIRS:
        raise validation(f"{kind} can have at most {MAX_CONSTRAINT_PAIRS} pairs.")
    if any(len(value) > MAX_CONSTRAINT_VALUE for value in pairs.values()):
        raise validation(f"{kind} values can have at most {MAX_CONSTRAINT_VALUE} characters.")
    return {kind: dict(pairs)}


def context_satisfies(constraints: Mapping[str, Mapping[str, str]] | None,
                      context: Mapping[str, str] | None) -> bool:
    """The request's encryption context meets the grant's constraint. As on AWS, keys are
    compared case-insensitively, values case-sensitively."""
    if not constraints:
        return True
    given = _folded(context or {})
    if EQUALS in constraints:
        return len(given) == len(context or {}) and given == _folded(constraints[EQUALS])
    return _folded(constraints[SUBSET]).items() <= given.items()


def at_least_as_strict(child: Mapping[str, Mapping[str, str]] | None,
                       parent: Mapping[str, Mapping[str, str]] | None) -> bool:
    """Every context the child constraint admits, the parent admits too: a Subset child may
    add pairs or become Equals, never the reverse."""
    if child and EQUALS in child:
        return context_satisfies(parent, child[EQUALS])
    if parent and EQUALS in parent:
        return False
    return context_satisfies(parent, (child or {}).get(SUBSET, {}))


def _folded(context: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in context.items()}


# -- what a grant allows -------------------------------------------------------------------

def allows(grant: GrantRecord, action: str, context: Mapping[str, str] | None,
           child: GrantRecord | None = None) -> bool:
    """The grant lets its grantee do `action` with this encryption context. For CreateGrant,
    `child` is the grant asked for: a grant only delegates what it has, at least as
    strictly."""
    if action not in grant.operations:
        return False
    if action == "CreateGrant" and child is not None:
        return set(child.operations) <= set(grant.operations) and \
            at_least_as_strict(child.constraints, grant.constraints)
    if action in CONTEXT_OPERATIONS:
        return context_satisfies(grant.constraints, context)
    return True


def may_retire(grant: GrantRecord, caller_arn: str, caller_account: str) -> bool:
    """RetireGrant's own rule: the retiring principal, the grantee if the grant includes
    RetireGrant, or the account that issued the grant (its root)."""
    if grant.retiring_principal and names(grant.retiring_principal, caller_arn, caller_account):
        return True
    if "RetireGrant" in grant.operations and \
            names(grant.grantee_principal, caller_arn, caller_account):
        return True
    return caller_arn == grant.issuing_account


# -- principals ----------------------------------------------------------------------------

def root_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def names(principal: str, caller_arn: str, caller_account: str) -> bool:
    """A grant's principal means the caller: their own ARN, or their account's root ARN
    (a grant to an account is a grant to its principals)."""
    return principal in (caller_arn, root_arn(caller_account))


def check_principal(principal: str) -> str:
    """The account of a principal ARN; InvalidArnException for anything else."""
    match = _PRINCIPAL.match(principal)
    if match is None:
        raise KmsError("InvalidArnException",
                       f"ARN does not refer to a valid principal: {principal}")
    return match.group(2)


# -- grant ids and tokens ------------------------------------------------------------------

def new_grant_id() -> str:
    return os.urandom(32).hex()


def check_grant_id(grant_id: str) -> None:
    if not _GRANT_ID.match(grant_id):
        raise KmsError("InvalidGrantIdException", f"Invalid grant ID: {grant_id}")


def token_secret(root_key: bytes) -> bytes:
    return kdf.derive_key(root_key, "grant-token")


def check_tokens(root_key: bytes, tokens: Iterable[str]) -> None:
    """InvalidGrantTokenException unless every token is genuine."""
    tokens = list(tokens)
    if tokens:
        secret = token_secret(root_key)
        for token in tokens:
            token_grant_id(secret, token)


def new_token(secret: bytes, grant_id: str) -> str:
    """A fresh token for a grant (every CreateGrant answers a new one; all are
    interchangeable): the grant id, a nonce and an HMAC, base64url without padding."""
    body = _TOKEN_MAGIC + bytes.fromhex(grant_id) + os.urandom(_TOKEN_NONCE_LEN)
    mac = hmac.new(secret, body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(body + mac).rstrip(b"=").decode("ascii")


def token_grant_id(secret: bytes, token: str) -> str:
    """The grant a genuine token names; InvalidGrantTokenException for any other string."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    body, mac = raw[:-_MAC_LEN], raw[-_MAC_LEN:]
    if len(raw) != _TOKEN_LEN or not body.startswith(_TOKEN_MAGIC) or \
            not hmac.compare_digest(hmac.new(secret, body, hashlib.sha256).digest(), mac):
        raise KmsError("InvalidGrantTokenException", "The grant token is not valid.")
    start = len(_TOKEN_MAGIC)
    return body[start:start + 32].hex()
