"""`objstore kms ...`: what a KMS administrator does from a shell, against the data
directory directly (the server need not run; with it running, both share the same store)."""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kms.crypto import asymmetric
from kms.service.caller import Caller
from kms.service.errors import KmsError
from kms.service.service import KmsService

ACCOUNT_ID = "111122223333"


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--data-dir", type=Path, default=Path("data"))
    where.add_argument("--as", dest="acting_user", default="admin",
                       help="the account user to act as (default: admin)")
    where.add_argument("--region", default="us-east-1")
    kms = commands.add_parser("kms", help="administer the embedded KMS")
    verbs = kms.add_subparsers(dest="kms_command", required=True)

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        return verbs.add_parser(name, parents=[where], help=help_text)

    verb("list", "list keys with their state, spec and aliases")
    create = verb("create", "create a key")
    create.add_argument("--description", default="")
    create.add_argument("--spec", default="SYMMETRIC_DEFAULT")
    create.add_argument("--usage")
    create.add_argument("--origin", default="AWS_KMS", choices=["AWS_KMS", "EXTERNAL"])
    create.add_argument("--alias")
    for name, text in [("describe", "show a key's metadata"), ("enable", "enable a key"),
                       ("disable", "disable a key"), ("rotate", "rotate a key's material now"),
                       ("cancel-deletion", "cancel a scheduled deletion"),
                       ("policy", "show a key's policy"),
                       ("rotations", "list a key's material versions")]:
        verb(name, text).add_argument("key")
    schedule = verb("schedule-deletion", "schedule a key's deletion")
    schedule.add_argument("key")
    schedule.add_argument("--days", type=int, default=30)
    rotation = verb("rotation", "turn automatic rotation on or off")
    rotation.add_argument("key")
    rotation.add_argument("state", choices=["on", "off"])
    rotation.add_argument("--period-days", type=int)
    public = verb("public-key", "export an asymmetric key's public key")
    public.add_argument("key")
    public.add_argument("--format", choices=["pem", "openssh", "der-base64"], default="pem")
    audit = verb("audit", "show the audit trail, newest first")
    audit.add_argument("--key")
    audit.add_argument("--user")
    audit.add_argument("--operation")
    audit.add_argument("--since", help="ISO 8601 time")
    audit.add_argument("--until", help="ISO 8601 time")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--json", action="store_true")
    clock = verb("clock", "show the KMS clock, or move it forward")
    clock.add_argument("--advance-days", type=float)


def run(args: argparse.Namespace) -> int:
    service = KmsService(args.data_dir, account_id=ACCOUNT_ID, region=args.region)
    caller = Caller(arn=f"arn:aws:iam::{ACCOUNT_ID}:user/{args.acting_user}",
                    account_id=ACCOUNT_ID,
                    user_name=args.acting_user, region=args.region,
                    user_agent="objstore-kms-cli")
    try:
        return _COMMANDS[args.kms_command](service, caller, args)
    except KmsError as error:
        print(f"objstore kms: {error.type_name}: {error.message}", file=sys.stderr)
        return 1
    finally:
        service.close()


def _list(service: KmsService, caller: Caller, args: argparse.Namespace) -> int:
    aliases: dict[str, list[str]] = {}
    for alias in service.list_aliases(caller, limit=1000)["Aliases"]:
        if "TargetKeyId" in alias:
            aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    marker = None
    while True:
        page = service.list_keys(caller, limit=1000, **({"marker": marker} if marker else {}))
        for entry in page["Keys"]:
            meta = service.describe_key(caller, key_id=entry["KeyId"])["KeyMetadata"]
            print(f"{meta['KeyId']}  {meta['KeyState']:<15} {meta['KeyManager']:<8} "
                  f"{meta['KeySpec']:<17} {','.join(aliases.get(meta['KeyId'], []))}")
        if not page["Truncated"]:
            return 0
        marker = page["NextMarker"]


