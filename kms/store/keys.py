"""Keys and their key material."""

from __future__ import annotations

import dataclasses

from kms.store import rows
from kms.store.database import Database, check_limit
from kms.store.errors import InvalidMarker, NotFound
from kms.store.records import KeyRecord, MaterialRecord

_SELECT_KEY = f"SELECT {rows.KEY_COLUMNS} FROM keys"
_SELECT_MATERIAL = f"SELECT {rows.MATERIAL_COLUMNS} FROM materials"


class KeysMixin(Database):
    # -- keys --------------------------------------------------------------------------------

    def create_key(self, key: KeyRecord,
                   first_material: MaterialRecord | None = None) -> KeyRecord:
        """Insert a key and (optionally) its first material, which becomes current. Returns
        the record as stored. AlreadyExists if the key id or ARN is taken."""
        if first_material is not None:
            if first_material.key_id != key.key_id:
                raise ValueError("first material belongs to another key")
            if key.current_material_id not in (None, first_material.material_id):
                raise ValueError("current_material_id does not name the first material")
            key = dataclasses.replace(key, current_material_id=first_material.material_id)
        with self.transaction(), self._integrity("key", key.key_id):
            self.conn.execute(
                f"INSERT INTO keys ({rows.KEY_COLUMNS})"
                f" VALUES ({rows.placeholders(rows.KEY_COLUMNS)})", rows.key_to_row(key))
            if first_material is not None:
                self._insert_material(first_material)
        return key

    def get_key(self, key_id: str) -> KeyRecord | None:
        row = self._row(f"{_SELECT_KEY} WHERE key_id = ?", (key_id,))
        return rows.key_from_row(row) if row else None

    def list_keys(self, after: str | None = None, limit: int | None = 100,
                  account: str | None = None, region: str | None = None) -> list[KeyRecord]:
        """Keys in creation order (then key id), after the key `after` (the last key id of
        the previous page). Ask for limit+1 to learn whether there are more. InvalidMarker
        if `after` names no key."""
        where: list[str] = []
        args: list[object] = []
        with self._lock:
            if after is not None:
                marker = self._row("SELECT created FROM keys WHERE key_id = ?", (after,))
                if marker is None:
                    raise InvalidMarker(after)
                where.append("(created > ? OR (created = ? AND key_id > ?))")
                args += [marker[0], marker[0], after]
            if account is not None:
                where.append("account = ?")
                args.append(account)
            if region is not None:
                where.append("region = ?")
                args.append(region)
            sql = _SELECT_KEY + (" WHERE " + " AND ".join(where) if where else "")
            sql += " ORDER BY created, key_id LIMIT ?"
            args.append(check_limit(limit))
            return [rows.key_from_row(row) for row in self._rows(sql, args)]

    def update_key(self, key: KeyRecord) -> None:
        """Replace the whole row of an existing key; NotFound if there is none."""
        columns = rows.KEY_COLUMNS.replace(" ", "").split(",")
        assignments = ", ".join(f"{column} = ?" for column in columns[1:])
        values = rows.key_to_row(key)
        with self.transaction(), self._integrity("key", key.key_id):
            changed = self.conn.execute(
                f"UPDATE keys SET {assignments} WHERE key_id = ?", (*values[1:], values[0]),
            ).rowcount
            if changed == 0:
                raise NotFound("key", key.key_id)

    def delete_key(self, key_id: str) -> bool:
        """Delete a key with everything that belongs to it: material, aliases pointing at
        it, grants, import parameters. False if there was no such key."""
        with self.transaction():
            for table in ("grants", "materials", "import_params"):
                self.conn.execute(f"DELETE FROM {table} WHERE key_id = ?", (key_id,))
            self.conn.execute("DELETE FROM aliases WHERE target_key_id = ?", (key_id,))
            return self.conn.execute("DELETE FROM keys WHERE key_id = ?", (key_id,)).rowcount > 0

    def keys_due(self, now: float) -> list[KeyRecord]:
        """Keys with scheduled work at `now`: deletion_date, next_rotation or valid_to has
        passed. The store does not look at the state: the service decides what is due, and
        must clear the field it has acted on (or the key keeps coming back)."""
        sql = (f"{_SELECT_KEY} WHERE key_id IN ("
               " SELECT key_id FROM keys WHERE deletion_date <= ?"
               " UNION SELECT key_id FROM keys WHERE next_rotation <= ?"
               " UNION SELECT key_id FROM keys WHERE valid_to <= ?)"
               " ORDER BY created, key_id")
        return [rows.key_from_row(row) for row in self._rows(sql, (now, now, now))]

    # -- key material ------------------------------------------------------------------------

    def add_material(self, material: MaterialRecord, make_current: bool = False) -> None:
        """Add a material version to a key (NotFound if no key; AlreadyExists if the
        material id is taken) and, if asked, make it the key's current material."""
        with self.transaction():
            self._insert_material(material)
            if make_current:
                self.conn.execute("UPDATE keys SET current_material_id = ? WHERE key_id = ?",
                                  (material.material_id, material.key_id))

    def update_material(self, material: MaterialRecord) -> None:
        """Replace a material row (e.g. wrapped=None after DeleteImportedKeyMaterial when
        the id should be remembered); NotFound if there is none."""
        values = rows.material_to_row(material)
        changed = self._write(
            "UPDATE materials SET wrapped = ?, created = ?, kind = ?, rotation_type = ?,"
            " public_der = ?, extra = ? WHERE key_id = ? AND material_id = ?",
            (*values[2:], values[0], values[1]))
        if changed == 0:
            raise NotFound("material", material.material_id)

    def get_material(self, key_id: str, material_id: str) -> MaterialRecord | None:
        row = self._row(f"{_SELECT_MATERIAL} WHERE key_id = ? AND material_id = ?",
                        (key_id, material_id))
        return rows.material_from_row(row) if row else None

    def list_materials(self, key_id: str) -> list[MaterialRecord]:
        """All material versions of a key, oldest first."""
        sql = f"{_SELECT_MATERIAL} WHERE key_id = ? ORDER BY created, rowid"
        return [rows.material_from_row(row) for row in self._rows(sql, (key_id,))]

    def delete_materials(self, key_id: str, material_id: str | None = None) -> int:
        """Delete one material version, or all of a key's; returns how many went. The key's
        current_material_id is left as it is (the service decides what it means now)."""
        if material_id is None:
            return self._write("DELETE FROM materials WHERE key_id = ?", (key_id,))
        return self._write("DELETE FROM materials WHERE key_id = ? AND material_id = ?",
                           (key_id, material_id))

    def _insert_material(self, material: MaterialRecord) -> None:
        with self._integrity("material", material.material_id, "key", material.key_id):
            self.conn.execute(
                f"INSERT INTO materials ({rows.MATERIAL_COLUMNS})"
                f" VALUES ({rows.placeholders(rows.MATERIAL_COLUMNS)})",
                rows.material_to_row(material))
