"""Listing: ListObjects (v1) and ListObjectsV2 with prefixes, delimiters, paging, start
points, owners and URL encoding; UTF-8 binary key order; boto3's paginators over a few
thousand keys; and `aws s3 ls`."""

from __future__ import annotations

import re
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.conftest import ServerProcess, assert_error, aws_cli, client_error

TREE = [
    "a", "a/b", "a/c/d", "b", "b/", "c/x/y", "d.txt", "e/f/",
    "photos/2006/feb/2.jpg", "photos/2006/jan/1.jpg", "photos/2007/x.jpg", "photos/index.html",
    "z",
]


def fill(s3: Any, bucket: str, keys: list[str]) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=bucket, Key=key, Body=key.encode()),
                      keys))


def keys_of(response: dict[str, Any]) -> list[str]:
    return [o["Key"] for o in response.get("Contents", [])]


def prefixes_of(response: dict[str, Any]) -> list[str]:
    return [p["Prefix"] for p in response.get("CommonPrefixes", [])]


def utf8_sorted(keys: list[str]) -> list[str]:
    return sorted(keys, key=lambda key: key.encode())


@pytest.fixture
def tree(s3: Any, bucket: str) -> str:
    fill(s3, bucket, TREE)
    return bucket


# -- ListObjectsV2 --------------------------------------------------------------------------


def test_v2_everything(s3: Any, tree: str) -> None:
    response = s3.list_objects_v2(Bucket=tree)
    assert keys_of(response) == TREE
    assert response["KeyCount"] == len(TREE)
    assert response["IsTruncated"] is False
    assert response["Name"] == tree
    assert response["Prefix"] == ""
    assert response["MaxKeys"] == 1000
    for name in ("Delimiter", "CommonPrefixes", "NextContinuationToken", "ContinuationToken",
                 "StartAfter"):
        assert name not in response
    entry = response["Contents"][0]
    assert entry["Size"] == 1
    assert entry["ETag"] == '"0cc175b9c0f1b6a831c399e269772661"'  # md5("a")
    assert entry["StorageClass"] == "STANDARD"
    assert entry["LastModified"].tzinfo is not None
    assert "Owner" not in entry


def test_v2_empty_bucket(s3: Any, bucket: str) -> None:
    response = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert response["KeyCount"] == 0
    assert response["IsTruncated"] is False
    assert "Contents" not in response
    assert "CommonPrefixes" not in response


@pytest.mark.parametrize(("prefix", "expected"), [
    ("a", ["a", "a/b", "a/c/d"]),
    ("a/", ["a/b", "a/c/d"]),
    ("photos/2006/", ["photos/2006/feb/2.jpg", "photos/2006/jan/1.jpg"]),
    ("b/", ["b/"]),
    ("nothing", []),
    ("photos/index.html", ["photos/index.html"]),
])
def test_v2_prefix(s3: Any, tree: str, prefix: str, expected: list[str]) -> None:
    response = s3.list_objects_v2(Bucket=tree, Prefix=prefix)
    assert keys_of(response) == expected
    assert response["Prefix"] == prefix


@pytest.mark.parametrize(("prefix", "keys", "prefixes"), [
    ("", ["a", "b", "d.txt", "z"], ["a/", "b/", "c/", "e/", "photos/"]),
    ("a/", ["a/b"], ["a/c/"]),
    ("photos/", ["photos/index.html"], ["photos/2006/", "photos/2007/"]),
    ("photos/2", [], ["photos/2006/", "photos/2007/"]),
    ("b/", ["b/"], []),
    ("e/", [], ["e/f/"]),
    ("x", [], []),
])
def test_v2_delimiter(s3: Any, tree: str, prefix: str, keys: list[str],
                      prefixes: list[str]) -> None:
    response = s3.list_objects_v2(Bucket=tree, Prefix=prefix, Delimiter="/")
    assert keys_of(response) == keys
    assert prefixes_of(response) == prefixes
    assert response["KeyCount"] == len(keys) + len(prefixes)
    assert response["Delimiter"] == "/"
    assert response["IsTruncated"] is False


