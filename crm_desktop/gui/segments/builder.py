"""The segment builder: conditions in rows (match all or any), or the filter's JSON for
nested groups, with a live count of the contacts it matches."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.consent import PURPOSES as CONSENT_PURPOSES
from crm_desktop.domain.errors import CrmError, ValidationError
from crm_desktop.domain.rfm import RFM_CLASSES
from crm_desktop.domain.segments import (
    FIELDS,
    NO_VALUE,
    OPS,
    Condition,
    Group,
    Kind,
    filter_to_json,
    parse_filter,
)
from crm_desktop.gui import icons

# Fields offered in the rows (custom fields are typed as custom:NAME in the JSON).
ROW_FIELDS = [f for f in FIELDS.values() if f.kind is not Kind.SEARCH]
LIST_OPS = {"in", "not_in", "between"}


class ConditionRow(QWidget):
    """One condition: field, (purpose), operator, value, remove."""

    def __init__(self, changed: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = QComboBox(self)
        self.field.setAccessibleName("Field")
        for info in ROW_FIELDS:
            self.field.addItem(info.label, info.name)
        self.purpose = QComboBox(self)
        self.purpose.setAccessibleName("Consent purpose")
        policy = self.purpose.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the columns of the rows stay aligned
        self.purpose.setSizePolicy(policy)
        for purpose in CONSENT_PURPOSES:
            self.purpose.addItem(purpose.replace("_", " "), purpose)
        self.op = QComboBox(self)
        self.op.setAccessibleName("Operator")
        self.value = QLineEdit(self)
        self.value.setAccessibleName("Value")
        self.remove = QToolButton(self)
        self.remove.setIcon(icons.get("trash"))
        self.remove.setToolTip("Remove this condition")
        self.remove.setAccessibleName("Remove condition")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget, stretch in (
            (self.field, 2),
            (self.purpose, 1),
            (self.op, 1),
            (self.value, 2),
            (self.remove, 0),
        ):
            row.addWidget(widget, stretch)
        self.field.currentIndexChanged.connect(self._field_changed)
        self.op.currentIndexChanged.connect(self._op_changed)
        for signal in (
            self.field.currentIndexChanged,
            self.purpose.currentIndexChanged,
            self.op.currentIndexChanged,
            self.value.textChanged,
        ):
            signal.connect(lambda *_a: changed())
        self._field_changed()

    @property
    def kind(self) -> Kind:
        return FIELDS[self.field.currentData()].kind

    @Slot()
    def _field_changed(self) -> None:
        self.op.blockSignals(True)
        self.op.clear()
        for op in OPS[self.kind]:
            self.op.addItem(op.replace("_", " "), op)
        self.op.blockSignals(False)
        self.purpose.setVisible(self.kind is Kind.CONSENT)
        self._op_changed()

    @Slot()
    def _op_changed(self) -> None:
        op = self.op.currentData()
        self.value.setVisible(op not in NO_VALUE)
        hint = {
            Kind.RFM: ", ".join(RFM_CLASSES[:3]) + "…",
            Kind.DATE: "days" if op and op.endswith("_days") else "YYYY-MM-DD",
            Kind.MONEY: "amount",
            Kind.NUMBER: "number",
        }.get(self.kind, "text")
        if op == "between":
            hint = "low, high"
        elif op == "in" and self.kind is Kind.TEXT:
            hint = "one, two, three"
        elif op == "in_month":
            hint = "month 1-12"
        elif op == "in_next_days":
            hint = "days"
        self.value.setPlaceholderText(hint)

    def to_json(self) -> dict[str, Any]:
        op = self.op.currentData()
        out: dict[str, Any] = {"field": self.field.currentData(), "op": op}
        if self.kind is Kind.CONSENT:
            out["purpose"] = self.purpose.currentData()
        if op in NO_VALUE:
            return out
        text = self.value.text().strip()
        numeric = self.kind in (Kind.NUMBER, Kind.MONEY) or (op or "").endswith(("_days", "_month"))
        if op in LIST_OPS or self.kind is Kind.RFM:
            out["value"] = [_typed(p.strip(), numeric) for p in text.split(",") if p.strip()]
        else:
            out["value"] = _typed(text, numeric) if text else None
        return out

    def set_condition(self, c: Condition) -> None:
        self.field.setCurrentIndex(max(self.field.findData(c.field), 0))
        if c.purpose:
            self.purpose.setCurrentIndex(max(self.purpose.findData(c.purpose), 0))
        self.op.setCurrentIndex(max(self.op.findData(c.op), 0))
        value = filter_to_json(c).get("value")
        if isinstance(value, list):
            self.value.setText(", ".join(str(v) for v in value))
        elif value is not None:
            self.value.setText(str(value))


def _typed(text: str, numeric: bool) -> Any:
    if not numeric:
        return text
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return text  # the parser names the field and says a number is needed
    return int(number) if number.is_integer() else number


class SegmentBuilderDialog(QDialog):
    """Build a filter, see how many contacts it matches as it changes, save it."""

    def __init__(
        self,
        counter: Callable[[Group], int],
        name: str = "",
        group: Group | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Segment")
        self.setMinimumWidth(720)
        self._counter = counter
        self.rows: list[ConditionRow] = []
        self.name = QLineEdit(name, self)
        self.name.setAccessibleName("Segment name")
        self.name.setPlaceholderText("e.g. Newsletter readers in Berlin")
        self.match = QComboBox(self)
        self.match.setAccessibleName("Match")
        self.match.addItem("all of these conditions", False)
        self.match.addItem("any of these conditions", True)
        self.rows_box = QWidget(self)
        self.rows_layout = QVBoxLayout(self.rows_box)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton(icons.get("add"), "Add condition", self)
        self.json_button = QPushButton("Edit as JSON (nested groups)", self)
        self.json_button.setCheckable(True)
        self.json = QPlainTextEdit(self)
        self.json.setAccessibleName("Filter as JSON")
        self.stack = QStackedWidget(self)
        simple = QWidget(self)
        column = QVBoxLayout(simple)
        column.setContentsMargins(0, 0, 0, 0)
        matching = QHBoxLayout()
        matching.addWidget(QLabel("Contacts matching", self))
        matching.addWidget(self.match)
        matching.addStretch(1)
        column.addLayout(matching)
        column.addWidget(self.rows_box)
        adding = QHBoxLayout()
        adding.addWidget(self.add_button)
        adding.addStretch(1)
        column.addLayout(adding)
        column.addStretch(1)
        self.stack.addWidget(simple)
        self.stack.addWidget(self.json)
        self.count_label = QLabel(self)
        self.count_label.setAccessibleName("Matching contacts")
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        form = QFormLayout()
        form.addRow("Name", self.name)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.stack, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.json_button)
        layout.addLayout(bottom)
        layout.addWidget(self.buttons)
        self._timer = QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self.update_count)
        self.add_button.clicked.connect(lambda _checked=False: self.add_row())
        self.match.currentIndexChanged.connect(lambda _i: self.changed())
        self.json.textChanged.connect(self.changed)
        self.json_button.toggled.connect(self._json_mode)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.set_filter(group or Group())

    # ---- contents --------------------------------------------------------------------------

    def add_row(self, condition: Condition | None = None) -> ConditionRow:
        row = ConditionRow(self.changed, self.rows_box)
        if condition is not None:
            row.set_condition(condition)
        row.remove.clicked.connect(lambda: self._remove(row))
        self.rows.append(row)
        self.rows_layout.addWidget(row)
        self.changed()
        return row

    def _remove(self, row: ConditionRow) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.changed()

    def set_filter(self, group: Group) -> None:
        """Rows for a flat group of conditions; the JSON editor for anything nested."""
        flat = not group.negate and all(isinstance(x, Condition) for x in group.items)
        flat = flat and all(
            isinstance(x, Condition) and FIELDS.get(x.field) in ROW_FIELDS for x in group.items
        )
        if flat:
            self.match.setCurrentIndex(1 if group.any else 0)
            for item in group.items:
                assert isinstance(item, Condition)
                self.add_row(item)
            if not group.items:
                self.add_row()
        self.json.setPlainText(json.dumps(filter_to_json(group), indent=2, ensure_ascii=False))
        self.json_button.setChecked(not flat)
        self._json_mode(not flat)

    def filter(self) -> Group:
        """The filter as it stands (a ValidationError says what is wrong)."""
        if self.json_button.isChecked():
            try:
                data = json.loads(self.json.toPlainText() or "{}")
            except ValueError as exc:
                raise ValidationError(f"not JSON: {exc}") from None
            return parse_filter(data)
        key = "any" if self.match.currentData() else "all"
        return parse_filter({key: [row.to_json() for row in self.rows]})

    @Slot(bool)
    def _json_mode(self, on: bool) -> None:
        if on and self.stack.currentIndex() == 0:
            try:
                text = json.dumps(filter_to_json(self.filter()), indent=2, ensure_ascii=False)
                self.json.setPlainText(text)
            except CrmError:
                pass  # keep what the editor had
        self.stack.setCurrentIndex(1 if on else 0)
        self.changed()

    # ---- the live count ---------------------------------------------------------------------

    def changed(self) -> None:
        self._timer.start()

    def update_count(self) -> None:
        try:
            group = self.filter()
            count = self._counter(group)
        except CrmError as exc:
            self.count_label.setText(f"⚠ {exc}")
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
            return
        noun = "contact" if count == 1 else "contacts"
        self.count_label.setText(f"{count:,} {noun} match")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not group.empty)

    @Slot()
    def _accept(self) -> None:
        if not self.name.text().strip():
            self.count_label.setText("⚠ give the segment a name")
            self.name.setFocus()
            return
        try:
            self.filter()
        except CrmError as exc:
            self.count_label.setText(f"⚠ {exc}")
            return
        self.accept()
