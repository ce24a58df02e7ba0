"""Client-side encryption: a small client that encrypts objects before they reach the server
and decrypts them after, in the Amazon S3 Encryption Client's V2 format (AES-256-GCM content,
data key from KMS GenerateDataKey, wrapped with `kms+context`).

It is a CLIENT of the server (boto3 against its S3 and KMS endpoints, or AWS's): it never
imports the server's layers, and no server layer imports it (import-linter checks both).

    put_object(s3, kms, bucket, key, body, kms_key_id, context=None)
    get_object(s3, kms, bucket, key, context=None) -> bytes
    upload_file(...) / download_file(...)      streaming, for large files

The format itself (envelope metadata, AES-GCM content) is `objstore.cse_format`, pure, which
the console shares.
"""

from objstore.clientside.client import download_file, get_object, put_object, upload_file
from objstore.cse_format import content, envelope
from objstore.cse_format.errors import ClientSideError

__all__ = ["ClientSideError", "content", "download_file", "envelope", "get_object",
           "put_object", "upload_file"]
