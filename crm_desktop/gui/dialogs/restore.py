"""File › Restore from backup…: the backups (when, what kind, size), newest first; Restore
checks the chosen file, backs up the current data, then replaces it. The window then
reopens on the restored database (`restored` is emitted; see MainWindow.reopen)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from crm_desktop.domain.maintenance import BackupInfo
    from crm_desktop.gui.tasks import TaskRunner
    from crm_desktop.services.maintenance import MaintenanceService

KINDS = {
    "daily": "Daily",
    "manual": "Made by hand",
    "pre-migration": "Before an update",
    "before-restore": "Before a restore",
}


def size_text(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(size, 1) / 1000:.0f} KB"


class RestoreDialog(QDialog):
    restored = Signal(object)  # RestoreResult

    def __init__(
        self, maintenance: MaintenanceService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.maintenance, self.runner = maintenance, runner
        self.setWindowTitle("Restore from backup")
        self.resize(560, 380)
        note = QLabel(
            "Restoring replaces all the data with the chosen backup. The backup is checked "
            "first, and the current data is backed up, so a restore can itself be undone.",
            self,
        )
        note.setWordWrap(True)
        self.table = QTableWidget(0, 3, self)
        self.table.setAccessibleName("Backups")
        self.table.setHorizontalHeaderLabels(["Taken", "Kind", "Size"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.restore_button = QPushButton("&Restore…", self)
        self.file_button = QPushButton("Other &file…", self)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.file_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.restore_button.clicked.connect(self.restore_selected)
        self.file_button.clicked.connect(self.restore_other_file)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemDoubleClicked.connect(lambda _item: self.restore_selected())
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        self.backups = self.maintenance.backup_list()
        self.table.setRowCount(len(self.backups))
        for row, info in enumerate(self.backups):
            cells = (
                f"{info.taken_at:%a %d %b %Y  %H:%M}",
                KINDS.get(info.reason, info.reason.replace("-", " ").capitalize() or "Backup"),
                size_text(info.size),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(str(info.path))
                if column == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        if self.backups:
            self.table.selectRow(0)
        self._selection_changed()

    def selected_path(self) -> Path | None:
        rows = self.table.selectionModel().selectedRows()
        return self.backups[rows[0].row()].path if rows else None

    def _selection_changed(self) -> None:
        self.restore_button.setEnabled(self.selected_path() is not None)

    def restore_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            info = self.backups[rows[0].row()]
            self.restore(info.path, f"{info.taken_at:%a %d %b %Y %H:%M}")

    def restore_other_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            "Restore from a backup file",
            str(Path.home()),
            "Backups (*.sqlite.gz *.sqlite *.gz)",
        )
        if path:
            self.restore(Path(path), Path(path).name)

    def restore(self, path: Path, label: str) -> None:
        answer = QMessageBox.question(
            self,
            "Restore from backup",
            f"Replace all the data with the backup of {label}?\n\n"
            "The current data is backed up first. crm-desktop then reopens the restored data.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.setEnabled(False)
        self.runner.submit(
            "Restoring a backup",
            lambda _p: self.maintenance.restore(path),
            self._done,
            self._failed,
        )

    def _done(self, result: Any) -> None:
        self.setEnabled(True)
        self.restored.emit(result)
        self.accept()

    def _failed(self, error: str) -> None:
        self.setEnabled(True)
        QMessageBox.warning(self, "Restore from backup", error)
        self.reload()


class DamagedDataDialog(QMessageBox):
    """At start, when the database is damaged: says so in plain words and offers the
    newest backup that passes the whole check (exec() is true when the user takes it)."""

    def __init__(self, problem: str, newest: BackupInfo | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle("crm-desktop: the data is damaged")
        self.newest = newest
        if newest is None:
            self.setText(
                "crm-desktop cannot open your data: the database file is damaged, and no "
                "good backup was found.<br><br>Keep a copy of the data folder before trying "
                "anything else."
            )
            self.setDetailedText(problem)
            self.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
            return
        kind = KINDS.get(newest.reason, newest.reason.replace("-", " ").capitalize())
        self.setText(
            "crm-desktop cannot open your data: the database file is damaged.<br><br>"
            f"The newest good backup is from <b>{newest.taken_at:%a %d %b %Y %H:%M}</b> "
            f"({kind.lower()}, {size_text(newest.size)}). Restore it? Changes made after it "
            "are lost; the damaged file is kept in the backups folder."
        )
        self.setDetailedText(problem)
        self.restore_button = self.addButton(
            "Restore the backup", QMessageBox.ButtonRole.AcceptRole
        )
        self.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.restore_button)

    def exec(self) -> int:
        super().exec()
        return int(self.newest is not None and self.clickedButton() is self.restore_button)
