"""The contacts feature reacts to change sets by itself: an edit refreshes its row and
keeps the selection; quick actions are finished from the keyboard; bulk edits are one
undo step."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QInputDialog

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ListQuery
from crm_desktop.gui.contacts.quick import QuickActivityDialog
from crm_desktop.gui.main_window import MainWindow


@pytest.fixture
def window_app(demo_app: AppContext) -> AppContext:
    return demo_app


def test_an_edit_elsewhere_refreshes_the_row_and_keeps_the_selection(
    window: MainWindow, demo_app: AppContext
) -> None:
    model = window.contacts.contacts_model
    view = window.contacts_view
    view.table.selectRow(3)
    contact_id = model.id_at(3)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    record = demo_app.contacts.get(contact_id)
    draft = record.to_draft()
    from dataclasses import replace

    changed = demo_app.contacts.update(contact_id, replace(draft, notes="Prefers mornings"))
    window.hub.changed(changed.changes)
    assert resets == []  # same ids in the same order: no reset, rows fetched again
    assert view.selected_ids() == [contact_id]
    assert "Prefers mornings" in window.contacts.contact_detail.facts.text()


def test_an_activity_change_does_not_query_the_lists_again(
    window: MainWindow, demo_app: AppContext
) -> None:
    resets: list[int] = []
    window.contacts.contacts_model.modelReset.connect(lambda: resets.append(1))
    contact_id = window.contacts.contacts_model.id_at(0)
    saved = demo_app.activities.add_note(contact_id, "Called about the invoice")
    window.hub.changed(saved.changes)
    assert resets == []


def test_quick_note_is_saved_with_ctrl_enter(demo_app: AppContext, qtbot: Any) -> None:
    dialog = QuickActivityDialog("note", "Ada", None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.text.hasFocus() or dialog.focusWidget() is dialog.text
    QTest.keyClicks(dialog.text, "First line")
    QTest.keyClick(dialog.text, Qt.Key.Key_Return)  # a new line, not a save
    assert dialog.isVisible()
    QTest.keyClicks(dialog.text, "Second")
    QTest.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.text.toPlainText() == "First line\nSecond"


def test_empty_quick_call_is_not_accepted(qtbot: Any) -> None:
    dialog = QuickActivityDialog("call", "Ada", None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.accept()
    assert dialog.isVisible()


def test_follow_up_picks_a_date_and_time(
    window: MainWindow, demo_app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    contact_id = window.contacts.contacts_model.id_at(0)
    due_local = dt.datetime(2027, 1, 14, 15, 30)

    def fill(dialog: QuickActivityDialog) -> int:
        dialog.subject.setText("Send the offer")
        dialog.when.setDateTime(
            dialog.when.dateTime().fromSecsSinceEpoch(int(due_local.astimezone().timestamp()))
        )
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QuickActivityDialog, "exec", fill)
    window.contacts.on_contact_action("follow_up", contact_id)
    start = due_local.astimezone().astimezone(dt.UTC)
    found = demo_app.calendar.occurrences(start, start + dt.timedelta(minutes=1))
    assert [o.subject for o in found] == ["Send the offer"]
    window.undo_stack.undo()
    assert demo_app.calendar.occurrences(start, start + dt.timedelta(minutes=1)) == []


def test_bulk_owner_of_selected_contacts_is_one_undo_step(
    window: MainWindow, demo_app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = demo_app.users.list()
    target = users[-1]
    view = window.contacts_view
    view.table.selectAll()
    before = demo_app.contacts.count(ListQuery(owner_id=target.id))
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: (target.name, True))
    window.owner_action.trigger()
    assert demo_app.contacts.count(ListQuery(owner_id=target.id)) == 300
    assert window.undo_stack.count() == 1
    window.undo_stack.undo()
    assert demo_app.contacts.count(ListQuery(owner_id=target.id)) == before
