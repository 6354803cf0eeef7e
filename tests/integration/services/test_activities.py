"""Quick actions on a contact (services/activities.py): what a logged call stores, a
note, a follow-up due at 10:00 local N days from today."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import ContactDraft


@pytest.fixture
def contact_id(app: AppContext) -> str:
    return app.contacts.create(ContactDraft(first_name="Ada", last_name="Lovelace")).id


def test_log_call_stores_outcome_duration_and_time(app: AppContext, contact_id: str) -> None:
    start = dt.datetime(2026, 11, 20, 14, 30, tzinfo=dt.UTC)
    saved = app.activities.log_call(contact_id, "  Wants a quote  ", 20, start)
    assert saved.changes.ids("activities") == {saved.id}
    draft = app.calendar.get(saved.id).draft
    assert (draft.kind, draft.start, draft.minutes, draft.done) == ("call", start, 20, True)
    assert draft.outcome == "Wants a quote"


def test_log_call_by_default_has_just_ended(app: AppContext, contact_id: str) -> None:
    before = dt.datetime.now(dt.UTC)
    draft = app.calendar.get(app.activities.log_call(contact_id, "Left a message").id).draft
    assert draft.minutes == 15
    end = draft.start + dt.timedelta(minutes=15)
    assert before <= end <= dt.datetime.now(dt.UTC)


def test_log_call_refuses_bad_input(app: AppContext, contact_id: str) -> None:
    with pytest.raises(ValidationError, match="what was said"):
        app.activities.log_call(contact_id, "   ")
    with pytest.raises(ValidationError, match="minutes"):
        app.activities.log_call(contact_id, "Hello", 0)


def test_note_subject_is_its_first_line(app: AppContext, contact_id: str) -> None:
    saved = app.activities.add_note(contact_id, "Prefers e-mail\nNever before 10")
    draft = app.calendar.get(saved.id).draft
    assert (draft.kind, draft.subject, draft.notes) == (
        "note",
        "Prefers e-mail",
        "Prefers e-mail\nNever before 10",
    )
    with pytest.raises(ValidationError):
        app.activities.add_note(contact_id, " \n ")


def test_follow_up_defaults_to_ten_local_three_days_on(app: AppContext, contact_id: str) -> None:
    draft = app.calendar.get(app.activities.schedule_follow_up(contact_id).id).draft
    local = draft.start.astimezone()
    assert local.date() == dt.date.today() + dt.timedelta(days=3)
    assert (local.hour, local.minute) == (10, 0)
    assert (draft.kind, draft.subject, draft.done) == ("task", "Follow up", False)
    assert draft.reminder_minutes == 15

    in_a_week = app.calendar.get(app.activities.schedule_follow_up(contact_id, "Call", 7).id).draft
    assert in_a_week.start.astimezone().date() == dt.date.today() + dt.timedelta(days=7)

    due = dt.datetime(2027, 1, 4, 8, 0, tzinfo=dt.UTC)
    fixed = app.calendar.get(app.activities.schedule_follow_up(contact_id, due=due).id).draft
    assert fixed.start == due
