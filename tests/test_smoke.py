"""The basic round trip, through boto3: if this fails, nothing else will pass."""

from __future__ import annotations


def test_put_get_round_trip(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"hello", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="hello.txt")
    assert got["Body"].read() == b"hello"
    assert got["ETag"] == '"5d41402abc4b2a76b9719d911017c592"'
    assert got["ContentType"] == "text/plain"
    assert got["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
