"""A driver for the real window: starts crm-desktop as its command line does
(`cli.main([...])`, which runs the event loop) and works it from inside that loop the way
a user would, through the menu bar's actions and shortcuts. Modal dialogs are answered
by looking at the dialog that is really open: a file dialog gets a path typed in, a
message box is read and closed. Nothing of the app is patched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QWidget,
)

from crm_desktop import cli

# How long the driver waits for something the app does in the background (an export
# thread) before it gives up: generous, it only bounds a hang, it is not a speed limit.
PATIENCE_MS = 60_000


@dataclass
class Seen:
    """What the user saw while the driver worked."""

    dialogs: list[str] = field(default_factory=list)  # "Class: title: text"
    errors: list[str] = field(default_factory=list)  # warnings, criticals, crash dialogs
    failures: list[str] = field(default_factory=list)  # the driver's own assertion errors


def strip_mnemonic(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


class WindowDriver:
    """Answers modal dialogs as they open: `file_answers` are paths for the next file
    dialogs (in order); every other modal dialog is recorded and closed."""

    def __init__(self) -> None:
        self.seen = Seen()
        self._window: QWidget | None = None
        self.file_answers: list[str] = []
        self.on_dialog: Callable[[QDialog], bool] | None = None  # True: handled
        self._poll = QTimer()
        self._poll.setInterval(20)
        self._poll.timeout.connect(self._answer_modal)

    # ---- start ------------------------------------------------------------------------

    def run(self, argv: list[str], script: Callable[[WindowDriver], None]) -> int:
        """Start the app with `argv` and run `script` once its window shows; the script
        ends by quitting. Returns the process exit code of `cli.main`."""

        def start() -> None:
            try:
                script(self)
            except Exception as exc:  # recorded, then the app is closed anyway
                logging.getLogger(__name__).exception("driver script failed")
                self.seen.failures.append(f"{type(exc).__name__}: {exc}")
            finally:
                self._poll.stop()
                window = self.window()
                if window is not None:
                    window.quit_app()  # type: ignore[attr-defined]
                else:
                    QApplication.quit()

        def wait_for_window() -> None:
            if self.window() is None:
                QTimer.singleShot(20, wait_for_window)
                return
            self._poll.start()
            start()

        QTimer.singleShot(0, wait_for_window)
        return cli.main(argv)

    # ---- the window -------------------------------------------------------------------

    def window(self) -> QWidget | None:
        """The main window, looked for among the top-level widgets until it shows and
        kept from then on (until the app replaces it). Every top-level widget listed
        is wrapped anew, menus and pop-ups Qt made and deletes itself among them, so the
        driver lists them as seldom as it can."""
        if self._window is not None and shiboken6.isValid(self._window):
            return self._window if self._window.isVisible() else None
        self._window = None
        for widget in QApplication.topLevelWidgets():
            if type(widget).__name__ == "MainWindow" and widget.isVisible():
                self._window = widget
                return widget
        return None

    def menu_action(self, menu_title: str, text: str) -> QAction:
        """The action under `menu_title` whose visible text is `text` (mnemonics ignored)."""
        window = self.window()
        assert window is not None, "no main window"
        for top in window.menuBar().actions():  # type: ignore[attr-defined]
            menu = top.menu()
            if not isinstance(menu, QMenu) or strip_mnemonic(top.text()) != menu_title:
                continue
            for action in menu.actions():
                if strip_mnemonic(action.text()) == text:
                    return action
        raise AssertionError(f"no menu action {menu_title} › {text}")

    def menu_texts(self) -> dict[str, list[str]]:
        window = self.window()
        assert window is not None
        found: dict[str, list[str]] = {}
        for top in window.menuBar().actions():  # type: ignore[attr-defined]
            menu = top.menu()
            if isinstance(menu, QMenu):
                found[strip_mnemonic(top.text())] = [
                    strip_mnemonic(a.text()) for a in menu.actions() if not a.isSeparator()
                ]
        return found

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = QDeadlineTimer(PATIENCE_MS)
        while not condition():
            if deadline.hasExpired():
                raise AssertionError(f"gave up waiting for {what}")
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    def settle(self) -> None:
        """Let background tasks finish and their results arrive on the GUI thread."""
        window = self.window()
        if window is not None:
            runner = window.runner  # type: ignore[attr-defined]
            self.wait_until(lambda: not runner.busy(), "background tasks")
        for _ in range(5):
            QCoreApplication.processEvents()

    def open_dialogs(self, class_name: str) -> list[QWidget]:
        """The window's open dialogs of one class (its own windows have it as parent)."""
        window = self.window()
        if window is None:
            return []
        return [
            w
            for w in window.findChildren(QDialog, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if type(w).__name__ == class_name and w.isVisible()
        ]

    # ---- modal dialogs ----------------------------------------------------------------

    def _answer_modal(self) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog) or not dialog.isVisible():
            return
        if isinstance(dialog, QFileDialog):
            self._answer_file_dialog(dialog)
            return
        text = dialog.text() if isinstance(dialog, QMessageBox) else ""
        entry = f"{type(dialog).__name__}: {dialog.windowTitle()}: {text}"
        self.seen.dialogs.append(entry)
        if isinstance(dialog, QMessageBox) and (
            dialog.icon() in (QMessageBox.Icon.Critical, QMessageBox.Icon.Warning)
            or "unexpected error" in dialog.windowTitle().lower()
        ):
            self.seen.errors.append(entry)
        if self.on_dialog is not None and self.on_dialog(dialog):
            return
        if isinstance(dialog, QMessageBox) and "already exists" in text:
            yes = dialog.button(QMessageBox.StandardButton.Yes)
            if yes is not None:
                yes.click()
                return
        dialog.reject()

    def _answer_file_dialog(self, dialog: QFileDialog) -> None:
        if not self.file_answers:
            self.seen.errors.append(f"unexpected file dialog: {dialog.windowTitle()}")
            dialog.reject()
            return
        answer = Path(self.file_answers.pop(0))
        self.seen.dialogs.append(f"QFileDialog: {dialog.windowTitle()}: {answer.name}")
        # Typed into the file name box, as a user does; accepted once this slot returned,
        # so a question the dialog asks (replace the file?) is answered by the next poll.
        dialog.setDirectory(str(answer.parent))
        name_box = dialog.findChild(QLineEdit, "fileNameEdit")
        assert name_box is not None, "a file dialog without a file name box"
        name_box.setText(str(answer))
        QTimer.singleShot(0, dialog.accept)
