"""Ctrl+K: type to jump to any contact, company or deal, or run any action."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from crm_desktop.domain.text import fold
from crm_desktop.gui import icons
from crm_desktop.gui.host import SECTIONS

_ICON = {"contact": "contacts", "company": "companies", "deal": "deal"}


def palette_actions(
    actions: Mapping[str, QAction], go_to: Callable[[int], None]
) -> list[tuple[str, Callable[[], None]]]:
    """What the palette offers besides records: every enabled menu action, and going to
    each section (`go_to(index)`)."""
    found = [(name, action.trigger) for name, action in actions.items() if action.isEnabled()]
    found += [(f"Go to {title}", partial(go_to, i)) for i, (title, _icon) in enumerate(SECTIONS)]
    return found


class CommandPaletteDialog(QDialog):
    def __init__(
        self,
        search: Callable[[str], list[Any]],
        actions: list[tuple[str, Callable[[], None]]],
        open_record: Callable[[str, str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Go to…")
        self.resize(560, 420)
        self._search, self._actions, self._open = search, actions, open_record
        self.input = QLineEdit(self)
        self.input.setPlaceholderText("Type a name, company, e-mail… or an action")
        self.input.setAccessibleName("Command palette search")
        self.results = QListWidget(self)
        self.results.setAccessibleName("Matching records and actions")
        layout = QVBoxLayout(self)
        layout.addWidget(self.input)
        layout.addWidget(self.results)
        self._timer = QTimer(self, singleShot=True, interval=80)
        self._timer.timeout.connect(self.refresh)
        self.input.textChanged.connect(lambda _t: self._timer.start())
        self.input.returnPressed.connect(self.run_current)
        self.results.itemActivated.connect(lambda _i: self.run_current())
        self.refresh()

    def keyPressEvent(self, event: Any) -> None:
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            row = max(0, min(self.results.count() - 1, self.results.currentRow() + step))
            self.results.setCurrentRow(row)
            return
        super().keyPressEvent(event)

    def refresh(self) -> None:
        text = self.input.text().strip()
        self.results.clear()
        folded = fold(text)
        for name, _run in self._actions:
            if not text or folded in fold(name):
                item = QListWidgetItem(icons.get("palette"), name)
                item.setData(Qt.ItemDataRole.UserRole, ("action", name))
                self.results.addItem(item)
        if len(text) >= 2:
            for hit in self._search(text):
                item = QListWidgetItem(
                    icons.get(_ICON.get(hit.entity, "search")),
                    f"{hit.title}  —  {hit.subtitle}" if hit.subtitle else hit.title,
                )
                item.setData(Qt.ItemDataRole.UserRole, (hit.entity, hit.id))
                self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)

    def run_current(self) -> None:
        self._timer.stop()
        self.refresh() if self.results.count() == 0 else None
        item = self.results.currentItem()
        if item is None:
            return
        kind, value = item.data(Qt.ItemDataRole.UserRole)
        self.accept()
        if kind == "action":
            dict(self._actions)[value]()
        else:
            self._open(kind, value)
