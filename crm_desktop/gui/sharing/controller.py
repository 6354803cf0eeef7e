"""Team sharing where a user meets it: the status-bar label ("Synced 14:32",
"2 conflicts", a warning), rounds on the background runner (on start, every minute, a few
seconds after a local change, a last one on quit; one at a time) and the sharing dialog.
A round's changes go through the hub, so open views refresh themselves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.formatting import pluralise
from crm_desktop.domain.sync import CopiedDataFolderError, SyncReport, SyncVersionError
from crm_desktop.gui.host import Host
from crm_desktop.gui.tasks import Progress
from crm_desktop.gui.views.detail import esc

if TYPE_CHECKING:
    from collections.abc import Callable

    from crm_desktop.gui.sharing.dialog import SharingDialog
    from crm_desktop.sync.service import SyncService

ROUND_EVERY_MS = 60_000
AFTER_CHANGE_MS = 4_000
_STOPPING = (CopiedDataFolderError, SyncVersionError)


class SharingController(QObject):
    state_changed = Signal()  # a round ended, sharing started or stopped
    open_requested = Signal(str, str)  # (contact|company|deal, id): edit it from a conflict

    def __init__(self, host: Host) -> None:
        super().__init__(host.window)
        self.host = host
        self.label = QLabel("Not shared with a team", host.window)
        self.label.setAccessibleName("Team sharing")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.linkActivated.connect(self._link)
        self.timer = QTimer(self)
        self.timer.setInterval(ROUND_EVERY_MS)
        self.timer.timeout.connect(self.sync_now)
        self.soon = QTimer(self)  # debounces local changes
        self.soon.setSingleShot(True)
        self.soon.setInterval(AFTER_CHANGE_MS)
        self.soon.timeout.connect(self.sync_now)
        self.busy = self._again = self._applying = self._closed = False
        self.stopped = ""  # why rounds stopped (a copied data folder, a newer app's files)
        self.last: SyncReport | None = None
        self.last_time: dt.datetime | None = None
        self.last_error = ""
        self.dialog: SharingDialog | None = None
        host.hub.data_changed.connect(self._local_change)
        self.show_state()

    @property
    def service(self) -> SyncService:
        return self.host.context.sync

    def shared(self) -> bool:
        return self.service.folder() is not None

    # ---- the life of the window -----------------------------------------------------------

    def start(self) -> None:
        """The window is open: a round now and every minute, if shared."""
        if self.shared():
            self.timer.start()
            self.sync_now()

    def stop(self) -> None:
        """The window closes: no more timers; a last round so today's edits leave."""
        self.timer.stop()
        self.soon.stop()
        if self._closed:
            return
        self._closed = True
        if self.shared() and not self.stopped:
            self.host.runner.wait(10_000)  # a round under way ends first
            self.busy = False
            self.sync_now()

    # ---- rounds ---------------------------------------------------------------------------

    @Slot()
    def sync_now(self) -> None:
        """One round in the background; asked while one runs, another follows it."""
        if self.stopped or not self.shared():
            return
        if self.busy:
            self._again = True
            return
        self.busy, self._again = True, False
        self.soon.stop()
        self.show_state()
        self.host.runner.submit("Syncing with the team", _round(self), self._done, self._failed)

    def _done(self, result: object) -> None:
        self.busy = False
        if isinstance(result, _STOPPING):
            self._stop_rounds(str(result))
            return
        if not isinstance(result, SyncReport):
            return
        self.last, self.last_error = result, ""
        self.last_time = dt.datetime.now()
        self._applying = True
        try:
            self.host.hub.changed(result.changes)
        finally:
            self._applying = False
        self.show_state()
        if self._again and not self._closed:
            self.sync_now()

    def _failed(self, error: str) -> None:
        self.busy = False
        self.last_error = error  # offline, a folder not there: tried again next minute
        self.show_state()

    def _stop_rounds(self, why: str) -> None:
        self.stopped = why
        self.timer.stop()
        self.soon.stop()
        self.show_state()
        if not self._closed:
            self.host.warn("Team sharing stopped", why)

    @Slot(object)
    def _local_change(self, changes: ChangeSet) -> None:
        if changes and not self._applying and not self._closed and self.timer.isActive():
            self.soon.start()

    # ---- sharing on and off ---------------------------------------------------------------

    def share(self, folder: Path) -> None:
        """Share through `folder` (refused, with a reason, for one holding the data)."""
        self.service.set_folder(folder)
        self.stopped = self.last_error = ""
        self.last = None
        self.timer.start()
        self.sync_now()

    def stop_sharing(self) -> None:
        self.service.set_folder(None)
        self.timer.stop()
        self.soon.stop()
        self.stopped = self.last_error = ""
        self.last = None
        self.show_state()

    def resolve(self, conflict_id: str, keep: Literal["mine", "theirs"]) -> None:
        changes = self.service.resolve(conflict_id, keep)
        self.host.hub.changed(changes)  # a new edit: it leaves with the next round
        self.show_state()

    # ---- what the status bar says ---------------------------------------------------------

    def state_text(self) -> str:
        """The label's words, without markup."""
        if not self.shared():
            return "Not shared with a team"
        if self.stopped:
            return "Sharing stopped: " + _first_sentence(self.stopped)
        if self.busy:
            return "Syncing…"
        conflicts = self.service.conflict_count()
        if conflicts:
            return pluralise(conflicts, "conflict")
        if self.last is not None and self.last.quarantined:
            return "A device's clock is wrong: its changes wait"
        if self.last_error:
            # The folder is not there or cannot be read (no network, a drive not
            # mounted): edits stay here and go out at the next round that works.
            since = f": last synced {self.last_time:%H:%M}" if self.last_time else ""
            return f"Offline{since}"
        if self.last_time is not None:
            return f"Synced {self.last_time:%H:%M}"
        return "Shared with a team"

    def show_state(self) -> None:
        text = self.state_text()
        warning = bool(
            self.stopped or self.last_error or (self.last is not None and self.last.quarantined)
        )
        if text.endswith(("conflict", "conflicts")) and not self.busy:
            self.label.setText(f'<a href="conflicts">{esc(text)}</a>')
        elif warning and self.shared():
            self.label.setText(f'<a href="sharing" style="color:#b3261e">{esc(text)}</a>')
        else:
            self.label.setText(esc(text))
        self.label.setToolTip(self._details())
        self.state_changed.emit()

    def _details(self) -> str:
        folder = self.service.folder()
        if folder is None:
            return "Share this CRM with your team: File › Team sharing…"
        lines = [f"Team folder: {folder}"]
        if self.stopped:
            lines.append(self.stopped)
        elif self.last_error:
            lines.append(self.last_error)
        if self.last is not None:
            lines += [q.message for q in self.last.quarantined]
        return "\n".join(lines)

    @Slot(str)
    def _link(self, _where: str) -> None:
        self.open_dialog()

    def open_dialog(self) -> SharingDialog:
        """The Team sharing dialog (folder, who you are, conflicts, devices)."""
        from crm_desktop.gui.sharing.dialog import SharingDialog

        if self.dialog is None:
            self.dialog = SharingDialog(self, self.host.window)
        self.dialog.refresh()
        self.dialog.open()
        return self.dialog


def _round(controller: SharingController) -> Callable[[Progress], object]:
    service = controller.service

    def job(_progress: Progress) -> object:
        try:
            return service.round()
        except _STOPPING as exc:  # returned, so the window can tell what stopped it
            return exc

    return job


def _first_sentence(text: str) -> str:
    first = text.split(": ", 1)[0] if len(text) > 60 else text
    return first[:60] + ("…" if len(first) > 60 else "")
