"""Backups, restore and the health check (`crm-desktop backup / restore / doctor`).

The window takes a daily backup on start (`backup_if_due`); migrations take one before
they change the schema (persistence.database.migrate). All are rotated together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crm_desktop.domain.errors import BackupError
from crm_desktop.persistence import database as db
from crm_desktop.persistence import transfer
from crm_desktop.persistence.database import Check, Database
from crm_desktop.persistence.engine import sqlite_url


@dataclass(frozen=True)
class RestoreResult:
    safety_backup: Path
    device_id: str


@dataclass(frozen=True)
class BackupInfo:
    """One backup in the backups folder, as the Restore dialog lists it."""

    path: Path
    taken_at: dt.datetime  # local time, from the file name (or its modification time)
    size: int  # bytes
    reason: str  # manual, daily, pre-migration, before-restore...


DAILY = dt.timedelta(days=1)


class MaintenanceService:
    def __init__(
        self,
        database: Database,
        backups: Path,
        keep: int,
        clock: Callable[[], dt.datetime] = dt.datetime.now,
    ) -> None:
        self._db = database
        self._backups = backups
        self._keep = keep
        self._clock = clock  # local, naive: backup names carry local time

    def backup(self, target: Path | None = None, reason: str = "manual") -> Path:
        """A consistent copy of the database: to `target`, or into the rotated backups
        folder when no target is given."""
        if self._db.path is None:
            return self._server_backup(target, reason)
        if target is not None:
            return db.backup_to(self._db.engine, target)
        return db.make_backup(self._db.engine, self._backups, reason, self._keep)

    def _server_backup(self, target: Path | None, reason: str) -> Path:
        """A server database copied into a new SQLite file, which the app opens offline
        (`crm-desktop --data-dir FOLDER` with the file as FOLDER/crm.sqlite)."""
        if target is None:
            self._backups.mkdir(parents=True, exist_ok=True)
            stamp = self._clock().strftime("%Y%m%d-%H%M%S-%f")
            target = self._backups / f"crm-{stamp}-{reason}.sqlite"
        target = target.expanduser().resolve()
        if target.exists():
            raise BackupError(f"{target} already exists; choose a new file name")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        copy = db.open_database(sqlite_url(partial))
        try:
            transfer.copy_database(self._db.engine, copy.engine)
        except BaseException:
            copy.engine.dispose()
            for leftover in (partial, *partial.parent.glob(partial.name + "-*")):
                leftover.unlink(missing_ok=True)
            raise
        copy.engine.dispose()
        partial.replace(target)
        return target

    def move_to(
        self, url: str, progress: Callable[[str, int], None] | None = None
    ) -> transfer.TransferResult:
        """Copy this database, with its history, into an empty database at `url`
        (a PostgreSQL server), migrating it first; the counts are compared before the copy
        commits. This database is left as it is."""
        target = db.open_database(url)
        try:
            return transfer.copy_database(self._db.engine, target.engine, progress)
        finally:
            target.engine.dispose()

    def backups(self) -> list[Path]:
        """Backups in the backups folder, newest first."""
        return db.list_backups(self._backups)

    def backup_list(self) -> list[BackupInfo]:
        """Backups in the backups folder with their time, size and reason, newest first."""
        found = [_info(path) for path in db.list_backups(self._backups)]
        return sorted(found, key=lambda b: b.taken_at, reverse=True)

    def backup_if_due(self, every: dt.timedelta = DAILY) -> Path | None:
        """Take a backup (reason "daily") when the newest one is older than `every`, or there
        is none; returns its path, or None when a recent one exists or the database is a
        server's (backed up with the server's tools)."""
        if self._db.path is None:
            return None
        newest = self.backup_list()
        if newest and self._clock() - newest[0].taken_at < every:
            return None
        return self.backup(reason="daily")

    def restore(self, source: Path) -> RestoreResult:
        """Replace the data with a backup (checked first; the current data is backed up).
        The app context must be reopened afterwards: this install gets a new device id."""
        safety, device_id = db.restore_from(self._db.engine, source, self._backups, self._keep)
        return RestoreResult(safety, device_id)

    def doctor(self) -> list[Check]:
        """Integrity, schema, change log and search index checks."""
        return db.doctor(self._db.engine, self._db.device_id)


def _info(path: Path) -> BackupInfo:
    stat = path.stat()
    # crm-YYYYmmdd-HHMMSS-ffffff-reason.sqlite, as persistence.database names them
    parts = path.stem.removeprefix("crm-").split("-", 3)
    try:
        taken = dt.datetime.strptime("-".join(parts[:3]), "%Y%m%d-%H%M%S-%f")
        reason = parts[3] if len(parts) > 3 else ""
    except ValueError:
        taken, reason = dt.datetime.fromtimestamp(stat.st_mtime), ""
    return BackupInfo(path, taken, stat.st_size, reason)
