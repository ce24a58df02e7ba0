"""Where the KMS keeps its files inside the data directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KmsPaths:
    """`data_dir/kms/` holds the key database, the root key and the audit ledger."""

    dir: Path
    db: Path
    root_key: Path
    audit: Path

    @staticmethod
    def of(data_dir: Path) -> KmsPaths:
        base = Path(data_dir) / "kms"
        return KmsPaths(dir=base, db=base / "kms.db", root_key=base / "root.key",
                        audit=base / "audit.jsonl")

    def ensure_dir(self) -> Path:
        """Create `data_dir/kms/` (mode 0700) if needed."""
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.dir
