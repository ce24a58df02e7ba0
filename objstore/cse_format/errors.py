"""The one error the client-side encryption format (and the helper) raise for anything
refused."""

from __future__ import annotations


class ClientSideError(Exception):
    """Encryption or decryption refused: a wrong context, a tampered byte, a KMS refusal, an
    envelope this helper does not read. Never accompanied by plaintext."""
