"""Settings: the business, pipelines and their stages, the won/lost reasons, follow-up
templates, the calendar file for other apps, the reports' exchange rates and targets,
team sharing, the e-mail account read for the timeline, and the database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.vocabulary import CURRENCIES, DEFAULT_CURRENCY
from crm_desktop.gui.views.settings_calendar import CalendarFeedBox, TemplatesBox
from crm_desktop.gui.views.settings_database import DatabaseBox
from crm_desktop.gui.views.settings_mail import MailAccountBox
from crm_desktop.gui.views.settings_money import ExchangeRatesBox, TargetsBox
from crm_desktop.gui.widgets.buttons import labelled_button as _button

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

SIDE_BY_SIDE = 1000  # px: narrower, the calendar settings go under the business ones


class SettingsView(QWidget):
    changed = Signal(object)  # ChangeSet
    sharing_requested = Signal()  # open the Team sharing dialog

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        # The business
        business = QGroupBox("Business", self)
        self.business_name = QLineEdit(business)
        self.business_name.setAccessibleName("Business name")
        self.currency = QComboBox(business)
        self.currency.setAccessibleName("Currency")
        self.currency.addItems(list(CURRENCIES))
        self.me = QComboBox(business)
        self.me.setAccessibleName("Who works on this computer")
        self.me.setToolTip(
            "New contacts, companies, deals and activities are yours unless you choose "
            "another owner, and the calendar opens on yours."
        )
        save_business = _button("Save")
        form = QFormLayout(business)
        form.addRow("Business &name", self.business_name)
        form.addRow("&Currency", self.currency)
        form.addRow("&You are", self.me)
        form.addRow("", save_business)
        save_business.clicked.connect(self.save_business)
        # Pipelines and stages
        stages_box = QGroupBox("Pipelines and stages", self)
        self.pipeline = QComboBox(stages_box)
        self.pipeline.setAccessibleName("Pipeline to edit")
        new_pipeline = _button("New pipeline…")
        self.stages = QTableWidget(0, 4, stages_box)
        self.stages.setAccessibleName("Stages")
        self.stages.setHorizontalHeaderLabels(["Stage", "Probability %", "Rotting days", "Kind"])
        self.stages.horizontalHeader().setStretchLastSection(True)
        self.stages.verticalHeader().setVisible(False)
        self.stages.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        add_stage, save_stages = _button("Add stage…"), _button("Save changes")
        up, down, remove = _button("Move up"), _button("Move down"), _button("Remove stage…")
        top = QHBoxLayout()
        top.addWidget(self.pipeline, 1)
        top.addWidget(new_pipeline)
        buttons = QHBoxLayout()
        for b in (add_stage, up, down, remove, save_stages):
            buttons.addWidget(b)
        buttons.addStretch(1)
        box = QVBoxLayout(stages_box)
        box.addLayout(top)
        box.addWidget(self.stages)
        box.addLayout(buttons)
        new_pipeline.clicked.connect(self.new_pipeline)
        add_stage.clicked.connect(self.add_stage)
        save_stages.clicked.connect(self.save_stages)
        up.clicked.connect(lambda: self.move_stage(-1))
        down.clicked.connect(lambda: self.move_stage(1))
        remove.clicked.connect(self.remove_stage)
        self.pipeline.activated.connect(lambda _i: self.show_stages())
        # Reasons
        reasons_box = QGroupBox("Won and lost reasons", self)
        self.won, self.lost = QListWidget(reasons_box), QListWidget(reasons_box)
        self.won.setAccessibleName("Won reasons")
        self.lost.setAccessibleName("Lost reasons")
        grid = QHBoxLayout(reasons_box)
        for kind, lst in (("won", self.won), ("lost", self.lost)):
            add, rename, remove_reason = _button("Add…"), _button("Rename…"), _button("Remove")
            for b, verb in ((add, "Add"), (rename, "Rename"), (remove_reason, "Remove")):
                b.setAccessibleName(f"{verb} {kind} reason")
            add.clicked.connect(lambda _c=False, k=kind: self.add_reason(k))
            rename.clicked.connect(lambda _c=False, k=kind: self.rename_reason(k))
            remove_reason.clicked.connect(lambda _c=False, k=kind: self.remove_reason(k))
            row = QHBoxLayout()
            for b in (add, rename, remove_reason):
                row.addWidget(b)
            column = QVBoxLayout()
            column.addWidget(QLabel(f"{kind.capitalize()} reasons"))
            column.addWidget(lst)
            column.addLayout(row)
            grid.addLayout(column)
        # Calendar: follow-up templates and the calendar file for other apps
        self.templates = TemplatesBox(context, self)
        self.feed = CalendarFeedBox(context, self)
        # The reports' money: exchange rates and targets
        self.rates = ExchangeRatesBox(context, self)
        self.targets = TargetsBox(context, self)
        for editor, key in ((self.rates, "exchange_rates"), (self.targets, "targets")):
            editor.saved.connect(lambda k=key: self.changed.emit(ChangeSet.of("settings", [k])))
        # Team sharing: the folder and the dialog that chooses it
        sharing = QGroupBox("Team sharing", self)
        self.sharing_state = QLabel(sharing)
        self.sharing_state.setWordWrap(True)
        open_sharing = _button("Team sharing…")
        open_sharing.clicked.connect(self.sharing_requested)
        sharing_column = QVBoxLayout(sharing)
        sharing_column.addWidget(self.sharing_state)
        sharing_column.addWidget(open_sharing, 0, Qt.AlignmentFlag.AlignLeft)
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(business)
        left.addWidget(stages_box, 2)
        left.addWidget(reasons_box, 1)
        right.addWidget(self.templates, 1)
        right.addWidget(self.feed)
        right.addWidget(self.rates)
        right.addWidget(self.targets)
        right.addWidget(sharing)
        self.mail = MailAccountBox(context, self)
        right.addWidget(self.mail)
        self.database_box = DatabaseBox(context, self)
        right.addWidget(self.database_box)
        # Side by side on a wide window, one under the other on a small one (scrolled).
        content = QWidget(self)
        self.columns = QBoxLayout(QBoxLayout.Direction.LeftToRight, content)
        self.columns.setContentsMargins(16, 12, 16, 12)
        self.columns.addLayout(left, 3)
        self.columns.addLayout(right, 2)
        self.scroller = QScrollArea(self)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroller)
        self.reload()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        wide = event.size().width() >= SIDE_BY_SIDE
        self.columns.setDirection(
            QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        )

    # ---- loading ----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._show_sharing()  # the folder is chosen in the Team sharing dialog

    def _show_sharing(self) -> None:
        folder = self.context.sync.folder()
        self.sharing_state.setText(
            f"Shared through {folder}"
            if folder
            else "Not shared with a team: choose a folder that Dropbox, OneDrive, "
            "Google Drive or Syncthing keeps in step."
        )

    def reload(self) -> None:
        self.business_name.setText(self.context.settings.get("business_name") or "")
        self.currency.setCurrentText(self.context.settings.get("currency") or DEFAULT_CURRENCY)
        self._show_sharing()
        me = self.context.users.me()
        self.me.clear()
        self.me.addItem("(nobody chosen)", None)
        for user in self.context.users.list():
            self.me.addItem(user.name, user.id)
        self.me.setCurrentIndex(max(self.me.findData(me.id if me else None), 0))
        current = self.pipeline.currentData()
        self.pipeline.clear()
        for p in self.context.pipeline.pipelines():
            self.pipeline.addItem(p.name, p.id)
        self.pipeline.setCurrentIndex(max(self.pipeline.findData(current), 0))
        self.show_stages()
        for kind, widget in (("won", self.won), ("lost", self.lost)):
            widget.clear()
            widget.addItems([r.label for r in self.context.pipeline.reasons(kind)])
        self.templates.reload()
        self.rates.reload()
        self.targets.reload()

    def _stages(self) -> list[Any]:
        pipelines = {p.id: p for p in self.context.pipeline.pipelines()}
        chosen = pipelines.get(self.pipeline.currentData())
        return list(chosen.stages) if chosen else []

    def show_stages(self) -> None:
        stages = self._stages()
        self.stages.setRowCount(0)
        for stage in stages:
            row = self.stages.rowCount()
            self.stages.insertRow(row)
            name = QTableWidgetItem(stage.name)
            name.setData(Qt.ItemDataRole.UserRole, stage.id)
            self.stages.setItem(row, 0, name)
            self.stages.setItem(row, 1, QTableWidgetItem(str(stage.probability)))
            self.stages.setItem(row, 2, QTableWidgetItem(str(stage.rotting_days)))
            kind = QTableWidgetItem(stage.kind)
            kind.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.stages.setItem(row, 3, kind)

    # ---- actions ----------------------------------------------------------------------------

    def _run(self, action: Any) -> None:
        """Run one change; a refused one shows its one-line reason and changes nothing."""
        try:
            changes: ChangeSet = action()
        except CrmError as exc:
            QMessageBox.warning(self, "Settings", str(exc))
            return
        self.reload()
        self.changed.emit(changes)

    def _cell(self, row: int, column: int) -> str:
        item = self.stages.item(row, column)
        return item.text().strip() if item is not None else ""

    def save_business(self) -> None:
        def save() -> ChangeSet:
            self.context.settings.set("business_name", self.business_name.text().strip())
            self.context.settings.set("currency", self.currency.currentText())
            self.context.users.set_me(self.me.currentData())
            return ChangeSet.of("settings", ["business_name", "currency"])

        self._run(save)

    def new_pipeline(self) -> None:
        name, ok = QInputDialog.getText(self, "New pipeline", "Name:")
        if ok and name.strip():
            self._run(lambda: self.context.pipeline.create_pipeline(name).changes)

    def add_stage(self) -> None:
        name, ok = QInputDialog.getText(self, "Add stage", "Stage name:")
        if ok and name.strip():
            self._run(
                lambda: (
                    self.context.pipeline.add_stage(
                        self.pipeline.currentData(), name, 50, 14
                    ).changes
                )
            )

    def save_stages(self) -> None:
        def save() -> ChangeSet:
            changes = ChangeSet()
            for row in range(self.stages.rowCount()):
                first = self.stages.item(row, 0)
                if first is None:  # show_stages gives every row its name cell
                    continue
                stage_id: str = first.data(Qt.ItemDataRole.UserRole)
                try:
                    probability = int(self._cell(row, 1))
                    rotting = int(self._cell(row, 2))
                except ValueError as exc:
                    raise CrmError(
                        f"row {row + 1}: probability and rotting days are whole numbers"
                    ) from exc
                changes |= self.context.pipeline.update_stage(
                    stage_id, self._cell(row, 0), probability, rotting
                )
            return changes

        self._run(save)

    def move_stage(self, step: int) -> None:
        row = self.stages.currentRow()
        ids = [s.id for s in self._stages()]
        if not 0 <= row < len(ids) or not 0 <= row + step < len(ids):
            return
        ids[row], ids[row + step] = ids[row + step], ids[row]
        self._run(lambda: self.context.pipeline.reorder_stages(self.pipeline.currentData(), ids))
        self.stages.selectRow(row + step)

    def remove_stage(self) -> None:
        row = self.stages.currentRow()
        stages = self._stages()
        if not 0 <= row < len(stages):
            return
        others = [s for s in stages if s.id != stages[row].id]
        label, ok = QInputDialog.getItem(
            self,
            "Remove stage",
            f"Move the deals of {stages[row].name} to:",
            [s.name for s in others],
            0,
            False,
        )
        if ok:
            target = next(s.id for s in others if s.name == label)
            self._run(lambda: self.context.pipeline.remove_stage(stages[row].id, target))

    def _chosen_reason(self, kind: str) -> Any:
        widget = self.won if kind == "won" else self.lost
        row = widget.currentRow()
        reasons = self.context.pipeline.reasons(kind)
        return reasons[row] if 0 <= row < len(reasons) else None

    def rename_reason(self, kind: str) -> None:
        reason = self._chosen_reason(kind)
        if reason is None:
            return
        label, ok = QInputDialog.getText(
            self, f"Rename {kind} reason", "Reason:", text=reason.label
        )
        if ok and label.strip():
            self._run(lambda: self.context.pipeline.rename_reason(reason.id, label))

    def remove_reason(self, kind: str) -> None:
        reason = self._chosen_reason(kind)
        if reason is not None:
            self._run(lambda: self.context.pipeline.remove_reason(reason.id))

    def add_reason(self, kind: str) -> None:
        label, ok = QInputDialog.getText(self, f"Add {kind} reason", "Reason:")
        if ok and label.strip():
            self._run(lambda: self.context.pipeline.add_reason(kind, label).changes)

    def show_mail_account(self) -> None:
        """The e-mail account box in view, its server field ready to type in."""
        self.scroller.ensureWidgetVisible(self.mail)
        self.mail.host.setFocus()
