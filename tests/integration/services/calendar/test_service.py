"""Calendar services and iCalendar files shaped like real exports, read back by two
parsers (icalendar and vobject)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from crm_desktop.bootstrap import AppContext
from crm_desktop.cli import main
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import ContactDraft, EmailEntry

DATA = Path(__file__).parents[2] / "data"
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_recurring_activity_occurrences_skip_and_today(app: AppContext) -> None:
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BERLIN)
    activity = app.calendar.schedule(
        "meeting", "Team sync", start, 30, "Europe/Berlin", "FREQ=WEEKLY;BYDAY=MO"
    ).id
    march = app.calendar.occurrences(utc(2026, 3, 1), utc(2026, 4, 1))
    assert [o.start.astimezone(BERLIN).day for o in march] == [2, 9, 16, 23, 30]
    assert all(o.start.astimezone(BERLIN).hour == 10 for o in march)
    app.calendar.skip(activity, march[2].start)
    assert len(app.calendar.occurrences(utc(2026, 3, 1), utc(2026, 4, 1))) == 4
    today, overdue = app.calendar.today_and_overdue(utc(2026, 3, 9, 7), "Europe/Berlin")
    assert [o.subject for o in today] == ["Team sync"]
    assert overdue == []
    app.calendar.schedule("task", "Send offer", utc(2026, 3, 5, 9))
    _, overdue = app.calendar.today_and_overdue(utc(2026, 3, 9, 7), "Europe/Berlin")
    assert [o.subject for o in overdue] == ["Send offer"]
    with pytest.raises(ValidationError, match="not a recurrence rule"):
        app.calendar.schedule("call", "Bad", start, rrule="FREQ=NEVER")


def test_import_real_world_shaped_file(app: AppContext) -> None:
    anna = app.contacts.create(
        ContactDraft(
            first_name="Anna",
            last_name="Müller",
            emails=(EmailEntry("Anna.Mueller@lindenhof.example"),),
        )
    ).id
    summary = app.calendar.import_ics(DATA / "google_calendar.ics")
    assert (summary.created, summary.updated) == (4, 0)
    assert len(summary.problems) == 1
    assert "Event without a start" in summary.problems[0]
    assert "DTSTART" in summary.problems[0]
    april = app.calendar.occurrences(utc(2026, 3, 1), utc(2026, 4, 7))
    weekly = [o for o in april if o.subject.startswith("Weekly pipeline review")]
    # 16, 23 March and 6 April; 30 March is an EXDATE
    assert [o.start.astimezone(BERLIN).date().isoformat() for o in weekly] == [
        "2026-03-16",
        "2026-03-23",
        "2026-04-06",
    ]
    assert {o.start.astimezone(BERLIN).hour for o in weekly} == {10}
    assert "folds over two lines" in weekly[0].subject
    fair = next(o for o in april if o.subject.startswith("Trade fair"))
    assert fair.all_day
    timeline = [e.title for e in app.timeline.timeline("contacts", anna)]
    assert any("Weekly pipeline review" in t for t in timeline)
    again = app.calendar.import_ics(DATA / "google_calendar.ics")
    assert (again.created, again.updated) == (0, 4)  # same UIDs update, never duplicate


def test_export_is_read_alike_by_two_parsers(app: AppContext, tmp_path: Path) -> None:
    app.calendar.import_ics(DATA / "google_calendar.ics")
    app.calendar.schedule("call", "Call Ayşe", utc(2026, 4, 8, 13), 15)
    target = tmp_path / "out.ics"
    assert app.calendar.export_ics(target) == 5
    data = target.read_bytes()
    parsed = icalendar.Calendar.from_ical(data)
    first = {str(e["UID"]): (str(e["SUMMARY"]), e["DTSTART"].dt) for e in parsed.walk("VEVENT")}
    second = {
        e.uid.value: (e.summary.value, e.dtstart.value)
        for e in vobject.readOne(data.decode()).vevent_list
    }
    assert first.keys() == second.keys()
    for uid, (summary, start) in first.items():
        assert second[uid][0] == summary
        assert second[uid][1] == start
    weekly = next(e for e in parsed.walk("VEVENT") if "Weekly" in str(e["SUMMARY"]))
    assert weekly["DTSTART"].params.get("TZID") == "Europe/Berlin"
    assert "BYDAY=MO" in weekly["RRULE"].to_ical().decode()
    assert b"BEGIN:VTIMEZONE" in data


def test_cli_import_export_and_partial_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = str(tmp_path / "d")
    code = main(["--data-dir", data_dir, "import", "calendar", str(DATA / "google_calendar.ics")])
    out, err = capsys.readouterr()
    assert code == 3  # partly imported
    assert "4 created" in out and "Event without a start" in err
    assert main(["--data-dir", data_dir, "export", "calendar", str(tmp_path / "x.ics")]) == 0
    assert (tmp_path / "x.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
    junk = tmp_path / "junk.ics"
    junk.write_text("this is not a calendar", encoding="utf-8")
    code = main(["--data-dir", data_dir, "import", "calendar", str(junk)])
    out, err = capsys.readouterr()
    assert code == 1 and "not an iCalendar file" in err and "Traceback" not in err
    code = main(["--data-dir", data_dir, "import", "calendar", str(tmp_path / "missing.ics")])
    _, err = capsys.readouterr()
    assert code == 1 and "cannot read" in err


def test_birthdays_and_stay_in_touch(app: AppContext) -> None:
    import datetime as dt2

    today = dt2.date(2026, 11, 22)
    born = app.contacts.create(
        ContactDraft(first_name="Lena", last_name="Graf", birthday=dt2.date(1990, 11, 24))
    ).id
    app.contacts.create(
        ContactDraft(first_name="Not", last_name="Soon", birthday=dt2.date(1990, 12, 24))
    )
    quiet = app.contacts.create(ContactDraft(first_name="Quiet", last_name="Customer")).id
    recent = app.contacts.create(ContactDraft(first_name="Recent", last_name="Call")).id
    app.calendar.set_cadence(quiet, 30)
    app.calendar.set_cadence(recent, 30)
    app.activities.log(recent, "call", "Checked in")
    due = {d.contact_id: d.reason for d in app.calendar.keep_in_touch(today)}
    assert due[born] == "birthday on Tue 24 Nov (36)"
    assert due[quiet] == "never contacted (every 30 days)"
    assert recent not in due
    assert len(due) == 2
    with pytest.raises(ValidationError):
        app.calendar.set_cadence(quiet, -1)


def test_follow_up_templates_by_hand_and_on_entering_a_stage(app: AppContext) -> None:
    import datetime as dt2

    from crm_desktop.domain.activities import Step

    contact = app.contacts.create(ContactDraft(first_name="Ivo", last_name="Novak")).id
    default = app.followups.templates()[0]
    assert default.name == "New lead" and [s.day for s in default.steps] == [0, 3, 7]
    app.followups.apply(default.id, contact_id=contact, start=dt2.date(2026, 12, 1))
    planned = app.calendar.occurrences(utc(2026, 12, 1), utc(2026, 12, 10))
    assert [(o.start.day, o.kind) for o in planned] == [(1, "call"), (4, "email"), (8, "call")]

    app.pipeline.create_pipeline("Sales")
    stages = {s.name: s.id for s in app.pipeline.pipelines()[0].stages}
    app.followups.save_template(
        "Proposal sent", [Step(2, "call", "Ask about the proposal")], stage_id=stages["Proposal"]
    )
    deal = app.deals.create_for_contact(contact, "Roof", 10_000_00).id
    app.pipeline.move(deal, stages["Qualified"])
    before = len(app.calendar.occurrences(utc(2020, 1, 1), utc(2030, 1, 1)))
    app.pipeline.move(deal, stages["Proposal"])
    after = app.calendar.occurrences(utc(2020, 1, 1), utc(2030, 1, 1))
    assert len(after) == before + 1
    assert any(o.subject == "Ask about the proposal" for o in after)
    with pytest.raises(ValidationError):
        app.followups.save_template("Bad", [Step(-1, "call", "x")])


ENDLESS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//hostile//EN
BEGIN:VEVENT
UID:endless@x
DTSTAMP:20261101T000000Z
DTSTART:20261101T090000Z
DTEND:20261101T093000Z
SUMMARY:Every second
RRULE:FREQ=SECONDLY
END:VEVENT
BEGIN:VEVENT
UID:million@x
DTSTAMP:20261101T000000Z
DTSTART:20261101T090000Z
SUMMARY:A million times
RRULE:FREQ=DAILY;COUNT=1000000
END:VEVENT
BEGIN:VEVENT
UID:fine@x
DTSTAMP:20261101T000000Z
DTSTART:20261102T090000Z
SUMMARY:Weekly review
RRULE:FREQ=WEEKLY
END:VEVENT
END:VCALENDAR
"""


