"""What the window gives each feature controller: the services, the event hub, the undo
stack, the background runner, the window itself (the parent of dialogs) and a way to
switch sections. Controllers never reach into each other; they go through the host."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QMessageBox, QWidget

from crm_desktop.domain.edits import EditConflictError
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


class _Cancelled(Exception):
    """The person chose not to save."""


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
        """Push an undoable command; a refused edit shows one line, nothing half-done.
        An edit that meets someone else's change of the same field shows both values and
        saves this person's only when they say so."""
        try:
            check = getattr(command, "check", None)
            if check is not None:
                self._check_edit(command, check)
            self.undo_stack.push(command)
        except _Cancelled:
            return False
        except CrmError as exc:
            QMessageBox.warning(self.window, "crm-desktop", str(exc))
            return False
        return True

    def _check_edit(self, command: QUndoCommand, check: Callable[[], None]) -> None:
        """Ask before an edit is saved over someone else's change of the same field."""
        try:
            check()
        except EditConflictError as conflict:
            answer = QMessageBox.question(
                self.window,
                "Changed by someone else",
                str(conflict)[0].upper() + str(conflict)[1:] + ".\n\nSave yours over theirs?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Save:
                raise _Cancelled from conflict
            command.save_over(conflict.current)  # type: ignore[attr-defined]
            check()

    def warn(self, title: str, error: str) -> None:
        QMessageBox.warning(self.window, title, error)

    def inform(self, title: str, text: str) -> None:
        QMessageBox.information(self.window, title, text)
