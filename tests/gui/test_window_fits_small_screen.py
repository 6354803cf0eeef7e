"""The window fits a 1024x700 screen, whatever section was visited: no view's bar or
form asks for more room than that."""

from __future__ import annotations

from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner

SCREEN = (1024, 700)


@pytest.mark.parametrize("data", ["empty", "demo"])
def test_the_window_fits_1024x700_after_every_section(
    app: AppContext, qtbot: Any, data: str
) -> None:
    if data == "demo":
        app.demo.generate(contacts=300, seed=7)
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    window.resize(*SCREEN)
    window.show()
    for row in range(window.sidebar.count()):
        window.sidebar.setCurrentRow(row)
        view = window.stack.currentWidget()
        name = window.sidebar.item(row).text()
        hint = window.minimumSizeHint()
        assert hint.width() <= SCREEN[0], f"after {name}: {hint.width()} px wide"
        assert hint.height() <= SCREEN[1], f"after {name}: {hint.height()} px high"
        assert view.minimumSizeHint().width() <= SCREEN[0] - window.sidebar.width()
    for mode in ("day", "week", "month", "agenda"):
        window.sidebar.setCurrentRow(3)
        window.calendar_view.set_mode(mode)
        assert window.minimumSizeHint().width() <= SCREEN[0], f"calendar {mode}"
    window.resize(*SCREEN)
    assert (window.width(), window.height()) == SCREEN
