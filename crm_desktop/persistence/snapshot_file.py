"""Team snapshots as database files (SYNC.md point 5): made with `VACUUM INTO` like a
backup, read back as change rows. A snapshot is only ever opened from a local copy
(never in the team folder) and read-only.

    make_snapshot(engine, local_path)                 # a consistent copy
    for batch in snapshot_rows(local_path, skip=me): ...  # its change log, in batches
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, aliased

from crm_desktop.domain.changes import ChangeRow
from crm_desktop.persistence.apply import RECEIVED_KEY
from crm_desktop.persistence.backups import backup_to
from crm_desktop.persistence.changes import count_above, last_seqs
from crm_desktop.persistence.compaction import COMPACTED_KEY, compacted, parse
from crm_desktop.persistence.models import Change, LocalMeta


class SnapshotFileError(ValueError):
    """A snapshot file that can't be read as a crm-desktop database."""


def make_snapshot(engine: Engine, target: Path) -> Path:
    """A `VACUUM INTO` copy of the live database at `target` (which must not exist),
    without this device's local facts (its sync bookkeeping in local_meta)."""
    backup_to(engine, target)
    conn = sqlite3.connect(target)
    try:
        with conn:
            conn.execute(f"DELETE FROM {LocalMeta.__tablename__} WHERE key LIKE 'sync.%'")
        conn.execute("VACUUM")
    finally:
        conn.close()
    return target


def snapshot_rows(path: Path, skip: str, batch: int = 5_000) -> Iterator[list[ChangeRow]]:
    """The change rows in a local snapshot file (all devices but `skip`), by device and
    seq, in batches. `SnapshotFileError` if the file is not a readable database."""
    uri = f"{path.absolute().as_uri()}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise SnapshotFileError(str(exc)) from exc
    try:
        cursor = conn.execute(
            "SELECT device_id, seq, hlc, entity, row_id, field, value, base_hlc "
            f"FROM {Change.__tablename__} WHERE device_id != ? ORDER BY device_id, seq",
            (skip,),
        )
        while rows := cursor.fetchmany(batch):
            yield [ChangeRow(*row) for row in rows]
    except sqlite3.Error as exc:
        raise SnapshotFileError(str(exc)) from exc
    finally:
        conn.close()


def through_seqs(session: Session) -> dict[str, int]:
    """Per device, the seq up to which every change is held (no gap below it; at or below
    the device's compaction horizon every seq counts as held). One count per device when
    there is no gap, the usual case; the run's end is looked for only after a gap."""
    horizons = compacted(session).through
    through: dict[str, int] = {}
    for device, top in last_seqs(session).items():
        horizon = min(horizons.get(device, 0), top)
        if count_above(session, device, horizon) == top - horizon:
            through[device] = top
        else:
            through[device] = _end_after(session, device, horizon)
    return through


def _end_after(session: Session, device: str, horizon: int) -> int:
    """The last seq of the run held without a gap from just after `horizon` (the horizon
    itself when the seq after it is not held: 0 for a device whose first change is not
    here)."""
    if (
        session.execute(
            select(Change.seq).where(Change.device_id == device, Change.seq == horizon + 1)
        ).first()
        is None
    ):
        return horizon
    later = aliased(Change)
    gap = ~select(later.seq).where(later.device_id == device, later.seq == Change.seq + 1).exists()
    stmt = select(func.min(Change.seq)).where(Change.device_id == device, Change.seq > horizon, gap)
    return int(session.execute(stmt).scalar_one())


def is_fresh(session: Session, me: str) -> bool:
    """A new install: no change of another device and no record of its own yet (only the
    rows every install makes alike, such as the default pipeline)."""
    if session.execute(select(Change.seq).where(Change.device_id != me).limit(1)).first():
        return False
    connection = session.connection()
    for table in ("contacts", "companies", "deals", "activities", "orders"):
        if connection.exec_driver_sql(f"SELECT 1 FROM {table} LIMIT 1").first():
            return False
    return True


