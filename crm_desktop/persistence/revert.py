"""Undo by inverting this device's own change rows, field by field (SYNC.md point 15).

An edit is undone by giving each field it changed the value that field had before it,
and nothing else: a field someone else changed meanwhile is kept, and an edit that made
a row is undone by moving the row to the Trash. A field changed again after the edit
(by another device, or here) is not written over: the undo is refused with a message,
and nothing is changed.

The inverse goes through the ORM like any edit, so it is recorded, synced and can itself
be undone (which is redo).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm_desktop.domain.changes import UndoConflictError
from crm_desktop.persistence.compaction import compacted
from crm_desktop.persistence.models import Change
from crm_desktop.persistence.wire import INSERT_FIELD, codec

_CHUNK = 500


@dataclass(frozen=True)
class _Entry:
    hlc: str
    seq: int
    device_id: str
    field: str
    value: str | None

    @property
    def clock(self) -> tuple[str, int]:
        return (self.hlc, self.seq)


def _own_rows(session: Session, device_id: str, seqs: Sequence[int]) -> list[Change]:
    found: list[Change] = []
    for start in range(0, len(seqs), _CHUNK):
        chunk = list(seqs[start : start + _CHUNK])
        found.extend(
            session.scalars(
                select(Change).where(Change.device_id == device_id, Change.seq.in_(chunk))
            )
        )
    return sorted(found, key=lambda c: c.seq)


def _history(session: Session, row_id: str, fields: set[str]) -> list[_Entry]:
    stmt = select(Change.hlc, Change.seq, Change.device_id, Change.field, Change.value).where(
        Change.row_id == row_id,
        or_(Change.field.in_(sorted(fields)), Change.field == INSERT_FIELD),
    )
    return sorted((_Entry(*r) for r in session.execute(stmt)), key=lambda e: e.clock)


def _label(entity: str, field: str) -> str:
    noun = entity.removesuffix("s").replace("_", " ")
    return f"the {field.replace('_', ' ')} of this {noun}"


def _check_not_compacted(
    session: Session, device_id: str, seqs: Sequence[int], mine: Sequence[Change]
) -> None:
    """An edit from before the period history compaction keeps whole can't be undone:
    its rows, or the value a field had before it, may be gone."""
    facts = compacted(session)
    found = {c.seq for c in mine}
    horizon = facts.through.get(device_id, 0)
    removed = any(s <= horizon and s not in found for s in seqs)
    if removed or (facts.before and any(c.hlc < facts.before for c in mine)):
        raise UndoConflictError(
            "Can't undo: this edit is older than the history kept for undo. Edit it instead."
        )


def plan_revert(
    session: Session, device_id: str, seqs: Sequence[int]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The values that undo these change rows of this device: (entity, row id) ->
    {attribute: value}. Raises `UndoConflictError` if a field was changed since."""
    mine = _own_rows(session, device_id, seqs)
    _check_not_compacted(session, device_id, seqs, mine)
    groups: dict[tuple[str, str], list[Change]] = defaultdict(list)
    for change in mine:
        groups[(change.entity, change.row_id)].append(change)
    plan: dict[tuple[str, str], dict[str, Any]] = {}
    now = dt.datetime.now(dt.UTC)
    for (entity_name, row_id), changes in groups.items():
        entity = codec(entity_name)
        if any(c.field == INSERT_FIELD for c in changes):
            # It made the row: the row goes to the Trash (a tombstone others keep too).
            plan[(entity_name, row_id)] = {"deleted_at": now}
            continue
        fields = {c.field for c in changes if c.field in entity.fields}
        if not fields:
            continue
        history = _history(session, row_id, fields)
        own = {(c.hlc, c.seq) for c in changes}
        values: dict[str, Any] = {}
        for wire in sorted(fields):
            relevant = [e for e in history if e.field in (wire, INSERT_FIELD)]
            first = min(e.clock for e in relevant if e.clock in own and e.device_id == device_id)
            last = max(relevant, key=lambda e: e.clock)
            if last.clock not in own or last.device_id != device_id:
                where = "on another device" if last.device_id != device_id else "here"
                raise UndoConflictError(
                    f"Can't undo: {_label(entity_name, wire)} was changed {where} since. "
                    "Edit it instead."
                )
            before = [e for e in relevant if e.clock < first]
            if not before:
                value = entity.fields[wire].empty
            elif before[-1].field == INSERT_FIELD:
                value = entity.decode_insert(before[-1].value)[wire]
            else:
                value = entity.decode(wire, before[-1].value)
            values[entity.fields[wire].key] = value
        plan[(entity_name, row_id)] = values
    return plan


def revert(session: Session, device_id: str, seqs: Sequence[int]) -> int:
    """Undo these change rows of this device through the ORM (so the undo is recorded
    like any edit); returns how many rows it changed."""
    plan = plan_revert(session, device_id, seqs)
    changed = 0
    for (entity_name, row_id), values in plan.items():
        obj = session.get(codec(entity_name).model, row_id)
        if obj is None:
            continue
        if values.keys() == {"deleted_at"} and obj.deleted_at is not None and values["deleted_at"]:
            continue  # made by the edit, in the Trash already
        for key, value in values.items():
            if getattr(obj, key) != value:
                setattr(obj, key, value)
        changed += 1
    return changed
