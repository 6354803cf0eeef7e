"""The automation rules editor: the rules as sentences on the left; the chosen rule's
trigger, condition, action and whether it is on, on the right; "Try on past data" shows
what the rule would have done over a period, writing nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.automation import Outcome, Rule, describe
from crm_desktop.domain.consent import PURPOSES, TRANSACTIONAL
from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.formatting import format_date

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

TRIGGER_LABELS = {
    "deal_won": "A deal is won",
    "deal_stage": "A deal enters a stage",
    "order_placed": "An order is placed",
    "segment_entered": "A contact enters a segment",
    "birthday": "A contact's birthday",
    "no_activity": "No activity for some days",
}
ACTION_LABELS = {
    "create_task": "Make a task",
    "add_tag": "Tag the contact",
    "send_email": "Send a template e-mail (where consent allows)",
    "start_followup": "Start a follow-up series",
}
# Which fields each trigger and action needs (the others are hidden).
_TRIGGER_FIELDS = {
    "deal_stage": ("stage",),
    "segment_entered": ("segment",),
    "no_activity": ("quiet",),
}
_ACTION_FIELDS = {
    "create_task": ("subject", "due_days"),
    "add_tag": ("tag",),
    "send_email": ("subject", "body", "purpose"),
    "start_followup": ("template",),
}


def _combo(parent: QWidget, name: str, items: Sequence[tuple[str, Any]]) -> QComboBox:
    combo = QComboBox(parent)
    combo.setAccessibleName(name)
    for text, data in items:
        combo.addItem(text, data)
    return combo


class RulesDialog(QDialog):
    saved = Signal()  # a rule was saved or removed
    tried = Signal(object)  # list[Outcome] of "Try on past data"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Automation rules")
        self.setObjectName("automation_rules")
        self.context = context
        self.editing: str | None = None  # the saved rule shown in the form
        self.list = QListWidget(self)
        self.list.setAccessibleName("Rules")
        self.list.setWordWrap(True)
        self.list.setSpacing(3)
        self.list.currentItemChanged.connect(lambda item, _old: self._show(item))
        self._build_form()
        self.error = QLabel(self)
        self.error.setStyleSheet("color:#d64545")
        self.error.setWordWrap(True)
        self.results = QTableWidget(0, 3, self)
        self.results.setAccessibleName("What the rule would have done")
        self.results.setHorizontalHeaderLabels(["Contact", "Because", "Would do"])
        self.results.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.results.verticalHeader().setVisible(False)
        self.results.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.results_label = QLabel(self)
        self.results_label.setWordWrap(True)
        self._layout()
        self.reload()

    # ---- building ---------------------------------------------------------------------------

    def _build_form(self) -> None:
        c = self.context
        self.name = QLineEdit(self)
        self.name.setAccessibleName("Rule name")
        self.enabled = QCheckBox("On: runs by itself after changes and once a day", self)
        self.enabled.setChecked(True)
        self.trigger = _combo(self, "When", [(v, k) for k, v in TRIGGER_LABELS.items()])
        stages = sorted({s.name for p in c.pipeline.pipelines() for s in p.stages})
        self.stage = _combo(self, "Stage", [(s, s) for s in stages])
        segments = [(s.name, s.name) for s in c.segments.list()]
        self.segment = _combo(self, "Segment entered", segments)
        self.quiet = QSpinBox(self)
        self.quiet.setAccessibleName("Days without activity")
        self.quiet.setRange(1, 3650)
        self.quiet.setValue(90)
        self.quiet.setSuffix(" days")
        self.only = _combo(self, "Only for contacts in", [("Any contact", None), *segments])
        self.action = _combo(self, "Then", [(v, k) for k, v in ACTION_LABELS.items()])
        self.tag = QLineEdit(self)
        self.tag.setAccessibleName("Tag")
        self.subject = QLineEdit(self)
        self.subject.setAccessibleName("Subject")
        self.subject.setPlaceholderText("e.g. Thank you, {{first_name}}")
        self.due_days = QSpinBox(self)
        self.due_days.setAccessibleName("Task due after")
        self.due_days.setRange(0, 365)
        self.due_days.setValue(1)
        self.due_days.setSuffix(" days")
        self.body = QPlainTextEdit(self)
        self.body.setAccessibleName("Message")
        self.body.setFixedHeight(90)
        self.purpose = _combo(
            self, "Purpose", [(p.replace("_", " "), p) for p in (*PURPOSES, TRANSACTIONAL)]
        )
        templates = [(t.name, t.name) for t in c.followups.templates()]
        self.template = _combo(self, "Follow-up series", templates)
        self.form = QFormLayout()
        self.rows: dict[str, QWidget] = {}
        for key, label, widget in (
            ("name", "Name", self.name),
            ("enabled", "", self.enabled),
            ("trigger", "When", self.trigger),
            ("stage", "Stage", self.stage),
            ("segment", "Segment", self.segment),
            ("quiet", "Without activity for", self.quiet),
            ("only", "Only for contacts in", self.only),
            ("action", "Then", self.action),
            ("tag", "Tag", self.tag),
            ("subject", "Subject", self.subject),
            ("due_days", "Due after", self.due_days),
            ("body", "Message", self.body),
            ("purpose", "Purpose", self.purpose),
            ("template", "Series", self.template),
        ):
            self.form.addRow(label, widget)
            self.rows[key] = widget
        self.trigger.currentIndexChanged.connect(lambda _i: self._fit_fields())
        self.action.currentIndexChanged.connect(lambda _i: self._fit_fields())
        self._fit_fields()

    def _layout(self) -> None:
        self.new_button = QPushButton("&New rule", self)
        self.save_button = QPushButton("&Save rule", self)
        self.remove_button = QPushButton("&Delete rule", self)
        self.try_days = QSpinBox(self)
        self.try_days.setAccessibleName("Try over the last")
        self.try_days.setRange(1, 3650)
        self.try_days.setValue(90)
        self.try_days.setPrefix("last ")
        self.try_days.setSuffix(" days")
        self.try_button = QPushButton("&Try on past data", self)
        self.new_button.clicked.connect(self.new_rule)
        self.save_button.clicked.connect(self.save_rule)
        self.remove_button.clicked.connect(self.remove_rule)
        self.try_button.clicked.connect(self.try_rule)
        left = QWidget(self)
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.list, 1)
        left_box.addWidget(self.new_button)
        right = QWidget(self)
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        right_box.addLayout(self.form)
        right_box.addWidget(self.error)
        buttons = QHBoxLayout()
        for widget in (self.save_button, self.remove_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.try_days)
        buttons.addWidget(self.try_button)
        right_box.addLayout(buttons)
        right_box.addWidget(self.results_label)
        right_box.addWidget(self.results, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 640])
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(close)
        self.resize(940, 620)

    def _fit_fields(self) -> None:
        shown = set(_TRIGGER_FIELDS.get(self.trigger.currentData(), ()))
        shown |= set(_ACTION_FIELDS.get(self.action.currentData(), ()))
        for key in ("stage", "segment", "quiet", "tag", "subject", "due_days", "body"):
            self.form.setRowVisible(self.rows[key], key in shown)
        for key in ("purpose", "template"):
            self.form.setRowVisible(self.rows[key], key in shown)

    # ---- showing ------------------------------------------------------------------------------

    def reload(self, current: str | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        chosen = None
        for rule in self.context.automation.rules():
            item = QListWidgetItem(f"{rule.name}\n{describe(rule)}", self.list)
            item.setData(Qt.ItemDataRole.UserRole, rule.name)
            if current is not None and rule.name.casefold() == current.casefold():
                chosen = item
        self.list.blockSignals(False)
        if chosen is None and self.list.count():
            chosen = self.list.item(0)
        if chosen is not None:
            self.list.setCurrentItem(chosen)
            self._show(chosen)
        else:
            self.new_rule()

    def rule_named(self, name: str) -> Rule | None:
        wanted = name.casefold()
        return next(
            (r for r in self.context.automation.rules() if r.name.casefold() == wanted), None
        )

    def _show(self, item: QListWidgetItem | None) -> None:
        rule = self.rule_named(str(item.data(Qt.ItemDataRole.UserRole))) if item else None
        if rule is None:
            return
        p = rule.params
        self.editing = rule.name
        self.name.setText(rule.name)
        self.enabled.setChecked(rule.enabled)
        self._choose(self.trigger, rule.trigger)
        self._choose(self.action, rule.action)
        self._choose(self.stage, str(p.get("stage", "")))
        self._choose(self.segment, str(p.get("segment", "")))
        self._choose(self.only, p.get("only_segment"))
        self._choose(self.purpose, str(p.get("purpose", "marketing_email")))
        self._choose(self.template, str(p.get("template", "")))
        self.quiet.setValue(int(p.get("days", 90)) if rule.trigger == "no_activity" else 90)
        self.due_days.setValue(int(p.get("days", 1)) if rule.action == "create_task" else 1)
        self.tag.setText(str(p.get("tag", "")))
        self.subject.setText(str(p.get("subject", "")))
        self.body.setPlainText(str(p.get("body", "")))
        self.error.clear()
        self.clear_outcomes()

    @staticmethod
    def _choose(combo: QComboBox, data: object) -> None:
        index = combo.findData(data)
        if index < 0 and isinstance(data, str) and data:
            combo.addItem(data, data)  # a value no longer offered stays visible
            index = combo.count() - 1
        combo.setCurrentIndex(max(index, 0))

    def new_rule(self) -> None:
        self.editing = None
        self.list.clearSelection()
        self.list.setCurrentRow(-1)
        self.name.clear()
        self.enabled.setChecked(True)
        for widget in (self.tag, self.subject):
            widget.clear()
        self.body.clear()
        self.error.clear()
        self.clear_outcomes()
        self.name.setFocus()

    # ---- reading and saving -------------------------------------------------------------------

    def rule_data(self) -> dict[str, Any]:
        """The rule as the form says it, in its JSON form (domain.automation)."""
        trigger, action = self.trigger.currentData(), self.action.currentData()
        params: dict[str, Any] = {}
        fields = (*_TRIGGER_FIELDS.get(trigger, ()), *_ACTION_FIELDS.get(action, ()))
        values: dict[str, Any] = {
            "stage": self.stage.currentData(),
            "segment": self.segment.currentData(),
            "quiet": self.quiet.value(),
            "tag": self.tag.text().strip(),
            "subject": self.subject.text().strip(),
            "due_days": self.due_days.value(),
            "body": self.body.toPlainText(),
            "purpose": self.purpose.currentData(),
            "template": self.template.currentData(),
        }
        for key in fields:
            params[{"quiet": "days", "due_days": "days"}.get(key, key)] = values[key]
        if self.only.currentData():
            params["only_segment"] = self.only.currentData()
        return {
            "name": self.name.text().strip(),
            "trigger": trigger,
            "action": action,
            "params": params,
            "enabled": self.enabled.isChecked(),
        }

    def save_rule(self) -> bool:
        """Save the form's rule; renamed, it replaces the rule it was."""
        automation = self.context.automation
        try:
            rule = automation.save_rule(self.rule_data())
        except CrmError as exc:
            self.error.setText(str(exc))
            return False
        if self.editing and self.editing.casefold() != rule.name.casefold():
            automation.remove_rule(self.editing)
        self.reload(rule.name)
        self.saved.emit()
        return True

    def remove_rule(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        self.context.automation.remove_rule(str(item.data(Qt.ItemDataRole.UserRole)))
        self.reload()
        self.saved.emit()

    def try_rule(self) -> list[Outcome]:
        """What the rule in the form (saved or not) would have done over the last days;
        nothing is written."""
        until = dt.date.today()
        since = until - dt.timedelta(days=self.try_days.value())
        try:
            outcomes = self.context.automation.try_rule(self.rule_data(), since, until)
        except CrmError as exc:
            self.error.setText(str(exc))
            return []
        self.error.clear()
        self.show_outcomes(outcomes, since, until)
        self.tried.emit(outcomes)
        return outcomes

    def clear_outcomes(self) -> None:
        self.results.setRowCount(0)
        self.results_label.setText("Try the rule on past data to see what it would have done.")

    def show_outcomes(self, outcomes: Sequence[Outcome], since: dt.date, until: dt.date) -> None:
        self.results.setRowCount(len(outcomes))
        for row, o in enumerate(outcomes):
            for column, text in enumerate((o.contact_name, o.event, o.action)):
                self.results.setItem(row, column, QTableWidgetItem(text))
        count, period = len(outcomes), f"From {format_date(since)} to {format_date(until)}"
        self.results_label.setText(
            f"{period} the rule would have acted {count} time{'' if count == 1 else 's'} "
            "(nothing was written)."
            if count
            else f"{period} the rule would have done nothing."
        )
