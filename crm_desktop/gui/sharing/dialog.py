"""The Team sharing dialog: the team folder (choose, stop, sync now), who you are on the
team, the open conflicts with Keep mine / Keep theirs, and the team's devices."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.sync import ConflictRecord
from crm_desktop.gui.widgets.buttons import labelled_button

if TYPE_CHECKING:
    from crm_desktop.gui.sharing.controller import SharingController

NEW_PERSON = "Someone new…"
ENTITY_NOUNS = {"contacts": "Contact", "companies": "Company", "deals": "Deal"}


class SharingDialog(QDialog):
    def __init__(self, controller: SharingController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.context = controller.host.context
        self.setWindowTitle("Team sharing")
        self.resize(900, 600)
        self.state = QLabel(self)
        self.state.setWordWrap(True)
        self.folder = QLabel(self)
        self.folder.setWordWrap(True)
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.person = QLabel(self)
        self.choose_button = labelled_button("Choose team folder…")
        self.stop_button = labelled_button("Stop sharing")
        self.sync_button = labelled_button("Sync now")
        self.person_button = labelled_button("Who are you…")
        self.choose_button.clicked.connect(self.choose_folder)
        self.stop_button.clicked.connect(self.stop_sharing)
        self.sync_button.clicked.connect(controller.sync_now)
        self.person_button.clicked.connect(self.choose_person)
        intro = QLabel(
            "Each computer keeps its own database; the team folder (Dropbox, OneDrive, "
            "Google Drive, Syncthing or a network share) carries everyone's changes.",
            self,
        )
        intro.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.choose_button, self.stop_button, self.sync_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        who = QHBoxLayout()
        who.addWidget(self.person, 1)
        who.addWidget(self.person_button)

        self.conflicts = _table(
            self, "Conflicts", ["Record", "Field", "Mine", "Theirs", "Who", "When"]
        )
        self.keep_mine = labelled_button("Keep mine")
        self.keep_theirs = labelled_button("Keep theirs")
        self.edit_record = labelled_button("Open to edit…")
        self.keep_mine.clicked.connect(lambda: self.keep("mine"))
        self.keep_theirs.clicked.connect(lambda: self.keep("theirs"))
        self.edit_record.clicked.connect(self.open_chosen)
        self.conflicts.itemSelectionChanged.connect(self._enable)
        conflicts_box = QGroupBox("Conflicts: both sides changed one field", self)
        box = QVBoxLayout(conflicts_box)
        box.addWidget(self.conflicts)
        keep_row = QHBoxLayout()
        keep_row.addWidget(self.edit_record)
        keep_row.addStretch(1)
        keep_row.addWidget(self.keep_mine)
        keep_row.addWidget(self.keep_theirs)
        box.addLayout(keep_row)

        self.devices = _table(self, "Devices", ["Device", "Person", "Last seen"])
        devices_box = QGroupBox("Devices of the team", self)
        QVBoxLayout(devices_box).addWidget(self.devices)

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.state)
        layout.addWidget(self.folder)
        layout.addLayout(buttons)
        layout.addLayout(who)
        layout.addWidget(conflicts_box, 3)
        layout.addWidget(devices_box, 2)
        layout.addWidget(close)
        self._conflicts: list[ConflictRecord] = []
        controller.state_changed.connect(self._state_changed)

    # ---- showing -------------------------------------------------------------------------

    @Slot()
    def _state_changed(self) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        service = self.controller.service
        folder = service.folder()
        shared = folder is not None
        self.state.setText(f"<b>{self.controller.state_text()}</b>")
        self.folder.setText(
            f"Team folder: {folder}" if shared else "Choose a team folder to share this CRM."
        )
        self.stop_button.setEnabled(shared)
        self.sync_button.setEnabled(shared and not self.controller.stopped)
        me = self.context.users.me()
        self.person.setText(f"You are: <b>{me.name}</b>" if me else "You are: (nobody chosen)")
        self._conflicts = service.conflicts() if shared else []
        devices = service.devices()
        people = {d.device_id: d.person for d in devices}
        me_device = service.device_id
        self.conflicts.setRowCount(len(self._conflicts))
        for row, conflict in enumerate(self._conflicts):
            mine, theirs = self._sides(conflict)
            other = (
                conflict.kept_device if conflict.lost_device == me_device else conflict.lost_device
            )
            who = people.get(other) or f"device {other[:8]}"
            cells = (self._record(conflict), _field(conflict), mine, theirs, who, _when(conflict))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.conflicts.setItem(row, column, item)
        self.devices.setRowCount(len(devices))
        for row, device in enumerate(devices):
            seen = device.last_seen.astimezone() if device.last_seen else None
            seen_cells = (
                device.device_id[:8] + (" (this computer)" if device.this_device else ""),
                device.person or "—",
                f"{seen:%d %b %Y %H:%M}" if seen else "—",
            )
            for column, text in enumerate(seen_cells):
                self.devices.setItem(row, column, QTableWidgetItem(text))
        self._enable()

    @Slot()
    def _enable(self) -> None:
        chosen = bool(self.conflicts.selectionModel().selectedRows())
        self.keep_mine.setEnabled(chosen)
        self.keep_theirs.setEnabled(chosen)
        self.edit_record.setEnabled(len(self.conflicts.selectionModel().selectedRows()) == 1)

    def _sides(self, conflict: ConflictRecord) -> tuple[str, str]:
        kept, lost = _value(conflict.kept_value), _value(conflict.lost_value)
        if conflict.kind == "deleted":
            kept, lost = ("deleted" if conflict.kept_value else kept), "edited"
        if conflict.lost_device == self.controller.service.device_id:
            return lost, kept
        return kept, lost

    def _record(self, conflict: ConflictRecord) -> str:
        noun = ENTITY_NOUNS.get(conflict.entity, conflict.entity)
        try:
            if conflict.entity == "contacts":
                return f"{noun}: {self.context.contacts.get(conflict.row_id).display_name}"
            if conflict.entity == "companies":
                return f"{noun}: {self.context.companies.get(conflict.row_id).name}"
            if conflict.entity == "deals":
                return f"{noun}: {self.context.deals.get(conflict.row_id).draft.title}"
        except CrmError:
            pass  # deleted, or not arrived yet: its id says which
        return f"{noun} {conflict.row_id[:8]}"

    # ---- doing ---------------------------------------------------------------------------

    @Slot()
    def choose_folder(self) -> None:
        start = str(self.controller.service.folder() or Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Choose the team folder", start)
        if not chosen:
            return
        try:
            self.controller.share(Path(chosen))
        except CrmError as exc:
            self.controller.host.warn("Team sharing", str(exc))
            return
        self.choose_person()
        self.refresh()

    @Slot()
    def choose_person(self) -> None:
        """Who works on this computer, so owners and "changed by" name people."""
        users = self.context.users.list()
        me = self.context.users.me()
        names = [u.name for u in users] + [NEW_PERSON]
        current = next((i for i, u in enumerate(users) if me and u.id == me.id), len(users))
        name, ok = QInputDialog.getItem(
            self,
            "Who are you?",
            "Your name on the team (owners and “changed by” show it):",
            names,
            current,
            False,
        )
        if not ok:
            return
        try:
            if name == NEW_PERSON:
                new, ok = QInputDialog.getText(self, "Who are you?", "Your name:")
                if ok and new.strip():
                    self.controller.host.hub.changed(
                        self.context.users.create_me(new.strip()).changes
                    )
            else:
                self.context.users.set_me(next(u.id for u in users if u.name == name))
        except CrmError as exc:
            self.controller.host.warn("Team sharing", str(exc))
        self.refresh()

    @Slot()
    def stop_sharing(self) -> None:
        self.controller.stop_sharing()
        self.refresh()

    @Slot()
    def open_chosen(self) -> None:
        """Edit the record of the chosen conflict: a third value, neither mine nor theirs
        (saving it settles the field for everyone; the conflict is then kept as decided)."""
        rows = self.conflicts.selectionModel().selectedRows()
        if len(rows) != 1:
            return
        conflict = self._conflicts[rows[0].row()]
        kind = {"contacts": "contact", "companies": "company", "deals": "deal"}.get(conflict.entity)
        if kind is None:
            return
        self.accept()
        self.controller.open_requested.emit(kind, conflict.row_id)

    def keep(self, side: Literal["mine", "theirs"]) -> None:
        rows = sorted({i.row() for i in self.conflicts.selectionModel().selectedRows()})
        try:
            for row in rows:
                self.controller.resolve(self._conflicts[row].id, side)
        except CrmError as exc:
            self.controller.host.warn("Team sharing", str(exc))
        self.refresh()


def _table(parent: QWidget, name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


def _value(text: str | None) -> str:
    if text is None:
        return "(empty)"
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if value is None or value == "":
        return "(empty)"
    return str(value)


def _field(conflict: ConflictRecord) -> str:
    if conflict.kind == "deleted":
        return "deleted on one side, edited on the other"
    return conflict.field.replace("_", " ")


def _when(conflict: ConflictRecord) -> str:
    """The later of the two edits, from its clock (hex wall-clock milliseconds first)."""
    try:
        ms = int(max(conflict.kept_hlc, conflict.lost_hlc).split("-", 1)[0], 16)
    except ValueError:
        return ""
    return f"{dt.datetime.fromtimestamp(ms / 1000):%d %b %Y %H:%M}"
