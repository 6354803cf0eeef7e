"""One hub for what happened: services' ChangeSets and status messages."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from crm_desktop.domain.changes import ChangeSet


class EventHub(QObject):
    data_changed = Signal(object)  # ChangeSet
    status = Signal(str)

    def changed(self, changes: ChangeSet) -> None:
        if changes:
            self.data_changed.emit(changes)
