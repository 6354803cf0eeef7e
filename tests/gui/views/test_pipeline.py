"""The board driven through its widgets: drop a card on another column, won/lost asks for
a reason, undo puts it back; column totals match the cards shown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QInputDialog, QMessageBox

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.pipeline import weighted_cents
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner
from crm_desktop.gui.views.pipeline import DEAL_MIME, CardList, deals_text


@pytest.fixture
def board(demo_app: AppContext, qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(demo_app, SyncRunner())
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.sidebar.setCurrentRow(2)
    yield win
    win.undo_stack.clear()


def drop(target: CardList, deal_id: str, row: int | None = None) -> None:
    """Deliver a drop to a column's list the way a drag from another column does."""
    data = QMimeData()
    data.setData(DEAL_MIME, deal_id.encode())
    if row is None or row >= target.count():
        point = QPointF(10, target.viewport().height() - 2)
    else:
        point = QPointF(target.visualItemRect(target.item(row)).center())
    event = QDropEvent(
        point,
        Qt.DropAction.MoveAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    target.dropEvent(event)


def card_ids(win: MainWindow, stage: str) -> list[str]:
    return [c.id for c in win.pipeline_view.column(stage).cards_data()]


def test_column_totals_equal_the_cards_shown(board: MainWindow) -> None:
    for column in board.pipeline_view.columns:
        cards = column.cards_data()
        assert column.cards.count() == len(cards)
        assert column._data.weighted_cents == sum(
            weighted_cents(c.value_cents, c.probability) for c in cards
        )
        if column.stage.kind == "open":
            assert deals_text(len(cards)) in column.header.text()
        else:  # won and lost deals are hidden until asked for; the column stays a target
            assert not cards and "Drop a deal here" in column.header.text()


def test_drag_a_card_to_the_next_stage_and_undo(board: MainWindow) -> None:
    deal = card_ids(board, "Lead")[0]
    before = len(card_ids(board, "Qualified"))
    drop(board.pipeline_view.column("Qualified").cards, deal, row=0)
    assert card_ids(board, "Qualified")[0] == deal
    assert len(card_ids(board, "Qualified")) == before + 1
    assert deal not in card_ids(board, "Lead")
    board.undo_action.trigger()
    assert deal in card_ids(board, "Lead")
    assert deal not in card_ids(board, "Qualified")


def test_dropping_on_lost_asks_for_a_reason(
    board: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal = card_ids(board, "Negotiation")[0]
    asked: list[str] = []

    def get_item(_parent: Any, title: str, _label: str, items: list[str], *_a: Any) -> Any:
        asked.append(title)
        return items[1], True

    monkeypatch.setattr(QInputDialog, "getItem", get_item)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Budget frozen", True))
    drop(board.pipeline_view.column("Lost").cards, deal)
    assert asked == ["Deal lost"]
    assert deal not in card_ids(board, "Negotiation")
    assert deal not in card_ids(board, "Lost")  # closed deals are hidden by default
    board.pipeline_view.show_closed.setChecked(True)
    assert deal in card_ids(board, "Lost")
    card = next(c for c in board.pipeline_view.column("Lost").cards_data() if c.id == deal)
    assert card.probability == 0


def test_cancelling_the_reason_leaves_the_deal(
    board: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal = card_ids(board, "Proposal")[0]
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("", False))
    drop(board.pipeline_view.column("Won").cards, deal)
    assert deal in card_ids(board, "Proposal")


def test_text_filter_narrows_the_board(board: MainWindow, qtbot: Any) -> None:
    board.pipeline_view.text_filter.setText("zzz-no-such-deal")
    assert all(not c.cards_data() for c in board.pipeline_view.columns)
    board.pipeline_view.text_filter.clear()
    assert any(c.cards_data() for c in board.pipeline_view.columns)


def test_deal_editor_lines_compute_the_value_and_save_undoably(
    board: MainWindow, demo_app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QDialog

    from crm_desktop.gui.dialogs.deal_editor import DealEditorDialog

    seen: list[int] = []

    def fake_exec(dialog: DealEditorDialog) -> int:
        dialog.ui.title.setText("Solar roof")
        dialog.ui.addLine.click()
        table = dialog.ui.linesTable
        table.item(0, 0).setText("Panels")
        table.item(0, 1).setText("10")
        table.item(0, 2).setText("450.00")
        table.item(0, 3).setText("10")
        dialog.ui.valueFromLines.setChecked(True)
        seen.append(round(dialog.ui.value.value() * 100))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(DealEditorDialog, "exec", fake_exec)
    board.pipeline_view.new_button.click()
    assert seen == [405_000]
    assert any(
        c.title == "Solar roof" and c.value_cents == 405_000
        for c in board.pipeline_view.column("Lead").cards_data()
    )
    board.undo_stack.undo()
    assert not any(c.title == "Solar roof" for c in board.pipeline_view.column("Lead").cards_data())


def test_deals_list_view_sorts_in_sql_and_bulk_owner(
    board: MainWindow, demo_app: AppContext, qtmodeltester: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = board.pipeline_view
    view.list_button.click()
    assert view.showing_list()
    model = view.list_model
    qtmodeltester.check(model)
    assert model.rowCount() == 60
    model.sort(2, Qt.SortOrder.DescendingOrder)
    values = [model._record(r).value_cents for r in range(model.rowCount())]
    assert values == sorted(values, reverse=True)
    view.table.selectRow(0)
    view.table.selectRow(0)
    deal = view.selected_deal_ids()[0]
    users = demo_app.users.list()
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: (users[-1].name, True))
    board.owner_action.trigger()
    assert demo_app.deals.get(deal).draft.owner_id == users[-1].id


def test_bulk_move_selected_deals_to_a_stage_and_undo(
    board: MainWindow, demo_app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = board.pipeline_view
    view.list_button.click()
    model = view.list_model
    sales = board.pipeline_view.pipeline_choice.currentData()
    rows = [
        r
        for r in range(model.rowCount())
        if demo_app.deals.get(model.id_at(r)).draft.pipeline_id == sales
    ][:2]
    selection = view.table.selectionModel()
    for row in rows:
        selection.select(
            model.index(row, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        )
    chosen = view.selected_deal_ids()
    assert len(chosen) == 2
    before = {d: demo_app.deals.get(d).draft.stage_id for d in chosen}
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("Negotiation", True))
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: pytest.fail(str(a)))
    board.stage_action.trigger()
    assert {demo_app.deals.get(d).stage_name for d in chosen} == {"Negotiation"}
    board.undo_stack.undo()
    assert {d: demo_app.deals.get(d).draft.stage_id for d in chosen} == before


@pytest.fixture
def empty_board(app: AppContext, qtbot: Any) -> Iterator[MainWindow]:
    """A new user's window: nothing made yet, not even a pipeline."""
    win = MainWindow(app, SyncRunner())
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    win.sidebar.setCurrentRow(2)
    yield win
    win.undo_stack.clear()


def test_an_empty_board_says_what_to_do(empty_board: MainWindow) -> None:
    view = empty_board.pipeline_view
    assert [c.stage.name for c in view.columns][:2] == ["Lead", "Qualified"]
    assert view.empty_state.isVisible()
    assert view.empty_new_button.isVisible() and view.empty_new_button.text() == "New deal"
    view.text_filter.setText("nothing")  # a filter that finds nothing is not an empty board
    assert not view.empty_state.isVisible()


def test_the_first_deal_from_the_empty_state(
    empty_board: MainWindow, app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QDialog

    from crm_desktop.gui.dialogs.deal_editor import DealEditorDialog

    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: pytest.fail(str(a)))

    def fake_exec(dialog: DealEditorDialog) -> int:
        dialog.ui.title.setText("First deal")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(DealEditorDialog, "exec", fake_exec)
    view = empty_board.pipeline_view
    view.empty_new_button.click()
    assert [c.title for c in view.column("Lead").cards_data()] == ["First deal"]
    assert not view.empty_state.isVisible()


def test_closed_deals_are_hidden_until_asked_for(board: MainWindow) -> None:
    view = board.pipeline_view
    assert not view.show_closed.isChecked()
    assert not view.column("Won").cards_data() and not view.column("Lost").cards_data()
    view.show_closed.setChecked(True)
    assert view.column("Won").cards_data() and view.column("Lost").cards_data()


def test_the_column_under_a_dragged_card_is_highlighted(board: MainWindow) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent

    column = board.pipeline_view.column("Qualified")
    data = QMimeData()
    data.setData(DEAL_MIME, card_ids(board, "Lead")[0].encode())
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.MoveAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    column.cards.dragEnterEvent(enter)
    assert enter.isAccepted()
    assert column.drop_highlighted and "border" in column.styleSheet()
    assert not board.pipeline_view.column("Lead").drop_highlighted
    column.cards.dragLeaveEvent(QDragLeaveEvent())
    assert not column.drop_highlighted and not column.styleSheet()
