"""A list screen: search, filters, a paged table, column chooser and a detail panel."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.records import Trash
from crm_desktop.gui import icons
from crm_desktop.gui.models.paged import PagedTableModel
from crm_desktop.gui.views.detail import DetailPanel


class ListView(QWidget):
    """Search-as-you-type and filters over a `PagedTableModel`; the query runs in SQL."""

    selection_changed = Signal(list)  # ids
    new_requested = Signal()

    def __init__(
        self,
        model: PagedTableModel,
        noun: str,
        detail: DetailPanel,
        singular: str,
        hint: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.noun = noun
        self.detail = detail
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(f"Search {noun} by {hint}…")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icons.get("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setAccessibleName(f"Search {noun}")
        self.segment_filter = QComboBox(self)
        self.segment_filter.setAccessibleName("Segment")
        self.segment_filter.addItem("All", None)
        self.segment_filter.hide()  # shown by screens that have segments
        self.tag_filter = QComboBox(self)
        self.tag_filter.setAccessibleName("Filter by tag")
        self.owner_filter = QComboBox(self)
        self.owner_filter.setAccessibleName("Filter by owner")
        self.company_chip = QToolButton(self)
        self.company_chip.setAccessibleName("Remove the company filter")
        self.company_chip.setToolTip("Show everyone again")
        self.company_chip.clicked.connect(lambda: self.set_company_filter(None, ""))
        self.company_chip.hide()
        self._company_id: str | None = None
        self._segment: Any = None  # a saved segment's filter, shown with the rest
        self.trash_button = QToolButton(self)
        self.trash_button.setText("Trash")
        self.trash_button.setIcon(icons.get("trash"))
        self.trash_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.trash_button.setCheckable(True)
        self.trash_button.setAccessibleName(f"Show {noun} in the Trash")
        self.columns_button = QToolButton(self)
        self.columns_button.setText("Columns")
        self.columns_button.setAccessibleName("Choose columns")
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.new_button = QToolButton(self)
        self.new_button.setText(f"New {singular}")
        self.new_button.setIcon(icons.get("add"))
        self.new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_button.setAccessibleName(self.new_button.text())
        self.new_button.clicked.connect(self.new_requested)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        for widget in (
            self.segment_filter,
            self.company_chip,
            self.tag_filter,
            self.owner_filter,
            self.trash_button,
            self.columns_button,
            self.new_button,
        ):
            bar.addWidget(widget)

        self.table = QTableView(self)
        self.table.setModel(model)
        self.table.setAccessibleName(f"{noun.capitalize()} list")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultSectionSize(150)
        header.setHighlightSections(False)
        self._build_column_menu()
        self.table.selectionModel().selectionChanged.connect(self._selection)
        self.table.doubleClicked.connect(lambda _i: self.detail._emit("edit"))

        self.splitter = QSplitter(self)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([760, 480])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.addLayout(bar)
        layout.addWidget(self.splitter)

        # Debounce typing so a fast typist does not run one query per key.
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _text: self._timer.start())
        self.tag_filter.activated.connect(lambda _i: self.apply_filters())
        self.owner_filter.activated.connect(lambda _i: self.apply_filters())
        self.trash_button.toggled.connect(lambda _on: self.apply_filters())

    def set_filter_choices(self, tags: list[str], owners: list[tuple[str, str]]) -> None:
        current_tag, current_owner = self.tag_filter.currentData(), self.owner_filter.currentData()
        self.tag_filter.clear()
        self.tag_filter.addItem("All tags", None)
        for tag in tags:
            self.tag_filter.addItem(tag, tag)
        self.owner_filter.clear()
        self.owner_filter.addItem("All owners", None)
        for owner_id, name in owners:
            self.owner_filter.addItem(name, owner_id)
        self.tag_filter.setCurrentIndex(max(self.tag_filter.findData(current_tag), 0))
        self.owner_filter.setCurrentIndex(max(self.owner_filter.findData(current_owner), 0))

    def apply_filters(self) -> None:
        query = replace(
            self.model.query,
            search=self.search.text(),
            tag=self.tag_filter.currentData(),
            company_id=self._company_id,
            owner_id=self.owner_filter.currentData(),
            trash=Trash.ONLY if self.trash_button.isChecked() else Trash.EXCLUDE,
            segment=self._segment,
        )
        self.model.set_query(query)
        # Lay the new rows out now, not on the next turn of the event loop: the table is
        # then painted once for the new query, not once before its scroll bar is set and
        # again after.
        self.table.doItemsLayout()
        self._selection()

    def apply_saved(self, query: Any) -> None:
        """Show a saved segment: its search and filters become the list's."""
        self.search.blockSignals(True)
        self.search.setText(query.search)
        self.search.blockSignals(False)
        self.tag_filter.setCurrentIndex(max(self.tag_filter.findData(query.tag), 0))
        self.owner_filter.setCurrentIndex(max(self.owner_filter.findData(query.owner_id), 0))
        self._company_id = query.company_id
        self._segment = query.segment
        self.company_chip.setVisible(False)
        self.apply_filters()

    def set_company_filter(self, company_id: str | None, name: str) -> None:
        """Show only the people of one company (from its detail panel); the chip clears it."""
        self._company_id = company_id
        self.company_chip.setText(f"Company: {name}  ✕")
        self.company_chip.setVisible(company_id is not None)
        self.apply_filters()

    def _build_column_menu(self) -> None:
        menu = QMenu(self)
        for column in range(self.model.columnCount()):
            action = QAction(str(self.model.headerData(column, Qt.Orientation.Horizontal)), menu)
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(lambda on, c=column: self.table.setColumnHidden(c, not on))
            menu.addAction(action)
        self.columns_button.setMenu(menu)
        self._column_actions = menu.actions()

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.id_at(r) for r in rows]

    def _selection(self, *_args: Any) -> None:
        self.selection_changed.emit(self.selected_ids())

    # ---- layout memory ----------------------------------------------------------------------

    def save_layout(self, settings: QSettings, key: str) -> None:
        settings.setValue(f"{key}/header", self.table.horizontalHeader().saveState())
        settings.setValue(f"{key}/splitter", self.splitter.saveState())

    def restore_layout(self, settings: QSettings, key: str) -> None:
        header = settings.value(f"{key}/header")
        if header is not None:
            self.table.horizontalHeader().restoreState(header)
            for column, action in enumerate(self._column_actions):
                action.setChecked(not self.table.isColumnHidden(column))
        splitter = settings.value(f"{key}/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
