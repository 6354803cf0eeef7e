"""Automation in the window: the rules editor, and the rules running by themselves, off
the GUI thread: shortly after a change they may act on (a deal moved or won, an order, a
contact or its tags, a segment), and once a day (birthdays, quiet contacts). What they did
is on each contact's timeline; the status bar says how many actions, or one line of error.
Each event is acted on once (services.automation), so a run more is never harmful."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Slot

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.formatting import pluralise

if TYPE_CHECKING:  # the rules editor is imported when first opened, not with the window
    from crm_desktop.domain.automation import Outcome
    from crm_desktop.gui.automation.rules_dialog import RulesDialog
    from crm_desktop.gui.host import Host

# The changes a rule may act on; the rules' own writes (activities) are not among them.
TRIGGERING = (
    "deals",
    "deal_stage_history",
    "orders",
    "contacts",
    "taggings",
    "segments",
    "consents",
    "settings",
)
AFTER_CHANGE_MS = 2_000  # changes in a burst (an import, a bulk edit) make one run
DAILY_CHECK_MS = 15 * 60_000  # how often to look whether a new day has begun


class AutomationController(QObject):
    def __init__(self, host: Host) -> None:
        super().__init__(host.window)
        self.host = host
        self.dialog: RulesDialog | None = None
        self.running = False
        self.again = False  # a change came while running: run once more after
        self.last_status = ""
        self.announcing = False
        self.pending = QTimer(self)
        self.pending.setSingleShot(True)
        self.pending.setInterval(AFTER_CHANGE_MS)
        self.pending.timeout.connect(self.run_now)
        self.daily = QTimer(self)
        self.daily.setInterval(DAILY_CHECK_MS)
        self.daily.timeout.connect(self._new_day)
        self.started = False

    # ---- the rules editor -----------------------------------------------------------------

    def open_rules(self) -> RulesDialog:
        from crm_desktop.gui.automation.rules_dialog import RulesDialog

        dialog = RulesDialog(self.host.context, self.host.window)
        self.dialog = dialog
        dialog.saved.connect(self._rules_saved)
        dialog.open()
        return dialog

    @Slot()
    def _rules_saved(self) -> None:
        self.host.hub.status.emit("Automation rules saved")
        self.schedule()

    # ---- running by themselves ------------------------------------------------------------

    def start(self) -> None:
        """Once the window is up: catch up on what happened since the last run."""
        if self.started or self.host.context.database.read_only:
            return
        self.started = True
        self.daily.start()
        self.run_now()

    def stop(self) -> None:
        self.started = False
        self.pending.stop()
        self.daily.stop()

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.touches(*TRIGGERING) and not self.announcing:
            self.schedule()

    def schedule(self) -> None:
        if self.started and self.host.context.automation.rules():
            self.pending.start()

    @Slot()
    def _new_day(self) -> None:
        if self.host.context.automation.last_run() != dt.date.today():
            self.run_now()

    @Slot()
    def run_now(self) -> None:
        """Run the enabled rules over what happened since their last run, in the
        background (a run already going is followed by one more)."""
        self.pending.stop()
        if not self.started:
            return
        if self.running:
            self.again = True
            return
        automation = self.host.context.automation
        if not any(rule.enabled for rule in automation.rules()):
            return
        self.running = True
        self.host.runner.submit(
            "Running automation rules",
            lambda _progress: automation.run_due(),
            self._done,
            self._failed,
        )

    def _finish(self) -> None:
        self.running = False
        if self.again:
            self.again = False
            self.schedule()

    def _done(self, outcomes: list[Outcome]) -> None:
        done = [o for o in outcomes if o.done]
        if done:
            self.last_status = f"Automation: {pluralise(len(done), 'action')} done"
            self.host.hub.status.emit(self.last_status)
            contacts = sorted({o.contact_id for o in done})
            self.announcing = True  # what the rules wrote does not start them again
            try:
                self.host.hub.changed(
                    ChangeSet.of("activities", ["*"]) | ChangeSet.of("taggings", contacts)
                )
            finally:
                self.announcing = False
        self._finish()

    def _failed(self, error: str) -> None:
        self.last_status = "Automation stopped: " + error.splitlines()[0] if error else ""
        self.host.hub.status.emit(self.last_status)
        self._finish()
