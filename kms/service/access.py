"""The KMS's authorization decision, as a pure function: the key policy allows the action,
or a grant on the key for the principal (or its account) does and no policy statement
explicitly denies it (grants only allow). The service enforces it on every call; the
object store's inspection asks it "who may?" about the account's principals, without a
call (which would be audited)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kms.service import grant_rules, policy
from kms.store.records import GrantRecord


def allowed(parsed_policy: Mapping[str, Any], grants: Iterable[GrantRecord], *,
            principal: str, account: str, action: str,
            context: Mapping[str, str] | None = None, via_service: str | None = None,
            child: GrantRecord | None = None) -> bool:
    """Whether `principal` (of `account`) may call kms:`action` ("Decrypt", ...) on a key
    with this parsed policy and these grants. `child`: for CreateGrant, the grant asked
    for, which a permission that comes from a grant must not widen."""
    request = policy.Request(principal_arn=principal, account_id=account,
                             action=f"kms:{action}", encryption_context=context,
                             via_service=via_service)
    if policy.allows(parsed_policy, request):
        return True
    return not policy.denies(parsed_policy, request) and any(
        grant_rules.names(grant.grantee_principal, principal, account)
        and grant_rules.allows(grant, action, context, child) for grant in grants)
