"""Authentication end to end: presigned URLs (SigV4 and SigV2), wrong keys, clock skew,
anonymous requests, and requests meant for other services."""

from __future__ import annotations

import datetime as dt
import http.client
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import boto3
import botocore
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ACCESS_KEY, REGION, SECRET_KEY, add_user, make_client


@contextmanager
def client_clock(offset: dt.timedelta) -> Iterator[None]:
    """Move botocore's clock (its Python and its CRT signers, and SigV2's epoch)."""
    real_time = time.time

    def now(remove_tzinfo: bool = True) -> dt.datetime:
        moment = dt.datetime.now(dt.UTC) + offset
        return moment.replace(tzinfo=None) if remove_tzinfo else moment

    with mock.patch("botocore.auth.get_current_datetime", now), \
            mock.patch("botocore.crt.auth.get_current_datetime", now), \
            mock.patch("time.time", lambda: real_time() + offset.total_seconds()):
        yield


def _fetch(url: str, method: str = "GET",
           data: bytes | None = None) -> tuple[int, bytes, dict[str, str]]:
    """A plain HTTP request with no headers of its own (urllib would add a Content-Type,
    which SigV2 signs)."""
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.netloc, timeout=30)
    connection.request(method, parsed.path + "?" + parsed.query, body=data)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body, dict(response.getheaders())


def _code(body: bytes) -> str:
    return body.split(b"<Code>")[1].split(b"</Code>")[0].decode()


@pytest.mark.parametrize("signature_version", [None, "s3v4"], ids=["sigv2", "sigv4"])
def test_presigned_get_and_put(server, bucket: str, signature_version: str | None) -> None:
    config = {"signature_version": signature_version} if signature_version else {}
    s3 = make_client(server.endpoint, **config)
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket,
                                                              "Key": "dir/a b+c.txt"})
    assert ("X-Amz-Signature" in put_url) == (signature_version == "s3v4")
    status, _, _ = _fetch(put_url, "PUT", b"presigned body")
    assert status == 200
    get_url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "dir/a b+c.txt",
                              "ResponseContentType": "text/x-test"})
    status, body, headers = _fetch(get_url)
    assert (status, body) == (200, b"presigned body")
    assert headers["Content-Type"] == "text/x-test"


@pytest.mark.parametrize("signature_version", [None, "s3v4"], ids=["sigv2", "sigv4"])
def test_presigned_url_expires(server, bucket: str, signature_version: str | None) -> None:
    config = {"signature_version": signature_version} if signature_version else {}
    s3 = make_client(server.endpoint, **config)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with client_clock(-dt.timedelta(hours=2)):
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"},
                                        ExpiresIn=60)
    status, body, _ = _fetch(url)
    assert status == 403 and _code(body) == "AccessDenied"
    assert b"Request has expired" in body


def test_tampered_presigned_url_is_refused(server, bucket: str) -> None:
    s3 = make_client(server.endpoint, signature_version="s3v4")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.put_object(Bucket=bucket, Key="other", Body=b"y")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    status, body, _ = _fetch(url.replace(f"/{bucket}/k?", f"/{bucket}/other?"))
    assert status == 403 and _code(body) == "SignatureDoesNotMatch"


def test_wrong_secret_and_unknown_key(server, bucket: str) -> None:
    wrong = make_client(server.endpoint, secret_key="not-the-secret")
    with pytest.raises(ClientError) as error:
        wrong.list_objects_v2(Bucket=bucket)
    assert error.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "CanonicalRequest" in error.value.response["Error"]
    unknown = make_client(server.endpoint, access_key="AKIANOBODY0000000000")
    with pytest.raises(ClientError) as error:
        unknown.list_buckets()
    assert error.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_signature_is_checked_before_anything_else(server) -> None:
    wrong = make_client(server.endpoint, secret_key="not-the-secret")
    with pytest.raises(ClientError) as error:  # the bucket name is invalid, too
        wrong.create_bucket(Bucket="BAD_NAME")
    assert error.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_anonymous_request_is_denied(server, bucket: str) -> None:
    anonymous = boto3.client("s3", endpoint_url=server.endpoint, region_name=REGION,
                             config=Config(signature_version=botocore.UNSIGNED))
    with pytest.raises(ClientError) as error:
        anonymous.get_object(Bucket=bucket, Key="k")
    assert error.value.response["Error"]["Code"] == "AccessDenied"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize("minutes", [-20, 20])
def test_clock_skew_is_refused(server, bucket: str, minutes: int) -> None:
    s3 = make_client(server.endpoint)
    with client_clock(dt.timedelta(minutes=minutes)), pytest.raises(ClientError) as error:
        s3.list_objects_v2(Bucket=bucket)
    assert error.value.response["Error"]["Code"] == "RequestTimeTooSkewed"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_second_identity_works(server, bucket: str) -> None:
    fields = add_user(server, "carol")
    carol = make_client(server.endpoint, access_key=fields["access key id"],
                        secret_key=fields["secret access key"])
    carol.put_object(Bucket=bucket, Key="from-carol", Body=b"c")
    listing = make_client(server.endpoint).list_objects_v2(Bucket=bucket, FetchOwner=True)
    owners = {o["Key"]: o["Owner"]["DisplayName"] for o in listing["Contents"]}
    assert owners["from-carol"] == "carol"


def test_other_aws_services_get_a_quick_400(server) -> None:
    sts = boto3.client("sts", endpoint_url=server.endpoint, region_name=REGION,
                       aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                       config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as error:
        sts.get_caller_identity()
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    dynamo = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as error:
        dynamo.list_tables()
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.value.response["Error"]["Code"] == "UnknownOperationException"


def test_every_response_has_a_request_id(server, bucket: str) -> None:
    s3 = make_client(server.endpoint)
    ok = s3.head_bucket(Bucket=bucket)
    assert ok["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    with pytest.raises(ClientError) as error:
        s3.head_object(Bucket=bucket, Key="missing")
    assert error.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    assert error.value.response["Error"]["Code"] == "404"


def test_buckets_belong_to_the_account(server) -> None:
    fields = add_user(server, "dave")
    dave = make_client(server.endpoint, access_key=fields["access key id"],
                       secret_key=fields["secret access key"])
    admin = make_client(server.endpoint)
    admin.create_bucket(Bucket="shared-by-account",
                        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with pytest.raises(ClientError) as error:
        dave.create_bucket(Bucket="shared-by-account",
                           CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert error.value.response["Error"]["Code"] == "BucketAlreadyOwnedByYou"
    assert admin.list_buckets()["Owner"]["ID"] == dave.list_buckets()["Owner"]["ID"]
