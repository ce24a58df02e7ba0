"""Who can read an object, in plain words: what a reader needs, per encryption layer, and
which of the account's users have it now.

S3 read access: this store has no bucket policies or ACLs, so every user of the account can
read every object (as IAM users with full permissions would on AWS). Each encryption layer
then adds its own condition: none for SSE-S3, kms:Decrypt through S3 for SSE-KMS, the
customer's key for SSE-C, and for a client-side envelope kms:Decrypt by the reader's own
client (or the client's own key)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kms.service.snapshot import DISABLED, PENDING_DELETION, PENDING_IMPORT, KmsSnapshot
from objstore.inspection.client_side import ClientKey
from objstore.inspection.kms_keys import decrypt_access, find_key
from objstore.sse import names
from objstore.sse.client_side import ClientEnvelope
from objstore.storage.records import ObjectRecord

_FIX = {DISABLED: "until the key is enabled again",
        PENDING_DELETION: "unless the deletion is cancelled before it happens",
        PENDING_IMPORT: "until its key material is imported again"}


@dataclass(frozen=True)
class Audience:
    """The account whose users are asked about, and where its KMS keys live."""

    account_id: str
    region: str
    principals: Sequence[str]   # the account's users, as ARNs


@dataclass
class _Layer:
    need: str
    readers: list[str] | None = None     # None: not decided by account membership
    blocked: str | None = None           # why nobody can read now
    kms: dict[str, Any] | None = None


def who_can_read(record: ObjectRecord, envelope: ClientEnvelope | None,
                 client_key: ClientKey | None, keys: KmsSnapshot | None,
                 audience: Audience) -> dict[str, Any]:
    principals = list(audience.principals)
    layers = [_Layer(f"S3 read access to the object: every user of account "
                     f"{audience.account_id} has it (this store has no bucket policies or "
                     "ACLs)", readers=principals)]
    sse = record.attrs.get("sse") or {}
    mode = sse.get("mode")
    if mode in names.KMS_MODES:
        layers.append(_kms_layer(
            keys, sse.get("kms_key_arn", ""), audience, context=sse.get("kms_context"),
            via_service=f"s3.{audience.region}.amazonaws.com",
            need="kms:Decrypt on {key}, which S3 calls for the reader (through S3, with the "
                 "object's encryption context)"))
    elif mode == names.SSE_C:
        layers.append(_Layer("the customer's 256-bit key, sent with every request: the "
                             "server keeps none (only a salted fingerprint)"))
    if envelope is not None:
        layers.append(_client_layer(envelope, client_key, keys, audience))
    answer: dict[str, Any] = {"in_short": _in_short(mode, envelope, client_key, layers),
                              "needs": [layer.need for layer in layers]}
    kms = [layer.kms for layer in layers if layer.kms is not None]
    if kms:
        answer["kms_keys"] = kms
    if all(layer.readers is not None for layer in layers):
        readers = [p for p in principals if all(p in (layer.readers or ()) for layer in layers)]
        answer["account_users_who_can_read_now"] = [] if any(
            layer.blocked for layer in layers) else readers
    return answer


def _client_layer(envelope: ClientEnvelope, key: ClientKey | None,
                  keys: KmsSnapshot | None, audience: Audience) -> _Layer:
    if not envelope.uses_kms:
        return _Layer(f"the client's own wrapping key ({envelope.wrap_algorithm or 'unnamed'}"
                      "): neither the server nor its KMS holds it")
    if key is None or key.record is None or keys is None:
        named = key.ref if key else "the KMS key that wrapped the data key"
        return _Layer(f"kms:Decrypt on {named}, by the reader's own client: it is not a key "
                      "of this store's KMS")
    return _kms_layer(keys, key.record.arn, audience, context=envelope.context,
                      via_service=None,
                      need="kms:Decrypt on {key}, called by the reader's own client (the S3 "
                           "Encryption Client or objstore cse) with the envelope's context; "
                           "S3 read access alone yields ciphertext")


def _kms_layer(keys: KmsSnapshot | None, ref: str, audience: Audience, *,
               context: Mapping[str, str] | None, via_service: str | None,
               need: str) -> _Layer:
    if keys is None:
        return _Layer(need.format(key=ref), kms={"key": ref, "state": "unknown (no KMS)"})
    record = find_key(keys, ref, account=audience.account_id, region=audience.region)
    if record is None:
        return _Layer(need.format(key=ref), readers=[],
                      blocked=f"key {ref} does not exist in this KMS (a deleted key takes "
                              "its ciphertexts with it)",
                      kms={"key": ref, "state": "not found"})
    access = decrypt_access(record, keys, audience.principals, account=audience.account_id,
                            context=context, via_service=via_service)
    kms: dict[str, Any] = {"key": access.key_arn, "state": access.state,
                           "usable_now": access.usable_now}
    if record.deletion_date is not None:
        kms["deletion_date"] = dt.datetime.fromtimestamp(
            record.deletion_date, dt.UTC).isoformat(timespec="seconds")
    kms.update({"can_decrypt": access.allowed, "cannot_decrypt": access.refused,
                "policy_statements_covering_decrypt": access.statements,
                "grants_with_decrypt": access.grants})
    blocked = None if access.usable_now else \
        f"key {access.key_arn} is {access.state} {_FIX.get(access.state, '')}".strip()
    return _Layer(need.format(key=access.key_arn), readers=access.allowed, blocked=blocked,
                  kms=kms)


def _in_short(mode: str | None, envelope: ClientEnvelope | None, key: ClientKey | None,
              layers: list[_Layer]) -> str:
    blocked = [layer.blocked for layer in layers if layer.blocked]
    if blocked:
        return "nobody, now: " + "; ".join(blocked)
    if envelope is not None:
        if envelope.uses_kms:
            named = key.name if key else "the KMS key in the envelope"
            return (f"only those allowed kms:Decrypt on {named}, through a client that "
                    "decrypts (the server never can)")
        return "only holders of the client's own wrapping key, through the client"
    if mode == names.SSE_C:
        return "only whoever holds the customer-provided key: the server holds none"
    if mode in names.KMS_MODES:
        return "those with S3 read access AND kms:Decrypt on the object's KMS key"
    if mode == names.AES256:
        return "anyone with S3 read access: the server uses the store key automatically"
    return ("anyone the bucket's account lets read it; and the bytes are in clear on disk, "
            "for anyone who can read the data directory")
