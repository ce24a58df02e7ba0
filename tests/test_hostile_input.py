"""Hostile request bodies: malformed XML, entity expansion, external entities, oversized
documents. Each gets S3's error quickly, and nothing stored is lost."""

from __future__ import annotations

import base64
import hashlib
import http.client
import time
import urllib.parse

import pytest

from tests.rawhttp import sign

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">]>
<Delete><Object><Key>&lol6;</Key></Object></Delete>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Delete><Object><Key>&xxe;</Key></Object></Delete>"""


def _post(server, path: str, body: bytes) -> tuple[int, bytes]:
    url = server.endpoint + path
    headers = sign("POST", url, {"Content-Length": str(len(body)),
                                 "Content-MD5": base64.b64encode(
                                     hashlib.md5(body).digest()).decode()},
                   payload_hash=hashlib.sha256(body).hexdigest())
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.netloc, timeout=10)
    connection.request("POST", f"{parsed.path}?{parsed.query}", body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


@pytest.mark.parametrize("body", [
    b"<Delete><Object><Key>a</Key></Object>",          # not well-formed
    b"not xml at all",
    b"",
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1001 + b"</Delete>",  # too many keys
    b"<Delete><Quiet>true</Quiet></Delete>",          # no objects
], ids=["unclosed", "text", "empty", "billion-laughs", "external-entity", "1001-keys",
        "no-objects"])
def test_delete_objects_refuses_hostile_xml(server, s3, bucket: str,
                                            body: bytes) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"keep me")
    s3.put_object(Bucket=bucket, Key="a", Body=b"keep me too")
    started = time.monotonic()
    status, answer = _post(server, f"/{bucket}?delete", body)
    assert time.monotonic() - started < 5
    assert status == 400, answer
    assert b"<Code>MalformedXML</Code>" in answer
    assert b"root:" not in answer  # nothing read from the file system
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"keep me"
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"keep me too"


def test_complete_multipart_refuses_entity_expansion(server, s3, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    body = BILLION_LAUGHS.replace(b"<Delete><Object><Key>&lol6;</Key></Object></Delete>",
                                  b"<CompleteMultipartUpload><Part><ETag>&lol6;</ETag>"
                                  b"<PartNumber>1</PartNumber></Part>"
                                  b"</CompleteMultipartUpload>")
    status, answer = _post(server, f"/{bucket}/mp?uploadId={upload}", body)
    assert status == 400 and b"MalformedXML" in answer
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload)["UploadId"] == upload


def test_an_oversized_xml_body_is_refused_before_it_is_read(server, bucket: str) -> None:
    url = server.endpoint + f"/{bucket}?delete"
    headers = sign("POST", url, {"Content-Length": str(64 * 1024 * 1024)},
                   payload_hash="UNSIGNED-PAYLOAD")
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.netloc, timeout=10)
    connection.putrequest("POST", f"{parsed.path}?{parsed.query}", skip_host=True,
                          skip_accept_encoding=True)
    connection.putheader("Host", parsed.netloc)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(b"<Delete>")  # a tiny part of the promised 64 MiB
    response = connection.getresponse()
    assert response.status == 400
    assert response.getheader("Connection", "").lower() == "close"
