"""The README's snippets work as written (against a test server instead of port 9000)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
DEFAULT_ENDPOINT = "http://127.0.0.1:9000"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def test_boto3_snippet_runs(server, tmp_path: Path) -> None:
    (snippet,) = [b for b in _blocks("python") if "boto3.client" in b]
    code = snippet.replace(DEFAULT_ENDPOINT, server.endpoint)
    (tmp_path / "README.md").write_text("a file to upload\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "b'hello'" in result.stdout
    assert "docs/README.md" in result.stdout


def test_aws_cli_snippet_runs(server, aws_cli_env: dict, tmp_path: Path) -> None:
    (snippet,) = [b for b in _blocks("sh") if "aws --endpoint-url" in b]
    env = dict(aws_cli_env)
    aws = str(Path(sys.executable).parent / "aws")
    (tmp_path / "README.md").write_text("a file to upload\n")
    for line in snippet.replace(DEFAULT_ENDPOINT, server.endpoint).splitlines():
        words = shlex.split(line)
        if not words:
            continue
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
            continue
        assert words[0] == "aws"
        result = subprocess.run([aws, *words[1:]], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (line, result.stderr)
