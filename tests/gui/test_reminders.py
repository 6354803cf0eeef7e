"""Reminders: what is scheduled, what fires, snooze and the ones missed while closed
(offscreen there is no system tray, so the in-app notice is what a person sees)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from crm_desktop.bootstrap import AppContext
from crm_desktop.gui.reminders import ReminderScheduler

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def scheduler(app: AppContext, tmp_path: Path, clock: Clock) -> ReminderScheduler:
    settings = QSettings(str(tmp_path / "r.ini"), QSettings.Format.IniFormat)
    return ReminderScheduler(app, settings, clock=clock)


def test_next_reminder_is_scheduled_fires_and_snoozes(
    app: AppContext, tmp_path: Path, qtbot: Any
) -> None:
    app.calendar.schedule("call", "Call Lindenhof", NOW + dt.timedelta(minutes=20))
    app.calendar.schedule(
        "meeting", "Weekly review", NOW + dt.timedelta(hours=1), 30, "", "FREQ=DAILY;COUNT=3"
    )
    done_one = app.calendar.schedule("task", "Already done", NOW + dt.timedelta(minutes=30)).id
    with app.uow() as uow:
        uow.activities.get(done_one).done = True
        uow.commit()
    clock = Clock()
    reminders = scheduler(app, tmp_path, clock)
    reminders.reschedule()
    plan = [(r.subject, r.at) for r in reminders.scheduled()]
    # 15 minutes before each start; the done task has none; the series' next occurrence
    # falls inside the 24 hours looked ahead.
    assert plan == [
        ("Call Lindenhof", NOW + dt.timedelta(minutes=5)),
        ("Weekly review", NOW + dt.timedelta(minutes=45)),
    ]
    assert reminders.timer.isActive()
    assert abs(reminders.timer.remainingTime() - 5 * 60 * 1000) < 2_000
    fired: list[Any] = []
    reminders.reminded.connect(fired.append)
    clock.now = NOW + dt.timedelta(minutes=6)
    reminders.fire_due()
    assert [r.subject for r in fired] == ["Call Lindenhof"]
    reminders.snooze(fired[0])
    assert ("Call Lindenhof", clock.now + dt.timedelta(minutes=10)) in [
        (r.subject, r.at) for r in reminders.scheduled()
    ]


def test_missed_reminders_are_found_on_start(app: AppContext, tmp_path: Path) -> None:
    app.calendar.schedule("meeting", "While you were away", NOW - dt.timedelta(hours=1))
    clock = Clock()
    reminders = scheduler(app, tmp_path, clock)
    reminders.settings.setValue("reminders/checked", (NOW - dt.timedelta(hours=3)).isoformat())
    assert [r.subject for r in reminders.missed()] == ["While you were away"]
