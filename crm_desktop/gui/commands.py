"""Undoable edits: every change made in the window goes through one of these commands on
the window's QUndoStack, and announces its ChangeSet on the event hub."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtGui import QUndoCommand

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.gui.events import EventHub


class ServiceCommand(QUndoCommand):
    """Runs `do` on redo and `undo` on undo; each returns the ChangeSet to announce."""

    def __init__(
        self, text: str, hub: EventHub, do: Callable[[], ChangeSet], undo: Callable[[], ChangeSet]
    ) -> None:
        super().__init__(text)
        self._hub, self._do, self._undo = hub, do, undo

    def redo(self) -> None:
        self._hub.changed(self._do())

    def undo(self) -> None:
        self._hub.changed(self._undo())


class SaveRecordCommand(QUndoCommand):
    """Create or edit a contact/company. Undoing a creation moves it to the Trash; redoing
    restores it (same id, so links and history stay)."""

    def __init__(
        self,
        noun: str,
        service: Any,
        hub: EventHub,
        after: Any,
        record_id: str | None = None,
        before: Any = None,
    ) -> None:
        super().__init__(f"Edit {noun}" if record_id else f"New {noun}")
        self._service, self._hub = service, hub
        self.record_id, self._before, self._after = record_id, before, after
        self._created = record_id is None
        self._done_once = False

    def redo(self) -> None:
        if self._created and not self._done_once:
            saved = self._service.create(self._after)
            self.record_id = saved.id
            changes = saved.changes
        elif self._created:
            changes = self._service.restore([self.record_id])
        else:
            changes = self._service.update(self.record_id, self._after).changes
        self._done_once = True
        self._hub.changed(changes)

    def undo(self) -> None:
        if self._created:
            self._hub.changed(self._service.delete([self.record_id]))
        else:
            self._hub.changed(self._service.update(self.record_id, self._before).changes)


def trash_command(
    noun: str, service: Any, hub: EventHub, ids: Sequence[str], restore: bool = False
) -> ServiceCommand:
    ids = list(ids)
    verb = "Restore" if restore else "Delete"
    do, undo = (service.restore, service.delete) if restore else (service.delete, service.restore)
    return ServiceCommand(
        f"{verb} {len(ids)} {noun}{'s' if len(ids) != 1 else ''}",
        hub,
        lambda: do(ids),
        lambda: undo(ids),
    )
