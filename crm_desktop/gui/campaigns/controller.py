"""The campaigns screen's controller: fills the view from the campaign service, makes a
campaign, takes members from its segment, previews a member's message, sends (as .eml
files, a CSV, or SMTP in the background) and marks members by hand."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QFileDialog

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.formatting import pluralise
from crm_desktop.gui.campaigns.view import CampaignDialog, CampaignsView
from crm_desktop.gui.shown import RefreshWhenShown

if TYPE_CHECKING:
    from crm_desktop.domain.campaigns import SendResult
    from crm_desktop.gui.campaigns.mail_settings import MailSettingsDialog
    from crm_desktop.gui.host import Host
    from crm_desktop.services.campaigns import Transport

TABLES = ("campaigns", "campaign_members", "segments", "consents", "deals", "orders")


class CampaignsController(QObject):
    def __init__(self, host: Host) -> None:
        super().__init__(host.window)
        self.host = host
        self.view = CampaignsView(host.window)
        self.view.campaign_chosen.connect(self.show_campaign)
        self.view.member_chosen.connect(self.show_member)
        self.view.new_requested.connect(self.new_campaign)
        self.view.build_requested.connect(self.build_members)
        self.view.send_eml_requested.connect(self.send_eml)
        self.view.send_csv_requested.connect(self.send_csv)
        self.view.send_smtp_requested.connect(self.send_smtp)
        self.view.mark_requested.connect(self.mark_member)
        self.view.mail_settings_requested.connect(self.mail_settings)
        self.dialog: CampaignDialog | None = None
        # The campaigns, their figures and members are read when the section is shown.
        self.refresher = RefreshWhenShown(self.view, self._fill)

    # ---- showing ----------------------------------------------------------------------------

    def reload(self) -> None:
        self.refresher.request()

    def _fill(self) -> None:
        current = self.view.current_id()
        records = self.host.context.campaigns.all()
        if current is None and records:
            current = records[0].id
        self.view.set_campaigns(records, current)
        self.show_campaign(current or "")

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.touches(*TABLES):
            self.reload()

    @Slot(str)
    def show_campaign(self, campaign_id: str) -> None:
        campaigns = self.host.context.campaigns
        if not campaign_id:
            self.view.show_campaign(None)
            return
        try:
            record = campaigns.get(campaign_id)
        except CrmError:
            self.view.show_campaign(None)
            return
        self.view.show_campaign(record)
        members = campaigns.members(campaign_id)
        self.view.model.set_members(members)
        if members:
            self.view.table.selectRow(0)
        else:
            self.view.show_message(None)

    @Slot(str)
    def show_member(self, contact_id: str) -> None:
        campaign = self.view.current_id()
        if not campaign or not contact_id:
            self.view.show_message(None)
            return
        member = next((m for m in self.view.model.members if m.contact_id == contact_id), None)
        try:
            message = self.host.context.campaigns.preview(campaign, contact_id)
        except CrmError as exc:
            self.view.preview.setPlainText(str(exc))
            return
        self.view.show_message(message, member.reason if member else "")

    # ---- actions ----------------------------------------------------------------------------

    def new_campaign(self) -> CampaignDialog:
        segments = [(s.id, s.name) for s in self.host.context.segments.list()]
        dialog = CampaignDialog(segments, self.host.window)
        self.dialog = dialog
        dialog.accepted.connect(lambda: self._create(dialog))
        dialog.open()
        return dialog

    def _create(self, dialog: CampaignDialog) -> None:
        campaigns = self.host.context.campaigns
        try:
            saved = campaigns.create(
                dialog.name.text(),
                dialog.segment.currentData(),
                dialog.purpose.currentData(),
                dialog.channel.currentData(),
                dialog.subject.text(),
                dialog.body.toPlainText(),
                round(dialog.cost.value() * 100),
                dialog.start.date().toPython(),  # type: ignore[arg-type]
            )
        except CrmError as exc:
            self.host.warn("New campaign", str(exc))
            return
        self.host.hub.changed(saved.changes)
        self.reload()
        self._select(saved.id)

    def _select(self, campaign_id: str) -> None:
        for row in range(self.view.list.count()):
            item = self.view.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == campaign_id:
                self.view.list.setCurrentItem(item)

    def build_members(self) -> None:
        campaign = self.view.current_id()
        if not campaign:
            return
        try:
            summary = self.host.context.campaigns.build_members(campaign)
        except CrmError as exc:
            self.host.warn("Members", str(exc))
            return
        self.host.hub.changed(ChangeSet.of("campaign_members", [campaign]))
        self.host.hub.status.emit(
            f"{pluralise(summary.targeted, 'member')} to send, {summary.excluded} left out"
        )

    def send_eml(self, folder: str | None = None) -> None:
        from crm_desktop.services.mail import EmlFolder

        if folder is None:
            folder = QFileDialog.getExistingDirectory(
                self.host.window, "Folder for the .eml files", str(Path.home())
            )
        if not folder:
            return
        sender = self.host.context.mail.settings().sender or "crm-desktop@localhost"
        self._send(lambda: EmlFolder(Path(folder), sender), f"to {folder}")

    def send_csv(self, path: str | None = None) -> None:
        from crm_desktop.services.mail import MailCsv

        if path is None:
            path, _f = QFileDialog.getSaveFileName(
                self.host.window,
                "CSV for a mail tool",
                str(Path.home() / "mailing.csv"),
                "CSV (*.csv)",
            )
        if not path:
            return
        self._send(lambda: MailCsv(Path(path)), f"to {path}")

    def send_smtp(self) -> None:
        mail = self.host.context.mail
        self._send(mail.transport, "through " + mail.settings().host, mail.settings().per_minute)

    def _send(self, make: Any, where: str, per_minute: int = 0) -> None:
        campaign = self.view.current_id()
        if not campaign:
            return
        campaigns = self.host.context.campaigns
        try:
            transport: Transport = make()
        except CrmError as exc:
            self.host.warn("Send", str(exc))
            return

        def done(result: SendResult) -> None:
            self.host.hub.changed(ChangeSet.of("campaign_members", [campaign]))
            self.host.hub.changed(ChangeSet.of("activities", ["*"]))
            self.host.hub.status.emit(
                f"{pluralise(result.sent, 'message')} sent {where}; {result.failed} bounced"
            )

        self.host.runner.submit(
            "Sending the campaign",
            lambda progress: campaigns.send(campaign, transport, per_minute, progress=progress),
            done,
            lambda error: self.host.warn("Send", error),
        )

    def mail_settings(self) -> MailSettingsDialog:
        # Imported when first opened: it brings the mail service (smtplib, e-mail).
        from crm_desktop.gui.campaigns.mail_settings import MailSettingsDialog

        dialog = MailSettingsDialog(self.host.context.mail, self.host.window)
        dialog.accepted.connect(lambda: self.host.hub.status.emit("Mail server saved"))
        dialog.open()
        return dialog

    def mark_member(self, status: str) -> None:
        campaign, member = self.view.current_id(), self.view.current_member()
        if not campaign or not member:
            return
        try:
            changes = self.host.context.campaigns.set_status(campaign, member, status)
        except CrmError as exc:
            self.host.warn("Member", str(exc))
            return
        self.host.hub.changed(changes)
