"""Bulk edits of a selection and how each is taken back as one step.

A bulk operation (tag, untag, owner, stage, Trash) returns a `BulkResult`; its `undo` is
a `BulkUndo` that `BulkService.undo` applies in one transaction, returning a result whose
`undo` redoes the operation. Undo only writes back rows that still hold what the
operation wrote (SYNC.md point 15: never over an edit made since, here or elsewhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crm_desktop.domain.changes import ChangeSet

Values = tuple[Any, ...]


@dataclass(frozen=True)
class FieldEdit:
    """Rows of one table whose `fields` go from `before` to `after`; applied only to rows
    whose fields still hold `before`."""

    entity: str
    fields: tuple[str, ...]
    rows: tuple[tuple[str, Values, Values], ...]  # (row id, before, after)

    def inverted(self) -> FieldEdit:
        return FieldEdit(self.entity, self.fields, tuple((i, a, b) for i, b, a in self.rows))

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class TrashEdit:
    """Rows of one table moved to the Trash (`deleted`) or back; rows already there are
    left alone."""

    entity: str
    ids: tuple[str, ...]
    deleted: bool

    def inverted(self) -> TrashEdit:
        return TrashEdit(self.entity, self.ids, not self.deleted)

    def __len__(self) -> int:
        return len(self.ids)


Edit = FieldEdit | TrashEdit


@dataclass(frozen=True)
class BulkUndo:
    """What takes a bulk operation back, as one step (`BulkService.undo`)."""

    label: str  # what the undo step is called: "Tag 5,000 contacts"
    entity: str  # the records the operation was about ("contacts", "deals"...)
    ids: tuple[str, ...]  # those of them it changed
    edits: tuple[Edit, ...]

    def __bool__(self) -> bool:
        return any(len(e) for e in self.edits)


@dataclass(frozen=True)
class BulkResult:
    """What a bulk operation did: how many of the selected records it changed (those
    already as wanted are left alone), which, what changed, and how to take it back."""

    label: str
    entity: str
    ids: tuple[str, ...]
    changes: ChangeSet
    undo: BulkUndo

    @property
    def count(self) -> int:
        return len(self.ids)


def inverse(label: str, entity: str, ids: Sequence[str], done: Sequence[Edit]) -> BulkUndo:
    """The undo of edits just applied: each inverted, in the opposite order."""
    return BulkUndo(label, entity, tuple(ids), tuple(e.inverted() for e in reversed(done)))


def plural(count: int, noun: str) -> str:
    """ "1 contact", "5,000 contacts" (nouns of the bulk labels: contact, deal, company)."""
    if count == 1:
        return f"1 {noun}"
    return f"{count:,} {'companies' if noun == 'company' else noun + 's'}"
