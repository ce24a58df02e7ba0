"""The KMS over the wire: boto3's kms client, the AWS CLI and the AWS Encryption SDK
against the server's endpoint, with the object store's identities."""

from __future__ import annotations

import base64
import http.client
import json
import urllib.parse
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import ACCESS_KEY, REGION, SECRET_KEY, add_user, aws_cli, make_client


@pytest.fixture(scope="module")
def kms(server):
    return make_client(server.endpoint, "kms")


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return error.value.response["Error"]["Code"]


def test_key_life_through_boto3(kms) -> None:
    created = kms.create_key(Description="boto3 key", Tags=[{"TagKey": "team",
                                                              "TagValue": "storage"}])
    meta = created["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    kms.create_alias(AliasName="alias/boto3-key", TargetKeyId=meta["KeyId"])
    alias_arn = f"arn:aws:kms:{REGION}:111122223333:alias/boto3-key"
    described = kms.describe_key(KeyId=alias_arn)["KeyMetadata"]
    assert described["Arn"] == meta["Arn"]
    assert described["CreationDate"].year >= 2026
    sealed = kms.encrypt(KeyId="alias/boto3-key", Plaintext=b"over the wire",
                         EncryptionContext={"purpose": "test"})
    assert sealed["KeyId"] == meta["Arn"]
    opened = kms.decrypt(CiphertextBlob=sealed["CiphertextBlob"],
                         EncryptionContext={"purpose": "test"})
    assert opened["Plaintext"] == b"over the wire"
    data_key = kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_256")
    assert len(data_key["Plaintext"]) == 32
    tags = kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"]
    assert tags == [{"TagKey": "team", "TagValue": "storage"}]
    kms.disable_key(KeyId=meta["KeyId"])
    with pytest.raises(kms.exceptions.DisabledException):
        kms.decrypt(CiphertextBlob=sealed["CiphertextBlob"],
                    EncryptionContext={"purpose": "test"})
    kms.enable_key(KeyId=meta["KeyId"])
    scheduled = kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion"
    with pytest.raises(kms.exceptions.KMSInvalidStateException):
        kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")
    kms.cancel_key_deletion(KeyId=meta["KeyId"])


def test_errors_on_the_wire(kms) -> None:
    with pytest.raises(kms.exceptions.NotFoundException) as missing:
        kms.describe_key(KeyId="alias/does-not-exist")
    assert "is not found" in missing.value.response["Error"]["Message"]
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as too_big:
        kms.encrypt(KeyId=key, Plaintext=b"x" * 5000)
    assert _code(too_big) == "ValidationException"
    with pytest.raises(ClientError) as bad_bytes:
        kms.generate_data_key(KeyId=key, NumberOfBytes=2000)
    assert _code(bad_bytes) == "ValidationException"
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=b"not a ciphertext at all, clearly")


def test_auth_errors_in_the_kms_shape(server) -> None:
    wrong = make_client(server.endpoint, "kms", secret_key="wrong")
    with pytest.raises(ClientError) as error:
        wrong.list_keys()
    assert _code(error) == "InvalidSignatureException"
    unknown = make_client(server.endpoint, "kms", access_key="AKIANOBODY0000000000")
    with pytest.raises(ClientError) as error:
        unknown.list_keys()
    assert _code(error) == "UnrecognizedClientException"


def test_raw_protocol_errors(server) -> None:
    def send(target: str, body: bytes) -> tuple[int, dict]:
        request = AWSRequest("POST", server.endpoint + "/", data=body, headers={
            "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
        SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "kms", REGION).add_auth(request)
        parsed = urllib.parse.urlsplit(server.endpoint)
        connection = http.client.HTTPConnection(parsed.netloc, timeout=10)
        connection.request("POST", "/", body=body, headers=dict(request.headers.items()))
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")

    status, body = send("TrentService.ListKeys", b"{not json")
    assert status == 400 and body["__type"] == "SerializationException"
    status, body = send("TrentService.NoSuchOperation", b"{}")
    assert status == 400 and body["__type"] == "UnknownOperationException"


def test_a_second_user_denied_by_the_key_policy(server, kms) -> None:
    fields = add_user(server, "erin")
    erin = make_client(server.endpoint, "kms", access_key=fields["access key id"],
                       secret_key=fields["secret access key"])
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/admin"},
         "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": fields["arn"]},
         "Action": ["kms:Describe*", "kms:Get*", "kms:Disable*", "kms:Enable*"],
         "Resource": "*"}]}
    key = kms.create_key(Policy=json.dumps(policy),
                         BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]["KeyId"]
    assert erin.describe_key(KeyId=key)["KeyMetadata"]["KeyId"] == key
    with pytest.raises(ClientError) as denied:
        erin.encrypt(KeyId=key, Plaintext=b"x")
    assert _code(denied) == "AccessDeniedException"
    assert json.loads(erin.get_key_policy(KeyId=key, PolicyName="default")["Policy"]) == policy


