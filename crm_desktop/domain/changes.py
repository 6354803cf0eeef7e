"""`ChangeSet`: what a service call changed, so each screen decides whether to refresh."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class ChangeSet:
    """Entities (table names) mapped to the ids of rows that changed."""

    changed: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))

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
        return ChangeSet(MappingProxyType({k: frozenset(v) for k, v in merged.items()}))

    def __bool__(self) -> bool:
        return any(self.changed.values())

    def touches(self, *entities: str) -> bool:
        """True if any row of the given entities changed."""
        return any(self.changed.get(e) for e in entities)

    def ids(self, entity: str) -> frozenset[str]:
        return self.changed.get(entity, frozenset())
