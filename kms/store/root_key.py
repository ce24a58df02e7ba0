"""The root key: 32 random bytes that wrap every key's material at rest.

Kept in `data_dir/kms/root.key` (raw bytes, mode 0600) or given base64-encoded in an
environment variable. The file is created whole or not at all: written to a private temp
file, fsynced, then hard-linked into place (link fails if the name exists, so two servers
starting at once agree on one key) and the directory fsynced."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import stat
import time
from pathlib import Path

from kms.store.errors import RootKeyError
from kms.store.paths import KmsPaths

ROOT_KEY_BYTES = 32
DEFAULT_ENV_VAR = "OBJSTORE_KMS_ROOT_KEY"


def load_or_create_root_key(data_dir: Path, env_var: str = DEFAULT_ENV_VAR) -> bytes:
    """The root key from `env_var` (base64) if set, else from `data_dir/kms/root.key`,
    creating that file with a fresh random key on first use."""
    encoded = os.environ.get(env_var)
    if encoded:
        return _decode_env(env_var, encoded)
    paths = KmsPaths.of(data_dir)
    paths.ensure_dir()
    try:
        key = _read_key_file(paths.root_key)
    except FileNotFoundError:
        _create_key_file(paths.root_key)
        key = _read_key_file(paths.root_key)
    _remove_stale_temps(paths.root_key)
    return key


def _decode_env(env_var: str, encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RootKeyError(f"${env_var} is not valid base64") from exc
    if len(key) != ROOT_KEY_BYTES:
        raise RootKeyError(
            f"${env_var} must hold {ROOT_KEY_BYTES} bytes (base64), not {len(key)}")
    return key


def _read_key_file(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RootKeyError(f"{path} is not a regular file")
        if info.st_mode & 0o077:
            raise RootKeyError(
                f"{path} is readable or writable by group/others (mode "
                f"{stat.S_IMODE(info.st_mode):04o}); refusing to use it. "
                f"Run: chmod 600 {path}")
        data = os.read(fd, ROOT_KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) != ROOT_KEY_BYTES:
        raise RootKeyError(f"{path} must hold exactly {ROOT_KEY_BYTES} bytes, not {len(data)}")
    return data


def _create_key_file(path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)  # whatever the umask did
            data = secrets.token_bytes(ROOT_KEY_BYTES)
            written = os.write(fd, data)
            if written != len(data):
                raise RootKeyError(f"short write creating {path}")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # never replaces an existing key: O_EXCL for a rename
        except FileExistsError:
            return  # another process created it first; use theirs
        _fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _remove_stale_temps(path: Path, min_age: float = 300.0) -> None:
    """Temp files a crash left behind (each holds an unused random key)."""
    now = time.time()
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - tmp.stat().st_mtime > min_age:
                tmp.unlink()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
