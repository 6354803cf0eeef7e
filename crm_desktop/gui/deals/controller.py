"""The deals feature: the pipeline board and list, the deal page (editor), card drops
with their won/lost reason, bulk edits of selected deals. It reacts to a ChangeSet by
itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QDialog, QInputDialog

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.formatting import pluralise
from crm_desktop.domain.pipeline import DealDraft
from crm_desktop.gui.commands import BulkCommand, SaveRecordCommand, ServiceCommand
from crm_desktop.gui.host import PIPELINE, Host
from crm_desktop.gui.series import plan_series
from crm_desktop.gui.views.pipeline import PipelineView

if TYPE_CHECKING:  # the deal page is imported when first opened, not with the window
    from crm_desktop.gui.dialogs.deal_editor import DealEditorDialog

BOARD_TABLES = ("deals", "stages", "pipelines", "contacts", "companies", "reasons", "users")


class DealsController(QObject):
    def __init__(self, host: Host) -> None:
        super().__init__(host.window)
        self.host = host
        self.pipeline_view = PipelineView(host.context, host.window)
        self.pipeline_view.move_requested.connect(self.move_deal)
        self.pipeline_view.open_requested.connect(self.edit_deal)
        self.pipeline_view.new_requested.connect(self.new_deal_in)
        self.pipeline_view.series_requested.connect(self.plan_series)

    def reload(self) -> None:
        self.pipeline_view.choices_changed()
        self.pipeline_view.reload()

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.touches(*BOARD_TABLES):
            self.reload()

    # ---- the deal page ----------------------------------------------------------------

    @Slot(str)
    def edit_deal(self, deal_id: str) -> None:
        context = self.host.context
        record = context.deals.get(deal_id)
        dialog = self._editor(record.draft, deal_id)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.host.run_command(
                SaveRecordCommand(
                    "deal", context.deals, self.host.hub, dialog.draft(), deal_id, record.draft
                )
            )

    def _editor(self, draft: DealDraft, deal_id: str | None) -> DealEditorDialog:
        """The deal page; its Won/Lost and notes go on the window's undo stack."""
        from crm_desktop.gui.dialogs.deal_editor import DealEditorDialog

        host = self.host
        return DealEditorDialog(
            host.context, draft, deal_id, host.window, hub=host.hub, undo_stack=host.undo_stack
        )

    @Slot(str)
    def new_deal_in(self, pipeline_id: str) -> None:
        self.new_deal(pipeline_id or None)

    @Slot(str)
    def new_deal_for(self, contact_id: str) -> None:
        self.new_deal(None, contact_id)

    def new_deal(self, pipeline_id: str | None = None, contact_id: str | None = None) -> None:
        """The deal page for a new deal, with the defaults of the service (pipeline, first
        open stage, business currency, the contact's company, this device's user)."""
        context = self.host.context
        try:
            if not context.pipeline.pipelines():
                context.pipeline.ensure_default()
            draft = context.deals.new_draft(pipeline_id, contact_id)
        except CrmError as exc:
            self.host.warn("New deal", str(exc))
            return
        dialog = self._editor(draft, None)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.host.run_command(
                SaveRecordCommand("deal", context.deals, self.host.hub, dialog.draft())
            )

    @Slot(str)
    def plan_series(self, deal_id: str) -> None:
        plan_series(self.host, deal_id=deal_id)

    # ---- the board --------------------------------------------------------------------

    def _ask_reason(self, kind: str) -> tuple[bool, str | None, str]:
        """(go on?, reason id, note) for a move to a won or lost stage."""
        window = self.host.window
        reasons = self.host.context.pipeline.reasons(kind)
        if not reasons:
            self.host.warn("Pipeline", f"Add a {kind} reason in Settings first.")
            return False, None, ""
        labels = [r.label for r in reasons]
        label, ok = QInputDialog.getItem(
            window, f"Deal {kind}", f"Why was the deal {kind}?", labels, 0, False
        )
        if not ok:
            return False, None, ""
        note, ok = QInputDialog.getText(window, f"Deal {kind}", "Note (optional):")
        return ok, reasons[labels.index(label)].id, note

    @Slot(str, str, int)
    def move_deal(self, deal_id: str, stage_id: str, index: int) -> None:
        """A card was dropped: ask for a reason on won/lost, then move it (undoable)."""
        pipeline = self.host.context.pipeline
        columns = self.pipeline_view.columns
        target = next(c.stage for c in columns if c.stage.id == stage_id)
        source = next(
            (c for c in columns if any(card.id == deal_id for card in c.cards_data())), None
        )
        old_stage = (
            source.stage.id if source else self.host.context.deals.get(deal_id).draft.stage_id
        )
        old_index = [card.id for card in source.cards_data()].index(deal_id) if source else 0
        old_reason = pipeline.reason_of(deal_id)
        reason_id, note = None, ""
        if target.kind in ("won", "lost") and target.id != old_stage:
            ok, reason_id, note = self._ask_reason(target.kind)
            if not ok:
                return
        self.host.run_command(
            ServiceCommand(
                f"Move deal to {target.name}",
                self.host.hub,
                lambda: pipeline.move(deal_id, stage_id, index, reason_id, note),
                lambda: pipeline.move(deal_id, old_stage, old_index, old_reason),
            )
        )

    # ---- bulk edits of the selected deals ---------------------------------------------

    def selected_deals(self) -> list[str]:
        if self.host.current_section() == PIPELINE and self.pipeline_view.showing_list():
            return self.pipeline_view.selected_deal_ids()
        return []

    def _bulk(self, run: Callable[[], Any]) -> None:
        self.host.run_command(BulkCommand(self.host.context.bulk, self.host.hub, run))

    def delete_selected(self, restore: bool = False) -> bool:
        deals = self.selected_deals()
        if not deals:
            return False
        bulk = self.host.context.bulk
        if restore:
            self._bulk(lambda: bulk.restore("deals", deals))
        else:
            self._bulk(lambda: bulk.delete("deals", deals))
        return True

    def owner_selected(self) -> bool:
        deals = self.selected_deals()
        users = self.host.context.users.list()
        if not deals or not users:
            return False
        names = [u.name for u in users]
        name, ok = QInputDialog.getItem(
            self.host.window,
            "Set owner",
            f"Owner of {pluralise(len(deals), 'deal')}:",
            names,
            0,
            False,
        )
        if ok:
            owner_id = users[names.index(name)].id
            bulk = self.host.context.bulk
            self._bulk(lambda: bulk.set_owner("deals", deals, owner_id))
        return True

    def stage_selected(self) -> None:
        """Move the selected deals of the list to one stage: all of them or none, one
        transaction, one undo step."""
        deals = self.selected_deals()
        if not deals:
            self.host.inform("Deals", "Select deals in the Pipeline's list first.")
            return
        context = self.host.context
        pipeline_ids = {context.deals.get(d).draft.pipeline_id for d in deals[:1]}
        pipeline = next(p for p in context.pipeline.pipelines() if p.id in pipeline_ids)
        names = [s.name for s in pipeline.stages]
        name, ok = QInputDialog.getItem(
            self.host.window,
            "Move deals",
            f"Stage for {pluralise(len(deals), 'deal')}:",
            names,
            0,
            False,
        )
        if not ok:
            return
        target = pipeline.stages[names.index(name)]
        reason_id, note = None, ""
        if target.kind in ("won", "lost"):
            ok, reason_id, note = self._ask_reason(target.kind)
            if not ok:
                return
        bulk = context.bulk
        self._bulk(lambda: bulk.move_stage(deals, target.id, reason_id, note))
