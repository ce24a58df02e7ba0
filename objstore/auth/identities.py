"""Users and their access keys, persisted in a small JSON file."""

from __future__ import annotations

import builtins
import json
import os
import re
import secrets
import string
import time
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ACCOUNT_ID = "111122223333"

_NAME_RE = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)  # IAM user name characters
_ACCESS_KEY_RE = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_ACCESS_KEY_ALPHABET = string.ascii_uppercase + "234567"  # what AWS key ids are made of
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
_FILE_VERSION = 1


@dataclass(frozen=True)
class Identity:
    """A user that can sign requests."""

    name: str
    access_key: str
    secret_key: str = field(repr=False)
    account_id: str

    @property
    def arn(self) -> str:
        if self.name == "root":
            return f"arn:aws:iam::{self.account_id}:root"
        return f"arn:aws:iam::{self.account_id}:user/{self.name}"


def generate_access_key() -> str:
    """A 20-character key id that looks like AWS's (``AKIA`` + 16 base32 characters)."""
    return "AKIA" + "".join(secrets.choice(_ACCESS_KEY_ALPHABET) for _ in range(16))


def generate_secret_key() -> str:
    """A 40-character secret from the alphabet AWS uses."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


RECHECK_SECONDS = 1.0  # how stale a running server's view of the file may be

class IdentityStore:
    """Identities kept in memory, indexed by access key, and saved to ``path`` on change.

    The file is created with mode 0600 and replaced atomically on every change. Another
    process (`objstore user add` beside a running server) may change it: lookups notice a
    new file (a cheap stat) and read it again.
    """

    def __init__(self, path: Path, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
        self._path = Path(path)
        self._account_id = account_id
        self._by_key: dict[str, Identity] = {}
        self._by_name: dict[str, Identity] = {}
        self._seen: tuple[int, int] | None = None
        self._checked = time.monotonic()
        self._reload_if_changed()

    def lookup(self, access_key: str) -> Identity | None:
        """The identity of an access key. A key we do not know makes us look at the file at
        once (a user just added); known keys are re-checked at most every RECHECK_SECONDS
        (a user removed or re-keyed)."""
        known = access_key in self._by_key
        now = time.monotonic()
        if not known or now - self._checked >= RECHECK_SECONDS:
            self._checked = now
            self._reload_if_changed()
        return self._by_key.get(access_key)

    def _reload_if_changed(self) -> None:
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            return
        stamp = (stat.st_ino, stat.st_mtime_ns)
        if stamp == self._seen:
            return
        identities = self._read()
        self._by_key.clear()
        self._by_name.clear()
        for identity in identities:
            self._index(identity)
        self._seen = stamp

    def add(
        self, name: str, access_key: str | None = None, secret_key: str | None = None
    ) -> Identity:
        """Create a user; keys are generated when not given. ValueError on duplicates."""
        if name in self._by_name:
            raise ValueError(f"identity {name!r} already exists")
        if access_key in self._by_key:
            raise ValueError("access key already in use")
        identity = self._make(
            name,
            generate_access_key() if access_key is None else access_key,
            generate_secret_key() if secret_key is None else secret_key,
        )
        self._index(identity)
        self._save()
        return identity

    def ensure(self, name: str, access_key: str, secret_key: str) -> Identity:
        """Make ``name`` exist with exactly these keys (idempotent; for default credentials).

        An existing user gets its key pair updated; ValueError if ``access_key`` belongs to
        another user.
        """
        owner = self._by_key.get(access_key)
        if owner is not None and owner.name != name:
            raise ValueError(f"access key already belongs to {owner.name!r}")
        wanted = self._make(name, access_key, secret_key)
        current = self._by_name.get(name)
        if current == wanted:
            return current
        if current is not None:
            self._unindex(current)
        self._index(wanted)
        self._save()
        return wanted

    def remove(self, name: str) -> None:
        """Delete a user; KeyError if there is none of that name."""
        self._unindex(self._by_name[name])
        self._save()

    def list(self) -> builtins.list[Identity]:
        return sorted(self._by_name.values(), key=lambda identity: identity.name)

    def _make(self, name: str, access_key: str, secret_key: str) -> Identity:
        if not _NAME_RE.fullmatch(name):
            raise ValueError(f"invalid identity name {name!r}")
        if not _ACCESS_KEY_RE.fullmatch(access_key):
            raise ValueError("access key must be 1-128 characters of A-Z a-z 0-9 . _ ~ -")
        if not secret_key:
            raise ValueError("secret key must not be empty")
        return Identity(name, access_key, secret_key, self._account_id)

    def _index(self, identity: Identity) -> None:
        self._by_key[identity.access_key] = identity
        self._by_name[identity.name] = identity

    def _unindex(self, identity: Identity) -> None:
        del self._by_key[identity.access_key]
        del self._by_name[identity.name]

    def _read(self) -> builtins.list[Identity]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
            users = data["users"]
            return [self._make(u["name"], u["access_key"], u["secret_key"]) for u in users]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{self._path}: not a valid identities file: {exc}") from exc

    def _save(self) -> None:
        users = [
            {"name": i.name, "access_key": i.access_key, "secret_key": i.secret_key}
            for i in self.list()
        ]
        payload = json.dumps({"version": _FILE_VERSION, "users": users}, indent=2) + "\n"
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(f".{self._path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._path)
            stat = self._path.stat()
            self._seen = (stat.st_ino, stat.st_mtime_ns)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self._path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
