"""The report's client-side section: an object the S3 Encryption Client (or `objstore cse`)
encrypted before uploading, as the server sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kms.service.snapshot import KeyRecord, KmsSnapshot
from objstore.inspection.kms_keys import find_key, key_id_in_blob
from objstore.sse.client_side import ClientEnvelope


@dataclass(frozen=True)
class ClientKey:
    """The KMS key a client-side envelope names: as written (`ref`), where that came from,
    and its record when this store's KMS has it."""

    ref: str
    source: str
    record: KeyRecord | None

    @property
    def name(self) -> str:
        return self.record.arn if self.record else self.ref


def client_key(envelope: ClientEnvelope, keys: KmsSnapshot | None, *, account: str,
               region: str) -> ClientKey | None:
    """Which KMS key wraps the data key: the legacy kms mode names it in the material
    description (kms_cmk_id); with kms+context the ciphertext blob of this KMS names it in
    its clear header."""
    if not envelope.uses_kms:
        return None
    if envelope.kms_key_id:
        ref, source = envelope.kms_key_id, "the material description's kms_cmk_id"
    else:
        found = key_id_in_blob(envelope.wrapped_key) if envelope.wrapped_key else None
        if found is None:
            return None
        ref, source = found, "the wrapped data key (this KMS's ciphertext header)"
    record = find_key(keys, ref, account=account, region=region) if keys else None
    return ClientKey(ref, source, record)


def section(envelope: ClientEnvelope, key: ClientKey | None) -> dict[str, Any]:
    wrap = envelope.wrap_algorithm or "not stated"
    section: dict[str, Any] = {
        "summary": "encrypted by the client before it reached the server: the server stored "
                   "ciphertext it cannot decrypt, and never saw the plaintext or the data key",
        "server_saw_plaintext": False,
        "envelope": f"Amazon S3 Encryption Client, metadata format {envelope.format}",
        "content_algorithm": envelope.content_algorithm,
        "wrap_algorithm": wrap,
    }
    if envelope.tag_length_bits is not None:
        section["tag_length_bits"] = envelope.tag_length_bits
    if envelope.uses_kms:
        section["kms_key"] = key.name if key else "unknown (the wrapped key names no key of " \
                                                  "this KMS)"
        if key:
            section["kms_key_from"] = key.source
        section["encryption_context"] = envelope.context
    elif envelope.context:
        section["material_description"] = envelope.context
    if envelope.plaintext_length is not None:
        section["plaintext_size"] = envelope.plaintext_length
    if envelope.problems:
        section["problems"] = list(envelope.problems)
    return section
