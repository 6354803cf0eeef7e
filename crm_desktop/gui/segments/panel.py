"""The sidebar's saved segments: each with its count; open, edit, tag, owner, export."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.segments import SegmentRecord
from crm_desktop.gui import icons

ACTIONS = (
    ("open", "Show in the contacts list"),
    ("edit", "Edit…"),
    ("tag", "Tag everyone…"),
    ("owner", "Set the owner of everyone…"),
    ("export", "Export…"),
    ("delete", "Delete segment"),
)


class SegmentsPanel(QWidget):
    """A titled list of saved segments under the sections."""

    action_requested = Signal(str, str)  # action, segment id
    new_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Segments", self)
        self.title.setObjectName("segmentsTitle")
        self.new_button = QToolButton(self)
        self.new_button.setIcon(icons.get("add"))
        self.new_button.setToolTip("New segment…")
        self.new_button.setAccessibleName("New segment")
        self.new_button.clicked.connect(self.new_requested)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Saved segments")
        self.list.setObjectName("segments")
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.itemActivated.connect(self._open)
        self.list.itemClicked.connect(self._open)
        head = QHBoxLayout()
        head.setContentsMargins(10, 8, 4, 0)
        head.addWidget(self.title, 1)
        head.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(head)
        layout.addWidget(self.list, 1)

    def set_segments(self, records: list[SegmentRecord]) -> None:
        current = self.current_id()
        self.list.clear()
        for r in records:
            count = "" if r.count is None else f"  {r.count:,}"
            item = QListWidgetItem(f"{r.name}{count}")
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            item.setToolTip(r.description)
            self.list.addItem(item)
            if r.id == current:
                self.list.setCurrentItem(item)

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def ids(self) -> list[str]:
        return [
            str(self.list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.list.count())
        ]

    @Slot(QListWidgetItem)
    def _open(self, item: QListWidgetItem) -> None:
        self.action_requested.emit("open", str(item.data(Qt.ItemDataRole.UserRole)))

    @Slot(QPoint)
    def _menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        segment_id = str(item.data(Qt.ItemDataRole.UserRole))
        menu = self.context_menu(segment_id)
        menu.exec(self.list.viewport().mapToGlobal(pos))

    def context_menu(self, segment_id: str) -> QMenu:
        menu = QMenu(self)
        for action, text in ACTIONS:
            menu.addAction(text).triggered.connect(
                lambda _c=False, a=action: self.action_requested.emit(a, segment_id)
            )
        return menu
