"""The deal page (ui/deal_editor.ui): title, person, company, stage, value and currency,
probability (stage default or override), expected close, owner, lead source; Won / Lost
(with a reason from the configured list) and Reopen; line items; notes and the deal's
activities; the stage history.

Stage moves go through the pipeline service (history, reasons), as a drag on the board
does, when the deal is saved; with the window's undo stack they can be undone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QCompleter, QTableWidgetItem, QWidget

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.formatting import format_money
from crm_desktop.domain.pipeline import DealDraft, DealLine, StageRecord
from crm_desktop.domain.records import ActivityDraft
from crm_desktop.domain.vocabulary import CURRENCIES, LEAD_SOURCES
from crm_desktop.gui.dialogs import reason_dialog
from crm_desktop.gui.dialogs.base import FieldError, FormDialog
from crm_desktop.gui.dialogs.person_field import PersonSearch
from crm_desktop.gui.events import EventHub

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext


def _number(text: str, what: str, kind: type = float) -> Any:
    try:
        return kind(text.strip().replace(",", ".") or 0)
    except ValueError as exc:
        raise CrmError(f"{what} {text!r} is not a number") from exc


def _day(moment: dt.datetime | dt.date) -> str:
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone().date()
    return f"{moment.day} {moment:%b %Y}"


class _AppliedCommand(QUndoCommand):
    """An edit already made (so its error reached the editor); redo repeats it."""

    def __init__(
        self,
        text: str,
        hub: EventHub,
        do: Callable[[], ChangeSet],
        undo: Callable[[], ChangeSet],
    ) -> None:
        super().__init__(text)
        self._hub, self._do, self._undo, self._first = hub, do, undo, True

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self._hub.changed(self._do())

    def undo(self) -> None:
        self._hub.changed(self._undo())


class DealEditorDialog(FormDialog):
    """`hub` and `undo_stack` (the window's, found on the parent when not given) make the
    stage moves and notes made here announced and undoable."""

    def __init__(
        self,
        context: AppContext,
        draft: DealDraft,
        deal_id: str | None = None,
        parent: QWidget | None = None,
        *,
        hub: EventHub | None = None,
        undo_stack: QUndoStack | None = None,
    ) -> None:
        title = "Edit deal" if deal_id else "New deal"
        if draft.contact_id:
            title += f" for {context.contacts.get(draft.contact_id).display_name}"
        super().__init__("deal_editor", title, context, parent)
        self.deal_id = deal_id
        found_hub = getattr(parent, "hub", None)
        found_stack = getattr(parent, "undo_stack", None)
        self._hub = hub or (found_hub if isinstance(found_hub, EventHub) else None)
        self._undo_stack = undo_stack or (
            found_stack if isinstance(found_stack, QUndoStack) else None
        )
        self._draft = draft
        self._record = context.deals.get(deal_id) if deal_id else None
        self._pipeline = next(p for p in context.pipeline.pipelines() if p.id == draft.pipeline_id)
        self._pending: tuple[str, str | None, str] | None = None  # stage, reason, note
        self._prepare()
        self._load(draft)
        self._fill_activities()
        self._update_status()
        self.first_field = self.ui.title
        self.connect_buttons()

    # ---- set-up ------------------------------------------------------------------------

    def _prepare(self) -> None:
        ui = self.ui
        record = self._record
        closed = record is not None and record.status != "open"
        if record is not None and closed:
            ui.stage.addItem(record.stage_name, self._draft.stage_id)
        for stage in self._pipeline.stages:
            if stage.kind == "open":
                ui.stage.addItem(f"{stage.name} ({stage.probability} %)", stage.id)
        ui.stage.setEnabled(not closed)
        ui.currency.addItems(list(CURRENCIES))
        self.fill_owners(ui.owner)
        ui.leadSource.addItems(list(LEAD_SOURCES))
        ui.campaign.addItem("None", None)
        for campaign_id, name in self.context.campaigns.names():
            ui.campaign.addItem(name, campaign_id)
        names = self.context.companies.names()
        self._company_ids = {name.casefold(): cid for cid, name in names}
        self._company_names = dict(names)
        completer = QCompleter([name for _, name in names], self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        ui.company.setCompleter(completer)
        self.person = PersonSearch(ui.contact, self.context)
        self.person.completer.activated.connect(lambda _text: self._person_chosen())
        ui.addLine.clicked.connect(self._add_line)
        ui.removeLine.clicked.connect(self._remove_lines)
        ui.linesTable.itemChanged.connect(lambda _i: self._update_totals())
        ui.valueFromLines.toggled.connect(lambda _on: self._update_totals())
        ui.wonButton.clicked.connect(lambda: self._close_as("won"))
        ui.lostButton.clicked.connect(lambda: self._close_as("lost"))
        ui.reopenButton.clicked.connect(self._reopen)
        ui.stage.currentIndexChanged.connect(lambda _i: self._update_status())
        for kind, button in (("won", ui.wonButton), ("lost", ui.lostButton)):
            missing = self._cannot_close(kind)
            button.setVisible(self._record is not None and not closed)
            button.setEnabled(not missing)
            if missing:
                button.setToolTip(missing)
        ui.reopenButton.setVisible(closed)
        if self.deal_id is None:
            ui.noteText.setEnabled(False)
            ui.noteText.setPlaceholderText("Notes can be written once the deal is saved.")

    def _stage(self, stage_id: str | None) -> StageRecord | None:
        return next((s for s in self._pipeline.stages if s.id == stage_id), None)

    def _cannot_close(self, kind: str) -> str:
        """Why the deal cannot be marked won/lost here ("" when it can)."""
        if not any(s.kind == kind for s in self._pipeline.stages):
            return f"The pipeline {self._pipeline.name} has no {kind} stage (Settings)."
        if not self.context.pipeline.reasons(kind):
            return f"Add a {kind} reason in Settings first."
        return ""

    def _load(self, d: DealDraft) -> None:
        ui = self.ui
        ui.title.setText(d.title)
        ui.stage.setCurrentIndex(max(ui.stage.findData(d.stage_id), 0))
        ui.value.setValue(d.value_cents / 100)
        ui.currency.setCurrentText(d.currency)
        ui.probability.setValue(-1 if d.probability is None else d.probability)
        ui.expectedClose.setValue(d.expected_close)
        ui.owner.setCurrentIndex(max(ui.owner.findData(d.owner_id), 0))
        if d.contact_id:
            self.person.choose(d.contact_id, self.context.contacts.get(d.contact_id).display_name)
        ui.company.setText(self._company_names.get(d.company_id or "", ""))
        ui.leadSource.setCurrentText(d.lead_source)
        if d.campaign_id and ui.campaign.findData(d.campaign_id) < 0:
            ui.campaign.addItem("(deleted campaign)", d.campaign_id)
        ui.campaign.setCurrentIndex(max(ui.campaign.findData(d.campaign_id), 0))
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

    def _fill_activities(self) -> None:
        ui = self.ui
        ui.activitiesList.clear()
        if self.deal_id is None:
            ui.activitiesList.addItem("Nothing yet: this deal is new.")
            ui.historyText.setHtml("<p>The stage history starts when the deal is saved.</p>")
            return
        entries = [
            e
            for e in self.context.timeline.timeline("deals", self.deal_id, limit=100)
            if e.kind.value == "activity"
        ]
        for e in entries:
            detail = f"\n{e.detail}" if e.detail else ""
            ui.activitiesList.addItem(f"{_day(e.at)} · {e.title}{detail}")
        if not entries:
            ui.activitiesList.addItem("No notes or activities yet.")
        ui.tabs.setTabText(ui.tabs.indexOf(ui.notesPage), f"&Notes && activities ({len(entries)})")
        record = self._record
        assert record is not None
        moves = "".join(
            f"<li>{_day(m.moved_at)}: "
            f"{m.from_stage + ' → ' if m.from_stage else 'created in '}{m.to_stage}</li>"
            for m in record.history
        )
        ui.historyText.setHtml(f"<ul>{moves}</ul>")

    # ---- the person and the company -----------------------------------------------------

    def _person_chosen(self) -> None:
        contact_id = self.person.chosen_id()
        if contact_id is None or self.ui.company.text().strip():
            return
        roles = self.context.contacts.get(contact_id).roles
        if roles:
            self.ui.company.setText(roles[0].company_name)

    # ---- stage, won, lost, reopen ---------------------------------------------------------

    def _update_status(self) -> None:
        record = self._record
        name = self._pipeline.name
        if self._pending is not None:
            stage = self._stage(self._pending[0])
            if stage is None or stage.kind == "open":
                what = f"moved to {stage.name if stage else 'another stage'}"
            else:
                what = stage.kind
            text = f"<b>Will be {what}</b> when you save."
        elif record is None:
            text = f"<b>New deal</b> in {name}"
        elif record.status != "open":
            when = f" on {_day(record.closed_at)}" if record.closed_at else ""
            reason = f": {record.reason}" if record.reason else ""
            note = f" ({record.close_note})" if record.close_note else ""
            text = (
                f"<b>{record.status.capitalize()}</b>{when}{reason}{note}. "
                "Reopen it to change its stage."
            )
        else:
            chosen = self._stage(self.ui.stage.currentData())
            text = f"<b>Open</b> in {name}"
            if chosen is not None and chosen.id != self._draft.stage_id:
                text += f": moves to {chosen.name} when you save"
        self.ui.statusLabel.setText(text)

    def _close_as(self, kind: str) -> None:
        stage = next((s for s in self._pipeline.stages if s.kind == kind), None)
        reasons = self.context.pipeline.reasons(kind)
        if stage is None or not reasons:
            self.show_problem(CrmError(self._cannot_close(kind)))
            return
        answer = reason_dialog.ask_reason(self, kind, reasons)
        if answer is None:
            return
        self._pending = (stage.id, answer[0], answer[1])
        self._update_status()
        self._accept()

    def _reopen(self) -> None:
        ui = self.ui
        ui.stage.removeItem(0)  # the won/lost stage it stood in
        ui.stage.setEnabled(True)
        ui.stage.setCurrentIndex(0)
        ui.reopenButton.setVisible(False)
        self._pending = (ui.stage.currentData(), None, "")
        ui.stage.currentIndexChanged.connect(self._reopen_to)
        self._update_status()
        ui.stage.setFocus()

    def _reopen_to(self, _index: int) -> None:
        self._pending = (self.ui.stage.currentData(), None, "")
        self._update_status()

    def stage_move(self) -> tuple[str, str | None, str] | None:
        """(stage id, reason id, note) of the move Save makes; None when it stays put."""
        if self.deal_id is None:
            return None
        move = self._pending or (self.ui.stage.currentData(), None, "")
        return move if move[0] != self._draft.stage_id else None

    # ---- line items ----------------------------------------------------------------------

    def _add_line(self, _checked: bool = False, values: list[str] | None = None) -> None:
        table = self.ui.linesTable
        row = table.rowCount()
        table.insertRow(row)
        for column, value in enumerate(values or ["", "1", "0.00", "0"]):
            table.setItem(row, column, QTableWidgetItem(value))
        total = QTableWidgetItem("")
        total.setFlags(Qt.ItemFlag.ItemIsEnabled)
        table.setItem(row, 4, total)
        if values is None:
            table.setCurrentCell(row, 0)
            table.editItem(table.item(row, 0))

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
            try:
                line = DealLine(
                    cells[0].strip(),
                    _number(cells[1], "quantity", int),
                    round(_number(cells[2], "unit price") * 100),
                    _number(cells[3], "discount", int),
                )
            except CrmError as exc:
                raise FieldError(table, f"line {row + 1}: {exc}") from exc
            result.append(line)
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

    # ---- reading and saving -------------------------------------------------------------------

    def draft(self) -> DealDraft:
        ui = self.ui
        if not ui.title.text().strip():
            raise FieldError(ui.title, "a deal needs a title")
        if self.person.unknown():
            raise FieldError(
                ui.contact, f"no person named {ui.contact.text().strip()!r}: pick one from the list"
            )
        company_id = None
        if ui.company.text().strip():
            company_id = self._company_ids.get(ui.company.text().strip().casefold())
            if company_id is None:
                raise FieldError(ui.company, f"no company named {ui.company.text().strip()!r}")
        probability = ui.probability.value()
        move = self.stage_move()
        return DealDraft(
            title=ui.title.text().strip(),
            pipeline_id=self._draft.pipeline_id,
            stage_id=move[0]
            if move
            else self._draft.stage_id
            if self.deal_id
            else ui.stage.currentData(),
            value_cents=round(ui.value.value() * 100),
            currency=ui.currency.currentText().strip().upper() or "EUR",
            probability=None if probability < 0 else probability,
            expected_close=ui.expectedClose.value(),
            owner_id=ui.owner.currentData(),
            contact_id=self.person.chosen_id(),
            company_id=company_id,
            lead_source=ui.leadSource.currentText().strip(),
            campaign_id=ui.campaign.currentData(),
            lines=self.lines(),
            value_from_lines=ui.valueFromLines.isChecked(),
        ).validated()

    def field_for(self, error: CrmError) -> QWidget | None:
        text = str(error)
        for word, widget in (
            ("line ", self.ui.linesTable),
            ("probability", self.ui.probability),
            ("value", self.ui.value),
        ):
            if word in text and not isinstance(error, FieldError):
                found: QWidget = widget
                return found
        return super().field_for(error)

    def accept(self) -> None:
        """Save: the stage move and the new note are made here (the caller saves the
        fields); a refused move keeps the editor open with the reason."""
        try:
            self._save_move()
            self._save_note()
        except CrmError as exc:
            self.show_problem(exc)
            return
        super().accept()

    def _run(self, text: str, do: Callable[[], ChangeSet], undo: Callable[[], ChangeSet]) -> None:
        changes = do()
        if self._hub is not None:
            self._hub.changed(changes)
            if self._undo_stack is not None:
                self._undo_stack.push(_AppliedCommand(text, self._hub, do, undo))

    def _save_move(self) -> None:
        move = self.stage_move()
        if move is None or self.deal_id is None:
            return
        deal_id, pipeline = self.deal_id, self.context.pipeline
        stage_id, reason_id, note = move
        old_stage, old_reason = self._draft.stage_id, pipeline.reason_of(deal_id)
        old_note = self._record.close_note if self._record else ""
        target = self._stage(stage_id)
        self._run(
            f"Move deal to {target.name if target else 'another stage'}",
            lambda: pipeline.move(deal_id, stage_id, None, reason_id, note),
            lambda: pipeline.move(deal_id, old_stage, None, old_reason, old_note),
        )
        self._pending = None

    def _save_note(self) -> None:
        text = self.ui.noteText.toPlainText().strip()
        if not text or self.deal_id is None:
            return
        draft = self.draft()
        note = ActivityDraft(
            kind="note",
            subject=text.splitlines()[0][:120],
            start=dt.datetime.now(dt.UTC),
            minutes=0,
            notes=text,
            reminder_minutes=None,
            owner_id=draft.owner_id,
            contact_id=draft.contact_id,
            company_id=draft.company_id,
            deal_id=self.deal_id,
            done=True,
        )
        made: list[str] = []
        calendar, activities = self.context.calendar, self.context.activities

        def add() -> ChangeSet:
            if made:
                restored: ChangeSet = activities.restore(made)
                return restored
            edit = calendar.create(note)
            made.append(edit.activity_id)
            created: ChangeSet = edit.changes
            return created

        self._run("Add note to deal", add, lambda: activities.delete(made))
        self.ui.noteText.clear()
