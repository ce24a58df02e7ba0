"""Errors a console page shows as a banner: a plain-words headline, what to do, and what
the service really answered (learners should see the real AWS error too)."""

from __future__ import annotations

from kms.service.errors import KmsError

# AWS KMS error type -> what it means for the person looking at the page
_KMS_HEADLINES = {
    "AccessDeniedException": "Not allowed: the key's policy (or a grant) does not let you "
                             "do this",
    "NotFoundException": "There is no such key or alias",
    "DisabledException": "The key is disabled: enable it before using it",
    "KMSInvalidStateException": "The key's state does not allow this now",
    "UnsupportedOperationException": "This key does not support this",
    "MalformedPolicyDocumentException": "The key policy is not valid",
    "ValidationException": "Some of the values are not valid",
    "AlreadyExistsException": "That name is already taken",
    "LimitExceededException": "A limit was reached",
    "InvalidMarkerException": "The list changed while it was being read: reload",
    "TagException": "The tags are not valid",
    "IncorrectKeyException": "The ciphertext was made with another key",
    "InvalidCiphertextException": "The ciphertext or its encryption context does not match",
    "KeyUnavailableException": "The key is not available now",
}


class ConsoleError(Exception):
    """Shown as an error banner (and an error page when it ends a GET)."""

    def __init__(self, headline: str, detail: str = "", status: int = 400,
                 service_error: str = "") -> None:
        super().__init__(headline)
        self.headline = headline
        self.detail = detail
        self.status = status
        self.service_error = service_error  # "AccessDeniedException: User: ... is not ..."

    @property
    def banner(self) -> str:
        """One line for a flash message."""
        parts = [self.headline + "."]
        if self.detail:
            parts.append(self.detail)
        if self.service_error:
            parts.append(f"(KMS: {self.service_error})")
        return " ".join(parts)


class KmsFailure(ConsoleError):
    """A KMS call made as the signed-in identity failed."""

    def __init__(self, error: KmsError) -> None:
        status = {"AccessDeniedException": 403, "NotFoundException": 404}.get(
            error.type_name, 400)
        super().__init__(_KMS_HEADLINES.get(error.type_name, "The KMS refused this"),
                         status=status,
                         service_error=f"{error.type_name}: {error.message}".rstrip(": "))
        self.type_name = error.type_name
