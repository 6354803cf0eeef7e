"""The calendar's agenda shows the week's occurrences (recurring ones expanded) and the
Today / Overdue list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner


def test_agenda_of_a_week_with_a_recurring_activity(app: AppContext, qtbot: Any) -> None:
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    start = dt.datetime.combine(monday, dt.time(9, 0)).astimezone()
    app.calendar.schedule("meeting", "Daily stand-up", start, 15, "", "FREQ=DAILY;COUNT=20")
    app.calendar.schedule("task", "Old overdue task", start - dt.timedelta(days=10))
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    window.show()
    window.sidebar.setCurrentRow(3)
    view = window.calendar_view
    view.set_mode("agenda")
    days = [view.agenda.topLevelItem(i) for i in range(view.agenda.topLevelItemCount())]
    assert len(days) == 7
    assert all(day.childCount() == 1 for day in days)
    assert "Daily stand-up" in days[0].child(0).text(1)
    overdue = view.due.topLevelItem(1)
    assert overdue.text(0).startswith("Overdue (1)")
    assert view.due.topLevelItem(2).text(0).startswith("Keep in touch")
    view.go(14)  # the series ends after 20 days: 6 in the third week
    days = [view.agenda.topLevelItem(i) for i in range(7)]
    assert sum(day.childCount() for day in days) == 6


def test_stay_in_touch_quick_action_and_undo(app: AppContext, qtbot: Any, monkeypatch: Any) -> None:
    from PySide6.QtWidgets import QInputDialog

    from crm_desktop.domain.records import ContactDraft

    contact = app.contacts.create(ContactDraft(first_name="Olga", last_name="Berg")).id
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    window.contacts.open_contact(contact)
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (45, True))
    window.contacts.on_contact_action("cadence", contact)
    assert app.calendar.cadence(contact) == 45
    assert "every 45 days" in window.contacts.contact_detail.facts.text()
    window.undo_stack.undo()
    assert app.calendar.cadence(contact) == 0


def test_plan_a_follow_up_series_and_undo(app: AppContext, qtbot: Any, monkeypatch: Any) -> None:
    from PySide6.QtWidgets import QInputDialog

    from crm_desktop.domain.records import ContactDraft

    contact = app.contacts.create(ContactDraft(first_name="Mira", last_name="Kos")).id
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    window.contacts.open_contact(contact)
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("New lead", True))
    window.contacts.on_contact_action("series", contact)
    titles = [e.title for e in app.timeline.timeline("contacts", contact)]
    assert sum("(planned)" in t for t in titles) == 3
    window.undo_stack.undo()
    titles = [e.title for e in app.timeline.timeline("contacts", contact)]
    assert sum("(planned)" in t for t in titles) == 0
    window.undo_stack.redo()
    titles = [e.title for e in app.timeline.timeline("contacts", contact)]
    assert sum("(planned)" in t for t in titles) == 3


def test_plan_a_follow_up_series_for_a_deal(
    demo_app: AppContext, qtbot: Any, monkeypatch: Any
) -> None:
    from PySide6.QtWidgets import QInputDialog

    window = MainWindow(demo_app, SyncRunner())
    qtbot.addWidget(window)
    window.show()
    window.sidebar.setCurrentRow(2)
    deal_id = next(c for col in window.pipeline_view.columns for c in col.cards_data()).id
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("New lead", True))
    before = len(demo_app.timeline.timeline("deals", deal_id))
    window.pipeline_view.series_requested.emit(deal_id)
    titles = [e.title for e in demo_app.timeline.timeline("deals", deal_id)]
    assert len(titles) == before + 3
    window.undo_stack.undo()
    assert len(demo_app.timeline.timeline("deals", deal_id)) == before


def test_the_calendar_opens_on_my_activities(app: AppContext, qtbot: Any) -> None:
    """The first-run user's own calendar, not the whole team's."""
    from crm_desktop.gui.views.calendar import CalendarView

    me = app.users.create_me("Lena Graf").id
    colleague = app.users.create("Tom Becker").id
    start = dt.datetime.combine(dt.date.today(), dt.time(10, 0)).astimezone()
    app.calendar.schedule("call", "My call", start, 30, owner_id=me)
    app.calendar.schedule("call", "Tom's call", start, 30, owner_id=colleague)
    view = CalendarView(app)
    qtbot.addWidget(view)
    view.resize(900, 650)
    view.show()
    assert view.owner_filter.currentData() == me
    assert view.owner_filter.currentText() == "Lena Graf (me)"
    assert [o.subject for o in view.found] == ["My call"]
    view.owner_filter.setCurrentIndex(view.owner_filter.findData(None))
    view.show_range()
    assert sorted(o.subject for o in view.found) == ["My call", "Tom's call"]


def test_the_calendar_opens_at_the_current_hour(app: AppContext, qtbot: Any) -> None:
    from crm_desktop.gui.views.calendar import CalendarView
    from crm_desktop.gui.views.calendar_grid import HourCanvas

    view = CalendarView(app)
    qtbot.addWidget(view)
    view.grid.now = lambda: dt.datetime(2026, 11, 23, 15, 40)
    view.resize(900, 650)
    view.show()
    # The hours are laid out once the window is: wait for that, then look where it is.
    qtbot.waitUntil(lambda: view.grid.scroller.verticalScrollBar().maximum() > 0)
    bar, viewport = view.grid.scroller.verticalScrollBar(), view.grid.scroller.viewport()
    hour = 15 * HourCanvas.HOUR
    assert bar.value() <= hour and hour + HourCanvas.HOUR <= bar.value() + viewport.height()
    assert view.grid.first_hour_shown() >= 12  # not the fixed 07:00 of before


def test_a_new_activity_belongs_to_me_in_the_team_view(
    app: AppContext, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm_desktop.gui.dialogs.activity_editor import ActivityEditorDialog
    from crm_desktop.gui.views.calendar import CalendarView

    me = app.users.create_me("Lena Graf").id
    app.users.create("Tom Becker")
    view = CalendarView(app)
    qtbot.addWidget(view)
    view.show()
    view.owner_filter.setCurrentIndex(view.owner_filter.findData(None))  # everyone
    owners: list[str | None] = []

    def fake_exec(dialog: ActivityEditorDialog) -> int:
        owners.append(dialog.ui.owner.currentData())
        return 0

    monkeypatch.setattr(ActivityEditorDialog, "exec", fake_exec)
    view.new_button.click()
    assert owners == [me]


def test_an_early_hour_opens_at_that_hour(app: AppContext, qtbot: Any) -> None:
    from crm_desktop.gui.views.calendar import CalendarView

    view = CalendarView(app)
    qtbot.addWidget(view)
    view.grid.now = lambda: dt.datetime(2026, 11, 23, 5, 10)
    view.resize(900, 650)
    view.show()
    qtbot.waitUntil(lambda: view.grid.scroller.verticalScrollBar().maximum() > 0)
    assert view.grid.first_hour_shown() == 4
