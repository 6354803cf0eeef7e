"""The timeline of a record: activities, deals, orders, consent and field changes, newest
first."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from itertools import groupby
from typing import Any

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.formatting import format_address, format_money
from crm_desktop.domain.phones import display_phone
from crm_desktop.domain.records import (
    AddressEntry,
    NextActivity,
    RelatedDeal,
    TimelineEntry,
    TimelineKind,
)
from crm_desktop.domain.recurrence import occurrences
from crm_desktop.persistence.changes import INSERT_FIELD
from crm_desktop.persistence.models import Activity, Change
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory
from crm_desktop.services.calendar.files import parse_dates

ADDRESS_FIELDS = ("street", "city", "region", "postcode", "country")

_FIELD_NAMES = {
    "first_name": "first name",
    "last_name": "last name",
    "email": "e-mail",
    "number": "phone",
    "lead_source": "lead source",
    "owner_id": "owner",
    "company_id": "company",
    "deleted_at": "trash",
    "birthday": "birthday",
}
_CHILD_NAMES = {
    "contact_emails": "e-mail",
    "contact_phones": "phone",
    "contact_addresses": "address",
    "contact_roles": "company role",
    "taggings": "tag",
}
_HIDDEN = {
    "sort_name",
    "position",
    "created_at",
    "id",
    "contact_id",
    "target_kind",
    "target_id",
    "tag_id",
}


def _when(value: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _hlc_time(hlc: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(hlc.split("-", 1)[0], 16) / 1000, tz=dt.UTC)


class TimelineService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def timeline(self, entity: str, record_id: str, limit: int = 200) -> list[TimelineEntry]:
        """Everything that happened to a contact, company or deal, newest first."""
        entries: list[TimelineEntry] = []
        with self._uow.read() as uow:
            repo = uow.timeline
            for a in repo.activities(entity, record_id, limit):
                when = a.done_at or a.starts_at or a.created_at
                state = "done" if a.done else "planned"
                detail = a.outcome if a.done and a.outcome else a.notes
                entries.append(
                    TimelineEntry(
                        when,
                        TimelineKind.ACTIVITY,
                        f"{a.kind.capitalize()} ({state}): {a.subject}",
                        detail,
                        a.id,
                    )
                )
            if entity in ("contacts", "companies"):
                for deal, stage, kind in repo.deals(entity, record_id, limit):
                    when = deal.closed_at or deal.created_at
                    entries.append(
                        TimelineEntry(
                            when,
                            TimelineKind.DEAL,
                            f"Deal {deal.title}",
                            f"{stage} ({kind}) · {format_money(deal.value_cents, deal.currency)}",
                            deal.id,
                        )
                    )
                for order in repo.orders(entity, record_id, limit):
                    entries.append(
                        TimelineEntry(
                            _when(order.ordered_on),
                            TimelineKind.ORDER,
                            f"Order {order.number}".strip(),
                            f"{format_money(order.amount_cents, order.currency)}"
                            f" · {order.description}",
                            order.id,
                        )
                    )
            if entity == "contacts":
                for c in repo.consents(record_id, limit):
                    entries.append(
                        TimelineEntry(
                            c.withdrawn_at or c.recorded_at,
                            TimelineKind.CONSENT,
                            f"Consent {c.status}: {c.purpose.replace('_', ' ')}",
                            f"{c.lawful_basis} · {c.source}".strip(" ·"),
                            c.id,
                        )
                    )
                row_ids = repo.child_ids(record_id)
            else:
                row_ids = [record_id]
            entries.extend(self._field_changes(uow, repo.changes(row_ids, limit * 4)))
        entries.sort(key=lambda e: e.at, reverse=True)
        return entries[:limit]

    def deals_of(self, entity: str, record_id: str, limit: int = 200) -> list[RelatedDeal]:
        """The deals of a contact or company, open ones first, newest first within."""
        with self._uow.read() as uow:
            rows = uow.timeline.deals(entity, record_id, limit)
            deals = [
                RelatedDeal(d.id, d.title, stage, kind, d.value_cents, d.currency)
                for d, stage, kind in rows
            ]
        return sorted(deals, key=lambda d: d.stage_kind != "open")

    def next_activity(
        self, entity: str, record_id: str, now: dt.datetime | None = None
    ) -> NextActivity | None:
        """The contact's or company's next activity not done yet: an overdue one first,
        else the earliest to come (a recurring one by its next occurrence)."""
        now = now or dt.datetime.now(dt.UTC)
        found: list[NextActivity] = []
        with self._uow.read() as uow:
            for a in uow.timeline.open_activities(entity, record_id, 50):
                start = a.starts_at
                if start is None:
                    continue
                if a.rrule:
                    start = _next_occurrence(a, now)
                    if start is None:
                        continue
                overdue = start < now and not a.rrule
                found.append(NextActivity(a.id, a.kind, a.subject, start, a.all_day, overdue))
        return min(found, key=lambda n: n.start, default=None)

    @staticmethod
    def _field_changes(uow: UnitOfWork, changes: list[Change]) -> list[TimelineEntry]:
        """One entry per write of a row; a record's own creation is one "Created" entry
        that lists the e-mails, phones, addresses, roles and tags it was created with;
        rows added later are entries of their own."""
        tag_names = {t.id: t.name for t in uow.tags.all()}
        groups = [
            (hlc, entity, row_id, list(group))
            for (hlc, entity, row_id), group in groupby(
                changes, key=lambda c: (c.hlc, c.entity, c.row_id)
            )
        ]
        # When the record was made: its child rows written with it (by its editor, an
        # import or the demo: the same moment, or a few milliseconds later) are part of
        # its "Created" entry.
        born = next(
            (
                _insert_time(hlc, rows)
                for hlc, entity, _row, rows in groups
                if entity not in _CHILD_NAMES and any(c.field == INSERT_FIELD for c in rows)
            ),
            None,
        )
        created_with: list[tuple[int, str]] = []
        created: list[int] = []  # the index of the "Created" entry
        entries: list[TimelineEntry] = []
        for hlc, entity, row_id, rows in groups:
            fields = {c.field: c for c in rows}
            child = _CHILD_NAMES.get(entity)
            at = _hlc_time(hlc)
            if INSERT_FIELD in fields:
                values = json.loads(fields[INSERT_FIELD].value or "{}")
                at = _insert_time(hlc, rows)
                if child is not None and born is not None and born <= at <= born + _WITH_IT:
                    order = _CHILD_ORDER.index(entity)
                    created_with.append((order, _child_text(entity, values, tag_names, uow)))
                    continue
                if child is None:
                    created.append(len(entries))
                    title, detail = "Created", ""
                elif entity == "taggings":
                    title, detail = "Tagged", tag_names.get(values.get("tag_id", ""), "")
                else:
                    title, detail = f"Added {child}", _child_value(entity, values, uow)
            elif "deleted_at" in fields:
                gone = json.loads(fields["deleted_at"].value or "null") is not None
                what = child or "record"
                title = (
                    (f"Removed {what}" if child else "Moved to Trash")
                    if gone
                    else (f"Restored {what}" if child else "Restored from Trash")
                )
                detail = ""
            else:
                names = [
                    _FIELD_NAMES.get(f, f.replace("_", " ")) for f in fields if f not in _HIDDEN
                ]
                if not names:
                    continue
                title = f"Changed {child + ' ' if child else ''}{', '.join(names)}"
                detail = "; ".join(
                    f"{_FIELD_NAMES.get(c.field, c.field.replace('_', ' '))}: "
                    f"{json.loads(c.value) if c.value else ''}"
                    for c in rows
                    if c.field not in _HIDDEN and not c.field.endswith("_id")
                )
            entries.append(TimelineEntry(at, TimelineKind.CHANGE, title, detail, row_id))
        parts = [text for _order, text in sorted(created_with) if text]
        for index in created:
            entry = entries[index]
            if parts:
                detail = "with " + "; ".join(parts)
                entries[index] = replace(entry, detail=detail)
        return entries


_CHILD_ORDER = tuple(_CHILD_NAMES)
_WITH_IT = dt.timedelta(seconds=2)


def _insert_time(hlc: str, rows: list[Change]) -> dt.datetime:
    """When a row was made: imported or demo rows keep their own time, else its stamp."""
    insert = next(c for c in rows if c.field == INSERT_FIELD)
    made = json.loads(insert.value or "{}").get("created_at")
    if made:
        return dt.datetime.fromisoformat(made.replace("Z", "+00:00"))
    return _hlc_time(hlc)


def _child_value(entity: str, values: dict[str, Any], uow: UnitOfWork) -> str:
    """What a child row holds, as the record page writes it."""
    if entity == "contact_roles":
        company = uow.companies.get(values.get("company_id") or "", include_deleted=True)
        name = company.name if company is not None else ""
        return " at ".join(p for p in (str(values.get("title") or ""), name) if p)
    if entity == "contact_addresses":
        fields = {f: str(values.get(f) or "") for f in ADDRESS_FIELDS}
        return format_address(AddressEntry(**fields))
    if entity == "contact_phones":
        return display_phone(str(values.get("number") or ""))
    return ", ".join(
        str(v)
        for k, v in values.items()
        if k not in _HIDDEN and k != "label" and not k.endswith("_id") and v
    )


def _child_text(
    entity: str, values: dict[str, Any], tag_names: dict[str, str], uow: UnitOfWork
) -> str:
    if entity == "taggings":
        return f"tag {tag_names.get(values.get('tag_id', ''), '')}".strip()
    value = _child_value(entity, values, uow)
    return f"{_CHILD_NAMES[entity]} {value}".strip()


def _next_occurrence(activity: Activity, now: dt.datetime) -> dt.datetime | None:
    start = activity.starts_at
    if start is None:
        return None
    raw = activity.exdates
    try:
        exdates = [dt.datetime.fromisoformat(v) for v in json.loads(raw)] if raw else []
        found = occurrences(
            start,
            activity.rrule,
            exdates,
            now,
            now + dt.timedelta(days=400),
            "" if activity.all_day else activity.timezone,
            parse_dates(activity.rdates),
        )
    except (ValidationError, ValueError, TypeError):
        return None
    return found[0] if found else None
