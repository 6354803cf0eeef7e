"""A list view: a search box over a paged table (contacts, companies)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.gui.models.paged import PagedTableModel


class ListView(QWidget):
    """Search-as-you-type over a `PagedTableModel`; the query runs in SQL."""

    open_requested = Signal(str)

    def __init__(self, model: PagedTableModel, noun: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(f"Search {noun} by name, company, e-mail, phone, notes…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(f"Search {noun}")
        self.table = QTableView(self)
        self.table.setModel(model)
        self.table.setAccessibleName(f"{noun.capitalize()} list")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultSectionSize(170)
        self.table.doubleClicked.connect(
            lambda index: self.open_requested.emit(model.id_at(index.row()))
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.search)
        layout.addWidget(self.table)
        # Debounce typing so a fast typist does not run one query per key.
        self._timer = QTimer(self, singleShot=True, interval=120)
        self._timer.timeout.connect(lambda: model.set_search(self.search.text()))
        self.search.textChanged.connect(lambda _text: self._timer.start())
