"""SQLite only: the backups folder. Backups are checked `VACUUM INTO` copies, compressed,
named `crm-<local time>-<reason>.sqlite.gz`; only good ones are listed and counted when
rotating. Restore checks a backup whole, then replaces the live file by file operations
(`sqlite_files`): it works when the live file is damaged or will not open.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text

from crm_desktop.domain.errors import BackupError
from crm_desktop.domain.maintenance import Check
from crm_desktop.persistence import sqlite_files
from crm_desktop.persistence.database import (
    DEVICE_KEY,
    Database,
    current_revision,
    known_revision,
)
from crm_desktop.persistence.engine import is_sqlite
from crm_desktop.persistence.revision import HEAD_REVISION
from crm_desktop.persistence.sqlite_files import DataLock

_BACKUP_GLOBS = ("crm-*.sqlite", "crm-*.sqlite.gz")
DAMAGED = "damaged"  # the reason of a copy of a damaged file kept by a restore
DAMAGED_KEPT = 2


def backup_name(reason: str) -> str:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return f"crm-{stamp}-{reason}{sqlite_files.COMPRESSED_SUFFIX}"


def _vacuum_into(engine: Engine) -> Callable[[Path], None]:
    def run(target: Path) -> None:
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("VACUUM INTO ?", (str(target),))  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise sqlite_files.sqlite_error(exc, f"backup to {target} failed") from exc
        finally:
            raw.close()

    return run


def backup_to(engine: Engine, target: Path, compressed: bool | None = None) -> Path:
    """A consistent, checked copy of the live database at `target` (VACUUM INTO, then
    quick_check, then renamed into place). Compressed (gzip) when the name ends in .gz
    or `compressed` says so."""
    if not is_sqlite(engine):
        raise BackupError("backups of a server database are made with the server's tools")
    target = target.expanduser().resolve()
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    if compressed is None:
        compressed = target.name.endswith(".gz")
    return sqlite_files.write_backup(_vacuum_into(engine), target, compressed)


def make_backup(engine: Engine, backups: Path, reason: str, keep: int) -> Path:
    """A compressed backup in the backups folder, keeping only the `keep` newest good."""
    path = backup_to(engine, backups / backup_name(reason), compressed=True)
    rotate_backups(backups, keep)
    return path


def list_backups(backups: Path, good_only: bool = True) -> list[Path]:
    """Backups in the folder, newest first: only good ones (not empty, a backup's first
    bytes, not the copy of a damaged file) unless `good_only` is False."""
    if not backups.exists():
        return []
    found = {p for pattern in _BACKUP_GLOBS for p in backups.glob(pattern)}
    if good_only:
        found = {p for p in found if not _is_damaged(p) and sqlite_files.is_good_backup(p)}
    return sorted(found, key=lambda p: p.name, reverse=True)


def _is_damaged(path: Path) -> bool:
    return path.name.removesuffix(".gz").removesuffix(".sqlite").endswith(f"-{DAMAGED}")


def rotate_backups(backups: Path, keep: int) -> list[Path]:
    """Keep the `keep` newest good backups (and the newest copies of a damaged file);
    remove older ones, and files that are no backup at all (empty, cut short)."""
    every = list_backups(backups, good_only=False)
    good = [p for p in every if not _is_damaged(p) and sqlite_files.is_good_backup(p)]
    damaged = [p for p in every if _is_damaged(p)]
    removed = good[max(keep, 1) :] + damaged[DAMAGED_KEPT:]
    removed += [p for p in every if p not in good and p not in damaged]
    for old in removed:
        old.unlink(missing_ok=True)
        sqlite_files.wal_of(old).unlink(missing_ok=True)
    return removed


def check_revision(revision: str, source: Path) -> None:
    """Refuse a backup whose schema this app does not know (made by a newer version)."""
    if not known_revision(revision):
        raise BackupError(
            f"{source} was made by a newer crm-desktop (schema {revision}); update the app to "
            "restore it. Nothing was changed."
        )


def check_backup_file(path: Path) -> sqlite_files.BackupContents:
    """Raise BackupError unless `path` is an intact crm-desktop backup this app can open."""
    path = path.expanduser().resolve()
    with sqlite_files.unpacked(path, path.parent) as plain:
        contents = sqlite_files.inspect_backup(plain, path)
    check_revision(contents.revision, path)
    return contents


def restore_file(
    live: Path, source: Path, backups: Path, keep: int, lock: DataLock
) -> tuple[Path | None, str]:
    """Replace the live file with a checked backup (the live data is copied first, as it
    is, even when damaged). Returns the copy's path (None if there was no data) and the
    new device id of this install. `lock` must not be held by another process."""
    source = source.expanduser().resolve()
    device_id = str(uuid.uuid4())
    safety, _contents = sqlite_files.restore_file(
        live, source, backups, backup_name, check_revision, lock, DEVICE_KEY, device_id
    )
    rotate_backups(backups, keep + 1)
    return safety, device_id


def restore_from(
    database: Database, source: Path, backups: Path, keep: int
) -> tuple[Path | None, str]:
    """Restore into an open database: its connections are closed first; the caller must
    reopen the data afterwards."""
    if not is_sqlite(database.engine) or database.path is None:
        raise BackupError("restore is for the local database only")
    database.engine.dispose()
    lock = database.lock or DataLock(database.path)
    try:
        return restore_file(database.path, source, backups, keep, lock)
    finally:
        if database.lock is None:
            lock.release()
        else:  # back to shared: this process still has the (old) data open until it reopens
            lock.shared()


def revision_words(revision: str | None) -> tuple[bool, str]:
    if revision == HEAD_REVISION:
        return True, f"revision {revision} (this app's)"
    if known_revision(revision):
        return True, f"revision {revision}: updated to {HEAD_REVISION} when crm-desktop opens it"
    return False, f"revision {revision} was made by a newer crm-desktop"


def doctor_file(path: Path, advice: str) -> list[Check]:
    """Every check on a database file that may not open (SQLite only)."""
    return sqlite_files.doctor_file(path, revision_words, advice)


def data_state(engine: Engine) -> str:
    """A token that changes whenever the data does: every write to a synced table adds
    change rows (persistence.changes), so their count and newest row say it."""
    with engine.connect() as conn:
        # SQLite only (rowid): the compact log's table, whose rowid `change` (a view) lacks
        count, top = conn.execute(text("SELECT count(*), max(rowid) FROM change_log")).one()
    return f"{current_revision(engine)}:{count}:{top}"
