"""What the window gives each feature controller: the services, the event hub, the undo
stack, the background runner, the window itself (the parent of dialogs) and a way to
switch sections. Controllers never reach into each other; they go through the host."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QMessageBox, QWidget

from crm_desktop.domain.errors import CrmError
from crm_desktop.gui.events import EventHub
from crm_desktop.gui.tasks import TaskRunner

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

# The sections of the sidebar, in order: (title, icon).
SECTIONS = (
    ("Contacts", "contacts"),
    ("Companies", "companies"),
    ("Pipeline", "pipeline"),
    ("Calendar", "calendar"),
    ("Reports", "reports"),
    ("Settings", "settings"),
    ("Campaigns", "campaigns"),
)
CONTACTS, COMPANIES, PIPELINE, CALENDAR, REPORTS, SETTINGS, CAMPAIGNS = range(len(SECTIONS))


@dataclass
class Host:
    context: AppContext
    hub: EventHub
    undo_stack: QUndoStack
    runner: TaskRunner
    window: QWidget
    go_to: Callable[[int], None]
    current_section: Callable[[], int]

    def run_command(self, command: QUndoCommand) -> bool:
        """Push an undoable command; a refused edit shows one line, nothing half-done."""
        try:
            self.undo_stack.push(command)
        except CrmError as exc:
            QMessageBox.warning(self.window, "crm-desktop", str(exc))
            return False
        return True

    def warn(self, title: str, error: str) -> None:
        QMessageBox.warning(self.window, title, error)

    def inform(self, title: str, text: str) -> None:
        QMessageBox.information(self.window, title, text)
