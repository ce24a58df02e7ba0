"""Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases."""

from __future__ import annotations

from typing import Any

from kms.service import identifiers
from kms.service.base import AWS_MANAGED_SERVICES, AuditNote, ServiceBase
from kms.service.caller import Caller
from kms.service.errors import KmsError, invalid_state, not_found
from kms.store.errors import AlreadyExists
from kms.store.records import PENDING_DELETION, AliasRecord, alias_arn

MAX_ALIASES_PER_KEY = 50


class AliasOps(ServiceBase):
    def create_alias(self, caller: Caller, *, alias_name: str,
                     target_key_id: str) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            identifiers.check_alias_name(alias_name)
            key = self._key(caller, target_key_id, note, allow_alias=False)
            self._customer_managed(key, "CreateAlias")
            self._authorize(caller, key, "CreateAlias")
            self._check_state("CreateAlias", key)
            if len(self.store.list_aliases_for_key(key.key_id)) >= MAX_ALIASES_PER_KEY:
                raise KmsError("LimitExceededException",
                               f"A key can have at most {MAX_ALIASES_PER_KEY} aliases.")
            now = self.clock.now()
            arn = alias_arn(caller.region, self.account_id, alias_name)
            try:
                self.store.create_alias(AliasRecord(name=alias_name, arn=arn,
                                                    target_key_id=key.key_id, created=now,
                                                    updated=now))
            except AlreadyExists:
                raise KmsError("AlreadyExistsException",
                               f"An alias with the name {arn} already exists") from None
            return {}

        return self._call(caller, "CreateAlias",
                          {"aliasName": alias_name, "targetKeyId": target_key_id}, run)

    def update_alias(self, caller: Caller, *, alias_name: str,
                     target_key_id: str) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            identifiers.check_alias_name(alias_name)
            alias = self._alias(caller, alias_name)
            key = self._key(caller, target_key_id, note, allow_alias=False)
            self._customer_managed(key, "UpdateAlias")
            self._authorize(caller, key, "UpdateAlias")
            if key.state == PENDING_DELETION:
                raise invalid_state(f"{key.arn} is pending deletion.")
            old = self.store.get_key(alias.target_key_id)
            if old is not None and (old.key_spec, old.key_usage) != (key.key_spec,
                                                                     key.key_usage):
                raise KmsError("ValidationException",
                               "The new target key must have the same key spec and key usage "
                               "as the current one.")
            self.store.update_alias_target(alias.arn, key.key_id, self.clock.now())
            return {}

        return self._call(caller, "UpdateAlias",
                          {"aliasName": alias_name, "targetKeyId": target_key_id}, run)

    def delete_alias(self, caller: Caller, *, alias_name: str) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            identifiers.check_alias_name(alias_name)
            alias = self._alias(caller, alias_name)
            key = self.store.get_key(alias.target_key_id)
            if key is not None:
                note.key_arns.append(key.arn)
                self._authorize(caller, key, "DeleteAlias")
            self.store.delete_alias(alias.arn)
            return {}

        return self._call(caller, "DeleteAlias", {"aliasName": alias_name}, run)

    def list_aliases(self, caller: Caller, *, key_id: str | None = None, limit: int = 50,
                     marker: str | None = None) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            if key_id is not None:
                key = self._key(caller, key_id, note, allow_alias=False)
                aliases = self.store.list_aliases_for_key(key.key_id, after=marker,
                                                          limit=limit + 1)
                entries = [_entry(a) for a in aliases]
            else:
                aliases = self.store.list_aliases_by_account(
                    self.account_id, caller.region, after=marker, limit=None)
                entries = _with_predefined([_entry(a) for a in aliases], caller.region,
                                           self.account_id, marker)
            page = entries[:limit]
            result: dict[str, Any] = {"Aliases": page, "Truncated": len(entries) > limit}
            if len(entries) > limit:
                result["NextMarker"] = page[-1]["AliasName"]
            return result

        return self._call(caller, "ListAliases", {"keyId": key_id, "limit": limit}, run)

    def _alias(self, caller: Caller, name: str) -> AliasRecord:
        if name.startswith(identifiers.RESERVED_ALIAS_PREFIX):
            raise KmsError("InvalidAliasNameException",
                           f"{name} is reserved for AWS managed keys.")
        alias = self.store.get_alias(alias_arn(caller.region, self.account_id, name))
        if alias is None:
            raise not_found(f"Alias {alias_arn(caller.region, self.account_id, name)} is not "
                            "found.")
        return alias


def _entry(alias: AliasRecord) -> dict[str, Any]:
    return {"AliasName": alias.name, "AliasArn": alias.arn, "TargetKeyId": alias.target_key_id,
            "CreationDate": alias.created, "LastUpdatedDate": alias.updated}


def _with_predefined(entries: list[dict[str, Any]], region: str, account: str,
                     marker: str | None) -> list[dict[str, Any]]:
    """AWS lists the predefined alias/aws/* names even before their keys exist (those
    without a key have no TargetKeyId)."""
    names = {entry["AliasName"] for entry in entries}
    for service in sorted(AWS_MANAGED_SERVICES):
        name = f"{identifiers.RESERVED_ALIAS_PREFIX}{service}"
        if name not in names and (marker is None or name > marker):
            entries.append({"AliasName": name, "AliasArn": alias_arn(region, account, name)})
    return sorted(entries, key=lambda entry: entry["AliasName"])
