"""The calendar's day/week and month grids: activities placed where they belong, drag to
move or resize (undoable; a repeating one asks what to change), double-click to create,
the editor, done with an outcome, and printing."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ActivityDraft
from crm_desktop.gui.dialogs import activity_editor
from crm_desktop.gui.dialogs.activity_editor import ActivityEditorDialog
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.views.calendar_grid import (
    MIN_LANE,
    HourCanvas,
    day_name,
    midnight,
    place_day,
)


def monday() -> dt.date:
    today = dt.date.today()
    return today - dt.timedelta(days=today.weekday())


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute).astimezone()


@pytest.fixture
def window(window: MainWindow) -> MainWindow:
    window.resize(1360, 820)
    window.show()
    window.sidebar.setCurrentRow(3)
    return window


def centre(canvas: HourCanvas, activity_id: str) -> QPoint:
    placed = next(p for p in canvas.placed if p.occurrence.activity_id == activity_id)
    return canvas._rect(placed).center().toPoint()


def drag(widget: Any, start: QPoint, end: QPoint) -> None:
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    middle = QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2)
    for point in (start + QPoint(0, 6), middle, end):
        QTest.mouseMove(widget, point)
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def test_overlapping_activities_share_the_width() -> None:
    class Slot:
        def __init__(self, start: dt.datetime, minutes: int) -> None:
            self.start, self.end = start, start + dt.timedelta(minutes=minutes)

    day = dt.date(2026, 3, 4)
    placed = place_day(
        [Slot(local(day, 9), 60), Slot(local(day, 9, 30), 60), Slot(local(day, 11), 30)], day, 0
    )
    assert [(p.lane, p.lanes) for p in placed] == [(0, 2), (1, 2), (0, 1)]
    assert placed[0].top == 540 and placed[0].bottom == 600


def test_week_grid_drag_moves_and_resizes_with_undo(app: AppContext, window: MainWindow) -> None:
    view = window.calendar_view
    tuesday = monday() + dt.timedelta(days=1)
    call = app.calendar.create(
        ActivityDraft("call", "Call Anna", local(tuesday, 10), 30)
    ).activity_id
    view.reload()
    canvas = view.grid.canvas
    start = centre(canvas, call)
    hour = HourCanvas.HOUR
    column = view.grid.columns.width(canvas)
    # One day to the right and two hours later.
    drag(canvas, start, start + QPoint(int(column), 2 * hour))
    moved = app.calendar.get(call).draft
    assert moved.start == local(tuesday + dt.timedelta(days=1), 12)
    assert moved.minutes == 30
    window.undo_stack.undo()
    assert app.calendar.get(call).draft.start == local(tuesday, 10)
    window.undo_stack.redo()
    assert app.calendar.get(call).draft.start == local(tuesday + dt.timedelta(days=1), 12)
    # Drag the lower edge one hour down: an hour longer.
    placed = next(p for p in canvas.placed if p.occurrence.activity_id == call)
    edge = canvas._rect(placed).bottomLeft().toPoint() + QPoint(20, -3)
    drag(canvas, edge, edge + QPoint(0, hour))
    assert app.calendar.get(call).draft.minutes == 90


def test_dragging_a_repeating_activity_asks_what_to_move(
    app: AppContext, window: MainWindow, monkeypatch: Any
) -> None:
    view = window.calendar_view
    series = app.calendar.create(
        ActivityDraft("meeting", "Stand-up", local(monday(), 9), 15, rrule="FREQ=DAILY;COUNT=5")
    ).activity_id
    view.reload()
    monkeypatch.setattr("crm_desktop.gui.views.calendar.ask_scope", lambda *_a: "one")
    canvas = view.grid.canvas
    firsts = [p for p in canvas.placed if p.occurrence.activity_id == series]
    assert len(firsts) == 5
    wednesday = next(p for p in firsts if p.day == 2)
    start = canvas._rect(wednesday).center().toPoint()
    drag(canvas, start, start + QPoint(0, HourCanvas.HOUR))
    week = app.calendar.occurrences(midnight(monday()), midnight(monday() + dt.timedelta(days=7)))
    hours = sorted((o.start.astimezone().weekday(), o.start.astimezone().hour) for o in week)
    assert hours == [(0, 9), (1, 9), (2, 10), (3, 9), (4, 9)]
    window.undo_stack.undo()
    week = app.calendar.occurrences(midnight(monday()), midnight(monday() + dt.timedelta(days=7)))
    assert {o.start.astimezone().hour for o in week} == {9}


def test_double_click_creates_through_the_editor(
    app: AppContext, window: MainWindow, monkeypatch: Any
) -> None:
    view = window.calendar_view
    seen: dict[str, Any] = {}

    def fake_exec(dialog: ActivityEditorDialog) -> int:
        seen["start"] = dialog.draft
        dialog.ui.subject.setText("Visit the workshop")
        dialog.ui.kind.setCurrentIndex(dialog.ui.kind.findData("meeting"))
        return 1

    monkeypatch.setattr(ActivityEditorDialog, "exec", fake_exec)
    canvas = view.grid.canvas
    x = int(view.grid.columns.x(canvas, 3) + 20)  # Thursday
    y = 14 * HourCanvas.HOUR + 5
    QTest.mouseDClick(
        canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(x, y)
    )
    found = app.calendar.occurrences(midnight(monday()), midnight(monday() + dt.timedelta(days=7)))
    assert [(o.subject, o.start) for o in found] == [
        ("Visit the workshop", local(monday() + dt.timedelta(days=3), 14))
    ]
    window.undo_stack.undo()
    assert (
        app.calendar.occurrences(midnight(monday()), midnight(monday() + dt.timedelta(days=7)))
        == []
    )


def test_month_grid_shows_more_and_moves_by_day(app: AppContext, window: MainWindow) -> None:
    view = window.calendar_view
    view.set_mode("month")
    first = dt.date.today().replace(day=1)
    for n in range(12):
        app.calendar.create(ActivityDraft("task", f"Task {n}", local(first, 8 + n % 10), 15))
    view.reload()
    month = view.month
    month.grab()  # paints, which lays out the visible lines
    shown = [o for _r, o in month._hits if o.start.astimezone().date() == first]
    assert 0 < len(shown) < 12
    assert any(day == first for _r, day in month._more)
    rect, task = month._hits[0]
    index = month.days().index(first)
    target = month.cell(index + 7 if index + 7 < 42 else index - 7).center().toPoint()
    drag(month, rect.center().toPoint(), target)
    moved = app.calendar.get(task.activity_id).draft.start
    assert abs((moved.astimezone().date() - first).days) == 7
    assert moved.astimezone().hour == task.start.astimezone().hour


def test_editor_round_trip_and_done_with_outcome(
    app: AppContext, window: MainWindow, qtbot: Any, monkeypatch: Any
) -> None:
    draft = ActivityDraft(
        "meeting", "Review", local(monday(), 15), 45, rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"
    )
    dialog = ActivityEditorDialog(app, draft)
    qtbot.addWidget(dialog)
    again = dialog.draft()
    assert (again.subject, again.minutes, again.rrule) == (
        "Review",
        45,
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
    )
    assert again.start == draft.start
    assert dialog.ui.weekdays.text() == "Mon, Thu"  # words, not RFC 5545 codes
    dialog.ui.weekdays.setText("tuesday fri")
    assert dialog.draft().rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,FR"
    dialog.ui.weekdays.setText("Mon, Someday")
    dialog._accept()
    assert "Someday" in dialog.ui.errorLabel.text()
    dialog.ui.weekdays.setText("Mon, Thu")
    dialog.ui.subject.setText("")
    dialog._accept()
    assert "subject" in dialog.ui.errorLabel.text()
    call = app.calendar.create(ActivityDraft("call", "Call Olga", local(monday(), 11))).activity_id
    view = window.calendar_view
    view.reload()
    occurrence = next(o for o in view.found if o.activity_id == call)
    monkeypatch.setattr(
        "crm_desktop.gui.views.calendar.QInputDialog.getText", lambda *a, **k: ("Booked", True)
    )
    view.complete(occurrence)
    record = app.calendar.get(call)
    assert record.draft.done and record.draft.outcome == "Booked"
    window.undo_stack.undo()
    assert not app.calendar.get(call).draft.done


def test_print_week_month_and_agenda_to_pdf(
    app: AppContext, window: MainWindow, tmp_path: Path
) -> None:
    app.calendar.create(ActivityDraft("call", "Call Zeynep", local(monday(), 10)))
    view = window.calendar_view
    view.reload()
    for mode in ("week", "month", "agenda"):
        view.set_mode(mode)
        path = tmp_path / f"{mode}.pdf"
        view.print_pdf(str(path))
        assert path.stat().st_size > 1000
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Call Zeynep" in text or mode != "agenda"
        assert "Call" in text


def test_local_zone_name_is_a_zone_or_utc() -> None:
    name = activity_editor.local_zone_name()
    from crm_desktop.domain.recurrence import zone

    zone(name)


def test_all_day_activity_sits_on_its_date_in_every_view(
    app: AppContext, window: MainWindow, monkeypatch: Any
) -> None:
    view = window.calendar_view
    wednesday = monday() + dt.timedelta(days=2)

    def fake_exec(dialog: ActivityEditorDialog) -> int:
        dialog.ui.subject.setText("Trade fair")
        return 1

    monkeypatch.setattr(ActivityEditorDialog, "exec", fake_exec)
    view.create_at(midnight(wednesday), True)
    found = [o for o in view.found if o.subject == "Trade fair"]
    assert len(found) == 1 and found[0].all_day
    assert found[0].start == dt.datetime(
        wednesday.year, wednesday.month, wednesday.day, tzinfo=dt.UTC
    )
    header = view.grid.header
    assert [(column, o.subject) for column, _lane, o in header.all_day] == [(2, "Trade fair")]
    view.set_mode("month")
    assert [o.subject for o in view.month.by_day[wednesday]] == ["Trade fair"]


def test_wall_clock_position_on_a_dst_day(monkeypatch: Any) -> None:
    import os
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:

        class Slot:
            def __init__(self, start: dt.datetime) -> None:
                self.start, self.end = start, start + dt.timedelta(hours=1)

        from zoneinfo import ZoneInfo

        day = dt.date(2026, 3, 29)  # clocks go forward at 02:00
        ten = dt.datetime(2026, 3, 29, 10, tzinfo=ZoneInfo("Europe/Berlin"))
        (placed,) = place_day([Slot(ten)], day, 0)
        assert placed.top == 600
    finally:
        monkeypatch.delenv("TZ")
        os.environ.pop("TZ", None)
        time.tzset()


def test_delete_from_the_menu_one_occurrence_or_all(
    app: AppContext, window: MainWindow, monkeypatch: Any
) -> None:
    view = window.calendar_view
    series = app.calendar.create(
        ActivityDraft("meeting", "Stand-up", local(monday(), 9), 15, rrule="FREQ=DAILY;COUNT=5")
    ).activity_id
    view.reload()
    week = (midnight(monday()), midnight(monday() + dt.timedelta(days=7)))
    occurrence = next(o for o in view.found if o.start.astimezone().weekday() == 2)
    monkeypatch.setattr("crm_desktop.gui.views.calendar.ask_scope", lambda *_a: "one")
    view.delete(occurrence)
    assert len(app.calendar.occurrences(*week)) == 4
    monkeypatch.setattr("crm_desktop.gui.views.calendar.ask_scope", lambda *_a: "following")
    occurrence = next(o for o in view.found if o.start.astimezone().weekday() == 3)
    view.delete(occurrence)
    assert len(app.calendar.occurrences(*week)) == 2
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert len(app.calendar.occurrences(*week)) == 5
    assert app.calendar.get(series).draft.rrule == "FREQ=DAILY;COUNT=5"


def test_editor_keeps_rule_parts_it_has_no_field_for(app: AppContext, qtbot: Any) -> None:
    draft = ActivityDraft(
        "meeting", "First Tuesday", local(monday(), 9), 60, rrule="BYDAY=1TU;FREQ=MONTHLY;COUNT=6"
    )
    dialog = ActivityEditorDialog(app, draft)
    qtbot.addWidget(dialog)
    assert dialog.draft().rrule == "BYDAY=1TU;FREQ=MONTHLY;COUNT=6"  # unchanged: as stored
    dialog.ui.count.setValue(8)
    assert dialog.draft().rrule == "FREQ=MONTHLY;BYDAY=1TU;COUNT=8"


def visible(canvas: HourCanvas) -> list[Any]:
    return [p for p in canvas.placed if canvas._rect(p) is not None]


def test_a_crowded_hour_collapses_into_plus_n(
    window: MainWindow, app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = monday() + dt.timedelta(days=2)
    for n in range(12):
        app.calendar.schedule("meeting", f"Team meeting {n}", local(day, 10), 60)
    view = window.calendar_view
    view.reload()
    canvas = view.grid.canvas
    shown = visible(canvas)
    assert 0 < len(shown) < 12
    for placed in shown:  # no slivers: every block keeps a readable width
        assert canvas._rect(placed).width() >= MIN_LANE - 3
    (crowd,) = canvas.overflows
    assert len(crowd.occurrences) + len(shown) == 12
    assert {o.subject for o in crowd.occurrences}.isdisjoint({p.occurrence.subject for p in shown})
    # A click on "+n" opens that day, where more fit side by side.
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=crowd.rect.center().toPoint())
    assert view.mode == "day" and view.anchor == day
    assert len(visible(canvas)) > len(shown)
    # In the day view a "+n" lists what it holds, to open one.
    opened: list[str] = []
    monkeypatch.setattr(view, "open_occurrence", lambda o: opened.append(o.subject))

    from PySide6.QtWidgets import QMenu

    from crm_desktop.gui.views import calendar

    class FirstChoiceMenu(QMenu):
        def exec(self, *_args: Any) -> Any:  # type: ignore[override]
            self.actions()[0].trigger()

    monkeypatch.setattr(calendar, "QMenu", FirstChoiceMenu)
    held = [p.occurrence for p in canvas.placed[:3]]
    view.show_crowd(day, held, QPoint(0, 0))
    assert opened == [held[0].subject]
    assert view.mode == "day"


def test_an_activity_of_no_length_is_readable(window: MainWindow, app: AppContext) -> None:
    day = monday() + dt.timedelta(days=1)
    app.calendar.schedule("note", "Called back, no answer", local(day, 11), 0)
    app.calendar.schedule("call", "Quick call", local(day, 11, 15), 5)
    window.calendar_view.reload()
    canvas = window.calendar_view.grid.canvas
    line = canvas.fontMetrics().height()
    rects = [canvas._rect(p) for p in canvas.placed]
    assert len(rects) == 2
    for rect in rects:
        assert rect is not None and rect.height() >= line
    # Drawn one under the other or side by side, never one over the other's text.
    assert not rects[0].intersects(rects[1])


def test_day_headings_shorten_with_the_width() -> None:
    day = dt.date(2026, 11, 30)
    assert day_name(day, 120) == f"{day:%a} 30 {day:%b}"
    assert day_name(day, 60) == f"{day:%a} 30"
    assert day_name(day, 30) == "30"
