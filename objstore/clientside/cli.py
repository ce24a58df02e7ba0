"""`objstore cse put|get`: client-side encryption from a shell, as a client of the server's
S3 and KMS endpoints (credentials from the usual AWS environment variables or files).

    objstore cse put --kms-key-id alias/demo [--context k=v ...] FILE s3://BUCKET/KEY
    objstore cse get [--context k=v ...] s3://BUCKET/KEY FILE        (FILE "-": stdin/out)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from objstore.clientside import client
from objstore.cse_format.errors import ClientSideError

LOCAL_ENDPOINT = "http://127.0.0.1:9000"
_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_KMS")


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--endpoint-url", default=None,
                        help="the server (default: AWS_ENDPOINT_URL[_S3|_KMS] if set, else "
                             f"{LOCAL_ENDPOINT})")
    common.add_argument("--region", default=None,
                        help="default: AWS_REGION / AWS_DEFAULT_REGION, else us-east-1")
    common.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                        help="an encryption-context pair (repeat for more); reading needs "
                             "the same pairs")
    cse = commands.add_parser("cse", help="client-side encryption: encrypt before upload, "
                              "decrypt after download (S3 Encryption Client V2 format)")
    verbs = cse.add_subparsers(dest="cse_command", required=True)
    put = verbs.add_parser("put", parents=[common], help="encrypt FILE and upload it")
    put.add_argument("--kms-key-id", required=True, help="key id, ARN or alias/NAME")
    put.add_argument("source", help="a file, or - for standard input")
    put.add_argument("target", help="s3://BUCKET/KEY")
    get = verbs.add_parser("get", parents=[common], help="download and decrypt into FILE")
    get.add_argument("--kms-key-id", default=None,
                     help="refuse a data key wrapped by any other KMS key")
    get.add_argument("source", help="s3://BUCKET/KEY")
    get.add_argument("target", help="a file, or - for standard output")


def run(args: argparse.Namespace) -> int:
    try:
        s3, kms = clients(args)
        context = _context(args.context)
        if args.cse_command == "put":
            bucket, key = _location(args.target)
            if args.source == "-":
                client.put_object(s3, kms, bucket, key, sys.stdin.buffer, args.kms_key_id,
                                  context)
            else:
                client.upload_file(s3, kms, Path(args.source), bucket, key,
                                   args.kms_key_id, context)
            return 0
        bucket, key = _location(args.source)
        if args.target == "-":
            sys.stdout.buffer.write(client.get_object(s3, kms, bucket, key, context,
                                                      kms_key_id=args.kms_key_id))
        else:
            client.download_file(s3, kms, bucket, key, Path(args.target), context,
                                 kms_key_id=args.kms_key_id)
        return 0
    except (ClientSideError, ValueError, OSError) as error:
        print(f"objstore cse: {error}", file=sys.stderr)
    except ClientError as error:
        detail = error.response.get("Error", {})
        print(f"objstore cse: {detail.get('Code')}: {detail.get('Message')}", file=sys.stderr)
    except BotoCoreError as error:
        print(f"objstore cse: {error}", file=sys.stderr)
    return 1


def clients(args: argparse.Namespace) -> tuple[Any, Any]:
    try:
        import boto3
    except ImportError:
        raise ValueError("boto3 is needed: pip install 'objstore[cse]'") from None
    endpoint = args.endpoint_url
    if endpoint is None and not any(os.environ.get(name) for name in _ENDPOINT_VARIABLES):
        endpoint = LOCAL_ENDPOINT
    region = args.region or os.environ.get("AWS_REGION") or \
        os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    session = boto3.session.Session(region_name=region)
    return (session.client("s3", endpoint_url=endpoint),
            session.client("kms", endpoint_url=endpoint))


def _context(pairs: list[str]) -> dict[str, str]:
    context = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"--context wants KEY=VALUE, not {pair!r}")
        context[name] = value
    return context


def _location(url: str) -> tuple[str, str]:
    bucket, _, key = url.removeprefix("s3://").partition("/")
    if not url.startswith("s3://") or not bucket or not key:
        raise ValueError(f"expected s3://BUCKET/KEY, not {url!r}")
    return bucket, key
