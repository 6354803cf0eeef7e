"""Calendar settings in the window: the follow-up template editor, the calendar file kept
up to date for other apps, and closing to the tray so reminders keep coming."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import icalendar
from PySide6.QtGui import QCloseEvent

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ActivityDraft
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner


def test_template_editor_creates_edits_and_deletes(
    app: AppContext, qtbot: Any, monkeypatch: Any
) -> None:
    app.pipeline.create_pipeline("Sales")
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    box = window.settings_view.templates
    assert [box.template.itemText(i) for i in range(box.template.count())] == ["New lead"]
    assert box.steps.rowCount() == 3
    box.new_template()
    box.name.setText("Onboarding")
    box.steps.item(0, 2).setText("Welcome call")
    box.add_step(14, "meeting", "Review after two weeks")
    stage = app.pipeline.pipelines()[0].stages[-1]
    box.stage.setCurrentIndex(box.stage.findData(stage.id))
    box.save()
    saved = {t.name: t for t in app.followups.templates()}
    assert set(saved) == {"New lead", "Onboarding"}
    onboarding = saved["Onboarding"]
    assert [(s.day, s.kind, s.subject) for s in onboarding.steps] == [
        (0, "call", "Welcome call"),
        (14, "meeting", "Review after two weeks"),
    ]
    assert onboarding.stage_id == stage.id
    assert box.template.currentText() == "Onboarding"
    # Editing keeps the id; an empty name is refused with a message, nothing saved.
    box.steps.selectRow(1)
    box.remove_step()
    box.save()
    assert len({t.id: t for t in app.followups.templates()}[onboarding.id].steps) == 1
    warnings: list[str] = []
    import crm_desktop.gui.views.settings_calendar as module

    monkeypatch.setattr(module.QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    box.name.setText(" ")
    box.save()
    assert warnings and "name" in warnings[0]
    box.reload(select=onboarding.id)
    monkeypatch.setattr(
        module.QMessageBox, "question", lambda *_a: module.QMessageBox.StandardButton.Yes
    )
    box.delete_template()
    assert [t.name for t in app.followups.templates()] == ["New lead"]


def test_calendar_file_is_kept_up_to_date(app: AppContext, qtbot: Any, tmp_path: Path) -> None:
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    feed = tmp_path / "team.ics"
    window.settings_view.feed.set_feed(str(feed))
    assert app.preferences.ics_feed == str(feed)
    window.data.feed_timer.timeout.emit()
    assert feed.exists()
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
    old = start - dt.timedelta(days=400)
    app.calendar.create(ActivityDraft("call", "Call the bakery", start))
    app.calendar.create(ActivityDraft("call", "Ancient call", old))
    window.hub.changed(app.calendar.create(ActivityDraft("task", "Send offer", start)).changes)
    assert window.data.feed_timer.isActive()  # debounced: many changes, one write
    window.data.feed_timer.timeout.emit()
    calendar = icalendar.Calendar.from_ical(feed.read_bytes())
    summaries = {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")}
    assert summaries == {"Call the bakery", "Send offer"}  # the last 90 days and ahead
    assert not list(tmp_path.glob(".team.ics.*"))  # no temporary file left
    window.settings_view.feed.set_feed("")
    assert app.preferences.ics_feed == ""


def test_closing_keeps_running_in_the_tray_where_there_is_one(app: AppContext, qtbot: Any) -> None:
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    window.show()
    shown: list[str] = []

    class FakeTray:
        def showMessage(self, _title: str, text: str, *_a: Any) -> None:
            shown.append(text)

    window.reminders.tray = FakeTray()  # type: ignore[assignment]
    event = QCloseEvent()
    window.closeEvent(event)
    assert not event.isAccepted() and not window.isVisible()
    assert shown and "remind" in shown[0]
    window.bring_back()
    assert window.isVisible()
    app.preferences = replace(app.preferences, keep_running_in_tray=False)
    event = QCloseEvent()
    window.save_layout = lambda: None  # type: ignore[method-assign]
    window.closeEvent(event)
    assert event.isAccepted()


def test_import_and_export_calendar_from_the_window(
    app: AppContext, qtbot: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from PySide6.QtWidgets import QMessageBox

    data = Path(__file__).parents[2] / "integration" / "data" / "google_calendar.ics"
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "show", lambda box: shown.append(box.text()))
    window.data.import_calendar(str(data))
    assert shown and "4 new" in shown[0] and "Not imported (1)" in shown[0]
    out = tmp_path / "out.ics"
    window.data.export_calendar(str(out))
    events = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert len(events) == 4
