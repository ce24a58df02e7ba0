"""kms.api: the AWS JSON 1.1 protocol of the KMS, driven through `KmsApi.handle` with a small
fake service (boto3 end to end is in test_kms_api_boto3.py)."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from kms.api import KmsApi, KmsApiError, OutputShapeError, model, validation_error, violation
from kms.api.errors import JSON_CONTENT_TYPE, known_error_types

KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CALLER = object()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class DomainError(Exception):
    """A service-layer error that is not a KmsApiError (duck-typed type_name/message)."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(message)
        self.type_name = type_name
        self.message = message


class FakeService:
    """Records every call; answers with fixed, model-shaped results."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object, dict[str, Any]]] = []

    def _record(self, name: str, caller: object, kwargs: dict[str, Any]) -> None:
        self.calls.append((name, caller, kwargs))

    @property
    def last(self) -> dict[str, Any]:
        return self.calls[-1][2]

    def encrypt(self, caller: object, *, key_id: str, plaintext: bytes,
                encryption_context: dict[str, str] | None = None,
                encryption_algorithm: str | None = None,
                grant_tokens: list[str] | None = None, dry_run: bool = False) -> dict[str, Any]:
        self._record("encrypt", caller, {k: v for k, v in locals().items()
                                         if k not in ("self", "caller")})
        if key_id == "missing":
            raise KmsApiError("NotFoundException", f"Key '{key_id}' does not exist")
        if key_id == "domain-error":
            raise DomainError("DisabledException", f"{KEY_ARN} is disabled.")
        if key_id == "boom":
            raise RuntimeError(f"secret plaintext leaked into an error: {plaintext!r}")
        return {"CiphertextBlob": b"\x01\x02" + plaintext, "KeyId": KEY_ARN,
                "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}

    def generate_data_key(self, caller: object, **kwargs: Any) -> dict[str, Any]:
        self._record("generate_data_key", caller, kwargs)
        return {"CiphertextBlob": b"blob", "Plaintext": b"k" * 32, "KeyId": KEY_ARN}

    def describe_key(self, caller: object, *, key_id: str) -> dict[str, Any]:
        self._record("describe_key", caller, {"key_id": key_id})
        return {"KeyMetadata": {
            "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "Arn": KEY_ARN,
            "CreationDate": datetime(2026, 11, 28, 13, 39, 11, 500000, tzinfo=UTC),
            "DeletionDate": datetime(2026, 12, 28, 0, 0, 0),  # naive = UTC
            "ValidTo": 1893456000, "Enabled": True, "KeyState": "Enabled",
            "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "Description": None}}

    def create_key(self, caller: object, **kwargs: Any) -> dict[str, Any]:
        self._record("create_key", caller, kwargs)
        return {"KeyMetadata": {"KeyId": "k", "Arn": KEY_ARN}}

    def create_alias(self, caller: object, *, alias_name: str,
                     target_key_id: str) -> dict[str, Any]:
        self._record("create_alias", caller, {"alias_name": alias_name})
        return {}

    def enable_key(self, caller: object, *, key_id: str) -> None:
        self._record("enable_key", caller, {"key_id": key_id})

    def import_key_material(self, caller: object, **kwargs: Any) -> dict[str, Any]:
        self._record("import_key_material", caller, kwargs)
        return {"KeyId": KEY_ARN, "KeyMaterialId": "ab" * 32}

    def generate_random(self, caller: object, **kwargs: Any) -> dict[str, Any]:
        self._record("generate_random", caller, kwargs)
        return self.random_result

    random_result: Any = {"Plaintext": b"r"}

    def decrypt(self, caller: object, **kwargs: Any) -> dict[str, Any]:
        self._record("decrypt", caller, kwargs)
        return {"Plaintext": b"p", "KeyId": KEY_ARN}

    def list_keys(self, caller: object, **kwargs: Any) -> dict[str, Any]:
        self._record("list_keys", caller, kwargs)
        return {"Keys": [], "Truncated": False}

    def create_grant(self, caller: object, **kwargs: Any) -> dict[str, Any]:
        self._record("create_grant", caller, kwargs)
        return {"GrantToken": "t", "GrantId": "0" * 64}


@pytest.fixture
def service() -> FakeService:
    return FakeService()


@pytest.fixture
def api(service: FakeService) -> KmsApi:
    return KmsApi(service, strict_output=True)


def call(api: KmsApi, operation: str, body: Any) -> tuple[int, dict[str, str], Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, headers, out = api.handle(f"TrentService.{operation}", raw, CALLER)
    assert headers["Content-Type"] == JSON_CONTENT_TYPE
    return status, headers, json.loads(out) if out else None


def error_of(api: KmsApi, operation: str, body: Any) -> dict[str, str]:
    status, _, document = call(api, operation, body)
    assert status == 400, document
    return document


def validation_message(api: KmsApi, operation: str, body: Any) -> str:
    document = error_of(api, operation, body)
    assert document["__type"] == "ValidationException", document
    return document["message"]


def serialization_message(api: KmsApi, operation: str, body: Any) -> str | None:
    document = error_of(api, operation, body)
    assert document["__type"] == "SerializationException", document
    assert set(document) <= {"__type", "Message"}
    return document.get("Message")


# -- model ------------------------------------------------------------------------------------


def test_model_comes_from_botocore() -> None:
    assert model.target_prefix() == "TrentService"
    names = model.operation_names()
    assert {"Encrypt", "Decrypt", "GenerateDataKey", "CreateKey", "ListAliases"} <= set(names)
    assert model.input_shape("Encrypt").required_members == ["KeyId", "Plaintext"]
    assert model.output_shape("CreateAlias") is None
    assert "CiphertextBlob" in model.output_shape("Encrypt").members
    assert model.shape("PlaintextType").metadata["max"] == 4096
    assert "NotFoundException" in model.error_shape_names()
    assert "NotFoundException" in model.operation_errors("Encrypt")
    assert model.method_name("GenerateDataKeyWithoutPlaintext") == (
        "generate_data_key_without_plaintext")
    assert model.param_name("NumberOfBytes") == "number_of_bytes"
    assert model.lower_camel("KeyId") == "keyId"
    with pytest.raises(KeyError):
        model.operation_model("Nope")


# -- target -----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [
    None, "", "Encrypt", "TrentService.", "TrentService.Nope", "trentservice.encrypt",
    "TrentService.encrypt", "DynamoDB_20120810.ListTables", "TrentService.Encrypt.x",
])
def test_unknown_target_is_unknown_operation_without_message(api: KmsApi, target: str | None,
                                                               service: FakeService) -> None:
    status, headers, body = api.handle(target, b"{}", CALLER)
    assert status == 400
    assert headers == {"Content-Type": JSON_CONTENT_TYPE}
    assert json.loads(body) == {"__type": "UnknownOperationException"}
    assert service.calls == []


def test_operation_the_service_lacks_is_unsupported(api: KmsApi) -> None:
    document = error_of(api, "ConnectCustomKeyStore", {"CustomKeyStoreId": "cks-1"})
    assert document == {"__type": "UnsupportedOperationException",
                        "message": "ConnectCustomKeyStore is not supported by this KMS."}


# -- body -------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    b"", b"{", b"null", b'"x"', b"1", b"true", b'{"KeyId": "k",}', b"\xff\xfe",
    b'{"NumberOfBytes": NaN}', b"{}{}", b"[1",
])
def test_body_that_is_not_a_json_object(api: KmsApi, body: bytes) -> None:
    status, _, raw = api.handle("TrentService.GenerateRandom", body, CALLER)
    assert status == 400
    assert json.loads(raw) == {"__type": "SerializationException"}


def test_top_level_array(api: KmsApi) -> None:
    assert serialization_message(api, "GenerateRandom", b"[]") == (
        "Start of list found where not expected")


# -- wrong JSON types -> SerializationException ------------------------------------------------


@pytest.mark.parametrize(("operation", "body", "message"), [
    ("GenerateDataKey", {"KeyId": "k", "NumberOfBytes": "12"},
     "STRING_VALUE can not be converted to an Integer"),
    ("GenerateDataKey", {"KeyId": "k", "NumberOfBytes": True},
     "TRUE_VALUE can not be converted to an Integer"),
    ("GenerateDataKey", {"KeyId": "k", "NumberOfBytes": [1]},
     "Start of list found where not expected"),
    ("GenerateDataKey", {"KeyId": "k", "NumberOfBytes": {"a": 1}},
     "Start of structure or map found where not expected."),
    ("DescribeKey", {"KeyId": 1}, "NUMBER_VALUE can not be converted to a String"),
    ("DescribeKey", {"KeyId": 1.5}, "NUMBER_VALUE can not be converted to a String"),
    ("DescribeKey", {"KeyId": True}, "TRUE_VALUE can not be converted to a String"),
    ("DescribeKey", {"KeyId": False}, "FALSE_VALUE can not be converted to a String"),
    ("DescribeKey", {"KeyId": ["k"]}, "Start of list found where not expected"),
    ("DescribeKey", {"KeyId": {}}, "Start of structure or map found where not expected."),
    ("Encrypt", {"KeyId": "k", "Plaintext": "aGk=", "EncryptionContext": "x"},
     "Expected map or null"),
    ("Encrypt", {"KeyId": "k", "Plaintext": "aGk=", "EncryptionContext": ["x"]},
     "Start of list found where not expected"),
    ("Encrypt", {"KeyId": "k", "Plaintext": "aGk=", "EncryptionContext": {"a": 1}},
     "NUMBER_VALUE can not be converted to a String"),
    ("Encrypt", {"KeyId": "k", "Plaintext": "aGk=", "GrantTokens": "t"},
     "Expected list or null"),
    ("Encrypt", {"KeyId": "k", "Plaintext": "aGk=", "GrantTokens": {"t": "t"}},
     "Start of structure or map found where not expected."),
    ("Encrypt", {"KeyId": "k", "Plaintext": "aGk=", "GrantTokens": [7]},
     "NUMBER_VALUE can not be converted to a String"),
    ("Encrypt", {"KeyId": "k", "Plaintext": 5}, "NUMBER_VALUE can not be converted to a Blob"),
    ("Encrypt", {"KeyId": "k", "Plaintext": True}, "TRUE_VALUE can not be converted to a Blob"),
    ("Encrypt", {"KeyId": "k", "Plaintext": "aGk=", "DryRun": "maybe"},
     "STRING_VALUE can not be converted to an Boolean"),
    ("Encrypt", {"KeyId": "k", "Plaintext": "aGk=", "DryRun": 1},
     "NUMBER_VALUE can not be converted to a Boolean"),
    ("CreateKey", {"Tags": ["x"]}, "Expected null"),
    ("CreateKey", {"Tags": [["x"]]}, "Start of list found where not expected"),
    ("CreateKey", {"Tags": [{"TagKey": 1, "TagValue": "v"}]},
     "NUMBER_VALUE can not be converted to a String"),
    ("CreateGrant", {"KeyId": "k", "GranteePrincipal": "p", "Operations": ["Decrypt"],
                     "Constraints": "x"}, "Expected null"),
    ("ImportKeyMaterial", {"KeyId": "k", "ImportToken": "aGk=", "EncryptedKeyMaterial": "aGk=",
                           "ValidTo": "2030-01-01T00:00:00Z"},
     "STRING_VALUE can not be converted to a Timestamp"),
])
def test_wrong_json_type(api: KmsApi, service: FakeService, operation: str, body: Any,
                         message: str) -> None:
    assert serialization_message(api, operation, body) == message
    assert service.calls == []


def test_first_wrong_type_in_document_order_wins(api: KmsApi) -> None:
    body = b'{"NumberOfBytes": "1", "KeyId": 2}'
    assert serialization_message(api, "GenerateDataKey", body) == (
        "STRING_VALUE can not be converted to an Integer")
    body = b'{"KeyId": 2, "NumberOfBytes": "1"}'
    assert serialization_message(api, "GenerateDataKey", body) == (
        "NUMBER_VALUE can not be converted to a String")


def test_type_errors_come_before_constraint_errors(api: KmsApi) -> None:
    # KeyId is missing (a validation error) but the wrong type is reported first.
    assert serialization_message(api, "GenerateDataKey", {"NumberOfBytes": "1"}) == (
        "STRING_VALUE can not be converted to an Integer")


@pytest.mark.parametrize(("text", "reason"), [
    ("abc", "Base64 encoded length is expected a multiple of 4 bytes but found: 3"),
    ("ab!d", "Invalid Base64 character: '!'"),
    ("ab=d", "Invalid Base64 character: '='"),
    ("aGk=\n", "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
    ("aGl=", "Invalid last non-pad Base64 character dectected"),
    ("====", "Invalid last non-pad Base64 character dectected"),
])
def test_invalid_base64(api: KmsApi, text: str, reason: str) -> None:
    # A non-sensitive blob echoes the value; the sensitive Plaintext does not.
    message = serialization_message(api, "Decrypt", {"CiphertextBlob": text})
    assert message == f"'{text}' can not be converted to a Blob: {reason}"
    message = serialization_message(api, "Encrypt", {"KeyId": "k", "Plaintext": text})
    assert message == f"Value can not be converted to a Blob: {reason}"


# -- what the service receives -----------------------------------------------------------------


def test_service_gets_snake_case_keywords_bytes_and_the_caller(api: KmsApi,
                                                               service: FakeService) -> None:
    status, _, document = call(api, "Encrypt", {
        "KeyId": "alias/x", "Plaintext": b64(b"secret"), "EncryptionContext": {"a": "b"},
        "GrantTokens": ["t1"], "DryRun": False})
    assert status == 200
    name, caller, kwargs = service.calls[-1]
    assert name == "encrypt"
    assert caller is CALLER
    assert kwargs == {"key_id": "alias/x", "plaintext": b"secret",
                      "encryption_context": {"a": "b"}, "encryption_algorithm": None,
                      "grant_tokens": ["t1"], "dry_run": False}
    assert document == {"CiphertextBlob": b64(b"\x01\x02secret"), "KeyId": KEY_ARN,
                        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}


def test_only_present_members_are_passed_nulls_and_unknown_members_dropped(
        api: KmsApi, service: FakeService) -> None:
    call(api, "GenerateDataKey", {"KeyId": "k", "KeySpec": "AES_256", "NumberOfBytes": None,
                                  "EncryptionContext": None, "Bogus": {"x": [1, 2]},
                                  "keyId": 5})
    assert service.last == {"key_id": "k", "key_spec": "AES_256"}


def test_nested_structures_keep_model_member_names(api: KmsApi, service: FakeService) -> None:
    call(api, "CreateKey", {"Tags": [{"TagKey": "team", "TagValue": "blue"}],
                            "MultiRegion": True, "Description": ""})
    assert service.last == {"tags": [{"TagKey": "team", "TagValue": "blue"}],
                            "multi_region": True, "description": ""}
    call(api, "CreateGrant", {"KeyId": "k", "GranteePrincipal": "arn:aws:iam::1:root",
                              "Operations": ["Decrypt"],
                              "Constraints": {"EncryptionContextSubset": {"a": "b"}}})
    assert service.last["constraints"] == {"EncryptionContextSubset": {"a": "b"}}


def test_lenient_coercions_aws_applies(api: KmsApi, service: FakeService) -> None:
    call(api, "GenerateDataKey", {"KeyId": "k", "NumberOfBytes": 32.9, "DryRun": "TRUE"})
    assert service.last["number_of_bytes"] == 32
    assert service.last["dry_run"] is True
    call(api, "GenerateDataKey", {"KeyId": "k", "NumberOfBytes": 3.2e1, "DryRun": "no"})
    assert service.last["number_of_bytes"] == 32
    assert service.last["dry_run"] is False


def test_timestamps_arrive_as_utc_datetimes(api: KmsApi, service: FakeService) -> None:
    body = b'{"KeyId": "k", "ImportToken": "aGk=", "EncryptedKeyMaterial": "aGk=", ' \
           b'"ValidTo": 1893456000.25, "ExpirationModel": "KEY_MATERIAL_EXPIRES"}'
    status, _, _ = call(api, "ImportKeyMaterial", body)
    assert status == 200
    assert service.last["valid_to"] == datetime(2030, 1, 1, 0, 0, 0, 250000, tzinfo=UTC)
    assert service.last["import_token"] == b"hi"


def test_method_without_a_parameter_refuses_it_with_400(api: KmsApi,
                                                        service: FakeService) -> None:
    document = error_of(api, "DescribeKey", {"KeyId": "k", "GrantTokens": ["t"]})
    assert document == {"__type": "UnsupportedOperationException",
                        "message": "The parameter GrantTokens is not supported by this KMS for "
                                   "DescribeKey."}
    assert service.calls == []


# -- constraints -> ValidationException ---------------------------------------------------------


def one(text: str) -> str:
    return f"1 validation error detected: {text}"


@pytest.mark.parametrize(("operation", "body", "message"), [
    ("Encrypt", {"KeyId": "", "Plaintext": b64(b"x")},
     one("Value '' at 'keyId' failed to satisfy constraint: Member must have length greater "
         "than or equal to 1")),
    ("Encrypt", {"KeyId": "k", "Plaintext": b64(b"x" * 4097)},
     one("Value at 'plaintext' failed to satisfy constraint: Member must have length less than "
         "or equal to 4096")),
    ("Encrypt", {"KeyId": "k", "Plaintext": ""},
     one("Value at 'plaintext' failed to satisfy constraint: Member must have length greater "
         "than or equal to 1")),
    ("Encrypt", {"Plaintext": b64(b"x")},
     one("Value null at 'keyId' failed to satisfy constraint: Member must not be null")),
    ("Encrypt", {"KeyId": None, "Plaintext": b64(b"x")},
     one("Value null at 'keyId' failed to satisfy constraint: Member must not be null")),
    ("GenerateDataKey", {"KeyId": "k", "NumberOfBytes": 0},
     one("Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value "
         "greater than or equal to 1")),
    ("GenerateDataKey", {"KeyId": "k", "NumberOfBytes": 1025},
     one("Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value "
         "less than or equal to 1024")),
    ("GenerateDataKey", {"KeyId": "k", "NumberOfBytes": 99999999999},
     one("Value at 'numberOfBytes' failed to satisfy constraint: Member must have value less "
         "than or equal to 1024")),
    ("GenerateDataKey", {"KeyId": "k", "NumberOfBytes": -1e300},
     one("Value at 'numberOfBytes' failed to satisfy constraint: Member must have value greater "
         "than or equal to 1")),
    ("GenerateDataKey", {"KeyId": "k", "KeySpec": "AES-256"},
     one("Value 'AES-256' at 'keySpec' failed to satisfy constraint: Member must satisfy enum "
         "value set: [AES_256, AES_128]")),
    ("Decrypt", {"CiphertextBlob": b64(b"c" * 6145)},
     one("Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length less "
         "than or equal to 6144")),
    ("CreateKey", {"Tags": [{"TagKey": "ok", "TagValue": "v"}, {"TagKey": "", "TagValue": "v"}]},
     one("Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: Member must have "
         "length greater than or equal to 1")),
    ("CreateKey", {"Tags": [{"TagKey": "k"}]},
     one("Value null at 'tags.1.member.tagValue' failed to satisfy constraint: Member must not "
         "be null")),
    ("CreateKey", {"Tags": [None]},
     one("Value null at 'tags.1.member' failed to satisfy constraint: Member must not be null")),
    ("CreateAlias", {"AliasName": "alias/bad name", "TargetKeyId": "k"},
     one("Value 'alias/bad name' at 'aliasName' failed to satisfy constraint: Member must "
         "satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")),
    ("Encrypt", {"KeyId": "k", "Plaintext": "aGk=", "GrantTokens": ["t"] * 11},
     one("Value '[t, t, t, t, t, t, t, t, t, t, t]' at 'grantTokens' failed to satisfy "
         "constraint: Member must have length less than or equal to 10")),
    ("Encrypt", {"KeyId": "k", "Plaintext": "aGk=", "GrantTokens": ["t", ""]},
     one("Value '' at 'grantTokens.2.member' failed to satisfy constraint: Member must have "
         "length greater than or equal to 1")),
    ("CreateGrant", {"KeyId": "k", "GranteePrincipal": "p", "Operations": ["Decrypt", "Fly"]},
     one("Value 'Fly' at 'operations.2.member' failed to satisfy constraint: Member must "
         "satisfy enum value set: [" + ", ".join(model.shape("GrantOperation").enum) + "]")),
    ("Encrypt", {"KeyId": "k", "Plaintext": "aGk=", "EncryptionContext": {"a": None}},
     one("Value '{a=null}' at 'encryptionContext' failed to satisfy constraint: Map value must "
         "satisfy constraint: [Member must not be null]")),
    ("ListKeys", {"Limit": 0, "Marker": "\u0100"},
     "2 validation errors detected: Value '0' at 'limit' failed to satisfy constraint: Member "
     "must have value greater than or equal to 1; Value '\u0100' at 'marker' failed to satisfy "
     "constraint: Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*"),
])
def test_constraint_violation_messages(api: KmsApi, service: FakeService, operation: str,
                                       body: Any, message: str) -> None:
    assert validation_message(api, operation, body) == message
    assert service.calls == []


def test_bad_key_spec_on_create_key_lists_the_model_enum(api: KmsApi) -> None:
    message = validation_message(api, "CreateKey", {"KeySpec": "AES_512"})
    specs = ", ".join(model.shape("KeySpec").enum)
    assert message == one("Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member "
                          f"must satisfy enum value set: [{specs}]")
    assert "SYMMETRIC_DEFAULT" in specs


def test_several_violations_are_aggregated_in_model_order(api: KmsApi) -> None:
    message = validation_message(api, "Encrypt", {
        "EncryptionAlgorithm": "ROT13", "Plaintext": b64(b"x" * 5000), "KeyId": ""})
    algorithms = ", ".join(model.shape("EncryptionAlgorithmSpec").enum)
    assert message == (
        "3 validation errors detected: "
        "Value '' at 'keyId' failed to satisfy constraint: Member must have length greater "
        "than or equal to 1; "
        "Value at 'plaintext' failed to satisfy constraint: Member must have length less than "
        "or equal to 4096; "
        f"Value 'ROT13' at 'encryptionAlgorithm' failed to satisfy constraint: Member must "
        f"satisfy enum value set: [{algorithms}]")


def test_one_member_can_fail_several_constraints(api: KmsApi) -> None:
    message = validation_message(api, "CreateAlias", {"AliasName": "", "TargetKeyId": "k"})
    assert message == (
        "2 validation errors detected: Value '' at 'aliasName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; Value '' at 'aliasName' failed "
        "to satisfy constraint: Member must satisfy regular expression pattern: "
        "^[a-zA-Z0-9:/_-]+$")


def test_at_most_ten_violations_are_reported(api: KmsApi) -> None:
    message = validation_message(api, "Encrypt", {"KeyId": "k", "Plaintext": "aGk=",
                                                  "GrantTokens": [""] * 12})
    assert message.startswith("10 validation errors detected: Value '[, , , ")
    assert message.count("; ") == 9


def test_validation_helpers_for_the_service() -> None:
    error = validation_error([violation("pendingWindowInDays", 400,
                                        "Member must have value less than or equal to 30")])
    assert error.type_name == "ValidationException"
    assert error.message == one("Value '400' at 'pendingWindowInDays' failed to satisfy "
                                "constraint: Member must have value less than or equal to 30")
    assert violation("plaintext", b"x", "c", hidden=True) == (
        "Value at 'plaintext' failed to satisfy constraint: c")


class CatchAll:
    """A service with every method: takes anything, returns an empty result."""

    def __getattr__(self, name: str) -> Any:
        return lambda caller, **kwargs: {}


def test_every_operation_validates_without_crashing() -> None:
    """An empty or wrongly typed request to any model operation is a clean 400 (or reaches
    the service), never a 500."""
    api = KmsApi(CatchAll(), strict_output=True)
    for operation in model.operation_names():
        shape = model.input_shape(operation)
        bodies: list[Any] = [{}]
        if shape is not None:
            for member in shape.members:
                bodies += [{member: value} for value in (1, "x", "", True, [], {}, [{}], [""],
                                                         {"a": 1}, {"a": ""}, 10**12)]
        for body in bodies:
            status, _, raw = api.handle(f"TrentService.{operation}", json.dumps(body).encode(),
                                        CALLER)
            assert status in (200, 400), (operation, body, raw)
            if status == 400:
                assert json.loads(raw)["__type"] in ("ValidationException",
                                                     "SerializationException"), raw


# -- responses ------------------------------------------------------------------------------


def test_timestamps_go_out_as_epoch_seconds(api: KmsApi) -> None:
    status, _, document = call(api, "DescribeKey", {"KeyId": "k"})
    assert status == 200
    metadata = document["KeyMetadata"]
    assert metadata["CreationDate"] == datetime(2026, 11, 28, 13, 39, 11, 500000,
                                                tzinfo=UTC).timestamp()
    assert isinstance(metadata["CreationDate"], float)
    assert metadata["DeletionDate"] == datetime(2026, 12, 28, tzinfo=UTC).timestamp()
    assert metadata["ValidTo"] == 1893456000
    assert "Description" not in metadata  # None members are omitted


def test_operation_without_output_answers_an_empty_body(api: KmsApi) -> None:
    for operation, body in (("CreateAlias", {"AliasName": "alias/a", "TargetKeyId": "k"}),
                            ("EnableKey", {"KeyId": "k"})):
        status, headers, raw = api.handle(f"TrentService.{operation}",
                                          json.dumps(body).encode(), CALLER)
        assert (status, raw) == (200, b"")
        assert headers["Content-Type"] == JSON_CONTENT_TYPE


@pytest.mark.parametrize(("result", "problem"), [
    ({"Plaintext": b"x", "Bogus": 1}, "GenerateRandom.Bogus: not a member"),
    ({"Plaintext": "not bytes"}, "GenerateRandom.Plaintext: str is not a blob"),
    ({"CiphertextForRecipient": 5}, "int is not a blob"),
    (["Plaintext"], "expected a mapping"),
])
def test_result_that_does_not_fit_the_model(service: FakeService, result: Any, problem: str,
                                            caplog: pytest.LogCaptureFixture) -> None:
    service.random_result = result
    with pytest.raises(OutputShapeError, match=problem):
        KmsApi(service, strict_output=True).handle("TrentService.GenerateRandom",
                                                   b'{"NumberOfBytes": 1}', CALLER)
    # In production the client gets a plain 500 and the log says why.
    status, _, raw = KmsApi(service).handle("TrentService.GenerateRandom",
                                            b'{"NumberOfBytes": 1}', CALLER)
    assert status == 500
    assert json.loads(raw)["__type"] == "KMSInternalException"
    assert "does not fit the model" in caplog.text


def test_enum_value_unknown_to_the_model_is_drift(service: FakeService) -> None:
    service.describe_key = lambda caller, key_id: {  # type: ignore[method-assign]
        "KeyMetadata": {"KeyId": "k", "KeyState": "Sleeping"}}
    with pytest.raises(OutputShapeError, match="'Sleeping' is not a value of KeyState"):
        KmsApi(service, strict_output=True).handle("TrentService.DescribeKey",
                                                   b'{"KeyId": "k"}', CALLER)


# -- errors -----------------------------------------------------------------------------------


def test_service_error_is_rendered_with_lower_case_message(api: KmsApi) -> None:
    status, headers, raw = api.handle("TrentService.Encrypt",
                                      json.dumps({"KeyId": "missing",
                                                  "Plaintext": "aGk="}).encode(), CALLER)
    assert status == 400
    assert headers == {"Content-Type": JSON_CONTENT_TYPE}
    assert json.loads(raw) == {"__type": "NotFoundException",
                               "message": "Key 'missing' does not exist"}


def test_duck_typed_domain_error_is_rendered(api: KmsApi) -> None:
    document = error_of(api, "Encrypt", {"KeyId": "domain-error", "Plaintext": "aGk="})
    assert document == {"__type": "DisabledException", "message": f"{KEY_ARN} is disabled."}


def test_unexpected_exception_is_an_opaque_500_logged_without_secrets(
        api: KmsApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kms.api")
    body = json.dumps({"KeyId": "boom", "Plaintext": b64(b"hunter2")}).encode()
    status, headers, raw = api.handle("TrentService.Encrypt", body, CALLER)
    assert status == 500
    assert headers == {"Content-Type": JSON_CONTENT_TYPE}
    document = json.loads(raw)
    assert document["__type"] == "KMSInternalException"
    assert "hunter2" not in document["message"] and "RuntimeError" not in document["message"]
    assert "KMS Encrypt failed: unexpected RuntimeError" in caplog.text
    assert b64(b"hunter2") not in caplog.text  # the request body is never logged


def test_error_type_names_and_statuses() -> None:
    assert KmsApiError("NotFoundException", "x").status == 400
    assert KmsApiError("DisabledException", "x").status == 400
    assert KmsApiError("KMSInternalException", "x").status == 500
    assert KmsApiError("DryRunOperationException", "x").status == 412
    assert KmsApiError("ConflictException", "x").status == 409
    assert KmsApiError("DependencyTimeoutException", "x").status == 503
    assert KmsApiError("NotFoundException", "x", 404).status == 404
    with pytest.raises(ValueError, match="unknown KMS error type"):
        KmsApiError("NotFound", "typo")
    for name in ("ValidationException", "AccessDeniedException", "UnrecognizedClientException",
                 "InvalidSignatureException", "IncompleteSignatureException",
                 "MissingAuthenticationTokenException", "UnknownOperationException",
                 "SerializationException", "KMSInvalidStateException", "TagException",
                 "InvalidCiphertextException", "KMSInvalidMacException"):
        assert name in known_error_types()


def test_error_bodies() -> None:
    assert json.loads(KmsApiError("InvalidCiphertextException").render()[2]) == {
        "__type": "InvalidCiphertextException"}
    assert json.loads(KmsApiError("SerializationException", "m").render()[2]) == {
        "__type": "SerializationException", "Message": "m"}
    assert json.loads(KmsApiError("AccessDeniedException", "no").render()[2]) == {
        "__type": "AccessDeniedException", "message": "no"}


def test_observer_sees_every_call(service: FakeService) -> None:
    records = []
    api = KmsApi(service, observer=records.append)
    api.handle("TrentService.Encrypt", b'{"KeyId": "k", "Plaintext": "aGk="}', CALLER)
    api.handle("TrentService.Encrypt", b'{"KeyId": ""}', CALLER)
    api.handle("TrentService.Nope", b"{}", CALLER)
    assert [(r.operation, r.status, r.error_type) for r in records] == [
        ("Encrypt", 200, None), ("Encrypt", 400, "ValidationException"),
        (None, 400, "UnknownOperationException")]
    assert records[0].params == {"KeyId": "k", "Plaintext": b"hi"}
    assert records[0].result is not None and records[0].result["KeyId"] == KEY_ARN

    def broken(record: object) -> None:
        raise RuntimeError("observer bug")

    status, _, _ = KmsApi(service, observer=broken).handle(
        "TrentService.Encrypt", b'{"KeyId": "k", "Plaintext": "aGk="}', CALLER)
    assert status == 200
