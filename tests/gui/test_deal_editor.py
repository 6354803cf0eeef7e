"""The deal page: a deal made on the board gets its person by search, moves stage, is
marked won or lost with a reason from the list (and reopened), keeps a note, lists its
activities, and picks its expected close from a calendar; all undoable in the window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDateEdit, QDialog

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.pipeline import DealDraft
from crm_desktop.domain.records import CompanyDraft, ContactDraft, ListQuery, RoleEntry
from crm_desktop.gui.dialogs import base, reason_dialog
from crm_desktop.gui.dialogs.deal_editor import DealEditorDialog
from crm_desktop.gui.main_window import MainWindow


@pytest.fixture(autouse=True)
def never_discard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "ask_discard", lambda _parent: True)


@pytest.fixture
def sales(app: AppContext) -> AppContext:
    """A pipeline with open, won and lost stages, reasons, a company and a person."""
    app.pipeline.create_pipeline(
        "Sales",
        [
            ("Lead", 10, 14, "open"),
            ("Proposal", 50, 14, "open"),
            ("Won", 100, 0, "won"),
            ("Lost", 0, 0, "lost"),
        ],
    )
    app.pipeline.add_reason("lost", "Price too high")
    app.pipeline.add_reason("won", "Best offer")
    company = app.companies.create(CompanyDraft(name="Nordwind GmbH"))
    app.contacts.create(
        ContactDraft(
            first_name="Greta",
            last_name="Lindqvist",
            roles=(RoleEntry(company.id, "Buyer", "Nordwind GmbH"),),
        )
    )
    return app


@pytest.fixture
def window_app(sales: AppContext) -> AppContext:
    return sales


def _stages(app: AppContext) -> dict[str, str]:
    return {s.name: s.id for s in app.pipeline.pipelines()[0].stages}


def _board_deal(app: AppContext, title: str = "Fleet upgrade") -> str:
    """A deal as the board's New button makes it: no person, no company."""
    pipeline = app.pipeline.pipelines()[0]
    draft = DealDraft(title=title, pipeline_id=pipeline.id, stage_id=_stages(app)["Lead"])
    return str(app.deals.create(draft).id)


