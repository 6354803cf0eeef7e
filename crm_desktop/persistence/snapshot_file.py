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

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crm_desktop.domain.changes import ChangeRow
from crm_desktop.persistence.backups import backup_to
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
    """Per device, the seq up to which every change is held (no gap below it)."""
    held = select(Change.device_id, Change.seq).subquery()
    nxt = select(Change.seq).where(
        Change.device_id == held.c.device_id, Change.seq == held.c.seq + 1
    )
    stmt = (
        select(held.c.device_id, func.min(held.c.seq))
        .where(~nxt.exists())
        .group_by(held.c.device_id)
    )
    ends = {str(device): int(seq) for device, seq in session.execute(stmt)}
    firsts = select(Change.device_id).where(Change.seq == 1)
    starting = set(session.execute(firsts).scalars())
    return {device: end if device in starting else 0 for device, end in ends.items()}
