"""`ChangeSet`: what a service call changed, so each screen decides whether to refresh;
`ChangeRow`: one row of the change log, the unit of the sync wire (SYNC.md point 3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from crm_desktop.domain.errors import CrmError


class UndoConflictError(CrmError):
    """An undo would write over a field someone changed after the edit being undone."""


@dataclass(frozen=True)
class ApplyResult:
    """What applying a batch of another device's changes did."""

    stored: int  # change rows new to this device, stored as received
    duplicates: int  # rows this device had already (a repeated delivery)
    pending: int  # rows that cannot exist yet (waiting for their insert or a parent)
    changes: ChangeSet


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """One changed field as the change log keeps it and the wire carries it.

    `entity` and `field` are stable wire names; `value` is JSON text (for the field `*`,
    the object of a new row's fields); `base_hlc` is the stamp of the value the edit
    replaced. `(device_id, seq)` names a row on every device."""

    device_id: str
    seq: int
    hlc: str
    entity: str
    row_id: str
    field: str
    value: str | None
    base_hlc: str | None = None


@dataclass(frozen=True)
class ChangeSet:
    """Entities (table names) mapped to the ids of rows that changed, and the seqs of the
    change rows this device wrote for it (inclusive ranges), which undo inverts."""

    changed: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    own: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, entity: str, ids: Iterable[str]) -> ChangeSet:
        return cls(MappingProxyType({entity: frozenset(ids)}))

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> ChangeSet:
        grouped: dict[str, set[str]] = {}
        for entity, row_id in pairs:
            grouped.setdefault(entity, set()).add(row_id)
        return cls(MappingProxyType({k: frozenset(v) for k, v in grouped.items()}))

    def __or__(self, other: ChangeSet) -> ChangeSet:
        merged = {k: set(v) for k, v in self.changed.items()}
        for entity, ids in other.changed.items():
            merged.setdefault(entity, set()).update(ids)
        return ChangeSet(
            MappingProxyType({k: frozenset(v) for k, v in merged.items()}), self.own + other.own
        )

    def __bool__(self) -> bool:
        return any(self.changed.values())

    def touches(self, *entities: str) -> bool:
        """True if any row of the given entities changed."""
        return any(self.changed.get(e) for e in entities)

    def ids(self, entity: str) -> frozenset[str]:
        return self.changed.get(entity, frozenset())

    def own_seqs(self) -> list[int]:
        """The seqs of this device's change rows behind this change set, in order."""
        return sorted({s for first, last in self.own for s in range(first, last + 1)})
