"""The README's snippets work as written (against a test server instead of port 9000)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
DEFAULT_ENDPOINT = "http://127.0.0.1:9000"


def _blocks(language: str, marker: str) -> list[str]:
    blocks = re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)
    return [block for block in blocks if marker in block]


def test_python_snippets_run(server, tmp_path: Path) -> None:
    snippets = _blocks("python", "boto3.client")
    assert len(snippets) >= 2  # S3 and KMS
    (tmp_path / "README.md").write_text("a file to upload\n")
    for snippet in snippets:
        code = snippet.replace(DEFAULT_ENDPOINT, server.endpoint)
        result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (snippet, result.stderr)
        assert "Traceback" not in result.stderr


def test_aws_cli_snippets_run(server, aws_cli_env: dict, tmp_path: Path) -> None:
    env = dict(aws_cli_env)
    aws = str(Path(sys.executable).parent / "aws")
    (tmp_path / "README.md").write_text("a file to upload\n")
    for snippet in _blocks("sh", "aws --endpoint-url"):
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


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_snippets_run(server_factory) -> None:
    server = server_factory()  # its own: the snippet moves the KMS clock
    (snippet,) = _blocks("sh", "curl --aws-sigv4")
    script = snippet.replace(DEFAULT_ENDPOINT, server.endpoint)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c",
                             script.replace("curl ", "curl --fail-with-body -sS ")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr + result.stdout
    assert '"Records"' in result.stdout and '"OffsetDays"' in result.stdout
