"""Automation in the window: the rules editor reached from the Tools menu (a rule made,
tried on past data without writing anything, renamed, deleted), and the rules running by
themselves after a change and at the start, each event once, with a line in the status
bar; a failing run is one line, not a crash."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.activities import Step
from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.records import ContactDraft, ListQuery, TimelineKind
from crm_desktop.domain.segments import parse_filter
from crm_desktop.gui.automation.rules_dialog import RulesDialog
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner


@pytest.fixture
def club(app: AppContext) -> AppContext:
    app.contacts.create(ContactDraft(first_name="Ada", last_name="Club", tags=("Club",)))
    app.segments.save("Club", parse_filter({"field": "tag", "op": "has", "value": "Club"}))
    app.followups.save_template("Welcome", [Step(0, "call", "Welcome call")])
    return app


@pytest.fixture
def window(club: AppContext, qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(club, SyncRunner())
    qtbot.addWidget(win)
    yield win
    win.automation.stop()


def _open_editor(window: MainWindow) -> RulesDialog:
    window.automation_action.trigger()  # Tools > Automation rules…
    dialog = window.automation.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def _fill_welcome(dialog: RulesDialog) -> None:
    dialog.new_button.click()
    dialog.name.setText("Welcome club")
    dialog.trigger.setCurrentIndex(dialog.trigger.findData("segment_entered"))
    dialog.segment.setCurrentIndex(dialog.segment.findData("Club"))
    dialog.action.setCurrentIndex(dialog.action.findData("start_followup"))
    dialog.template.setCurrentIndex(dialog.template.findData("Welcome"))


def _notes(app: AppContext, contact_id: str) -> list[str]:
    return [
        e.title
        for e in app.timeline.timeline("contacts", contact_id, 50)
        if e.kind is TimelineKind.ACTIVITY
    ]


def test_the_editor_shows_only_the_fields_of_the_trigger_and_action(window: MainWindow) -> None:
    dialog = _open_editor(window)
    _fill_welcome(dialog)
    assert dialog.segment.isVisible() and dialog.template.isVisible()
    assert not dialog.stage.isVisible() and not dialog.tag.isVisible()
    dialog.action.setCurrentIndex(dialog.action.findData("send_email"))
    assert dialog.subject.isVisible() and dialog.body.isVisible() and dialog.purpose.isVisible()
    assert not dialog.template.isVisible()


def test_try_on_past_data_shows_what_it_would_do_and_writes_nothing(
    window: MainWindow, club: AppContext
) -> None:
    dialog = _open_editor(window)
    _fill_welcome(dialog)
    dialog.try_button.click()
    assert dialog.results.rowCount() == 1
    assert dialog.results.item(0, 0).text() == "Ada Club"
    assert dialog.results.item(0, 2).text() == "follow-up series Welcome"
    assert "would have acted 1 time" in dialog.results_label.text()
    assert club.automation.rules() == []  # tried, not saved
    ada = club.contacts.ids(ListQuery())[0]
    assert _notes(club, ada) == []


def test_a_rule_saved_in_the_editor_runs_by_itself_once(
    window: MainWindow, club: AppContext
) -> None:
    window.settle()  # the window is up: the rules start running by themselves
    dialog = _open_editor(window)
    _fill_welcome(dialog)
    dialog.save_button.click()
    assert [r.name for r in club.automation.rules()] == ["Welcome club"]
    assert dialog.list.count() == 1
    assert "enters the segment Club" in dialog.list.item(0).text()
    assert window.automation.pending.isActive()  # a run follows shortly
    window.automation.pending.timeout.emit()
    ada = club.contacts.ids(ListQuery())[0]
    notes = _notes(club, ada)
    assert "Call (planned): Welcome call" in notes
    assert any(n.endswith("Automation Welcome club: follow-up series Welcome") for n in notes)
    assert window.automation.last_status == "Automation: 1 action done"
    # A new club member, announced as the contact editor does: a run after the change.
    ben = club.contacts.create(ContactDraft(first_name="Ben", last_name="Club", tags=("Club",)))
    window.hub.changed(ben.changes)
    assert window.automation.pending.isActive()
    window.automation.pending.timeout.emit()
    assert "Call (planned): Welcome call" in _notes(club, ben.id)
    window.automation_run_action.trigger()  # Tools > Run automation now: nothing twice
    assert _notes(club, ada).count("Call (planned): Welcome call") == 1
    assert _notes(club, ben.id).count("Call (planned): Welcome call") == 1


def test_renaming_replaces_and_delete_removes(window: MainWindow, club: AppContext) -> None:
    dialog = _open_editor(window)
    _fill_welcome(dialog)
    dialog.enabled.setChecked(False)
    dialog.save_button.click()
    dialog.name.setText("Greet the club")
    dialog.save_button.click()
    assert [(r.name, r.enabled) for r in club.automation.rules()] == [("Greet the club", False)]
    dialog.remove_button.click()
    assert club.automation.rules() == []
    assert dialog.list.count() == 0


def test_a_refused_rule_says_why_in_the_editor(window: MainWindow, club: AppContext) -> None:
    dialog = _open_editor(window)
    dialog.new_button.click()
    dialog.trigger.setCurrentIndex(dialog.trigger.findData("order_placed"))
    dialog.action.setCurrentIndex(dialog.action.findData("add_tag"))
    dialog.save_button.click()
    assert dialog.error.text() == "a rule needs a name"
    assert club.automation.rules() == []


def test_a_failing_run_is_one_line_in_the_status_bar(
    window: MainWindow, club: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    club.automation.save_rule(
        {"name": "T", "trigger": "order_placed", "action": "add_tag", "params": {"tag": "B"}}
    )

    def broken(*_args: object, **_kw: object) -> None:
        raise CrmError("the database is locked\nby another program")

    monkeypatch.setattr(club.automation, "run_due", broken)
    window.settle()
    window.automation_run_action.trigger()  # Tools > Run automation now
    assert window.automation.last_status == "Automation stopped: the database is locked"
    assert not window.automation.running
    window.hub.changed(ChangeSet.of("orders", ["x"]))
    assert window.automation.pending.isActive()  # it tries again after the next change


def test_a_new_day_runs_the_daily_rules(
    window: MainWindow, club: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    club.automation.save_rule(
        {"name": "T", "trigger": "birthday", "action": "add_tag", "params": {"tag": "B"}}
    )
    window.settle()
    window.automation_run_action.trigger()
    assert club.automation.last_run() == dt.date.today()
    runs: list[object] = []
    monkeypatch.setattr(club.automation, "run_due", lambda: runs.append(1) or [])
    window.automation.daily.timeout.emit()
    assert runs == []  # the same day: nothing to do
    monkeypatch.setattr(club.automation, "last_run", lambda: dt.date.today() - dt.timedelta(1))
    window.automation.daily.timeout.emit()
    assert runs == [1]
