"""Your data in and out: the import wizard (also for a dropped file), list exports,
calendar files in and out, the calendar file others subscribe to, backups and restore.
Long work runs on the background runner; an import is one undo step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.formatting import pluralise
from crm_desktop.gui.commands import ServiceCommand
from crm_desktop.gui.dialogs.import_wizard import ImportWizard
from crm_desktop.gui.host import Host
from crm_desktop.gui.views.detail import esc

if TYPE_CHECKING:
    from crm_desktop.domain.imports import ImportResult
    from crm_desktop.gui.views.lists import ListView

EXPORT_FILTERS = "CSV (*.csv);;Excel (*.xlsx);;vCard (*.vcf)"


def droppable(path: str) -> str:
    """What a file dropped on the window starts: "contacts", "calendar", "email" (an
    .eml logged on a contact's timeline) or ""."""
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".tsv", ".txt", ".xlsx", ".vcf", ".vcard"):
        return "contacts"
    if suffix == ".eml":
        return "email"
    return "calendar" if suffix == ".ics" else ""


class DataController(QObject):
    reopen_requested = Signal()  # a backup was restored: open the data afresh

    def __init__(self, host: Host) -> None:
        super().__init__(host.window)
        self.host = host
        self.import_wizard: ImportWizard | None = None
        self.feed_timer = QTimer(self)
        self.feed_timer.setSingleShot(True)
        self.feed_timer.setInterval(3000)
        self.feed_timer.timeout.connect(self.write_feed)
        self._feed_busy = self._feed_again = False

    def start(self) -> None:
        """The window is open: the calendar file soon, if one is kept."""
        if self.host.context.preferences.ics_feed:
            self.feed_timer.start()

    def stop(self) -> None:
        """The window closes: nothing more is started on data that is about to close."""
        self.feed_timer.stop()

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.touches("activities") and self.host.context.preferences.ics_feed:
            self.feed_timer.start()

    # ---- import -----------------------------------------------------------------------

    def import_contacts(self, path: str = "") -> ImportWizard:
        """The import wizard; it asks for the file itself unless one is given (a drop)."""
        wizard = ImportWizard(self.host.context, self.host.runner, path, self.host.window)
        wizard.imported.connect(self._imported)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.setModal(False)
        wizard.show()
        self.import_wizard = wizard
        return wizard

    @Slot(object)
    def _imported(self, result: ImportResult) -> None:
        """A finished import is one undo step: undo takes the whole batch back, redo
        imports the same file with the same choices again."""
        wizard = self.sender()
        if not isinstance(wizard, ImportWizard):
            return
        imports = self.host.context.imports
        state: dict[str, Any] = {"batch": result.batch_id, "first": True}
        again = {
            "path": Path(wizard.file_page.path.text().strip()),
            "mapping": wizard.mapping_page.mapping_now() or None,
            "on_duplicate": wizard.options_page.duplicates.currentData(),
            **wizard.file_options(),
        }

        def do() -> ChangeSet:
            if state["first"]:
                state["first"] = False
                return ChangeSet(result.changes.changed)
            try:
                redone = imports.run(**again)
            except CrmError as exc:
                self.host.warn("Redo import", str(exc))
                return ChangeSet()
            state["batch"] = redone.batch_id
            return ChangeSet(redone.changes.changed)

        noun = f"{result.created + result.updated} {result.kind}"

        def undo() -> ChangeSet:
            # In the background with progress: taking back 100,000 contacts takes seconds.
            # What it changed is announced when it is done.
            batch = state["batch"]

            def failed(error: str) -> None:
                state["first"] = True  # nothing was taken back: a redo has nothing to do
                self.host.warn("Undo import", error)

            self.host.runner.submit(
                f"Undoing the import of {noun}",
                lambda progress: imports.undo(batch, progress),
                self.host.hub.changed,
                failed,
            )
            return ChangeSet()

        self.host.run_command(ServiceCommand(f"Import {noun}", self.host.hub, do, undo))
        self.host.hub.status.emit(f"Imported: {result.created} new, {result.updated} updated")

    def drop(self, paths: list[str]) -> bool:
        """A file dropped on the window: the first one that can be imported is."""
        for path in paths:
            kind = droppable(path)
            if kind == "calendar":
                self.import_calendar(path)
                return True
            if kind == "contacts":
                self.import_contacts(path)
                return True
        return False

    # ---- export -----------------------------------------------------------------------

    def export_list(self, view: ListView | None, noun: str, path: str | None = None) -> None:
        """A contacts or companies list as shown (search, filters, order) or its selected
        rows, to CSV, Excel or vCard by the file's extension; ids and readable names, so
        an edited sheet imports back as updates."""
        if view is None:
            self.host.inform("Export", "Open the contacts or companies list first.")
            return
        selected = view.selected_ids()
        ids = selected if len(selected) > 1 else view.model.all_ids()
        if path is None:
            path, _filter = QFileDialog.getSaveFileName(
                self.host.window,
                f"Export {len(ids):,} {noun}s",
                str(Path.home() / f"{noun}s.csv"),
                EXPORT_FILTERS,
            )
        if not path:
            return
        exports = self.host.context.exports
        write = exports.contacts if noun == "contact" else exports.companies
        target = Path(path)
        if target.suffix.lower() not in (".csv", ".xlsx", ".vcf"):
            target = target.with_name(target.name + ".csv")
        self.host.runner.submit(
            f"Exporting {len(ids):,} {noun}s",
            lambda _p: write(target, ids),
            lambda n: self.host.hub.status.emit(f"{n:,} {noun}s written to {target}"),
            lambda error: self.host.warn("Export", error),
        )

    # ---- calendar files ---------------------------------------------------------------

    def import_calendar(self, path: str | None = None) -> None:
        """Events from an .ics file (Google, Outlook, Apple); broken ones are listed."""
        if path is None:
            path, _filter = QFileDialog.getOpenFileName(
                self.host.window, "Import calendar", str(Path.home()), "iCalendar (*.ics)"
            )
        if not path:
            return
        calendar, hub, window = self.host.context.calendar, self.host.hub, self.host.window

        def done(summary: Any) -> None:
            hub.changed(ChangeSet.of("activities", ["*"]))
            text = f"{summary.created} new and {summary.updated} updated activities."
            if summary.moved or summary.cancelled:
                text += (
                    f"<br>Series exceptions: {summary.moved} moved and "
                    f"{summary.cancelled} cancelled occurrences."
                )
            if summary.tasks:
                text += f"<br>{pluralise(summary.tasks, 'to-do')} imported as tasks."
            for title, items in (
                ("Not imported", summary.problems),
                ("Notes", summary.notes),
                ("Not used", summary.not_used),
            ):
                if items:
                    listed = "<br>".join(esc(p) for p in items[:20])
                    more = f"<br>… and {len(items) - 20} more" if len(items) > 20 else ""
                    text += f"<br><br><b>{title} ({len(items)}):</b><br>{listed}{more}"
            hub.status.emit(f"Calendar imported: {summary.created} new, {summary.updated} updated")
            box = QMessageBox(
                QMessageBox.Icon.Information, "Calendar imported", text, parent=window
            )
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.setModal(False)
            box.show()

        source = Path(path)
        self.host.runner.submit(
            "Importing calendar",
            lambda _p: calendar.import_ics(source),
            done,
            lambda error: self.host.warn("Import calendar", error),
        )

    def export_calendar(self, path: str | None = None) -> None:
        if path is None:
            path, _filter = QFileDialog.getSaveFileName(
                self.host.window,
                "Export calendar",
                str(Path.home() / "crm-calendar.ics"),
                "iCalendar (*.ics)",
            )
        if not path:
            return
        calendar, target = self.host.context.calendar, Path(path)
        self.host.runner.submit(
            "Exporting calendar",
            lambda _p: calendar.export_ics(target),
            lambda n: self.host.hub.status.emit(f"{pluralise(n, 'activity')} written to {target}"),
            lambda error: self.host.warn("Export calendar", error),
        )

    @Slot()
    def write_feed(self) -> None:
        """Rewrite the calendar file other apps subscribe to (in the background)."""
        path = self.host.context.preferences.ics_feed
        if not path:
            return
        if self._feed_busy:  # one write at a time; changes meanwhile make one more
            self._feed_again = True
            return
        self._feed_busy = True
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
        calendar = self.host.context.calendar

        def finished(text: str) -> None:
            self._feed_busy = False
            self.host.hub.status.emit(text)
            if self._feed_again:
                self._feed_again = False
                self.feed_timer.start()

        self.host.runner.submit(
            "Updating the calendar file",
            lambda _progress: calendar.export_ics(Path(path), since),
            on_done=lambda n: finished(f"Calendar file updated: {pluralise(n, 'activity')}"),
            on_error=lambda text: finished(f"Calendar file not updated: {text}"),
        )

    # ---- backups ----------------------------------------------------------------------

    def backup_now(self) -> None:
        maintenance, hub = self.host.context.maintenance, self.host.hub
        self.host.runner.submit(
            "Backing up",
            lambda _p: maintenance.backup(),
            lambda path: hub.status.emit(f"Backup written to {path}"),
            lambda error: self.host.warn("Backup", error),
        )

    def daily_backup(self) -> None:
        """On start, in the background: a backup when the newest is older than a day, and
        with it the history compaction of a database no team folder shares (a team's
        rounds compact by themselves)."""
        context, hub = self.host.context, self.host.hub

        def backup_and_compact(_progress: object) -> Path | None:
            path = context.maintenance.backup_if_due()
            if path is not None:
                context.sync.compact_alone()
            return path

        self.host.runner.submit(
            "Daily backup",
            backup_and_compact,
            self._daily_backup_done,
            lambda error: hub.status.emit(f"Daily backup failed: {error}"),
        )

    @Slot(object)
    def _daily_backup_done(self, path: Path | None) -> None:
        if path is not None:
            self.host.hub.status.emit(f"Daily backup written to {path.name}")

    def restore_backup(self) -> None:
        from crm_desktop.gui.dialogs.restore import RestoreDialog

        dialog = RestoreDialog(self.host.context.maintenance, self.host.runner, self.host.window)
        dialog.restored.connect(self._restored)
        dialog.exec()

    @Slot(object)
    def _restored(self, _result: object) -> None:
        self.reopen_requested.emit()
