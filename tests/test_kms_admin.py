"""The administrator's views of the KMS: the audit trail and the clock over HTTP and from
the `objstore kms` CLI, and GetKeyLastUsage."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import make_client
from tests.rawhttp import sign


def _admin(server, method: str, path: str) -> dict:
    url = server.endpoint + path
    request = urllib.request.Request(url, method=method, headers=sign(method, url))
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _cli(server, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "objstore", "kms", *args, "--data-dir",
                           str(server.data_dir)], check=True, capture_output=True,
                          text=True).stdout


def test_audit_trail_over_http_with_filters(server) -> None:
    kms = make_client(server.endpoint, "kms")
    key = kms.create_key(Description="audited")["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"who": "test"})
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.disable_key(KeyId="1234abcd-12ab-34cd-56ef-1234567890ab")
    records = _admin(server, "GET", f"/_objstore/kms/audit?key={key}&limit=10")["Records"]
    assert [r["eventName"] for r in records] == ["Encrypt", "CreateKey"]
    assert records[0]["requestParameters"]["encryptionContext"] == {"who": "test"}
    failed = _admin(server, "GET", "/_objstore/kms/audit?operation=DisableKey&limit=1")
    assert failed["Records"][0]["errorCode"] == "NotFoundException"
    by_user = _admin(server, "GET", "/_objstore/kms/audit?user=admin&limit=3")["Records"]
    assert all(r["userIdentity"]["userName"] == "admin" for r in by_user)


def test_key_last_usage(server) -> None:
    kms = make_client(server.endpoint, "kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    assert "KeyLastUsage" not in kms.get_key_last_usage(KeyId=key)
    kms.generate_data_key(KeyId=key, KeySpec="AES_128")
    usage = kms.get_key_last_usage(KeyId=key)["KeyLastUsage"]
    assert usage["Operation"] == "GenerateDataKey"


def test_the_cli_and_the_clock(server_factory) -> None:
    proc = server_factory()
    kms = proc.client("kms")
    key = kms.create_key(Description="from boto3")["KeyMetadata"]["KeyId"]
    assert key in _cli(proc, "list")
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert "PendingDeletion" in _cli(proc, "describe", key)
    clock = _admin(proc, "POST", "/_objstore/kms/clock?advance-days=8")
    assert clock["OffsetDays"] == 8.0
    # the deletion window has passed: the key is gone for the CLI and for boto3
    assert key not in _cli(proc, "list")
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.describe_key(KeyId=key)
    audit = _cli(proc, "audit", "--key", key)
    assert "DeleteKey" in audit and "ScheduleKeyDeletion" in audit


def test_public_key_export_for_ssh(server) -> None:
    kms = make_client(server.endpoint, "kms")
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    ssh = _cli(server, "public-key", key, "--format", "openssh").strip()
    assert ssh.startswith("ssh-rsa AAAA") and ssh.endswith(key)
    pem = _cli(server, "public-key", key)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    ecc = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    assert _cli(server, "public-key", ecc, "--format", "openssh").startswith(
        "ecdsa-sha2-nistp256 ")
