"""The KMS service model, straight from botocore (the authority on names and shapes).

botocore ships the same JSON model boto3 uses to build requests and parse responses, so
validating against it keeps the wire protocol and the clients in step. Loaded once.
"""

from __future__ import annotations

import functools

from botocore import xform_name
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

SERVICE_NAME = "kms"


@functools.cache
def service_model() -> ServiceModel:
    """botocore's model of KMS (`service-2`, newest API version botocore ships)."""
    raw = Loader().load_service_model(SERVICE_NAME, "service-2")
    return ServiceModel(raw, service_name=SERVICE_NAME)


def target_prefix() -> str:
    """The `X-Amz-Target` prefix: `TrentService`."""
    return str(service_model().metadata["targetPrefix"])


@functools.cache
def operation_names() -> tuple[str, ...]:
    """Every operation of the model, PascalCase (`GenerateDataKey`), sorted."""
    return tuple(sorted(service_model().operation_names))


def has_operation(name: str) -> bool:
    return name in _operation_set()


@functools.cache
def _operation_set() -> frozenset[str]:
    return frozenset(operation_names())


def operation_model(name: str) -> OperationModel:
    """The botocore operation model; `KeyError` for an unknown operation."""
    if not has_operation(name):
        raise KeyError(name)
    return service_model().operation_model(name)


def input_shape(operation: str) -> StructureShape | None:
    return operation_model(operation).input_shape


def output_shape(operation: str) -> StructureShape | None:
    """`None` for operations whose response is empty (CreateAlias, EnableKey, ...)."""
    return operation_model(operation).output_shape


def shape(name: str) -> Shape:
    """A named shape of the model (`KeyMetadata`, `PlaintextType`, ...)."""
    return service_model().shape_for(name)


@functools.cache
def error_shape_names() -> frozenset[str]:
    """The error types the model declares (NotFoundException, DisabledException, ...)."""
    return frozenset(s.name for s in service_model().error_shapes)


@functools.cache
def operation_errors(operation: str) -> tuple[str, ...]:
    """The error types the model lists for one operation."""
    return tuple(s.name for s in operation_model(operation).error_shapes)


@functools.cache
def method_name(operation: str) -> str:
    """The service method for an operation: `GenerateDataKey` -> `generate_data_key`."""
    return xform_name(operation)


@functools.cache
def param_name(member: str) -> str:
    """The keyword argument for a top-level input member: `NumberOfBytes` -> `number_of_bytes`."""
    return xform_name(member)


def lower_camel(member: str) -> str:
    """A member name as AWS writes it in validation messages: `KeyId` -> `keyId`."""
    return member[:1].lower() + member[1:]
