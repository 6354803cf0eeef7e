"""Editing the calendar: move one occurrence, change this and the following ones, the whole
series, done with an outcome, and every edit undone exactly."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import ActivityDraft, ContactDraft
from crm_desktop.domain.recurrence import describe, split_rule

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def weekly(app: AppContext, **extra: object) -> str:
    draft = ActivityDraft(
        "meeting",
        "Team sync",
        berlin(2026, 3, 2, 10),
        30,
        timezone="Europe/Berlin",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        **extra,  # type: ignore[arg-type]
    )
    return app.calendar.create(draft).activity_id


def march(app: AppContext) -> list[tuple[int, int, str]]:
    """(day, hour in Berlin, subject) of every occurrence in March 2026."""
    return [
        (o.start.astimezone(BERLIN).day, o.start.astimezone(BERLIN).hour, o.subject)
        for o in app.calendar.occurrences(utc(2026, 3, 1), utc(2026, 4, 1))
    ]


def test_move_one_occurrence_then_undo(app: AppContext) -> None:
    series = weekly(app)
    edit = app.calendar.reschedule(
        series, berlin(2026, 3, 16, 10), berlin(2026, 3, 17, 14), berlin(2026, 3, 17, 15)
    )
    assert edit.activity_id != series and edit.created == (edit.activity_id,)
    assert march(app) == [
        (2, 10, "Team sync"),
        (9, 10, "Team sync"),
        (17, 14, "Team sync"),
        (23, 10, "Team sync"),
        (30, 10, "Team sync"),
    ]
    moved = app.calendar.get(edit.activity_id)
    assert moved.series_id == series and moved.draft.rrule == "" and moved.draft.minutes == 60
    app.calendar.revert(edit)
    assert [d for d, _h, _s in march(app)] == [2, 9, 16, 23, 30]


def test_this_and_following_keeps_wall_time_across_dst(app: AppContext) -> None:
    series = weekly(app)
    record = app.calendar.get(series)
    # From 23 March (after the DST change on the 29th too) the sync is at 11:00 and renamed.
    changed = replace(record.draft, start=berlin(2026, 3, 23, 11), subject="Team sync (new)")
    edit = app.calendar.edit(series, berlin(2026, 3, 23, 10), changed, "following")
    assert march(app) == [
        (2, 10, "Team sync"),
        (9, 10, "Team sync"),
        (16, 10, "Team sync"),
        (23, 11, "Team sync (new)"),
        (30, 11, "Team sync (new)"),
    ]
    april = app.calendar.occurrences(utc(2026, 4, 1), utc(2026, 4, 30))
    assert {o.start.astimezone(BERLIN).hour for o in april} == {11}
    assert {o.subject for o in april} == {"Team sync (new)"}
    app.calendar.revert(edit)
    assert [h for _d, h, _s in march(app)] == [10] * 5


def test_following_shares_out_a_count_and_moves_later_exceptions(app: AppContext) -> None:
    series = weekly(app)
    app.calendar.edit(
        series,
        None,
        replace(app.calendar.get(series).draft, rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=6"),
    )
    app.calendar.skip(series, berlin(2026, 3, 30, 10))
    draft = replace(app.calendar.get(series).draft, start=berlin(2026, 3, 16, 9))
    app.calendar.edit(series, berlin(2026, 3, 16, 10), draft, "following")
    spring = app.calendar.occurrences(utc(2026, 3, 1), utc(2026, 6, 1))
    # 6 in all: 2, 9 at 10:00; 16, 23, (30 skipped), 6 April at 09:00.
    assert [(o.start.astimezone(BERLIN).day, o.start.astimezone(BERLIN).hour) for o in spring] == [
        (2, 10),
        (9, 10),
        (16, 9),
        (23, 9),
        (6, 9),
    ]


def test_whole_series_moves_by_wall_clock_difference(app: AppContext) -> None:
    series = weekly(app)
    draft = replace(app.calendar.get(series).draft, start=berlin(2026, 3, 30, 12))
    app.calendar.edit(series, berlin(2026, 3, 30, 10), draft, "all")
    assert {h for _d, h, _s in march(app)} == {12}  # before and after the DST change


def test_complete_with_outcome_shows_on_the_timeline(app: AppContext) -> None:
    anna = app.contacts.create(ContactDraft(first_name="Anna", last_name="Berg")).id
    call = app.calendar.create(
        ActivityDraft("call", "Discuss offer", utc(2026, 3, 3, 9), 15, contact_id=anna)
    ).activity_id
    edit = app.calendar.complete(call, utc(2026, 3, 3, 9), "Wants a second quote")
    assert edit.activity_id == call
    record = app.calendar.get(call)
    assert record.draft.done and record.draft.outcome == "Wants a second quote"
    assert record.done_at is not None and record.contact_name == "Anna Berg"
    timeline = app.timeline.timeline("contacts", anna)
    assert any("Wants a second quote" in e.detail + e.title for e in timeline)
    app.calendar.revert(edit)
    assert not app.calendar.get(call).draft.done


def test_complete_one_occurrence_of_a_series(app: AppContext) -> None:
    series = weekly(app)
    edit = app.calendar.complete(series, berlin(2026, 3, 9, 10), "Agreed the roadmap")
    found = app.calendar.occurrences(utc(2026, 3, 9), utc(2026, 3, 10))
    assert [(o.activity_id, o.done) for o in found] == [(edit.activity_id, True)]
    assert len(app.calendar.occurrences(utc(2026, 3, 1), utc(2026, 4, 1))) == 5


def test_delete_one_occurrence_or_all(app: AppContext) -> None:
    series = weekly(app)
    one = app.calendar.delete(series, berlin(2026, 3, 9, 10))
    assert [d for d, _h, _s in march(app)] == [2, 16, 23, 30]
    app.calendar.revert(one)
    app.calendar.delete(series)
    assert march(app) == []


def test_bad_input_is_refused(app: AppContext) -> None:
    draft = ActivityDraft("call", "  ", utc(2026, 3, 3, 9))
    with pytest.raises(ValidationError, match="subject"):
        app.calendar.create(draft)
    with pytest.raises(ValidationError, match="recurrence rule"):
        app.calendar.create(replace(draft, subject="x", rrule="FREQ=SOMETIMES"))
    series = weekly(app)
    with pytest.raises(ValidationError, match="scope"):
        app.calendar.edit(series, None, app.calendar.get(series).draft, "some")


def test_rule_helpers() -> None:
    before, after = split_rule(
        berlin(2026, 3, 2, 10), "FREQ=WEEKLY;BYDAY=MO", berlin(2026, 3, 16, 10), "Europe/Berlin"
    )
    assert before == "FREQ=WEEKLY;BYDAY=MO;UNTIL=20260316T085959Z"
    assert after == "FREQ=WEEKLY;BYDAY=MO"
    assert describe("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=10") == (
        "every 2 weeks on Monday, Thursday, 10 times"
    )
    assert describe("") == "once"


def test_all_occurrences_keeps_the_first_and_moves_weekdays(app: AppContext) -> None:
    series = weekly(app)
    # Drag the 16 March occurrence to Tuesday 17 March, for all of them.
    app.calendar.reschedule(
        series, berlin(2026, 3, 16, 10), berlin(2026, 3, 17, 10), berlin(2026, 3, 17, 10, 30), "all"
    )
    assert [(d, h) for d, h, _s in march(app)] == [(3, 10), (10, 10), (17, 10), (24, 10), (31, 10)]
    assert "BYDAY=TU" in app.calendar.get(series).draft.rrule


def test_a_rule_in_another_order_is_the_same_rule(app: AppContext) -> None:
    draft = ActivityDraft(
        "meeting",
        "First Tuesday",
        berlin(2026, 3, 3, 9),
        60,
        timezone="Europe/Berlin",
        rrule="FREQ=MONTHLY;COUNT=6;BYDAY=1TU",
    )
    series = app.calendar.create(draft).activity_id
    third = berlin(2026, 5, 5, 9)
    renamed = replace(
        app.calendar.get(series).draft, start=third, subject="First Tuesday review",
        rrule="BYDAY=1TU;FREQ=MONTHLY;COUNT=6",
    )  # fmt: skip
    app.calendar.edit(series, third, renamed, "all")
    spring = app.calendar.occurrences(utc(2026, 3, 1), utc(2026, 9, 1))
    assert [o.start.astimezone(BERLIN).date().isoformat() for o in spring] == [
        "2026-03-03", "2026-04-07", "2026-05-05", "2026-06-02", "2026-07-07", "2026-08-04",
    ]  # fmt: skip
    assert {o.subject for o in spring} == {"First Tuesday review"}


def test_date_only_until_and_all_day_series_on_their_dates(app: AppContext, tmp_path: Any) -> None:
    ics_text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
        "BEGIN:VEVENT\r\nUID:allday-weekly@google.com\r\nDTSTART;VALUE=DATE:20260302\r\n"
        "DTEND;VALUE=DATE:20260303\r\nRRULE:FREQ=WEEKLY;UNTIL=20260330;BYDAY=MO\r\n"
        "SUMMARY:Stock take\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:broken@google.com\r\nDTSTART:20260302T090000Z\r\n"
        "RRULE:FREQ=SOMETIMES\r\nSUMMARY:Broken rule\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    path = tmp_path / "allday.ics"
    path.write_text(ics_text)
    summary = app.calendar.import_ics(path)
    assert summary.created == 1 and any("Broken rule" in p for p in summary.problems)
    found = app.calendar.occurrences(utc(2026, 2, 28), utc(2026, 4, 30))
    assert [o.start.date().isoformat() for o in found] == [
        "2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30",
    ]  # fmt: skip
    assert all(o.all_day and o.start.hour == 0 for o in found)


def test_today_and_overdue_in_the_local_day(app: AppContext) -> None:
    la = "America/Los_Angeles"
    app.calendar.create(
        ActivityDraft("call", "Evening call", dt.datetime(2026, 3, 10, 17, tzinfo=ZoneInfo(la)))
    )
    app.calendar.create(ActivityDraft("task", "All-day task", utc(2026, 3, 10), 1440, all_day=True))
    morning = dt.datetime(2026, 3, 10, 10, tzinfo=ZoneInfo(la))
    today, overdue = app.calendar.today_and_overdue(morning, la)
    assert {o.subject for o in today} == {"Evening call", "All-day task"}
    evening = dt.datetime(2026, 3, 10, 17, 30, tzinfo=ZoneInfo(la))
    today, overdue = app.calendar.today_and_overdue(evening, la)
    assert overdue == [] and len(today) == 2


def test_an_activity_of_a_trashed_contact_can_still_be_moved(app: AppContext) -> None:
    person = app.contacts.create(ContactDraft(first_name="Gone", last_name="Away")).id
    call = app.calendar.create(
        ActivityDraft("call", "Call", utc(2026, 3, 3, 9), 15, contact_id=person)
    ).activity_id
    app.contacts.delete([person])
    app.calendar.reschedule(call, utc(2026, 3, 3, 9), utc(2026, 3, 4, 9), utc(2026, 3, 4, 9, 15))
    assert app.calendar.get(call).draft.start == utc(2026, 3, 4, 9)


def test_end_a_series_at_an_occurrence(app: AppContext) -> None:
    series = weekly(app)
    edit = app.calendar.end_series(series, berlin(2026, 3, 23, 10))
    assert [d for d, _h, _s in march(app)] == [2, 9, 16]
    assert app.calendar.occurrences(utc(2026, 4, 1), utc(2026, 6, 1)) == []
    app.calendar.revert(edit)
    assert len(march(app)) == 5
