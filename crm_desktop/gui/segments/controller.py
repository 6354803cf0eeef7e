"""Saved segments in the window: the sidebar list (with counts, counted in the
background), the builder with its live count, and bulk edits / export of a segment
through the same bulk service and undo stack as a selection."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.formatting import pluralise
from crm_desktop.domain.segments import Group
from crm_desktop.gui.commands import BulkCommand
from crm_desktop.gui.segments.builder import SegmentBuilderDialog
from crm_desktop.gui.segments.panel import SegmentsPanel

if TYPE_CHECKING:
    from crm_desktop.gui.contacts.controller import ContactsController
    from crm_desktop.gui.host import Host

EXPORT_FILTERS = "CSV (*.csv);;Excel (*.xlsx);;vCard (*.vcf)"


class SegmentsController(QObject):
    def __init__(self, host: Host, contacts: ContactsController) -> None:
        super().__init__(host.window)
        self.host = host
        self.contacts = contacts
        self.panel = SegmentsPanel(host.window)
        self.panel.new_requested.connect(self.new_segment)
        self.panel.action_requested.connect(self.on_action)
        self.builder: SegmentBuilderDialog | None = None

    # ---- the list ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Names at once; counts when the background count is done."""
        segments = self.host.context.segments
        self.panel.set_segments(segments.list())
        self.host.runner.submit(
            "Counting segments",
            lambda _p: segments.list(counts=True),
            self.panel.set_segments,
            lambda _error: None,  # the names stay; a count is not worth a dialog
        )

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.touches("segments", "contacts", "orders", "deals", "consents", "taggings"):
            self.reload()

    # ---- builder ----------------------------------------------------------------------------

    def new_segment(self) -> None:
        self.edit_segment(None)

    def edit_segment(self, segment_id: str | None) -> SegmentBuilderDialog:
        context = self.host.context
        name, group = "", Group()
        if segment_id:
            record = context.segments.find(segment_id)
            name, group = record.name, record.filter
        dialog = SegmentBuilderDialog(context.segments.count, name, group, self.host.window)
        self.builder = dialog
        dialog.update_count()
        dialog.accepted.connect(lambda: self._save(dialog, segment_id))
        dialog.open()
        return dialog

    def _save(self, dialog: SegmentBuilderDialog, segment_id: str | None) -> None:
        segments = self.host.context.segments
        try:
            group = dialog.filter()
            if segment_id:
                segments.rename(segment_id, dialog.name.text())
            saved = segments.save(dialog.name.text(), group)
        except CrmError as exc:
            self.host.warn("Segment", str(exc))
            return
        self.host.hub.changed(saved.changes)
        self.host.hub.status.emit(f"Segment {dialog.name.text().strip()} saved")
        self.open_segment(saved.id)

    # ---- actions ----------------------------------------------------------------------------

    @Slot(str, str)
    def on_action(self, action: str, segment_id: str) -> None:
        handlers: dict[str, Callable[[str], Any]] = {
            "open": self.open_segment,
            "edit": self.edit_segment,
            "tag": self.tag_segment,
            "owner": self.owner_segment,
            "export": self.export_segment,
            "delete": self.delete_segment,
        }
        try:
            handlers[action](segment_id)
        except CrmError as exc:
            self.host.warn("Segment", str(exc))

    def open_segment(self, segment_id: str) -> None:
        """The contacts list shows the segment (its box names it)."""
        self.contacts.show_segment(segment_id)

    def _ids(self, segment_id: str) -> tuple[str, list[str]]:
        segments = self.host.context.segments
        record = segments.find(segment_id)
        return record.name, segments.ids(record.filter)

    def _bulk(self, run: Callable[[], Any]) -> None:
        self.host.run_command(BulkCommand(self.host.context.bulk, self.host.hub, run))

    def tag_segment(self, segment_id: str, tag: str | None = None) -> None:
        name, ids = self._ids(segment_id)
        if tag is None:
            tag, ok = QInputDialog.getText(
                self.host.window,
                "Tag a segment",
                f"Tag for the {pluralise(len(ids), 'contact')} of {name}:",
            )
            if not ok:
                return
        if tag.strip() and ids:
            bulk = self.host.context.bulk
            self._bulk(lambda: bulk.tag("contacts", ids, tag.strip()))

    def owner_segment(self, segment_id: str, owner_id: str | None = None) -> None:
        name, ids = self._ids(segment_id)
        users = self.host.context.users.list()
        if owner_id is None:
            names = [u.name for u in users]
            if not names:
                self.host.inform("Owner", "Add a user first (Settings).")
                return
            chosen, ok = QInputDialog.getItem(
                self.host.window,
                "Set owner",
                f"Owner of the {pluralise(len(ids), 'contact')} of {name}:",
                names,
                0,
                False,
            )
            if not ok:
                return
            owner_id = users[names.index(chosen)].id
        if ids:
            bulk, owner = self.host.context.bulk, owner_id
            self._bulk(lambda: bulk.set_owner("contacts", ids, owner))

    def export_segment(self, segment_id: str, path: str | None = None) -> None:
        name, ids = self._ids(segment_id)
        if path is None:
            path, _filter = QFileDialog.getSaveFileName(
                self.host.window,
                f"Export {pluralise(len(ids), 'contact')} of {name}",
                str(Path.home() / f"{name}.csv"),
                EXPORT_FILTERS,
            )
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() not in (".csv", ".xlsx", ".vcf"):
            target = target.with_name(target.name + ".csv")
        exports = self.host.context.exports
        self.host.runner.submit(
            f"Exporting {name}",
            lambda _p: exports.contacts(target, ids),
            lambda n: self.host.hub.status.emit(f"{n:,} contacts written to {target}"),
            lambda error: self.host.warn("Export", error),
        )

    def delete_segment(self, segment_id: str, confirm: bool = True) -> None:
        record = self.host.context.segments.find(segment_id)
        if confirm:
            answer = QMessageBox.question(
                self.host.window,
                "Delete segment",
                f"Delete the segment {record.name}? Its contacts stay.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.host.hub.changed(self.host.context.segments.delete([segment_id]))
        self.host.hub.status.emit(f"Segment {record.name} deleted")
