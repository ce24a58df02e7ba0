"""`objstore rewrap s3://BUCKET[/PREFIX] --kms-key-arn ARN`: move objects under another KMS
key (a key to retire, a compliance rotation) by re-wrapping their data keys through
UpdateObjectEncryption: no object data is rewritten, ETags and checksums stay. A client of
the server, like any admin script would be; objects it cannot move (SSE-C, DSSE-KMS,
stored unencrypted) are listed and left as they are."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from objstore.clientside.cli import LOCAL_ENDPOINT, clients

MOVABLE = ("AES256", "aws:kms")


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rewrap = commands.add_parser(
        "rewrap", help="move objects under another KMS key without rewriting their data")
    rewrap.add_argument("target", help="s3://BUCKET or s3://BUCKET/PREFIX")
    rewrap.add_argument("--kms-key-arn", required=True, help="the new KMS key (full ARN)")
    rewrap.add_argument("--bucket-key", action="store_true",
                        help="wrap under an S3 Bucket Key (fewer KMS calls)")
    rewrap.add_argument("--from-key", default=None, metavar="ARN",
                        help="only objects now under this KMS key")
    rewrap.add_argument("--dry-run", action="store_true", help="say what would move")
    rewrap.add_argument("--endpoint-url", default=None,
                        help=f"the server (default: AWS_ENDPOINT_URL if set, else "
                             f"{LOCAL_ENDPOINT})")
    rewrap.add_argument("--region", default=None)


def run(args: argparse.Namespace) -> int:
    bucket, _, prefix = args.target.removeprefix("s3://").partition("/")
    if not args.target.startswith("s3://") or not bucket:
        print(f"objstore rewrap: expected s3://BUCKET[/PREFIX], not {args.target!r}",
              file=sys.stderr)
        return 2
    try:
        s3, _ = clients(args)
        counts = _rewrap_all(s3, bucket, prefix, args)
    except (ClientError, BotoCoreError, ValueError) as error:
        print(f"objstore rewrap: {error}", file=sys.stderr)
        return 1
    print(", ".join(f"{n} {what}" for what, n in counts.items()))
    return 1 if counts["failed"] else 0


def _rewrap_all(s3: Any, bucket: str, prefix: str, args: argparse.Namespace) -> dict[str, int]:
    counts = {"moved": 0, "already there": 0, "not movable": 0, "skipped": 0, "failed": 0}
    verb = "would move" if args.dry_run else "moved"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            try:
                head = s3.head_object(Bucket=bucket, Key=key)
            except ClientError as error:   # an SSE-C object answers HEAD only with its key
                print(f"not movable  {key}: {error.response['Error']['Code']} (SSE-C?)")
                counts["not movable"] += 1
                continue
            mode, current = head.get("ServerSideEncryption"), head.get("SSEKMSKeyId")
            if mode not in MOVABLE:
                print(f"not movable  {key}: {mode or 'unencrypted'}")
                counts["not movable"] += 1
            elif args.from_key and current != args.from_key:
                counts["skipped"] += 1
            elif current == args.kms_key_arn and \
                    head.get("BucketKeyEnabled", False) == args.bucket_key:
                counts["already there"] += 1
            else:
                if not args.dry_run:
                    try:
                        s3.update_object_encryption(
                            Bucket=bucket, Key=key, ObjectEncryption={"SSEKMS": {
                                "KMSKeyArn": args.kms_key_arn,
                                "BucketKeyEnabled": args.bucket_key}})
                    except ClientError as error:
                        print(f"failed       {key}: {error.response['Error']['Code']}: "
                              f"{error.response['Error']['Message']}")
                        counts["failed"] += 1
                        continue
                print(f"{verb:<12} {key}: {mode} {current or ''} -> {args.kms_key_arn}")
                counts["moved"] += 1
    return counts
