"""Applying another device's changes (SYNC.md points 6 and 12), without echo.

`apply_changes` takes a batch of change rows as another device wrote them and, in the
caller's transaction:

- stores them as received (their device, seq, stamp: never re-stamped with this
  device's clock, and never seen by the unit of work's change capture, since the data
  is written with plain statements, not through the ORM);
- skips rows it has already (by device and seq), so a duplicate delivery changes nothing;
- writes, per (entity, row, field), the value of the highest stamp among every change
  this device holds for it, so the result is the same in any delivery order; a delete is
  the field `deleted_at` like any other, so a tombstone wins over older edits;
- creates a row when an update arrives before its insert, as soon as the row can exist
  (its required fields known, the rows it points at present); until then it waits in a
  short local list and is tried again by every later apply.

Derived columns and search documents are left to the unit of work, which is told which
rows changed (`Applied`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from crm_desktop.domain.changes import ChangeRow
from crm_desktop.domain.hlc import HybridLogicalClock, stamp_time
from crm_desktop.persistence.change_keys import CompactKeys
from crm_desktop.persistence.compaction import compacted
from crm_desktop.persistence.derive import contact_of
from crm_desktop.persistence.models import Base, Change, LocalMeta, column_default
from crm_desktop.persistence.wire import (
    INSERT_FIELD,
    EntityCodec,
    UnknownEntityError,
    codec,
    untracked,
)

_CHUNK = 500
PENDING_KEY = "apply.pending"  # rows that cannot exist yet: JSON list of [entity, id]
RECEIVED_KEY = "clock.received"  # the latest stamp received from another device
Key = tuple[str, str]  # (wire entity, row id)
Clock = tuple[str, int]  # (hlc, seq): the order of changes to one field
_TABLE_ORDER = {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}


@dataclass
class Applied:
    """What an apply did: counts, and the rows whose data changed (wire entity -> rows
    as written, each with its id and, for a contact's list entry, its contact)."""

    stored: int = 0
    duplicates: int = 0
    pending: int = 0
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    contacts: set[str] = field(default_factory=set)  # whose derived columns may change


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _check(row: ChangeRow) -> None:
    entity = codec(row.entity)  # raises for an unknown entity
    known = row.field == INSERT_FIELD or row.field in entity.fields
    if not known and row.field not in untracked(row.entity):
        raise UnknownEntityError(
            f"changes of '{row.entity}.{row.field}' come from a newer version of "
            "crm-desktop; update it"
        )


def _new_rows(session: Session, rows: Sequence[ChangeRow]) -> tuple[list[ChangeRow], int]:
    """The rows not stored yet (each once), and how many were duplicates."""
    unique: dict[tuple[str, int], ChangeRow] = {}
    for row in rows:
        unique.setdefault((row.device_id, row.seq), row)
    horizon = compacted(session).through  # held, even where compaction removed a row
    by_device: dict[str, list[int]] = defaultdict(list)
    for device, seq in list(unique):
        if seq <= horizon.get(device, 0):
            del unique[(device, seq)]
        else:
            by_device[device].append(seq)
    for device, seqs in by_device.items():
        for chunk in _chunks(sorted(seqs)):
            stored = session.execute(
                select(Change.seq).where(Change.device_id == device, Change.seq.in_(chunk))
            ).scalars()
            for seq in stored:
                del unique[(device, seq)]
    return list(unique.values()), len(rows) - len(unique)


def _store(session: Session, rows: Sequence[ChangeRow]) -> None:
    connection = session.connection()
    if connection.dialect.name == "sqlite":  # straight into the compact log (migration 0011)
        CompactKeys.read(connection).store(connection, rows)
        return
    session.execute(
        insert(Change),
        [
            {
                "device_id": r.device_id,
                "seq": r.seq,
                "hlc": r.hlc,
                "entity": r.entity,
                "row_id": r.row_id,
                "field": r.field,
                "value": r.value,
                "base_hlc": r.base_hlc,
            }
            for r in rows
        ],
    )


def _read_local(session: Session, key: str) -> str | None:
    return session.execute(select(LocalMeta.value).where(LocalMeta.key == key)).scalar()


def _write_local(session: Session, key: str, value: str) -> None:
    row = session.get(LocalMeta, key)
    if row is None:
        session.add(LocalMeta(key=key, value=value))
    else:
        row.value = value


class _Winners:
    """Per row, per field: the change with the highest (stamp, seq) this device holds."""

    def __init__(self) -> None:
        self.fields: dict[Key, dict[str, tuple[Clock, Any]]] = defaultdict(dict)
        self.created: set[Key] = set()  # rows with a change that creates them

    def offer(self, key: Key, wire: str, when: Clock, value: Any) -> None:
        known = self.fields[key].get(wire)
        if known is None or when > known[0]:
            self.fields[key][wire] = (when, value)

    def read(self, session: Session, keys: Iterable[Key]) -> None:
        by_id: dict[str, set[str]] = defaultdict(set)
        for name, row_id in keys:
            by_id[row_id].add(name)
        ids = sorted(by_id)
        for chunk in _chunks(ids):
            stmt = select(
                Change.entity, Change.row_id, Change.field, Change.hlc, Change.seq, Change.value
            ).where(Change.row_id.in_(chunk))
            for name, row_id, wire, hlc, seq, value in session.execute(stmt):
                if name not in by_id[row_id]:
                    continue
                entity = codec(name)
                key = (name, row_id)
                if wire == INSERT_FIELD:
                    self.created.add(key)
                    for field_name, decoded in entity.decode_insert(value).items():
                        self.offer(key, field_name, (hlc, seq), decoded)
                elif wire in entity.fields:
                    self.offer(key, wire, (hlc, seq), entity.decode(wire, value))


def _current(session: Session, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]:
    """The data rows that exist, by key, as {attribute: value}."""
    by_entity: dict[str, list[str]] = defaultdict(list)
    for entity, row_id in keys:
        by_entity[entity].append(row_id)
    found: dict[Key, dict[str, Any]] = {}
    for entity, ids in by_entity.items():
        table = _table(entity)
        for chunk in _chunks(sorted(ids)):
            for row in session.execute(select(table).where(table.c.id.in_(chunk))).mappings():
                found[(entity, row["id"])] = dict(row)
    return found


def _table(entity: str) -> Table:
    table = codec(entity).model.__table__
    assert isinstance(table, Table)
    return table


def _existing_ids(session: Session, wanted: Mapping[str, set[str]]) -> set[Key]:
    found: set[Key] = set()
    for entity, ids in wanted.items():
        table = _table(entity)
        for chunk in _chunks(sorted(ids)):
            stmt = select(table.c.id).where(table.c.id.in_(chunk))
            found.update((entity, i) for i in session.execute(stmt).scalars())
    return found


def _targets(entity: EntityCodec, values: Mapping[str, Any]) -> Iterator[Key]:
    for wire, value in values.items():
        target = entity.fields[wire].foreign if wire in entity.fields else None
        if target is not None and value is not None:
            yield (target, value)


@dataclass
class _Plan:
    inserts: dict[Key, dict[str, Any]] = field(default_factory=dict)  # wire field -> value
    updates: dict[Key, dict[str, Any]] = field(default_factory=dict)
    stamps: dict[Key, str] = field(default_factory=dict)  # newest stamp among the values
    waiting: set[Key] = field(default_factory=set)


def _plan(session: Session, keys: set[Key]) -> tuple[_Plan, dict[Key, dict[str, Any]]]:
    winners = _Winners()
    winners.read(session, keys)
    current = _current(session, keys)
    plan = _Plan()
    for key in keys:
        entity = codec(key[0])
        chosen = winners.fields.get(key, {})
        if not chosen:
            continue
        plan.stamps[key] = max(when for when, _ in chosen.values())[0]
        row = current.get(key)
        if row is None:
            values = {wire: value for wire, (_, value) in chosen.items()}
            if all(wire in values for wire, f in entity.fields.items() if f.required):
                plan.inserts[key] = values
            else:
                plan.waiting.add(key)  # an update ahead of its insert, and a row can't exist
            continue
        diff = {
            wire: value
            for wire, (_, value) in chosen.items()
            if row[entity.fields[wire].key] != value
        }
        if diff:
            plan.updates[key] = diff
    _hold_dangling(session, plan)
    return plan, current


def _hold_dangling(session: Session, plan: _Plan) -> None:
    """Rows may only point at rows that exist: a new row whose target is missing waits;
    an edit that points at a missing row keeps its other fields and waits for that one."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for key, values in (*plan.inserts.items(), *plan.updates.items()):
        for entity, row_id in _targets(codec(key[0]), values):
            wanted[entity].add(row_id)
    present = _existing_ids(session, wanted)
    creating = set(plan.inserts)
    while True:  # a new row whose target is new too can be made only if that one can
        dropped = {
            key
            for key in creating
            if any(
                t not in present and t not in creating
                for t in _targets(codec(key[0]), plan.inserts[key])
            )
        }
        if not dropped:
            break
        creating -= dropped
    for key in set(plan.inserts) - creating:
        del plan.inserts[key]
        plan.waiting.add(key)
    for key, values in plan.updates.items():
        missing = [
            wire
            for wire, value in values.items()
            if (target := codec(key[0]).fields[wire].foreign) is not None
            and value is not None
            and (target, value) not in present
            and (target, value) not in creating
        ]
        for wire in missing:
            del values[wire]
        if missing:
            plan.waiting.add(key)
    plan.updates = {k: v for k, v in plan.updates.items() if v}


def _write(session: Session, plan: _Plan) -> None:
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # New rows of one batch may point at each other in any order; checked at commit.
        connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
    inserts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (entity_name, row_id), values in plan.inserts.items():
        entity = codec(entity_name)
        row: dict[str, Any] = {"id": row_id}
        for column in _table(entity_name).columns:
            if column.key != "id":
                row[column.key] = column_default(column)
        for wire, value in values.items():
            row[entity.fields[wire].key] = value
        row["updated_at"] = stamp_time(plan.stamps[(entity_name, row_id)])
        inserts[entity_name].append(row)
    for entity_name in sorted(inserts, key=lambda e: _TABLE_ORDER[_table(e).name]):
        connection.execute(insert(_table(entity_name)), inserts[entity_name])
    groups: dict[tuple[str, frozenset[str]], list[dict[str, Any]]] = defaultdict(list)
    for (entity_name, row_id), values in plan.updates.items():
        entity = codec(entity_name)
        params = {entity.fields[w].key: v for w, v in values.items()}
        params["updated_at"] = stamp_time(plan.stamps[(entity_name, row_id)])
        groups[(entity_name, frozenset(params))].append({"_id": row_id, **params})
    for (entity_name, _), params_list in groups.items():
        table = _table(entity_name)
        connection.execute(update(table).where(table.c.id == bindparam("_id")), params_list)


def apply_changes(
    session: Session, clock: HybridLogicalClock, rows: Sequence[ChangeRow]
) -> Applied:
    """Apply change rows from other devices in the session's (write) transaction."""
    for row in rows:
        _check(row)
    fresh, duplicates = _new_rows(session, rows)
    applied = Applied(stored=len(fresh), duplicates=duplicates)
    pending = {(e, i) for e, i in json.loads(_read_local(session, PENDING_KEY) or "[]")}
    if not fresh and not pending:
        return applied
    if fresh:
        newest = max(r.hlc for r in fresh)
        clock.receive(newest)  # refuses a stamp far in the future before anything is written
        received = _read_local(session, RECEIVED_KEY)
        if received is None or newest > received:
            _write_local(session, RECEIVED_KEY, newest)
        _store(session, fresh)
    keys = {(r.entity, r.row_id) for r in fresh} | pending
    plan, current = _plan(session, keys)
    _write(session, plan)
    _write_local(session, PENDING_KEY, json.dumps(sorted([e, i] for e, i in plan.waiting)))
    applied.pending = len(plan.waiting)
    _report(applied, plan, current)
    return applied


def _report(applied: Applied, plan: _Plan, current: Mapping[Key, dict[str, Any]]) -> None:
    for key, values in (*plan.inserts.items(), *plan.updates.items()):
        entity_name, row_id = key
        entity = codec(entity_name)
        before = current.get(key, {})
        row = {**before, **{entity.fields[w].key: v for w, v in values.items()}, "id": row_id}
        applied.rows.setdefault(entity_name, []).append(row)
        for version in (before, row):
            contact = contact_of(entity_name, version) if version else None
            if contact:
                applied.contacts.add(contact)
