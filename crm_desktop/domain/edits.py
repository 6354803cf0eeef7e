"""Two people editing one record at once: what the editor opened with, what is stored
now, and what this person wants to save. A field both changed, to different values, is
a conflict: the person sees both values and decides, nothing is overwritten silently.
A field only the other person changed is kept; a field only this person changed is saved.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from crm_desktop.domain.errors import CrmError


@dataclass(frozen=True)
class FieldConflict:
    field: str
    theirs: Any  # stored now, saved by someone else since the editor opened
    mine: Any  # what this person is saving


def edit_conflicts(opened: Any, current: Any, mine: Any) -> tuple[FieldConflict, ...]:
    """The fields of three drafts of one record (dataclasses of the same type) that both
    sides changed since `opened`, to different values."""
    found = []
    for item in dataclasses.fields(mine):
        before = getattr(opened, item.name)
        now = getattr(current, item.name)
        wanted = getattr(mine, item.name)
        if before not in (now, wanted) and now != wanted:
            found.append(FieldConflict(item.name, now, wanted))
    return tuple(found)


def merged(opened: Any, current: Any, mine: Any) -> Any:
    """`mine` with every field only the other side changed taken from `current`."""
    values = {}
    for item in dataclasses.fields(mine):
        before = getattr(opened, item.name)
        now = getattr(current, item.name)
        wanted = getattr(mine, item.name)
        values[item.name] = now if wanted == before and now != before else wanted
    return dataclasses.replace(mine, **values)


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(_shown(v) for v in value) or "(none)"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return " ".join(str(v) for v in dataclasses.astuple(value) if v not in (None, ""))
    return "(empty)" if value in (None, "") else str(value)


class EditConflictError(CrmError):
    """Someone else changed a field this person is saving, to another value."""

    def __init__(self, conflicts: tuple[FieldConflict, ...], current: Any) -> None:
        self.conflicts = conflicts
        self.current = current  # the stored draft, for saving over it knowingly
        lines = [
            f"{c.field.replace('_', ' ')}: theirs “{_shown(c.theirs)}”, yours “{_shown(c.mine)}”"
            for c in conflicts
        ]
        super().__init__("someone else changed this since you opened it: " + "; ".join(lines))