def _create(service: KmsService, caller: Caller, args: argparse.Namespace) -> int:
    options: dict[str, Any] = {"description": args.description, "key_spec": args.spec,
                               "origin": args.origin}
    if args.usage:
        options["key_usage"] = args.usage
    meta = service.create_key(caller, **options)["KeyMetadata"]
    if args.alias:
        service.create_alias(caller, alias_name=args.alias, target_key_id=meta["KeyId"])
    _print_json(meta)
    return 0


def _simple(method: str, **extra: Callable[[argparse.Namespace], Any]) -> Callable[..., int]:
    def command(service: KmsService, caller: Caller, args: argparse.Namespace) -> int:
        values = {name: get(args) for name, get in extra.items()}
        result = getattr(service, method)(caller, key_id=args.key, **values)
        if result:
            _print_json(result)
        return 0

    return command


def _rotation(service: KmsService, caller: Caller, args: argparse.Namespace) -> int:
    if args.state == "off":
        service.disable_key_rotation(caller, key_id=args.key)
    else:
        extra = {"rotation_period_in_days": args.period_days} if args.period_days else {}
        service.enable_key_rotation(caller, key_id=args.key, **extra)
    _print_json(service.get_key_rotation_status(caller, key_id=args.key))
    return 0


def _policy(service: KmsService, caller: Caller, args: argparse.Namespace) -> int:
    print(service.get_key_policy(caller, key_id=args.key)["Policy"])
    return 0


def _public_key(service: KmsService, caller: Caller, args: argparse.Namespace) -> int:
    der = service.get_public_key(caller, key_id=args.key)["PublicKey"]
    if args.format == "openssh":
        print(asymmetric.openssh_public(der, comment=args.key))
    elif args.format == "der-base64":
        print(base64.b64encode(der).decode())
    else:
        print(asymmetric.pem_public(der), end="")
    return 0


def _audit(service: KmsService, caller: Caller, args: argparse.Namespace) -> int:
    records = service.audit_trail(key=args.key, user=args.user, operation=args.operation,
                                  since=_time(args.since), until=_time(args.until),
                                  limit=args.limit)
    for record in records:
        if args.json:
            print(json.dumps(record, sort_keys=True))
            continue
        who = record.get("userIdentity", {})
        via = f" via {who['invokedBy']}" if who.get("invokedBy") else ""
        keys = ",".join(r["ARN"].rsplit("/", 1)[-1] for r in record.get("resources") or [])
        outcome = record.get("errorCode", "ok")
        print(f"{record['eventTime']}  {record['eventName']:<32} "
              f"{who.get('userName') or who.get('invokedBy', '-'):<10}{via:<22} "
              f"{outcome:<26} {keys}")
    return 0


def _clock(service: KmsService, caller: Caller, args: argparse.Namespace) -> int:
    if args.advance_days:
        service.advance_clock(args.advance_days)
    now = service.clock.now()
    print(f"KMS time: {dt.datetime.fromtimestamp(now, dt.UTC).isoformat()} "
          f"({service.clock.offset / 86_400:.2f} days ahead of the real clock)")
    return 0


def _time(text: str | None) -> float | None:
    if text is None:
        return None
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def _print_json(value: Any) -> None:
    def default(item: Any) -> Any:
        if isinstance(item, bytes):
            return base64.b64encode(item).decode()
        if isinstance(item, dt.datetime):
            return item.isoformat()
        return str(item)

    print(json.dumps(value, indent=2, default=default))


_COMMANDS: dict[str, Callable[[KmsService, Caller, argparse.Namespace], int]] = {
    "list": _list,
    "create": _create,
    "describe": _simple("describe_key"),
    "enable": _simple("enable_key"),
    "disable": _simple("disable_key"),
    "rotate": _simple("rotate_key_on_demand"),
    "cancel-deletion": _simple("cancel_key_deletion"),
    "schedule-deletion": _simple("schedule_key_deletion",
                                 pending_window_in_days=lambda a: a.days),
    "rotations": _simple("list_key_rotations"),
    "rotation": _rotation,
    "policy": _policy,
    "public-key": _public_key,
    "audit": _audit,
    "clock": _clock,
}
