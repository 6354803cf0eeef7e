"""The main window is the shell: the sidebar of sections, menus, status bar, tray and the
one place where the feature controllers are wired. What a feature does lives in its own
package (gui/contacts, gui/deals, gui/data; calendar, reports and settings are views)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QSettings, QSize, QTimer, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QApplication,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.formatting import pluralise
from crm_desktop.gui import icons
from crm_desktop.gui.automation.controller import AutomationController
from crm_desktop.gui.campaigns.controller import CampaignsController
from crm_desktop.gui.contacts.controller import ContactsController
from crm_desktop.gui.data.controller import DataController, droppable
from crm_desktop.gui.deals.controller import DealsController
from crm_desktop.gui.events import EventHub
from crm_desktop.gui.help import HelpController
from crm_desktop.gui.host import (
    CALENDAR,
    CONTACTS,
    PIPELINE,
    REPORTS,
    SETTINGS,
    Host,
)
from crm_desktop.gui.mail.controller import MailController
from crm_desktop.gui.menus import build_menus
from crm_desktop.gui.reminders import ReminderScheduler, reminder_notice
from crm_desktop.gui.sections import Sections
from crm_desktop.gui.segments.controller import SegmentsController
from crm_desktop.gui.server.controller import ServerController
from crm_desktop.gui.sharing.controller import SharingController
from crm_desktop.gui.status import DataStatus, TaskStatus
from crm_desktop.gui.tasks import TaskRunner
from crm_desktop.gui.tray import TrayKeeper
from crm_desktop.gui.views.lists import ListView
from crm_desktop.gui.views.pipeline import PipelineView
from crm_desktop.gui.widgets.command_palette import CommandPaletteDialog, palette_actions

if TYPE_CHECKING:  # the three views built when first shown are imported then
    from crm_desktop.bootstrap import AppContext
    from crm_desktop.domain.calendar import Reminder
    from crm_desktop.gui.views.calendar import CalendarView
    from crm_desktop.gui.views.reports import ReportsView
    from crm_desktop.gui.views.settings import SettingsView


AFTER_FIRST_PAINT_MS = 200  # then the window has been shown and painted


class MainWindow(QMainWindow):
    reopen_requested = False  # set after a restore: app.run_window opens the data afresh
    undo_action: QAction  # these two come from the undo stack (menus.build_menus)
    redo_action: QAction

    def __init__(self, context: AppContext, runner: TaskRunner | None = None) -> None:
        super().__init__()
        self.context = context
        self.hub = EventHub(self)
        self.undo_stack = QUndoStack(self)
        self.runner = runner or TaskRunner(self)
        self.settings = QSettings(
            str(context.paths.data_dir / "window.ini"), QSettings.Format.IniFormat
        )
        business = context.settings.get("business_name") or "crm-desktop"
        self.setWindowTitle(f"{business} — crm-desktop")
        self.setWindowIcon(icons.app_icon())
        self.resize(QSize(1280, 800))
        self.sidebar = QListWidget(self)
        self.stack = QStackedWidget(self)
        self.host = Host(
            context,
            self.hub,
            self.undo_stack,
            self.runner,
            self,
            self.sidebar.setCurrentRow,
            self.sidebar.currentRow,
        )
        self.contacts = ContactsController(self.host)
        self.segments = SegmentsController(self.host, self.contacts)
        self.campaigns = CampaignsController(self.host)
        self.deals = DealsController(self.host)
        self.data = DataController(self.host)
        self.sharing = SharingController(self.host)
        self.server = ServerController(self.host)
        self.help = HelpController(self)
        self.automation = AutomationController(self.host)
        self.mail = MailController(self.host)
        # What is read again on reload; what is told of every change (each decides).
        self._lists = (self.contacts, self.segments, self.campaigns, self.deals)
        self._features = (*self._lists, self.data, self.automation)
        # Calendar, Reports and Settings are built when first shown (or first used).
        self.sections = Sections(
            self,
            self.sidebar,
            self.stack,
            self.segments.panel,
            (self.contacts.contacts_view, self.contacts.companies_view, self.deals.pipeline_view),
            {CALENDAR: self._build_calendar, REPORTS: self._build_reports,
             SETTINGS: self._build_settings},
            self.campaigns.view,  # the last section, after Settings
        )  # fmt: skip
        self.setAcceptDrops(True)  # drop a .csv, .vcf, .xlsx or .ics file to import it
        self._status_bar()
        self.notices: list[QMessageBox] = []
        self.actions_by_name = build_menus(self)
        self._wire()
        # The lists' saved columns and order before their first query, not a second
        # query in the saved order after it.
        self.contacts.restore_layout(self.settings)
        self.reload()
        self.sidebar.setCurrentRow(CONTACTS)
        self._restore_layout()
        self.reminders = ReminderScheduler(context, self.settings, self)
        self.reminders.reminded.connect(self.show_reminder)
        self._quitting = False
        self.tray = TrayKeeper(self, self.reminders, self.settings, self.bring_back, self.quit_app)
        self.data.start()
        self.sharing.start()
        self.server.start()
        # What the first look at the window does not need waits until it is painted.
        self.settled = False
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(AFTER_FIRST_PAINT_MS)
        self._settle_timer.timeout.connect(self.settle)
        self._settle_timer.start()

    @Slot()
    def settle(self) -> None:
        """The start's work that can wait for the window to be seen: the reminders (the
        day ahead, and those missed while closed). Runs once, soon after the first paint
        (not once the window has closed); tests call it to have it now."""
        self._settle_timer.stop()
        if self.settled:
            return
        self.settled = True
        self.reminders.reschedule()
        self.automation.start()
        self.mail.start()
        missed = self.reminders.missed()
        if missed:
            self.hub.status.emit(f"{pluralise(len(missed), 'reminder')} while closed")
            for reminder in missed[-5:]:
                self.show_reminder(reminder, missed=True)

    # ---- what tests and the screenshots reach through the window --------------------------

    @property
    def contacts_view(self) -> ListView:
        return self.contacts.contacts_view

    @property
    def companies_view(self) -> ListView:
        return self.contacts.companies_view

    @property
    def pipeline_view(self) -> PipelineView:
        return self.deals.pipeline_view

    # ---- construction ---------------------------------------------------------------------

    @property
    def calendar_view(self) -> CalendarView:
        return cast("CalendarView", self.sections.view(CALENDAR))

    @property
    def reports_view(self) -> ReportsView:
        return cast("ReportsView", self.sections.view(REPORTS))

    @property
    def settings_view(self) -> SettingsView:
        return cast("SettingsView", self.sections.view(SETTINGS))

    def _build_calendar(self) -> QWidget:
        from crm_desktop.gui.views.calendar import CalendarView

        return CalendarView(self.context, self, hub=self.hub, undo_stack=self.undo_stack)

    def _build_reports(self) -> QWidget:
        from crm_desktop.gui.views.reports import ReportsView

        return ReportsView(self.context, self, self.runner)

    def _build_settings(self) -> QWidget:
        from crm_desktop.gui.views.settings import SettingsView

        view = SettingsView(self.context, self)
        view.changed.connect(self.hub.changed)
        view.sharing_requested.connect(self.sharing.open_dialog)
        view.feed.feed_changed.connect(self._feed_changed)
        view.templates.saved.connect(self._templates_saved)
        self.mail.attach(view.mail)
        return view

    def mail_account(self) -> None:
        """Settings › E-mail account, in view, its server field ready to type in."""
        self.sidebar.setCurrentRow(SETTINGS)
        self.settings_view.show_mail_account()

    @Slot(str)
    def _open_activity(self, activity_id: str) -> None:
        self.calendar_view.open_activity(activity_id)

    def _status_bar(self) -> None:
        bar = self.statusBar()
        self.status = DataStatus(
            bar, self.context, self.contacts.contacts_model, self.contacts.companies_model
        )
        self.db_label, self.sync_label = self.status.label, self.sharing.label
        bar.addPermanentWidget(self.mail.label)
        self.tasks = TaskStatus(bar, self.runner)
        bar.addPermanentWidget(self.sync_label)

    def action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon: str = "",
    ) -> QAction:
        """A window action; menus and shortcuts call `slot` with no argument (triggered's
        `checked` must never reach a slot as, say, a file path)."""
        action = QAction(icons.get(icon or "palette"), text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _wire(self) -> None:
        self.sidebar.currentRowChanged.connect(self.status.update)
        self.hub.data_changed.connect(self.on_data_changed)
        self.hub.status.connect(self.status.message)
        self.contacts.new_deal_requested.connect(self.deals.new_deal_for)
        self.contacts.deal_open_requested.connect(self.deals.edit_deal)
        self.contacts.activity_open_requested.connect(self._open_activity)
        self.data.reopen_requested.connect(self.reopen)
        self.sharing.open_requested.connect(self.open_record)

    # ---- data -----------------------------------------------------------------------------

    def reload(self) -> None:
        for feature in self._lists:
            feature.reload()
        self.status.update(self.sidebar.currentRow())

    @Slot(object)
    def on_data_changed(self, changes: ChangeSet) -> None:
        """Each feature decides what of `changes` concerns it."""
        for feature in self._features:
            feature.on_changes(changes)
        if changes.touches("activities"):
            if self.sections.built(CALENDAR):
                self.calendar_view.reload()
            self.reminders.reschedule()
        if changes and self.sections.built(REPORTS):
            self.reports_view.reload()  # only when shown; otherwise on the next show
        self.status.update(self.sidebar.currentRow())

    def show_reminder(self, reminder: Reminder, missed: bool = False) -> None:
        self.notices.append(reminder_notice(self, self.reminders, reminder, missed))
        local = reminder.occurrence.astimezone()
        self.statusBar().showMessage(f"Reminder: {reminder.subject} at {local:%H:%M}", 60_000)

    # ---- actions that span features -------------------------------------------------------

    def delete_selected(self) -> None:
        if not self.deals.delete_selected():
            self.contacts.delete_selected()

    def restore_selected(self) -> None:
        if not self.deals.delete_selected(restore=True):
            self.contacts.delete_selected(restore=True)

    def owner_selected(self) -> None:
        if not self.deals.owner_selected():
            self.contacts.owner_selected()

    def export_list(self, path: str | None = None) -> None:
        found = self.contacts.selected()
        view, noun = (found[0], found[2]) if found else (None, "")
        self.data.export_list(view, noun, path)

    def open_record(self, kind: str, record_id: str) -> None:
        if kind == "contact":
            self.contacts.open_contact(record_id)
        elif kind == "company":
            self.contacts.open_company(record_id)
        else:
            self.sidebar.setCurrentRow(PIPELINE)
            self.deals.edit_deal(record_id)

    def open_palette(self) -> CommandPaletteDialog:
        """Records found as they are typed, and every enabled menu action."""
        dialog = CommandPaletteDialog(
            lambda text: self.context.search.search(text, 30),
            palette_actions(self.actions_by_name, self.sidebar.setCurrentRow),
            self.open_record,
            self,
        )
        dialog.open()
        return dialog

    # ---- drops ------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(droppable(url.toLocalFile()) for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls()]
        mails = [p for p in paths if droppable(p) == "email"]
        if mails:
            self.contacts.log_email_files(mails)
            event.acceptProposedAction()
        elif self.data.drop(paths):
            event.acceptProposedAction()

    # ---- layout memory ----------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        section = self.settings.value("window/section")
        if section is not None:
            self.sidebar.setCurrentRow(int(section))

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/section", self.sidebar.currentRow())
        self.contacts.save_layout(self.settings)
        self.settings.sync()

    # ---- the tray, the calendar file, quitting ----------------------------------------------

    def bring_back(self) -> None:
        QApplication.setQuitOnLastWindowClosed(True)
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def reopen(self) -> None:
        """After a restore: close, and let app.run_window open the restored data in a new
        window (every service, cache and the device id start afresh)."""
        self.reopen_requested = True
        self.quit_app()

    def quit_app(self) -> None:
        self._quitting = True
        self.close()
        QApplication.quit()

    @Slot(object)
    def _feed_changed(self, _path: object) -> None:
        self.data.write_feed()

    @Slot()
    def _templates_saved(self) -> None:
        self.hub.status.emit("Follow-up templates saved")

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.context.preferences.keep_running_in_tray and not self._quitting:
            # Keep running in the tray so reminders still come; Quit is in the tray's menu.
            self.save_layout()
            if self.tray.hide_window():
                event.ignore()
                return
        self.save_layout()
        self._settle_timer.stop()  # the data is about to close
        # Sharing does a last round; the runner's wait below lets it end.
        for feature in (self.data, self.automation, self.mail, self.sharing, self.server):
            feature.stop()
        if self.settled:  # else the reminders missed before were not shown: keep them
            self.settings.setValue("reminders/checked", self.reminders.clock().isoformat())
        self.runner.wait(10_000)
        super().closeEvent(event)
