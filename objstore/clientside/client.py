"""Client-side encryption through boto3 clients: the object is encrypted here, before it is
sent, and decrypted here after it is fetched. The S3 endpoint only ever stores ciphertext;
the data key comes from the KMS's GenerateDataKey and is unwrapped by its Decrypt, both
called by this client, under the caller's own identity.

`s3` and `kms` are boto3 clients (`boto3.client("s3", ...)`, `boto3.client("kms", ...)`),
pointed at this server or at AWS: the objects are those the Amazon S3 Encryption Client
(V2 format, kms+context) writes and reads."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from botocore.exceptions import ClientError

from objstore.cse_format import content, envelope
from objstore.cse_format.errors import ClientSideError

Body = bytes | bytearray | memoryview | BinaryIO


def put_object(s3: Any, kms: Any, bucket: str, key: str, body: Body, kms_key_id: str,
               context: Mapping[str, str] | None = None, *,
               extra_args: Mapping[str, Any] | None = None,
               transfer_config: Any = None) -> dict[str, str]:
    """Encrypt `body` (bytes, or a binary file object streamed in slices) under a fresh data
    key from `kms_key_id` and upload it with its envelope; returns the envelope metadata.
    `context`: extra encryption-context pairs, needed again to read the object.
    `extra_args`: more PutObject arguments (ContentType, Metadata of your own, even
    ServerSideEncryption for a server-side layer over the client's ciphertext)."""
    full_context = envelope.kms_context(context)
    extra = dict(extra_args or {})
    own_meta = {name.lower(): value for name, value in extra.pop("Metadata", {}).items()}
    made = kms.generate_data_key(KeyId=kms_key_id, KeySpec="AES_256",
                                 EncryptionContext=full_context)
    data_key, iv = made["Plaintext"], os.urandom(envelope.IV_BYTES)
    if isinstance(body, bytes | bytearray | memoryview):
        plaintext = bytes(body)
        meta = envelope.metadata(made["CiphertextBlob"], iv, full_context, len(plaintext))
        s3.put_object(Bucket=bucket, Key=key, Body=content.encrypt(data_key, iv, plaintext),
                      Metadata=_merged(own_meta, meta), **extra)
        return meta
    meta = envelope.metadata(made["CiphertextBlob"], iv, full_context, _remaining(body))
    upload: dict[str, Any] = {"ExtraArgs": {**extra, "Metadata": _merged(own_meta, meta)}}
    if transfer_config is not None:
        upload["Config"] = transfer_config
    s3.upload_fileobj(content.EncryptingReader(body, data_key, iv), bucket, key, **upload)
    return meta


def upload_file(s3: Any, kms: Any, path: Path, bucket: str, key: str, kms_key_id: str,
                context: Mapping[str, str] | None = None, *,
                extra_args: Mapping[str, Any] | None = None,
                transfer_config: Any = None) -> dict[str, str]:
    with open(path, "rb") as source:
        return put_object(s3, kms, bucket, key, source, kms_key_id, context,
                          extra_args=extra_args, transfer_config=transfer_config)


def get_object(s3: Any, kms: Any, bucket: str, key: str,
               context: Mapping[str, str] | None = None, *,
               kms_key_id: str | None = None) -> bytes:
    """Fetch and decrypt an object. `context`: the pairs it was encrypted with (beyond the
    reserved one); `kms_key_id`: refuse a data key wrapped by any other key. Raises
    ClientSideError (wrong context, tampered bytes, KMS refusal), never returns wrong
    bytes."""
    response = s3.get_object(Bucket=bucket, Key=key)
    found = envelope.read(response.get("Metadata", {}), context)
    data_key = _unwrap(kms, found, kms_key_id)
    plaintext = content.decrypt(data_key, found.iv, response["Body"].read())
    _check_length(found, len(plaintext))
    return plaintext


def download_file(s3: Any, kms: Any, bucket: str, key: str, path: Path,
                  context: Mapping[str, str] | None = None, *,
                  kms_key_id: str | None = None) -> int:
    """Fetch and decrypt an object into `path`, streaming. The plaintext goes to a hidden
    file beside `path` that becomes `path` only once the tag checks out; returns the
    plaintext size."""
    response = s3.get_object(Bucket=bucket, Key=key)
    found = envelope.read(response.get("Metadata", {}), context)
    decryptor = content.StreamDecryptor(_unwrap(kms, found, kms_key_id), found.iv)
    path = Path(path)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    size = 0
    try:
        with open(partial, "wb") as out:
            for chunk in response["Body"].iter_chunks(content.SLICE):
                plain = decryptor.update(chunk)
                out.write(plain)
                size += len(plain)
            decryptor.finalize()
            _check_length(found, size)
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return size


def _unwrap(kms: Any, found: envelope.Envelope, kms_key_id: str | None) -> bytes:
    params: dict[str, Any] = {"CiphertextBlob": found.wrapped_key,
                              "EncryptionContext": found.context}
    if kms_key_id:
        params["KeyId"] = kms_key_id
    try:
        return kms.decrypt(**params)["Plaintext"]
    except ClientError as error:
        detail = error.response.get("Error", {})
        raise ClientSideError(f"the KMS did not unwrap the data key: "
                              f"{detail.get('Code')}: {detail.get('Message')}") from None


def _merged(own: dict[str, str], meta: dict[str, str]) -> dict[str, str]:
    clash = own.keys() & meta.keys()
    if clash:
        raise ClientSideError(f"metadata {', '.join(sorted(clash))} belongs to the envelope")
    return {**own, **meta}


def _check_length(found: envelope.Envelope, size: int) -> None:
    if found.plaintext_length is not None and found.plaintext_length != size:
        raise ClientSideError(f"the plaintext is {size} bytes, the envelope says "
                              f"{found.plaintext_length}")


def _remaining(source: BinaryIO) -> int | None:
    """How many bytes a file object has left, when it can tell (a pipe cannot)."""
    try:
        here = source.tell()
        end = source.seek(0, os.SEEK_END)
        source.seek(here)
    except (OSError, ValueError, AttributeError):
        return None
    return end - here
