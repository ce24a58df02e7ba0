"""KMS wire errors: the exception the service raises and how it is rendered.

Body (kms-api.md §1.3): `{"__type": "<Type>", "message": "<text>"}`, no namespace prefix on
`__type` (real KMS sends `{"__type":"InvalidCiphertextException"}`), `Content-Type:
application/x-amz-json-1.1`. The message key is lower-case `message` (the member name of
every error shape in the KMS model) except for the framework's `SerializationException`,
which AWS JSON 1.1 services send as `Message`; an empty message is left out, as AWS does
for `UnknownOperationException`, `InvalidCiphertextException` and malformed bodies.
botocore reads either key and strips any `namespace#` prefix.
"""

from __future__ import annotations

import functools
import json

from kms.api import model

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"

# Errors AWS's request framework returns for every JSON service; not in the KMS model.
VALIDATION = "ValidationException"
SERIALIZATION = "SerializationException"
UNKNOWN_OPERATION = "UnknownOperationException"
ACCESS_DENIED = "AccessDeniedException"
UNRECOGNIZED_CLIENT = "UnrecognizedClientException"
INVALID_SIGNATURE = "InvalidSignatureException"
INCOMPLETE_SIGNATURE = "IncompleteSignatureException"
MISSING_AUTHENTICATION_TOKEN = "MissingAuthenticationTokenException"
THROTTLING = "ThrottlingException"
EXPIRED_TOKEN = "ExpiredTokenException"

FRAMEWORK_ERRORS = frozenset({
    VALIDATION, SERIALIZATION, UNKNOWN_OPERATION, ACCESS_DENIED, UNRECOGNIZED_CLIENT,
    INVALID_SIGNATURE, INCOMPLETE_SIGNATURE, MISSING_AUTHENTICATION_TOKEN, THROTTLING,
    EXPIRED_TOKEN,
})

# Modeled KMS errors used by the embedded KMS (all are in botocore's model; see
# `known_error_types()` for the full set, custom-key-store errors included).
NOT_FOUND = "NotFoundException"
DISABLED = "DisabledException"
INVALID_STATE = "KMSInvalidStateException"
INVALID_CIPHERTEXT = "InvalidCiphertextException"
INCORRECT_KEY = "IncorrectKeyException"
ALREADY_EXISTS = "AlreadyExistsException"
LIMIT_EXCEEDED = "LimitExceededException"
INVALID_KEY_USAGE = "InvalidKeyUsageException"
INVALID_ARN = "InvalidArnException"
INVALID_ALIAS_NAME = "InvalidAliasNameException"
INVALID_GRANT_TOKEN = "InvalidGrantTokenException"
INVALID_GRANT_ID = "InvalidGrantIdException"
INVALID_MARKER = "InvalidMarkerException"
MALFORMED_POLICY_DOCUMENT = "MalformedPolicyDocumentException"
UNSUPPORTED_OPERATION = "UnsupportedOperationException"
INVALID_SIGNATURE_KMS = "KMSInvalidSignatureException"
INVALID_MAC = "KMSInvalidMacException"
INCORRECT_KEY_MATERIAL = "IncorrectKeyMaterialException"
EXPIRED_IMPORT_TOKEN = "ExpiredImportTokenException"
INVALID_IMPORT_TOKEN = "InvalidImportTokenException"
TAG = "TagException"
DRY_RUN = "DryRunOperationException"
CONFLICT = "ConflictException"
INTERNAL = "KMSInternalException"
KEY_UNAVAILABLE = "KeyUnavailableException"
DEPENDENCY_TIMEOUT = "DependencyTimeoutException"

# HTTP status per type; everything else is 400 (kms-api.md §1.3: observed AWS sends 400 for
# NotFound/Disabled even though the Smithy model says 404/409). 5xx only for errors that are
# genuinely retryable: botocore retries them.
ERROR_STATUS: dict[str, int] = {
    INTERNAL: 500,
    KEY_UNAVAILABLE: 500,
    DEPENDENCY_TIMEOUT: 503,
    DRY_RUN: 412,
    CONFLICT: 409,
}

INTERNAL_MESSAGE = ("The request was rejected because an internal exception occurred. "
                    "The request can be retried.")


@functools.cache
def known_error_types() -> frozenset[str]:
    """Every `__type` this API may send: the model's error shapes plus the framework's."""
    return model.error_shape_names() | FRAMEWORK_ERRORS


def default_status(type_name: str) -> int:
    return ERROR_STATUS.get(type_name, 400)


def message_key(type_name: str) -> str:
    return "Message" if type_name == SERIALIZATION else "message"


class KmsApiError(Exception):
    """An AWS KMS error response. Raise it from the service to answer with that error.

    `status` defaults per type (`default_status`): 400, KMSInternalException 500, ...
    An unknown `type_name` is a programming error (`ValueError`), so a typo cannot reach
    clients as an unmodeled code.
    """

    def __init__(self, type_name: str, message: str = "", status: int | None = None) -> None:
        if type_name not in known_error_types():
            raise ValueError(f"unknown KMS error type {type_name!r}")
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name
        self.message = message
        self.status = default_status(type_name) if status is None else status

    def body(self) -> dict[str, str]:
        out = {"__type": self.type_name}
        if self.message:
            out[message_key(self.type_name)] = self.message
        return out

    def render(self) -> tuple[int, dict[str, str], bytes]:
        """`(status, headers, body)` of the HTTP response."""
        payload = json.dumps(self.body(), separators=(",", ":")).encode()
        return self.status, {"Content-Type": JSON_CONTENT_TYPE}, payload


def from_exception(error: BaseException) -> KmsApiError | None:
    """A `KmsApiError` for any exception that names a known AWS error type: the error
    itself, or a domain error carrying `type_name` and `message` attributes (duck-typed, so
    the service layer need not import this module; an optional int `status` is honoured)."""
    if isinstance(error, KmsApiError):
        return error
    type_name = getattr(error, "type_name", None)
    message = getattr(error, "message", "")
    if not isinstance(type_name, str) or type_name not in known_error_types():
        return None
    status = getattr(error, "status", None)
    return KmsApiError(type_name, message if isinstance(message, str) else "",
                       status if isinstance(status, int) else None)


def internal_error() -> KmsApiError:
    """The 500 for an unexpected failure; says nothing about the cause."""
    return KmsApiError(INTERNAL, INTERNAL_MESSAGE)


def serialization_error(message: str = "") -> KmsApiError:
    return KmsApiError(SERIALIZATION, message)


def unknown_operation() -> KmsApiError:
    """What AWS JSON 1.1 services send for a missing, unprefixed or unknown target: 400 and
    a body of only `{"__type":"UnknownOperationException"}`."""
    return KmsApiError(UNKNOWN_OPERATION)
