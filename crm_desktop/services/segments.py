"""Saved segments: a named filter of the contacts list (search, tag, owner, company).

The richer filter builder (behaviour, RFM, consent) arrives with segments and campaigns;
the saved definition is JSON, so it can grow without a migration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import ListQuery, Saved
from crm_desktop.persistence.models import Segment
from crm_desktop.services._common import UowFactory, require

_FIELDS = ("search", "tag", "owner_id", "company_id")


@dataclass(frozen=True)
class SegmentRecord:
    id: str
    name: str
    query: ListQuery


def _query(text: str) -> ListQuery:
    try:
        raw = json.loads(text or "{}")
    except ValueError:
        raw = {}
    values = {k: raw[k] for k in _FIELDS if isinstance(raw, dict) and k in raw}
    return ListQuery(**values)


class SegmentService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def save(self, name: str, query: ListQuery) -> Saved:
        """Save the list's current filters under a name."""
        if not name.strip():
            raise ValidationError("a segment needs a name")
        definition = {k: getattr(query, k) for k in _FIELDS if getattr(query, k)}
        if not definition:
            raise ValidationError(
                "set a search or a filter first: a segment of everyone is the whole list"
            )
        with self._uow() as uow:
            segment = uow.repository(Segment).add(
                Segment(name=name.strip(), filter=json.dumps(definition))
            )
            uow.session.flush()
            return Saved(segment.id, uow.commit())

    def list(self) -> list[SegmentRecord]:
        """Every live segment, by name."""
        with self._uow.read() as uow:
            rows = sorted(uow.repository(Segment).all(), key=lambda s: s.name.casefold())
            return [SegmentRecord(s.id, s.name, _query(s.filter)) for s in rows]

    def query(self, segment_id: str) -> ListQuery:
        with self._uow.read() as uow:
            return _query(require(uow.repository(Segment), segment_id, "segment").filter)
