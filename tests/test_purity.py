"""The pure layers stay pure: objstore.crypto (the stream format) and objstore.sse's
decisions (all but engine.py, which calls the KMS, streams.py, the stream glue, and
bucket_keys.py, the KMS calls' cache) import no I/O modules or layers other than the
stream format and call no open()/print(); `os` only for os.urandom.
import-linter checks the layering; this checks what it cannot see."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "objstore"
COMMON = {"__future__", "objstore", "collections", "dataclasses", "typing", "os"}
PACKAGES = {
    "crypto": (COMMON | {"cryptography", "struct"},
               {"__init__", "errors", "header", "layout", "cipher", "sealer", "opener"}),
    "sse": (COMMON | {"cryptography", "re", "base64", "binascii", "hashlib", "hmac", "json"},
            {"__init__", "errors", "request", "headers", "customer_key", "model"}),
}
FORBIDDEN_CALLS = {"open", "print", "input", "eval", "exec"}
NOT_PURE = {"engine.py", "streams.py", "bucket_keys.py"}  # KMS calls, stream glue, cache
BELOW = {"sse": ("objstore.crypto",)}   # layers a package may use beside its own
MODULES = [(package, path) for package in PACKAGES
           for path in sorted((ROOT / package).glob("*.py")) if path.name not in NOT_PURE]


@pytest.mark.parametrize("package", PACKAGES)
def test_the_package_has_its_modules(package: str) -> None:
    stems = {path.stem for path in (ROOT / package).glob("*.py")}
    assert stems >= PACKAGES[package][1]


@pytest.mark.parametrize(("package", "path"), MODULES,
                         ids=[f"{package}/{path.name}" for package, path in MODULES])
def test_no_io_imports_or_calls(package: str, path: Path) -> None:
    allowed = PACKAGES[package][0]
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
            if node.value.id == "os":
                assert node.attr == "urandom", f"{path.name}:{node.lineno} os.{node.attr}"
            continue
        else:
            continue
        for name in names:
            assert name.split(".")[0] in allowed, f"{path.name}:{node.lineno} {name}"
            if name.startswith("objstore"):
                own = (f"objstore.{package}", *BELOW.get(package, ()))
                assert any(name == o or name.startswith(o + ".") for o in own), name
