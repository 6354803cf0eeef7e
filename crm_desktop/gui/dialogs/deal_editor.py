"""The deal editor (ui/deal_editor.ui): value and currency, probability (stage default or
override), expected close, owner, company, lead source, line items, stage history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCompleter, QTableWidgetItem, QWidget

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.pipeline import DealDraft, DealLine, format_money
from crm_desktop.domain.vocabulary import CURRENCIES, LEAD_SOURCES
from crm_desktop.gui.dialogs.base import FormDialog


def _number(text: str, what: str, kind: type = float) -> Any:
    try:
        return kind(text.strip().replace(",", ".") or 0)
    except ValueError as exc:
        raise CrmError(f"{what} {text!r} is not a number") from exc


class DealEditorDialog(FormDialog):
    def __init__(
        self,
        context: Any,
        draft: DealDraft,
        deal_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        title = "Edit deal" if deal_id else "New deal"
        if draft.contact_id:
            title += f" for {context.contacts.get(draft.contact_id).display_name}"
        super().__init__("deal_editor", title, context, parent)
        self.deal_id = deal_id
        self._pipeline_id = draft.pipeline_id
        self._contact_id = draft.contact_id
        self._campaign_id = draft.campaign_id
        ui = self.ui
        pipeline = next(p for p in context.pipeline.pipelines() if p.id == draft.pipeline_id)
        for stage in pipeline.stages:
            ui.stage.addItem(f"{stage.name} ({stage.probability} %)", stage.id)
        ui.stage.setEnabled(deal_id is None)  # moves go through the board (history, reasons)
        ui.currency.addItems(list(CURRENCIES))
        self.fill_owners(ui.owner)
        ui.leadSource.addItems(list(LEAD_SOURCES))
        names = context.companies.names()
        self._company_ids = {name.casefold(): cid for cid, name in names}
        self._company_names = dict(names)
        completer = QCompleter([name for _, name in names], self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        ui.company.setCompleter(completer)
        ui.addLine.clicked.connect(self._add_line)
        ui.removeLine.clicked.connect(self._remove_lines)
        ui.linesTable.itemChanged.connect(lambda _i: self._update_totals())
        ui.valueFromLines.toggled.connect(lambda _on: self._update_totals())
        self._load(draft)
        if deal_id:
            record = context.deals.get(deal_id)
            moves = "<br>".join(
                f"{m.moved_at.astimezone():%Y-%m-%d %H:%M}: "
                f"{m.from_stage + ' → ' if m.from_stage else 'created in '}{m.to_stage}"
                for m in record.history
            )
            closed = (
                f"<br><b>{record.status.capitalize()}</b>: {record.reason} {record.close_note}"
                if record.status != "open"
                else ""
            )
            activity = "<br>".join(
                f"{e.at.astimezone():%Y-%m-%d}: {e.title}"
                for e in context.timeline.timeline("deals", deal_id, limit=30)
                if e.kind.value == "activity"
            )[:2000]
            ui.historyLabel.setText(
                f"<b>Stage history</b><br>{moves}{closed}"
                + (f"<br><b>Activities</b><br>{activity}" if activity else "")
            )
        self.connect_buttons()

    def _load(self, d: DealDraft) -> None:
        ui = self.ui
        ui.title.setText(d.title)
        ui.stage.setCurrentIndex(max(ui.stage.findData(d.stage_id), 0))
        ui.value.setValue(d.value_cents / 100)
        ui.currency.setCurrentText(d.currency)
        ui.probability.setValue(-1 if d.probability is None else d.probability)
        ui.expectedClose.setText(d.expected_close.isoformat() if d.expected_close else "")
        ui.owner.setCurrentIndex(max(ui.owner.findData(d.owner_id), 0))
        ui.company.setText(self._company_names.get(d.company_id or "", ""))
        ui.leadSource.setCurrentText(d.lead_source)
        ui.linesTable.blockSignals(True)
        for line in d.lines:
            self._add_line(
                values=[
                    line.description,
                    str(line.quantity),
                    f"{line.unit_price_cents / 100:.2f}",
                    str(line.discount_pct),
                ]
            )
        ui.linesTable.blockSignals(False)
        ui.valueFromLines.setChecked(d.value_from_lines)
        self._update_totals()

    def _add_line(self, _checked: bool = False, values: list[str] | None = None) -> None:
        table = self.ui.linesTable
        row = table.rowCount()
        table.insertRow(row)
        for column, value in enumerate(values or ["", "1", "0.00", "0"]):
            table.setItem(row, column, QTableWidgetItem(value))
        total = QTableWidgetItem("")
        total.setFlags(Qt.ItemFlag.ItemIsEnabled)
        table.setItem(row, 4, total)

    def _remove_lines(self) -> None:
        table = self.ui.linesTable
        for row in sorted({i.row() for i in table.selectedIndexes()}, reverse=True):
            table.removeRow(row)
        self._update_totals()

    def lines(self) -> tuple[DealLine, ...]:
        table = self.ui.linesTable
        result = []
        for row in range(table.rowCount()):
            cells = [(table.item(row, c).text() if table.item(row, c) else "") for c in range(4)]
            if not cells[0].strip():
                continue
            result.append(
                DealLine(
                    cells[0].strip(),
                    _number(cells[1], "quantity", int),
                    round(_number(cells[2], "unit price") * 100),
                    _number(cells[3], "discount", int),
                )
            )
        return tuple(result)

    def _update_totals(self) -> None:
        table = self.ui.linesTable
        table.blockSignals(True)
        try:
            lines = self.lines()
        except CrmError:
            table.blockSignals(False)
            return
        currency = self.ui.currency.currentText()
        totals = iter(lines)
        for row in range(table.rowCount()):
            description = table.item(row, 0)
            if description is not None and description.text().strip():
                table.item(row, 4).setText(format_money(next(totals).total_cents, currency))
        table.blockSignals(False)
        from_lines = self.ui.valueFromLines.isChecked()
        self.ui.value.setEnabled(not from_lines)
        if from_lines:
            self.ui.value.setValue(sum(line.total_cents for line in lines) / 100)

    def draft(self) -> DealDraft:
        ui = self.ui
        closes = None
        if ui.expectedClose.text().strip():
            try:
                closes = dt.date.fromisoformat(ui.expectedClose.text().strip())
            except ValueError as exc:
                raise CrmError(
                    f"expected close {ui.expectedClose.text()!r} is not a date (YYYY-MM-DD)"
                ) from exc
        company_id = None
        if ui.company.text().strip():
            company_id = self._company_ids.get(ui.company.text().strip().casefold())
            if company_id is None:
                raise CrmError(f"no company named {ui.company.text().strip()!r}")
        probability = ui.probability.value()
        return DealDraft(
            title=ui.title.text().strip(),
            pipeline_id=self._pipeline_id,
            stage_id=ui.stage.currentData(),
            value_cents=round(ui.value.value() * 100),
            currency=ui.currency.currentText().strip().upper() or "EUR",
            probability=None if probability < 0 else probability,
            expected_close=closes,
            owner_id=ui.owner.currentData(),
            contact_id=self._contact_id,
            company_id=company_id,
            lead_source=ui.leadSource.currentText().strip(),
            campaign_id=self._campaign_id,
            lines=self.lines(),
            value_from_lines=ui.valueFromLines.isChecked(),
        ).validated()
