"""Virtual-hosted style: `http://BUCKET.localhost:PORT/KEY`, as SDKs that default to it
(and boto3 with addressing_style='virtual') address buckets."""

from __future__ import annotations

import http.client
import socket
import urllib.parse

import pytest

from tests.conftest import make_client

_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture
def localhost_subdomains(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve *.localhost to 127.0.0.1 in this process, as many resolvers do."""
    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return _real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _virtual_client(server, **config: object):
    port = urllib.parse.urlsplit(server.endpoint).port
    return make_client(f"http://localhost:{port}", s3={"addressing_style": "virtual"},
                       **config)


def test_virtual_hosted_requests(server, localhost_subdomains: None) -> None:
    s3 = _virtual_client(server)
    requests: list[str] = []
    s3.meta.events.register("before-send.s3", lambda request, **_: requests.append(
        request.url))
    s3.create_bucket(Bucket="virtual-bucket")
    s3.put_object(Bucket="virtual-bucket", Key="a/b c.txt", Body=b"vhost")
    assert s3.get_object(Bucket="virtual-bucket", Key="a/b c.txt")["Body"].read() == b"vhost"
    listed = s3.list_objects_v2(Bucket="virtual-bucket", Prefix="a/")["Contents"]
    assert [o["Key"] for o in listed] == ["a/b c.txt"]
    assert requests[0].startswith("http://virtual-bucket.localhost:")
    # the same object, path style
    path_style = make_client(server.endpoint)
    assert path_style.get_object(Bucket="virtual-bucket", Key="a/b c.txt")["Body"].read() == \
        b"vhost"


@pytest.mark.parametrize("signature_version", [None, "s3v4"], ids=["sigv2", "sigv4"])
def test_virtual_hosted_presigned_get(server, localhost_subdomains: None,
                                      signature_version: str | None) -> None:
    config = {"signature_version": signature_version} if signature_version else {}
    s3 = _virtual_client(server, **config)
    s3.create_bucket(Bucket="virtual-presign")
    s3.put_object(Bucket="virtual-presign", Key="k", Body=b"presigned vhost")
    url = urllib.parse.urlsplit(
        s3.generate_presigned_url("get_object", Params={"Bucket": "virtual-presign",
                                                        "Key": "k"}))
    assert url.hostname == "virtual-presign.localhost"
    connection = http.client.HTTPConnection("127.0.0.1", url.port, timeout=10)
    connection.request("GET", f"{url.path}?{url.query}", headers={"Host": url.netloc})
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, b"presigned vhost")
