"""Saved segments: named filters of contacts (domain.segments), counted and listed in SQL.

A segment is stored as the JSON of its filter (the format in the README), so the
contacts list, exports, campaigns and the command line read the same definition. A
segment saved from the list's search and filters (the older form) reads as a filter too.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import NotFoundError, ValidationError
from crm_desktop.domain.records import ListQuery, Saved
from crm_desktop.domain.rfm import RfmScore
from crm_desktop.domain.segments import (
    Condition,
    Group,
    SegmentRecord,
    filter_to_json,
    parse_filter,
)
from crm_desktop.persistence.models import Segment
from crm_desktop.services._common import UowFactory, now, require

__all__ = ["SegmentRecord", "SegmentService", "filter_from_query"]


def _filter(text: str) -> Group:
    try:
        return parse_filter(json.loads(text or "{}"))
    except (ValueError, ValidationError):
        return Group()  # a definition this version cannot read matches everyone


def filter_from_query(query: ListQuery) -> Group:
    """The list's search and filters (and its segment, if any) as one filter."""
    items: list[Condition | Group] = []
    if query.search.strip():
        items.append(Condition("search", "matches", query.search.strip()))
    if query.tag:
        items.append(Condition("tag", "has", query.tag))
    if query.owner_id:
        items.append(Condition("owner", "is", query.owner_id))
    if query.company_id:
        items.append(Condition("company", "is", query.company_id))
    if query.segment is not None and not query.segment.empty:
        segment = query.segment
        items += list(segment.items) if not (segment.any or segment.negate) else [segment]
    return Group(tuple(items))


def query_from_filter(group: Group) -> ListQuery:
    """The inverse of `filter_from_query` as far as the list's search box goes."""
    if group.any or group.negate:
        return ListQuery(segment=group)
    searches = [c for c in group.items if isinstance(c, Condition) and c.field == "search"]
    if len(searches) != 1:
        return ListQuery(segment=group)
    rest = tuple(x for x in group.items if x is not searches[0])
    return ListQuery(search=str(searches[0].value), segment=Group(rest) if rest else None)


def read_filter_file(path: Path) -> Group:
    """A filter from a JSON file; a missing or malformed file is a ValidationError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"{path} is not JSON: {exc}") from None
    return parse_filter(data)


class SegmentService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def save(self, name: str, definition: Group | ListQuery) -> Saved:
        """Save a filter (or the list's current filters) under a name; a segment of that
        name already there gets the new filter."""
        name = name.strip()
        if not name:
            raise ValidationError("a segment needs a name")
        group = filter_from_query(definition) if isinstance(definition, ListQuery) else definition
        if group.empty:
            raise ValidationError(
                "set a search or a filter first: a segment of everyone is the whole list"
            )
        text = json.dumps(filter_to_json(group), ensure_ascii=False)
        with self._uow() as uow:
            repo = uow.repository(Segment)
            same = [s for s in repo.all() if s.name.casefold() == name.casefold()]
            if same:
                segment = same[0]
                if segment.filter != text:
                    segment.filter = text
            else:
                segment = repo.add(Segment(name=name, filter=text))
            uow.flush()
            return Saved(segment.id, uow.commit())

    def list(
        self, counts: bool = False, today: dt.date | None = None
    ) -> builtins.list[SegmentRecord]:
        """Every live segment, by name (with how many contacts each holds, if asked)."""
        with self._uow.read() as uow:
            rows = sorted(uow.repository(Segment).all(), key=lambda s: s.name.casefold())
            records = [SegmentRecord(s.id, s.name, _filter(s.filter)) for s in rows]
            if not counts:
                return records
            return [
                SegmentRecord(
                    r.id,
                    r.name,
                    r.filter,
                    uow.contacts.count(ListQuery(segment=r.filter, today=today)),
                )
                for r in records
            ]

    def find(self, name_or_id: str) -> SegmentRecord:
        """A segment by id or name (any case)."""
        wanted = name_or_id.strip()
        with self._uow.read() as uow:
            for s in uow.repository(Segment).all():
                if wanted in (s.id,) or s.name.casefold() == wanted.casefold():
                    return SegmentRecord(s.id, s.name, _filter(s.filter))
        raise NotFoundError(f"no segment named {wanted!r} (see: crm-desktop segments)")

    def query(self, segment_id: str) -> ListQuery:
        """The contacts list's query showing a segment (a search of its own goes to the
        list's search box, the rest stays a filter)."""
        with self._uow.read() as uow:
            segment = require(uow.repository(Segment), segment_id, "segment")
            return query_from_filter(_filter(segment.filter))

    def count(self, group: Group, today: dt.date | None = None) -> int:
        """How many live contacts the filter matches (the builder's live count)."""
        with self._uow.read() as uow:
            return uow.contacts.count(ListQuery(segment=group, today=today))

    def ids(self, group: Group, today: dt.date | None = None) -> builtins.list[str]:
        """The ids of the live contacts the filter matches, in list order."""
        with self._uow.read() as uow:
            return uow.contacts.ids(ListQuery(segment=group, today=today))

    def rfm(self, contact_id: str) -> RfmScore | None:
        """A contact's RFM scores and class among every buyer (None: never bought)."""
        with self._uow.read() as uow:
            return uow.contacts.segment_compiler().rfm_of(contact_id)

    def rename(self, segment_id: str, name: str) -> ChangeSet:
        if not name.strip():
            raise ValidationError("a segment needs a name")
        with self._uow() as uow:
            segment = require(uow.repository(Segment), segment_id, "segment")
            segment.name = name.strip()
            return uow.commit()

    def delete(self, segment_ids: Sequence[str]) -> ChangeSet:
        """Move segments to the Trash (their contacts stay)."""
        with self._uow() as uow:
            repo = uow.repository(Segment)
            for segment_id in segment_ids:
                require(repo, segment_id, "segment").deleted_at = now()
            return uow.commit()
