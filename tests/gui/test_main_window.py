"""The window on real data: models pass Qt's model tester; search, editing, undo, Trash,
duplicate warnings and the palette are driven through the widgets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QInputDialog

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import (
    CompanyDraft,
    ContactDraft,
    EmailEntry,
    ListQuery,
    PhoneEntry,
    Trash,
)
from crm_desktop.gui.contacts.quick import QuickActivityDialog
from crm_desktop.gui.dialogs.contact_editor import ContactEditorDialog
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.models.record_lists import CompanyTableModel, ContactTableModel
from crm_desktop.gui.tasks import SyncRunner


@pytest.fixture
def window(demo_app: AppContext, qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(demo_app, SyncRunner())
    qtbot.addWidget(win)
    yield win
    win.undo_stack.clear()


def test_contact_model_passes_the_model_tester(demo_app: AppContext, qtmodeltester: Any) -> None:
    model = ContactTableModel(demo_app.contacts)
    model.set_query(ListQuery())
    qtmodeltester.check(model)
    assert model.rowCount() == 300


def test_company_model_passes_the_model_tester(demo_app: AppContext, qtmodeltester: Any) -> None:
    model = CompanyTableModel(demo_app.companies)
    model.set_query(ListQuery())
    qtmodeltester.check(model)


def test_sorting_by_a_header_sorts_in_sql(demo_app: AppContext) -> None:
    model = ContactTableModel(demo_app.contacts)
    model.set_query(ListQuery())
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert model.query.sort == "name" and model.query.descending
    expected = demo_app.contacts.rows(
        demo_app.contacts.ids(ListQuery(sort="name", descending=True))[:1]
    )[0].display_name
    assert model.data(model.index(0, 0)) == expected


def test_search_as_you_type(window: MainWindow, demo_app: AppContext, qtbot: Any) -> None:
    view = window.contacts_view
    # QTest types ASCII keys only; the search folds accents, so "muller" finds every Müller.
    qtbot.keyClicks(view.search, "muller")
    qtbot.waitUntil(lambda: window.contacts.contacts_model.query.search == "muller", timeout=3000)
    model = window.contacts.contacts_model
    expected = demo_app.contacts.count(ListQuery(search="müller"))
    assert 0 < model.rowCount() == expected < 300
    names = [model.data(model.index(r, 0)) for r in range(model.rowCount())]
    assert all("Müller" in n for n in names)


def test_selecting_a_contact_shows_details_and_timeline(window: MainWindow) -> None:
    window.contacts_view.table.selectRow(0)
    detail = window.contacts.contact_detail
    assert detail.record_id == window.contacts.contacts_model.id_at(0)
    assert detail.title.text() == window.contacts.contacts_model.data(
        window.contacts.contacts_model.index(0, 0)
    )
    assert detail.timeline.count() > 0


def test_edit_through_the_editor_then_undo_and_redo(
    window: MainWindow, demo_app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    contact_id = window.contacts.contacts_model.id_at(0)
    original = demo_app.contacts.get(contact_id).last_name

    def fake_exec(dialog: ContactEditorDialog) -> int:
        dialog.ui.lastName.setText("Zimmermann")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ContactEditorDialog, "exec", fake_exec)
    window.contacts.on_contact_action("edit", contact_id)
    assert demo_app.contacts.get(contact_id).last_name == "Zimmermann"
    assert "Zimmermann" in window.contacts.contact_detail.title.text()
    window.undo_action.trigger()
    assert demo_app.contacts.get(contact_id).last_name == original
    window.redo_action.trigger()
    assert demo_app.contacts.get(contact_id).last_name == "Zimmermann"


def test_new_contact_then_undo_moves_it_to_trash(
    window: MainWindow, demo_app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_exec(dialog: ContactEditorDialog) -> int:
        dialog.ui.firstName.setText("Nadia")
        dialog.ui.lastName.setText("Quellmalz")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ContactEditorDialog, "exec", fake_exec)
    window.new_contact_action.trigger()
    assert demo_app.contacts.count(ListQuery(search="quellmalz")) == 1
    assert window.contacts.contact_detail.title.text() == "Nadia Quellmalz"
    window.undo_stack.undo()
    assert demo_app.contacts.count(ListQuery(search="quellmalz")) == 0
    assert demo_app.contacts.count(ListQuery(search="quellmalz", trash=Trash.ONLY)) == 1


def test_delete_to_trash_restore_and_undo(window: MainWindow, demo_app: AppContext) -> None:
    view = window.contacts_view
    view.table.selectRow(0)
    contact_id = view.selected_ids()[0]
    window.delete_action.trigger()
    assert demo_app.contacts.count(ListQuery()) == 299
    assert contact_id not in [
        window.contacts.contacts_model.id_at(r)
        for r in range(window.contacts.contacts_model.rowCount())
    ]
    view.trash_button.setChecked(True)
    assert window.contacts.contacts_model.rowCount() == 1
    view.table.selectRow(0)
    window.restore_action.trigger()
    assert demo_app.contacts.count(ListQuery()) == 300
    window.undo_stack.undo()  # undo the restore: back in the Trash
    assert demo_app.contacts.count(ListQuery()) == 299


def test_duplicate_warning_while_typing_links_to_the_existing_record(
    window: MainWindow, demo_app: AppContext, qtbot: Any
) -> None:
    existing = demo_app.contacts.create(
        ContactDraft(
            first_name="Wilhelmina",
            last_name="Oosterhuis",
            emails=(EmailEntry("w.oosterhuis@example.nl"),),
            phones=(PhoneEntry("+31 20 555 0101"),),
        )
    )
    dialog = ContactEditorDialog(demo_app, None, None, window)
    qtbot.addWidget(dialog)
    opened: list[str] = []
    dialog.open_requested.connect(opened.append)
    dialog.ui.addEmails.click()
    dialog.ui.emailsTable.item(0, 1).setText("W.Oosterhuis@EXAMPLE.nl")
    qtbot.waitUntil(lambda: not dialog.ui.duplicateWarning.isHidden(), timeout=3000)
    warning = dialog.ui.duplicateWarning.text()
    assert "Wilhelmina Oosterhuis" in warning and "same e-mail" in warning
    dialog.ui.duplicateWarning.linkActivated.emit(existing.id)
    assert opened == [existing.id]


def test_duplicate_warning_for_the_same_phone_in_another_format(
    demo_app: AppContext, qtbot: Any
) -> None:
    demo_app.contacts.create(
        ContactDraft(
            first_name="Piet", last_name="Jansen", phones=(PhoneEntry("+49 30 1234 5678"),)
        )
    )
    dialog = ContactEditorDialog(demo_app)
    qtbot.addWidget(dialog)
    dialog.ui.addPhones.click()
    dialog.ui.phonesTable.item(0, 1).setText("030 12345678")
    dialog.check_duplicates()
    assert "same phone +493012345678" in dialog.ui.duplicateWarning.text()


def test_editor_refuses_bad_input_with_a_readable_message(demo_app: AppContext, qtbot: Any) -> None:
    dialog = ContactEditorDialog(demo_app)
    qtbot.addWidget(dialog)
    dialog.ui.firstName.setText("Bad")
    dialog.ui.addEmails.click()
    dialog.ui.emailsTable.item(0, 1).setText("not-an-address")
    dialog.ui.buttons.accepted.emit()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "not a valid e-mail address" in dialog.ui.errorLabel.text()


def test_quick_actions_write_the_timeline_and_undo(
    window: MainWindow, demo_app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    contact_id = window.contacts.contacts_model.id_at(0)

    def fill(dialog: QuickActivityDialog) -> int:
        dialog.text.setPlainText("Agreed a demo next week")
        dialog.minutes.setValue(25)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QuickActivityDialog, "exec", fill)
    window.contacts.on_contact_action("log_call", contact_id)
    first = demo_app.timeline.timeline("contacts", contact_id)[0]
    assert first.title.startswith("Call (done)") and "Agreed a demo" in first.detail
    window.undo_stack.undo()
    titles = [e.title for e in demo_app.timeline.timeline("contacts", contact_id)]
    assert first.title not in titles[:1]


def test_bulk_tag_and_undo(
    window: MainWindow, demo_app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = window.contacts_view
    view.table.selectAll()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Spring 2027", True))
    window.tag_action.trigger()
    assert demo_app.contacts.count(ListQuery(tag="Spring 2027")) == 300
    window.undo_stack.undo()
    assert demo_app.contacts.count(ListQuery(tag="Spring 2027")) == 0


def test_command_palette_finds_records_and_actions(window: MainWindow, qtbot: Any) -> None:
    palette = window.open_palette()
    qtbot.addWidget(palette)
    palette.input.setText("muller")
    palette.refresh()
    texts = [palette.results.item(i).text() for i in range(palette.results.count())]
    assert any("Müller" in t for t in texts)
    palette.input.setText("new comp")
    palette.refresh()
    assert palette.results.item(0).text() == "New company"


def test_sections_switch_views_and_are_keyboard_reachable(window: MainWindow) -> None:
    window.sidebar.setCurrentRow(1)
    assert window.stack.currentWidget() is window.companies_view
    window.sidebar.setCurrentRow(2)
    assert window.stack.currentWidget() is window.pipeline_view
    window.sidebar.setCurrentRow(3)
    assert window.stack.currentWidget() is window.calendar_view
    window.sidebar.setCurrentRow(4)
    assert window.stack.currentWidget() is window.reports_view
    shortcuts = {a.shortcut().toString() for a in window.actions()}
    assert {"Ctrl+K", "Ctrl+1", "Ctrl+2", "Ctrl+Z"} <= shortcuts | {
        window.undo_action.shortcut().toString()
    }


def test_every_input_has_an_accessible_name(
    window: MainWindow, demo_app: AppContext, qtbot: Any
) -> None:
    from PySide6.QtWidgets import (
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QPlainTextEdit,
        QTableWidget,
    )

    dialog = ContactEditorDialog(demo_app, None, None, window)
    qtbot.addWidget(dialog)
    for root in (window, dialog):
        for kind in (QLineEdit, QComboBox, QPlainTextEdit, QTableWidget):
            for widget in root.findChildren(kind):
                if isinstance(widget.parent(), QComboBox | QTableWidget | QAbstractSpinBox):
                    continue  # internal editors of a combo box, a spin box or a table cell
                assert widget.accessibleName(), f"{kind.__name__} {widget.objectName()}"


def test_layout_is_remembered(demo_app: AppContext, qtbot: Any) -> None:
    first = MainWindow(demo_app, SyncRunner())
    qtbot.addWidget(first)
    first.contacts_view.table.setColumnHidden(3, True)
    first.sidebar.setCurrentRow(1)
    first.save_layout()
    second = MainWindow(demo_app, SyncRunner())
    qtbot.addWidget(second)
    assert second.contacts_view.table.isColumnHidden(3)
    assert second.sidebar.currentRow() == 1


def test_a_saved_order_is_the_order_of_the_first_query(
    demo_app: AppContext, qtbot: Any, monkeypatch: Any
) -> None:
    first = MainWindow(demo_app, SyncRunner())
    qtbot.addWidget(first)
    first.contacts_view.table.sortByColumn(7, Qt.SortOrder.DescendingOrder)
    first.save_layout()
    asked: list[tuple[str, bool]] = []
    first_ids = demo_app.contacts.first_ids

    def counted(query: ListQuery, limit: int) -> tuple[list[str], int]:
        asked.append((query.sort, query.descending))
        return first_ids(query, limit)

    monkeypatch.setattr(demo_app.contacts, "first_ids", counted)
    monkeypatch.setattr(demo_app.contacts, "ids", lambda _query: pytest.fail("every id read"))
    second = MainWindow(demo_app, SyncRunner())
    qtbot.addWidget(second)
    assert asked == [("updated", True)]  # one query at start (its first page), in the saved order
    model = second.contacts.contacts_model
    newest = first_ids(ListQuery(sort="updated", descending=True), 1)[0][0]
    assert model.id_at(0) == newest


def test_hidden_sections_read_nothing_until_shown(
    demo_app: AppContext, qtbot: Any, monkeypatch: Any
) -> None:
    read: list[str] = []
    for service, method in (
        (demo_app.companies, "ids"),
        (demo_app.campaigns, "all"),
        (demo_app.pipeline, "pipelines"),
    ):
        original = getattr(service, method)

        def reading(*args: Any, _name: str = method, _fn: Any = original, **kwargs: Any) -> Any:
            read.append(_name)
            return _fn(*args, **kwargs)

        monkeypatch.setattr(service, method, reading)
    window = MainWindow(demo_app, SyncRunner())
    qtbot.addWidget(window)
    window.show()
    assert read == []  # the window opens on the contacts
    window.hub.changed(demo_app.campaigns.create("News", None, subject="Hi").changes)
    window.hub.changed(demo_app.companies.create(CompanyDraft(name="Hidden Ltd")).changes)
    assert read == []  # a change to a hidden section only marks it stale
    window.sidebar.setCurrentRow(1)
    assert read == ["ids"]
    assert any(
        window.companies_view.model.data(window.companies_view.model.index(r, 0)) == "Hidden Ltd"
        for r in range(window.companies_view.model.rowCount())
    )
    window.sidebar.setCurrentRow(2)
    assert "pipelines" in read
    window.sidebar.setCurrentRow(6)
    assert "all" in read
    names = window.campaigns.view.list
    assert "News" in [names.item(i).text().split("\n")[0] for i in range(names.count())]


def test_company_people_filter_and_consent_in_detail(
    window: MainWindow, demo_app: AppContext
) -> None:
    window.sidebar.setCurrentRow(1)
    window.companies_view.table.selectRow(0)
    company_id = window.contacts.company_detail.record_id
    assert company_id
    people = {p[0] for p in demo_app.companies.get(company_id).people}
    window.contacts.on_company_action("show_people", company_id)
    model = window.contacts.contacts_model
    shown = {model.id_at(r) for r in range(model.rowCount())}
    assert shown == people
    assert not window.contacts_view.company_chip.isHidden()
    window.contacts_view.company_chip.click()
    assert window.contacts.contacts_model.rowCount() == 300

    import sqlite3

    with sqlite3.connect(demo_app.paths.database) as conn:
        contact_id, purpose = conn.execute(
            "SELECT contact_id, purpose FROM consents LIMIT 1"
        ).fetchone()
    window.contacts.open_contact(contact_id)
    assert purpose.replace("_", " ") in window.contacts.contact_detail.facts.text()


def test_save_and_use_a_segment(
    window: MainWindow, demo_app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = window.contacts_view
    view.search.setText("muller")
    view.apply_filters()
    expected = window.contacts.contacts_model.rowCount()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("The Müllers", True))
    window.segment_action.trigger()
    assert [s.name for s in demo_app.segments.list()] == ["The Müllers"]
    view.search.clear()
    view.apply_filters()
    assert window.contacts.contacts_model.rowCount() == 300
    view.segment_filter.setCurrentIndex(view.segment_filter.findText("The Müllers"))
    window.contacts.apply_segment()
    assert window.contacts.contacts_model.rowCount() == expected < 300
    assert view.search.text() == "muller"


def test_later_sections_are_built_when_first_shown_and_reminders_after_the_paint(
    window: MainWindow, demo_app: AppContext, qtbot: Any
) -> None:
    from crm_desktop.gui.host import CALENDAR, SETTINGS
    from crm_desktop.gui.views.calendar import CalendarView
    from crm_desktop.gui.views.settings import SettingsView

    assert not window.settled and window.reminders.scheduled() == []
    built = [type(window.stack.widget(i)) for i in range(window.stack.count())]
    assert CalendarView not in built and SettingsView not in built
    window.sidebar.setCurrentRow(CALENDAR)
    assert window.stack.currentWidget() is window.calendar_view
    window.sidebar.setCurrentRow(SETTINGS)
    assert isinstance(window.stack.currentWidget(), SettingsView)
    assert window.stack.indexOf(window.calendar_view) == CALENDAR
    qtbot.waitUntil(lambda: window.settled, timeout=5000)  # soon after the first paint


def test_a_window_closed_before_it_settled_leaves_the_reminders_for_next_time(
    demo_app: AppContext, qtbot: Any
) -> None:
    win = MainWindow(demo_app, SyncRunner())
    qtbot.addWidget(win)
    win.settings.remove("reminders/checked")
    win.close()
    assert not win._settle_timer.isActive()  # nothing runs on data about to close
    assert not win.settled and win.settings.value("reminders/checked") is None
