"""SQLite only: the database as a file on disk.

Backups are written whole: `VACUUM INTO` a hidden temporary name, checked there, compressed
with gzip, then renamed into place, so a backup in the folder is never empty or half
written. A restore checks the backup first, then works by plain file operations, never
through the live file's SQLite connection: it works when the live file is damaged or will
not open. `doctor_file` runs every check SQLite has on any file. `DataLock` tells whether
another process has the data open.

PostgreSQL has none of this: its backups are the server's.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import os
import shutil
import sqlite3
import struct
import sys
import weakref
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from crm_desktop.config import make_private_dir, private_file
from crm_desktop.domain.errors import (
    BackupError,
    CrmError,
    DatabaseBusyError,
    DiskFullError,
    ReadOnlyError,
)
from crm_desktop.domain.maintenance import Check
from crm_desktop.persistence.space import describe, sqlite_space

SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
COMPRESSED_SUFFIX = ".sqlite.gz"
PLAIN_SUFFIX = ".sqlite"
GZIP_LEVEL = 1  # 200 MB database: 3 s to 47 MB (level 6: 14 s to 41 MB)
_CHUNK = 1 << 20
APP_TABLES = {"alembic_version", "contacts", "change"}


# ---- the lock: who has the data open ---------------------------------------------------------


class DataLock:
    """An advisory lock on `<database>.lock`: every process with the data open holds it
    shared; a restore needs it exclusively. POSIX `flock` (released by the system when a
    process dies, so a crash never leaves it held). On Windows the lock is not taken:
    there the open database file itself cannot be replaced by another process."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None
        self._finalizer: weakref.finalize[[int], DataLock] | None = None

    def _open(self) -> int | None:
        if sys.platform == "win32":  # pragma: no cover - see the class docstring
            return None
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            # A context left unclosed (a test, a crash) lets go of its lock when collected.
            self._finalizer = weakref.finalize(self, os.close, self._fd)
        return self._fd

    def _flock(self, exclusive: bool) -> bool:
        fd = self._open()
        if fd is None:  # pragma: no cover - Windows
            return True
        import fcntl

        flags = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        try:
            fcntl.flock(fd, flags)
        except BlockingIOError:
            return False
        return True

    def shared(self) -> None:
        """Hold the lock shared (the data is open); refuses while a restore runs."""
        try:
            ok = self._flock(exclusive=False)
        except OSError:  # a read-only folder: no lock file, nothing can restore here either
            return
        if not ok:
            raise DatabaseBusyError(
                "the data is being restored from a backup by another crm-desktop; "
                "try again when it has finished"
            )

    def exclusive(self) -> bool:
        """Try to hold the lock alone (no other process has the data open)."""
        if self._flock(exclusive=True):
            return True
        with contextlib.suppress(OSError):  # converting may have dropped our shared lock
            self._flock(exclusive=False)
        return False

    def release(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # closing the file lets go of the lock
        self._fd = self._finalizer = None


# ---- writing files whole ---------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover - directories cannot be opened there
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _hidden(target: Path, what: str) -> Path:
    """A temporary name beside `target` that no listing of backups picks up."""
    return target.with_name(f".{target.name}.{what}")


def os_error(exc: OSError, what: str) -> CrmError:
    """An OSError as the one-line error a person can act on."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(f"{what}: the disk is full; free some space and try again")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ReadOnlyError(f"{what}: the folder is read-only ({exc.filename or ''})")
    return BackupError(f"{what}: {exc.strerror or exc}")


def sqlite_error(exc: sqlite3.Error, what: str) -> CrmError:
    text = str(exc)
    if "disk is full" in text or "SQLITE_FULL" in text:
        return DiskFullError(f"{what}: the disk is full; free some space and try again")
    if "readonly" in text or "read-only" in text:
        return ReadOnlyError(f"{what}: the folder is read-only")
    if "locked" in text or "busy" in text:
        return DatabaseBusyError(f"{what}: another program is writing the database")
    return BackupError(f"{what}: {text}")


def compress(source: Path, target: Path) -> None:
    """gzip `source` into `target` (created private; not yet fsynced)."""
    with source.open("rb") as src, private_file(target) as raw:
        with gzip.GzipFile(
            filename="crm.sqlite", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL
        ) as gz:
            shutil.copyfileobj(src, gz, _CHUNK)
        raw.flush()
        os.fsync(raw.fileno())


def _place(partial: Path, target: Path) -> None:
    os.replace(partial, target)
    _fsync_dir(target.parent)


def write_backup(
    vacuum_into: Callable[[Path], None], target: Path, compressed: bool = True
) -> Path:
    """A checked copy of the database at `target`: `vacuum_into(path)` writes the copy to a
    hidden name, which is checked (quick_check), compressed when asked, then renamed.
    Nothing is left under `target` unless the whole copy is good."""
    make_private_dir(target.parent)
    plain, partial = _hidden(target, "vacuum"), _hidden(target, "partial")
    for leftover in (plain, partial):
        leftover.unlink(missing_ok=True)
    try:
        with private_file(plain):
            pass  # VACUUM INTO fills an empty file; made first so it is private from birth
        vacuum_into(plain)
        problems = check_file(plain, full=False)
        if problems:
            raise BackupError(f"the backup copy did not pass SQLite's check: {problems[0]}")
        if compressed:
            compress(plain, partial)
        else:
            os.replace(plain, partial)
            with partial.open("rb+") as handle:
                os.fsync(handle.fileno())
        _place(partial, target)
    except OSError as exc:
        raise os_error(exc, f"backup to {target} failed") from exc
    except sqlite3.Error as exc:
        raise sqlite_error(exc, f"backup to {target} failed") from exc
    finally:
        plain.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return target


# ---- looking at files ------------------------------------------------------------------------


def file_kind(path: Path) -> str:
    """ "missing", "empty", "gzip", "sqlite" or "other", by the first bytes."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "other"
    if not head:
        return "empty"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    return "sqlite" if head == SQLITE_MAGIC else "other"


def is_good_backup(path: Path) -> bool:
    """Cheap: a backup that is not empty and starts as a backup should (the full check is
    made before it is written and again before a restore)."""
    return file_kind(path) in ("gzip", "sqlite")


def _connect_ro(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
    conn.execute("PRAGMA query_only=1")
    return conn


def check_file(path: Path, full: bool = True) -> list[str]:
    """SQLite's own check of a plain database file (integrity_check, or quick_check):
    the problems found, or [] for a good file."""
    try:
        conn = _connect_ro(path)
        try:
            pragma = "integrity_check(20)" if full else "quick_check(20)"
            rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def header_problem(path: Path) -> str | None:
    """What is wrong with a database file before SQLite even opens it, in plain words."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        return f"the file cannot be read ({exc.strerror})"
    if size == 0:
        return "the database file is empty (0 bytes)"
    if not header.startswith(SQLITE_MAGIC):
        return "the file does not start as an SQLite database does (its header is damaged)"
    if len(header) < 100:
        return f"the file is cut short ({size} bytes)"
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return "the database header is damaged (its page size is not valid)"
    pages, counter, valid_for = struct.unpack(">I", header[28:32])[0], header[24:28], header[92:96]
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:  # pages may still be in the WAL
        return None
    if size % page_size:
        return f"the file is cut short in the middle of a page ({size:,} bytes)"
    if pages and counter == valid_for and size < pages * page_size:
        return f"the file is cut short: {size:,} of {pages * page_size:,} bytes"
    return None


@contextlib.contextmanager
def unpacked(source: Path, work_dir: Path) -> Iterator[Path]:
    """A private plain copy of a backup (compressed or not) in `work_dir`, deleted after."""
    kind = file_kind(source)
    if kind == "missing" or not source.is_file():
        raise BackupError(f"no such backup file: {source}")
    if kind == "empty":
        raise BackupError(f"{source} is not a readable crm-desktop backup: it is empty")
    if kind == "other":
        raise BackupError(f"{source} is not a readable crm-desktop backup (not an SQLite file)")
    make_private_dir(work_dir)
    copy = work_dir / f".{source.name}.restoring"
    copy.unlink(missing_ok=True)
    try:
        with private_file(copy) as out:
            if kind == "gzip":
                try:
                    with gzip.open(source, "rb") as src:
                        shutil.copyfileobj(src, out, _CHUNK)
                except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
                    raise BackupError(
                        f"{source} is not a readable crm-desktop backup: the compressed "
                        "file is cut short or damaged"
                    ) from exc
            else:
                with source.open("rb") as src:
                    shutil.copyfileobj(src, out, _CHUNK)
            out.flush()
            os.fsync(out.fileno())
        yield copy
    except OSError as exc:
        raise os_error(exc, f"reading the backup {source} failed") from exc
    finally:
        copy.unlink(missing_ok=True)
        for side in ("-wal", "-shm", "-journal"):
            copy.with_name(copy.name + side).unlink(missing_ok=True)


@dataclass(frozen=True)
class BackupContents:
    revision: str
    contacts: int


def inspect_backup(path: Path, shown: Path) -> BackupContents:
    """Raise BackupError unless the plain file `path` (the backup `shown`) is an intact
    crm-desktop database; return its schema revision and how many contacts it holds."""
    problem = header_problem(path)
    if problem:
        raise BackupError(f"{shown} is not a readable crm-desktop backup: {problem}")
    damage = check_file(path, full=True)
    if damage:
        if len(damage) == 1 and "not a database" in damage[0]:
            raise BackupError(f"{shown} is not a readable crm-desktop backup: {damage[0]}")
        raise BackupError(f"{shown} is damaged: {damage[0]}")
    try:
        conn = _connect_ro(path)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if not tables >= APP_TABLES:
                raise BackupError(f"{shown} is not a crm-desktop backup (tables missing)")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            contacts = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{shown} is not a readable crm-desktop backup: {exc}") from exc
    if not revision:
        raise BackupError(f"{shown} is not a crm-desktop backup (no schema revision)")
    return BackupContents(str(revision[0]), int(contacts))


# ---- restore --------------------------------------------------------------------------------


# This device's sync bookkeeping counts its own seqs (sealed into the team folder,
# verified there, scanned for conflicts): a restored database starts a new device at seq
# 1, so they go with the old id, or its changes would never be sealed.
OWN_SEQ_KEYS = ("sync.sealed", "sync.verified", "sync.scanned_own")


def _set_device_id(path: Path, key: str, device_id: str) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute(
                "INSERT OR REPLACE INTO local_meta (key, value) VALUES (?, ?)", (key, device_id)
            )
            conn.executemany("DELETE FROM local_meta WHERE key = ?", [(k,) for k in OWN_SEQ_KEYS])
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def safety_copy(live: Path, name: Callable[[str], str], backups: Path) -> Path | None:
    """The live data as it is, by plain file copy (compressed), never through SQLite: the
    main file, and its WAL beside it when one is left. None when there is no data to keep
    (missing or 0 bytes). A copy of a file that fails SQLite's check is named "damaged"."""
    if not live.exists() or live.stat().st_size == 0:
        return None
    good = header_problem(live) is None and not check_file(live, full=False)
    target = backups / name("before-restore" if good else "damaged")
    make_private_dir(backups, tighten=True)
    partial = _hidden(target, "partial")
    try:
        compress(live, partial)
        wal = live.with_name(live.name + "-wal")
        if wal.exists() and wal.stat().st_size:
            wal_target = wal_of(target)
            compress(wal, _hidden(wal_target, "partial"))
            _place(_hidden(wal_target, "partial"), wal_target)
        _place(partial, target)
    except OSError as exc:
        raise os_error(exc, "the copy of the current data before the restore failed") from exc
    finally:
        partial.unlink(missing_ok=True)
    return target


def wal_of(backup: Path) -> Path:
    """Where the WAL of a safety copy is kept, beside it (not listed as a backup)."""
    return backup.with_name(backup.name.removesuffix(COMPRESSED_SUFFIX) + ".wal.gz")


def install(prepared: Path, live: Path) -> None:
    """Put a checked plain copy in place of the live file (its WAL and shared memory go:
    they belong to the old file)."""
    for side in ("-wal", "-shm", "-journal"):
        live.with_name(live.name + side).unlink(missing_ok=True)
    os.replace(prepared, live)
    _fsync_dir(live.parent)


def restore_file(
    live: Path,
    source: Path,
    backups: Path,
    name: Callable[[str], str],
    check_revision: Callable[[str, Path], None],
    lock: DataLock,
    device_key: str,
    device_id: str,
) -> tuple[Path | None, BackupContents]:
    """Replace the live file with the backup `source`. The backup is checked whole first
    (integrity, crm-desktop tables, a schema `check_revision` accepts); then, with the data
    to ourselves (`lock`), the live file is copied as it is and replaced. The restored data
    carries `device_id` (a new one: the change log must never reuse a seq)."""
    with unpacked(source, live.parent) as prepared:
        contents = inspect_backup(prepared, source)
        check_revision(contents.revision, source)
        try:
            _set_device_id(prepared, device_key, device_id)
        except sqlite3.Error as exc:
            raise sqlite_error(exc, f"restore from {source} failed") from exc
        if not lock.exclusive():
            raise DatabaseBusyError(
                "another crm-desktop (a window or a command) has this data open; close it, "
                "then restore again"
            )
        safety = safety_copy(live, name, backups)
        try:
            install(prepared, live)
        except OSError as exc:
            raise os_error(exc, f"restore from {source} failed") from exc
    return safety, contents


# ---- doctor ---------------------------------------------------------------------------------


def doctor_file(
    path: Path,
    revision_words: Callable[[str | None], tuple[bool, str]],
    advice: str,
) -> list[Check]:
    """Every check SQLite has, on any file (opening or not): header, integrity,
    foreign keys, the search index's own integrity check; then the app's: schema,
    change log, search index coverage. `advice` is what to do about damage."""
    problem = header_problem(path)
    if problem:
        return [Check("file", False, problem, advice)]
    damage = check_file(path, full=True)
    if damage:
        more = f" (and {len(damage) - 1} more problems)" if len(damage) > 1 else ""
        return [Check("integrity", False, f"the file is damaged: {damage[0]}{more}", advice)]
    checks = [Check("integrity", True, "ok")]
    try:
        conn = _connect_ro(path)
        try:
            checks += _app_checks(conn, revision_words, advice)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        checks.append(Check("open", False, f"SQLite cannot read it: {exc}", advice))
        return checks
    checks.append(_fts_check(path, advice))
    return checks


def _change_log_check(conn: sqlite3.Connection, advice: str) -> Check:
    from crm_desktop.persistence.compaction import COMPACTED_KEY, log_health, parse

    totals = conn.execute("SELECT device_id, count(*), max(seq) FROM change GROUP BY device_id")
    key = conn.execute("SELECT value FROM local_meta WHERE key = ?", (COMPACTED_KEY,)).fetchone()
    above = "SELECT count(*) FROM change WHERE device_id = ? AND seq > ?"
    bad, words = log_health(
        totals.fetchall(),
        parse(key[0] if key else None),
        lambda d, s: int(conn.execute(above, (d, s)).fetchone()[0]),
    )
    if bad:
        words = f"changes missing from the history of {len(bad)} devices"
    return Check("change log", not bad, words, advice if bad else "")


def _app_checks(
    conn: sqlite3.Connection,
    revision_words: Callable[[str | None], tuple[bool, str]],
    advice: str,
) -> list[Check]:
    checks: list[Check] = []
    fks = conn.execute("PRAGMA foreign_key_check").fetchall()
    checks.append(
        Check(
            "foreign keys",
            not fks,
            f"{len(fks)} records point at records that are not there" if fks else "ok",
            advice if fks else "",
        )
    )
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    if not tables >= APP_TABLES:
        checks.append(
            Check("schema", False, "this is not a crm-desktop database (tables missing)", advice)
        )
        return checks
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    ok, words = revision_words(row[0] if row else None)
    checks.append(Check("schema", ok, words, "" if ok else "update crm-desktop to open it"))
    checks.append(_change_log_check(conn, advice))
    if "search_doc" in tables:
        indexed = conn.execute("SELECT count(*) FROM search_doc").fetchone()[0]
        records = conn.execute(
            "SELECT (SELECT count(*) FROM contacts) + (SELECT count(*) FROM companies)"
            " + (SELECT count(*) FROM deals)"
        ).fetchone()[0]
        checks.append(
            Check(
                "search index",
                indexed == records,
                f"{indexed} of {records} records indexed",
                "" if indexed == records else "search misses records; " + advice,
            )
        )
    device = conn.execute("SELECT value FROM local_meta WHERE key = 'device_id'").fetchone()
    checks.append(Check("device", bool(device), f"device id {device[0] if device else 'none'}"))
    parts = sqlite_space(conn)
    checks.append(
        Check(
            "space", True, describe(parts) if parts else "not measured (no dbstat in this SQLite)"
        )
    )
    return checks


def _fts_check(path: Path, advice: str) -> Check:
    """FTS5's own 'integrity-check' of the search index. It is an INSERT (that writes
    nothing), so it needs a writable connection; rolled back all the same."""
    try:
        conn = sqlite3.connect(path, timeout=2, isolation_level=None)
        try:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_fts'").fetchone():
                return Check("search (FTS5)", True, "no search index in this file")
            conn.execute("BEGIN")
            try:
                conn.execute("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')")
            finally:
                conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "readonly" in str(exc) or "read-only" in str(exc):
            return Check("search (FTS5)", True, "not checked: the file is read-only")
        if "locked" in str(exc) or "busy" in str(exc):
            return Check("search (FTS5)", True, "not checked: another program is writing")
        return Check("search (FTS5)", False, f"the search index is damaged: {exc}", advice)
    except sqlite3.Error as exc:
        return Check("search (FTS5)", False, f"the search index is damaged: {exc}", advice)
    return Check("search (FTS5)", True, "ok")
