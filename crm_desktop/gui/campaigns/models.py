"""The members of a campaign as a Qt table (rows are records; a campaign holds at most
a segment's contacts, read once per change)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from crm_desktop.domain.campaigns import MemberRecord
from crm_desktop.domain.formatting import format_datetime

COLUMNS = ("Name", "E-mail", "Status", "Why left out / sent")


class MembersTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.members: list[MemberRecord] = []

    def set_members(self, members: list[MemberRecord]) -> None:
        self.beginResetModel()
        self.members = list(members)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.members)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.members):
            return None
        m = self.members[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            detail = m.reason or (format_datetime(m.sent_at) if m.sent_at else "")
            return (m.name, m.email, m.status, detail)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and m.status == "excluded":
            return Qt.GlobalColor.gray
        if role == Qt.ItemDataRole.UserRole:
            return m.contact_id
        return None
