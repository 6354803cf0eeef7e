"""Settings for the calendar: follow-up templates (a named series of activities with day
offsets, optionally applied by itself when a deal enters a stage) and the calendar file
kept up to date for other calendar apps to subscribe to."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.config import Preferences
from crm_desktop.domain.activities import Step
from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.vocabulary import ACTIVITY_KINDS as KINDS
from crm_desktop.gui.widgets.buttons import labelled_button as _button

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext


class TemplatesBox(QGroupBox):
    """Pick a template, edit its name, stage and steps, save; new and delete."""

    saved = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Follow-up templates", parent)
        self.context = context
        self.template = QComboBox(self)
        self.template.setAccessibleName("Follow-up template to edit")
        new, delete = _button("New template"), _button("Delete template")
        self.name = QLineEdit(self)
        self.name.setAccessibleName("Template name")
        self.stage = QComboBox(self)
        self.stage.setAccessibleName("Apply when a deal enters this stage")
        self.steps = QTableWidget(0, 3, self)
        self.steps.setAccessibleName("Steps of the template")
        self.steps.setHorizontalHeaderLabels(["Day", "Type", "Subject"])
        self.steps.horizontalHeader().setStretchLastSection(True)
        self.steps.verticalHeader().setVisible(False)
        self.steps.setColumnWidth(0, 60)
        self.steps.setColumnWidth(1, 100)
        add_step, remove_step, save = _button("Add step"), _button("Remove step"), _button("Save")
        top = QHBoxLayout()
        top.addWidget(self.template, 1)
        top.addWidget(new)
        top.addWidget(delete)
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&Automatic", self.stage)
        buttons = QHBoxLayout()
        for b in (add_step, remove_step):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(save)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(self.steps, 1)
        layout.addLayout(buttons)
        self.template.activated.connect(lambda _i: self.show_template())
        new.clicked.connect(self.new_template)
        delete.clicked.connect(self.delete_template)
        add_step.clicked.connect(lambda: self.add_step(0, "call", ""))
        remove_step.clicked.connect(self.remove_step)
        save.clicked.connect(self.save)
        self.reload()

    def reload(self, select: str | None = None) -> None:
        current = select or self.template.currentData()
        self.templates = {t.id: t for t in self.context.followups.templates()}
        self.template.clear()
        for t in self.templates.values():
            self.template.addItem(t.name, t.id)
        self.template.setCurrentIndex(max(self.template.findData(current), 0))
        self.stage.clear()
        self.stage.addItem("Only by hand", None)
        for pipeline in self.context.pipeline.pipelines():
            for stage in pipeline.stages:
                self.stage.addItem(f"When a deal enters {pipeline.name} › {stage.name}", stage.id)
        self.show_template()

    def show_template(self) -> None:
        template = self.templates.get(self.template.currentData())
        self.steps.setRowCount(0)
        self.name.setText(template.name if template else "")
        self.stage.setCurrentIndex(
            max(self.stage.findData(template.stage_id if template else None), 0)
        )
        for step in template.steps if template else ():
            self.add_step(step.day, step.kind, step.subject)

    def add_step(self, day: int, kind: str, subject: str) -> None:
        row = self.steps.rowCount()
        self.steps.insertRow(row)
        days = QSpinBox(self.steps)
        days.setRange(0, 365)
        days.setValue(day)
        days.setAccessibleName(f"Day of step {row + 1}")
        kinds = QComboBox(self.steps)
        kinds.setAccessibleName(f"Type of step {row + 1}")
        for k in KINDS:
            kinds.addItem(k.capitalize(), k)
        kinds.setCurrentIndex(max(kinds.findData(kind), 0))
        self.steps.setCellWidget(row, 0, days)
        self.steps.setCellWidget(row, 1, kinds)
        self.steps.setItem(row, 2, QTableWidgetItem(subject))

    def remove_step(self) -> None:
        rows = sorted({i.row() for i in self.steps.selectedIndexes()}, reverse=True)
        for row in rows or [self.steps.rowCount() - 1]:
            if row >= 0:
                self.steps.removeRow(row)

    def current_steps(self) -> list[Step]:
        steps = []
        for row in range(self.steps.rowCount()):
            days = self.steps.cellWidget(row, 0)
            kinds = self.steps.cellWidget(row, 1)
            item = self.steps.item(row, 2)
            assert isinstance(days, QSpinBox) and isinstance(kinds, QComboBox)
            steps.append(Step(days.value(), kinds.currentData(), item.text() if item else ""))
        return sorted(steps, key=lambda s: s.day)

    def new_template(self) -> None:
        self.template.addItem("(new template)", None)
        self.template.setCurrentIndex(self.template.count() - 1)
        self.show_template()
        self.name.setText("New template")
        self.add_step(0, "call", "First call")
        self.name.setFocus()

    def save(self) -> None:
        try:
            template_id = self.context.followups.save_template(
                self.name.text(),
                self.current_steps(),
                self.stage.currentData(),
                self.template.currentData(),
            )
        except CrmError as exc:
            QMessageBox.warning(self, "Follow-up templates", str(exc))
            return
        self.reload(select=template_id)
        self.saved.emit()

    def delete_template(self) -> None:
        template_id = self.template.currentData()
        if template_id is not None:
            answer = QMessageBox.question(
                self,
                "Follow-up templates",
                f"Delete the template {self.template.currentText()}? Activities it planned stay.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
            self.context.followups.remove_template(template_id)
        self.reload()
        self.saved.emit()


class CalendarFeedBox(QGroupBox):
    """Where the calendar file for other apps is kept (a per-machine preference)."""

    feed_changed = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Calendar file for other apps", parent)
        self.context = context
        self.path = QLineEdit(self)
        self.path.setReadOnly(True)
        self.path.setPlaceholderText("Off")
        self.path.setAccessibleName("Calendar file kept up to date")
        choose, off = _button("Choose file…"), _button("Turn off")
        self.note = QLabel(
            "crm-desktop rewrites this .ics file after each change of the activities (the "
            "last 90 days and everything ahead). Put it in a shared or web-served folder and "
            "subscribe to it from Google Calendar, Outlook or Apple Calendar.",
            self,
        )
        self.note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(choose)
        row.addWidget(off)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.note)
        choose.clicked.connect(self.choose)
        off.clicked.connect(lambda: self.set_feed(""))
        self.path.setText(context.preferences.ics_feed)

    def choose(self) -> None:
        start = self.context.preferences.ics_feed or str(Path.home() / "crm-calendar.ics")
        path, _filter = QFileDialog.getSaveFileName(
            self, "Calendar file", start, "iCalendar (*.ics)"
        )
        if path:
            self.set_feed(path if path.endswith(".ics") else f"{path}.ics")

    def set_feed(self, path: str) -> None:
        # Read afresh: other settings of this device (who works here...) may have changed.
        prefs = replace(Preferences.load(self.context.paths.preferences), ics_feed=path)
        prefs.save(self.context.paths.preferences)
        self.context.preferences = prefs
        self.path.setText(path)
        self.feed_changed.emit(path)
