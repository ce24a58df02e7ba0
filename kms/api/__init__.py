"""The AWS JSON 1.1 wire protocol of the KMS (`X-Amz-Target: TrentService.*`).

Framework-free: `KmsApi.handle(target, body, caller)` returns `(status, headers, body)`;
the HTTP layer authenticates and transports. Names and shapes come from botocore's model.
"""

from kms.api.dispatch import CallRecord, KmsApi
from kms.api.errors import KmsApiError
from kms.api.serialize import OutputShapeError
from kms.api.validate import validate_request, validation_error, violation

__all__ = [
    "CallRecord",
    "KmsApi",
    "KmsApiError",
    "OutputShapeError",
    "validate_request",
    "validation_error",
    "violation",
]
