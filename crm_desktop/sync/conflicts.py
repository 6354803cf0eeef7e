"""Conflicts from the change log (SYNC.md point 7): computed per row from the changes
every device holds alike, so every device holding the same log shows the same list.

A change is *seen* by a later change of the same field whose base stamp (the stamp of
the value its author saw) is at or after it, or that its own device made later. The
*heads* of a field are the changes no other change has seen. The highest head is the
value kept everywhere; every other head from another device with a different value is
a conflict: both sides changed the field
without seeing each other. A new edit of the field (keep mine, keep theirs, or any edit
made after seeing the kept value) sees both, and the conflict is gone.

A row deleted on one device and edited on another after the delete's stamp gives one
conflict of kind `deleted` (field `deleted_at`): the edit is in the Trash with the row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from crm_desktop.domain.changes import ChangeRow
from crm_desktop.domain.sync import ConflictRecord
from crm_desktop.persistence.changes import INSERT_FIELD, encode_value
from crm_desktop.persistence.wire import codec

DELETED = "deleted_at"


@dataclass(frozen=True)
class _Version:
    hlc: str
    seq: int
    device: str
    raw: str | None  # the change's JSON text: the field's value, or a new row's object
    base: str | None
    created: bool = False  # from the change that made the row (`raw` is its object)

    @property
    def order(self) -> tuple[str, int]:
        return (self.hlc, self.seq)


class _Values:
    """Values of one row's versions, decoded only for the few compared or recorded."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self._inserts: dict[str | None, dict[str, Any]] = {}

    def json(self, field: str, version: _Version) -> str | None:
        if not version.created:
            return version.raw
        value = self._insert(version.raw).get(field)
        return None if value is None else encode_value(value)

    def decoded(self, field: str, version: _Version) -> Any:
        if version.created:
            return self._insert(version.raw).get(field)
        return codec(self.entity).decode(field, version.raw)

    def _insert(self, raw: str | None) -> dict[str, Any]:
        if raw not in self._inserts:
            self._inserts[raw] = codec(self.entity).decode_insert(raw)
        return self._inserts[raw]


def _conflict_id(kind: str, entity: str, row_id: str, field: str, lost: _Version) -> str:
    key = f"{kind}|{entity}|{row_id}|{field}|{lost.device}|{lost.seq}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _record(
    kind: str, entity: str, row_id: str, field: str, kept: _Version, lost: _Version, values: _Values
) -> ConflictRecord:
    return ConflictRecord(
        id=_conflict_id(kind, entity, row_id, field, lost),
        kind=kind,
        entity=entity,
        row_id=row_id,
        field=field,
        kept_value=values.json(field, kept),
        kept_device=kept.device,
        kept_hlc=kept.hlc,
        lost_value=None if kind == "deleted" else values.json(field, lost),
        lost_device=lost.device,
        lost_hlc=lost.hlc,
    )


def _versions(entity: str, changes: Iterable[ChangeRow]) -> dict[str, list[_Version]]:
    fields = codec(entity).fields
    versions: dict[str, list[_Version]] = {}
    for c in changes:
        if c.field == INSERT_FIELD:
            made = _Version(c.hlc, c.seq, c.device_id, c.value, None, created=True)
            for name in fields:
                versions.setdefault(name, []).append(made)
        elif c.field in fields:
            versions.setdefault(c.field, []).append(
                _Version(c.hlc, c.seq, c.device_id, c.value, c.base_hlc)
            )
    return versions


def _differ(values: _Values, field: str, first: _Version, second: _Version) -> bool:
    one, two = values.decoded(field, first), values.decoded(field, second)
    if field == DELETED:  # two deletes at different times agree: the row is deleted
        return (one is None) != (two is None)
    return bool(one != two)


def row_conflicts(entity: str, row_id: str, changes: Iterable[ChangeRow]) -> list[ConflictRecord]:
    """The open conflicts of one row, given every change of it this device holds."""
    versions = _versions(entity, changes)
    values = _Values(entity)
    found: list[ConflictRecord] = []
    kept_of: dict[str, _Version] = {}
    for field, options in versions.items():
        kept = max(options, key=lambda v: v.order)
        kept_of[field] = kept
        seen = max((v.base for v in options if v.base is not None), default="")
        latest: dict[str, _Version] = {}  # a device has seen its own earlier changes
        for v in options:
            if v.device not in latest or v.order > latest[v.device].order:
                latest[v.device] = v
        for head in latest.values():
            if (
                head is not kept
                and head.hlc > seen
                and head.device != kept.device
                and _differ(values, field, head, kept)
            ):
                found.append(_record("field", entity, row_id, field, kept, head, values))
    deletion = kept_of.get(DELETED)
    if deletion is not None and values.decoded(DELETED, deletion) is not None:
        edits = [
            v
            for field, options in versions.items()
            if field != DELETED
            for v in options
            if not v.created and v.device != deletion.device and v.hlc > deletion.hlc
        ]
        if edits:
            edit = max(edits, key=lambda v: v.order)
            found.append(_record("deleted", entity, row_id, DELETED, deletion, edit, values))
    return sorted(found, key=lambda r: (r.field, r.id))
