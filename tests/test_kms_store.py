"""The KMS key store: records survive a reopen, transactions are all-or-nothing (also when
the process dies mid-transaction), paging is stable, the database enforces identity
uniqueness; the root key file is private, created once, and can come from the environment."""

from __future__ import annotations

import base64
import dataclasses
import os
import stat
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path

import pytest

from kms.store import (
    AliasRecord,
    AlreadyExists,
    GrantRecord,
    ImportParamsRecord,
    InvalidMarker,
    KeyRecord,
    KeyStore,
    KmsPaths,
    MaterialRecord,
    NotFound,
    RootKeyError,
    load_or_create_root_key,
)
from kms.store.records import (
    DISABLED,
    PENDING_DELETION,
    PENDING_IMPORT,
    alias_arn,
    key_arn,
)

ACCOUNT = "111122223333"
REGION = "us-east-1"


def make_key(created: float = 1000.0, key_id: str | None = None, **fields: object) -> KeyRecord:
    key_id = key_id or str(uuid.uuid4())
    return KeyRecord(key_id=key_id, arn=key_arn(REGION, ACCOUNT, key_id), account=ACCOUNT,
                     region=REGION, created=created, policy='{"Statement":[]}',
                     **fields)  # type: ignore[arg-type]


def make_material(key_id: str, created: float = 1000.0, **fields: object) -> MaterialRecord:
    return MaterialRecord(key_id=key_id, material_id=os.urandom(16).hex(),
                          wrapped=os.urandom(60), created=created,
                          **fields)  # type: ignore[arg-type]


def make_alias(name: str, key_id: str, region: str = REGION) -> AliasRecord:
    return AliasRecord(name=name, arn=alias_arn(region, ACCOUNT, name), target_key_id=key_id,
                       created=5.0, updated=5.0)


def make_grant(key_id: str, **fields: object) -> GrantRecord:
    values: dict[str, object] = {
        "grant_id": os.urandom(32).hex(), "grant_token": os.urandom(40).hex(),
        "key_id": key_id, "grantee_principal": f"arn:aws:iam::{ACCOUNT}:role/app",
        "operations": ["Encrypt", "Decrypt"], "created": 7.0,
        "issuing_account": f"arn:aws:iam::{ACCOUNT}:root"}
    values.update(fields)
    return GrantRecord(**values)  # type: ignore[arg-type]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return KmsPaths.of(tmp_path).db


@pytest.fixture
def store(db_path: Path):
    with KeyStore(db_path) as s:
        yield s


# -- keys and materials --------------------------------------------------------------------


def test_everything_survives_reopen(db_path: Path) -> None:
    key = make_key(description="d", tags={"team": "a", "env": "prod"}, rotation_enabled=True,
                   rotation_period_days=365, next_rotation=5000.5, extra={"odr": 2})
    first = make_material(key.key_id, public_der=b"\x30\x82spki")
    ext = make_key(created=1001.0, origin="EXTERNAL", state=PENDING_IMPORT,
                   expiration_model="KEY_MATERIAL_EXPIRES", valid_to=9999.0)
    params = ImportParamsRecord(ext.key_id, b"wrapped-private", b"spki", "RSAES_OAEP_SHA_256",
                                "RSA_2048", "tok-1", 86400.0)
    grant = make_grant(key.key_id, retiring_principal="arn:aws:iam::1:role/r",
                       constraints={"EncryptionContextSubset": {"a": "b"}}, name="g")
    with KeyStore(db_path) as s:
        stored = s.create_key(key, first)
        s.create_key(ext)
        second = make_material(key.key_id, created=2000.0, rotation_type="ON_DEMAND")
        s.add_material(second, make_current=True)
        s.create_alias(make_alias("alias/app", key.key_id))
        s.create_grant(grant)
        s.put_import_params(params)
    assert stored.current_material_id == first.material_id
    assert key.current_material_id is None  # the caller's record is not mutated

    with KeyStore(db_path) as s:
        got = s.get_key(key.key_id)
        assert got == dataclasses.replace(key, current_material_id=second.material_id)
        assert got is not None and got.tags == {"team": "a", "env": "prod"}
        assert s.get_key(ext.key_id) == ext
        assert s.list_materials(key.key_id) == [first, second]
        assert s.get_material(key.key_id, first.material_id) == first
        assert s.get_material(key.key_id, "nope") is None
        assert s.get_alias(alias_arn(REGION, ACCOUNT, "alias/app")) == make_alias(
            "alias/app", key.key_id)
        assert s.get_grant(grant.grant_id) == grant
        assert s.get_import_params(ext.key_id) == params
        assert s.get_key(str(uuid.uuid4())) is None


