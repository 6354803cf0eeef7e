"""Backups, restore and the health check (`crm-desktop backup / restore / doctor`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crm_desktop.persistence import database as db
from crm_desktop.persistence.database import Check, Database


@dataclass(frozen=True)
class RestoreResult:
    safety_backup: Path
    device_id: str


class MaintenanceService:
    def __init__(self, database: Database, backups: Path, keep: int) -> None:
        self._db = database
        self._backups = backups
        self._keep = keep

    def backup(self, target: Path | None = None, reason: str = "manual") -> Path:
        """A consistent copy of the database: to `target`, or into the rotated backups
        folder when no target is given."""
        if target is not None:
            return db.backup_to(self._db.engine, target)
        return db.make_backup(self._db.engine, self._backups, reason, self._keep)

    def backups(self) -> list[Path]:
        """Backups in the backups folder, newest first."""
        return db.list_backups(self._backups)

    def restore(self, source: Path) -> RestoreResult:
        """Replace the data with a backup (checked first; the current data is backed up).
        The app context must be reopened afterwards: this install gets a new device id."""
        safety, device_id = db.restore_from(self._db.engine, source, self._backups, self._keep)
        return RestoreResult(safety, device_id)

    def doctor(self) -> list[Check]:
        """Integrity, schema, change log and search index checks."""
        return db.doctor(self._db.engine, self._db.device_id)
