"""The change log as the sync wire and the undo log (SYNC.md points 3, 6, 12, 13, 15).

rows = device_a.changelog.rows(after={})          # what device A holds, to send
device_b.changelog.apply(rows)                    # B applies: no echo, idempotent
device_a.contacts.revert(saved.changes)           # undo one edit, field by field
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from crm_desktop.domain.changes import ApplyResult, ChangeRow, ChangeSet
from crm_desktop.services._common import UowFactory


class ChangeLogService:
    """Export and apply change rows; undo this device's own edits."""

    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    @property
    def device_id(self) -> str:
        with self._uow.read() as uow:
            return uow.device_id

    def apply(self, rows: Sequence[ChangeRow]) -> ApplyResult:
        """Apply a batch of change rows from other devices in one transaction: stored as
        received, each (device, seq) once, per field the highest stamp wins; derived
        columns and the search index follow. Raises `ClockDriftError` for a stamp far
        ahead of this computer's clock and `UnknownEntityError` for a newer app's rows;
        either way nothing of the batch is applied."""
        with self._uow() as uow:
            applied = uow.apply(rows)
            changes = uow.commit()
        return ApplyResult(applied.stored, applied.duplicates, applied.pending, changes)

    def rows(
        self, after: Mapping[str, int] | None = None, limit: int | None = None
    ) -> list[ChangeRow]:
        """The change rows this device holds (its own and those it applied), by device
        and seq; `after` maps a device id to the last seq the receiver has."""
        with self._uow.read() as uow:
            return uow.changelog.rows(after or {}, limit)

    def last_seqs(self) -> dict[str, int]:
        """The highest seq held per device (what this device has of each)."""
        with self._uow.read() as uow:
            return uow.changelog.last_seqs()

    def revert(self, changes: ChangeSet) -> ChangeSet:
        """Undo the change rows this device wrote for `changes` (a service call's result),
        field by field: fields others changed since in other places are kept; a field
        changed since is not written over (`UndoConflictError`, nothing changed)."""
        seqs = changes.own_seqs()
        with self._uow() as uow:
            uow.revert(seqs)
            return uow.commit()


class Revertible:
    """For a service with a unit-of-work factory: `revert(changes)` undoes a change set
    it returned (the window's undo of an edit)."""

    _uow: UowFactory

    def revert(self, changes: ChangeSet) -> ChangeSet:
        """Undo an edit made through this service, field by field (see
        `ChangeLogService.revert`)."""
        return ChangeLogService(self._uow).revert(changes)
