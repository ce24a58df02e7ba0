"""The ImportToken of GetParametersForImport / ImportKeyMaterial.

ImportKeyMaterial carries no WrappingAlgorithm, so the token is where it comes back from.
The token is HMAC-SHA256-authenticated under a server secret (e.g.
`kdf.derive_key(root_key, "import-token")`), so it cannot be forged, altered, or used for
another key. Layout (integers big-endian):

    offset  size  field
    0       4     magic b"OKIT"
    4       1     version (1)
    5       16    key id (raw UUID bytes)
    21      32    SHA-256 of the wrapping public key's SPKI DER
    53      8     expires_at (Unix seconds, unsigned)
    61      1     n = length of the wrapping algorithm name
    62      n     wrapping algorithm name (ASCII)
    62+n    16    token id (random; makes every token distinct)
    78+n    32    HMAC-SHA256(secret, all bytes before it)

Expiry uses the caller's clock (`now`): a token is valid while now < expires_at.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import uuid
from dataclasses import dataclass

from kms.crypto.errors import ExpiredImportToken, InvalidImportToken
from kms.crypto.importing import WRAPPING_ALGORITHMS

MAGIC = b"OKIT"
VERSION = 1
DIGEST_LEN = 32
TOKEN_ID_LEN = 16
MAC_LEN = 32
_U64 = struct.Struct(">Q")
_PREFIX = MAGIC + bytes([VERSION])
_FIXED_LEN = len(_PREFIX) + 16 + DIGEST_LEN + _U64.size + 1 + TOKEN_ID_LEN + MAC_LEN


@dataclass(frozen=True)
class ImportToken:
    """What a genuine token says."""

    key_id: uuid.UUID
    wrapping_key_digest: bytes
    wrapping_algorithm: str
    expires_at: int
    token_id: bytes


def _mac(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, body, hashlib.sha256).digest()


def _check_secret(secret: bytes) -> None:
    if len(secret) < 32:
        raise ValueError("import token secret must be at least 32 bytes")


def make_import_token(secret: bytes, key_id: uuid.UUID, wrapping_public_der_digest: bytes,
                      expires_at: int, *, wrapping_algorithm: str,
                      token_id: bytes | None = None) -> bytes:
    """A token for importing into `key_id` with the wrapping key whose SPKI DER hashes to
    `wrapping_public_der_digest` (`importing.wrapping_key_digest`), by
    `wrapping_algorithm`, until `expires_at`. `token_id` is for fixed test vectors only."""
    _check_secret(secret)
    if len(wrapping_public_der_digest) != DIGEST_LEN:
        raise ValueError(f"wrapping key digest must be {DIGEST_LEN} bytes")
    if wrapping_algorithm not in WRAPPING_ALGORITHMS:
        raise ValueError(f"unknown wrapping algorithm {wrapping_algorithm!r}")
    if token_id is None:
        token_id = os.urandom(TOKEN_ID_LEN)
    elif len(token_id) != TOKEN_ID_LEN:
        raise ValueError(f"token id must be {TOKEN_ID_LEN} bytes")
    name = wrapping_algorithm.encode("ascii")
    body = (_PREFIX + key_id.bytes + bytes(wrapping_public_der_digest)
            + _U64.pack(expires_at) + bytes([len(name)]) + name + bytes(token_id))
    return body + _mac(secret, body)


def check_import_token(secret: bytes, token: bytes, key_id: uuid.UUID,
                       now: float) -> ImportToken:
    """Verify `token` for an import into `key_id` at time `now` (Unix seconds).

    InvalidImportToken: malformed, forged, altered, or issued for another key.
    ExpiredImportToken: genuine and for this key, but now >= expires_at.
    The caller still checks `wrapping_key_digest` names the wrapping key it holds."""
    _check_secret(secret)
    token = bytes(token)
    if len(token) < _FIXED_LEN or not token.startswith(_PREFIX):
        raise InvalidImportToken("not an import token")
    body, tag = token[:-MAC_LEN], token[-MAC_LEN:]
    if not hmac.compare_digest(_mac(secret, body), tag):
        raise InvalidImportToken("import token is not genuine")
    at = len(_PREFIX)
    token_key = uuid.UUID(bytes=body[at:at + 16])
    at += 16
    digest = body[at:at + DIGEST_LEN]
    at += DIGEST_LEN
    (expires_at,) = _U64.unpack_from(body, at)
    at += _U64.size
    name_len = body[at]
    at += 1
    if len(body) != at + name_len + TOKEN_ID_LEN:
        raise InvalidImportToken("import token has an inconsistent length")
    name = body[at:at + name_len].decode("ascii", errors="replace")
    token_id = body[at + name_len:]
    if token_key != key_id:
        raise InvalidImportToken("import token was issued for another key")
    if now >= expires_at:
        raise ExpiredImportToken("import token has expired")
    return ImportToken(token_key, digest, name, expires_at, token_id)
