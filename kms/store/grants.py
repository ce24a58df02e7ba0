"""Grants, and the import parameters of EXTERNAL keys. Grants page in grant-id order, so a
marker stays valid even if the grant it names is revoked between pages."""

from __future__ import annotations

from kms.store import rows
from kms.store.database import Database, check_limit
from kms.store.records import GrantRecord, ImportParamsRecord

_SELECT_GRANT = f"SELECT {rows.GRANT_COLUMNS} FROM grants"


class GrantsMixin(Database):
    # -- grants ------------------------------------------------------------------------------

    def create_grant(self, grant: GrantRecord) -> None:
        """AlreadyExists if the grant id or token is taken; NotFound if the key is missing."""
        with self.transaction(), self._integrity("grant", grant.grant_id, "key", grant.key_id):
            self.conn.execute(
                f"INSERT INTO grants ({rows.GRANT_COLUMNS})"
                f" VALUES ({rows.placeholders(rows.GRANT_COLUMNS)})", rows.grant_to_row(grant))

    def get_grant(self, grant_id: str) -> GrantRecord | None:
        row = self._row(f"{_SELECT_GRANT} WHERE grant_id = ?", (grant_id,))
        return rows.grant_from_row(row) if row else None

    def find_grants_by_name(self, key_id: str, name: str) -> list[GrantRecord]:
        """Grants on a key with this Name (CreateGrant's idempotency check)."""
        sql = f"{_SELECT_GRANT} WHERE key_id = ? AND name = ? ORDER BY created, grant_id"
        return [rows.grant_from_row(row) for row in self._rows(sql, (key_id, name))]

    def list_grants(self, key_id: str, after: str | None = None, limit: int | None = 100,
                    grant_id: str | None = None,
                    grantee_principal: str | None = None) -> list[GrantRecord]:
        """A key's grants in grant-id order, ids > `after`, optionally filtered."""
        sql = f"{_SELECT_GRANT} WHERE key_id = ?"
        args: list[object] = [key_id]
        for column, value in (("grant_id", grant_id), ("grantee_principal", grantee_principal)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        if after is not None:
            sql += " AND grant_id > ?"
            args.append(after)
        sql += " ORDER BY grant_id LIMIT ?"
        args.append(check_limit(limit))
        return [rows.grant_from_row(row) for row in self._rows(sql, args)]

    def list_retirable_grants(self, retiring_principal: str, after: str | None = None,
                              limit: int | None = 100) -> list[GrantRecord]:
        """Grants on any key whose retiring principal is `retiring_principal`."""
        sql = f"{_SELECT_GRANT} WHERE retiring_principal = ?"
        args: list[object] = [retiring_principal]
        if after is not None:
            sql += " AND grant_id > ?"
            args.append(after)
        sql += " ORDER BY grant_id LIMIT ?"
        args.append(check_limit(limit))
        return [rows.grant_from_row(row) for row in self._rows(sql, args)]

    def count_grants(self, key_id: str) -> int:
        row = self._row("SELECT count(*) FROM grants WHERE key_id = ?", (key_id,))
        return int(row[0]) if row else 0

    def delete_grant(self, grant_id: str) -> bool:
        return self._write("DELETE FROM grants WHERE grant_id = ?", (grant_id,)) > 0

    # -- import parameters -------------------------------------------------------------------

    def put_import_params(self, params: ImportParamsRecord) -> None:
        """Store a key's import parameters, replacing earlier ones; NotFound if no key."""
        with self.transaction(), self._integrity("import params", params.key_id, "key",
                                                 params.key_id):
            self.conn.execute(
                f"INSERT OR REPLACE INTO import_params ({rows.IMPORT_COLUMNS})"
                f" VALUES ({rows.placeholders(rows.IMPORT_COLUMNS)})",
                rows.import_to_row(params))

    def get_import_params(self, key_id: str) -> ImportParamsRecord | None:
        row = self._row(f"SELECT {rows.IMPORT_COLUMNS} FROM import_params WHERE key_id = ?",
                        (key_id,))
        return rows.import_from_row(row) if row else None

