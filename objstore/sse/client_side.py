"""Client-side encrypted objects: recognising the Amazon S3 Encryption Client's envelope in an
object's user metadata. Pure: no I/O, no KMS.

The client encrypts before uploading and keeps what it needs to decrypt as user metadata
(`x-amz-meta-x-amz-key-v2: ...` on the wire). This store keeps user-metadata names lower
case and without the `x-amz-meta-` prefix, so the envelope arrives here as `x-amz-key-v2`,
`x-amz-iv`, ... The rule is the S3 Encryption Client specification's
(s3-encryption/data-format/content-metadata.md):

* V1: `x-amz-key` and `x-amz-iv`          (+ `x-amz-matdesc`, optional `x-amz-cek-alg`)
* V2: `x-amz-key-v2` and `x-amz-iv`       (+ `x-amz-matdesc`, `x-amz-cek-alg`,
  `x-amz-wrap-alg`, `x-amz-tag-len` for GCM, optional `x-amz-unencrypted-content-length`)
* V3: `x-amz-3`, `x-amz-d` and `x-amz-i`  (compressed names, key commitment)

With the `kms` and `kms+context` wrap algorithms the material description (`x-amz-matdesc`,
V3: `x-amz-t`) is the KMS encryption context the data key was wrapped under; `kms+context`
adds `aws:x-amz-cek-alg`, and the legacy `kms` mode names its key in `kms_cmk_id`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass

KEY_V1 = "x-amz-key"
KEY_V2 = "x-amz-key-v2"
IV = "x-amz-iv"
MATDESC = "x-amz-matdesc"
CEK_ALG = "x-amz-cek-alg"
WRAP_ALG = "x-amz-wrap-alg"
TAG_LEN = "x-amz-tag-len"
PLAINTEXT_LENGTH = "x-amz-unencrypted-content-length"
# V3's compressed names
CONTENT_CIPHER_V3 = "x-amz-c"
KEY_V3 = "x-amz-3"
MATDESC_V3 = "x-amz-m"
CONTEXT_V3 = "x-amz-t"
WRAP_ALG_V3 = "x-amz-w"
COMMITMENT_V3 = "x-amz-d"
MESSAGE_ID_V3 = "x-amz-i"

CEK_ALG_CONTEXT_KEY = "aws:x-amz-cek-alg"   # reserved: kms+context binds the content cipher
KMS_CMK_ID = "kms_cmk_id"                   # reserved: the legacy kms mode's key id
RESERVED_CONTEXT_KEYS = frozenset({CEK_ALG_CONTEXT_KEY, KMS_CMK_ID})
KMS_WRAPS = frozenset({"kms", "kms+context"})
V1_DEFAULT_CONTENT = "AES/CBC/PKCS5Padding"
_V3_WRAPS = {"02": "AES/GCM", "12": "kms+context", "22": "RSA-OAEP-SHA1"}
_V3_CONTENT = {"115": "AES/GCM with HKDF-SHA512 key derivation and key commitment"}
_EXCLUSIVE = {"V1": (KEY_V1,), "V2": (KEY_V2, WRAP_ALG, TAG_LEN),
              "V3": (KEY_V3, COMMITMENT_V3, MESSAGE_ID_V3, CONTENT_CIPHER_V3)}


@dataclass(frozen=True)
class ClientEnvelope:
    """What the S3 Encryption Client's metadata says about an object. `context` is the
    material description: for the kms wraps, the KMS encryption context of the data key.
    `problems` lists what deviates from the format (the client itself would refuse it)."""

    format: str                        # "V1" | "V2" | "V3"
    wrapped_key: bytes | None
    iv: bytes | None
    content_algorithm: str
    wrap_algorithm: str | None
    context: dict[str, str]
    tag_length_bits: int | None
    plaintext_length: int | None
    problems: tuple[str, ...] = ()

    @property
    def uses_kms(self) -> bool:
        return self.wrap_algorithm in KMS_WRAPS

    @property
    def kms_key_id(self) -> str | None:
        """The KMS key the envelope names (only the legacy kms mode writes one; with
        kms+context the key is known from the wrapped key itself)."""
        return self.context.get(KMS_CMK_ID) if self.uses_kms else None

    @property
    def user_context(self) -> dict[str, str]:
        """The encryption context the uploader chose: what a reader must supply again."""
        return {k: v for k, v in self.context.items() if k not in RESERVED_CONTEXT_KEYS}


def recognise(user_meta: Mapping[str, str]) -> ClientEnvelope | None:
    """The envelope in an object's user metadata (names without `x-amz-meta-`, any case),
    or None when the object does not carry one."""
    meta = {name.lower(): value for name, value in user_meta.items()}
    formats = [version for version, present in (
        ("V1", KEY_V1 in meta and IV in meta), ("V2", KEY_V2 in meta and IV in meta),
        ("V3", all(n in meta for n in (KEY_V3, COMMITMENT_V3, MESSAGE_ID_V3)))) if present]
    if not formats:
        return None
    version = formats[-1]
    problems = [f"metadata of format {other} is present too ({', '.join(names)})"
                for other, names in _EXCLUSIVE.items()
                if other != version and any(n in meta for n in names)]
    if version == "V3":
        return _v3(meta, problems)
    wrapped = _b64(meta, KEY_V2 if version == "V2" else KEY_V1, problems)
    iv = _b64(meta, IV, problems)
    content = meta.get(CEK_ALG) or (V1_DEFAULT_CONTENT if version == "V1" else "")
    wrap = meta.get(WRAP_ALG)
    if version == "V2":
        for name in (CEK_ALG, WRAP_ALG, MATDESC):
            if name not in meta:
                problems.append(f"{name} is missing")
    tag_bits = _int(meta, TAG_LEN, problems)
    if content.startswith("AES/GCM") and tag_bits is None and version == "V2":
        problems.append(f"{TAG_LEN} is missing for a GCM object")
    context = _json_map(meta.get(MATDESC), MATDESC, problems)
    if wrap == "kms+context" and context.get(CEK_ALG_CONTEXT_KEY) != content:
        problems.append(f"the context's {CEK_ALG_CONTEXT_KEY} does not name {content!r}")
    return ClientEnvelope(version, wrapped, iv, content, wrap, context, tag_bits,
                          _int(meta, PLAINTEXT_LENGTH, problems), tuple(problems))


def _v3(meta: dict[str, str], problems: list[str]) -> ClientEnvelope:
    wrap_code = meta.get(WRAP_ALG_V3, "")
    wrap = _V3_WRAPS.get(wrap_code)
    if wrap is None:
        problems.append(f"unknown wrap algorithm code {wrap_code!r}")
    content_code = meta.get(CONTENT_CIPHER_V3, "")
    content = _V3_CONTENT.get(content_code, content_code)
    context_name = CONTEXT_V3 if wrap == "kms+context" else MATDESC_V3
    return ClientEnvelope("V3", _b64(meta, KEY_V3, problems), None, content, wrap,
                          _json_map(meta.get(context_name), context_name, problems), None,
                          None, tuple(problems))


def _b64(meta: Mapping[str, str], name: str, problems: list[str]) -> bytes | None:
    text = meta.get(name)
    if text is None:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        problems.append(f"{name} is not base64")
        return None


def _int(meta: Mapping[str, str], name: str, problems: list[str]) -> int | None:
    text = meta.get(name)
    if text is None:
        return None
    if not text.strip().isdigit():
        problems.append(f"{name} is not a number: {text!r}")
        return None
    return int(text)


def _json_map(text: str | None, name: str, problems: list[str]) -> dict[str, str]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        problems.append(f"{name} is not JSON")
        return {}
    if not isinstance(value, dict):
        problems.append(f"{name} is not a JSON object")
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
