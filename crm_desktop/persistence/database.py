"""Opening a database: migrations (backup first), device identity, backups, checks.

Backups are `VACUUM INTO` copies (consistent while the app runs, never a file copy of a
live WAL database); restore copies a checked backup into the live file with SQLite's
backup API and gives this install a new device id, so the change log never reuses seqs.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from crm_desktop.domain.errors import BackupError, DatabaseError
from crm_desktop.persistence.engine import create_db_engine, is_sqlite, sqlite_url
from crm_desktop.persistence.models import Change, LocalMeta
from crm_desktop.persistence.revision import HEAD_REVISION  # see revision.py

if TYPE_CHECKING:
    from alembic.config import Config

DEVICE_KEY = "device_id"
_BACKUP_GLOB = "crm-*.sqlite"


@dataclass(frozen=True)
class Database:
    engine: Engine
    device_id: str
    path: Path | None  # None for a server database


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


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
    if path is not None and path.exists():
        _check_sqlite_header(path)
    engine = create_db_engine(url)
    try:
        migrate(engine, backups, keep)
        device_id = _ensure_device_id(engine)
    except OperationalError as exc:
        engine.dispose()
        raise DatabaseError(f"cannot open the database {path or url}: {exc.orig}") from exc
    return Database(engine, device_id, path)


def open_sqlite(path: Path, backups: Path | None = None, keep: int = 10) -> Database:
    path.parent.mkdir(parents=True, exist_ok=True)
    return open_database(sqlite_url(path), backups, keep)


def _check_sqlite_header(path: Path) -> None:
    with path.open("rb") as handle:
        header = handle.read(16)
    if header and header != b"SQLite format 3\x00":
        raise DatabaseError(f"{path} is not a crm-desktop database (not an SQLite file)")


def migrate(engine: Engine, backups: Path | None = None, keep: int = 10) -> bool:
    """Bring the schema to the head revision; back up first when there is data to lose.
    Returns True if a migration ran."""
    current = current_revision(engine)
    if current == HEAD_REVISION:
        return False
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(_alembic_config())
    try:
        known = current is None or script.get_revision(current) is not None
    except CommandError:
        known = False
    if not known:
        raise DatabaseError(
            "this database was made by a newer crm-desktop (schema "
            f"{current}); update the app to open it"
        )
    if current is not None and backups is not None and is_sqlite(engine):
        backup_to(engine, backups / _backup_name("pre-migration"))
        rotate_backups(backups, keep)
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
        finally:
            if sqlite:
                raw.execute("PRAGMA synchronous=NORMAL")  # type: ignore[union-attr]
    return True


def _ensure_device_id(engine: Engine) -> str:
    with Session(engine) as session, session.begin():
        meta = session.get(LocalMeta, DEVICE_KEY)
        if meta is None:
            meta = LocalMeta(key=DEVICE_KEY, value=str(uuid.uuid4()))
            session.add(meta)
        return meta.value


def _backup_name(reason: str) -> str:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return f"crm-{stamp}-{reason}.sqlite"


def backup_to(engine: Engine, target: Path) -> Path:
    """A consistent copy of the live database at `target` (VACUUM INTO)."""
    if not is_sqlite(engine):
        raise BackupError("backups of a server database are made with the server's tools")
    target = target.expanduser().resolve()
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("VACUUM INTO ?", (str(target),))  # type: ignore[union-attr]
    except sqlite3.Error as exc:
        raise BackupError(f"backup to {target} failed: {exc}") from exc
    finally:
        raw.close()
    return target


def make_backup(engine: Engine, backups: Path, reason: str, keep: int) -> Path:
    """A backup in the backups folder, keeping only the `keep` newest."""
    path = backup_to(engine, backups / _backup_name(reason))
    rotate_backups(backups, keep)
    return path


def list_backups(backups: Path) -> list[Path]:
    """Backups in the folder, newest first."""
    if not backups.exists():
        return []
    return sorted(backups.glob(_BACKUP_GLOB), key=lambda p: p.name, reverse=True)


def rotate_backups(backups: Path, keep: int) -> list[Path]:
    removed = list_backups(backups)[max(keep, 1) :]
    for old in removed:
        old.unlink(missing_ok=True)
    return removed


def check_backup_file(path: Path) -> None:
    """Raise BackupError unless `path` is an intact crm-desktop database."""
    if not path.is_file():
        raise BackupError(f"no such backup file: {path}")
    try:
        _check_sqlite_header(path)
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except (sqlite3.Error, DatabaseError) as exc:
        raise BackupError(f"{path} is not a readable crm-desktop backup: {exc}") from exc
    if result != "ok":
        raise BackupError(f"{path} is damaged: {result}")
    if not {"alembic_version", "contacts", "change"} <= tables:
        raise BackupError(f"{path} is not a crm-desktop backup (tables missing)")


def restore_from(engine: Engine, source: Path, backups: Path, keep: int) -> tuple[Path, str]:
    """Replace the live data with a checked backup; the current data is backed up first.
    Returns the safety backup's path and the device id this install now uses."""
    if not is_sqlite(engine):
        raise BackupError("restore is for the local database only")
    source = source.expanduser().resolve()
    check_backup_file(source)
    safety = make_backup(engine, backups, "before-restore", keep + 1)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    raw = engine.raw_connection()
    try:
        src.backup(raw.driver_connection)  # type: ignore[arg-type]
    except sqlite3.Error as exc:
        raise BackupError(f"restore from {source} failed: {exc}") from exc
    finally:
        src.close()
        raw.close()
    engine.dispose()
    migrate(engine, backups, keep)
    device_id = str(uuid.uuid4())
    with Session(engine) as session, session.begin():
        session.merge(LocalMeta(key=DEVICE_KEY, value=device_id))
    return safety, device_id


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
            gaps = conn.execute(
                select(Change.device_id, text("count(*)"), text("max(seq)")).group_by(
                    Change.device_id
                )
            ).all()
            bad = [d for d, n, top in gaps if n != top]
            checks.append(
                Check(
                    "change log",
                    not bad,
                    f"{sum(n for _, n, _ in gaps)} changes from {len(gaps)} devices, no gaps"
                    if not bad
                    else f"gaps for devices {bad}",
                )
            )
            if is_sqlite(engine):
                indexed = conn.exec_driver_sql("SELECT count(*) FROM search_doc").scalar_one()
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
    except SQLAlchemyError as exc:
        checks.append(Check("open", False, str(exc).splitlines()[0]))
    return checks
