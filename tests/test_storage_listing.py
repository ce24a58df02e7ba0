"""Listing straight against the metadata database, at 100,000 objects: the answers, and
that a delimiter listing seeks past each common prefix instead of walking its keys."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from objstore.storage import listing, metadata
from objstore.storage.records import BucketRecord, ObjectRecord, Segment

DIRS = 100
PER_DIR = 1000


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path: Path = tmp_path_factory.mktemp("listing") / "meta.db"
    connection = metadata.connect(path)
    metadata.create_schema(connection)
    connection.execute("BEGIN")
    metadata.insert_bucket(connection, BucketRecord("big", "owner", "us-east-1", 0.0))
    for d in range(DIRS):
        for f in range(PER_DIR):
            key = f"dir{d:03d}/file{f:04d}"
            metadata.put_object(connection, ObjectRecord(
                bucket="big", key=key, size=1, etag="e", last_modified=0.0,
                segments=[Segment(blob=key, size=1)]))
    metadata.put_object(connection, ObjectRecord(
        bucket="big", key="top", size=1, etag="e", last_modified=0.0,
        segments=[Segment(blob="top", size=1)]))
    connection.execute("COMMIT")
    return connection


class CountingConnection:
    """Counts the statements a listing runs and the rows they return."""

    def __init__(self, inner: sqlite3.Connection) -> None:
        self.inner = inner
        self.statements = 0
        self.rows = 0

    def execute(self, sql: str, args: object = ()) -> Iterator[tuple]:
        self.statements += 1
        for row in self.inner.execute(sql, args):
            self.rows += 1
            yield row


def test_delimiter_listing_seeks_past_each_prefix(conn: sqlite3.Connection) -> None:
    counting = CountingConnection(conn)
    page = listing.list_objects(counting, "big", delimiter="/", max_keys=1000)  # type: ignore[arg-type]
    assert page.common_prefixes == [f"dir{d:03d}/" for d in range(DIRS)]
    assert [e.key for e in page.entries] == ["top"]
    assert not page.is_truncated
    # one seek per prefix (plus the last look), never the 100,000 keys beneath them
    assert counting.statements <= DIRS + 2
    assert counting.rows < 10 * DIRS


def test_paging_through_100k_keys_returns_each_once(conn: sqlite3.Connection) -> None:
    seen: list[str] = []
    marker = ""
    while True:
        page = listing.list_objects(conn, "big", start_after=marker, max_keys=1000)
        seen += [e.key for e in page.entries]
        if not page.is_truncated:
            break
        assert page.next_marker is not None
        marker = page.next_marker
    assert len(seen) == DIRS * PER_DIR + 1
    assert seen == sorted(seen, key=str.encode)


def test_prefix_and_start_inside_a_rolled_up_prefix(conn: sqlite3.Connection) -> None:
    page = listing.list_objects(conn, "big", prefix="dir05", delimiter="/", max_keys=3)
    assert page.common_prefixes == ["dir050/", "dir051/", "dir052/"]
    assert page.is_truncated and page.next_marker == "dir052/"
    after = listing.list_objects(conn, "big", prefix="dir05", delimiter="/",
                                 start_after="dir052/file0007", max_keys=1000)
    assert after.common_prefixes[0] == "dir053/"
    assert len(after.common_prefixes) == 7


def test_successor() -> None:
    assert listing.successor(b"a/") == b"a0"
    assert listing.successor(b"a\xff") == b"b"
    assert listing.successor(b"\xff\xff") is None
