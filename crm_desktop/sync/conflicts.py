"""Conflicts from the change log (SYNC.md point 7): computed per row from the changes
every device holds alike, so every device holding the same log shows the same list.

A change is *seen* by a later change of the same field whose base stamp (the stamp of
the value its author saw) is at or after it. The *heads* of a field are the changes no
other change has seen. The highest head is the value kept everywhere; every other head
from another device with a different value is a conflict: both sides changed the field
without seeing each other. A new edit of the field (keep mine, keep theirs, or any edit
made after seeing the kept value) sees both, and the conflict is gone.

A row deleted on one device and edited on another after the delete's stamp gives one
conflict of kind `deleted` (field `deleted_at`): the edit is in the Trash with the row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from crm_desktop.domain.changes import ChangeRow
from crm_desktop.domain.sync import ConflictRecord
from crm_desktop.persistence.changes import INSERT_FIELD
from crm_desktop.persistence.sync_store import insert_value, same_value, tracked_fields

DELETED = "deleted_at"


@dataclass(frozen=True)
class _Version:
    hlc: str
    seq: int
    device: str
    value: str | None
    base: str | None
    created: bool = False  # from the change that made the row

    @property
    def order(self) -> tuple[str, int]:
        return (self.hlc, self.seq)


def _conflict_id(kind: str, entity: str, row_id: str, field: str, lost: _Version) -> str:
    key = f"{kind}|{entity}|{row_id}|{field}|{lost.device}|{lost.seq}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _record(
    kind: str, entity: str, row_id: str, field: str, kept: _Version, lost: _Version
) -> ConflictRecord:
    return ConflictRecord(
        id=_conflict_id(kind, entity, row_id, field, lost),
        kind=kind,
        entity=entity,
        row_id=row_id,
        field=field,
        kept_value=kept.value,
        kept_device=kept.device,
        kept_hlc=kept.hlc,
        lost_value=lost.value,
        lost_device=lost.device,
        lost_hlc=lost.hlc,
    )


def _versions(entity: str, changes: Iterable[ChangeRow]) -> dict[str, list[_Version]]:
    fields = tracked_fields(entity)
    versions: dict[str, list[_Version]] = {}
    for c in changes:
        if c.field == INSERT_FIELD:
            for name in fields:
                value = insert_value(entity, name, c.value)
                versions.setdefault(name, []).append(
                    _Version(c.hlc, c.seq, c.device_id, value, None, created=True)
                )
        elif c.field in fields:
            versions.setdefault(c.field, []).append(
                _Version(c.hlc, c.seq, c.device_id, c.value, c.base_hlc)
            )
    return versions


def _differ(entity: str, field: str, first: str | None, second: str | None) -> bool:
    if field == DELETED:  # two deletes at different times agree: the row is deleted
        return (first is None or first == "null") != (second is None or second == "null")
    return not same_value(entity, field, first, second)


def row_conflicts(entity: str, row_id: str, changes: Iterable[ChangeRow]) -> list[ConflictRecord]:
    """The open conflicts of one row, given every change of it this device holds."""
    versions = _versions(entity, changes)
    found: list[ConflictRecord] = []
    kept_of: dict[str, _Version] = {}
    for field, options in versions.items():
        kept = max(options, key=lambda v: v.order)
        kept_of[field] = kept
        seen = max((v.base for v in options if v.base is not None), default="")
        for head in options:
            if (
                head is not kept
                and head.hlc > seen
                and head.device != kept.device
                and _differ(entity, field, head.value, kept.value)
            ):
                found.append(_record("field", entity, row_id, field, kept, head))
    deletion = kept_of.get(DELETED)
    if deletion is not None and deletion.value not in (None, "null"):
        edits = [
            v
            for field, options in versions.items()
            if field != DELETED
            for v in options
            if not v.created and v.device != deletion.device and v.hlc > deletion.hlc
        ]
        if edits:
            edit = max(edits, key=lambda v: v.order)
            lost = _Version(edit.hlc, edit.seq, edit.device, None, edit.base)
            found.append(_record("deleted", entity, row_id, DELETED, deletion, lost))
    return sorted(found, key=lambda r: (r.field, r.id))
