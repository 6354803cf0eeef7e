"""Backups, restore and the health check (`crm-desktop backup / restore / doctor`).

The window takes a daily backup on start (`backup_if_due`); migrations take one before
they change the schema (persistence.database.migrate). All are rotated together, and only
good ones count. `RecoveryService` works without opening the database: `doctor` and
`restore` must work exactly when it is damaged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from crm_desktop.config import private_file
from crm_desktop.domain.errors import BackupError, CrmError
from crm_desktop.domain.maintenance import BackupInfo, Check, RestoreResult
from crm_desktop.persistence import backups as db
from crm_desktop.persistence import database, transfer
from crm_desktop.persistence.database import Database
from crm_desktop.persistence.engine import sqlite_url
from crm_desktop.persistence.sqlite_files import DataLock

__all__ = ["MaintenanceService", "RecoveryService", "expected_failure"]


DAILY = dt.timedelta(days=1)
_STATE_FILE = ".state.json"  # backup name -> the state of the data it holds
_ADVICE = "\x00advice"  # stands for what to do about damage until it is worked out


class RecoveryService:
    """What works on the data folder without opening the database (it may be damaged):
    the list of backups, `doctor` and `restore`. SQLite only."""

    def __init__(self, database: Path, backups: Path, keep: int) -> None:
        self.database, self._backups, self._keep = database, backups, keep

    def backup_list(self) -> list[BackupInfo]:
        """Good backups in the backups folder with their time, size and reason, newest
        first (empty files and copies of a damaged database are left out)."""
        found = [_info(path) for path in db.list_backups(self._backups)]
        return sorted(found, key=lambda b: b.taken_at, reverse=True)

    def newest_good_backup(self) -> BackupInfo | None:
        """The newest backup that passes the whole check a restore makes."""
        for info in self.backup_list():
            try:
                db.check_backup_file(info.path)
            except CrmError:
                continue
            return info
        return None

    def restore(self, source: Path, database: Database | None = None) -> RestoreResult:
        """Replace the data with a backup: the backup is checked whole first (intact, made
        by this app or an older one), then the current file is copied as it is (even when
        damaged) and replaced. Refused while another process has the data open. The data
        must be reopened afterwards: this install gets a new device id."""
        if database is not None:
            safety, device_id = db.restore_from(database, source, self._backups, self._keep)
        else:
            lock = DataLock(self.database)
            try:
                safety, device_id = db.restore_file(
                    self.database, source, self._backups, self._keep, lock
                )
            finally:
                lock.release()
        return RestoreResult(safety, device_id)

    def doctor(self) -> list[Check]:
        """Every check SQLite has (integrity, foreign keys, the search index's own check)
        and the app's (schema, change log, search coverage), on a file that may not open;
        each failure says what to do."""
        if not self.database.exists():
            return [Check("file", True, "no database yet: crm-desktop makes it when it starts")]
        checks = db.doctor_file(self.database, _ADVICE)
        if all(c.ok for c in checks):
            return checks
        advice = self._advice()  # checks the backups whole: only when it is needed
        return [replace(c, advice=c.advice.replace(_ADVICE, advice)) for c in checks]

    def _advice(self) -> str:
        newest = self.newest_good_backup()
        if newest is None:
            return (
                "no good backup was found: keep a copy of the data folder before trying "
                "anything else"
            )
        return f"restore the newest good backup: crm-desktop restore {newest.path}"


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
        self.recovery = (
            RecoveryService(database.path, backups, keep) if database.path is not None else None
        )

    def backup(self, target: Path | None = None, reason: str = "manual") -> Path:
        """A checked, consistent copy of the database: to `target` (compressed when its
        name ends in .gz), or compressed into the rotated backups folder. A server
        database is copied into a SQLite file that the app opens offline."""
        if self._db.path is None:
            return self._server_backup(target, reason)
        if target is not None:
            return db.backup_to(self._db.engine, target)
        state = db.data_state(self._db.engine)
        path = db.make_backup(self._db.engine, self._backups, reason, self._keep)
        self._remember(path, state)
        return path

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
        copy = database.open_database(sqlite_url(partial))
        try:
            transfer.copy_database(self._db.engine, copy.engine)
        except BaseException:
            copy.close()
            for leftover in (partial, *partial.parent.glob(partial.name + "-*")):
                leftover.unlink(missing_ok=True)
            raise
        copy.close()
        partial.replace(target)
        return target

    def move_to(
        self, url: str, progress: Callable[[str, int], None] | None = None
    ) -> transfer.TransferResult:
        """Copy this database, with its history, into an empty database at `url`
        (a PostgreSQL server), migrating it first; the counts are compared before the copy
        commits. This database is left as it is."""
        target = database.open_database(url)
        try:
            return transfer.copy_database(self._db.engine, target.engine, progress)
        finally:
            target.close()

    def backups(self) -> list[Path]:
        """Good backups in the backups folder, newest first."""
        return db.list_backups(self._backups)

    def backup_list(self) -> list[BackupInfo]:
        """Good backups with their time, size and reason, newest first."""
        found = [_info(path) for path in db.list_backups(self._backups)]
        return sorted(found, key=lambda b: b.taken_at, reverse=True)

    def backup_if_due(self, every: dt.timedelta = DAILY) -> Path | None:
        """Take a backup (reason "daily") when the newest good one is older than `every`
        and the data changed since it was taken, or there is none; returns its path, or
        None when none was needed or the database is a server's (backed up with the
        server's tools)."""
        if self._db.path is None or self._db.read_only:
            return None
        newest = self.backup_list()
        if newest and self._clock() - newest[0].taken_at < every:
            return None
        if newest and self._states().get(newest[0].path.name) == db.data_state(self._db.engine):
            return None  # nothing changed since: another copy would push a good one out
        return self.backup(reason="daily")

    def restore(self, source: Path) -> RestoreResult:
        """Replace the data with a backup (checked first; the current data is copied).
        The app context must be reopened afterwards: this install gets a new device id."""
        if self.recovery is None:
            raise BackupError("restore is for the local database only")
        return self.recovery.restore(source, self._db)

    def doctor(self) -> list[Check]:
        """Integrity, foreign keys, search index, schema and change log checks."""
        if self.recovery is not None:
            return self.recovery.doctor()
        return database.doctor(self._db.engine, self._db.device_id)

    def _states(self) -> dict[str, str]:
        try:
            raw = json.loads((self._backups / _STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}

    def _remember(self, backup: Path, state: str) -> None:
        kept = {p.name for p in db.list_backups(self._backups)}
        states = {k: v for k, v in self._states().items() if k in kept}
        states[backup.name] = state
        target = self._backups / _STATE_FILE
        with contextlib.suppress(OSError):  # only an optimisation: a backup too many
            tmp = target.with_name(_STATE_FILE + ".tmp")
            tmp.unlink(missing_ok=True)
            with private_file(tmp) as handle:
                handle.write(json.dumps(states, indent=1).encode("utf-8"))
            os.replace(tmp, target)


def _info(path: Path) -> BackupInfo:
    stat = path.stat()
    # crm-YYYYmmdd-HHMMSS-ffffff-reason.sqlite(.gz), as persistence.database names them
    stem = path.name.removesuffix(".gz").removesuffix(".sqlite")
    parts = stem.removeprefix("crm-").split("-", 3)
    try:
        taken = dt.datetime.strptime("-".join(parts[:3]), "%Y%m%d-%H%M%S-%f")
        reason = parts[3] if len(parts) > 3 else ""
    except ValueError:
        taken, reason = dt.datetime.fromtimestamp(stat.st_mtime), ""
    return BackupInfo(path, taken, stat.st_size, reason)


def expected_failure(exc: BaseException) -> CrmError | None:
    """An exception from deep down (the database locked past its timeout, a full disk, a
    read-only folder, a damaged file) as the error a person can act on; None for a bug."""
    return database.translate_error(exc)
