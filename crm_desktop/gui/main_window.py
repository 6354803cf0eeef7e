"""The main window: sidebar, views, menus, status bar, undo, palette. Signals are wired
here, in one place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QSystemTrayIcon,
    QToolButton,
    QWidget,
)

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.pipeline import DealDraft
from crm_desktop.domain.records import ListQuery
from crm_desktop.gui import icons
from crm_desktop.gui.commands import SaveRecordCommand, ServiceCommand, trash_command
from crm_desktop.gui.dialogs.company_editor import CompanyEditorDialog
from crm_desktop.gui.dialogs.contact_editor import ContactEditorDialog
from crm_desktop.gui.dialogs.deal_editor import DealEditorDialog
from crm_desktop.gui.dialogs.duplicates import DuplicatesDialog, MergeDialog
from crm_desktop.gui.dialogs.import_wizard import ImportWizard
from crm_desktop.gui.events import EventHub
from crm_desktop.gui.models.contacts import CompanyTableModel, ContactTableModel
from crm_desktop.gui.reminders import ReminderScheduler
from crm_desktop.gui.tasks import TaskRunner
from crm_desktop.gui.views.calendar import CalendarView
from crm_desktop.gui.views.detail import DetailPanel, esc
from crm_desktop.gui.views.lists import ListView
from crm_desktop.gui.views.pipeline import PipelineView
from crm_desktop.gui.views.reports import ReportsView
from crm_desktop.gui.views.settings import SettingsView
from crm_desktop.gui.widgets.command_palette import CommandPaletteDialog

SECTIONS = (
    ("Contacts", "contacts"),
    ("Companies", "companies"),
    ("Pipeline", "pipeline"),
    ("Calendar", "calendar"),
    ("Reports", "reports"),
    ("Settings", "settings"),
)
CONTACT_ACTIONS = [
    ("edit", "Edit", "edit"),
    ("log_call", "Log call", "call"),
    ("add_note", "Add note", "note"),
    ("follow_up", "Follow-up", "followup"),
    ("new_deal", "New deal", "deal"),
    ("series", "Plan series", "calendar"),
    ("cadence", "Stay in touch", "calendar"),
]
COMPANY_ACTIONS = [
    ("edit", "Edit", "edit"),
    ("new_person", "Add person", "add"),
    ("show_people", "Show people", "contacts"),
]


def _droppable(path: str) -> str:
    """What a file dropped on the window starts: "contacts", "calendar" or ""."""
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".tsv", ".txt", ".xlsx", ".vcf", ".vcard"):
        return "contacts"
    return "calendar" if suffix == ".ics" else ""


class MainWindow(QMainWindow):
    reopen_requested = False  # set after a restore: app.run_window opens the data afresh

    def __init__(self, context: Any, runner: TaskRunner | None = None) -> None:
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

        self.contacts_model = ContactTableModel(context.contacts, self)
        self.companies_model = CompanyTableModel(context.companies, self)
        self.contact_detail = DetailPanel(CONTACT_ACTIONS, self)
        self.company_detail = DetailPanel(COMPANY_ACTIONS, self)
        self.contacts_view = ListView(
            self.contacts_model,
            "contacts",
            self.contact_detail,
            "contact",
            "name, company, e-mail, phone, notes",
            self,
        )
        self.companies_view = ListView(
            self.companies_model,
            "companies",
            self.company_detail,
            "company",
            "name, city, domain, phone, notes",
            self,
        )
        self.sidebar = QListWidget(self)
        self.sidebar.setAccessibleName("Sections")
        self.sidebar.setObjectName("sections")
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setFixedWidth(170)
        self.sidebar.setSpacing(2)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.contacts_view)
        self.stack.addWidget(self.companies_view)
        for title, icon in SECTIONS:
            self.sidebar.addItem(QListWidgetItem(icons.get(icon), title))
        self.pipeline_view = PipelineView(context, self)
        self.stack.addWidget(self.pipeline_view)
        self.settings_view = SettingsView(context, self)
        self.calendar_view = CalendarView(context, self, hub=self.hub, undo_stack=self.undo_stack)
        self.stack.addWidget(self.calendar_view)
        self.reports_view = ReportsView(context, self, self.runner)
        self.stack.addWidget(self.reports_view)
        self.stack.addWidget(self.settings_view)
        central = QWidget(self)
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.setAcceptDrops(True)  # drop a .csv, .vcf, .xlsx or .ics file to import it
        self._status_bar()
        self._actions()
        self._wire()
        self.reload()
        self.sidebar.setCurrentRow(0)
        self._restore_layout()
        self.reminders = ReminderScheduler(context, self.settings, self)
        self.reminders.reminded.connect(self.show_reminder)
        self.reminders.reschedule()
        self._quitting = False
        self._tray_menu()
        self.feed_timer = QTimer(self)
        self.feed_timer.setSingleShot(True)
        self.feed_timer.setInterval(3000)
        self.feed_timer.timeout.connect(self.write_feed)
        self.settings_view.feed.feed_changed.connect(lambda _p: self.write_feed())
        self._feed_busy = self._feed_again = False
        self.settings_view.templates.saved.connect(self._templates_saved)
        if context.preferences.ics_feed:
            self.feed_timer.start()
        # The month's forecast snapshot (forecast accuracy compares them with what closed),
        # taken in the background a little after start.
        QTimer.singleShot(5000, self.take_forecast_snapshot)
        missed = self.reminders.missed()
        if missed:
            self.hub.status.emit(f"{len(missed)} reminders while crm-desktop was closed")
            for reminder in missed[-5:]:
                self.show_reminder(reminder, missed=True)

    # ---- construction ---------------------------------------------------------------------

    def _status_bar(self) -> None:
        bar = self.statusBar()
        self.db_label = QLabel(self)
        self.sync_label = QLabel("Not shared with a team", self)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(180)
        self.progress.setAccessibleName("Background task progress")
        self.cancel_button = QToolButton(self)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setAccessibleName("Cancel background task")
        self.progress.hide()
        self.cancel_button.hide()
        bar.addWidget(self.db_label, 1)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.sync_label)
        self._task: Any = None
        self.notices: list[QMessageBox] = []

    def _action(self, text: str, slot: Any, shortcut: Any = None, icon: str = "") -> QAction:
        action = QAction(icons.get(icon) if icon else icons.get("palette"), text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        # triggered(bool) would hand `checked` to the slot as its first argument (a file
        # path, a pipeline id...): menu actions always call their slot with no argument.
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.new_contact_action = self._action(
            "New &contact", self.new_contact, QKeySequence.StandardKey.New, "add"
        )
        self.new_company_action = self._action(
            "New c&ompany", self.new_company, "Ctrl+Shift+N", "companies"
        )
        self.backup_action = self._action("&Back up now", self.backup_now, None, "restore")
        self.restore_backup_action = self._action(
            "&Restore from backup…", self.restore_backup, None, "restore"
        )
        self.import_contacts_action = self._action(
            "Import &contacts or companies…", self.import_contacts, "Ctrl+I", "add"
        )
        self.export_list_action = self._action(
            "E&xport this list…", self.export_list, "Ctrl+E", "restore"
        )
        self.import_ics_action = self._action(
            "&Import calendar (.ics)…", self.import_calendar, None, "calendar"
        )
        self.export_ics_action = self._action(
            "&Export calendar (.ics)…", self.export_calendar, None, "calendar"
        )
        quit_action = self._action("&Quit", self.quit_app, QKeySequence.StandardKey.Quit)
        for action in (
            self.new_contact_action,
            self.new_company_action,
            None,
            self.import_contacts_action,
            self.export_list_action,
            self.import_ics_action,
            self.export_ics_action,
            None,
            self.backup_action,
            self.restore_backup_action,
            None,
            quit_action,
        ):
            file_menu.addSeparator() if action is None else file_menu.addAction(action)
        edit_menu = menu.addMenu("&Edit")
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setIcon(icons.get("undo"))
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.redo_action.setIcon(icons.get("redo"))
        self.delete_action = self._action(
            "Move to &Trash", self.delete_selected, QKeySequence.StandardKey.Delete, "trash"
        )
        self.restore_action = self._action(
            "Res&tore from Trash", self.restore_selected, None, "restore"
        )
        self.tag_action = self._action("&Tag selected…", self.tag_selected, "Ctrl+T")
        self.owner_action = self._action("Set &owner of selected…", self.owner_selected)
        self.stage_action = self._action("Move selected deals to &stage…", self.stage_selected)
        self.segment_action = self._action(
            "Save contacts filter as se&gment…", self.save_segment, "Ctrl+Shift+S"
        )
        self.find_action = self._action(
            "&Find", self.focus_search, QKeySequence.StandardKey.Find, "search"
        )
        self.duplicates_action = self._action(
            "Find &duplicates…", self.find_duplicates, "Ctrl+Shift+D", "contacts"
        )
        self.merge_action = self._action("&Merge selected…", self.merge_selected, None, "contacts")
        for action in (
            self.undo_action,
            self.redo_action,
            None,
            self.delete_action,
            self.restore_action,
            self.tag_action,
            self.owner_action,
            self.stage_action,
            self.segment_action,
            None,
            self.duplicates_action,
            self.merge_action,
            None,
            self.find_action,
        ):
            edit_menu.addSeparator() if action is None else edit_menu.addAction(action)
        view_menu = menu.addMenu("&View")
        self.palette_action = self._action(
            "&Go to… (command palette)", self.open_palette, "Ctrl+K", "palette"
        )
        view_menu.addAction(self.palette_action)
        view_menu.addSeparator()
        for index, (title, icon) in enumerate(SECTIONS):
            view_menu.addAction(
                self._action(
                    title,
                    lambda i=index: self.sidebar.setCurrentRow(i),
                    f"Ctrl+{index + 1}",
                    icon,
                )
            )
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self._action("&About crm-desktop", self.about))

    def _wire(self) -> None:
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.hub.data_changed.connect(self.on_data_changed)
        self.hub.status.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.contacts_view.selection_changed.connect(self.show_contact_selection)
        self.companies_view.selection_changed.connect(self.show_company_selection)
        self.contacts_view.new_requested.connect(self.new_contact)
        self.companies_view.new_requested.connect(self.new_company)
        self.contact_detail.action_requested.connect(self.on_contact_action)
        self.pipeline_view.move_requested.connect(self.move_deal)
        self.pipeline_view.open_requested.connect(self.edit_deal)
        self.pipeline_view.new_requested.connect(self.new_deal)
        self.pipeline_view.series_requested.connect(lambda d: self.plan_series(deal_id=d))
        self.settings_view.changed.connect(self.hub.changed)
        self.contacts_view.segment_filter.show()
        self.contacts_view.segment_filter.activated.connect(lambda _i: self.apply_segment())
        self.company_detail.action_requested.connect(self.on_company_action)
        self.runner.started.connect(self._task_started)
        self.runner.progressed.connect(self._task_progress)
        self.runner.finished.connect(self._task_finished)
        self.cancel_button.clicked.connect(lambda: self._task and self._task.cancel())

    # ---- data -----------------------------------------------------------------------------

    def reload(self) -> None:
        self.contacts_view.apply_filters()
        self.companies_view.apply_filters()
        owners = [(u.id, u.name) for u in self.context.users.list()]
        tags = self.context.tags.names()
        self.contacts_view.set_filter_choices(tags, owners)
        self.companies_view.set_filter_choices(tags, owners)
        self.pipeline_view.fill_choices()
        self.pipeline_view.reload()
        self._fill_segments()
        self._update_status()

    def show_reminder(self, reminder: Any, missed: bool = False) -> None:
        """The in-app notice of a reminder (also when the tray showed one): non-modal,
        with Snooze."""
        local = reminder.occurrence.astimezone()
        box = QMessageBox(self)
        box.setWindowTitle("Missed reminder" if missed else "Reminder")
        box.setText(
            f"<b>{esc(reminder.subject)}</b><br>{reminder.kind.capitalize()} at "
            f"{local:%a %d %b %H:%M}"
        )
        snooze = box.addButton("Snooze 10 min", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.setModal(False)
        box.buttonClicked.connect(
            lambda button: self.reminders.snooze(reminder) if button is snooze else None
        )
        box.show()
        self.notices.append(box)
        self.statusBar().showMessage(f"Reminder: {reminder.subject} at {local:%H:%M}", 60_000)

    def _update_status(self) -> None:
        total = self.context.contacts.count(ListQuery())
        self.db_label.setText(f"{self.context.database_label}  ·  {total:,} contacts")

    def on_data_changed(self, changes: ChangeSet) -> None:
        # What the detail panels show, before the lists reload (and lose their selection).
        shown_contact, shown_company = self.contact_detail.record_id, self.company_detail.record_id
        if changes.touches(
            "contacts",
            "contact_emails",
            "contact_phones",
            "contact_roles",
            "taggings",
            "companies",
            "activities",
            "deals",
        ):
            for view in (self.contacts_view, self.companies_view):
                view.model.invalidate()
                view.apply_filters()
            self._update_status()
        if changes.touches("activities"):
            self.calendar_view.reload()
            self.reminders.reschedule()
            if self.context.preferences.ics_feed:
                self.feed_timer.start()
        if changes.touches("deals", "stages", "pipelines", "contacts", "companies", "reasons"):
            self.pipeline_view.fill_choices()
            self.pipeline_view.reload()
        if changes:
            self.reports_view.reload()  # only when shown; otherwise on the next show
        self.show_contact_selection(self.contacts_view.selected_ids(), keep=shown_contact)
        self.show_company_selection(self.companies_view.selected_ids(), keep=shown_company)

    def current_view(self) -> ListView | None:
        widget = self.stack.currentWidget()
        return widget if isinstance(widget, ListView) else None

    # ---- details --------------------------------------------------------------------------

    def show_contact_selection(self, ids: list[str], keep: str | None = None) -> None:
        contact_id = ids[0] if len(ids) == 1 else keep
        if not contact_id:
            self.contact_detail.clear()
            return
        self.show_contact(contact_id)

    def show_contact(self, contact_id: str) -> None:
        try:
            c = self.context.contacts.get(contact_id)
        except CrmError:
            self.contact_detail.clear()
            return
        role = c.roles[0] if c.roles else None
        subtitle = " at ".join(
            p for p in ((role.title if role else ""), (role.company_name if role else "")) if p
        )
        facts = [
            (
                "E-mail",
                "<br>".join(
                    f"<a href='mailto:{esc(e.email)}'>{esc(e.email)}</a> "
                    f"<span style='color:gray'>{esc(e.label)}</span>"
                    for e in c.emails
                ),
            ),
            (
                "Phone",
                "<br>".join(
                    f"{esc(p.number)} <span style='color:gray'>{esc(p.label)}</span>"
                    for p in c.phones
                ),
            ),
            ("Address", "<br>".join(esc(a.one_line()) for a in c.addresses)),
            (
                "Also at",
                "<br>".join(esc(f"{r.title} at {r.company_name}".strip()) for r in c.roles[1:]),
            ),
            ("Owner", esc(c.owner_name)),
            ("Lead source", esc(c.lead_source)),
            ("Birthday", esc(c.birthday.isoformat() if c.birthday else "")),
            ("Tags", esc(", ".join(c.tags))),
            (
                "Consent",
                "<br>".join(
                    f"{esc(s.purpose.replace('_', ' '))}: "
                    f"<b>{'✓ granted' if s.status == 'granted' else '✗ withdrawn'}</b> "
                    f"<span style='color:gray'>{esc(s.lawful_basis)} · {esc(s.source)} · "
                    f"{s.since.astimezone():%Y-%m-%d}</span>"
                    for s in self.context.consents.current(c.id)
                ),
            ),
            ("Stay in touch", self._cadence_text(c.id)),
            ("Notes", esc(c.notes)),
        ]
        timeline = self.context.timeline.timeline("contacts", c.id, limit=100)
        self.contact_detail.show_record(
            c.id, c.display_name, subtitle, facts, timeline, deleted=c.deleted_at is not None
        )
        self.contact_detail.set_actions_enabled(c.deleted_at is None)

    def _cadence_text(self, contact_id: str) -> str:
        days = self.context.calendar.cadence(contact_id)
        return f"every {days} days" if days else ""

    def show_company_selection(self, ids: list[str], keep: str | None = None) -> None:
        company_id = ids[0] if len(ids) == 1 else keep
        if not company_id:
            self.company_detail.clear()
            return
        try:
            c = self.context.companies.get(company_id)
        except CrmError:
            self.company_detail.clear()
            return
        people = "<br>".join(
            f"{esc(name)} <span style='color:gray'>{esc(title)}</span>"
            for _id, name, title in c.people[:30]
        )
        facts = [
            ("Industry", esc(c.industry)),
            ("Phone", esc(c.phone)),
            ("E-mail", esc(c.email)),
            ("Website", f"<a href='{esc(c.website)}'>{esc(c.website)}</a>" if c.website else ""),
            ("Address", esc(c.address.one_line())),
            ("Owner", esc(c.owner_name)),
            ("People", people),
            ("Tags", esc(", ".join(c.tags))),
            ("Notes", esc(c.notes)),
        ]
        timeline = self.context.timeline.timeline("companies", c.id, limit=100)
        subtitle = f"{len(c.people)} people" if c.people else ""
        self.company_detail.show_record(
            c.id, c.name, subtitle, facts, timeline, deleted=c.deleted_at is not None
        )
        self.company_detail.set_actions_enabled(c.deleted_at is None)

    # ---- editing ----------------------------------------------------------------------------

    def _edit_contact(self, contact_id: str | None) -> None:
        before = self.context.contacts.get(contact_id).to_draft() if contact_id else None
        dialog = ContactEditorDialog(self.context, before, contact_id, self)
        dialog.open_requested.connect(self.open_contact)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            command = SaveRecordCommand(
                "contact", self.context.contacts, self.hub, dialog.draft(), contact_id, before
            )
            self.run_command(command)
            if command.record_id:
                self.open_contact(command.record_id)

    def new_contact(self) -> None:
        self._edit_contact(None)

    def _edit_company(self, company_id: str | None) -> None:
        before = self.context.companies.get(company_id).to_draft() if company_id else None
        dialog = CompanyEditorDialog(self.context, before, company_id, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.run_command(
                SaveRecordCommand(
                    "company", self.context.companies, self.hub, dialog.draft(), company_id, before
                )
            )

    def new_company(self) -> None:
        self._edit_company(None)

    def run_command(self, command: Any) -> bool:
        """Push an undoable command; a refused edit shows one line, nothing half-done."""
        try:
            self.undo_stack.push(command)
        except CrmError as exc:
            QMessageBox.warning(self, "crm-desktop", str(exc))
            return False
        return True

    def _list_and_service(self) -> tuple[ListView, Any, str] | None:
        view = self.current_view()
        if view is self.contacts_view:
            return view, self.context.contacts, "contact"
        if view is self.companies_view:
            return view, self.context.companies, "company"
        return None

    def _selected_deals(self) -> list[str]:
        if self.stack.currentWidget() is self.pipeline_view and self.pipeline_view.showing_list():
            return self.pipeline_view.selected_deal_ids()
        return []

    def delete_selected(self) -> None:
        if deals := self._selected_deals():
            self.run_command(trash_command("deal", self.context.deals, self.hub, deals))
            return
        found = self._list_and_service()
        if found and found[0].selected_ids():
            view, service, noun = found
            self.run_command(trash_command(noun, service, self.hub, view.selected_ids()))

    def restore_selected(self) -> None:
        found = self._list_and_service()
        if found and found[0].selected_ids():
            view, service, noun = found
            self.run_command(
                trash_command(noun, service, self.hub, view.selected_ids(), restore=True)
            )

    def tag_selected(self) -> None:
        ids = self.contacts_view.selected_ids() if self.current_view() is self.contacts_view else []
        if not ids:
            return
        tag, ok = QInputDialog.getText(self, "Tag contacts", f"Tag for {len(ids)} contacts:")
        if not ok or not tag.strip():
            return
        contacts = self.context.contacts
        before = {i: contacts.get(i).to_draft() for i in ids}

        def undo() -> ChangeSet:
            changes = ChangeSet()
            for cid, draft in before.items():
                changes |= contacts.update(cid, draft).changes
            return changes

        self.run_command(
            ServiceCommand(
                f"Tag {len(ids)} contacts",
                self.hub,
                lambda: contacts.add_tag(ids, tag.strip()),
                undo,
            )
        )

    def owner_selected(self) -> None:
        deals = self._selected_deals()
        ids = deals or (
            self.contacts_view.selected_ids() if self.current_view() is self.contacts_view else []
        )
        noun, service = (
            ("deals", self.context.deals) if deals else ("contacts", self.context.contacts)
        )
        users = self.context.users.list()
        if not ids or not users:
            return
        name, ok = QInputDialog.getItem(
            self, "Set owner", f"Owner of {len(ids)} {noun}:", [u.name for u in users], 0, False
        )
        if not ok:
            return
        owner_id = next(u.id for u in users if u.name == name)
        if deals:
            previous = {i: service.get(i).draft.owner_id for i in ids}
        else:
            previous = {i: service.get(i).owner_id for i in ids}

        def undo() -> ChangeSet:
            changes = ChangeSet()
            for old in set(previous.values()):
                changes |= service.set_owner([i for i, o in previous.items() if o == old], old)
            return changes

        self.run_command(
            ServiceCommand(
                f"Set owner of {len(ids)} {noun}",
                self.hub,
                lambda: service.set_owner(ids, owner_id),
                undo,
            )
        )

    def _fill_segments(self) -> None:
        combo = self.contacts_view.segment_filter
        current = combo.currentData()
        combo.clear()
        combo.addItem("All contacts", None)
        for segment in self.context.segments.list():
            combo.addItem(segment.name, segment.id)
        combo.setCurrentIndex(max(combo.findData(current), 0))

    def apply_segment(self) -> None:
        segment_id = self.contacts_view.segment_filter.currentData()
        query = self.context.segments.query(segment_id) if segment_id else ListQuery()
        self.contacts_view.apply_saved(query)

    def save_segment(self) -> None:
        query = self.contacts_view.model.query
        name, ok = QInputDialog.getText(self, "Save segment", "Name of this segment:")
        if not ok or not name.strip():
            return
        try:
            saved = self.context.segments.save(name, query)
        except CrmError as exc:
            QMessageBox.warning(self, "Segments", str(exc))
            return
        self._fill_segments()
        combo = self.contacts_view.segment_filter
        combo.setCurrentIndex(combo.findData(saved.id))
        self.hub.status.emit(f"Segment {name.strip()} saved")

    def stage_selected(self) -> None:
        """Bulk edit: move the selected deals of the list to one stage (undoable)."""
        deals = self._selected_deals()
        if not deals:
            return
        pipeline = self.context.pipeline
        records = {d: self.context.deals.get(d) for d in deals}
        pipeline_id = next(iter(records.values())).draft.pipeline_id
        if any(r.draft.pipeline_id != pipeline_id for r in records.values()):
            QMessageBox.information(self, "Deals", "Select deals of one pipeline.")
            return
        stages = next(p for p in pipeline.pipelines() if p.id == pipeline_id).stages
        name, ok = QInputDialog.getItem(
            self, "Move deals", f"Stage for {len(deals)} deals:", [s.name for s in stages], 0, False
        )
        if not ok:
            return
        target = next(s for s in stages if s.name == name)
        reason_id = None
        if target.kind in ("won", "lost"):
            reasons = pipeline.reasons(target.kind)
            label, ok = QInputDialog.getItem(
                self, f"Deals {target.kind}", "Reason:", [r.label for r in reasons], 0, False
            )
            if not ok or not reasons:
                return
            reason_id = next(r.id for r in reasons if r.label == label)
        before = {d: (r.draft.stage_id, pipeline.reason_of(d)) for d, r in records.items()}

        def do() -> ChangeSet:
            changes = ChangeSet()
            for deal_id in deals:
                changes |= pipeline.move(deal_id, target.id, None, reason_id)
            return changes

        def undo() -> ChangeSet:
            changes = ChangeSet()
            for deal_id, (stage_id, reason) in before.items():
                changes |= pipeline.move(deal_id, stage_id, None, reason)
            return changes

        self.run_command(
            ServiceCommand(f"Move {len(deals)} deals to {target.name}", self.hub, do, undo)
        )

    # ---- the pipeline board ----------------------------------------------------------------

    def find_duplicates(self) -> None:
        dialog = DuplicatesDialog(self.context, self.runner, self.merge_records, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setModal(False)
        dialog.show()
        self._duplicates_dialog = dialog

    def merge_selected(self) -> None:
        found = self._list_and_service()
        if found is None:
            return
        view, _service, noun = found
        ids = view.selected_ids()
        if len(ids) < 2:
            QMessageBox.information(self, "Merge", f"Select two or more {noun}s to merge.")
            return
        self.merge_records("contacts" if noun == "contact" else "companies", ids)

    def merge_records(self, kind: str, ids: list[str]) -> bool:
        """The side-by-side merge of records; the merge is one undo step."""
        try:
            dialog = MergeDialog(self.context, kind, ids, self)
        except CrmError as exc:  # e.g. a record went to the Trash since the scan
            QMessageBox.warning(self, "Merge", str(exc))
            return False
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        duplicates = self.context.duplicates
        keep, others, choices = dialog.keep_id(), dialog.other_ids(), dialog.choices()
        state: dict[str, Any] = {}

        def do() -> ChangeSet:
            last = state.get("result")
            result = (
                duplicates.undo_merge(last)
                if last is not None
                else duplicates.merge(kind, keep, others, choices)
            )
            state["result"] = result
            return ChangeSet(result.changes.changed)

        def undo() -> ChangeSet:
            result = duplicates.undo_merge(state["result"])
            state["result"] = result
            return ChangeSet(result.changes.changed)

        return self.run_command(ServiceCommand(f"Merge {len(ids)} {kind}", self.hub, do, undo))

    def plan_series(self, contact_id: str | None = None, deal_id: str | None = None) -> None:
        """Plan a follow-up template's activities for a contact or a deal (one undo step)."""
        activities = self.context.activities
        templates = self.context.followups.templates()
        if not templates:
            QMessageBox.information(self, "Follow-up", "Add a follow-up template in Settings.")
            return
        name, ok = QInputDialog.getItem(
            self, "Plan a follow-up series", "Template:", [t.name for t in templates], 0, False
        )
        if not ok:
            return
        template = next(t for t in templates if t.name == name)
        planned: list[str] = []

        def plan() -> ChangeSet:
            if planned:
                restored: ChangeSet = activities.restore(planned)
                return restored
            changes: ChangeSet = self.context.followups.apply(
                template.id, contact_id=contact_id, deal_id=deal_id
            )
            planned.extend(changes.ids("activities"))
            return changes

        self.run_command(
            ServiceCommand(
                f"Plan {template.name}", self.hub, plan, lambda: activities.delete(planned)
            )
        )

    def edit_deal(self, deal_id: str) -> None:
        record = self.context.deals.get(deal_id)
        dialog = DealEditorDialog(self.context, record.draft, deal_id, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.run_command(
                SaveRecordCommand(
                    "deal", self.context.deals, self.hub, dialog.draft(), deal_id, record.draft
                )
            )

    def new_deal(self, pipeline_id: str | None = None, contact_id: str | None = None) -> None:
        pipelines = self.context.pipeline.pipelines()
        pipeline = next((p for p in pipelines if p.id == pipeline_id), None) or (
            pipelines[0] if pipelines else None
        )
        if pipeline is None:
            QMessageBox.information(self, "Pipeline", "Add a pipeline in Settings first.")
            return
        stage = next(s for s in pipeline.stages if s.kind == "open")
        company_id = None
        if contact_id:
            roles = self.context.contacts.get(contact_id).roles
            company_id = roles[0].company_id if roles else None
        draft = DealDraft(
            title="",
            pipeline_id=pipeline.id,
            stage_id=stage.id,
            currency=self.context.settings.get("currency") or "EUR",
            contact_id=contact_id,
            company_id=company_id,
        )
        dialog = DealEditorDialog(self.context, draft, None, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.run_command(
                SaveRecordCommand("deal", self.context.deals, self.hub, dialog.draft())
            )

    def move_deal(self, deal_id: str, stage_id: str, index: int) -> None:
        """A card was dropped: ask for a reason on won/lost, then move it (undoable)."""
        pipeline = self.context.pipeline
        columns = self.pipeline_view.columns
        target = next(c.stage for c in columns if c.stage.id == stage_id)
        source = next(c for c in columns if any(card.id == deal_id for card in c.cards_data()))
        old_index = [card.id for card in source.cards_data()].index(deal_id)
        old_stage, old_reason = source.stage.id, pipeline.reason_of(deal_id)
        reason_id, note = None, ""
        if target.kind in ("won", "lost") and target.id != old_stage:
            reasons = pipeline.reasons(target.kind)
            if not reasons:
                QMessageBox.warning(
                    self, "Pipeline", f"Add a {target.kind} reason in Settings first."
                )
                return
            label, ok = QInputDialog.getItem(
                self,
                f"Deal {target.kind}",
                f"Why was the deal {target.kind}?",
                [r.label for r in reasons],
                0,
                False,
            )
            if not ok:
                return
            reason_id = next(r.id for r in reasons if r.label == label)
            note, ok = QInputDialog.getText(self, f"Deal {target.kind}", "Note (optional):")
            if not ok:
                return
        self.run_command(
            ServiceCommand(
                f"Move deal to {target.name}",
                self.hub,
                lambda: pipeline.move(deal_id, stage_id, index, reason_id, note),
                lambda: pipeline.move(deal_id, old_stage, old_index, old_reason),
            )
        )

    # ---- quick actions ------------------------------------------------------------------

    def on_contact_action(self, action: str, contact_id: str) -> None:
        if action == "edit":
            self._edit_contact(contact_id)
            return
        activities = self.context.activities
        if action in ("log_call", "add_note"):
            label = "What was said?" if action == "log_call" else "Note:"
            text, ok = QInputDialog.getMultiLineText(
                self, "Log a call" if action == "log_call" else "Add a note", label
            )
            if not ok or not text.strip():
                return
            kind = "call" if action == "log_call" else "note"
            subject = text.strip().splitlines()[0][:80]
            self._create_undoable(
                f"Log {kind}",
                lambda: activities.log(
                    contact_id,
                    kind,
                    subject if kind == "note" else "Call",
                    outcome=text.strip(),
                    notes=text.strip() if kind == "note" else "",
                ),
                activities,
            )
        elif action == "follow_up":
            subject, ok = QInputDialog.getText(
                self, "Schedule a follow-up", "What to do:", text="Follow up"
            )
            if not ok or not subject.strip():
                return
            days, ok = QInputDialog.getInt(
                self, "Schedule a follow-up", "In how many days?", 3, 0, 365
            )
            if not ok:
                return
            when = dt.datetime.combine(
                dt.date.today() + dt.timedelta(days=days), dt.time(10, 0)
            ).astimezone(dt.UTC)
            self._create_undoable(
                "Schedule follow-up",
                lambda: activities.schedule(contact_id, "task", subject.strip(), when),
                activities,
            )
        elif action == "new_deal":
            self.new_deal(None, contact_id)
        elif action == "series":
            self.plan_series(contact_id=contact_id)
        elif action == "cadence":
            days, ok = QInputDialog.getInt(
                self,
                "Stay in touch",
                "Get in touch every how many days? (0: no reminder)",
                30,
                0,
                3650,
            )
            if ok:
                calendar = self.context.calendar
                before = calendar.cadence(contact_id)
                self.run_command(
                    ServiceCommand(
                        "Stay in touch",
                        self.hub,
                        lambda: calendar.set_cadence(contact_id, days),
                        lambda: calendar.set_cadence(contact_id, before),
                    )
                )

    def _create_undoable(self, text: str, create: Any, service: Any) -> None:
        created: list[str] = []

        def do() -> ChangeSet:
            if created:
                return service.restore(created)  # type: ignore[no-any-return]
            saved = create()
            created.append(saved.id)
            return saved.changes  # type: ignore[no-any-return]

        self.run_command(ServiceCommand(text, self.hub, do, lambda: service.delete(created)))

    def on_company_action(self, action: str, company_id: str) -> None:
        if action == "edit":
            self._edit_company(company_id)
        elif action == "show_people":
            name = self.context.companies.get(company_id).name
            self.sidebar.setCurrentRow(0)
            self.contacts_view.set_company_filter(company_id, name)
        elif action == "new_person":
            from crm_desktop.domain.records import ContactDraft, RoleEntry

            name = self.context.companies.get(company_id).name
            draft = ContactDraft(roles=(RoleEntry(company_id, "", name),))
            dialog = ContactEditorDialog(self.context, draft, None, self)
            if dialog.exec() == QDialog.DialogCode.Accepted:
                self.run_command(
                    SaveRecordCommand("contact", self.context.contacts, self.hub, dialog.draft())
                )

    # ---- navigation ---------------------------------------------------------------------

    def open_contact(self, contact_id: str) -> None:
        self.sidebar.setCurrentRow(0)
        self._select(self.contacts_view, contact_id)
        self.show_contact(contact_id)

    def open_company(self, company_id: str) -> None:
        self.sidebar.setCurrentRow(1)
        self._select(self.companies_view, company_id)
        self.show_company_selection([company_id])

    @staticmethod
    def _select(view: ListView, record_id: str) -> None:
        model = view.model
        for row in range(model.rowCount()):
            if model.id_at(row) == record_id:
                view.table.selectRow(row)
                view.table.scrollTo(model.index(row, 0))
                return

    def open_record(self, kind: str, record_id: str) -> None:
        if kind == "contact":
            self.open_contact(record_id)
        elif kind == "company":
            self.open_company(record_id)
        else:
            self.sidebar.setCurrentRow(2)
            self.edit_deal(record_id)

    def palette_actions(self) -> list[tuple[str, Any]]:
        actions: list[tuple[str, Any]] = [
            ("New contact", self.new_contact),
            ("New company", self.new_company),
            ("Back up now", self.backup_now),
            ("Undo", self.undo_stack.undo),
            ("Redo", self.undo_stack.redo),
            ("Show Trash", self.show_trash),
        ]
        actions += [
            (f"Go to {title}", lambda i=i: self.sidebar.setCurrentRow(i))
            for i, (title, _icon) in enumerate(SECTIONS)
        ]
        return actions

    def open_palette(self) -> CommandPaletteDialog:
        dialog = CommandPaletteDialog(
            lambda text: self.context.search.search(text, 30),
            self.palette_actions(),
            self.open_record,
            self,
        )
        dialog.open()
        return dialog

    def show_trash(self) -> None:
        view = self.current_view() or self.contacts_view
        self.sidebar.setCurrentIndex(
            self.sidebar.model().index(0 if view is self.contacts_view else 1, 0)
        )
        view.trash_button.setChecked(True)

    def focus_search(self) -> None:
        view = self.current_view()
        if view:
            view.search.setFocus()
            view.search.selectAll()

    def backup_now(self) -> None:
        self.runner.submit(
            "Backing up",
            lambda _p: self.context.maintenance.backup(),
            lambda path: self.hub.status.emit(f"Backup written to {path}"),
            lambda error: self._warn("Backup", error),
        )

    def daily_backup(self) -> None:
        """On start, in the background: a backup when the newest is older than a day."""
        self.runner.submit(
            "Daily backup",
            lambda _p: self.context.maintenance.backup_if_due(),
            self._daily_backup_done,
            lambda error: self.hub.status.emit(f"Daily backup failed: {error}"),
        )

    def _daily_backup_done(self, path: Path | None) -> None:
        if path is not None:
            self.hub.status.emit(f"Daily backup written to {path.name}")

    def restore_backup(self) -> None:
        from crm_desktop.gui.dialogs.restore import RestoreDialog

        dialog = RestoreDialog(self.context.maintenance, self.runner, self)
        dialog.restored.connect(lambda _result: self.reopen())
        dialog.exec()

    def reopen(self) -> None:
        """After a restore: close, and let app.run_window open the restored data in a new
        window (every service, cache and the device id start afresh)."""
        self.reopen_requested = True
        self.quit_app()

    def import_contacts(self, path: str = "") -> ImportWizard:
        """The import wizard (also opened by dropping a file on the window)."""
        wizard = ImportWizard(self.context, self.runner, path, self)
        wizard.imported.connect(lambda result, w=wizard: self._imported(result, w))
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.setModal(False)
        wizard.show()
        self._import_wizard = wizard
        return wizard

    def _imported(self, result: Any, wizard: ImportWizard) -> None:
        """A finished import is one undo step: undo takes the whole batch back, redo
        imports the same file with the same choices again."""
        imports = self.context.imports
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
                self._warn("Redo import", str(exc))
                return ChangeSet()
            state["batch"] = redone.batch_id
            return ChangeSet(redone.changes.changed)

        def undo() -> ChangeSet:
            try:
                changes: ChangeSet = imports.undo(state["batch"])
            except CrmError as exc:
                self._warn("Undo import", str(exc))
                return ChangeSet()
            return changes

        noun = f"{result.created + result.updated} {result.kind}"
        self.run_command(ServiceCommand(f"Import {noun}", self.hub, do, undo))
        self.hub.status.emit(f"Imported: {result.created} new, {result.updated} updated")

    def export_list(self, path: str | None = None) -> None:
        """The contacts or companies list as shown (search, filters, order) or its selected
        rows, to CSV, Excel or vCard by the file's extension; ids and readable names, so
        an edited sheet imports back as updates."""
        found = self._list_and_service()
        if found is None:
            QMessageBox.information(self, "Export", "Open the contacts or companies list first.")
            return
        view, _service, noun = found
        selected = view.selected_ids()
        ids = selected if len(selected) > 1 else view.model.all_ids()
        if path is None:
            name = f"{noun}s.csv"
            path, _f = QFileDialog.getSaveFileName(
                self,
                f"Export {len(ids):,} {noun}s",
                str(Path.home() / name),
                "CSV (*.csv);;Excel (*.xlsx);;vCard (*.vcf)",
            )
        if not path:
            return
        exports = self.context.exports
        write = exports.contacts if noun == "contact" else exports.companies
        target = Path(path)
        self.runner.submit(
            f"Exporting {len(ids):,} {noun}s",
            lambda _p: write(target, ids),
            lambda n: self.hub.status.emit(f"{n:,} {noun}s written to {target}"),
            lambda error: self._warn("Export", error),
        )

    def dragEnterEvent(self, event: Any) -> None:
        if any(_droppable(url.toLocalFile()) for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        for url in event.mimeData().urls():
            path = url.toLocalFile()
            kind = _droppable(path)
            if kind == "calendar":
                self.import_calendar(path)
            elif kind == "contacts":
                self.import_contacts(path)
            else:
                continue
            event.acceptProposedAction()
            return

    def import_calendar(self, path: str | None = None) -> None:
        """Events from an .ics file (Google, Outlook, Apple); broken ones are listed."""
        if path is None:
            path, _f = QFileDialog.getOpenFileName(
                self, "Import calendar", str(Path.home()), "iCalendar (*.ics)"
            )
        if not path:
            return
        calendar = self.context.calendar

        def done(summary: Any) -> None:
            self.hub.changed(ChangeSet.of("activities", ["*"]))
            text = f"{summary.created} new and {summary.updated} updated activities."
            if summary.problems:
                listed = "<br>".join(esc(p) for p in summary.problems[:20])
                text += f"<br><br><b>Not imported ({len(summary.problems)}):</b><br>{listed}"
            self.hub.status.emit(
                f"Calendar imported: {summary.created} new, {summary.updated} updated"
            )
            box = QMessageBox(QMessageBox.Icon.Information, "Calendar imported", text, parent=self)
            box.setModal(False)
            box.show()

        self.runner.submit(
            "Importing calendar",
            lambda _p: calendar.import_ics(Path(path)),
            done,
            lambda error: self._warn("Import calendar", error),
        )

    def export_calendar(self, path: str | None = None) -> None:
        if path is None:
            path, _f = QFileDialog.getSaveFileName(
                self, "Export calendar", str(Path.home() / "crm-calendar.ics"), "iCalendar (*.ics)"
            )
        if not path:
            return
        calendar = self.context.calendar
        self.runner.submit(
            "Exporting calendar",
            lambda _p: calendar.export_ics(Path(path)),
            lambda n: self.hub.status.emit(f"{n} activities written to {path}"),
            lambda error: self._warn("Export calendar", error),
        )

    def _warn(self, title: str, error: str) -> None:
        QMessageBox.warning(self, title, error)

    def about(self) -> None:
        from crm_desktop import __version__

        QMessageBox.about(
            self,
            "About crm-desktop",
            f"<b>crm-desktop {__version__}</b><p>A local-first CRM. Your data "
            f"lives in {esc(self.context.database_label)}.</p>",
        )

    # ---- background tasks ----------------------------------------------------------------

    def _task_started(self, progress: Any) -> None:
        self._task = progress
        self.progress.setRange(0, 0)
        self.progress.setFormat(progress.label)
        self.progress.show()
        self.cancel_button.show()
        self.statusBar().showMessage(f"{progress.label}…")

    def _task_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _task_finished(self) -> None:
        if self._task is not None and self.statusBar().currentMessage() == f"{self._task.label}…":
            self.statusBar().clearMessage()  # the task's own message, not a later one
        self._task = None
        self.progress.hide()
        self.cancel_button.hide()

    # ---- layout memory ----------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.contacts_view.restore_layout(self.settings, "contacts")
        self.companies_view.restore_layout(self.settings, "companies")
        section = self.settings.value("window/section")
        if section is not None:
            self.sidebar.setCurrentRow(int(section))

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/section", self.sidebar.currentRow())
        self.contacts_view.save_layout(self.settings, "contacts")
        self.companies_view.save_layout(self.settings, "companies")
        self.settings.sync()

    # ---- the tray and the calendar file ----------------------------------------------------

    def _tray_menu(self) -> None:
        tray = self.reminders.tray
        if tray is None:
            return
        menu = QMenu(self)
        menu.addAction("Open crm-desktop", self.bring_back)
        menu.addSeparator()
        menu.addAction("Quit", self.quit_app)
        tray.setContextMenu(menu)
        tray.activated.connect(self._tray_activated)

    def _tray_activated(self, reason: Any) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.bring_back()

    def bring_back(self) -> None:
        QApplication.setQuitOnLastWindowClosed(True)
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def quit_app(self) -> None:
        self._quitting = True
        self.close()
        QApplication.quit()

    def _templates_saved(self) -> None:
        self.hub.status.emit("Follow-up templates saved")

    def take_forecast_snapshot(self) -> None:
        reports = self.context.reports
        self.runner.submit(
            "Forecast snapshot", lambda _p: reports.ensure_snapshot(), None, lambda _e: None
        )

    def write_feed(self) -> None:
        """Rewrite the calendar file other apps subscribe to (in the background)."""
        path = self.context.preferences.ics_feed
        if not path:
            return
        if self._feed_busy:  # one write at a time; changes meanwhile make one more
            self._feed_again = True
            return
        self._feed_busy = True
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
        calendar = self.context.calendar

        def finished(text: str) -> None:
            self._feed_busy = False
            self.hub.status.emit(text)
            if self._feed_again:
                self._feed_again = False
                self.feed_timer.start()

        self.runner.submit(
            "Updating the calendar file",
            lambda _progress: calendar.export_ics(Path(path), since),
            on_done=lambda n: finished(f"Calendar file updated: {n} activities"),
            on_error=lambda text: finished(f"Calendar file not updated: {text}"),
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        tray = self.reminders.tray
        if (
            tray is not None
            and self.context.preferences.keep_running_in_tray
            and not (self._quitting)
        ):
            # Keep running in the tray so reminders still come; Quit is in the tray's menu.
            self.save_layout()
            event.ignore()
            # A dialog closing while the window is hidden must not end the app.
            QApplication.setQuitOnLastWindowClosed(False)
            self.hide()
            if not self.settings.value("tray/explained"):
                tray.showMessage(
                    "crm-desktop",
                    "crm-desktop keeps running here to remind you. Quit from this icon's menu.",
                )
                self.settings.setValue("tray/explained", True)
            return
        self.save_layout()
        self.settings.setValue("reminders/checked", self.reminders.clock().isoformat())
        self.runner.wait(10_000)
        super().closeEvent(event)