def test_keys_survive_a_restart(server_factory) -> None:
    proc = server_factory()
    kms = proc.client("kms")
    key = kms.create_key(Description="durable")["KeyMetadata"]["KeyId"]
    sealed = kms.encrypt(KeyId=key, Plaintext=b"still here")["CiphertextBlob"]
    proc.restart()
    kms = proc.client("kms")
    assert kms.decrypt(CiphertextBlob=sealed)["Plaintext"] == b"still here"
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["Description"] == "durable"


def test_the_aws_cli(server, aws_cli_env: dict, tmp_path: Path) -> None:
    created = json.loads(aws_cli(aws_cli_env, server.endpoint, "kms", "create-key",
                                 "--description", "from the cli").stdout)
    key = created["KeyMetadata"]["KeyId"]
    (tmp_path / "plain.txt").write_bytes(b"cli plaintext")
    sealed = json.loads(aws_cli(aws_cli_env, server.endpoint, "kms", "encrypt", "--key-id",
                                key, "--plaintext", f"fileb://{tmp_path / 'plain.txt'}").stdout)
    (tmp_path / "sealed.bin").write_bytes(base64.b64decode(sealed["CiphertextBlob"]))
    opened = json.loads(aws_cli(aws_cli_env, server.endpoint, "kms", "decrypt",
                                "--ciphertext-blob", f"fileb://{tmp_path / 'sealed.bin'}")
                        .stdout)
    assert base64.b64decode(opened["Plaintext"]) == b"cli plaintext"
    listed = json.loads(aws_cli(aws_cli_env, server.endpoint, "kms", "list-keys").stdout)
    assert key in [k["KeyId"] for k in listed["Keys"]]


def test_the_aws_encryption_sdk(server, monkeypatch: pytest.MonkeyPatch) -> None:
    import aws_encryption_sdk
    from aws_encryption_sdk import CommitmentPolicy
    from aws_encryption_sdk.key_providers.kms import StrictAwsKmsMasterKeyProvider

    kms = make_client(server.endpoint, "kms")
    key_arn = kms.create_key(Description="envelope")["KeyMetadata"]["Arn"]
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", server.endpoint)  # as a user would point it
    session = botocore.session.Session()
    session.set_credentials(ACCESS_KEY, SECRET_KEY)
    session.set_config_variable("region", REGION)
    provider = StrictAwsKmsMasterKeyProvider(key_ids=[key_arn], botocore_session=session)
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    message = b"client-side envelope encryption with our KMS " * 100
    ciphertext, _header = client.encrypt(source=message, key_provider=provider,
                                        encryption_context={"app": "tests"})
    assert message not in ciphertext
    plaintext, _ = client.decrypt(source=ciphertext, key_provider=provider)
    assert plaintext == message
    calls = [r["eventName"] for r in json.loads(
        "[" + ",".join((server.data_dir / "kms" / "audit.jsonl").read_text().splitlines())
        + "]")[-5:]]
    assert "GenerateDataKey" in calls and "Decrypt" in calls


def test_boto3_needs_no_special_setup(server) -> None:
    client = boto3.client("kms", endpoint_url=server.endpoint, region_name="eu-west-1",
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          config=Config(retries={"max_attempts": 1}))
    key = client.create_key()["KeyMetadata"]
    assert key["Arn"].startswith("arn:aws:kms:eu-west-1:")
