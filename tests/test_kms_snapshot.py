"""KmsSnapshot: the KMS's read-only, un-audited view of its key records, in-process and
opened offline beside a running server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kms.service.caller import Caller
from kms.service.service import KmsService
from kms.service.snapshot import ENABLED, KmsSnapshot, alias_arn

CALLER = Caller(arn="arn:aws:iam::111122223333:user/admin", account_id="111122223333",
                user_name="admin", region="us-east-1")


def test_a_directory_without_a_kms_is_a_view_of_no_keys(tmp_path: Path) -> None:
    snapshot = KmsSnapshot.open(tmp_path)
    assert snapshot.list_keys() == [] and snapshot.get_key("x") is None
    snapshot.close()
    assert not (tmp_path / "kms").exists()        # opening created nothing


def test_the_view_reads_without_auditing_or_writing(tmp_path: Path) -> None:
    kms = KmsService(tmp_path, account_id="111122223333", region="us-east-1")
    key = kms.create_key(CALLER, description="viewed")["KeyMetadata"]
    kms.create_alias(CALLER, alias_name="alias/viewed", target_key_id=key["KeyId"])
    ledger = tmp_path / "kms" / "audit.jsonl"
    before = ledger.read_bytes()
    live = kms.snapshot()
    assert live.get_key(key["KeyId"]).state == ENABLED
    offline = KmsSnapshot.open(tmp_path)
    try:
        assert [k.key_id for k in offline.list_keys()] == [key["KeyId"]]
        alias = offline.get_alias(alias_arn("us-east-1", "111122223333", "alias/viewed"))
        assert alias is not None and alias.target_key_id == key["KeyId"]
        assert [a.name for a in offline.list_aliases("111122223333", "us-east-1")
                if a.name == "alias/viewed"] == ["alias/viewed"]
        assert offline.list_grants(key["KeyId"]) == []
        with pytest.raises(sqlite3.OperationalError):    # read-only: writes fail
            offline._store.conn.execute("DELETE FROM keys")  # type: ignore[union-attr]
    finally:
        offline.close()
        kms.close()
    assert ledger.read_bytes() == before                 # no audit record
