"""Duplicates: a scan of all contacts or companies with the reasons records look alike,
and a merge with a side-by-side preview where each field's value is chosen. The merge
itself is one undoable step (the window's undo stack)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext
    from crm_desktop.gui.tasks import TaskRunner

ROLE_GROUP = Qt.ItemDataRole.UserRole


class MergeDialog(QDialog):
    """Side by side: one column per record, one row per field; the radio button in a
    cell chooses that record's value. Below: the lists the kept record will hold and the
    linked rows that move to it."""

    def __init__(
        self, context: AppContext, kind: str, ids: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context, self.kind, self.ids = context, kind, list(ids)
        self.setWindowTitle("Merge duplicates")
        self.keep = QComboBox(self)
        self.keep.setAccessibleName("Record to keep")
        self.table = QTableWidget(self)
        self.table.setAccessibleName("Field values side by side")
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("What the merge does")
        buttons = QDialogButtonBox(self)
        self.merge_button = buttons.addButton("Merge", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(QLabel("Keep:", self))
        top.addWidget(self.keep, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self.groups: dict[str, QButtonGroup] = {}
        self.preview: Any = self._load(self.ids[0])
        for record_id, title in self.preview.titles:
            self.keep.addItem(title, record_id)
        self.keep.currentIndexChanged.connect(lambda _i: self._load(self.keep.currentData()))
        self.resize(860, 560)

    def _load(self, keep_id: str) -> Any:
        others = [i for i in self.ids if i != keep_id]
        self.preview = preview = self.context.duplicates.merge_preview(self.kind, keep_id, others)
        titles = list(preview.titles)
        self.table.clear()
        self.table.setColumnCount(len(titles))
        self.table.setRowCount(len(preview.fields))
        self.table.setHorizontalHeaderLabels(
            [f"{t} (kept)" if i == 0 else t for i, (_id, t) in enumerate(titles)]
        )
        self.table.setVerticalHeaderLabels([f.label for f in preview.fields])
        self.groups = {}
        for row, field in enumerate(preview.fields):
            group = QButtonGroup(self.table)
            self.groups[field.key] = group
            values = dict(field.values)
            for column, (record_id, _title) in enumerate(titles):
                text = values.get(record_id, "")
                button = QRadioButton(text or "–", self.table)
                button.setAccessibleName(f"{field.label} from {titles[column][1]}")
                button.setProperty("record_id", record_id)
                button.setChecked(record_id == field.proposed)
                button.setEnabled(field.differs)
                group.addButton(button)
                self.table.setCellWidget(row, column, button)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        united = "".join(
            f"<li><b>{escape(label)}</b>: {escape(', '.join(values) or '–')}</li>"
            for label, values in preview.united
        )
        moved = ", ".join(f"{count} {escape(name)}" for name, count in preview.relinked if count)
        self.summary.setText(
            f"<p>The kept record will hold:</p><ul>{united}</ul>"
            f"<p>Moving to it: {moved or 'no linked records'}. The others go to the Trash "
            "(the merge can be undone).</p>"
        )
        return preview

    def choices(self) -> dict[str, str]:
        result = {}
        for key, group in self.groups.items():
            checked = group.checkedButton()
            if checked is not None:
                result[key] = str(checked.property("record_id"))
        return result

    def keep_id(self) -> str:
        return str(self.preview.keep_id)

    def other_ids(self) -> list[str]:
        return list(self.preview.other_ids)


class DuplicatesDialog(QDialog):
    """The scan screen: choose contacts or companies, scan in the background, see the
    groups with their reasons, merge one."""

    def __init__(
        self,
        context: AppContext,
        runner: TaskRunner,
        merge: Callable[[str, list[str]], bool],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context, self.runner, self._merge = context, runner, merge
        self.setWindowTitle("Find duplicates")
        self.kind = QComboBox(self)
        self.kind.setAccessibleName("Records to scan")
        self.kind.addItem("Contacts", "contacts")
        self.kind.addItem("Companies", "companies")
        self.scan_button = QPushButton("Scan", self)
        self.scan_button.setAccessibleName("Scan for duplicates")
        self.progress = QProgressBar(self)
        self.progress.setVisible(False)
        self.status = QLabel("Scan to find records that are probably the same.", self)
        self.tree = QTreeWidget(self)
        self.tree.setAccessibleName("Duplicate groups")
        self.tree.setHeaderLabels(["Records", "Why they look alike"])
        self.tree.setColumnWidth(0, 300)
        self.merge_button = QPushButton("Merge…", self)
        self.merge_button.setAccessibleName("Merge the chosen group")
        self.merge_button.setEnabled(False)
        close = QPushButton("Close", self)
        top = QHBoxLayout()
        top.addWidget(self.kind)
        top.addWidget(self.scan_button)
        top.addWidget(self.progress, 1)
        top.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.merge_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addLayout(bottom)
        self.scan_button.clicked.connect(self.scan)
        self.merge_button.clicked.connect(self.merge_current)
        self.tree.currentItemChanged.connect(
            lambda item, _old: self.merge_button.setEnabled(item is not None)
        )
        self.tree.itemDoubleClicked.connect(lambda _i, _c: self.merge_current())
        close.clicked.connect(self.reject)
        self.groups: list[Any] = []
        self.resize(900, 560)

    def scan(self) -> None:
        kind = self.kind.currentData()
        self.scan_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.status.setText("Scanning…")
        duplicates = self.context.duplicates

        def work(progress: Any) -> Any:
            return duplicates.scan(kind, progress)

        self.runner.submit("Finding duplicates", work, self.show_groups, self._failed)

    def _failed(self, error: str) -> None:
        self.scan_button.setEnabled(True)
        self.progress.setVisible(False)
        self.status.setText(f"The scan stopped: {error}")

    def show_groups(self, groups: list[Any]) -> None:
        self.groups = list(groups)
        self.scan_button.setEnabled(True)
        self.progress.setVisible(False)
        self.tree.clear()
        for index, group in enumerate(self.groups):
            top = QTreeWidgetItem(
                [f"{len(group.ids)} records · {group.score} %", "; ".join(group.reasons[:3])]
            )
            top.setData(0, ROLE_GROUP, index)
            for name in group.names:
                child = QTreeWidgetItem([name, ""])
                child.setData(0, ROLE_GROUP, index)
                top.addChild(child)
            self.tree.addTopLevelItem(top)
            top.setExpanded(index < 20)
        noun = self.kind.currentText().lower()
        self.status.setText(
            f"{len(self.groups)} group{'s' if len(self.groups) != 1 else ''} of {noun} "
            "that look alike."
            if self.groups
            else f"No duplicate {noun} found."
        )
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)

    def merge_current(self) -> None:
        item = self.tree.currentItem()
        if item is None:
            return
        index = item.data(0, ROLE_GROUP)
        group = self.groups[index]
        if self._merge(group.kind, list(group.ids)):
            top = item.parent() or item
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(top))
            self.status.setText("Merged. Undo (Ctrl+Z) puts the records back.")
