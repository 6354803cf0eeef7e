"""A record's page from the timeline service: one "Created" entry for a new record, edits
after it as entries of their own, its deals and its next activity."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.pipeline import DealDraft
from crm_desktop.domain.records import (
    ActivityDraft,
    AddressEntry,
    CompanyDraft,
    ContactDraft,
    EmailEntry,
    ListQuery,
    PhoneEntry,
    RoleEntry,
    TimelineKind,
)
from tests.databases import connect


def _changes(app: AppContext, contact_id: str) -> list[tuple[str, str]]:
    return [
        (e.title, e.detail)
        for e in app.timeline.timeline("contacts", contact_id)
        if e.kind is TimelineKind.CHANGE
    ]


def test_a_new_contact_is_one_created_entry_listing_what_it_came_with(app: AppContext) -> None:
    company = app.companies.create(CompanyDraft(name="Harbor Media Ltd")).id
    contact = app.contacts.create(
        ContactDraft(
            first_name="Ada",
            last_name="Lovelace",
            emails=(EmailEntry("ada@example.org"),),
            phones=(PhoneEntry("+44 20 7946 0018"),),
            addresses=(AddressEntry("1 Main St", "London", "", "N1 9GU", "UK"),),
            roles=(RoleEntry(company, "CFO"),),
            tags=("VIP",),
        )
    ).id
    [(title, detail)] = _changes(app, contact)
    assert title == "Created"
    for part in (
        "e-mail ada@example.org",
        "phone +44 20 7946 0018",
        "address 1 Main St, N1 9GU London, UK",
        "company role CFO at Harbor Media Ltd",
        "tag VIP",
    ):
        assert part in detail


def _made_a_minute_ago(app: AppContext, row_id: str) -> None:
    """As if the row had been written a minute ago (no test waits for the clock)."""
    with connect(app) as conn:
        (value,) = conn.execute(
            "SELECT value FROM change WHERE row_id = ? AND field = '*'", (row_id,)
        ).fetchone()
        values = json.loads(value)
        made = dt.datetime.fromisoformat(values["created_at"].replace("Z", "+00:00"))
        values["created_at"] = (made - dt.timedelta(minutes=1)).isoformat()
        conn.execute(
            "UPDATE change SET value = ? WHERE row_id = ? AND field = '*'",
            (json.dumps(values), row_id),
        )


def test_edits_after_creation_stay_entries_of_their_own(app: AppContext) -> None:
    contact = app.contacts.create(ContactDraft(first_name="Ada", last_name="Lovelace")).id
    _made_a_minute_ago(app, contact)
    draft = app.contacts.get(contact).to_draft()
    app.contacts.update(contact, replace(draft, phones=(PhoneEntry("+49 30 1234567"),)))
    entries = _changes(app, contact)
    assert [title for title, _ in entries] == ["Added phone", "Created"]
    assert entries[0][1] == "+49 30 1234567"
    assert entries[1][1] == ""  # created with a name only


def test_an_imported_contact_is_one_created_entry(app: AppContext, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(
        "First name,Last name,E-mail,Phone\nAda,Lovelace,ada@example.org,+44 20 7946 0018\n"
    )
    app.imports.run(source)
    [contact] = app.contacts.ids(ListQuery(search="lovelace"))
    [(title, detail)] = _changes(app, contact)
    assert title == "Created" and "ada@example.org" in detail and "phone" in detail


def _deal(app: AppContext, contact: str, title: str, cents: int, stage: str = "") -> str:
    draft = app.deals.new_draft(None, contact)
    stage_id = stage or draft.stage_id
    return app.deals.create(
        DealDraft(**{**draft.__dict__, "title": title, "value_cents": cents, "stage_id": stage_id})
    ).id


def test_the_deals_of_a_contact_and_its_company_open_ones_first(app: AppContext) -> None:
    app.pipeline.ensure_default()
    company = app.companies.create(CompanyDraft(name="Harbor Media Ltd")).id
    contact = app.contacts.create(
        ContactDraft(first_name="Ada", last_name="Lovelace", roles=(RoleEntry(company),))
    ).id
    won = next(s for s in app.pipeline.pipelines()[0].stages if s.kind == "won")
    closed = _deal(app, contact, "Old order", 5_000_00, won.id)
    open_ = _deal(app, contact, "Website relaunch", 12_000_00)
    deals = app.timeline.deals_of("contacts", contact)
    assert [d.id for d in deals] == [open_, closed]
    assert deals[0].title == "Website relaunch" and deals[0].value_cents == 12_000_00
    assert deals[0].stage == app.pipeline.pipelines()[0].stages[0].name
    assert {d.id for d in app.timeline.deals_of("companies", company)} == {open_, closed}


def test_the_next_activity_is_the_overdue_one_else_the_earliest_to_come(app: AppContext) -> None:
    contact = app.contacts.create(ContactDraft(first_name="Ada", last_name="Lovelace")).id
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    assert app.timeline.next_activity("contacts", contact, now) is None
    app.activities.log_call(contact, "Spoke about prices", started_at=now - dt.timedelta(days=9))
    later = app.activities.schedule(contact, "meeting", "Demo", now + dt.timedelta(days=5)).id
    soon = app.activities.schedule(contact, "call", "Call back", now + dt.timedelta(days=1)).id
    found = app.timeline.next_activity("contacts", contact, now)
    assert found is not None and (found.id, found.overdue) == (soon, False)
    late = app.activities.schedule(contact, "task", "Send quote", now - dt.timedelta(days=2)).id
    found = app.timeline.next_activity("contacts", contact, now)
    assert found is not None and (found.id, found.subject, found.overdue) == (
        late,
        "Send quote",
        True,
    )
    app.activities.delete([late, soon])
    found = app.timeline.next_activity("contacts", contact, now)
    assert found is not None and found.id == later


def test_a_series_is_next_by_its_next_occurrence(app: AppContext) -> None:
    contact = app.contacts.create(ContactDraft(first_name="Ada", last_name="Lovelace")).id
    first = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)  # a Monday, weekly
    app.calendar.create(
        ActivityDraft("call", "Weekly call", first, 30, rrule="FREQ=WEEKLY", contact_id=contact)
    )
    now = dt.datetime(2026, 6, 3, 12, tzinfo=dt.UTC)  # a Wednesday
    found = app.timeline.next_activity("contacts", contact, now)
    assert found is not None and not found.overdue
    assert found.start == dt.datetime(2026, 6, 8, 9, tzinfo=dt.UTC)
