"""Help reaches a getting-started page and the shortcut list (read from the actions
themselves); the palette offers every menu action; the status bar counts what is shown."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QTextBrowser

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ListQuery
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.widgets.command_palette import palette_actions


@pytest.fixture
def window_app(demo_app: AppContext) -> AppContext:
    return demo_app


def test_help_menu_opens_getting_started_and_shortcuts(window: MainWindow) -> None:
    help_menu = window.menuBar().actions()[-1].menu()
    texts = [a.text().replace("&", "") for a in help_menu.actions() if not a.isSeparator()]
    assert texts == ["Getting started", "Keyboard shortcuts", "About crm-desktop"]
    window.getting_started_action.trigger()  # type: ignore[attr-defined]
    page = window.findChildren(QTextBrowser)[-1]
    assert page.isVisible() and "Import contacts or companies" in page.toPlainText()
    window.shortcuts_action.trigger()  # type: ignore[attr-defined]
    shortcuts = window.findChildren(QTextBrowser)[-1].toPlainText()
    for line in ("Import contacts or companies", "Ctrl+I", "Go to Pipeline", "Ctrl+3"):
        assert line in shortcuts


def test_palette_offers_import_export_and_new_deal(window: MainWindow) -> None:
    offered = palette_actions(window.actions_by_name, window.sidebar.setCurrentRow)
    names = [name for name, _run in offered]
    for wanted in ("Import contacts or companies", "Export this list", "New deal", "Back up now"):
        assert wanted in names


def test_status_bar_counts_what_the_section_shows(window: MainWindow, demo_app: AppContext) -> None:
    window.sidebar.setCurrentRow(1)
    companies = demo_app.companies.count(ListQuery())
    assert f"{companies:,} companies" in window.db_label.text()
    window.sidebar.setCurrentRow(0)
    assert "300 contacts" in window.db_label.text()
