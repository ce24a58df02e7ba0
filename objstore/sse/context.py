"""The KMS encryption context: the request header, S3's own pair, and the response echo
(s3-sse.md §4.2, §3.2)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping

from objstore.sse import errors

S3_ARN_KEY = "aws:s3:arn"


def parse(value: str) -> dict[str, str]:
    """`x-amz-server-side-encryption-context`: base64 of a UTF-8 JSON object whose values are
    strings. Anything else: 400 InvalidArgument with AWS's message."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
        parsed = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):   # bad base64, bad UTF-8, bad JSON
        raise errors.bad_context(value) from None
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise errors.bad_context(value)
    try:  # a lone surrogate escape (\ud800) is valid JSON but no UTF-8 string
        for pair in parsed.items():
            "".join(pair).encode("utf-8")
    except UnicodeEncodeError:
        raise errors.bad_context(value) from None
    return parsed


def encode(context: Mapping[str, str]) -> str:
    """The response echo of the user's pairs: base64 of compact UTF-8 JSON, pairs in the
    order the client gave them."""
    text = json.dumps(dict(context), separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def s3_arn(bucket: str, key: str | None = None) -> str:
    return f"arn:aws:s3:::{bucket}" if key is None else f"arn:aws:s3:::{bucket}/{key}"


def kms_context(user: Mapping[str, str], *, bucket: str, key: str,
                bucket_key: bool) -> dict[str, str]:
    """The full context S3 gives the KMS: {"aws:s3:arn": object ARN (bucket ARN with a
    bucket key)} plus the user's pairs. A user pair aws:s3:arn with another value would
    unbind the data key from its object: refused (400, the context error)."""
    arn = s3_arn(bucket, None if bucket_key else key)
    if user.get(S3_ARN_KEY, arn) != arn:
        raise errors.bad_context(encode(user))
    return {S3_ARN_KEY: arn, **{k: v for k, v in user.items() if k != S3_ARN_KEY}}