def test_rules_that_cannot_end_are_named_at_import_and_at_save(
    app: AppContext, tmp_path: Path
) -> None:
    import datetime as dt

    from crm_desktop.domain.errors import ValidationError

    path = tmp_path / "hostile.ics"
    path.write_text(ENDLESS.replace("\n", "\r\n"), encoding="utf-8")
    summary = app.calendar.import_ics(path)
    assert summary.created == 1
    assert len(summary.problems) == 2
    assert "Every second" in summary.problems[0] and "A million times" in summary.problems[1]
    assert "without an end" in summary.problems[0] and "1,000,000" in summary.problems[1]
    start = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)
    with pytest.raises(ValidationError, match="every second"):
        app.calendar.schedule("meeting", "Tick", start, rrule="FREQ=SECONDLY")


def test_a_stored_endless_rule_is_left_out_of_the_calendar(app: AppContext) -> None:
    """A rule saved by an older version (or written by hand) draws nothing, bounded."""
    import datetime as dt

    from tests.databases import connect

    start = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)
    saved = app.calendar.schedule("meeting", "Tick", start, rrule="FREQ=DAILY")
    with connect(app) as conn:
        conn.execute("UPDATE activities SET rrule = 'FREQ=SECONDLY' WHERE id = ?", (saved.id,))
    hour = app.calendar.occurrences(start, start + dt.timedelta(hours=1))
    assert [o.subject for o in hour] == []
