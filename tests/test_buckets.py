"""Bucket operations through boto3: CreateBucket (naming rules, regions, re-creation),
HeadBucket, ListBuckets (prefix, region and paging), DeleteBucket, GetBucketLocation,
GetBucketVersioning, and the sub-resources this server does not implement."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import assert_error, client_error

EU = {"LocationConstraint": "eu-west-1"}


def unique(prefix: str = "bkt") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def head_status(s3: Any, bucket: str) -> int:
    try:
        return s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"]
    except ClientError as error:
        return error.response["ResponseMetadata"]["HTTPStatusCode"]


# -- CreateBucket ---------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", [
    "{u}",                          # shortest allowed
    "a" * 60 + "{u}",               # longest allowed
    "my.bucket-name.{u}",
    "0-starts-with-digit-{u}",
    "{u}-ends-with-digit-9",
    "192.168.5.{u}",                # looks a little like an IP address, but is not one
    "xn-single-hyphen-{u}",
])
def test_create_bucket_valid_names(s3: Any, pattern: str) -> None:
    name = pattern.format(u="z" + uuid.uuid4().hex[:2])
    response = s3.create_bucket(Bucket=name)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["Location"] == f"/{name}"
    assert head_status(s3, name) == 200
    s3.delete_bucket(Bucket=name)


@pytest.mark.parametrize("name", [
    "ab",                           # too short
    "a" * 64,                       # too long
    "Uppercase-bucket",
    "under_score",
    "192.168.5.4",                  # formatted as an IP address
    "double..dot",
    "dot.-hyphen",
    "hyphen-.dot",
    "-leading-hyphen",
    "trailing-hyphen-",
    ".leading-dot",
    "trailing-dot.",
    "xn--punycode-prefix",
    "sthree-reserved",
    "amzn-s3-demo-bucket",
    "name-s3alias",
    "name--ol-s3",
    "name.mrap",
])
def test_create_bucket_invalid_names(s3: Any, name: str) -> None:
    error = client_error(s3.create_bucket, Bucket=name)
    assert_error(error, "InvalidBucketName", 400)
    assert error.response["Error"]["BucketName"] == name
    assert head_status(s3, name) in (400, 404)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_recreate_own_bucket_in_us_east_1_is_a_no_op(s3: Any, bucket: str) -> None:
    """AWS's legacy us-east-1 rule: re-creating your own bucket there answers 200."""
    s3.put_object(Bucket=bucket, Key="kept", Body=b"still here")
    response = s3.create_bucket(Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"still here"
    assert [b["Name"] for b in s3.list_buckets(Prefix=bucket)["Buckets"]] == [bucket]


def test_recreate_own_bucket_outside_us_east_1(s3: Any) -> None:
    name = unique()
    s3.create_bucket(Bucket=name, CreateBucketConfiguration=EU)
    error = client_error(s3.create_bucket, Bucket=name, CreateBucketConfiguration=EU)
    assert_error(error, "BucketAlreadyOwnedByYou", 409)
    assert error.response["Error"]["BucketName"] == name
    # asking for us-east-1 (no constraint) does not make it a no-op either
    assert_error(client_error(s3.create_bucket, Bucket=name), "BucketAlreadyOwnedByYou", 409)
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"


def test_recreate_us_east_1_bucket_in_another_region(s3: Any, bucket: str) -> None:
    error = client_error(s3.create_bucket, Bucket=bucket, CreateBucketConfiguration=EU)
    assert_error(error, "BucketAlreadyOwnedByYou", 409)
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None


def test_explicit_us_east_1_location_constraint_is_invalid(s3: Any) -> None:
    name = unique()
    error = client_error(s3.create_bucket, Bucket=name,
                         CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert_error(error, "InvalidLocationConstraint", 400)
    assert head_status(s3, name) == 404


def test_create_bucket_malformed_configuration(s3: Any) -> None:
    name = unique()

    def corrupt(request: Any, **_: Any) -> None:
        request.data = b"<CreateBucketConfiguration><LocationConstraint>"

    s3.meta.events.register("before-sign.s3.CreateBucket", corrupt)
    try:
        error = client_error(s3.create_bucket, Bucket=name, CreateBucketConfiguration=EU)
    finally:
        s3.meta.events.unregister("before-sign.s3.CreateBucket", corrupt)
    assert_error(error, "MalformedXML", 400)
    assert head_status(s3, name) == 404


# -- HeadBucket -----------------------------------------------------------------------------


def test_head_bucket(s3: Any, bucket: str) -> None:
    response = s3.head_bucket(Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["BucketRegion"] == "us-east-1"


def test_head_bucket_reports_its_region(s3: Any) -> None:
    name = unique()
    s3.create_bucket(Bucket=name, CreateBucketConfiguration=EU)
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"


def test_head_missing_bucket_is_a_bodiless_404(s3: Any) -> None:
    error = client_error(s3.head_bucket, Bucket=unique("missing"))
    # no body to parse: botocore falls back to the status code and reason phrase
    assert error.response["Error"] == {"Code": "404", "Message": "Not Found"}
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error.response["ResponseMetadata"]["HTTPHeaders"].get("content-length", "0") == "0"


# -- ListBuckets ----------------------------------------------------------------------------


@pytest.fixture
def bucket_family(s3: Any) -> Iterator[list[str]]:
    """Five buckets sharing a prefix no other test uses, in name order."""
    prefix = unique("fam")
    names = [f"{prefix}-{i}" for i in range(5)]
    for name in reversed(names):
        s3.create_bucket(Bucket=name)
    yield names
    for name in names:
        s3.delete_bucket(Bucket=name)


def test_list_buckets_shows_new_bucket(s3: Any, bucket: str) -> None:
    response = s3.list_buckets()
    entry = next(b for b in response["Buckets"] if b["Name"] == bucket)
    assert entry["CreationDate"].tzinfo is not None
    assert entry["BucketRegion"] == "us-east-1"
    assert response["Owner"]["ID"]
    assert response["Owner"]["DisplayName"]
    names = [b["Name"] for b in response["Buckets"]]
    assert names == sorted(names)
    assert "ContinuationToken" not in response


def test_list_buckets_prefix(s3: Any, bucket_family: list[str]) -> None:
    prefix = bucket_family[0].rsplit("-", 1)[0]
    response = s3.list_buckets(Prefix=prefix)
    assert [b["Name"] for b in response["Buckets"]] == bucket_family
    assert response["Prefix"] == prefix
    assert s3.list_buckets(Prefix=prefix + "-nothing")["Buckets"] == []


def test_list_buckets_paging(s3: Any, bucket_family: list[str]) -> None:
    prefix = bucket_family[0].rsplit("-", 1)[0]
    seen: list[str] = []
    pages = 0
    kwargs: dict[str, Any] = {"Prefix": prefix, "MaxBuckets": 2}
    while True:
        response = s3.list_buckets(**kwargs)
        pages += 1
        assert len(response["Buckets"]) <= 2
        seen += [b["Name"] for b in response["Buckets"]]
        if "ContinuationToken" not in response:
            break
        kwargs["ContinuationToken"] = response["ContinuationToken"]
    assert seen == bucket_family
    assert pages == 3


def test_list_buckets_paginator(s3: Any, bucket_family: list[str]) -> None:
    prefix = bucket_family[0].rsplit("-", 1)[0]
    pages = s3.get_paginator("list_buckets").paginate(
        Prefix=prefix, PaginationConfig={"PageSize": 2})
    assert [b["Name"] for page in pages for b in page["Buckets"]] == bucket_family


def test_list_buckets_by_region(s3: Any) -> None:
    prefix = unique("reg")
    s3.create_bucket(Bucket=f"{prefix}-east")
    s3.create_bucket(Bucket=f"{prefix}-west", CreateBucketConfiguration=EU)
    west = s3.list_buckets(Prefix=prefix, BucketRegion="eu-west-1")["Buckets"]
    east = s3.list_buckets(Prefix=prefix, BucketRegion="us-east-1")["Buckets"]
    assert [(b["Name"], b["BucketRegion"]) for b in west] == [(f"{prefix}-west", "eu-west-1")]
    assert [(b["Name"], b["BucketRegion"]) for b in east] == [(f"{prefix}-east", "us-east-1")]


@pytest.mark.parametrize("max_buckets", [10_001, 2**31])
def test_list_buckets_max_buckets_out_of_range(s3: Any, max_buckets: int) -> None:
    error = client_error(s3.list_buckets, MaxBuckets=max_buckets)
    assert_error(error, "InvalidArgument", 400)
    assert error.response["Error"]["ArgumentName"] == "max-buckets"


def test_list_buckets_bad_continuation_token(s3: Any) -> None:
    error = client_error(s3.list_buckets, ContinuationToken="!!not-a-token!!")
    assert_error(error, "InvalidArgument", 400)


# -- DeleteBucket ---------------------------------------------------------------------------


def test_delete_bucket(s3: Any) -> None:
    name = unique()
    s3.create_bucket(Bucket=name)
    response = s3.delete_bucket(Bucket=name)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert head_status(s3, name) == 404
    assert s3.list_buckets(Prefix=name)["Buckets"] == []
    # the name is free again
    s3.create_bucket(Bucket=name)
    assert head_status(s3, name) == 200


def test_delete_non_empty_bucket(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="dir/file", Body=b"x")
    error = client_error(s3.delete_bucket, Bucket=bucket)
    assert_error(error, "BucketNotEmpty", 409)
    assert error.response["Error"]["BucketName"] == bucket
    assert s3.get_object(Bucket=bucket, Key="dir/file")["Body"].read() == b"x"
    s3.delete_object(Bucket=bucket, Key="dir/file")
    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_delete_missing_bucket(s3: Any) -> None:
    name = unique("missing")
    error = client_error(s3.delete_bucket, Bucket=name)
    assert_error(error, "NoSuchBucket", 404)
    assert error.response["Error"]["BucketName"] == name


def test_delete_bucket_then_use_it(s3: Any) -> None:
    name = unique()
    s3.create_bucket(Bucket=name)
    s3.delete_bucket(Bucket=name)
    assert_error(client_error(s3.get_object, Bucket=name, Key="k"), "NoSuchBucket", 404)
    assert_error(client_error(s3.list_objects_v2, Bucket=name), "NoSuchBucket", 404)
    assert_error(client_error(s3.delete_bucket, Bucket=name), "NoSuchBucket", 404)


# -- GetBucketLocation / GetBucketVersioning -----------------------------------------------


def test_get_bucket_location_us_east_1(s3: Any, bucket: str) -> None:
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None


def test_get_bucket_location_other_region(s3: Any) -> None:
    name = unique()
    response = s3.create_bucket(Bucket=name, CreateBucketConfiguration=EU)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"


def test_get_bucket_location_missing_bucket(s3: Any) -> None:
    assert_error(client_error(s3.get_bucket_location, Bucket=unique("missing")),
                 "NoSuchBucket", 404)


def test_get_bucket_versioning_never_enabled(s3: Any, bucket: str) -> None:
    response = s3.get_bucket_versioning(Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "Status" not in response
    assert "MFADelete" not in response


def test_get_bucket_versioning_missing_bucket(s3: Any) -> None:
    assert_error(client_error(s3.get_bucket_versioning, Bucket=unique("missing")),
                 "NoSuchBucket", 404)


# -- what this server does not implement --------------------------------------------------


@pytest.mark.parametrize(("operation", "kwargs"), [
    ("get_bucket_tagging", {}),
    ("put_bucket_acl", {"ACL": "private"}),
    ("get_bucket_acl", {}),
    ("get_bucket_policy", {}),
    ("get_bucket_cors", {}),
    ("get_bucket_lifecycle_configuration", {}),
    ("list_object_versions", {}),
    ("put_bucket_versioning", {"VersioningConfiguration": {"Status": "Enabled"}}),
])
def test_unsupported_sub_resources(s3: Any, bucket: str, operation: str,
                                   kwargs: dict[str, Any]) -> None:
    error = client_error(getattr(s3, operation), Bucket=bucket, **kwargs)
    assert_error(error, "NotImplemented", 501)
    # and the bucket is untouched by the attempt
    assert s3.get_bucket_versioning(Bucket=bucket).get("Status") is None
