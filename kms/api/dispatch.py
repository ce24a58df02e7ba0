"""`KmsApi`: one AWS JSON 1.1 request in, one HTTP response out. Framework-free.

Flow: `X-Amz-Target` must be `TrentService.<Operation>` with an operation of the model
(else 400 UnknownOperationException, empty message, as AWS answers a missing, unprefixed,
mis-cased or unknown target) -> the service must have the method (else 400
UnsupportedOperationException) -> parse the JSON body -> validate -> call
`service.<snake_case_operation>(caller, **params)` -> serialize the result.

The service protocol:

* method name: `botocore.xform_name(Operation)`, e.g. `generate_data_key`;
* first positional argument: the `caller` given to `handle`, untouched;
* keyword arguments: the top-level input members present in the request, snake_case
  (`key_id=`, `number_of_bytes=`, `encryption_context=`), with Python values: `bytes` for
  blobs (base64 already decoded and length-checked), `datetime` (UTC) for timestamps,
  `int`, `bool`, `str`, `list`, `dict`. Nested structures keep the model's member names
  (`tags=[{"TagKey": "k", "TagValue": "v"}]`), exactly as outputs use them, so a service can
  store and return them unchanged. Absent and `null` members are not passed;
* returns a mapping with the output shape's member names (`{"CiphertextBlob": b"...",
  "KeyId": "arn:..."}`) or `None`/`{}` (operations without output answer an empty body);
* raises `KmsApiError`, or any exception with `type_name`/`message` attributes naming a
  known AWS error type (duck-typed), for AWS errors; any other exception is a 500
  KMSInternalException whose message says nothing about the cause (logged on `kms.api`,
  never with the request body or parameters).

A member the method's signature does not accept (and no `**kwargs` to take it) is answered
with 400 UnsupportedOperationException naming the parameter, rather than a TypeError 500.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kms.api import codec, model
from kms.api.errors import (
    JSON_CONTENT_TYPE,
    UNSUPPORTED_OPERATION,
    KmsApiError,
    from_exception,
    internal_error,
    unknown_operation,
)
from kms.api.serialize import OutputShapeError, serialize_output
from kms.api.validate import validate_request

log = logging.getLogger("kms.api")

Response = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class CallRecord:
    """What one call did, for an observer (audit). `params` are the validated input members
    (PascalCase, blobs as bytes: may hold plaintext) and `result` the service's mapping;
    both are None when the call failed before reaching them."""

    operation: str | None
    status: int
    error_type: str | None = None
    error_message: str | None = None
    params: Mapping[str, Any] | None = None
    result: Mapping[str, Any] | None = field(default=None, repr=False)


Observer = Callable[[CallRecord], None]


class KmsApi:
    """The KMS JSON protocol in front of a service object (see module docstring).

    `strict_output=True` (tests) makes a result that does not fit the output shape raise
    `OutputShapeError` out of `handle` instead of answering 500, so the service cannot drift
    from the model unnoticed. `observer` is called once per request with a `CallRecord`;
    its own failures are logged and ignored.
    """

    def __init__(self, service: object, *, strict_output: bool = False,
                 observer: Observer | None = None) -> None:
        self.service = service
        self.strict_output = strict_output
        self.observer = observer
        self._prefix = model.target_prefix() + "."
        self._accepted: dict[str, frozenset[str] | None] = {}

    def operation_for(self, target: str | None) -> str:
        """The operation named by an `X-Amz-Target` value; UnknownOperationException if none."""
        if not target or not target.startswith(self._prefix):
            raise unknown_operation()
        operation = target[len(self._prefix):]
        if not model.has_operation(operation):
            raise unknown_operation()
        return operation

    def handle(self, target: str | None, body: bytes, caller: object) -> Response:
        """`(status, headers, body)` for one request. The HTTP layer adds Content-Length and
        `x-amzn-RequestId`, and authenticates before calling this."""
        operation: str | None = None
        params: dict[str, Any] | None = None
        try:
            operation = self.operation_for(target)
            method = self._method(operation)
            params = validate_request(operation, codec.parse_body(body))
            kwargs = self._arguments(operation, method, params)
            result = method(caller, **kwargs)
            response = self._success(operation, result)
        except OutputShapeError:
            if self.strict_output:
                raise
            log.exception("KMS %s: the service's result does not fit the model", operation)
            return self._internal(operation, params)
        except Exception as error:
            known = from_exception(error)
            if known is None:
                log.exception("KMS %s failed: unexpected %s", operation or "request",
                              type(error).__name__)
                return self._internal(operation, params)
            self._notify(CallRecord(operation, known.status, known.type_name, known.message,
                                    params))
            return known.render()
        self._notify(CallRecord(operation, response[0], params=params,
                                result=result if isinstance(result, Mapping) else None))
        return response

    def _method(self, operation: str) -> Callable[..., Any]:
        method = getattr(self.service, model.method_name(operation), None)
        if not callable(method):
            raise KmsApiError(UNSUPPORTED_OPERATION,
                              f"{operation} is not supported by this KMS.")
        return method

    def _arguments(self, operation: str, method: Callable[..., Any],
                   params: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments for the method; refuses members it cannot take."""
        if operation not in self._accepted:
            self._accepted[operation] = accepted_keywords(method)
        accepted = self._accepted[operation]
        kwargs = {model.param_name(name): value for name, value in params.items()}
        if accepted is not None:
            for name in params:
                if model.param_name(name) not in accepted:
                    raise KmsApiError(UNSUPPORTED_OPERATION,
                                      f"The parameter {name} is not supported by this KMS "
                                      f"for {operation}.")
        return kwargs

    @staticmethod
    def _success(operation: str, result: Any) -> Response:
        shape = model.output_shape(operation)
        document = serialize_output(operation, shape, result)
        headers = {"Content-Type": JSON_CONTENT_TYPE}
        if shape is None:
            return 200, headers, b""
        return 200, headers, codec.dump(document)

    def _internal(self, operation: str | None, params: dict[str, Any] | None) -> Response:
        error = internal_error()
        self._notify(CallRecord(operation, error.status, error.type_name, error.message, params))
        return error.render()

    def _notify(self, record: CallRecord) -> None:
        if self.observer is None:
            return
        try:
            self.observer(record)
        except Exception:
            log.exception("KMS call observer failed")


def accepted_keywords(method: Callable[..., Any]) -> frozenset[str] | None:
    """The keyword names a service method takes after the caller; None if it takes any
    (`**kwargs`) or its signature cannot be read."""
    try:
        parameters = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    named = [p for p in parameters
             if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
    if named and named[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
        named = named[1:]  # the caller
    return frozenset(p.name for p in named)
