"""Opening a database: migrations (backup first), device identity, checks, and driver
errors as errors a person can act on.

Backups and restore (SQLite only) live in `backups`, the file work under them in
`sqlite_files`: a restore gives this install a new device id, so the change log never
reuses seqs.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from crm_desktop.config import make_private, make_private_dir, private_file
from crm_desktop.domain.errors import (
    BackupError,
    CrmError,
    DamagedDatabaseError,
    DatabaseBusyError,
    DatabaseError,
    DiskFullError,
    ReadOnlyError,
)
from crm_desktop.domain.maintenance import Check
from crm_desktop.persistence import sqlite_files
from crm_desktop.persistence.engine import (
    BUSY_TIMEOUT_MS,
    create_db_engine,
    is_sqlite,
    sqlite_url,
)
from crm_desktop.persistence.models import Change, LocalMeta
from crm_desktop.persistence.revision import HEAD_REVISION  # see revision.py
from crm_desktop.persistence.space import describe, postgresql_space, sqlite_space
from crm_desktop.persistence.sqlite_files import DataLock

if TYPE_CHECKING:
    from alembic.config import Config

DEVICE_KEY = "device_id"

__all__ = ["Check", "Database"]


@dataclass(frozen=True)
class Database:
    engine: Engine
    device_id: str
    path: Path | None  # None for a server database
    lock: DataLock | None = None  # SQLite: held shared while the data is open
    read_only: bool = False  # SQLite: the file or its folder cannot be written

    def close(self) -> None:
        self.engine.dispose()
        if self.lock is not None:
            self.lock.release()


def _alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    location = resources.files("crm_desktop.persistence") / "migrations"
    cfg.set_main_option("script_location", str(location))
    return cfg


def head_revision() -> str:
    """The newest revision among the migration scripts (imports Alembic)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        has_table = (
            conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'"
            ).first()
            if is_sqlite(engine)
            else True
        )
        if not has_table:
            return None
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            return None


