"""Argument parsing for `objstore` (and `python -m objstore`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path

from kms.cli import main as kms_cli
from objstore.auth.identities import IdentityStore
from objstore.cli import inspect_object, rewrap
from objstore.cli.serve import SHUTDOWN_GRACE, ServeOptions, identities_path, serve
from objstore.clientside import cli as cse_cli

DEFAULT_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
DEFAULT_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="objstore", description=(
        "An S3-compatible object store with an embedded KMS."))
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="run the server")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=9000, help="0 picks a free port")
    run.add_argument("--data-dir", type=Path, default=Path("data"))
    run.add_argument("--access-key", default=os.environ.get("OBJSTORE_ACCESS_KEY",
                                                            DEFAULT_ACCESS_KEY))
    run.add_argument("--secret-key", default=os.environ.get("OBJSTORE_SECRET_KEY",
                                                            DEFAULT_SECRET_KEY))
    run.add_argument("--region", default="us-east-1")
    run.add_argument("--domain", default="localhost",
                     help="virtual-hosted style: requests to BUCKET.DOMAIN[:PORT] address BUCKET "
                          "(path style always works)")
    run.add_argument("--users-file", type=Path, default=None,
                     help="identities file (default: DATA_DIR/identities.json)")
    run.add_argument("--shutdown-grace", type=float, default=SHUTDOWN_GRACE,
                     help="seconds requests in flight get to finish on SIGINT/SIGTERM")
    run.add_argument("--tls", action="store_true",
                     help="serve HTTPS, with a self-signed certificate made in DATA_DIR/tls")
    run.add_argument("--tls-cert", type=Path, default=None,
                     help="serve HTTPS with this certificate (PEM; implies --tls)")
    run.add_argument("--tls-key", type=Path, default=None,
                     help="the private key (PEM) of --tls-cert")
    run.add_argument("--require-tls-for-sse-c", action="store_true",
                     help="refuse SSE-C requests made over plain HTTP, as AWS does")
    run.add_argument("--default-encryption", choices=("AES256", "none"), default="AES256",
                     help="encryption of objects written with no SSE header and no bucket "
                     "rule: AES256 (SSE-S3, as AWS since 2023) or none (stored as sent; "
                     "not an AWS behaviour, a baseline for comparisons)")
    run.add_argument("--log-level", default="INFO")

    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--data-dir", type=Path, default=Path("data"))
    where.add_argument("--users-file", type=Path, default=None,
                       help="identities file (default: DATA_DIR/identities.json)")
    users = commands.add_parser("user", help="manage identities (access keys)")
    user_commands = users.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", parents=[where],
                                   help="add a user and print its access key")
    add.add_argument("name")
    add.add_argument("--access-key")
    add.add_argument("--secret-key")
    user_commands.add_parser("list", parents=[where], help="list users (secrets not shown)")
    remove = user_commands.add_parser("remove", parents=[where], help="remove a user")
    remove.add_argument("name")
    kms_cli.add_parser(commands)
    inspect = commands.add_parser("inspect", help="show how an object is stored and what "
                                  "its files reveal")
    inspect.add_argument("target", help="BUCKET/KEY")
    inspect.add_argument("--data-dir", type=Path, default=Path("data"))
    inspect.add_argument("--json", action="store_true")
    cse_cli.add_parser(commands)
    rewrap.add_parser(commands)
    return parser


def _user_command(args: argparse.Namespace) -> int:
    store = IdentityStore(identities_path(args.data_dir, args.users_file))
    if args.user_command == "add":
        try:
            identity = store.add(args.name, args.access_key, args.secret_key)
        except ValueError as exc:
            print(f"objstore: {exc}", file=sys.stderr)
            return 1
        print(f"name:              {identity.name}")
        print(f"arn:               {identity.arn}")
        print(f"access key id:     {identity.access_key}")
        print(f"secret access key: {identity.secret_key}")
        return 0
    if args.user_command == "list":
        for identity in store.list():
            print(f"{identity.name}\t{identity.access_key}\t{identity.arn}")
        return 0
    try:
        store.remove(args.name)
    except (KeyError, ValueError) as exc:
        print(f"objstore: no such user {exc}", file=sys.stderr)
        return 1
    return 0


def _inspect(args: argparse.Namespace) -> int:
    bucket, _, key = args.target.removeprefix("s3://").partition("/")
    try:
        report = inspect_object.describe(args.data_dir, bucket, key)
    except KeyError as exc:
        print(f"objstore: {exc.args[0]}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2) if args.json else inspect_object.render(report))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "user":
        return _user_command(args)
    if args.command == "kms":
        return kms_cli.run(args)
    if args.command == "inspect":
        return _inspect(args)
    if args.command == "cse":
        return cse_cli.run(args)
    if args.command == "rewrap":
        return rewrap.run(args)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = ServeOptions(host=args.host, port=args.port, data_dir=args.data_dir,
                           access_key=args.access_key, secret_key=args.secret_key,
                           region=args.region, users_file=args.users_file,
                           domain=args.domain,
                           shutdown_grace=args.shutdown_grace, tls=args.tls,
                           tls_cert=args.tls_cert, tls_key=args.tls_key,
                           require_tls_for_sse_c=args.require_tls_for_sse_c,
                           default_encryption=None if args.default_encryption == "none"
                           else args.default_encryption)
    asyncio.run(serve(options))
    return 0
