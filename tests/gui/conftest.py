"""Fixtures of the GUI tests: one `window`, and Qt warnings failing the test.

`window` is the main window over `window_app`, which is the empty `app` unless a module
says otherwise (`demo_app`, or data of its own):

    @pytest.fixture
    def window_app(demo_app: AppContext) -> AppContext:
        return demo_app

A module that wants the window shown, sized or in a section overrides `window` by
asking for this one (`def window(window: MainWindow) -> MainWindow: window.show() ...`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

from crm_desktop.bootstrap import AppContext
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner

# Harmless messages of the offscreen platform plugin the tests run on, not of the app
# ("This plugin does not support propagateSizeHints()" and the like, on some Qt builds).
KNOWN_PLATFORM_MESSAGES = (re.compile(r"^This plugin does not support "),)

_FAILING = (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)

Handler = Callable[[QtMsgType, QMessageLogContext, str], Any]


@pytest.fixture(autouse=True)
def qt_warnings_fail() -> Iterator[list[str]]:
    """Any Qt warning or critical message during a GUI test fails it (the messages of
    the offscreen platform in `KNOWN_PLATFORM_MESSAGES` aside). Messages still reach the
    handler before this one (pytest-qt's, so `qtlog` sees them too)."""
    found: list[str] = []
    previous: Handler | None = None

    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if mode in _FAILING and not any(p.search(message) for p in KNOWN_PLATFORM_MESSAGES):
            found.append(f"{mode.name}: {message}")
        if previous is not None:
            previous(mode, context, message)

    previous = qInstallMessageHandler(handler)
    yield found
    qInstallMessageHandler(previous)
    if found:
        pytest.fail("Qt warned during the test:\n" + "\n".join(found), pytrace=False)


@pytest.fixture
def window_app(app: AppContext) -> AppContext:
    """The data the `window` shows; a module overrides it to show other data."""
    return app


@pytest.fixture
def window(window_app: AppContext, qtbot: Any) -> Iterator[MainWindow]:
    """The main window over `window_app`, not shown; its undo stack is emptied after the
    test (the commands hold the services of an app about to close)."""
    win = MainWindow(window_app, SyncRunner())
    qtbot.addWidget(win)
    yield win
    win.undo_stack.clear()