def test_v2_other_delimiters(s3: Any, bucket: str) -> None:
    fill(s3, bucket, ["a-b-c", "a-d", "a//b", "a/b", "x", "x--y"])
    dash = s3.list_objects_v2(Bucket=bucket, Delimiter="-")
    assert keys_of(dash) == ["a//b", "a/b", "x"]
    assert prefixes_of(dash) == ["a-", "x-"]
    double = s3.list_objects_v2(Bucket=bucket, Delimiter="//")
    assert keys_of(double) == ["a-b-c", "a-d", "a/b", "x", "x--y"]
    assert prefixes_of(double) == ["a//"]
    word = s3.list_objects_v2(Bucket=bucket, Delimiter="b")
    assert prefixes_of(word) == ["a-b", "a//b", "a/b"]


def paged_v2(s3: Any, bucket: str, **kwargs: Any) -> tuple[list[str], list[str], int]:
    """Every key and common prefix of a listing followed page by page by hand."""
    keys: list[str] = []
    prefixes: list[str] = []
    pages = 0
    while True:
        response = s3.list_objects_v2(Bucket=bucket, **kwargs)
        pages += 1
        assert response["KeyCount"] <= kwargs.get("MaxKeys", 1000)
        assert response["KeyCount"] == len(keys_of(response)) + len(prefixes_of(response))
        keys += keys_of(response)
        prefixes += prefixes_of(response)
        if not response["IsTruncated"]:
            assert "NextContinuationToken" not in response
            return keys, prefixes, pages
        kwargs["ContinuationToken"] = response["NextContinuationToken"]


