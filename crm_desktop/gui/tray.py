"""The tray icon's part in the window's life: its menu (open, quit), a click bringing the
window back, and closing to the tray so reminders still come."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Slot
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QSystemTrayIcon

if TYPE_CHECKING:
    from crm_desktop.gui.reminders import ReminderScheduler

EXPLAINED_KEY = "tray/explained"


class TrayKeeper(QObject):
    def __init__(
        self,
        window: QMainWindow,
        reminders: ReminderScheduler,
        settings: QSettings,
        bring_back: Callable[[], None],
        quit_app: Callable[[], None],
    ) -> None:
        """The tray is the reminders' (`reminders.tray`: None where the desktop has no
        system tray)."""
        super().__init__(window)
        self.window, self.reminders, self.settings = window, reminders, settings
        self._bring_back = bring_back
        tray = reminders.tray
        if tray is None:
            return
        menu = QMenu(window)
        menu.addAction("Open crm-desktop", bring_back)
        menu.addSeparator()
        menu.addAction("Quit", quit_app)
        tray.setContextMenu(menu)
        tray.activated.connect(self._activated)

    @Slot(QSystemTrayIcon.ActivationReason)
    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self._bring_back()

    def hide_window(self) -> bool:
        """Hide the window to the tray instead of closing it (the first time, the tray
        says so); False when there is no tray to keep running in."""
        tray = self.reminders.tray
        if tray is None:
            return False
        # A dialog closing while the window is hidden must not end the app.
        QApplication.setQuitOnLastWindowClosed(False)
        self.window.hide()
        if not self.settings.value(EXPLAINED_KEY):
            tray.showMessage(
                "crm-desktop",
                "crm-desktop keeps running here to remind you. Quit from this icon's menu.",
            )
            self.settings.setValue(EXPLAINED_KEY, True)
        return True