def _editor(app: AppContext, qtbot: Any, deal_id: str, parent: Any = None) -> DealEditorDialog:
    dialog = DealEditorDialog(app, app.deals.get(deal_id).draft, deal_id, parent)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_a_deal_from_the_board_is_linked_to_a_person_found_by_search(
    sales: AppContext, qtbot: Any
) -> None:
    deal_id = _board_deal(sales)
    dialog = _editor(sales, qtbot, deal_id)
    assert dialog.focusWidget() is dialog.ui.title
    dialog.ui.contact.setFocus()
    QTest.keyClicks(dialog.ui.contact, "lindq")
    popup = dialog.person.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    assert popup.model().rowCount() == 1
    QTest.keyClick(popup, Qt.Key.Key_Down)
    QTest.keyClick(popup, Qt.Key.Key_Return)
    assert dialog.ui.contact.text().startswith("Greta Lindqvist")
    assert dialog.ui.company.text() == "Nordwind GmbH"  # the person's company comes along
    QTest.keyClick(dialog.ui.title, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    draft = dialog.draft()
    assert draft.contact_id is not None and draft.company_id is not None
    assert sales.contacts.get(draft.contact_id).display_name == "Greta Lindqvist"


def test_a_name_that_finds_nobody_is_refused_at_the_person_field(
    sales: AppContext, qtbot: Any
) -> None:
    dialog = _editor(sales, qtbot, _board_deal(sales))
    dialog.ui.tabs.setCurrentWidget(dialog.ui.linesPage)
    dialog.ui.contact.setText("Nobody Known")
    QTest.keyClick(dialog.ui.linesTable, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert dialog.ui.tabs.currentWidget() is dialog.ui.detailsPage
    assert dialog.focusWidget() is dialog.ui.contact
    assert "no person named 'Nobody Known'" in dialog.ui.errorLabel.text()


def test_saving_in_the_window_links_the_person_and_moves_the_stage_undoably(
    window: MainWindow, sales: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal_id = _board_deal(sales)

    def fake_exec(dialog: DealEditorDialog) -> int:
        assert dialog.ui.stage.isEnabled()  # the stage of an open deal can be changed
        dialog.person.choose(sales.contacts.ids(ListQuery())[0], "Greta Lindqvist")
        dialog.ui.stage.setCurrentIndex(dialog.ui.stage.findText("Proposal (50 %)"))
        assert "moves to Proposal" in dialog.ui.statusLabel.text()
        dialog._accept()
        return int(dialog.result())

    monkeypatch.setattr(DealEditorDialog, "exec", fake_exec)
    window.deals.edit_deal(deal_id)
    record = sales.deals.get(deal_id)
    assert record.stage_name == "Proposal" and record.contact_name == "Greta Lindqvist"
    assert [m.to_stage for m in record.history] == ["Lead", "Proposal"]
    while window.undo_stack.canUndo():
        window.undo_stack.undo()
    record = sales.deals.get(deal_id)
    assert record.stage_name == "Lead" and record.contact_name == ""


def test_lost_asks_the_reason_from_the_list_and_saves(
    window: MainWindow, sales: AppContext, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal_id = _board_deal(sales)
    offered: list[list[str]] = []

    def ask(_parent: Any, kind: str, reasons: Any) -> tuple[str, str]:
        offered.append([r.label for r in reasons])
        return reasons[0].id, "went with a cheaper offer"

    monkeypatch.setattr(reason_dialog, "ask_reason", ask)
    dialog = _editor(sales, qtbot, deal_id, window)
    assert dialog.ui.wonButton.isVisible() and dialog.ui.lostButton.isVisible()
    QTest.mouseClick(dialog.ui.lostButton, Qt.MouseButton.LeftButton)
    assert offered == [["Price too high"]]
    assert dialog.result() == QDialog.DialogCode.Accepted
    record = sales.deals.get(deal_id)
    assert (record.status, record.reason, record.close_note) == (
        "lost",
        "Price too high",
        "went with a cheaper offer",
    )
    window.undo_stack.undo()
    assert sales.deals.get(deal_id).status == "open"


def test_cancelling_the_reason_keeps_the_deal_open_and_the_editor(
    sales: AppContext, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal_id = _board_deal(sales)
    monkeypatch.setattr(reason_dialog, "ask_reason", lambda *_a: None)
    dialog = _editor(sales, qtbot, deal_id)
    dialog.ui.wonButton.click()
    assert dialog.isVisible() and sales.deals.get(deal_id).status == "open"


def test_a_lost_deal_says_why_its_stage_is_locked_and_can_be_reopened(
    sales: AppContext, qtbot: Any
) -> None:
    deal_id = _board_deal(sales)
    reason = sales.pipeline.reasons("lost")[0].id
    sales.pipeline.move(deal_id, _stages(sales)["Lost"], None, reason, "")
    dialog = _editor(sales, qtbot, deal_id)
    assert not dialog.ui.stage.isEnabled()
    assert "Price too high" in dialog.ui.statusLabel.text()
    assert "Reopen" in dialog.ui.statusLabel.text()
    assert not dialog.ui.wonButton.isVisible() and dialog.ui.reopenButton.isVisible()
    dialog.ui.reopenButton.click()
    assert dialog.ui.stage.isEnabled()
    dialog.ui.stage.setCurrentIndex(dialog.ui.stage.findText("Proposal (50 %)"))
    QTest.keyClick(dialog.ui.title, Qt.Key.Key_Return)
    record = sales.deals.get(deal_id)
    assert (record.status, record.stage_name, record.reason) == ("open", "Proposal", "")


def test_won_and_lost_say_what_is_missing_without_reasons(app: AppContext, qtbot: Any) -> None:
    app.pipeline.create_pipeline("Sales", [("Lead", 10, 14, "open"), ("Lost", 0, 0, "lost")])
    dialog = _editor(app, qtbot, _board_deal(app))
    assert not dialog.ui.lostButton.isEnabled()
    assert "Add a lost reason in Settings" in dialog.ui.lostButton.toolTip()
    assert "has no won stage" in dialog.ui.wonButton.toolTip()


def test_a_note_is_kept_with_ctrl_enter_and_listed_with_the_activities(
    sales: AppContext, qtbot: Any
) -> None:
    deal_id = _board_deal(sales)
    dialog = _editor(sales, qtbot, deal_id)
    dialog.ui.tabs.setCurrentWidget(dialog.ui.notesPage)
    QTest.keyClicks(dialog.ui.noteText, "Budget approved in March")
    QTest.keyClick(dialog.ui.noteText, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result() == QDialog.DialogCode.Accepted
    again = _editor(sales, qtbot, deal_id)
    shown = [again.ui.activitiesList.item(i).text() for i in range(again.ui.activitiesList.count())]
    assert len(shown) == 1 and "Note (done): Budget approved in March" in shown[0]


def test_expected_close_is_picked_from_a_calendar(sales: AppContext, qtbot: Any) -> None:
    dialog = _editor(sales, qtbot, _board_deal(sales))
    close = dialog.ui.expectedClose
    assert isinstance(close, QDateEdit) and close.calendarPopup()
    assert dialog.draft().expected_close is None
    close.setValue(dt.date(2026, 12, 18))
    assert close.text() == "18 Dec 2026"
    assert dialog.draft().expected_close == dt.date(2026, 12, 18)


def test_escape_after_typing_in_the_deal_asks_before_closing(
    sales: AppContext, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[bool] = []
    monkeypatch.setattr(base, "ask_discard", lambda _p: asked.append(True) or False)
    dialog = _editor(sales, qtbot, _board_deal(sales))
    QTest.keyClick(dialog.ui.title, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and asked == []
    dialog = _editor(sales, qtbot, _board_deal(sales))
    QTest.mouseClick(dialog.ui.addLine, Qt.MouseButton.LeftButton)
    assert not dialog.ui.addLine.autoDefault()
    QTest.keyClick(dialog.ui.title, Qt.Key.Key_Escape)
    assert asked == [True] and dialog.isVisible()


def test_the_deal_page_offers_the_campaigns_and_saves_the_one_chosen(
    window: MainWindow, sales: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    spring = sales.campaigns.create("Spring mailing", cost_cents=25_000).id
    sales.campaigns.create("Autumn fair")
    deal_id = _board_deal(sales)

    def choose_spring(dialog: DealEditorDialog) -> int:
        combo = dialog.ui.campaign
        assert [combo.itemText(i) for i in range(combo.count())] == [
            "None",
            "Autumn fair",
            "Spring mailing",
        ]
        assert combo.currentData() is None
        combo.setCurrentIndex(combo.findText("Spring mailing"))
        dialog._accept()
        return int(dialog.result())

    monkeypatch.setattr(DealEditorDialog, "exec", choose_spring)
    window.deals.edit_deal(deal_id)
    assert sales.deals.get(deal_id).draft.campaign_id == spring

    # Opened again, the page shows it; set back to None, the deal has no campaign.
    def shown_then_cleared(dialog: DealEditorDialog) -> int:
        assert dialog.ui.campaign.currentText() == "Spring mailing"
        dialog.ui.campaign.setCurrentIndex(0)
        dialog._accept()
        return int(dialog.result())

    monkeypatch.setattr(DealEditorDialog, "exec", shown_then_cleared)
    window.deals.edit_deal(deal_id)
    assert sales.deals.get(deal_id).draft.campaign_id is None
