"""S3's bucket naming rules."""

from __future__ import annotations

import re

from objstore.http.errors import S3Error

_SHAPE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", ".mrap", "--table-s3")


def check_bucket_name(name: str) -> None:
    if (not _SHAPE.match(name) or ".." in name or ".-" in name or "-." in name
            or _IP.match(name) or name.startswith(_RESERVED_PREFIXES)
            or name.endswith(_RESERVED_SUFFIXES)):
        raise S3Error("InvalidBucketName", BucketName=name)
