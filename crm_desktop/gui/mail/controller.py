"""The mailbox read in the background: every few minutes (Settings › E-mail account) and
on "Check mail now", off the GUI thread. New mails with known contacts go on their
timelines, replies to a campaign mark the member responded; the status bar's mail label
says when it last read and what it found, or one line of what went wrong."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.formatting import pluralise

if TYPE_CHECKING:
    from crm_desktop.domain.mail import ImapResult
    from crm_desktop.gui.host import Host
    from crm_desktop.gui.views.settings_mail import MailAccountBox

MINUTE_MS = 60_000


def result_text(result: ImapResult, at: dt.datetime) -> str:
    found = pluralise(result.read, "new mail")
    if result.read:
        found += f", {result.logged} on timelines"
    if result.responses:
        found += f", {pluralise(result.responses, 'campaign response')}"
    return f"Mail read at {at:%H:%M}: {found}"


class MailController(QObject):
    status_changed = Signal(str)

    def __init__(self, host: Host) -> None:
        super().__init__(host.window)
        self.host = host
        self.running = False
        self.started = False
        self.status = ""
        self.label = QLabel(host.window)
        self.label.setObjectName("mail_status")
        self.label.setAccessibleName("E-mail")
        self.label.setMaximumWidth(420)  # a long error is in full in the tooltip
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check_now)

    def attach(self, box: MailAccountBox) -> None:
        """Settings › E-mail account: its buttons act here, its status line follows."""
        box.runner = self.host.runner
        box.check_requested.connect(self.check_now)
        box.saved.connect(self.reschedule)
        self.status_changed.connect(box.show_status)

    def start(self) -> None:
        """Once the window is up: read now, then every few minutes (when an account is
        set and reading by itself is on)."""
        self.started = True
        self.reschedule()
        if self.timer.isActive():
            self.check_now()

    def stop(self) -> None:
        self.started = False
        self.timer.stop()

    def reschedule(self) -> None:
        """After the account's settings changed: the new interval, or off."""
        settings = self.host.context.imap.settings()
        self.timer.stop()
        if self.started and settings.configured and settings.every_minutes > 0:
            self.timer.start(settings.every_minutes * MINUTE_MS)
        if not settings.configured:
            self._show("")

    @Slot()
    def check_now(self) -> None:
        """Read the new mails once, in the background (not twice at a time)."""
        if self.running:
            return
        imap = self.host.context.imap
        if not imap.settings().configured:
            self._show("No e-mail account: set one in Settings › E-mail account")
            return
        self.running = True
        self._show("Reading mail…")
        self.host.runner.submit(
            "Reading mail", lambda _progress: imap.read(), self._done, self._failed
        )

    def _done(self, result: ImapResult) -> None:
        self.running = False
        self._show(result_text(result, dt.datetime.now()))
        if result.logged or result.responses:
            self.host.hub.changed(
                ChangeSet.of("activities", ["*"]) | ChangeSet.of("campaign_members", ["*"])
            )

    def _failed(self, error: str) -> None:
        self.running = False
        line = error.splitlines()[0] if error else "unknown error"
        self._show(f"Mail not read: {line}")

    def _show(self, text: str) -> None:
        self.status = text
        self.label.setText(text)
        self.label.setToolTip(text)
        self.status_changed.emit(text)
