"""Times written by the bulk path (`UnitOfWork.insert_rows`) on both databases: the rows
go to the driver with their times as stored text (SQLite's INSERT, PostgreSQL's COPY), so
an aware time of any zone must arrive as the same instant, in the row and in its change
record, and read back as the ORM would have written it."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ContactDraft, EmailEntry
from crm_desktop.persistence.models import Change, Company, Contact, ContactEmail
from crm_desktop.persistence.records_map import insert_contacts

COMPANY = "0190e1c2-0000-7000-8000-0000000000d1"
# 09:15:30.123456 in Berlin (UTC+1 in winter) and 20:45 in Kolkata (UTC+5:30)
BERLIN = dt.datetime(2026, 1, 5, 9, 15, 30, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1)))
KOLKATA = dt.datetime(2026, 1, 5, 20, 45, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))


def _insert_value(app: AppContext, row_id: str) -> dict[str, object]:
    with app.uow.read() as uow:
        value = uow.session.execute(
            select(Change.value).where(Change.row_id == row_id, Change.field == "*")
        ).scalar_one()
    record = json.loads(value)
    assert isinstance(record, dict)
    return record


def test_aware_times_of_any_zone_are_stored_as_their_instant(app: AppContext) -> None:
    with app.uow() as uow:
        uow.insert_rows(Company, [{"id": COMPANY, "name": "Zeitzone AG", "created_at": KOLKATA}])
        (contact_id,) = insert_contacts(
            uow, [ContactDraft(first_name="Ida", emails=(EmailEntry("ida@zone.example"),))],
            created_at=[BERLIN],
        )  # fmt: skip
        uow.commit()
    with app.uow.read() as uow:
        contact = uow.session.get(Contact, contact_id)
        company = uow.session.get(Company, COMPANY)
        email = uow.session.scalars(
            select(ContactEmail).where(ContactEmail.contact_id == contact_id)
        ).one()
        assert contact is not None and company is not None
        assert contact.created_at == contact.updated_at == BERLIN
        assert contact.created_at.tzinfo == dt.UTC and contact.deleted_at is None
        assert email.created_at == BERLIN and email.deleted_at is None
        assert company.created_at == company.updated_at == KOLKATA
    assert _insert_value(app, contact_id)["created_at"] == "2026-01-05T08:15:30.123456Z"
    assert _insert_value(app, COMPANY)["created_at"] == "2026-01-05T15:15:00.000000Z"
