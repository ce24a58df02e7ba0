"""IdentityStore: generation, lookup, persistence, idempotent ensure."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from objstore.auth.identities import Identity, IdentityStore


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "identities.json"


def test_arn() -> None:
    assert Identity("alice", "AK", "S", "111122223333").arn == (
        "arn:aws:iam::111122223333:user/alice"
    )
    assert Identity("root", "AK", "S", "111122223333").arn == "arn:aws:iam::111122223333:root"


def test_secret_not_in_repr() -> None:
    assert "topsecret" not in repr(Identity("alice", "AK", "topsecret", "1"))


def test_add_generates_aws_looking_keys(path: Path) -> None:
    store = IdentityStore(path)
    alice = store.add("alice")
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", alice.access_key)
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", alice.secret_key)
    assert alice.account_id == "111122223333"
    assert store.lookup(alice.access_key) == alice
    assert store.lookup("AKIANOPE") is None
    assert store.add("bob").access_key != alice.access_key


def test_add_with_given_keys_and_account(path: Path) -> None:
    store = IdentityStore(path, account_id="444455556666")
    bob = store.add("bob", "BOBKEY", "bob-secret")
    assert bob == Identity("bob", "BOBKEY", "bob-secret", "444455556666")


def test_add_refuses_duplicates_and_bad_values(path: Path) -> None:
    store = IdentityStore(path)
    store.add("alice", "AKIDALICE", "s")
    with pytest.raises(ValueError):
        store.add("alice")
    with pytest.raises(ValueError):
        store.add("other", "AKIDALICE", "s")
    for name, key, secret in [("bad name", None, None), ("x", "bad/key", None), ("y", "K", "")]:
        with pytest.raises(ValueError):
            store.add(name, key, secret)
    assert [i.name for i in store.list()] == ["alice"]


def test_persistence_and_file_mode(path: Path) -> None:
    store = IdentityStore(path)
    assert not path.exists()  # nothing written until the first change
    alice = store.add("alice")
    store.add("bob", "BOBKEY", "bob-secret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["identities.json"]  # no temp left
    data = json.loads(path.read_text())
    assert {u["name"] for u in data["users"]} == {"alice", "bob"}
    reloaded = IdentityStore(path)
    assert reloaded.lookup(alice.access_key) == alice
    assert reloaded.list() == store.list()


def test_list_sorted_and_remove(path: Path) -> None:
    store = IdentityStore(path)
    for name in ("carol", "alice", "bob"):
        store.add(name)
    assert [i.name for i in store.list()] == ["alice", "bob", "carol"]
    bob = store.list()[1]
    store.remove("bob")
    assert store.lookup(bob.access_key) is None
    assert [i.name for i in IdentityStore(path).list()] == ["alice", "carol"]
    with pytest.raises(KeyError):
        store.remove("bob")


def test_ensure_is_idempotent(path: Path) -> None:
    store = IdentityStore(path)
    first = store.ensure("admin", "ADMINKEY", "secret-1")
    mtime = path.stat().st_mtime_ns
    assert store.ensure("admin", "ADMINKEY", "secret-1") == first
    assert path.stat().st_mtime_ns == mtime  # unchanged: not rewritten
    assert IdentityStore(path).ensure("admin", "ADMINKEY", "secret-1") == first


def test_ensure_updates_secret_and_key(path: Path) -> None:
    store = IdentityStore(path)
    store.ensure("admin", "ADMINKEY", "secret-1")
    updated = store.ensure("admin", "ADMINKEY", "secret-2")
    assert store.lookup("ADMINKEY") == updated
    assert updated.secret_key == "secret-2"
    assert IdentityStore(path).lookup("ADMINKEY") == updated
    rekeyed = store.ensure("admin", "NEWKEY", "secret-3")
    assert store.lookup("ADMINKEY") is None
    assert store.lookup("NEWKEY") == rekeyed
    assert len(store.list()) == 1


def test_ensure_refuses_key_of_another_user(path: Path) -> None:
    store = IdentityStore(path)
    store.add("alice", "SHARED", "s")
    with pytest.raises(ValueError):
        store.ensure("admin", "SHARED", "s")


def test_corrupt_file(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not a valid identities file"):
        IdentityStore(path)


def test_a_user_added_by_another_process_is_seen(tmp_path) -> None:
    from objstore.auth.identities import IdentityStore

    server_view = IdentityStore(tmp_path / "identities.json")
    server_view.ensure("admin", "AKIAADMIN", "secret")
    IdentityStore(tmp_path / "identities.json").add("bob", "AKIABOB", "bobsecret")
    bob = server_view.lookup("AKIABOB")
    assert bob is not None and bob.name == "bob"