def test_root_key_file_and_db_are_in_kms_dir(tmp_path: Path) -> None:
    paths = KmsPaths.of(tmp_path)
    assert paths.db == tmp_path / "kms" / "kms.db"
    assert paths.root_key == tmp_path / "kms" / "root.key"
    assert paths.audit == tmp_path / "kms" / "audit.jsonl"
    with KeyStore(paths.db):
        pass
    assert stat.S_IMODE(paths.dir.stat().st_mode) & 0o077 == 0
    assert paths.db.exists()


def test_update_key_replaces_the_row(store: KeyStore) -> None:
    key = store.create_key(make_key())
    changed = dataclasses.replace(key, state=PENDING_DELETION, deletion_date=123.0,
                                  pending_window_days=7, tags={"x": "y"}, description="new")
    store.update_key(changed)
    assert store.get_key(key.key_id) == changed
    with pytest.raises(NotFound):
        store.update_key(make_key())


def test_create_key_twice_is_already_exists(store: KeyStore) -> None:
    key = make_key()
    store.create_key(key)
    with pytest.raises(AlreadyExists):
        store.create_key(key)


def test_material_rules(store: KeyStore) -> None:
    key = store.create_key(make_key())
    material = make_material(key.key_id)
    with pytest.raises(NotFound):  # no such key
        store.add_material(make_material(str(uuid.uuid4())))
    store.add_material(material)
    assert store.get_key(key.key_id).current_material_id is None  # type: ignore[union-attr]
    with pytest.raises(AlreadyExists):
        store.add_material(material)
    with pytest.raises(ValueError):
        store.create_key(make_key(), make_material(key.key_id))  # material of another key
    forgotten = dataclasses.replace(material, wrapped=None, extra={"state": "PENDING_IMPORT"})
    store.update_material(forgotten)
    assert store.get_material(key.key_id, material.material_id) == forgotten
    with pytest.raises(NotFound):
        store.update_material(make_material(key.key_id))


def test_delete_materials(store: KeyStore) -> None:
    key = store.create_key(make_key(origin="EXTERNAL"))
    a, b = make_material(key.key_id, 1.0), make_material(key.key_id, 2.0)
    store.add_material(a, make_current=True)
    store.add_material(b)
    assert store.delete_materials(key.key_id, a.material_id) == 1
    assert store.list_materials(key.key_id) == [b]
    assert store.delete_materials(key.key_id) == 1
    assert store.list_materials(key.key_id) == []
    assert store.get_key(key.key_id).current_material_id == a.material_id  # type: ignore


def test_delete_key_removes_everything_of_the_key(store: KeyStore) -> None:
    doomed = store.create_key(make_key())
    other = store.create_key(make_key(created=2000.0))
    store.add_material(make_material(doomed.key_id), make_current=True)
    store.create_alias(make_alias("alias/doomed", doomed.key_id))
    store.create_alias(make_alias("alias/other", other.key_id))
    store.create_grant(make_grant(doomed.key_id, retiring_principal="p"))
    store.create_grant(make_grant(other.key_id))
    store.put_import_params(ImportParamsRecord(doomed.key_id, b"w", b"p", "A", "RSA_2048",
                                               "t", 1.0))
    assert store.delete_key(doomed.key_id) is True
    assert store.get_key(doomed.key_id) is None
    assert store.list_materials(doomed.key_id) == []
    assert store.list_aliases_for_key(doomed.key_id) == []
    assert store.list_grants(doomed.key_id) == []
    assert store.list_retirable_grants("p") == []
    assert store.get_import_params(doomed.key_id) is None
    assert [a.name for a in store.list_aliases_by_account(ACCOUNT)] == ["alias/other"]
    assert len(store.list_grants(other.key_id)) == 1
    assert store.delete_key(doomed.key_id) is False


