"""The Amazon S3 Encryption Client's V2 format (`kms+context`), pure: the envelope metadata
(`envelope`) and the AES-256-GCM content encryption (`content`), with no I/O, no boto3 and
no server layer. Both sides use it: the client-side helper (`objstore.clientside`, a
boto3 client) and the web console, which encrypts in-process for its signed-in user with a
data key from the KMS (import-linter keeps the server layers from importing the helper
itself, and this package from importing either).

    meta = envelope.metadata(wrapped_key, iv, envelope.kms_context(pairs), size)
    ciphertext = content.encrypt(data_key, iv, plaintext)        # or content.StreamEncryptor
    found = envelope.read(meta, pairs); content.decrypt(data_key, found.iv, ciphertext)
"""

from objstore.cse_format.errors import ClientSideError

__all__ = ["ClientSideError"]
