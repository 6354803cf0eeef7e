"""The quick actions' small forms: log a call (what was said, how long, when), add a note,
schedule a follow-up (what, and a date and time picker). Each is finished from the
keyboard: Ctrl+Enter (or Enter outside the text box) saves, Escape cancels."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDateTime, QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from crm_desktop.domain.activities import follow_up_due


class QuickActivityDialog(QDialog):
    """One form for the three quick actions; `kind` is "call", "note" or "follow_up"."""

    def __init__(self, kind: str, contact_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        titles = {"call": "Log a call", "note": "Add a note", "follow_up": "Schedule a follow-up"}
        self.setWindowTitle(f"{titles[kind]} — {contact_name}")
        form = QFormLayout(self)
        self.subject = QLineEdit("Follow up", self)
        self.subject.setAccessibleName("What to do")
        self.text = QPlainTextEdit(self)
        self.text.setAccessibleName("What was said" if kind == "call" else "Note")
        self.text.setPlaceholderText("Ctrl+Enter saves")
        self.text.setTabChangesFocus(True)
        self.minutes = QSpinBox(self)
        self.minutes.setRange(1, 600)
        self.minutes.setValue(15)
        self.minutes.setSuffix(" min")
        self.minutes.setAccessibleName("Call length")
        self.when = QDateTimeEdit(self)
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("ddd d MMM yyyy  HH:mm")
        self.when.setAccessibleName("When")
        if kind == "follow_up":
            form.addRow("What", self.subject)
            self.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(follow_up_due().timestamp())))
            form.addRow("Due", self.when)
            self.text.hide()
            self.minutes.hide()
            self.subject.selectAll()
        else:
            self.subject.hide()
            form.addRow("What was said" if kind == "call" else "Note", self.text)
            if kind == "call":
                form.addRow("Length", self.minutes)
                started = dt.datetime.now(dt.UTC).replace(second=0) - dt.timedelta(minutes=15)
                self.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(started.timestamp())))
                form.addRow("Started", self.when)
            else:
                self.when.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.text.installEventFilter(self)  # Ctrl+Enter saves; Enter is a new line
        self.resize(440, 0)
        (self.subject if kind == "follow_up" else self.text).setFocus(
            Qt.FocusReason.OtherFocusReason
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.accept()
            return True
        return super().eventFilter(watched, event)

    def accept(self) -> None:
        if self.kind != "follow_up" and not self.text.toPlainText().strip():
            self.text.setFocus()
            return
        if self.kind == "follow_up" and not self.subject.text().strip():
            self.subject.setFocus()
            return
        super().accept()

    def when_utc(self) -> dt.datetime:
        local = self.when.dateTime().toPython()
        assert isinstance(local, dt.datetime)
        return local.astimezone().astimezone(dt.UTC)
