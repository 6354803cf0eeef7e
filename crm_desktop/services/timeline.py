"""The timeline of a record: activities, deals, orders, consent and field changes, newest
first."""

from __future__ import annotations

import datetime as dt
import json
from itertools import groupby

from crm_desktop.domain.records import TimelineEntry, TimelineKind
from crm_desktop.persistence.changes import INSERT_FIELD
from crm_desktop.persistence.models import Change
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory

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


def _money(cents: int, currency: str) -> str:
    return f"{cents / 100:,.2f} {currency}"


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
                            f"{stage} ({kind}) · {_money(deal.value_cents, deal.currency)}",
                            deal.id,
                        )
                    )
                for order in repo.orders(entity, record_id, limit):
                    entries.append(
                        TimelineEntry(
                            _when(order.ordered_on),
                            TimelineKind.ORDER,
                            f"Order {order.number}".strip(),
                            f"{_money(order.amount_cents, order.currency)} · {order.description}",
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

    @staticmethod
    def _field_changes(uow: UnitOfWork, changes: list[Change]) -> list[TimelineEntry]:
        tag_names = {t.id: t.name for t in uow.tags.all()}
        entries: list[TimelineEntry] = []
        for (hlc, entity, row_id), group in groupby(
            changes, key=lambda c: (c.hlc, c.entity, c.row_id)
        ):
            rows = list(group)
            fields = {c.field: c for c in rows}
            child = _CHILD_NAMES.get(entity)
            at = _hlc_time(hlc)
            if INSERT_FIELD in fields:
                values = json.loads(fields[INSERT_FIELD].value or "{}")
                if values.get("created_at"):  # imported or demo rows keep their own time
                    at = dt.datetime.fromisoformat(values["created_at"].replace("Z", "+00:00"))
                if child is None:
                    title, detail = "Created", ""
                elif entity == "taggings":
                    title, detail = "Tagged", tag_names.get(values.get("tag_id", ""), "")
                else:
                    title = f"Added {child}"
                    detail = ", ".join(
                        str(v)
                        for k, v in values.items()
                        if k not in _HIDDEN and k != "label" and not k.endswith("_id") and v
                    )
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
        return entries
