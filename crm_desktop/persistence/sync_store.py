"""What team sharing keeps in this device's database (never synced itself): the open
conflicts, and a few facts in `local_meta` (what was sealed, what was scanned).

Conflicts are recomputed from the change log per row (sync/conflicts.py), so every
device holding the same log holds the same list.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import String, Table, Text, delete, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from crm_desktop.domain.changes import ChangeRow
from crm_desktop.domain.errors import NotFoundError
from crm_desktop.domain.sync import ConflictRecord
from crm_desktop.persistence.changes import last_seqs
from crm_desktop.persistence.compaction import compacted
from crm_desktop.persistence.models import Base, Change, LocalMeta
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.persistence.wire import codec

_CHUNK = 500
Key = tuple[str, str]  # (wire entity, row id)


class SyncConflict(Base):
    """An open conflict (domain.sync.ConflictRecord); local to this device."""

    __tablename__ = "sync_conflict"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[str] = mapped_column(String(36), index=True)
    field: Mapped[str] = mapped_column(String(64))
    kept_value: Mapped[str | None] = mapped_column(Text)
    kept_device: Mapped[str] = mapped_column(String(36))
    kept_hlc: Mapped[str] = mapped_column(String(64))
    lost_value: Mapped[str | None] = mapped_column(Text)
    lost_device: Mapped[str] = mapped_column(String(36))
    lost_hlc: Mapped[str] = mapped_column(String(64))


def _conflict_table() -> Table:
    table = SyncConflict.__table__
    assert isinstance(table, Table)
    return table


_TABLE = _conflict_table()
_COLUMNS = (
    "id", "kind", "entity", "row_id", "field", "kept_value", "kept_device", "kept_hlc",
    "lost_value", "lost_device", "lost_hlc",
)  # fmt: skip


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _record(row: SyncConflict) -> ConflictRecord:
    return ConflictRecord(**{c: getattr(row, c) for c in _COLUMNS})


class SyncStore:
    """Reads and writes of team sharing in one unit of work's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- local facts ----------------------------------------------------------------------

    def get(self, key: str) -> Any:
        """A JSON value kept under `sync.<key>` in local_meta (None if never set)."""
        text = self.session.execute(
            select(LocalMeta.value).where(LocalMeta.key == f"sync.{key}")
        ).scalar()
        return None if text is None else json.loads(text)

    def put(self, key: str, value: Any) -> None:
        row = self.session.get(LocalMeta, f"sync.{key}")
        text = json.dumps(value, sort_keys=True)
        if row is None:
            self.session.add(LocalMeta(key=f"sync.{key}", value=text))
        else:
            row.value = text

    # ---- the change log -------------------------------------------------------------------

    def last_seq(self, device_id: str) -> int:
        """The highest seq held of a device (0: none)."""
        stmt = select(func.coalesce(func.max(Change.seq), 0)).where(Change.device_id == device_id)
        return int(self.session.execute(stmt).scalar_one())

    def device_rows(self, device_id: str, first: int, last: int) -> list[ChangeRow]:
        """A device's change rows with first <= seq <= last, in seq order."""
        stmt = (
            select(
                Change.device_id, Change.seq, Change.hlc, Change.entity, Change.row_id,
                Change.field, Change.value, Change.base_hlc,
            )
            .where(Change.device_id == device_id, Change.seq >= first, Change.seq <= last)
            .order_by(Change.seq)
        )  # fmt: skip
        return [ChangeRow(*row) for row in self.session.execute(stmt)]

    def last_seqs(self) -> dict[str, int]:
        """The highest seq held per device."""
        return last_seqs(self.session)

    def touched_since(self, device_id: str, after: int) -> set[Key]:
        """The rows a device changed after one of its seqs."""
        stmt = (
            select(Change.entity, Change.row_id)
            .where(Change.device_id == device_id, Change.seq > after)
            .distinct()
        )
        return {(entity, row_id) for entity, row_id in self.session.execute(stmt)}

    def held_seqs(self, device_id: str, seqs: Sequence[int]) -> set[int]:
        """Which of these seqs of a device are held (at or below the device's compaction
        horizon: every one, even where compaction removed the row)."""
        horizon = compacted(self.session).through.get(device_id, 0)
        found: set[int] = {s for s in seqs if s <= horizon}
        for chunk in _chunks(sorted(seqs)):
            stmt = select(Change.seq).where(Change.device_id == device_id, Change.seq.in_(chunk))
            found.update(self.session.execute(stmt).scalars())
        return found

    def row_changes(self, keys: Iterable[Key]) -> dict[Key, list[ChangeRow]]:
        """Every change of these rows, by row."""
        wanted = set(keys)
        ids = sorted({row_id for _, row_id in wanted})
        found: dict[Key, list[ChangeRow]] = defaultdict(list)
        for chunk in _chunks(ids):
            stmt = select(
                Change.device_id, Change.seq, Change.hlc, Change.entity, Change.row_id,
                Change.field, Change.value, Change.base_hlc,
            ).where(Change.row_id.in_(chunk))  # fmt: skip
            for row in self.session.execute(stmt):
                change = ChangeRow(*row)
                key = (change.entity, change.row_id)
                if key in wanted:
                    found[key].append(change)
        return found

    # ---- conflicts ------------------------------------------------------------------------

    def replace_conflicts(self, keys: Iterable[Key], records: Iterable[ConflictRecord]) -> None:
        """The open conflicts of these rows become `records`."""
        by_entity: dict[str, list[str]] = defaultdict(list)
        for entity, row_id in sorted(set(keys)):
            by_entity[entity].append(row_id)
        for entity, ids in by_entity.items():
            for chunk in _chunks(ids):
                self.session.execute(
                    delete(_TABLE).where(_TABLE.c.entity == entity, _TABLE.c.row_id.in_(chunk))
                )
        rows = [{c: getattr(r, c) for c in _COLUMNS} for r in records]
        if rows:
            self.session.execute(insert(_TABLE), rows)

    def conflicts(self) -> list[ConflictRecord]:
        """The open conflicts, by entity, row and field."""
        stmt = select(SyncConflict).order_by(
            SyncConflict.entity, SyncConflict.row_id, SyncConflict.field, SyncConflict.id
        )
        return [_record(row) for row in self.session.scalars(stmt)]

    def conflict(self, conflict_id: str) -> ConflictRecord:
        """One open conflict by its id (or the start of it, if only one matches)."""
        row = self.session.get(SyncConflict, conflict_id)
        if row is None:
            matches = list(
                self.session.scalars(
                    select(SyncConflict).where(SyncConflict.id.startswith(conflict_id)).limit(2)
                )
            )
            if len(matches) != 1:
                raise NotFoundError(f"no open conflict {conflict_id!r}")
            row = matches[0]
        return _record(row)

    def count_conflicts(self) -> int:
        stmt = select(func.count()).select_from(SyncConflict)
        return int(self.session.execute(stmt).scalar_one())


def write_field(uow: UnitOfWork, entity: str, row_id: str, field: str, value: str | None) -> None:
    """Write one field as a new edit of this device (a conflict kept one way or the other):
    a change of the data through the ORM, or, if the value is already there, a change row
    alone, so every device sees the field was decided after both sides."""
    entity_codec = codec(entity)
    field_codec = entity_codec.fields[field]
    decoded = entity_codec.decode(field, value)
    obj = uow.session.get(entity_codec.model, row_id)
    if obj is None:
        raise NotFoundError(f"{entity} {row_id} is not on this device")
    if getattr(obj, field_codec.key) != decoded:
        setattr(obj, field_codec.key, decoded)
        uow.session.flush()
    else:
        uow.record_updates(entity, [(row_id, {field_codec.key: decoded})], searched=False)
