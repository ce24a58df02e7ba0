"""Hand-built, correctly signed HTTP requests, for the cases boto3 cannot express (a body
sent in pieces, a server stopped mid-request)."""

from __future__ import annotations

import socket
import urllib.parse

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import ACCESS_KEY, REGION, SECRET_KEY

UNSIGNED = "UNSIGNED-PAYLOAD"


def sign(method: str, url: str, headers: dict[str, str] | None = None,
         payload_hash: str = UNSIGNED) -> dict[str, str]:
    """Headers (with Authorization) that sign this request as boto3 would, with the given
    x-amz-content-sha256 (the body is not at hand: it is sent later, by the caller)."""
    request = AWSRequest(method=method, url=url, headers=dict(headers or {}))
    _FixedPayloadAuth(payload_hash).add_auth(request)
    return dict(request.headers.items())


class _FixedPayloadAuth(S3SigV4Auth):
    def __init__(self, payload_hash: str) -> None:
        super().__init__(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION)
        self._payload_hash = payload_hash

    def payload(self, request: AWSRequest) -> str:
        return self._payload_hash


def open_put(endpoint: str, path: str, length: int,
             extra: dict[str, str] | None = None) -> socket.socket:
    """Send a signed PUT's request line and headers, and return the socket so the caller
    sends the body (or not) as the test needs."""
    parsed = urllib.parse.urlparse(endpoint)
    headers = sign("PUT", endpoint + path, {"Content-Length": str(length), **(extra or {})})
    sock = socket.create_connection((parsed.hostname, parsed.port))
    lines = [f"PUT {path} HTTP/1.1", f"Host: {parsed.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def read_status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        piece = sock.recv(4096)
        if not piece:
            break
        data += piece
    return int(data.split(b" ", 2)[1])
