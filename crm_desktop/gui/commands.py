"""Undoable edits: every change made in the window goes through one of these commands on
the window's QUndoStack, and announces its ChangeSet on the event hub."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtGui import QUndoCommand

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.edits import EditConflictError, edit_conflicts, merged
from crm_desktop.domain.errors import CrmError
from crm_desktop.gui.events import EventHub

if TYPE_CHECKING:
    from crm_desktop.domain.bulk import BulkResult
    from crm_desktop.services.bulk import BulkService


class _Written(Protocol):
    @property
    def changes(self) -> ChangeSet: ...


class _Created(_Written, Protocol):
    @property
    def id(self) -> str: ...


class RecordService(Protocol):
    """What the contacts, companies and deals services offer an editor's command."""

    def create(self, draft: Any, /) -> _Created: ...
    def update(self, record_id: str, draft: Any, /) -> _Written: ...
    def draft_of(self, record_id: str, /) -> Any: ...
    def delete(self, ids: list[str], /) -> ChangeSet: ...
    def restore(self, ids: list[str], /) -> ChangeSet: ...


class TrashService(Protocol):
    def delete(self, ids: list[str], /) -> ChangeSet: ...
    def restore(self, ids: list[str], /) -> ChangeSet: ...


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
    """Create or edit a contact/company/deal. Undoing a creation moves it to the Trash;
    redoing restores it (same id, so links and history stay). Undoing an edit inverts
    this device's change rows of it, field by field (the service's `revert`), so edits
    that arrived from others meanwhile are kept; a field someone changed since is not
    written over: the undo is refused with a status message and leaves the stack."""

    def __init__(
        self,
        noun: str,
        service: RecordService,
        hub: EventHub,
        after: Any,
        record_id: str | None = None,
        before: Any = None,
    ) -> None:
        super().__init__(f"Edit {noun}" if record_id else f"New {noun}")
        self._service, self._hub = service, hub
        self.record_id, self._before, self._after = record_id, before, after
        self._created = record_id is None
        self._checked = False  # others' changes since the editor opened looked at
        self._done_once = False
        self._last: ChangeSet | None = None  # what the last redo or undo of an edit wrote

    def redo(self) -> None:
        if self._created and not self._done_once:
            saved = self._service.create(self._after)
            self.record_id = saved.id
            changes = saved.changes
        elif self._created:
            changes = self._service.restore([self._id()])
        elif self._last is not None and hasattr(self._service, "revert"):
            changes = self._invert(self._last)
        else:
            if not self._done_once and not self._checked:
                self.check()
            changes = self._service.update(self._id(), self._after).changes
            self._last = changes
        self._done_once = True
        self._hub.changed(changes)

    def check(self) -> None:
        """Before an edit is saved: keep the fields someone else changed since the editor
        opened (and this person did not) as they are now; EditConflictError when both
        changed a field to different values (nothing saved; see `save_over`)."""
        if self._created or self._before is None:
            self._checked = True
            return
        current = self._service.draft_of(self._id())
        conflicts = edit_conflicts(self._before, current, self._after)
        if conflicts:
            raise EditConflictError(conflicts, current)
        self._after = merged(self._before, current, self._after)
        self._checked = True

    def save_over(self, current: Any) -> None:
        """This person chose their values over the ones stored now (after a conflict)."""
        self._before = current

    def undo(self) -> None:
        if self._created:
            self._hub.changed(self._service.delete([self._id()]))
        elif self._last is not None and hasattr(self._service, "revert"):
            self._hub.changed(self._invert(self._last))
        else:
            self._hub.changed(self._service.update(self._id(), self._before).changes)

    def _id(self) -> str:
        assert self.record_id is not None, "a command for a record not made yet"
        return self.record_id

    def _invert(self, changes: ChangeSet) -> ChangeSet:
        try:
            inverse: ChangeSet = self._service.revert(changes)  # type: ignore[attr-defined]
        except CrmError as exc:
            self._hub.status.emit(str(exc))
            self.setObsolete(True)  # the stack drops it: nothing was changed
            return ChangeSet()
        self._last = inverse
        return inverse


def trash_command(
    noun: str, service: TrashService, hub: EventHub, ids: Sequence[str], restore: bool = False
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


class BulkCommand(QUndoCommand):
    """A bulk edit of a selection (tag, owner, stage, Trash) through the bulk service: one
    transaction to do it, one to undo it, one to redo it, whatever the selection's size."""

    def __init__(self, bulk: BulkService, hub: EventHub, run: Callable[[], BulkResult]) -> None:
        super().__init__("Bulk edit")
        self._bulk, self._hub, self._run = bulk, hub, run
        self._result: BulkResult | None = None

    def redo(self) -> None:
        result = self._run() if self._result is None else self._bulk.undo(self._result.undo)
        if self._result is None:
            self.setText(result.label)
        self._result = result
        self._hub.changed(result.changes)

    def undo(self) -> None:
        assert self._result is not None
        self._result = self._bulk.undo(self._result.undo)
        self._hub.changed(self._result.changes)
