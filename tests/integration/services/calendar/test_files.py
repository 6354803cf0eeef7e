"""Calendars exactly as other programs write them (tests/data/calendars, hand-written
after Thunderbird, Outlook/Exchange, Google, Apple, khal/Radicale): imported, exported,
and the export read back with the icalendar and vobject libraries."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from crm_desktop.bootstrap import AppContext
from crm_desktop.cli import main
from crm_desktop.persistence.models import Activity
from tests.databases import location_args

CALENDARS = Path(__file__).parents[3] / "data" / "calendars"
BERLIN = ZoneInfo("Europe/Berlin")
PARIS = ZoneInfo("Europe/Paris")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def load(app: AppContext, name: str, zone: str = "Europe/Berlin") -> Any:
    return app.calendar.import_ics(CALENDARS / name, local_zone=zone)


def export(app: AppContext, tmp_path: Path) -> tuple[bytes, list[Any]]:
    target = tmp_path / "export.ics"
    app.calendar.export_ics(target)
    data = target.read_bytes()
    return data, list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def starts(app: AppContext, subject: str, since: dt.datetime, until: dt.datetime) -> list[Any]:
    return [o for o in app.calendar.occurrences(since, until) if o.subject.startswith(subject)]


def by_uid(events: list[Any], uid: str) -> tuple[Any, list[Any]]:
    mine = [e for e in events if str(e["UID"]) == uid]
    master = next(e for e in mine if "RECURRENCE-ID" not in e)
    return master, [e for e in mine if "RECURRENCE-ID" in e]


def exdates(event: Any) -> list[Any]:
    raw = event.get("EXDATE")
    groups = raw if isinstance(raw, list) else [raw] if raw is not None else []
    return [d.dt for group in groups for d in group.dts]


# ---- Thunderbird: a weekly series with 9 moved and 2 cancelled occurrences -----------------


def test_thunderbird_series_keeps_its_moved_and_cancelled_occurrences(
    app: AppContext, tmp_path: Path
) -> None:
    summary = load(app, "thunderbird_weekly_exceptions.ics")
    assert (summary.created, summary.moved, summary.cancelled) == (10, 9, 2)
    assert summary.problems == () and summary.exit_code == 0
    assert "LOCATION (10 items)" in summary.not_used
    lessons = starts(app, "Cours de piano", utc(2017, 10, 1), utc(2018, 7, 1))
    tuesdays = 39  # 3 Oct 2017 .. 26 Jun 2018
    assert len(lessons) == tuesdays - 2
    local = {o.start.astimezone(PARIS).replace(tzinfo=None) for o in lessons}
    assert dt.datetime(2017, 10, 17, 19) in local and dt.datetime(2017, 10, 17, 18) not in local
    assert dt.datetime(2018, 2, 7, 17) in local  # moved to the next day
    assert dt.datetime(2017, 11, 21, 18, 30) in local
    assert dt.datetime(2017, 12, 26, 18) not in local  # EXDATE
    assert dt.datetime(2018, 2, 20, 18) not in local  # STATUS:CANCELLED
    assert {o.start.astimezone(PARIS).hour for o in lessons} >= {18}  # 18:00 in winter too

    data, events = export(app, tmp_path)
    master, moved = by_uid(events, "2d5b6f0e-3c1a-4b7e-9f51-6a1c2f0b7e11")
    assert master["DTSTART"].params["TZID"] == "Europe/Paris"
    assert master["DTSTART"].dt == dt.datetime(2017, 10, 3, 18, tzinfo=PARIS)
    assert "UNTIL=20180626T160000Z" in master["RRULE"].to_ical().decode()
    assert {d.astimezone(dt.UTC) for d in exdates(master)} == {
        utc(2017, 12, 26, 17),
        utc(2018, 2, 20, 17),
    }
    assert len(moved) == 9
    first = min(moved, key=lambda e: e["RECURRENCE-ID"].dt)
    assert first["RECURRENCE-ID"].dt == dt.datetime(2017, 10, 17, 18, tzinfo=PARIS)
    assert first["DTSTART"].dt == dt.datetime(2017, 10, 17, 19, tzinfo=PARIS)

    # vobject reads the export as it reads the original: the same rule set (less the
    # EXDATEs) and the same nine exceptions.
    def seen_by_vobject(text: str) -> tuple[list[dt.datetime], list[dt.datetime]]:
        events = vobject.readOne(text).vevent_list
        series = next(e for e in events if not hasattr(e, "recurrence_id"))
        moved = sorted(
            e.recurrence_id.value
            for e in events
            if hasattr(e, "recurrence_id")
            and getattr(getattr(e, "status", None), "value", "") != "CANCELLED"
        )
        return [d.astimezone(dt.UTC) for d in series.getrruleset()], moved  # fmt: skip

    original = (CALENDARS / "thunderbird_weekly_exceptions.ics").read_text(encoding="utf-8")
    rules, moved_ids = seen_by_vobject(data.decode())
    rules_before, moved_before = seen_by_vobject(original)
    assert moved_ids == moved_before and len(moved_ids) == 9
    assert set(rules) - set(rules_before) == set()
    assert set(rules_before) - set(rules) == {utc(2018, 2, 20, 17)}  # cancelled: an EXDATE now

    # The export read again is the same calendar, and nothing is duplicated.
    again = app.calendar.import_ics(tmp_path / "export.ics", local_zone="Europe/Berlin")
    assert (again.created, again.moved, again.cancelled) == (0, 9, 2)
    assert len(starts(app, "Cours de piano", utc(2017, 10, 1), utc(2018, 7, 1))) == tuesdays - 2


def test_an_occurrence_moved_in_the_app_exports_as_an_exception(
    app: AppContext, tmp_path: Path
) -> None:
    start = dt.datetime(2026, 3, 2, 10, tzinfo=BERLIN)
    series = app.calendar.schedule(
        "meeting", "Team sync", start, 30, "Europe/Berlin", "FREQ=WEEKLY;COUNT=4"
    ).id
    second = start + dt.timedelta(days=7)
    app.calendar.reschedule(
        series, second, second + dt.timedelta(hours=2), second + dt.timedelta(hours=3)
    )
    app.calendar.delete(series, start + dt.timedelta(days=14))
    _, events = export(app, tmp_path)
    master, moved = by_uid(events, f"{series}@crm-desktop")
    assert exdates(master) == [start + dt.timedelta(days=14)]
    assert [e["RECURRENCE-ID"].dt for e in moved] == [second]
    assert moved[0]["DTSTART"].dt == second + dt.timedelta(hours=2)


# ---- Outlook / Exchange: Windows zone names -----------------------------------------------


def test_outlook_windows_zones_resolve_and_export(app: AppContext, tmp_path: Path) -> None:
    summary = load(app, "outlook_windows_zones.ics")
    assert (summary.created, summary.moved, summary.problems) == (6, 1, ())
    zones = {a.subject: a.timezone for a in _activities(app)}
    assert zones["Sales stand-up"] == "Europe/Berlin"
    assert zones["Call with the New York office"] == "America/New_York"
    assert zones["Revisão semanal com São Paulo"] == "America/Sao_Paulo"
    assert zones["Sydney daily check-in"] == "Australia/Sydney"
    nyc = starts(app, "Call with the New York", utc(2024, 1, 1), utc(2025, 1, 1))
    assert len(nyc) == 6  # 15 March .. 15 August
    assert {o.start.astimezone(ZoneInfo("America/New_York")).hour for o in nyc} == {9}
    sydney = starts(app, "Sydney daily", utc(2024, 4, 1), utc(2024, 4, 12))
    assert {o.start.astimezone(ZoneInfo("Australia/Sydney")).hour for o in sydney} == {9}
    assert {o.start.astimezone(dt.UTC).hour for o in sydney} == {22, 23}  # DST ended 7 April
    standup = starts(app, "Sales stand-up", utc(2024, 1, 1), utc(2024, 4, 1))
    assert len(standup) == 9  # 10 Mondays, one EXDATE
    assert any(o.subject == "Sales stand-up (late)" for o in standup)

    data, events = export(app, tmp_path)
    tzids = {str(e["DTSTART"].params.get("TZID", "")) for e in events}
    assert tzids == {"", "Europe/Berlin", "America/New_York", "America/Sao_Paulo",
                     "Australia/Sydney"}  # fmt: skip
    holiday = next(e for e in events if str(e["SUMMARY"]) == "Company holiday")
    assert holiday["DTSTART"].dt == dt.date(2024, 5, 1)
    source = list(icalendar.Calendar.from_ical((CALENDARS / "outlook_windows_zones.ics")
                                               .read_bytes()).walk("VEVENT"))  # fmt: skip
    mine = {(str(e["UID"]), str(e.get("RECURRENCE-ID", ""))): e["DTSTART"].dt for e in events}
    assert sorted(_instant(v) for v in mine.values()) == sorted(
        _instant(e["DTSTART"].dt) for e in source
    )
    assert vobject.readOne(data.decode()).vevent_list


def test_export_never_fails_on_a_stored_zone(app: AppContext, tmp_path: Path) -> None:
    for name in ("Eastern Standard Time", "(UTC-03:00) Brasília", "Nowhere/Zone", "???"):
        with app.uow() as uow:
            uow.activities.add(
                Activity(
                    kind="meeting",
                    subject=f"In {name}",
                    starts_at=utc(2024, 1, 5, 15),
                    timezone=name,
                    rrule="FREQ=DAILY;COUNT=2",
                )
            )
            uow.commit()
    _data, events = export(app, tmp_path)
    zones = {str(e["SUMMARY"]): str(e["DTSTART"].params.get("TZID", "")) for e in events}
    assert zones["In Eastern Standard Time"] == "America/New_York"
    assert zones["In (UTC-03:00) Brasília"] == "America/Sao_Paulo"
    assert zones["In Nowhere/Zone"] == "" and zones["In ???"] == ""
    assert {e["DTSTART"].dt.astimezone(dt.UTC) for e in events} == {utc(2024, 1, 5, 15)}
    feed = tmp_path / "feed.ics"
    assert main([*location_args(app), "export", "calendar", str(feed)]) == 0


# ---- zones known by a custom name or by their rules only -----------------------------------


def test_custom_and_vtimezone_only_zones(app: AppContext) -> None:
    summary = load(app, "custom_zones.ics")
    assert summary.created == 6 and summary.problems == ()
    zones = {a.subject: (a.timezone, a.starts_at) for a in _activities(app)}
    assert zones["Weekly across the US change of time"][0] == "America/New_York"
    assert zones["Head office morning"][0] == "Europe/Berlin"
    assert zones["Kathmandu review"][0] == "Asia/Kathmandu"
    assert zones["Ship briefing"] == ("", utc(2024, 4, 10, 6, 43))  # +03:17, kept in UTC
    assert zones["Zone nobody defined"] == ("Europe/Berlin", utc(2024, 4, 10, 8))
    assert any("'Ship time'" in n and "fixed offset +03:17" in n for n in summary.notes)
    assert any("'Nowhere Standard Time'" in n for n in summary.notes)
    us = starts(app, "Weekly across", utc(2024, 3, 1), utc(2024, 4, 1))
    assert [o.start.astimezone(dt.UTC).hour for o in us] == [14, 13, 13]  # DST on 10 March


# ---- Google: all-day series, RDATE, DURATION, UNTIL as a date or floating -------------------


def test_google_dates_rules_and_floating_times(app: AppContext, tmp_path: Path) -> None:
    summary = load(app, "google_export.ics")
    assert summary.problems == () and summary.moved == 1
    bins = starts(app, "Bin day", utc(2024, 9, 1), utc(2024, 11, 1))
    assert [o.start.date().day for o in bins] == [2, 9, 23, 30, 7, 14, 21, 28]
    assert all(o.all_day for o in bins)
    course = starts(app, "Evening course", utc(2024, 9, 1), utc(2025, 2, 1))
    assert len(course) == 19
    assert {o.start.astimezone(BERLIN).hour for o in course} == {18}
    assert {o.end - o.start for o in course} == {dt.timedelta(minutes=90)}  # DURATION
    assert len(starts(app, "Nine mornings", utc(2024, 10, 1), utc(2024, 11, 1))) == 9
    assert len(starts(app, "Nine late nights", utc(2024, 11, 1), utc(2024, 12, 1))) == 9
    breakfast = starts(app, "Floating breakfast", utc(2024, 11, 1), utc(2024, 12, 1))
    assert breakfast[0].start == dt.datetime(2024, 11, 4, 9, tzinfo=BERLIN)
    concert = starts(app, "Advent concert", utc(2024, 12, 1), utc(2025, 1, 1))
    assert [o.start for o in concert][-1] == utc(2024, 12, 24, 15)

    data, events = export(app, tmp_path)
    bin_day, moved = by_uid(events, "7kq3m1v0p2a4b6c8d0e2f4g6h8@google.com")
    assert "UNTIL=20241028;" in bin_day["RRULE"].to_ical().decode() + ";"
    assert exdates(bin_day) == [dt.date(2024, 9, 16)]
    assert b"EXDATE;VALUE=DATE:20240916" in data
    assert moved[0]["RECURRENCE-ID"].dt == dt.date(2024, 9, 23)
    evening, _ = by_uid(events, "evening-course-rdates@google.com")
    rdates = (
        [d.dt for group in evening["RDATE"] for d in group.dts]
        if isinstance(evening["RDATE"], list)
        else [d.dt for d in evening["RDATE"].dts]
    )
    assert len(rdates) == 18
    assert evening["DTEND"].dt - evening["DTSTART"].dt == dt.timedelta(minutes=90)
    advent, _ = by_uid(events, "period-rdate@google.com")
    period = advent["RDATE"].dts[0].dt
    assert period == (utc(2024, 12, 24, 15), utc(2024, 12, 24, 17))
    parsed = vobject.readOne(data.decode())
    nights = next(e for e in parsed.vevent_list if e.uid.value == "until-floating@google.com")
    assert len(list(nights.getrruleset())) == 9


# ---- Apple: all-day exceptions as DATE values ----------------------------------------------


def test_apple_all_day_exceptions_are_dates(app: AppContext, tmp_path: Path) -> None:
    summary = load(app, "apple_ical.ics")
    assert (summary.moved, summary.cancelled, summary.problems) == (2, 2, ())
    camp = starts(app, "Summer camp", utc(2024, 6, 1), utc(2024, 7, 1))
    assert [o.start.date().day for o in camp] == [10, 13, 13, 14]
    standup = starts(app, "Standup", utc(2024, 3, 1), utc(2024, 4, 2))
    assert len(standup) == 11  # MO, WE, FR from 4 March through March, less one EXDATE
    data, events = export(app, tmp_path)
    master, moved = by_uid(events, "3A7C9E1F-ALLDAY-SERIES")
    assert exdates(master) == [dt.date(2024, 6, 11)]
    assert moved[0]["RECURRENCE-ID"].dt == dt.date(2024, 6, 12)
    assert b"RECURRENCE-ID;VALUE=DATE:20240612" in data
    assert "UNTIL" not in master["RRULE"]


# ---- khal / Radicale: no UIDs, to-dos -------------------------------------------------------


def test_events_without_uid_and_todos(app: AppContext) -> None:
    summary = load(app, "khal_radicale.ics")
    assert (summary.created, summary.tasks) == (4, 2)
    assert "VJOURNAL (1 item)" in summary.not_used
    same_start = starts(app, "", utc(2024, 5, 14), utc(2024, 5, 15))
    assert sorted(o.subject for o in same_start) == ["Call the plumber", "Dentist"]
    again = load(app, "khal_radicale.ics")
    assert (again.created, again.updated) == (0, 4)
    tasks = [a for a in _activities(app) if a.kind == "task"]
    assert {(a.subject, a.done) for a in tasks} == {
        ("Send the May invoice", False),
        ("Renew the domain", True),
    }


# ---- damaged files: whole events kept, losses named, exit codes ------------------------------


@pytest.mark.parametrize(
    ("name", "code", "imported", "said"),
    [
        ("truncated.ics", 3, 3, "the file ends inside it"),
        ("damaged.ics", 3, 3, "it has no start (DTSTART)"),
        ("not_a_calendar.ics", 1, 0, "is not an iCalendar file"),
    ],
)
def test_damaged_files(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    code: int,
    imported: int,
    said: str,
) -> None:
    args = ["--data-dir", str(tmp_path / "d"), "--json", "import", "calendar"]
    assert main([*args, str(CALENDARS / name)]) == code
    out, err = capsys.readouterr()
    assert said in err
    assert f'"created": {imported}' in out
    for python in ("Traceback", "object has no attribute", "Error", "Warning", "vBroken"):
        assert python not in out + err


def test_damaged_events_are_named(app: AppContext) -> None:
    summary = load(app, "damaged.ics")
    assert summary.created == 3  # the pasted line left out, two starts, the ISO start
    said = "\n".join(summary.problems)
    assert "'No start at all'" in said and "'Rule nobody can read'" in said
    assert "'Cancelled meeting'" in said and "STATUS:CANCELLED" in said
    assert any("line 10 is not an iCalendar property" in n for n in summary.notes)


def test_an_empty_calendar_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.ics"
    empty.write_bytes(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    assert main(["--data-dir", str(tmp_path / "d"), "import", "calendar", str(empty)]) == 1
    assert "holds no events" in capsys.readouterr().err


def test_every_corpus_file_round_trips_without_a_crash(app: AppContext, tmp_path: Path) -> None:
    for path in sorted(CALENDARS.glob("*.ics")):
        app.calendar.import_ics(path, local_zone="Europe/Berlin")
    data, events = export(app, tmp_path)
    counts = Counter(str(e["UID"]) for e in events)
    assert counts["2d5b6f0e-3c1a-4b7e-9f51-6a1c2f0b7e11"] == 10
    assert vobject.readOne(data.decode()).vevent_list


def _activities(app: AppContext) -> list[Activity]:
    with app.uow.read() as uow:
        rows = uow.activities.all()
        uow.session.expunge_all()
        return rows


def _instant(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)


def test_files_cut_anywhere_never_stop_an_import(app: AppContext, tmp_path: Path) -> None:
    """A file cut at any point (as a sync client or a full disk leaves it) imports what is
    whole and names the rest; nothing escapes as an error, and the export still works."""
    for path in sorted(CALENDARS.glob("*.ics")):
        data = path.read_bytes()
        for cut in range(0, len(data), max(len(data) // 7, 1)):
            damaged = tmp_path / f"cut-{cut}-{path.name}"
            damaged.write_bytes(data[:cut])
            summary = app.calendar.import_ics(damaged, local_zone="Europe/Berlin")
            assert summary.exit_code in (0, 1, 3)
            assert all("Traceback" not in p and "object has no" not in p for p in summary.problems)
    export(app, tmp_path)
