"""Keys: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, EnableKey, DisableKey,
ScheduleKeyDeletion, CancelKeyDeletion, key policies and tags."""

from __future__ import annotations

import dataclasses
from typing import Any

from kms.service import policy as key_policy
from kms.service.base import DAY, AuditNote, ServiceBase
from kms.service.caller import Caller
from kms.service.errors import KmsError, invalid_state, validation
from kms.service.metadata import check_spec_and_usage, key_metadata
from kms.store.errors import InvalidMarker
from kms.store.records import DISABLED, ENABLED, PENDING_DELETION, PENDING_IMPORT

MAX_TAGS = 50


class KeyOps(ServiceBase):
    def create_key(self, caller: Caller, *, policy: str | None = None,
                   description: str = "", key_usage: str | None = None,
                   customer_master_key_spec: str | None = None, key_spec: str | None = None,
                   origin: str = "AWS_KMS", bypass_policy_lockout_safety_check: bool = False,
                   tags: list[dict[str, str]] | None = None,
                   multi_region: bool = False) -> dict[str, Any]:
        params = {"description": description, "keyUsage": key_usage, "keySpec": key_spec,
                  "origin": origin, "multiRegion": multi_region,
                  "bypassPolicyLockoutSafetyCheck": bypass_policy_lockout_safety_check}

        def run(note: AuditNote) -> dict[str, Any]:
            spec = _spec(key_spec, customer_master_key_spec)
            usage = check_spec_and_usage(spec, key_usage)
            if multi_region:
                raise KmsError("UnsupportedOperationException",
                               "Multi-Region keys are not supported by this KMS.")
            if origin not in ("AWS_KMS", "EXTERNAL"):
                raise KmsError("UnsupportedOperationException",
                               f"Origin {origin} is not supported by this KMS.")
            if policy is not None:
                self._check_new_policy(policy, bypass_policy_lockout_safety_check)
            key = self._new_key(caller.region, description=description, origin=origin,
                                policy_text=policy, tags=_tags(tags), key_spec=spec,
                                key_usage=usage)
            note.key_arns.append(key.arn)
            note.response = {"keyMetadata": {"keyId": key.key_id, "arn": key.arn}}
            return {"KeyMetadata": key_metadata(key)}

        return self._call(caller, "CreateKey", params, run)

    def describe_key(self, caller: Caller, *, key_id: str,
                     grant_tokens: list[str] | None = None) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            key = self._key(caller, key_id, note)
            self._authorize(caller, key, "DescribeKey")
            return {"KeyMetadata": key_metadata(key)}

        return self._call(caller, "DescribeKey", {"keyId": key_id}, run,
                          grant_tokens=grant_tokens)

    def list_keys(self, caller: Caller, *, limit: int = 100,
                  marker: str | None = None) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            try:
                keys = self.store.list_keys(after=marker, limit=limit + 1,
                                            account=self.account_id, region=caller.region)
            except InvalidMarker:
                raise KmsError("InvalidMarkerException", "Invalid marker.") from None
            page = keys[:limit]
            result: dict[str, Any] = {
                "Keys": [{"KeyId": k.key_id, "KeyArn": k.arn} for k in page],
                "Truncated": len(keys) > limit}
            if len(keys) > limit:
                result["NextMarker"] = page[-1].key_id
            return result

        return self._call(caller, "ListKeys", {"limit": limit, "marker": marker}, run)

    def update_key_description(self, caller: Caller, *, key_id: str,
                               description: str) -> dict[str, Any]:
        return self._admin(caller, "UpdateKeyDescription", key_id,
                           {"keyId": key_id, "description": description},
                           lambda key: dataclasses.replace(key, description=description))

    def enable_key(self, caller: Caller, *, key_id: str) -> dict[str, Any]:
        return self._admin(caller, "EnableKey", key_id, {"keyId": key_id},
                           lambda key: dataclasses.replace(key, state=ENABLED),
                           customer_only=True)

    def disable_key(self, caller: Caller, *, key_id: str) -> dict[str, Any]:
        return self._admin(caller, "DisableKey", key_id, {"keyId": key_id},
                           lambda key: dataclasses.replace(key, state=DISABLED),
                           customer_only=True)

    def schedule_key_deletion(self, caller: Caller, *, key_id: str,
                              pending_window_in_days: int = 30) -> dict[str, Any]:
        params = {"keyId": key_id, "pendingWindowInDays": pending_window_in_days}

        def run(note: AuditNote) -> dict[str, Any]:
            if not 7 <= pending_window_in_days <= 30:
                raise validation(
                    f"1 validation error detected: Value '{pending_window_in_days}' at "
                    "'pendingWindowInDays' failed to satisfy constraint: Member must have "
                    "value between 7 and 30")
            key = self._key(caller, key_id, note, allow_alias=False)
            self._customer_managed(key, "ScheduleKeyDeletion")
            self._authorize(caller, key, "ScheduleKeyDeletion")
            self._check_state("ScheduleKeyDeletion", key)
            deletion = self.clock.now() + pending_window_in_days * DAY
            key = dataclasses.replace(key, state=PENDING_DELETION, deletion_date=deletion,
                                      pending_window_days=pending_window_in_days)
            self.store.update_key(key)
            note.response = {"keyId": key.arn, "keyState": PENDING_DELETION,
                             "deletionDate": deletion,
                             "pendingWindowInDays": pending_window_in_days}
            return {"KeyId": key.arn, "DeletionDate": deletion, "KeyState": PENDING_DELETION,
                    "PendingWindowInDays": pending_window_in_days}

        return self._call(caller, "ScheduleKeyDeletion", params, run)

    def cancel_key_deletion(self, caller: Caller, *, key_id: str) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            key = self._key(caller, key_id, note, allow_alias=False)
            self._authorize(caller, key, "CancelKeyDeletion")
            if key.state != PENDING_DELETION:
                raise invalid_state(f"{key.arn} is not pending deletion.")
            restored = PENDING_IMPORT if key.current_material_id is None else DISABLED
            key = dataclasses.replace(key, state=restored, deletion_date=None,
                                      pending_window_days=None)
            self.store.update_key(key)
            return {"KeyId": key.arn}

        return self._call(caller, "CancelKeyDeletion", {"keyId": key_id}, run)

    # -- policies ----------------------------------------------------------------------------

    def get_key_policy(self, caller: Caller, *, key_id: str,
                       policy_name: str = "default") -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            key = self._key(caller, key_id, note, allow_alias=False)
            _policy_name(policy_name)
            self._authorize(caller, key, "GetKeyPolicy")
            return {"Policy": key.policy, "PolicyName": "default"}

        return self._call(caller, "GetKeyPolicy", {"keyId": key_id, "policyName": policy_name},
                          run)

    def put_key_policy(self, caller: Caller, *, key_id: str, policy: str,
                       policy_name: str = "default",
                       bypass_policy_lockout_safety_check: bool = False) -> dict[str, Any]:
        params = {"keyId": key_id, "policyName": policy_name, "policy": policy,
                  "bypassPolicyLockoutSafetyCheck": bypass_policy_lockout_safety_check}

        def run(note: AuditNote) -> dict[str, Any]:
            key = self._key(caller, key_id, note, allow_alias=False)
            _policy_name(policy_name)
            self._customer_managed(key, "PutKeyPolicy")
            self._authorize(caller, key, "PutKeyPolicy")
            self._check_new_policy(policy, bypass_policy_lockout_safety_check)
            self.store.update_key(dataclasses.replace(key, policy=policy))
            return {}

        return self._call(caller, "PutKeyPolicy", params, run)

    def list_key_policies(self, caller: Caller, *, key_id: str, limit: int = 100,
                          marker: str | None = None) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            key = self._key(caller, key_id, note, allow_alias=False)
            self._authorize(caller, key, "ListKeyPolicies")
            return {"PolicyNames": ["default"], "Truncated": False}

        return self._call(caller, "ListKeyPolicies", {"keyId": key_id}, run)

    # -- tags ------------------------------------------------------------------------------

    def tag_resource(self, caller: Caller, *, key_id: str,
                     tags: list[dict[str, str]]) -> dict[str, Any]:
        new = _tags(tags)

        def change(key):  # type: ignore[no-untyped-def]
            merged = {**key.tags, **new}
            if len(merged) > MAX_TAGS:
                raise KmsError("LimitExceededException",
                               f"A key can have at most {MAX_TAGS} tags.")
            return dataclasses.replace(key, tags=merged)

        return self._admin(caller, "TagResource", key_id, {"keyId": key_id, "tags": tags},
                           change, customer_only=True)

    def untag_resource(self, caller: Caller, *, key_id: str,
                       tag_keys: list[str]) -> dict[str, Any]:
        return self._admin(caller, "UntagResource", key_id,
                           {"keyId": key_id, "tagKeys": tag_keys},
                           lambda key: dataclasses.replace(
                               key, tags={k: v for k, v in key.tags.items()
                                          if k not in tag_keys}),
                           customer_only=True)

    def list_resource_tags(self, caller: Caller, *, key_id: str, limit: int = 50,
                           marker: str | None = None) -> dict[str, Any]:
        def run(note: AuditNote) -> dict[str, Any]:
            key = self._key(caller, key_id, note, allow_alias=False)
            self._authorize(caller, key, "ListResourceTags")
            names = sorted(key.tags)
            start = names.index(marker) + 1 if marker in names else 0
            if marker is not None and marker not in names:
                raise KmsError("InvalidMarkerException", "Invalid marker.")
            page = names[start:start + limit]
            result: dict[str, Any] = {
                "Tags": [{"TagKey": k, "TagValue": key.tags[k]} for k in page],
                "Truncated": start + limit < len(names)}
            if result["Truncated"]:
                result["NextMarker"] = page[-1]
            return result

        return self._call(caller, "ListResourceTags", {"keyId": key_id}, run)

    def _check_new_policy(self, policy: str, bypass_lockout_check: bool) -> None:
        """A policy we can evaluate and that, unless the caller bypasses the check, still
        lets the account manage the key (AWS's lockout safety check)."""
        parsed = key_policy.parse(policy)
        if not bypass_lockout_check and not key_policy.admits_account(parsed, self.account_id):
            raise KmsError("MalformedPolicyDocumentException",
                           "The new key policy will not allow you to update the key policy "
                           "in the future.")

    # -- shared shape of the administrative calls --------------------------------------------

    def _admin(self, caller: Caller, operation: str, key_id: str, params: dict[str, Any],
               change, customer_only: bool = False) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        def run(note: AuditNote) -> dict[str, Any]:
            key = self._key(caller, key_id, note, allow_alias=False)
            if customer_only:
                self._customer_managed(key, operation)
            self._authorize(caller, key, operation)
            self._check_state(operation, key)
            self.store.update_key(change(key))
            return {}

        return self._call(caller, operation, params, run)


def _spec(key_spec: str | None, legacy: str | None) -> str:
    if key_spec and legacy and key_spec != legacy:
        raise validation("KeySpec and CustomerMasterKeySpec must not both be given with "
                         "different values.")
    return key_spec or legacy or "SYMMETRIC_DEFAULT"


def _tags(tags: list[dict[str, str]] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for tag in tags or []:
        name, value = tag["TagKey"], tag["TagValue"]
        if name.startswith("aws:"):
            raise KmsError("TagException", "Tag keys beginning with 'aws:' are reserved.")
        result[name] = value
    if len(result) > MAX_TAGS:
        raise KmsError("LimitExceededException", f"A key can have at most {MAX_TAGS} tags.")
    return result


def _policy_name(name: str) -> None:
    if name != "default":
        raise KmsError("NotFoundException", f"No such policy: {name}")