def open_database(url: str, backups: Path | None = None, keep: int = 10) -> Database:
    """Open (creating if needed) and migrate a database; return it with this device's id."""
    path = Path(url.split("///", 1)[1]) if url.startswith("sqlite") else None
    read_only = path is not None and path.exists() and not sqlite_writable(path)
    lock = _prepare_sqlite_file(path, backups) if path is not None else None
    if path is not None and read_only:
        url = _read_only_url(path)
    engine = create_db_engine(url)
    try:
        migrate(engine, backups, keep)
        device_id = _ensure_device_id(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        if lock is not None:
            lock.release()
        raise open_error(exc, path or url) from exc
    except BaseException:
        engine.dispose()
        if lock is not None:
            lock.release()
        raise
    return Database(engine, device_id, path, lock, read_only)


# ---- SQLite only: a data folder that cannot be written ---------------------------------------


def sqlite_writable(path: Path) -> bool:
    """Whether SQLite can write the file and make its -wal and -shm files beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _read_only_url(path: Path) -> str:
    # immutable: SQLite reads the file without the -shm it could not create here.
    return f"sqlite+pysqlite:///file:{path}?mode=ro&immutable=1&uri=true"


def _prepare_sqlite_file(path: Path, backups: Path | None) -> DataLock:
    """SQLite: refuse a file that is plainly damaged, create a new one private to the user
    (SQLite gives its -wal and -shm the same mode), and hold the data lock."""
    if path.exists():
        from crm_desktop.persistence.backups import list_backups

        _check_sqlite_header(path)
        problem = sqlite_files.header_problem(path)
        empty_after_use = problem and path.stat().st_size == 0 and backups and list_backups(backups)
        if problem and (path.stat().st_size or empty_after_use):
            raise DamagedDatabaseError(
                f"the database {path} is damaged: {problem}; restore a backup (crm-desktop "
                "doctor names the newest good one)"
            )
        make_private(path)
    else:
        try:
            make_private_dir(path.parent, tighten=True)
            private_file(path).close()  # an empty file is an empty SQLite database
        except FileExistsError:
            pass
        except OSError as exc:
            raise sqlite_files.os_error(exc, f"cannot create the database {path}") from exc
    lock = DataLock(path)
    lock.shared()
    return lock


def open_error(exc: SQLAlchemyError, where: Path | str) -> DatabaseError | CrmError:
    """A driver error on opening or writing, as the one-line error a person can act on."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
    name = f"the database {where}" if str(where) else "the database"
    if "malformed" in text or "not a database" in text or "disk image" in text:
        return DamagedDatabaseError(
            f"{name} is damaged ({text}); restore a backup: crm-desktop doctor names the "
            "newest good one"
        )
    if "locked" in text or "busy" in text:
        return DatabaseBusyError(
            f"{name} is busy: another crm-desktop kept it locked for more than "
            f"{BUSY_TIMEOUT_MS // 1000} s; nothing was written, try again when it has finished"
        )
    if "disk is full" in text:
        return DiskFullError("the disk is full: nothing was written; free some space and try again")
    if "readonly" in text or "read-only" in text:
        return ReadOnlyError(f"{name} cannot be written: the data folder is read-only")
    return DatabaseError(f"cannot open {name}: {text}")


def open_sqlite(path: Path, backups: Path | None = None, keep: int = 10) -> Database:
    path.parent.mkdir(parents=True, exist_ok=True)
    return open_database(sqlite_url(path), backups, keep)


def _check_sqlite_header(path: Path) -> None:
    kind = sqlite_files.file_kind(path)
    if kind in ("gzip", "other"):
        what = "a compressed backup" if kind == "gzip" else "not an SQLite file"
        raise DamagedDatabaseError(
            f"{path} is not a crm-desktop database ({what}); if it was, it is damaged: "
            "restore a backup (crm-desktop doctor names the newest good one)"
        )


def known_revision(revision: str | None) -> bool:
    """Whether this app knows a schema revision (it is the head or one of the older ones a
    migration starts from); imports Alembic unless it is the head."""
    if revision is None or revision == HEAD_REVISION:
        return True
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(_alembic_config())
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def _newer_app_error(revision: str | None) -> DatabaseError:
    return DatabaseError(
        f"this database was made by a newer crm-desktop (schema {revision}); update the app "
        "to open it"
    )


def migrate(engine: Engine, backups: Path | None = None, keep: int = 10) -> bool:
    """Bring the schema to the head revision; back up first when there is data to lose.
    Returns True if a migration ran."""
    current = current_revision(engine)
    if current == HEAD_REVISION:
        return False
    if not known_revision(current):
        raise _newer_app_error(current)
    from alembic import command

    if current is not None and backups is not None and is_sqlite(engine):
        from crm_desktop.persistence.backups import make_backup

        make_backup(engine, backups, "pre-migration", keep)
    cfg = _alembic_config()
    sqlite = is_sqlite(engine)
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        if sqlite:  # a schema change must survive a power cut whole
            raw.execute("PRAGMA synchronous=FULL")  # type: ignore[union-attr]
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            if sqlite and current is not None:
                _reclaim(raw)  # type: ignore[arg-type]
        finally:
            if sqlite:
                raw.execute("PRAGMA synchronous=NORMAL")  # type: ignore[union-attr]
    return True


def _reclaim(raw: sqlite3.Connection) -> None:
    """Give back the pages a migration freed when they are a tenth of the file or more
    (migration 0011 rewrites the change log into a table half its size; 0012 the search
    index into one half its size and the log's rows into smaller ones): a one-off VACUUM
    after the migration, not a file that keeps its old size for good."""
    pages = raw.execute("PRAGMA page_count").fetchone()[0]
    free = raw.execute("PRAGMA freelist_count").fetchone()[0]
    if free * 10 >= pages:
        raw.execute("VACUUM")


def _ensure_device_id(engine: Engine) -> str:
    with Session(engine) as session, session.begin():
        meta = session.get(LocalMeta, DEVICE_KEY)
        if meta is None:
            meta = LocalMeta(key=DEVICE_KEY, value=str(uuid.uuid4()))
            session.add(meta)
        return meta.value


def doctor(engine: Engine, device_id: str) -> list[Check]:
    """Integrity, schema, change-log and search-index checks."""
    checks: list[Check] = []
    try:
        with engine.connect() as conn:
            if is_sqlite(engine):
                rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
                checks.append(Check("integrity", rows == ["ok"], "; ".join(rows[:5])))
                fks = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                checks.append(
                    Check("foreign keys", not fks, f"{len(fks)} broken references" if fks else "ok")
                )
            current, head = current_revision(engine), HEAD_REVISION
            checks.append(Check("schema", current == head, f"revision {current} (app {head})"))
            checks.append(_change_log_check(conn))
            # SQLite keeps a docid per record in search_doc; PostgreSQL a row in search_fts.
            index_table = "search_doc" if is_sqlite(engine) else "search_fts"
            indexed = conn.exec_driver_sql(f"SELECT count(*) FROM {index_table}").scalar_one()
            records = conn.exec_driver_sql(
                "SELECT (SELECT count(*) FROM contacts) + (SELECT count(*) FROM companies)"
                " + (SELECT count(*) FROM deals)"
            ).scalar_one()
            checks.append(
                Check(
                    "search index",
                    indexed == records,
                    f"{indexed} of {records} records indexed",
                )
            )
            checks.append(Check("device", bool(device_id), f"device id {device_id}"))
            checks.append(_space_check(conn))
    except SQLAlchemyError as exc:
        checks.append(Check("open", False, str(exc).splitlines()[0]))
    return checks


def _change_log_check(conn: Connection) -> Check:
    from crm_desktop.persistence.changes import count_above  # doctor only
    from crm_desktop.persistence.compaction import compacted, log_health

    totals = conn.execute(
        select(Change.device_id, text("count(*)"), text("max(seq)")).group_by(Change.device_id)
    ).all()
    with Session(bind=conn) as session:
        bad, words = log_health(totals, compacted(session), lambda d, s: count_above(session, d, s))
    return Check("change log", not bad, f"gaps for devices {bad}" if bad else words)


def _space_check(conn: Connection) -> Check:
    """The share of each part of the database (tables, indexes, change log, search)."""
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        parts = sqlite_space(raw) if isinstance(raw, sqlite3.Connection) else None
    else:
        parts = postgresql_space(conn)
    return Check("space", True, describe(parts) if parts else "not measured")


def translate_error(exc: BaseException) -> CrmError | None:
    """An expected failure met mid-command (the database locked past the timeout, a full
    disk, a read-only folder, a damaged file) as the one-line error a person can act on;
    None for anything else (a bug)."""
    if isinstance(exc, CrmError):
        return exc
    if isinstance(exc, SQLAlchemyError):
        error = open_error(exc, "")
        return None if type(error) is DatabaseError else error
    if isinstance(exc, sqlite3.Error):
        error = sqlite_files.sqlite_error(exc, "the database")
        return None if type(error) is BackupError else error
    if isinstance(exc, OSError):
        error = sqlite_files.os_error(exc, "writing failed")
        return None if type(error) is BackupError else error
    return None
