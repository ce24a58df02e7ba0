"""kms.crypto is pure: no I/O modules, no clocks, no objstore, no aiohttp, no open()."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CRYPTO = Path(__file__).resolve().parent.parent / "kms" / "crypto"
FORBIDDEN_MODULES = {"objstore", "aiohttp", "aiofiles", "socket", "asyncio", "pathlib",
                     "shutil", "subprocess", "sqlite3", "time", "datetime", "io", "tempfile",
                     "random", "logging"}
FORBIDDEN_CALLS = {"open", "print", "input", "eval", "exec"}
MODULES = sorted(CRYPTO.glob("*.py"))


def test_the_package_has_its_modules() -> None:
    names = {path.stem for path in MODULES}
    assert {"context", "blob", "asymmetric", "hmac_keys", "wrapping", "importing",
            "import_token", "errors", "kdf", "material_ids"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_no_io_imports_or_calls(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots = {(node.module or "").split(".")[0]}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno}"
            continue
        else:
            continue
        assert not roots & FORBIDDEN_MODULES, f"{path.name}:{node.lineno} imports {roots}"
        assert roots <= {"__future__", "kms", "cryptography", "collections", "dataclasses",
                         "typing", "uuid", "os", "struct", "hashlib", "hmac", "re"}, roots
