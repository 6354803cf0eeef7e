"""Duplicates in the window: the scan screen lists groups with reasons, the merge dialog
shows the records side by side with a choice per field, and the merge is one undo step."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ContactDraft, EmailEntry, ListQuery
from crm_desktop.gui.dialogs.duplicates import DuplicatesDialog, MergeDialog
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner


def two_annas(app: AppContext) -> tuple[str, str]:
    first = app.contacts.create(
        ContactDraft(
            first_name="Anna",
            last_name="Müller",
            lead_source="Website",
            emails=(EmailEntry("anna@lindenhof.example"),),
        )
    ).id
    second = app.contacts.create(
        ContactDraft(
            first_name="Anna",
            last_name="Mueller",
            lead_source="Trade fair",
            emails=(EmailEntry("ANNA@lindenhof.example"),),
        )
    ).id
    return first, second


def live_ids(app: AppContext) -> set[str]:
    return {row.id for row in app.contacts.page(ListQuery()).rows}


def test_scan_merge_and_undo(app: AppContext, qtbot: Any, monkeypatch: Any) -> None:
    first, second = two_annas(app)
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    dialog = DuplicatesDialog(app, window.runner, window.contacts.merge_records, window)
    qtbot.addWidget(dialog)
    dialog.scan()
    assert len(dialog.groups) == 1
    group_item = dialog.tree.topLevelItem(0)
    assert group_item is not None and "e-mail" in group_item.text(1).lower()
    chosen: dict[str, Any] = {}

    def fake_exec(merge: MergeDialog) -> int:
        # Keep the first, but take the second's lead source.
        row = [f.key for f in merge.preview.fields].index("lead_source")
        merge.table.cellWidget(row, 1).setChecked(True)
        chosen.update(merge.choices())
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(MergeDialog, "exec", fake_exec)
    dialog.merge_current()
    assert dialog.tree.topLevelItemCount() == 0
    assert live_ids(app) == {first} or live_ids(app) == {second}
    kept = next(iter(live_ids(app)))
    assert app.contacts.get(kept).lead_source == "Trade fair"
    window.undo_stack.undo()
    assert live_ids(app) == {first, second}
    assert app.contacts.get(first).lead_source == "Website"
    window.undo_stack.redo()
    assert len(live_ids(app)) == 1


def test_merge_selected_needs_two(app: AppContext, qtbot: Any, monkeypatch: Any) -> None:
    from PySide6.QtWidgets import QMessageBox

    two_annas(app)
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: told.append(a[2]))
    window.contacts_view.table.selectRow(0)
    window.contacts.merge_selected()
    assert told and "two or more" in told[0]
    monkeypatch.setattr(MergeDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    window.contacts_view.table.selectAll()
    window.contacts.merge_selected()
    assert len(live_ids(app)) == 1


def test_merge_of_a_record_gone_to_the_trash_says_why(
    app: AppContext, qtbot: Any, monkeypatch: Any
) -> None:
    from PySide6.QtWidgets import QMessageBox

    first, second = two_annas(app)
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    app.contacts.delete([second])
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: told.append(a[2]))
    assert window.contacts.merge_records("contacts", [first, second]) is False
    assert told and "Trash" in told[0]
