"""The Amazon S3 Encryption Client's V2 envelope for `kms+context` objects: the user
metadata that travels with the ciphertext, written and read back.

    x-amz-key-v2                     base64 of the KMS CiphertextBlob of the data key
    x-amz-iv                         base64 of the 12-byte GCM IV
    x-amz-cek-alg                    AES/GCM/NoPadding
    x-amz-wrap-alg                   kms+context
    x-amz-matdesc                    the KMS encryption context, as JSON: the caller's pairs
                                     plus {"aws:x-amz-cek-alg": "AES/GCM/NoPadding"}
    x-amz-tag-len                    128 (the tag is appended to the ciphertext)
    x-amz-unencrypted-content-length the plaintext's size (when known before the upload)

(On the wire each name has the `x-amz-meta-` prefix; boto3 adds and removes it.) Reading
follows the client's rule: the stored context, without its reserved keys, must equal the
context the reader gives, before the KMS is even asked.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass

from objstore.cse_format.errors import ClientSideError

KEY_V2 = "x-amz-key-v2"
IV = "x-amz-iv"
CEK_ALG = "x-amz-cek-alg"
WRAP_ALG = "x-amz-wrap-alg"
MATDESC = "x-amz-matdesc"
TAG_LEN = "x-amz-tag-len"
PLAINTEXT_LENGTH = "x-amz-unencrypted-content-length"

CONTENT_ALGORITHM = "AES/GCM/NoPadding"
WRAP_ALGORITHM = "kms+context"
TAG_BITS = 128
IV_BYTES = 12
CEK_ALG_CONTEXT_KEY = "aws:x-amz-cek-alg"
RESERVED = frozenset({CEK_ALG_CONTEXT_KEY, "kms_cmk_id"})


def kms_context(context: Mapping[str, str] | None) -> dict[str, str]:
    """The encryption context the data key is wrapped under: the caller's plus the content
    algorithm (a reserved key the caller may not set)."""
    context = dict(context or {})
    clash = RESERVED & context.keys()
    if clash:
        raise ClientSideError(f"{', '.join(sorted(clash))} is a reserved key of the S3 "
                              "Encryption Client's encryption context")
    return {**context, CEK_ALG_CONTEXT_KEY: CONTENT_ALGORITHM}


def metadata(wrapped_key: bytes, iv: bytes, context: Mapping[str, str],
             plaintext_length: int | None) -> dict[str, str]:
    """The user metadata of an object (names without `x-amz-meta-`). `context` is the full
    KMS context (`kms_context(...)`)."""
    meta = {
        KEY_V2: base64.b64encode(wrapped_key).decode(),
        IV: base64.b64encode(iv).decode(),
        CEK_ALG: CONTENT_ALGORITHM,
        WRAP_ALG: WRAP_ALGORITHM,
        MATDESC: json.dumps(dict(context), separators=(",", ":"), sort_keys=True),
        TAG_LEN: str(TAG_BITS),
    }
    if plaintext_length is not None:
        meta[PLAINTEXT_LENGTH] = str(plaintext_length)
    return meta


@dataclass(frozen=True)
class Envelope:
    """An envelope read back: what decryption needs."""

    wrapped_key: bytes
    iv: bytes
    context: dict[str, str]        # the full KMS encryption context
    plaintext_length: int | None


def read(meta: Mapping[str, str], context: Mapping[str, str] | None) -> Envelope:
    """Check an object's metadata is a V2 kms+context AES-GCM envelope and that `context`
    (the reader's) is the one it was written with; ClientSideError otherwise."""
    meta = {name.lower(): value for name, value in meta.items()}
    if KEY_V2 not in meta or IV not in meta:
        raise ClientSideError("the object carries no S3 Encryption Client V2 envelope "
                              f"({KEY_V2} and {IV} metadata)")
    for name, wanted in ((CEK_ALG, CONTENT_ALGORITHM), (WRAP_ALG, WRAP_ALGORITHM),
                         (TAG_LEN, str(TAG_BITS))):
        if meta.get(name) != wanted:
            raise ClientSideError(f"unsupported envelope: {name} is {meta.get(name)!r}, "
                                  f"this helper reads {wanted!r}")
    try:
        stored = json.loads(meta.get(MATDESC, "{}"))
        wrapped, iv = base64.b64decode(meta[KEY_V2], validate=True), \
            base64.b64decode(meta[IV], validate=True)
    except (ValueError, binascii.Error):
        raise ClientSideError("damaged envelope: bad JSON or base64 in the metadata") from None
    if not isinstance(stored, dict) or stored.get(CEK_ALG_CONTEXT_KEY) != CONTENT_ALGORITHM:
        raise ClientSideError(f"damaged envelope: {MATDESC} does not bind the content "
                              "algorithm")
    if len(iv) != IV_BYTES:
        raise ClientSideError(f"damaged envelope: the IV is {len(iv)} bytes, not {IV_BYTES}")
    given = {k: v for k, v in stored.items() if k not in RESERVED}
    if given != dict(context or {}):
        raise ClientSideError("the encryption context given does not match the one the "
                              "object was encrypted with")
    length = meta.get(PLAINTEXT_LENGTH)
    return Envelope(wrapped, iv, {str(k): str(v) for k, v in stored.items()},
                    int(length) if length and length.isdigit() else None)