def test_list_keys_pages_in_creation_order(store: KeyStore) -> None:
    keys = [store.create_key(make_key(created=float(i // 2))) for i in range(7)]
    expected = sorted(keys, key=lambda k: (k.created, k.key_id))
    seen: list[KeyRecord] = []
    after = None
    while True:
        page = store.list_keys(after=after, limit=3)
        seen += page
        if len(page) < 3:
            break
        after = page[-1].key_id
    assert seen == expected
    assert store.list_keys(limit=None) == expected
    with pytest.raises(InvalidMarker):
        store.list_keys(after=str(uuid.uuid4()), limit=3)
    with pytest.raises(ValueError):
        store.list_keys(limit=0)


def test_list_keys_filters_account_and_region(store: KeyStore) -> None:
    here = store.create_key(make_key())
    kid = str(uuid.uuid4())
    store.create_key(KeyRecord(key_id=kid, arn=key_arn("eu-west-1", ACCOUNT, kid),
                               account=ACCOUNT, region="eu-west-1", created=1.0))
    kid2 = str(uuid.uuid4())
    store.create_key(KeyRecord(key_id=kid2, arn=key_arn(REGION, "999988887777", kid2),
                               account="999988887777", region=REGION, created=2.0))
    assert store.list_keys(account=ACCOUNT, region=REGION) == [here]
    assert len(store.list_keys(account=ACCOUNT)) == 2
    assert len(store.list_keys()) == 3


def test_keys_due(store: KeyStore) -> None:
    deleting = store.create_key(make_key(created=1.0, state=PENDING_DELETION,
                                         deletion_date=100.0))
    rotating = store.create_key(make_key(created=2.0, rotation_enabled=True,
                                         next_rotation=200.0))
    expiring = store.create_key(make_key(created=3.0, origin="EXTERNAL", valid_to=300.0))
    store.create_key(make_key(created=4.0))  # nothing scheduled
    both = store.create_key(make_key(created=5.0, deletion_date=50.0, next_rotation=50.0))
    assert store.keys_due(49.0) == []
    assert store.keys_due(100.0) == [deleting, both]
    assert store.keys_due(1e9) == [deleting, rotating, expiring, both]


# -- transactions and crash consistency ----------------------------------------------------


def test_exception_in_transaction_leaves_nothing(db_path: Path) -> None:
    key = make_key()
    with KeyStore(db_path) as s:
        with pytest.raises(RuntimeError), s.transaction():
            s.create_key(key, make_material(key.key_id))
            s.create_alias(make_alias("alias/half", key.key_id))
            raise RuntimeError("crash in the middle")
        assert s.get_key(key.key_id) is None
        assert s.list_materials(key.key_id) == []
        assert s.get_alias(alias_arn(REGION, ACCOUNT, "alias/half")) is None
    with KeyStore(db_path) as s:
        assert s.list_keys() == []


def test_failed_write_inside_transaction_is_rolled_back_alone(store: KeyStore) -> None:
    key = store.create_key(make_key())
    store.create_alias(make_alias("alias/taken", key.key_id))
    with store.transaction():
        store.update_key(dataclasses.replace(key, description="kept"))
        with pytest.raises(AlreadyExists):
            store.create_alias(make_alias("alias/taken", key.key_id))
        store.create_alias(make_alias("alias/new", key.key_id))
    assert store.get_key(key.key_id).description == "kept"  # type: ignore[union-attr]
    assert [a.name for a in store.list_aliases_for_key(key.key_id)] == [
        "alias/new", "alias/taken"]


def test_failed_create_key_leaves_nothing(store: KeyStore) -> None:
    key = store.create_key(make_key())
    first = make_material(key.key_id)
    store.add_material(first)
    # the same key again: the key insert fails, and its new material is not kept either
    with pytest.raises(AlreadyExists):
        store.create_key(key, make_material(key.key_id))
    assert store.list_materials(key.key_id) == [first]
    # a material id may repeat under another key
    other = make_key()
    stored = store.create_key(other, dataclasses.replace(first, key_id=other.key_id))
    assert stored.current_material_id == first.material_id


def test_process_killed_mid_transaction_leaves_old_state(db_path: Path) -> None:
    key = make_key()
    with KeyStore(db_path) as s:
        s.create_key(key)
    script = textwrap.dedent(f"""
        import dataclasses, os, sys
        from pathlib import Path
        from kms.store import KeyStore, MaterialRecord
        s = KeyStore(Path({str(db_path)!r}))
        key = s.get_key({key.key_id!r})
        with s.transaction():
            s.update_key(dataclasses.replace(key, description="half", state="Disabled"))
            s.add_material(MaterialRecord(key.key_id, "m" * 32, b"w", 1.0), make_current=True)
            s.delete_key("nothing")
            os._exit(9)  # dies before COMMIT
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parent.parent,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 9, result.stderr
    with KeyStore(db_path) as s:
        assert s.get_key(key.key_id) == key
        assert s.list_materials(key.key_id) == []


def test_transaction_serialises_threads(store: KeyStore) -> None:
    key = store.create_key(make_key(extra={"n": 0}))

    def bump() -> None:
        for _ in range(50):
            with store.transaction():
                current = store.get_key(key.key_id)
                assert current is not None
                current.extra["n"] += 1
                store.update_key(current)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get_key(key.key_id).extra == {"n": 200}  # type: ignore[union-attr]


def test_two_stores_on_one_database_see_each_others_commits(db_path: Path) -> None:
    with KeyStore(db_path) as a, KeyStore(db_path) as b:
        key = a.create_key(make_key())
        assert b.get_key(key.key_id) == key
        b.update_key(dataclasses.replace(key, state=DISABLED))
        assert a.get_key(key.key_id).state == DISABLED  # type: ignore[union-attr]


# -- aliases -------------------------------------------------------------------------------


def test_alias_names_are_unique_per_account_and_region(store: KeyStore) -> None:
    k1 = store.create_key(make_key())
    k2 = store.create_key(make_key())
    store.create_alias(make_alias("alias/app", k1.key_id))
    with pytest.raises(AlreadyExists) as info:
        store.create_alias(make_alias("alias/app", k2.key_id))
    assert info.value.kind == "alias"
    store.create_alias(make_alias("alias/app", k2.key_id, region="eu-west-1"))  # other region
    with pytest.raises(NotFound) as missing:
        store.create_alias(make_alias("alias/ghost", str(uuid.uuid4())))
    assert missing.value.kind == "key"
    with pytest.raises(ValueError):
        store.create_alias(AliasRecord("alias/x", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/y",
                                       k1.key_id, 1.0, 1.0))


def test_alias_update_delete_and_lists(store: KeyStore) -> None:
    k1 = store.create_key(make_key())
    k2 = store.create_key(make_key())
    names = [f"alias/a{i:02d}" for i in range(7)]
    for name in names:
        store.create_alias(make_alias(name, k1.key_id))
    arn = alias_arn(REGION, ACCOUNT, "alias/a03")
    store.update_alias_target(arn, k2.key_id, updated=99.0)
    moved = store.get_alias(arn)
    assert moved is not None
    assert (moved.target_key_id, moved.created, moved.updated) == (k2.key_id, 5.0, 99.0)
    assert (moved.account, moved.region) == (ACCOUNT, REGION)
    with pytest.raises(NotFound) as info:
        store.update_alias_target(alias_arn(REGION, ACCOUNT, "alias/none"), k2.key_id, 1.0)
    assert info.value.kind == "alias"
    with pytest.raises(NotFound) as info:
        store.update_alias_target(arn, str(uuid.uuid4()), 1.0)
    assert info.value.kind == "key"
    assert store.get_alias(arn).target_key_id == k2.key_id  # type: ignore[union-attr]

    pages, after = [], None
    while True:
        page = store.list_aliases_by_account(ACCOUNT, REGION, after=after, limit=3)
        pages.append([a.name for a in page])
        if len(page) < 3:
            break
        after = page[-1].name
    assert pages == [names[:3], names[3:6], names[6:]]
    assert [a.name for a in store.list_aliases_for_key(k2.key_id)] == ["alias/a03"]
    assert [a.name for a in store.list_aliases_for_key(k1.key_id, after="alias/a04",
                                                       limit=1)] == ["alias/a05"]
    assert store.list_aliases_by_account("000000000000") == []
    assert store.delete_alias(arn) is True
    assert store.delete_alias(arn) is False
    assert store.get_alias(arn) is None


# -- grants and import parameters ----------------------------------------------------------


def test_grants(store: KeyStore) -> None:
    k1 = store.create_key(make_key())
    k2 = store.create_key(make_key())
    grants = [make_grant(k1.key_id, retiring_principal="arn:aws:iam::1:role/ret")
              for _ in range(5)]
    for grant in grants:
        store.create_grant(grant)
    named = make_grant(k2.key_id, name="n1", grantee_principal="other",
                       retiring_principal="arn:aws:iam::1:role/ret")
    store.create_grant(named)
    with pytest.raises(AlreadyExists):
        store.create_grant(named)
    with pytest.raises(AlreadyExists):  # same token, other id
        store.create_grant(dataclasses.replace(named, grant_id=os.urandom(32).hex()))
    with pytest.raises(NotFound):
        store.create_grant(make_grant(str(uuid.uuid4())))

    by_id = sorted(grants, key=lambda g: g.grant_id)
    assert store.list_grants(k1.key_id, limit=2) == by_id[:2]
    assert store.list_grants(k1.key_id, after=by_id[1].grant_id, limit=10) == by_id[2:]
    # revoking the marker's grant does not break paging
    assert store.delete_grant(by_id[1].grant_id) is True
    assert store.list_grants(k1.key_id, after=by_id[1].grant_id) == by_id[2:]
    assert store.delete_grant(by_id[1].grant_id) is False
    assert store.list_grants(k2.key_id, grantee_principal="other") == [named]
    assert store.list_grants(k2.key_id, grantee_principal="nobody") == []
    assert store.list_grants(k1.key_id, grant_id=by_id[0].grant_id) == [by_id[0]]
    assert store.count_grants(k1.key_id) == 4
    assert store.find_grants_by_name(k2.key_id, "n1") == [named]
    assert store.find_grants_by_name(k1.key_id, "n1") == []
    retirable = store.list_retirable_grants("arn:aws:iam::1:role/ret", limit=100)
    assert retirable == sorted([*by_id[:1], *by_id[2:], named], key=lambda g: g.grant_id)
    assert store.get_grant("0" * 64) is None


def test_import_params_put_replaces(store: KeyStore) -> None:
    key = store.create_key(make_key(origin="EXTERNAL", state=PENDING_IMPORT))
    first = ImportParamsRecord(key.key_id, b"w1", b"p1", "RSAES_OAEP_SHA_256", "RSA_2048",
                               "t1", 10.0)
    second = dataclasses.replace(first, wrapping_private_wrapped=b"w2", token_id="t2")
    store.put_import_params(first)
    store.put_import_params(second)
    assert store.get_import_params(key.key_id) == second
    with pytest.raises(NotFound):
        store.put_import_params(dataclasses.replace(first, key_id=str(uuid.uuid4())))


def test_closed_store_refuses(db_path: Path) -> None:
    s = KeyStore(db_path)
    s.close()
    with pytest.raises(RuntimeError):
        s.get_key("x")
    s.close()  # twice is fine


# -- root key ------------------------------------------------------------------------------


def test_root_key_created_once_with_mode_0600(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OBJSTORE_KMS_ROOT_KEY", raising=False)
    old_umask = os.umask(0o022)
    try:
        key = load_or_create_root_key(tmp_path)
    finally:
        os.umask(old_umask)
    path = tmp_path / "kms" / "root.key"
    assert len(key) == 32
    assert path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_root_key(tmp_path) == key  # the same key on the next start
    assert [p.name for p in path.parent.iterdir()] == ["root.key"]  # no temp files left


def test_root_key_refuses_group_or_world_readable_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OBJSTORE_KMS_ROOT_KEY", raising=False)
    load_or_create_root_key(tmp_path)
    path = tmp_path / "kms" / "root.key"
    for mode in (0o640, 0o604, 0o620):
        path.chmod(mode)
        with pytest.raises(RootKeyError, match="chmod 600"):
            load_or_create_root_key(tmp_path)
    path.chmod(0o600)
    path.write_bytes(b"short")
    with pytest.raises(RootKeyError, match="32 bytes"):
        load_or_create_root_key(tmp_path)


def test_root_key_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = os.urandom(32)
    monkeypatch.setenv("OBJSTORE_KMS_ROOT_KEY", base64.b64encode(key).decode())
    assert load_or_create_root_key(tmp_path) == key
    assert not (tmp_path / "kms" / "root.key").exists()  # nothing written
    monkeypatch.setenv("MY_ROOT", base64.b64encode(key).decode() + "\n")
    assert load_or_create_root_key(tmp_path, env_var="MY_ROOT") == key
    monkeypatch.setenv("OBJSTORE_KMS_ROOT_KEY", base64.b64encode(b"x" * 16).decode())
    with pytest.raises(RootKeyError, match="32 bytes"):
        load_or_create_root_key(tmp_path)
    monkeypatch.setenv("OBJSTORE_KMS_ROOT_KEY", "not base64!!")
    with pytest.raises(RootKeyError, match="base64"):
        load_or_create_root_key(tmp_path)


def test_concurrent_first_starts_agree_on_one_root_key(tmp_path: Path) -> None:
    script = ("import sys; from pathlib import Path; "
              "from kms.store import load_or_create_root_key; "
              "sys.stdout.write(load_or_create_root_key(Path(sys.argv[1])).hex())")
    env = {k: v for k, v in os.environ.items() if k != "OBJSTORE_KMS_ROOT_KEY"}
    for attempt in range(5):
        data_dir = tmp_path / f"d{attempt}"
        procs = [subprocess.Popen([sys.executable, "-c", script, str(data_dir)],
                                  cwd=Path(__file__).parent.parent, env=env,
                                  stdout=subprocess.PIPE, text=True) for _ in range(4)]
        keys = {p.communicate(timeout=60)[0] for p in procs}
        assert all(p.returncode == 0 for p in procs)
        assert keys == {(data_dir / "kms" / "root.key").read_bytes().hex()}
