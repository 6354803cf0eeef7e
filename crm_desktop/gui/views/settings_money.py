"""Settings for the reports' money: the exchange rates the owner keeps (per currency and
month, into the business currency) and the targets of won value per salesperson and for
the business. Each is a small table edited in place and saved as a whole through
`SettingsService`, which checks every row before it stores any."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.money import BUSINESS_TARGET, EVERY_MONTH, cents_to_decimal
from crm_desktop.domain.reports import default_month
from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY
from crm_desktop.gui.widgets.buttons import labelled_button as _button

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

EVERY_MONTH_TEXT = "every month"


def _table(parent: QWidget, name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels(headers)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setVisible(False)
    table.setMinimumHeight(120)
    return table


def _text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text().strip() if item is not None else ""


class ExchangeRatesBox(QGroupBox):
    """Rates into the business currency: currency, month, what one unit is worth."""

    saved = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Exchange rates", parent)
        self.context = context
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.table = _table(self, "Exchange rates", ["Currency", "Month", "1 unit is worth"])
        add, remove, save = _button("Add rate"), _button("Remove rate"), _button("Save rates")
        row = QHBoxLayout()
        for b in (add, remove, save):
            row.addWidget(b)
        row.addStretch(1)
        column = QVBoxLayout(self)
        column.addWidget(self.hint)
        column.addWidget(self.table)
        column.addLayout(row)
        add.clicked.connect(self.add_rate)
        remove.clicked.connect(lambda: self.table.removeRow(self.table.currentRow()))
        save.clicked.connect(self.save)

    def reload(self) -> None:
        base = self.context.settings.get("currency") or DEFAULT_CURRENCY
        self.hint.setText(
            f"What one unit of another currency is worth in {base}, per month. Reports "
            "convert each amount at its month's rate (or the latest earlier one) and list "
            "amounts with no rate apart."
        )
        rates = self.context.settings.exchange_rates()
        self.table.setRowCount(0)
        for rate in rates:
            self._append(rate.currency, rate.month, str(rate.rate))

    def _append(self, currency: str, month: str, rate: str) -> None:
        at = self.table.rowCount()
        self.table.insertRow(at)
        for column, text in enumerate((currency, month, rate)):
            self.table.setItem(at, column, QTableWidgetItem(text))

    @Slot()
    def add_rate(self) -> None:
        self._append("USD", default_month(), "")
        self.table.setCurrentCell(self.table.rowCount() - 1, 2)

    @Slot()
    def save(self) -> None:
        rows = [
            (_text(self.table, r, 0), _text(self.table, r, 1), _text(self.table, r, 2))
            for r in range(self.table.rowCount())
        ]
        try:
            self.context.settings.set_exchange_rates([r for r in rows if any(r)])
        except CrmError as exc:
            QMessageBox.warning(self, "Exchange rates", str(exc))
            return
        self.reload()
        self.saved.emit()


class TargetsBox(QGroupBox):
    """Targets of won value: who (a salesperson or the business), month, amount."""

    saved = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Targets", parent)
        self.context = context
        hint = QLabel(
            "The won value aimed at per month, for a salesperson or the whole business; "
            f"a month of “{EVERY_MONTH_TEXT}” holds for the months without their own.",
            self,
        )
        hint.setWordWrap(True)
        self.table = _table(self, "Targets", ["Who", "Month", "Target"])
        self.table.setColumnWidth(0, 160)
        add, remove, save = _button("Add target"), _button("Remove target"), _button("Save targets")
        row = QHBoxLayout()
        for b in (add, remove, save):
            row.addWidget(b)
        row.addStretch(1)
        column = QVBoxLayout(self)
        column.addWidget(hint)
        column.addWidget(self.table)
        column.addLayout(row)
        add.clicked.connect(self.add_target)
        remove.clicked.connect(lambda: self.table.removeRow(self.table.currentRow()))
        save.clicked.connect(self.save)

    def _who(self, chosen: str) -> QComboBox:
        box = QComboBox(self.table)
        box.setAccessibleName("Whose target")
        box.addItem("The business", BUSINESS_TARGET)
        for user in self.context.users.list():
            box.addItem(user.name, user.id)
        box.setCurrentIndex(max(box.findData(chosen), 0))
        return box

    def reload(self) -> None:
        self.table.setRowCount(0)
        for target in self.context.settings.targets():
            month = EVERY_MONTH_TEXT if target.month == EVERY_MONTH else target.month
            self._append(target.who, month, f"{cents_to_decimal(target.cents):,}")

    def _append(self, who: str, month: str, amount: str) -> None:
        at = self.table.rowCount()
        self.table.insertRow(at)
        self.table.setCellWidget(at, 0, self._who(who))
        self.table.setItem(at, 1, QTableWidgetItem(month))
        self.table.setItem(at, 2, QTableWidgetItem(amount))

    @Slot()
    def add_target(self) -> None:
        self._append(BUSINESS_TARGET, EVERY_MONTH_TEXT, "")
        self.table.setCurrentCell(self.table.rowCount() - 1, 2)

    @Slot()
    def save(self) -> None:
        rows = []
        for r in range(self.table.rowCount()):
            box = self.table.cellWidget(r, 0)
            who = box.currentData() if isinstance(box, QComboBox) else BUSINESS_TARGET
            month = _text(self.table, r, 1)
            amount = _text(self.table, r, 2)
            if not amount:
                continue
            rows.append((who, None if month in ("", EVERY_MONTH_TEXT) else month, amount))
        try:
            self.context.settings.set_targets(rows)
        except CrmError as exc:
            QMessageBox.warning(self, "Targets", str(exc))
            return
        self.reload()
        self.saved.emit()
