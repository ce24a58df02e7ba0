"""Key policies: the default one, validation, and evaluation on every call.

There are no IAM policies in this store: every user of the account is treated as having
full IAM permissions, so a statement naming the account (`arn:aws:iam::ACCOUNT:root` or
the bare account id) allows every user of that account, as the default key policy does
on AWS for IAM users with admin rights. A statement naming one user allows only that
user. An explicit Deny wins over any Allow; no matching Allow means AccessDenied.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kms.service.errors import KmsError

MAX_POLICY_BYTES = 32 * 1024


@dataclass(frozen=True)
class Request:
    """What a policy is asked about: who does which action, and the request's context."""

    principal_arn: str
    account_id: str
    action: str                                # "kms:Encrypt"
    encryption_context: Mapping[str, str] | None = None
    via_service: str | None = None             # "s3.us-east-1.amazonaws.com"


def default_policy(account_id: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }],
    }, indent=2)


def aws_managed_policy(account_id: str, service: str, region: str) -> str:
    """The policy of an AWS-managed key (aws/s3...): usable by the account's principals
    through that service only, readable by them directly."""
    return json.dumps({
        "Version": "2012-10-17",
        "Id": f"auto-{service}-2",
        "Statement": [
            {
                "Sid": f"Allow access through {service.upper()} for all principals in the "
                       "account that are authorized to use it",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*",
                           "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {
                    "kms:CallerAccount": account_id,
                    "kms:ViaService": f"{service}.{region}.amazonaws.com"}},
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
                "Resource": "*",
            },
        ],
    }, indent=2)


def parse(document: str) -> dict[str, Any]:
    """The policy as data; MalformedPolicyDocumentException for anything we cannot
    evaluate, LimitExceededException when it is too large."""
    if len(document.encode()) > MAX_POLICY_BYTES:
        raise KmsError("LimitExceededException",
                       f"Policy exceeds the maximum size of {MAX_POLICY_BYTES} bytes.")
    try:
        policy = json.loads(document)
    except ValueError:
        raise _malformed("The policy is not valid JSON.") from None
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise _malformed("The policy must contain at least one statement.")
    for statement in statements:
        if not isinstance(statement, dict):
            raise _malformed("Each statement must be a JSON object.")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise _malformed("Each statement's Effect must be Allow or Deny.")
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise _malformed("Policy contains a statement with no principal.")
        if "Action" not in statement and "NotAction" not in statement:
            raise _malformed("Policy contains a statement with no action.")
    return {"Statement": statements}


def allows(policy: Mapping[str, Any], request: Request) -> bool:
    allowed = False
    for statement in policy["Statement"]:
        if not _applies(statement, request):
            continue
        if statement["Effect"] == "Deny":
            return False
        allowed = True
    return allowed


def denies(policy: Mapping[str, Any], request: Request) -> bool:
    """An explicit Deny applies: nothing, not even a grant, can then allow the request."""
    return any(statement["Effect"] == "Deny" and _applies(statement, request)
               for statement in policy["Statement"])


def admits_account(policy: Mapping[str, Any], account_id: str) -> bool:
    """The lockout safety check: the account's principals can still manage the key."""
    request = Request(principal_arn=f"arn:aws:iam::{account_id}:root", account_id=account_id,
                      action="kms:PutKeyPolicy")
    return allows(policy, request)


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Principal" in statement:
        if not _principal_matches(statement["Principal"], request):
            return False
    elif _principal_matches(statement["NotPrincipal"], request):
        return False
    if "Action" in statement:
        if not _action_matches(statement["Action"], request.action):
            return False
    elif _action_matches(statement["NotAction"], request.action):
        return False
    return _conditions_hold(statement.get("Condition", {}), request)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, request: Request) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for value in _as_list(principal.get("AWS", [])):
        if value in ("*", request.principal_arn, request.account_id,
                     f"arn:aws:iam::{request.account_id}:root"):
            return True
    return False


def _action_matches(actions: Any, action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), str(pattern).lower())
               for pattern in _as_list(actions))


def _context_value(key: str, request: Request) -> list[str] | None:
    lowered = key.lower()
    if lowered == "kms:calleraccount":
        return [request.account_id]
    if lowered == "kms:viaservice":
        return [request.via_service] if request.via_service else None
    if lowered == "aws:principalarn":
        return [request.principal_arn]
    if lowered.startswith("kms:encryptioncontext:"):
        name = key.split(":", 2)[2]
        value = (request.encryption_context or {}).get(name)
        return None if value is None else [value]
    if lowered == "kms:encryptioncontextkeys":
        return list(request.encryption_context or {}) or None
    return None


_OPERATORS = {
    "StringEquals": lambda actual, wanted: actual == wanted,
    "StringNotEquals": lambda actual, wanted: actual != wanted,
    "StringEqualsIgnoreCase": lambda actual, wanted: actual.lower() == wanted.lower(),
    "StringLike": lambda actual, wanted: fnmatch.fnmatchcase(actual, wanted),
    "StringNotLike": lambda actual, wanted: not fnmatch.fnmatchcase(actual, wanted),
    "ArnEquals": lambda actual, wanted: actual == wanted,
    "ArnLike": lambda actual, wanted: fnmatch.fnmatchcase(actual, wanted),
}


def _conditions_hold(conditions: Mapping[str, Any], request: Request) -> bool:
    for operator, tests in conditions.items():
        if_exists = operator.endswith("IfExists")
        base = operator.removesuffix("IfExists")
        negated = base.startswith(("StringNot", "ArnNot"))
        for qualifier in ("ForAllValues:", "ForAnyValue:"):
            base = base.removeprefix(qualifier)
        check = _OPERATORS.get(base)
        if check is None:
            return False  # an operator we do not know never grants
        for key, wanted in tests.items():
            actual = _context_value(key, request)
            if actual is None:
                if if_exists or negated:
                    continue
                return False
            wanted_values = [str(w) for w in _as_list(wanted)]
            if negated:
                if not all(check(a, w) for a in actual for w in wanted_values):
                    return False
            elif not all(any(check(a, w) for w in wanted_values) for a in actual):
                return False
    return True


def _malformed(message: str) -> KmsError:
    return KmsError("MalformedPolicyDocumentException", message)