@pytest.mark.parametrize("max_keys", [1, 2, 3, 5])
def test_v2_paging_with_delimiter(s3: Any, tree: str, max_keys: int) -> None:
    keys, prefixes, pages = paged_v2(s3, tree, Delimiter="/", MaxKeys=max_keys)
    assert keys == ["a", "b", "d.txt", "z"]
    assert prefixes == ["a/", "b/", "c/", "e/", "photos/"]
    assert pages == -(-9 // max_keys)


@pytest.mark.parametrize("max_keys", [1, 4, 12, 13])
def test_v2_paging_without_delimiter(s3: Any, tree: str, max_keys: int) -> None:
    keys, prefixes, pages = paged_v2(s3, tree, MaxKeys=max_keys)
    assert keys == TREE
    assert prefixes == []
    assert pages == -(-len(TREE) // max_keys)


def test_v2_continuation_token_is_echoed(s3: Any, tree: str) -> None:
    first = s3.list_objects_v2(Bucket=tree, MaxKeys=2)
    assert first["IsTruncated"] is True
    token = first["NextContinuationToken"]
    second = s3.list_objects_v2(Bucket=tree, MaxKeys=2, ContinuationToken=token)
    assert second["ContinuationToken"] == token
    assert keys_of(second) == TREE[2:4]


def test_v2_start_after(s3: Any, tree: str) -> None:
    response = s3.list_objects_v2(Bucket=tree, StartAfter="c/x/y")
    assert keys_of(response) == TREE[TREE.index("c/x/y") + 1:]
    assert response["StartAfter"] == "c/x/y"
    between = s3.list_objects_v2(Bucket=tree, StartAfter="b/zzz", Delimiter="/")
    assert keys_of(between) == ["d.txt", "z"]
    assert prefixes_of(between) == ["c/", "e/", "photos/"]
    assert keys_of(s3.list_objects_v2(Bucket=tree, StartAfter="zz")) == []
    # a continuation token wins over StartAfter
    token = s3.list_objects_v2(Bucket=tree, MaxKeys=1)["NextContinuationToken"]
    resumed = s3.list_objects_v2(Bucket=tree, MaxKeys=2, StartAfter="photos",
                                 ContinuationToken=token)
    assert keys_of(resumed) == ["a/b", "a/c/d"]


def test_v2_start_after_with_prefix(s3: Any, tree: str) -> None:
    response = s3.list_objects_v2(Bucket=tree, Prefix="photos/", StartAfter="photos/2006/feb")
    assert keys_of(response) == ["photos/2006/feb/2.jpg", "photos/2006/jan/1.jpg",
                                 "photos/2007/x.jpg", "photos/index.html"]
    before_prefix = s3.list_objects_v2(Bucket=tree, Prefix="photos/", StartAfter="a")
    assert len(keys_of(before_prefix)) == 4


def test_v2_fetch_owner(s3: Any, tree: str) -> None:
    plain = s3.list_objects_v2(Bucket=tree, Prefix="a")
    assert all("Owner" not in entry for entry in plain["Contents"])
    with_owner = s3.list_objects_v2(Bucket=tree, Prefix="a", FetchOwner=True)
    owners = {(e["Owner"]["ID"], e["Owner"]["DisplayName"]) for e in with_owner["Contents"]}
    bucket_owner = s3.list_buckets()["Owner"]
    assert owners == {(bucket_owner["ID"], bucket_owner["DisplayName"])}
    assert all("Owner" not in e for e in s3.list_objects_v2(
        Bucket=tree, Prefix="a", FetchOwner=False)["Contents"])


def test_v2_max_keys_zero(s3: Any, tree: str) -> None:
    response = s3.list_objects_v2(Bucket=tree, MaxKeys=0)
    assert response["KeyCount"] == 0
    assert "Contents" not in response
    assert response["IsTruncated"] is False
    assert "NextContinuationToken" not in response


def test_v2_errors(s3: Any, tree: str) -> None:
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    assert_error(client_error(s3.list_objects_v2, Bucket=missing), "NoSuchBucket", 404)
    error = client_error(s3.list_objects_v2, Bucket=tree, MaxKeys=-1)
    assert_error(error, "InvalidArgument", 400)
    for token in ("!!garbage!!", "YQ", "", "Zm9v=="):
        error = client_error(s3.list_objects_v2, Bucket=tree, ContinuationToken=token)
        assert_error(error, "InvalidArgument", 400)
    error = client_error(s3.list_objects_v2, Bucket=tree, EncodingType="xml")
    assert_error(error, "InvalidArgument", 400)


# -- ListObjects (v1) -----------------------------------------------------------------------


def test_v1_everything(s3: Any, tree: str) -> None:
    response = s3.list_objects(Bucket=tree)
    assert keys_of(response) == TREE
    assert response["IsTruncated"] is False
    assert response["Marker"] == ""
    assert "NextMarker" not in response
    # v1 always names the owner
    assert all(entry["Owner"]["ID"] for entry in response["Contents"])


def test_v1_marker(s3: Any, tree: str) -> None:
    response = s3.list_objects(Bucket=tree, Marker="b")
    assert keys_of(response) == TREE[TREE.index("b") + 1:]
    assert response["Marker"] == "b"
    delimited = s3.list_objects(Bucket=tree, Marker="b", Delimiter="/")
    assert keys_of(delimited) == ["d.txt", "z"]
    assert prefixes_of(delimited) == ["b/", "c/", "e/", "photos/"]


def test_v1_next_marker_only_with_delimiter(s3: Any, tree: str) -> None:
    plain = s3.list_objects(Bucket=tree, MaxKeys=3)
    assert plain["IsTruncated"] is True
    assert keys_of(plain) == TREE[:3]
    assert "NextMarker" not in plain
    delimited = s3.list_objects(Bucket=tree, MaxKeys=3, Delimiter="/")
    assert delimited["IsTruncated"] is True
    # a, a/ and b fill the page; b/ and the rest follow
    assert keys_of(delimited) == ["a", "b"]
    assert prefixes_of(delimited) == ["a/"]
    assert delimited["NextMarker"] == "b"
    last = s3.list_objects(Bucket=tree, Marker="photos/", Delimiter="/")
    assert last["IsTruncated"] is False
    assert "NextMarker" not in last
    assert keys_of(last) == ["z"]


def test_v1_paging_by_hand(s3: Any, tree: str) -> None:
    for delimiter in ("", "/"):
        keys: list[str] = []
        prefixes: list[str] = []
        marker = ""
        while True:
            response = s3.list_objects(Bucket=tree, MaxKeys=2, Marker=marker,
                                       Delimiter=delimiter)
            keys += keys_of(response)
            prefixes += prefixes_of(response)
            if not response["IsTruncated"]:
                break
            marker = response.get("NextMarker") or keys[-1]
        if delimiter:
            assert (keys, prefixes) == (["a", "b", "d.txt", "z"],
                                        ["a/", "b/", "c/", "e/", "photos/"])
        else:
            assert (keys, prefixes) == (TREE, [])


def test_v1_errors(s3: Any, tree: str) -> None:
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    assert_error(client_error(s3.list_objects, Bucket=missing), "NoSuchBucket", 404)
    assert_error(client_error(s3.list_objects, Bucket=tree, MaxKeys=-5), "InvalidArgument", 400)


def test_v1_max_keys_zero(s3: Any, tree: str) -> None:
    response = s3.list_objects(Bucket=tree, MaxKeys=0)
    assert "Contents" not in response
    assert response["IsTruncated"] is False


# -- key order and encoding ------------------------------------------------------------------


ORDER_KEYS = ["a", "B", "é", "\u00ff", "中", "a/b", "\U0001f600", "\uff5a", "A", "~", "a b",
              "a+b", "Z", "0", "\u0100", "\u07ff", "\u0800", "\ufffd"]


def test_utf8_binary_order(s3: Any, bucket: str) -> None:
    fill(s3, bucket, ORDER_KEYS)
    expected = utf8_sorted(ORDER_KEYS)
    # UTF-8 byte order is code point order, which is not UTF-16 order: U+1F600 sorts after
    # U+FF5A here, before it in UTF-16
    assert expected.index("\U0001f600") > expected.index("\uff5a")
    assert expected[:4] == ["0", "A", "B", "Z"]
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == expected
    assert keys_of(s3.list_objects(Bucket=bucket)) == expected
    keys, _, _ = paged_v2(s3, bucket, MaxKeys=1)
    assert keys == expected
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="é")
    assert keys_of(after) == expected[expected.index("é") + 1:]


URL_KEYS = ["a b", "a+b", "100%.csv", "ü/x y", "tab\tkey", "ctl\x01key", "q?&=#", "tilde~",
            "plain/key.txt", "star*", "dir one/file"]


def test_encoding_type_url(s3: Any, bucket: str) -> None:
    fill(s3, bucket, URL_KEYS)
    response = s3.list_objects_v2(Bucket=bucket, EncodingType="url")
    assert response["EncodingType"] == "url"
    raw = keys_of(response)  # boto3 leaves them encoded when the caller asked for it
    assert [urllib.parse.unquote_plus(key) for key in raw] == utf8_sorted(URL_KEYS)
    for key in raw:
        assert re.fullmatch(r"[A-Za-z0-9\-._~/*%+]*", key), key
    encoded = dict(zip(utf8_sorted(URL_KEYS), raw, strict=True))
    assert encoded["a+b"] == "a%2Bb"
    assert encoded["100%.csv"] == "100%25.csv"
    assert encoded["plain/key.txt"] == "plain/key.txt"
    assert urllib.parse.unquote_plus(encoded["a b"]) == "a b"


def test_encoding_type_url_prefixes_and_markers(s3: Any, bucket: str) -> None:
    fill(s3, bucket, URL_KEYS)
    def decoded(values: list[str]) -> list[str]:
        return [urllib.parse.unquote_plus(value) for value in values]

    v2 = s3.list_objects_v2(Bucket=bucket, EncodingType="url", Delimiter=" ", StartAfter="a b")
    assert decoded(prefixes_of(v2)) == ["dir ", "ü/x "]
    assert decoded([v2["Delimiter"], v2["StartAfter"]]) == [" ", "a b"]
    assert decoded(keys_of(v2)) == ["a+b", "ctl\x01key", "plain/key.txt", "q?&=#", "star*",
                                    "tab\tkey", "tilde~"]
    by_prefix = s3.list_objects_v2(Bucket=bucket, EncodingType="url", Delimiter="/",
                                   Prefix="dir o")
    assert decoded([by_prefix["Prefix"]]) == ["dir o"]
    assert decoded(prefixes_of(by_prefix)) == ["dir one/"]
    v1 = s3.list_objects(Bucket=bucket, EncodingType="url", Delimiter="/", Marker="a b",
                         MaxKeys=2)
    assert decoded([v1["Marker"]]) == ["a b"]
    assert v1["IsTruncated"] is True
    assert decoded(keys_of(v1)) == ["a+b", "ctl\x01key"]
    assert decoded([v1["NextMarker"]]) == ["ctl\x01key"]


def test_boto3_decodes_keys_it_asked_to_encode(s3: Any, bucket: str) -> None:
    """Without an EncodingType of its own boto3 asks for url and decodes the answer."""
    fill(s3, bucket, URL_KEYS)
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == utf8_sorted(URL_KEYS)
    assert keys_of(s3.list_objects(Bucket=bucket)) == utf8_sorted(URL_KEYS)
    delimited = s3.list_objects_v2(Bucket=bucket, Delimiter=" ")
    assert prefixes_of(delimited) == ["a ", "dir ", "ü/x "]


def test_nul_in_key(s3: Any, bucket: str) -> None:
    """The server takes a NUL as any other character of a key (stored as a UTF-8 blob)."""
    keys = ["nul\x00key", "nul", "nul\x00"]
    fill(s3, bucket, keys)
    assert s3.get_object(Bucket=bucket, Key="nul\x00key")["Body"].read() == b"nul\x00key"
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["nul", "nul\x00", "nul\x00key"]
    raw = keys_of(s3.list_objects_v2(Bucket=bucket, EncodingType="url"))
    assert raw == ["nul", "nul%00", "nul%00key"]


def test_newline_key(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="new\nline", Body=b"n")
    assert s3.get_object(Bucket=bucket, Key="new\nline")["Body"].read() == b"n"
    raw = keys_of(s3.list_objects_v2(Bucket=bucket, EncodingType="url"))
    assert raw == ["new%0Aline"]


# -- paginators over many keys --------------------------------------------------------------


MANY = 2100  # past two full pages of 1000


@pytest.fixture(scope="module")
def many(s3: Any) -> tuple[str, list[str]]:
    """A bucket of 2100 keys: 2000 under d0/..d4/ (each with s0/..s3/) and 100 at the top."""
    name = f"many-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    keys = [f"d{i % 5}/s{(i // 5) % 4}/k{i:04d}" for i in range(MANY - 100)]
    keys += [f"top{i:03d}" for i in range(100)]
    fill(s3, name, keys)
    return name, utf8_sorted(keys)


@pytest.mark.parametrize("operation", ["list_objects_v2", "list_objects"])
def test_paginator_every_key_once(s3: Any, many: tuple[str, list[str]],
                                  operation: str) -> None:
    name, keys = many
    pages = list(s3.get_paginator(operation).paginate(Bucket=name))
    assert [len(keys_of(page)) for page in pages] == [1000, 1000, 100]
    assert [key for page in pages for key in keys_of(page)] == keys


@pytest.mark.parametrize("operation", ["list_objects_v2", "list_objects"])
def test_paginator_small_pages(s3: Any, many: tuple[str, list[str]], operation: str) -> None:
    name, keys = many
    pages = list(s3.get_paginator(operation).paginate(
        Bucket=name, Prefix="d3/", PaginationConfig={"PageSize": 37}))
    listed = [key for page in pages for key in keys_of(page)]
    assert listed == [key for key in keys if key.startswith("d3/")]
    assert all(len(keys_of(page)) <= 37 for page in pages)


@pytest.mark.parametrize("operation", ["list_objects_v2", "list_objects"])
def test_paginator_with_delimiter(s3: Any, many: tuple[str, list[str]],
                                  operation: str) -> None:
    name, keys = many
    pages = list(s3.get_paginator(operation).paginate(
        Bucket=name, Delimiter="/", PaginationConfig={"PageSize": 7}))
    listed = [key for page in pages for key in keys_of(page)]
    prefixes = [p for page in pages for p in prefixes_of(page)]
    assert listed == [key for key in keys if "/" not in key]
    assert prefixes == ["d0/", "d1/", "d2/", "d3/", "d4/"]
    assert len(pages) == -(-105 // 7)
    nested = list(s3.get_paginator(operation).paginate(
        Bucket=name, Delimiter="/", Prefix="d2/", PaginationConfig={"PageSize": 3}))
    assert [p for page in nested for p in prefixes_of(page)] == [
        "d2/s0/", "d2/s1/", "d2/s2/", "d2/s3/"]
    assert [key for page in nested for key in keys_of(page)] == []


def test_paginator_start_after(s3: Any, many: tuple[str, list[str]]) -> None:
    name, keys = many
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=name, StartAfter="d4/s2/k1900", PaginationConfig={"PageSize": 50})
    listed = [key for page in pages for key in keys_of(page)]
    assert listed == [key for key in keys if key > "d4/s2/k1900"]


def test_max_keys_above_1000_is_capped(s3: Any, many: tuple[str, list[str]]) -> None:
    name, keys = many
    response = s3.list_objects_v2(Bucket=name, MaxKeys=5000)
    assert response["KeyCount"] == 1000
    assert response["IsTruncated"] is True
    assert keys_of(response) == keys[:1000]


# -- the AWS CLI ------------------------------------------------------------------------------


def test_aws_s3_ls(server: ServerProcess, aws_cli_env: dict, tree: str) -> None:
    buckets = aws_cli(aws_cli_env, server.endpoint, "s3", "ls").stdout
    assert any(line.split()[-1] == tree for line in buckets.splitlines())
    top = aws_cli(aws_cli_env, server.endpoint, "s3", "ls", f"s3://{tree}/").stdout
    lines = [line.split() for line in top.splitlines()]
    assert sorted(line[-1] for line in lines if line[0] == "PRE") == [
        "a/", "b/", "c/", "e/", "photos/"]
    assert sorted(line[-1] for line in lines if line[0] != "PRE") == ["a", "b", "d.txt", "z"]
    assert all(line[-2] == str(len(line[-1])) for line in lines if line[0] != "PRE")


def test_aws_s3_ls_recursive(server: ServerProcess, aws_cli_env: dict, s3: Any,
                             tree: str) -> None:
    s3.put_object(Bucket=tree, Key="space dir/with space.txt", Body=b"12345")
    out = aws_cli(aws_cli_env, server.endpoint, "s3", "ls", "--recursive", "--summarize",
                  f"s3://{tree}/").stdout
    listing, _, summary = out.partition("\n\n")
    rows = [line.split(maxsplit=3) for line in listing.splitlines()]
    keys = utf8_sorted([*TREE, "space dir/with space.txt"])
    assert [row[3] for row in rows] == keys
    sizes = {row[3]: int(row[2]) for row in rows}
    assert sizes["space dir/with space.txt"] == 5
    assert sizes["photos/2006/feb/2.jpg"] == len(b"photos/2006/feb/2.jpg")
    assert f"Total Objects: {len(keys)}" in summary


def test_aws_s3_ls_missing_bucket(server: ServerProcess, aws_cli_env: dict) -> None:
    result = aws_cli(aws_cli_env, server.endpoint, "s3", "ls",
                     f"s3://missing-{uuid.uuid4().hex[:8]}/", check=False)
    assert result.returncode != 0
    assert "NoSuchBucket" in result.stderr
