"""objstore.sse is pure decisions: no I/O modules, no HTTP layer, no open() or print()."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SSE = Path(__file__).resolve().parent.parent / "objstore" / "sse"
MODULES = sorted(SSE.glob("*.py"))
ALLOWED_ROOTS = {"__future__", "objstore", "cryptography", "collections", "dataclasses",
                 "typing", "os", "re", "base64", "binascii", "hashlib", "hmac", "json"}
FORBIDDEN_CALLS = {"open", "print", "input", "eval", "exec"}


def test_the_package_has_its_modules() -> None:
    assert {path.stem for path in MODULES} >= {"__init__", "errors", "request", "headers",
                                               "customer_key", "model"}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_no_io_imports_or_calls(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno}"
            continue
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "os":  # os only for os.urandom (SSE-C salts)
                assert node.attr == "urandom", f"{path.name}:{node.lineno} os.{node.attr}"
            continue
        else:
            continue
        for name in names:
            assert name.split(".")[0] in ALLOWED_ROOTS, f"{path.name}:{node.lineno} {name}"
            if name.startswith("objstore"):
                assert name == "objstore.sse" or name.startswith("objstore.sse."), name
