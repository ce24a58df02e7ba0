"""Aliases. The database enforces one alias per ARN (account, region, name) and that the
target key exists; every other alias rule (reserved names, same key type on update,
pending-deletion targets, the per-key quota) is the service's."""

from __future__ import annotations

from kms.store import rows
from kms.store.database import Database, check_limit
from kms.store.errors import NotFound
from kms.store.records import AliasRecord

_SELECT_ALIAS = f"SELECT {rows.ALIAS_COLUMNS} FROM aliases"


class AliasesMixin(Database):
    def create_alias(self, alias: AliasRecord) -> None:
        """AlreadyExists if the alias ARN is taken; NotFound if the target key is missing."""
        with self.transaction(), self._integrity("alias", alias.arn, "key",
                                                 alias.target_key_id):
            self.conn.execute(
                "INSERT INTO aliases (arn, name, account, region, target_key_id, created,"
                " updated) VALUES (?, ?, ?, ?, ?, ?, ?)", rows.alias_to_row(alias))

    def update_alias_target(self, arn: str, target_key_id: str, updated: float) -> None:
        """Point an alias at another key; NotFound (kind "alias" or "key") if either is
        missing."""
        with self.transaction(), self._integrity("alias", arn, "key", target_key_id):
            changed = self.conn.execute(
                "UPDATE aliases SET target_key_id = ?, updated = ? WHERE arn = ?",
                (target_key_id, updated, arn)).rowcount
            if changed == 0:
                raise NotFound("alias", arn)

    def delete_alias(self, arn: str) -> bool:
        return self._write("DELETE FROM aliases WHERE arn = ?", (arn,)) > 0

    def get_alias(self, arn: str) -> AliasRecord | None:
        row = self._row(f"{_SELECT_ALIAS} WHERE arn = ?", (arn,))
        return rows.alias_from_row(row) if row else None

    def list_aliases_by_account(self, account: str, region: str | None = None,
                                after: str | None = None,
                                limit: int | None = 100) -> list[AliasRecord]:
        """An account's aliases (in one region, or all) in name order, names > `after`."""
        sql = f"{_SELECT_ALIAS} WHERE account = ?"
        args: list[object] = [account]
        if region is not None:
            sql += " AND region = ?"
            args.append(region)
        if after is not None:
            sql += " AND name > ?"
            args.append(after)
        sql += " ORDER BY name, region LIMIT ?"
        args.append(check_limit(limit))
        return [rows.alias_from_row(row) for row in self._rows(sql, args)]

    def list_aliases_for_key(self, key_id: str, after: str | None = None,
                             limit: int | None = None) -> list[AliasRecord]:
        """The aliases pointing at a key, in name order, names > `after`."""
        sql = f"{_SELECT_ALIAS} WHERE target_key_id = ?"
        args: list[object] = [key_id]
        if after is not None:
            sql += " AND name > ?"
            args.append(after)
        sql += " ORDER BY name LIMIT ?"
        args.append(check_limit(limit))
        return [rows.alias_from_row(row) for row in self._rows(sql, args)]
