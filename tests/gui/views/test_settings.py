"""Settings: stages edited, reordered and removed through the widgets reach the board."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox

from crm_desktop.bootstrap import AppContext
from crm_desktop.gui.main_window import MainWindow


@pytest.fixture
def window_app(demo_app: AppContext) -> AppContext:
    return demo_app


@pytest.fixture
def window(window: MainWindow) -> MainWindow:
    window.show()
    window.sidebar.setCurrentRow(5)
    return window


def board(win: MainWindow) -> dict[str, Any]:
    """What the board shows when it is opened (it is built only when visible)."""
    win.sidebar.setCurrentRow(2)
    columns = {c.stage.name: c for c in win.pipeline_view.columns}
    win.sidebar.setCurrentRow(5)
    return columns


def stage_names(win: MainWindow) -> list[str]:
    return list(board(win))


def test_rename_and_probability_reach_the_board(window: MainWindow) -> None:
    view = window.settings_view
    view.stages.item(0, 0).setText("New lead")
    view.stages.item(0, 1).setText("15")
    view.save_stages()
    assert stage_names(window)[0] == "New lead"
    assert board(window)["New lead"].stage.probability == 15


def test_bad_numbers_are_refused_with_one_line(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))
    window.settings_view.stages.item(0, 1).setText("lots")
    window.settings_view.save_stages()
    assert shown and "whole numbers" in shown[0]
    assert board(window)["Lead"].stage.probability == 10


def test_reorder_add_and_remove_stages(
    window: MainWindow, demo_app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = window.settings_view
    view.stages.selectRow(0)
    view.move_stage(1)
    assert stage_names(window)[:2] == ["Qualified", "Lead"]
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Demo booked", True))
    view.add_stage()
    assert "Demo booked" in stage_names(window)
    lead_deals = len(board(window)["Lead"].cards_data())
    qualified = len(board(window)["Qualified"].cards_data())
    view.stages.selectRow(stage_names(window).index("Lead"))
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("Qualified", True))
    view.remove_stage()
    assert "Lead" not in stage_names(window)
    assert len(board(window)["Qualified"].cards_data()) == qualified + lead_deals


def test_reasons_and_business(
    window: MainWindow, demo_app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Went silent", True))
    window.settings_view.add_reason("lost")
    assert "Went silent" in [r.label for r in demo_app.pipeline.reasons("lost")]
    window.settings_view.business_name.setText("Nordlicht GmbH")
    window.settings_view.save_business()
    assert demo_app.settings.get("business_name") == "Nordlicht GmbH"


def test_rename_and_remove_a_reason(
    window: MainWindow, demo_app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = window.settings_view
    first = demo_app.pipeline.reasons("lost")[0]
    view.lost.setCurrentRow(0)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Price (too high)", True))
    view.rename_reason("lost")
    assert demo_app.pipeline.reasons("lost")[0].label == "Price (too high)"
    view.lost.setCurrentRow(0)
    view.remove_reason("lost")
    assert first.id not in [r.id for r in demo_app.pipeline.reasons("lost")]


def test_choose_who_works_on_this_computer(window: MainWindow, demo_app: AppContext) -> None:
    view = window.settings_view
    assert demo_app.users.me() is None  # five demo users, nobody chosen yet
    tom = next(u for u in demo_app.users.list() if u.name.startswith("Tom"))
    view.me.setCurrentIndex(view.me.findData(tom.id))
    view.save_business()
    assert demo_app.users.me() == tom
    assert demo_app.users.default_owner_id() == tom.id


def test_settings_stack_on_a_small_window(window: MainWindow) -> None:
    from PySide6.QtWidgets import QBoxLayout

    view = window.settings_view
    window.resize(1024, 700)
    view.resize(840, 640)
    assert view.columns.direction() == QBoxLayout.Direction.TopToBottom
    view.resize(1300, 800)
    assert view.columns.direction() == QBoxLayout.Direction.LeftToRight


def test_exchange_rates_and_targets_are_edited_in_settings(
    window: MainWindow, demo_app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from decimal import Decimal

    from PySide6.QtWidgets import QComboBox

    rates = window.settings_view.rates
    rates.add_rate()
    table = rates.table
    table.item(0, 0).setText("czk")
    table.item(0, 1).setText("2026-11")
    table.item(0, 2).setText("0,0398")
    rates.save()
    assert [(r.currency, r.month, r.rate) for r in demo_app.settings.exchange_rates()] == [
        ("CZK", "2026-11", Decimal("0.0398"))
    ]
    assert table.item(0, 0).text() == "CZK"  # shown as stored
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))
    table.item(0, 2).setText("cheap")
    rates.save()
    assert shown and "a rate is a number" in shown[0]
    assert demo_app.settings.exchange_rates()[0].rate == Decimal("0.0398")  # nothing stored
    targets = window.settings_view.targets
    targets.add_target()
    targets.add_target()
    anna = demo_app.users.list()[0]
    who = targets.table.cellWidget(1, 0)
    assert isinstance(who, QComboBox)
    who.setCurrentIndex(who.findData(anna.id))
    targets.table.item(0, 2).setText("100,000")
    targets.table.item(1, 1).setText("2026-11")
    targets.table.item(1, 2).setText("25000.50")
    targets.save()
    assert {(t.who, t.month, t.cents) for t in demo_app.settings.targets()} == {
        ("business", "*", 100_000_00),
        (anna.id, "2026-11", 25_000_50),
    }
    doc = demo_app.reports.monthly("2026-11")
    table_ = next(t for t in doc.summary[0].tables if t.title.startswith("Targets"))
    row = next(r for r in table_.rows if r[0] == anna.name)
    assert row[1] == 25_000_50
    assert table_.total_row is not None and table_.total_row[1] == 100_000_00
