"""kms.api end to end with real boto3 clients: each prepared request is routed into
`KmsApi.handle` (botocore's `before-send` event) and the result handed back as the HTTP
response, so boto3's own serializer and parser judge our wire format."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import Shape
from botocore.parsers import create_parser

from kms.api import KmsApi, KmsApiError, model
from kms.api.codec import dump
from kms.api.serialize import serialize_output

KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CREATED = datetime(2026, 11, 28, 13, 39, 11, 123000, tzinfo=UTC)


class Caller:
    arn = "arn:aws:iam::111122223333:user/alice"


class Service:
    """Just enough KMS for the tests; remembers what it was given."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def encrypt(self, caller: Caller, **kwargs: Any) -> dict[str, Any]:
        assert isinstance(caller, Caller)
        self.seen.append(("encrypt", kwargs))
        if kwargs.get("dry_run"):
            raise KmsApiError("DryRunOperationException",
                              "The request would have succeeded, but the DryRun option is set.")
        if kwargs["key_id"] == "alias/missing":
            raise KmsApiError("NotFoundException",
                              "Alias arn:aws:kms:us-east-1:111122223333:alias/missing is not "
                              "found.")
        return {"CiphertextBlob": b"\x00ct:" + kwargs["plaintext"], "KeyId": KEY_ARN,
                "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}

    def decrypt(self, caller: Caller, **kwargs: Any) -> dict[str, Any]:
        self.seen.append(("decrypt", kwargs))
        blob = kwargs["ciphertext_blob"]
        if not blob.startswith(b"\x00ct:"):
            raise KmsApiError("InvalidCiphertextException")
        return {"Plaintext": blob[4:], "KeyId": KEY_ARN,
                "EncryptionAlgorithm": "SYMMETRIC_DEFAULT", "KeyMaterialId": "ab" * 32}

    def generate_data_key(self, caller: Caller, **kwargs: Any) -> dict[str, Any]:
        self.seen.append(("generate_data_key", kwargs))
        size = kwargs.get("number_of_bytes") or 32
        return {"CiphertextBlob": b"\x00ct:" + b"k" * size, "Plaintext": b"k" * size,
                "KeyId": KEY_ARN, "KeyMaterialId": "ab" * 32}

    def describe_key(self, caller: Caller, **kwargs: Any) -> dict[str, Any]:
        self.seen.append(("describe_key", kwargs))
        return {"KeyMetadata": {
            "AWSAccountId": "111122223333", "KeyId": KEY_ARN.rsplit("/", 1)[1], "Arn": KEY_ARN,
            "CreationDate": CREATED, "Enabled": False, "KeyState": "PendingDeletion",
            "DeletionDate": CREATED.timestamp() + 7 * 86400, "KeyUsage": "ENCRYPT_DECRYPT",
            "KeySpec": "SYMMETRIC_DEFAULT", "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
            "MultiRegion": False}}

    def create_key(self, caller: Caller, **kwargs: Any) -> dict[str, Any]:
        self.seen.append(("create_key", kwargs))
        return {"KeyMetadata": {"KeyId": "k", "Arn": KEY_ARN, "CreationDate": CREATED}}

    def create_alias(self, caller: Caller, **kwargs: Any) -> None:
        self.seen.append(("create_alias", kwargs))

    def import_key_material(self, caller: Caller, **kwargs: Any) -> dict[str, Any]:
        self.seen.append(("import_key_material", kwargs))
        return {"KeyId": KEY_ARN, "KeyMaterialId": "cd" * 32}

    def generate_random(self, caller: Caller, **kwargs: Any) -> dict[str, Any]:
        raise ZeroDivisionError("internal detail the client must not see")


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.data


class Harness:
    """A boto3 KMS client whose HTTP send is `KmsApi.handle`."""

    def __init__(self, service: Service, **config: Any) -> None:
        self.api = KmsApi(service, strict_output=True)
        self.target_override: str | None = None
        self.requests: list[AWSPreparedRequest] = []
        self.client = boto3.client(
            "kms", region_name="us-east-1", endpoint_url="http://kms.test",
            aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
            config=Config(retries={"total_max_attempts": 1}, **config))
        self.client.meta.events.register("before-send.kms", self._send)

    def _send(self, request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse:
        self.requests.append(request)
        target = self.target_override or request.headers.get("X-Amz-Target")
        if isinstance(target, bytes):
            target = target.decode()
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        status, headers, payload = self.api.handle(target, body, Caller())
        headers = {**headers, "x-amzn-RequestId": "5b2a1c9e-0000-4000-8000-000000000001"}
        return AWSResponse(request.url, status, headers, _Body(payload))


@pytest.fixture
def service() -> Service:
    return Service()


@pytest.fixture
def kms(service: Service) -> Harness:
    return Harness(service)


@pytest.fixture
def loose(service: Service) -> Harness:
    """A client that skips botocore's own parameter checks, to reach the server's."""
    return Harness(service, parameter_validation=False)


def error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    info = excinfo.value.response["Error"]
    return info["Code"], info["Message"]


# -- success --------------------------------------------------------------------------------


def test_encrypt_and_decrypt_round_trip_bytes(kms: Harness, service: Service) -> None:
    out = kms.client.encrypt(KeyId="alias/demo", Plaintext=b"top secret",
                             EncryptionContext={"tenant": "t-42"})
    assert out["CiphertextBlob"] == b"\x00ct:top secret"
    assert out["KeyId"] == KEY_ARN
    assert out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert out["ResponseMetadata"]["RequestId"] == "5b2a1c9e-0000-4000-8000-000000000001"
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert service.seen[-1] == ("encrypt", {"key_id": "alias/demo", "plaintext": b"top secret",
                                            "encryption_context": {"tenant": "t-42"}})
    back = kms.client.decrypt(CiphertextBlob=out["CiphertextBlob"])
    assert back["Plaintext"] == b"top secret"
    assert back["KeyMaterialId"] == "ab" * 32


def test_generate_data_key(kms: Harness, service: Service) -> None:
    out = kms.client.generate_data_key(KeyId="alias/demo", NumberOfBytes=64)
    assert out["Plaintext"] == b"k" * 64
    assert service.seen[-1][1] == {"key_id": "alias/demo", "number_of_bytes": 64}


def test_describe_key_timestamps_become_datetimes(kms: Harness) -> None:
    metadata = kms.client.describe_key(KeyId="alias/demo")["KeyMetadata"]
    assert isinstance(metadata["CreationDate"], datetime)
    assert metadata["CreationDate"] == CREATED
    assert metadata["DeletionDate"].timestamp() == pytest.approx(CREATED.timestamp() + 7 * 86400)
    assert metadata["Enabled"] is False
    assert metadata["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]


def test_operation_without_output(kms: Harness, service: Service) -> None:
    out = kms.client.create_alias(AliasName="alias/demo", TargetKeyId="k")
    assert set(out) == {"ResponseMetadata"}
    assert service.seen[-1] == ("create_alias", {"alias_name": "alias/demo",
                                                 "target_key_id": "k"})


def test_timestamp_input_arrives_as_datetime(kms: Harness, service: Service) -> None:
    valid_to = datetime(2030, 1, 1, tzinfo=UTC)
    kms.client.import_key_material(KeyId="k", ImportToken=b"token", EncryptedKeyMaterial=b"m",
                                   ValidTo=valid_to, ExpirationModel="KEY_MATERIAL_EXPIRES")
    received = service.seen[-1][1]
    assert received["valid_to"] == valid_to
    assert received["import_token"] == b"token"
    assert received["encrypted_key_material"] == b"m"


def test_request_is_what_the_reference_says(kms: Harness) -> None:
    kms.client.generate_data_key(KeyId="alias/x", KeySpec="AES_256")
    request = kms.requests[-1]
    assert request.method == "POST"
    assert request.headers["X-Amz-Target"] in ("TrentService.GenerateDataKey",
                                               b"TrentService.GenerateDataKey")


# -- errors ---------------------------------------------------------------------------------


def test_modeled_error_raises_the_modeled_exception(kms: Harness) -> None:
    with pytest.raises(kms.client.exceptions.NotFoundException) as excinfo:
        kms.client.encrypt(KeyId="alias/missing", Plaintext=b"x")
    assert error(excinfo) == (
        "NotFoundException",
        "Alias arn:aws:kms:us-east-1:111122223333:alias/missing is not found.")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_error_without_message(kms: Harness) -> None:
    with pytest.raises(kms.client.exceptions.InvalidCiphertextException) as excinfo:
        kms.client.decrypt(CiphertextBlob=b"garbage")
    assert error(excinfo) == ("InvalidCiphertextException", "")


def test_dry_run_is_412_and_still_its_modeled_exception(kms: Harness) -> None:
    with pytest.raises(kms.client.exceptions.DryRunOperationException) as excinfo:
        kms.client.encrypt(KeyId="k", Plaintext=b"x", DryRun=True)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


def test_internal_error_is_opaque(kms: Harness) -> None:
    with pytest.raises(kms.client.exceptions.KMSInternalException) as excinfo:
        kms.client.generate_random(NumberOfBytes=8)
    code, message = error(excinfo)
    assert code == "KMSInternalException"
    assert "ZeroDivision" not in message and "internal detail" not in message
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_unknown_operation(kms: Harness) -> None:
    kms.target_override = "TrentService.MakeCoffee"
    with pytest.raises(ClientError) as excinfo:
        kms.client.describe_key(KeyId="k")
    assert error(excinfo) == ("UnknownOperationException", "")


def test_unsupported_operation(kms: Harness) -> None:
    with pytest.raises(kms.client.exceptions.UnsupportedOperationException) as excinfo:
        kms.client.list_grants(KeyId="k")
    assert error(excinfo) == ("UnsupportedOperationException",
                              "ListGrants is not supported by this KMS.")


# -- validation as boto3 sees it --------------------------------------------------------------


def validation(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    code, message = error(excinfo)
    assert code == "ValidationException"
    return message


def test_encrypt_with_empty_key_id(loose: Harness, service: Service) -> None:
    with pytest.raises(ClientError) as excinfo:
        loose.client.encrypt(KeyId="", Plaintext=b"x")
    assert validation(excinfo) == (
        "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member "
        "must have length greater than or equal to 1")
    assert service.seen == []


def test_encrypt_plaintext_over_4096_bytes(kms: Harness) -> None:
    # botocore does not check maximums: this reaches the server, which must refuse it.
    with pytest.raises(ClientError) as excinfo:
        kms.client.encrypt(KeyId="alias/demo", Plaintext=b"x" * 4097)
    assert validation(excinfo) == (
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096")


@pytest.mark.parametrize(("number", "constraint"), [
    (0, "greater than or equal to 1"), (1025, "less than or equal to 1024")])
def test_generate_data_key_number_of_bytes_out_of_range(loose: Harness, number: int,
                                                        constraint: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        loose.client.generate_data_key(KeyId="alias/demo", NumberOfBytes=number)
    assert validation(excinfo) == (
        f"1 validation error detected: Value '{number}' at 'numberOfBytes' failed to satisfy "
        f"constraint: Member must have value {constraint}")


def test_create_key_with_a_bad_key_spec(kms: Harness) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.client.create_key(KeySpec="AES_256")
    specs = ", ".join(model.shape("KeySpec").enum)
    assert validation(excinfo) == (
        "1 validation error detected: Value 'AES_256' at 'keySpec' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{specs}]")


def test_several_errors_at_once(loose: Harness) -> None:
    with pytest.raises(ClientError) as excinfo:
        loose.client.generate_data_key(KeyId="", NumberOfBytes=5000, KeySpec="AES_512")
    message = validation(excinfo)
    assert message.startswith("3 validation errors detected: Value '' at 'keyId'")
    assert "Value '5000' at 'numberOfBytes'" in message
    assert "Value 'AES_512' at 'keySpec'" in message


@pytest.mark.parametrize(("method", "params", "message"), [
    ("generate_data_key", {"KeyId": "k", "NumberOfBytes": "32"},
     "STRING_VALUE can not be converted to an Integer"),
    ("describe_key", {"KeyId": 42}, "NUMBER_VALUE can not be converted to a String"),
    ("generate_data_key", {"KeyId": "k", "NumberOfBytes": [32]},
     "Start of list found where not expected"),
    ("encrypt", {"KeyId": "k", "Plaintext": b"x", "GrantTokens": [{"a": 1}]},
     "Start of structure or map found where not expected."),
    ("encrypt", {"KeyId": "k", "Plaintext": b"x", "DryRun": "maybe"},
     "STRING_VALUE can not be converted to an Boolean"),
])
def test_wrong_types_are_serialization_exceptions(loose: Harness, method: str,
                                                  params: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        getattr(loose.client, method)(**params)
    assert error(excinfo) == ("SerializationException", message)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# -- every output shape parses back through botocore ------------------------------------------


def sample(shape: Shape, depth: int = 0) -> Any:
    """A value for every member of a shape (what a service might return)."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 4:
            return {}
        return {name: sample(member, depth + 1) for name, member in shape.members.items()}
    if kind == "list":
        return [sample(shape.member, depth + 1)]
    if kind == "map":
        return {"k": sample(shape.value, depth + 1)}
    if kind == "string":
        return shape.enum[0] if shape.enum else "s" * max(shape.metadata.get("min", 1), 1)
    if kind in ("integer", "long"):
        return shape.metadata.get("min", 7)
    if kind == "boolean":
        return True
    if kind == "blob":
        return b"\x00\xff blob \x80"
    if kind == "timestamp":
        return datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    raise AssertionError(kind)


@pytest.mark.parametrize("operation", model.operation_names())
def test_every_output_shape_round_trips_through_botocore(operation: str) -> None:
    shape = model.output_shape(operation)
    if shape is None:
        return
    result = sample(shape)
    body = dump(serialize_output(operation, shape, result))
    parsed = create_parser("json").parse(
        {"body": body, "headers": {}, "status_code": 200}, shape)
    parsed.pop("ResponseMetadata", None)
    assert parsed == result


def test_blobs_are_standard_base64_on_the_wire(kms: Harness) -> None:
    status, _, body = kms.api.handle(
        "TrentService.Encrypt",
        b'{"KeyId": "k", "Plaintext": "' + base64.b64encode(b"\xfb\xff").decode().encode()
        + b'"}', Caller())
    assert status == 200
    assert b'"CiphertextBlob":"AGN0Ovv/"' in body  # '+' and '/' alphabet, padded
