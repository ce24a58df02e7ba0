"""The KMS's domain errors: each carries the AWS error type it is on the wire."""

from __future__ import annotations


class KmsError(Exception):
    """An AWS KMS error: `type_name` is the `__type` the wire shows (NotFoundException...)."""

    def __init__(self, type_name: str, message: str = "") -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message


def not_found(message: str) -> KmsError:
    return KmsError("NotFoundException", message)


def invalid_state(message: str) -> KmsError:
    return KmsError("KMSInvalidStateException", message)


def validation(message: str) -> KmsError:
    return KmsError("ValidationException", message)


def check_dry_run(dry_run: bool) -> None:
    """DryRun: the request would have succeeded; say so instead of doing it."""
    if dry_run:
        raise KmsError("DryRunOperationException",
                       "The request would have succeeded, but the DryRun option is set.")
