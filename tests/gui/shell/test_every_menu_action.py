"""Every action of the window's menus, triggered as a user would pick it, runs without an
error or a Qt warning, and those that open a dialog or a window open it. The screens are
built when first used (their modules imported then), so a broken import or a dead action
would otherwise show only when someone picks it.

Modal dialogs are built but not run (`exec` returns "cancelled" at once), file pickers
and questions answer "cancel" / "no", so nothing waits for a user that is not there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QInputDialog,
    QMenu,
    QMessageBox,
)

from crm_desktop.bootstrap import AppContext
from crm_desktop.gui.main_window import MainWindow

# Picked by hand instead: quitting ends the test run's window; a backup runs in the
# background past the end of the test (tests/gui/test_crash.py covers both the menu's
# backup and the restore).
NOT_PICKED = {"File › Quit", "File › Back up now"}

# What a user sees open after picking these (a dialog or a window of its own).
OPENS_SOMETHING = {
    "File › New contact",
    "File › New company",
    "File › New deal",
    "File › Import contacts or companies…",
    "File › Team sharing…",
    "File › Restore from backup…",
    "Edit › New segment…",
    "Edit › Find duplicates…",
    "View › Go to… (command palette)",
    "Tools › Automation rules…",
    "Help › Getting started",
    "Help › Keyboard shortcuts",
    "Help › About crm-desktop",
}


@pytest.fixture
def window_app(demo_app: AppContext) -> AppContext:
    return demo_app


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The modal dialogs run so far (their class names); every modal question answered
    as a user cancelling it."""
    runs: list[str] = []

    def run_modal(dialog: QDialog, *_args: Any) -> int:
        runs.append(type(dialog).__name__)
        return int(QDialog.DialogCode.Rejected)

    def cancel(*_args: Any, **_kwargs: Any) -> tuple[str, str]:
        return "", ""

    def no(*_args: Any, **_kwargs: Any) -> QMessageBox.StandardButton:
        return QMessageBox.StandardButton.No

    def about(*_args: Any, **_kwargs: Any) -> None:
        runs.append("about")

    monkeypatch.setattr(QDialog, "exec", run_modal)
    for name in ("getOpenFileName", "getOpenFileNames", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(cancel))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))
    for name in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(no))
    monkeypatch.setattr(QMessageBox, "about", staticmethod(about))
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("", False)))
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: ("", False)))
    return runs


def menu_actions(menu: QMenu, path: str) -> Iterator[tuple[str, QAction]]:
    """(menu path, action) of every action of a menu and its submenus, in order."""
    for action in menu.actions():
        if action.isSeparator():
            continue
        label = f"{path} › {action.text().replace('&', '')}"
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            yield from menu_actions(submenu, label)
        else:
            yield label, action


def test_every_menu_action_runs_and_opens_what_it_names(
    window: MainWindow, opened: list[str], qtbot: Any
) -> None:
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    picked: list[str] = []
    showed: set[str] = set()
    failed: list[str] = []
    for top in window.menuBar().actions():
        menu = top.menu()
        assert isinstance(menu, QMenu)
        for label, action in menu_actions(menu, top.text().replace("&", "")):
            if label in NOT_PICKED or not action.isEnabled():
                continue
            runs = len(opened)
            with qtbot.captureExceptions() as raised:
                action.trigger()
                QApplication.processEvents()
            failed += [f"{label}: {kind.__name__}: {error}" for kind, error, _tb in raised]
            picked.append(label)
            others = [
                w for w in QApplication.topLevelWidgets() if w is not window and w.isVisible()
            ]
            if len(opened) > runs or others:
                showed.add(label)
            for other in others:
                other.close()
            QApplication.processEvents()
    assert not failed, failed
    assert len(picked) >= 35, picked  # the menus were walked, not skipped
    assert showed >= OPENS_SOMETHING, sorted(OPENS_SOMETHING - showed)