def snapshot_horizons(path: Path) -> dict[str, int]:
    """Per device, the seq up to which a local snapshot file holds every change although
    compaction removed some of them (none: an empty mapping)."""
    sql = f"SELECT value FROM {LocalMeta.__tablename__} WHERE key = ?"
    return parse(_one_value(path, sql, (COMPACTED_KEY,))).through


def _one_value(path: Path, sql: str, parameters: tuple[Any, ...] = ()) -> Any:
    """The first column of the first row a query finds in a local snapshot file, read
    without changing it (None when there is no row). `SnapshotFileError` if the file is
    not a readable database."""
    uri = f"{path.absolute().as_uri()}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            row = conn.execute(sql, parameters).fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise SnapshotFileError(str(exc)) from exc
    return row[0] if row else None


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def newest_stamp(path: Path) -> str | None:
    """The newest change stamp in a local snapshot file."""
    newest = _one_value(path, f"SELECT max(hlc) FROM {Change.__tablename__}")
    return str(newest) if newest else None


def adopt_snapshot(
    engine: Engine, path: Path, me: str, revision: str
) -> tuple[list[ChangeRow], str | None] | None:
    """Make a fresh install's database a copy of a local snapshot file, in place (SQLite's
    backup API through the open connection), keeping this install's own facts: its
    device id and local settings, and its own change rows, returned to be applied again.
    Returns (own rows, the newest stamp held), or None when the snapshot is of another
    schema (then nothing changed). A new device joins in the time of a file copy instead
    of replaying every change of the team."""
    uri = f"{path.absolute().as_uri()}?mode=ro&immutable=1"
    try:
        source = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise SnapshotFileError(str(exc)) from exc
    try:
        if _revision(source) != revision:
            return None
        raw = engine.raw_connection()
        try:
            live: Any = raw.driver_connection
            own = [
                ChangeRow(*row)
                for row in live.execute(
                    "SELECT device_id, seq, hlc, entity, row_id, field, value, base_hlc "
                    "FROM change WHERE device_id = ? ORDER BY seq",
                    (me,),
                )
            ]
            local = dict(live.execute(f"SELECT key, value FROM {LocalMeta.__tablename__}"))
            source.backup(live)
            live.execute("PRAGMA journal_mode=WAL")
            live.execute("BEGIN IMMEDIATE")
            try:
                theirs = dict(live.execute(f"SELECT key, value FROM {LocalMeta.__tablename__}"))
                facts = {
                    k: v
                    for k, v in theirs.items()
                    if k != "device_id" and not k.startswith("sync.")
                }
                facts.update(local)
                # The snapshot's compaction horizons say what it holds; this install's
                # would make its own rows, applied again next, count as held already.
                facts.pop(COMPACTED_KEY, None)
                if COMPACTED_KEY in theirs:
                    facts[COMPACTED_KEY] = theirs[COMPACTED_KEY]
                newest = live.execute("SELECT max(hlc) FROM change").fetchone()[0]
                if newest and str(facts.get(RECEIVED_KEY, "")) < newest:
                    facts[RECEIVED_KEY] = newest
                live.execute(f"DELETE FROM {LocalMeta.__tablename__}")
                live.executemany(
                    f"INSERT INTO {LocalMeta.__tablename__} (key, value) VALUES (?, ?)",
                    sorted(facts.items()),
                )
                live.execute("DELETE FROM sync_conflict")  # recomputed by the caller
                live.execute("COMMIT")
            except BaseException:
                live.execute("ROLLBACK")
                raise
        finally:
            raw.close()
    except sqlite3.Error as exc:
        raise SnapshotFileError(str(exc)) from exc
    finally:
        source.close()
    return own, newest


def shared_keys(session: Session) -> set[tuple[str, str]]:
    """The rows changed by more than one device: where conflicts can be."""
    stmt = (
        select(Change.entity, Change.row_id)
        .group_by(Change.entity, Change.row_id)
        .having(func.count(func.distinct(Change.device_id)) > 1)
    )
    return {(str(e), str(r)) for e, r in session.execute(stmt)}
