"""Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.

A grant lets its grantee principal call the listed operations on one key, within its
encryption-context constraint; `ServiceBase._authorize` honours grants wherever the key
policy does not allow a call and does not explicitly deny it. Grants take effect at once
and end at once when retired or revoked; deleting a key deletes its grants."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from kms.service import grant_rules
from kms.service.base import AuditNote, ServiceBase
from kms.service.caller import Caller
from kms.service.errors import KmsError, check_dry_run, not_found, validation
from kms.store.records import GrantRecord, KeyRecord

MAX_GRANTS_PER_KEY = 50_000
DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 1000


class GrantOps(ServiceBase):
    def create_grant(self, caller: Caller, *, key_id: str, operations: list[str],
                     grantee_principal: str | None = None,
                     retiring_principal: str | None = None,
                     constraints: Mapping[str, Any] | None = None,
                     grant_tokens: list[str] | None = None, name: str | None = None,
                     dry_run: bool = False) -> dict[str, Any]:
        params = {"keyId": key_id, "granteePrincipal": grantee_principal,
                  "retiringPrincipal": retiring_principal, "operations": operations,
                  "constraints": _camel_keys(constraints), "name": name}

        def run(note: AuditNote) -> dict[str, Any]:
            if not grantee_principal:
                raise validation("You must specify a GranteePrincipal.")
            grant_rules.check_principal(grantee_principal)
            if retiring_principal is not None:
                grant_rules.check_principal(retiring_principal)
            key = self._key(caller, key_id, note, allow_alias=False)
            self._check_state("CreateGrant", key)
            asked = GrantRecord(
                grant_id=grant_rules.new_grant_id(), grant_token="", key_id=key.key_id,
                grantee_principal=grantee_principal, operations=list(operations),
                created=self.clock.now(),
                issuing_account=grant_rules.root_arn(caller.account_id),
                retiring_principal=retiring_principal,
                constraints=grant_rules.check_constraints(constraints, key), name=name)
            self._authorize(caller, key, "CreateGrant", grant_tokens=grant_tokens,
                            child=asked)
            checked = grant_rules.check_operations(operations, key)
            grant = self._store_grant(dataclasses.replace(asked, operations=checked), dry_run)
            note.response = {"grantId": grant.grant_id}
            return {"GrantToken": grant.grant_token, "GrantId": grant.grant_id}

        return self._call(caller, "CreateGrant", params, run)

    def list_grants(self, caller: Caller, *, key_id: str, limit: int = DEFAULT_LIST_LIMIT,
                    marker: str | None = None, grant_id: str | None = None,
                    grantee_principal: str | None = None) -> dict[str, Any]:
        params = {"keyId": key_id, "limit": limit, "marker": marker, "grantId": grant_id,
                  "granteePrincipal": grantee_principal}

        def run(note: AuditNote) -> dict[str, Any]:
            _check_limit(limit)
            key = self._key(caller, key_id, note, allow_alias=False)
            self._authorize(caller, key, "ListGrants")
            _check_marker(marker)
            if grant_id is not None:
                grant_rules.check_grant_id(grant_id)
            grants = self.store.list_grants(key.key_id, after=marker, limit=limit + 1,
                                            grant_id=grant_id,
                                            grantee_principal=grantee_principal)
            return _page([(grant, key.arn) for grant in grants], limit)

        return self._call(caller, "ListGrants", params, run)

    def list_retirable_grants(self, caller: Caller, *, retiring_principal: str | None = None,
                              limit: int = DEFAULT_LIST_LIMIT,
                              marker: str | None = None) -> dict[str, Any]:
        params = {"retiringPrincipal": retiring_principal, "limit": limit, "marker": marker}

        def run(note: AuditNote) -> dict[str, Any]:
            if not retiring_principal:
                raise validation("You must specify a RetiringPrincipal.")
            _check_limit(limit)
            if grant_rules.check_principal(retiring_principal) != caller.account_id:
                raise KmsError("AccessDeniedException",
                               f"User: {caller.arn} is not authorized to perform: "
                               f"kms:ListRetirableGrants on resource: {retiring_principal} "
                               "because it is not a principal in the caller's account")
            _check_marker(marker)
            found = self._retirable(retiring_principal, caller.region, marker, limit + 1)
            return _page(found, limit)

        return self._call(caller, "ListRetirableGrants", params, run)

    def retire_grant(self, caller: Caller, *, grant_token: str | None = None,
                     key_id: str | None = None, grant_id: str | None = None,
                     dry_run: bool = False) -> dict[str, Any]:
        params = {"keyId": key_id, "grantId": grant_id}

        def run(note: AuditNote) -> dict[str, Any]:
            grant, key = self._grant_to_retire(caller, grant_token, key_id, grant_id, note)
            if not grant_rules.may_retire(grant, caller.arn, caller.account_id):
                raise KmsError("AccessDeniedException",
                               f"User: {caller.arn} is not authorized to perform: "
                               f"kms:RetireGrant on resource: {key.arn} because the grant "
                               "names neither the caller as its retiring principal nor "
                               "RetireGrant among the caller's operations")
            check_dry_run(dry_run)
            self.store.delete_grant(grant.grant_id)
            return {}

        return self._call(caller, "RetireGrant", params, run)

    def revoke_grant(self, caller: Caller, *, key_id: str, grant_id: str,
                     dry_run: bool = False) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            grant_rules.check_grant_id(grant_id)
            key = self._key(caller, key_id, note, allow_alias=False)
            self._authorize(caller, key, "RevokeGrant")
            grant = self._grant_of(key, grant_id)
            check_dry_run(dry_run)
            self.store.delete_grant(grant.grant_id)
            return {}

        return self._call(caller, "RevokeGrant", {"keyId": key_id, "grantId": grant_id}, run)

    # -- steps -----------------------------------------------------------------------------

    def _store_grant(self, asked: GrantRecord, dry_run: bool) -> GrantRecord:
        """The grant, with a fresh token: an existing grant with the same Name and the same
        parameters (a retry), else `asked`, stored. DryRun stops before storing."""
        with self.store.transaction():
            existing = self._same_grant(asked)
            if existing is None and self.store.count_grants(asked.key_id) >= MAX_GRANTS_PER_KEY:
                raise KmsError("LimitExceededException",
                               f"A key can have at most {MAX_GRANTS_PER_KEY} grants.")
            check_dry_run(dry_run)
            grant = dataclasses.replace(existing or asked, grant_token=grant_rules.new_token(
                grant_rules.token_secret(self._root_key), (existing or asked).grant_id))
            if existing is None:
                self.store.create_grant(grant)
            return grant

    def _same_grant(self, asked: GrantRecord) -> GrantRecord | None:
        if asked.name is None:
            return None
        for grant in self.store.find_grants_by_name(asked.key_id, asked.name):
            if _parameters(grant) == _parameters(asked):
                return grant
        return None

    def _grant_to_retire(self, caller: Caller, grant_token: str | None, key_id: str | None,
                         grant_id: str | None,
                         note: AuditNote) -> tuple[GrantRecord, KeyRecord]:
        """The grant a RetireGrant names: by token, or by key and grant id (not both)."""
        if grant_token is not None:
            if key_id is not None or grant_id is not None:
                raise validation("Specify either GrantToken, or KeyId and GrantId, not both.")
            return self._grant_by_token(grant_token, note)
        if key_id is None or grant_id is None:
            raise validation("Specify either GrantToken, or both KeyId and GrantId.")
        grant_rules.check_grant_id(grant_id)
        key = self._key(caller, key_id, note, allow_alias=False)
        return self._grant_of(key, grant_id), key

    def _grant_by_token(self, token: str, note: AuditNote) -> tuple[GrantRecord, KeyRecord]:
        grant_id = grant_rules.token_grant_id(grant_rules.token_secret(self._root_key), token)
        grant = self.store.get_grant(grant_id)
        key = self.store.get_key(grant.key_id) if grant is not None else None
        if grant is None or key is None:
            raise not_found(f"Grant {grant_id} does not exist.")
        note.key_arns.append(key.arn)
        return grant, key

    def _grant_of(self, key: KeyRecord, grant_id: str) -> GrantRecord:
        grant = self.store.get_grant(grant_id)
        if grant is None or grant.key_id != key.key_id:
            raise not_found(f"Grant {grant_id} does not exist for key {key.arn}.")
        return grant

    def _retirable(self, principal: str, region: str, after: str | None,
                   wanted: int) -> list[tuple[GrantRecord, str]]:
        """Up to `wanted` grants retirable by `principal` on keys in `region`, with their
        key ARNs, in grant-id order after `after`."""
        found: list[tuple[GrantRecord, str]] = []
        while len(found) < wanted:
            batch = self.store.list_retirable_grants(principal, after=after, limit=wanted)
            for grant in batch:
                key = self.store.get_key(grant.key_id)
                if key is not None and key.region == region:
                    found.append((grant, key.arn))
            if len(batch) < wanted:
                break
            after = batch[-1].grant_id
        return found[:wanted]


def _parameters(grant: GrantRecord) -> tuple[Any, ...]:
    """What makes a named CreateGrant a retry of an earlier one."""
    return (grant.grantee_principal, grant.retiring_principal, sorted(set(grant.operations)),
            grant.constraints)


def _entry(grant: GrantRecord, key_arn: str) -> dict[str, Any]:
    """A GrantListEntry."""
    entry: dict[str, Any] = {
        "KeyId": key_arn, "GrantId": grant.grant_id, "CreationDate": grant.created,
        "GranteePrincipal": grant.grantee_principal, "IssuingAccount": grant.issuing_account,
        "Operations": list(grant.operations)}
    optional = {"Name": grant.name, "RetiringPrincipal": grant.retiring_principal,
                "Constraints": grant.constraints}
    entry.update({member: value for member, value in optional.items() if value})
    return entry


def _page(grants: list[tuple[GrantRecord, str]], limit: int) -> dict[str, Any]:
    """One page from up to limit + 1 grants: the extra one says there is more."""
    page = grants[:limit]
    result: dict[str, Any] = {"Grants": [_entry(grant, arn) for grant, arn in page],
                              "Truncated": len(grants) > limit}
    if result["Truncated"]:
        result["NextMarker"] = page[-1][0].grant_id
    return result


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise validation(f"1 validation error detected: Value '{limit}' at 'limit' failed to "
                         "satisfy constraint: Member must have value between 1 and "
                         f"{MAX_LIST_LIMIT}")


def _check_marker(marker: str | None) -> None:
    """Markers are grant ids (NextMarker is the last grant of a page)."""
    if marker is not None:
        try:
            grant_rules.check_grant_id(marker)
        except KmsError:
            raise KmsError("InvalidMarkerException", "Invalid marker.") from None


def _camel_keys(constraints: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Constraints as CloudTrail writes them (encryptionContextSubset...)."""
    if constraints is None:
        return None
    return {name[:1].lower() + name[1:]: value for name, value in constraints.items()}


