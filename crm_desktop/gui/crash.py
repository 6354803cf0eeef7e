"""Unexpected exceptions in the window: written to the log with their traceback and shown
in a dialog that names the log file, instead of vanishing; the app keeps running.

An expected failure that escaped a slot (the database locked past its timeout, a full
disk, a read-only folder, a damaged file) is no bug: it is shown as its one line.

PySide6 hands an exception raised in a slot or in an overridden Qt method (paintEvent...)
to `sys.excepthook` and carries on, so one hook covers both. The same error is shown once
(a broken paintEvent would otherwise open a dialog on every repaint); later ones are only
logged. Qt's own warnings go to the log too.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import (
    QMessageLogContext,
    QObject,
    QtMsgType,
    QUrl,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox

from crm_desktop.services.maintenance import expected_failure

log = logging.getLogger("crm_desktop.crash")
_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


class CrashHandler(QObject):
    """Installed by `run_window` for the life of the window."""

    # An exception from another thread: shown on the GUI thread (queued).
    _from_thread = Signal(str, str)

    def __init__(self, log_file: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self.shown: list[str] = []  # the errors a dialog was shown for
        self._seen: set[tuple[str, str]] = set()
        self._showing = False
        self._previous_hook: Callable[..., Any] | None = None
        self._previous_thread_hook: Callable[..., Any] | None = None
        self._previous_qt: Any = None
        self._from_thread.connect(self._show)

    def install(self) -> None:
        self._previous_hook, sys.excepthook = sys.excepthook, self.handle
        self._previous_thread_hook, threading.excepthook = threading.excepthook, self._thread
        self._previous_qt = qInstallMessageHandler(_qt_message)

    def uninstall(self) -> None:
        if self._previous_hook is not None:
            sys.excepthook = self._previous_hook
            self._previous_hook = None
        if self._previous_thread_hook is not None:
            threading.excepthook = self._previous_thread_hook
            self._previous_thread_hook = None
        qInstallMessageHandler(self._previous_qt)

    def handle(
        self,
        kind: type[BaseException],
        value: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):  # Ctrl+C in the terminal: stop, as usual
            QApplication.exit(130)
            return
        known = expected_failure(value)
        if known is not None:  # locked, disk full, read-only, damaged: no bug, say what
            log.warning("%s", known, exc_info=(kind, value, tb))
            if str(known) not in self.shown:
                self.shown.append(str(known))
                QMessageBox.warning(QApplication.activeWindow(), "crm-desktop", str(known))
            return
        log.error("unexpected error", exc_info=(kind, value, tb))
        where = traceback.extract_tb(tb)[-1] if tb is not None else None
        signature = (kind.__name__, f"{where.filename}:{where.lineno}" if where else str(value))
        if signature in self._seen:
            return
        self._seen.add(signature)
        self._show(f"{kind.__name__}: {value}", "".join(traceback.format_exception(value)))

    def _thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        log.error(
            "unexpected error in thread %s",
            args.thread.name if args.thread else "?",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )
        self._from_thread.emit(
            f"{args.exc_type.__name__}: {args.exc_value}",
            "".join(traceback.format_exception(args.exc_value)),
        )

    def _show(self, summary: str, details: str) -> None:
        if self._showing:  # an error while the dialog is open: logged, not stacked
            return
        self._showing = True
        self.shown.append(summary)
        try:
            box = QMessageBox(QApplication.activeWindow())
            box.setIcon(QMessageBox.Icon.Critical)
            box.setWindowTitle("crm-desktop: unexpected error")
            where = (
                f"The details are in the log file:<br><b>{self.log_file}</b>"
                if self.log_file
                else "The log file could not be written."
            )
            box.setText(
                "Something went wrong that crm-desktop did not expect. Your saved data is "
                f"safe; you can keep working.<br><br>{summary}<br><br>{where}<br><br>"
                "Please send the log file with a short note of what you did."
            )
            box.setDetailedText(details)
            open_folder = (
                box.addButton("Open log folder", QMessageBox.ButtonRole.ActionRole)
                if self.log_file
                else None
            )
            box.addButton("Continue", QMessageBox.ButtonRole.AcceptRole)
            box.exec()
            if open_folder is not None and box.clickedButton() is open_folder and self.log_file:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_file.parent)))
        finally:
            self._showing = False


def _qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    logging.getLogger("qt").log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)
    print(message, file=sys.stderr)  # where Qt prints it by default
