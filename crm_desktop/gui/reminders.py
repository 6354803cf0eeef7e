"""Reminders: a timer set for the next reminder; a tray notification where there is a
system tray, an in-app notice where there is none (offscreen, some desktops); snooze; the
reminders missed while the app was closed are shown on start."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QSystemTrayIcon, QWidget

from crm_desktop.gui import icons

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

LOOKAHEAD = dt.timedelta(hours=24)
SNOOZE = dt.timedelta(minutes=10)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ReminderScheduler(QObject):
    """Keeps one single-shot timer for the earliest pending reminder."""

    reminded = Signal(object)  # Reminder: shown in the window when there is no tray

    def __init__(
        self,
        context: AppContext,
        settings: QSettings,
        parent: QObject | None = None,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.settings = settings
        self.clock = clock
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.fire_due)
        self._pending: list[Any] = []
        self._snoozed: list[Any] = []
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(icons.app_icon(), self)
            self.tray.setToolTip("crm-desktop")
            self.tray.show()

    def missed(self) -> list[Any]:
        """Reminders between the last time the app looked and now (shown on start)."""
        last = self.settings.value("reminders/checked")
        now = self.clock()
        since = dt.datetime.fromisoformat(str(last)) if last else now
        return self.context.calendar.reminders(since, now) if since < now else []

    def reschedule(self) -> None:
        """Look ahead a day and set the timer for the first reminder still to come."""
        now = self.clock()
        self._pending = self.context.calendar.reminders(now, now + LOOKAHEAD)
        self._pending += [r for r in self._snoozed if r.at >= now]
        self._pending.sort(key=lambda r: r.at)
        self.timer.stop()
        if self._pending:
            delay = max(0, int((self._pending[0].at - now).total_seconds() * 1000))
            self.timer.start(min(delay, 2**31 - 1))

    def scheduled(self) -> list[Any]:
        return list(self._pending)

    def fire_due(self) -> None:
        now = self.clock()
        due = [r for r in self._pending if r.at <= now]
        for reminder in due:
            self.notify(reminder)
        self._snoozed = [r for r in self._snoozed if r.at > now]
        self.settings.setValue("reminders/checked", now.isoformat())
        self.reschedule()

    def notify(self, reminder: Any) -> None:
        local = reminder.occurrence.astimezone()
        text = f"{reminder.kind.capitalize()} at {local:%H:%M}: {reminder.subject}"
        if self.tray is not None:
            self.tray.showMessage("crm-desktop", text, icons.app_icon(), 10_000)
        self.reminded.emit(reminder)

    def snooze(self, reminder: Any) -> None:
        """Remind again in ten minutes."""
        later = type(reminder)(
            reminder.activity_id,
            reminder.subject,
            reminder.kind,
            reminder.occurrence,
            self.clock() + SNOOZE,
        )
        self._snoozed.append(later)
        self.reschedule()


def reminder_notice(
    parent: QWidget, scheduler: ReminderScheduler, reminder: Any, missed: bool = False
) -> QMessageBox:
    """The in-app notice of a reminder (also when the tray showed one): non-modal, with
    Snooze."""
    local = reminder.occurrence.astimezone()
    box = QMessageBox(parent)
    box.setWindowTitle("Missed reminder" if missed else "Reminder")
    box.setText(
        f"<b>{html.escape(reminder.subject)}</b><br>{reminder.kind.capitalize()} at "
        f"{local:%a %d %b %H:%M}"
    )
    snooze = box.addButton("Snooze 10 min", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.setModal(False)
    box.buttonClicked.connect(
        lambda button: scheduler.snooze(reminder) if button is snooze else None
    )
    box.show()
    return box
