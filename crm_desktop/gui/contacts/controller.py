"""The contacts and companies feature: both lists, their detail panels, the editors, the
quick actions, bulk edits of a selection, saved segments, duplicates and merge. It reacts
to a ChangeSet by itself, reloading only what concerns it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, Qt, Signal, Slot
from PySide6.QtWidgets import QDialog, QInputDialog

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.formatting import plural, pluralise
from crm_desktop.domain.records import ContactDraft, ListQuery, RoleEntry
from crm_desktop.gui.commands import BulkCommand, SaveRecordCommand, ServiceCommand
from crm_desktop.gui.contacts.details import (
    company_facts,
    contact_facts,
    contact_subtitle,
    people_count,
)
from crm_desktop.gui.host import COMPANIES, CONTACTS, Host
from crm_desktop.gui.models.record_lists import CompanyTableModel, ContactTableModel
from crm_desktop.gui.series import plan_series
from crm_desktop.gui.shown import RefreshWhenShown
from crm_desktop.gui.views.detail import DetailPanel
from crm_desktop.gui.views.lists import ListView

if TYPE_CHECKING:  # the dialogs are imported when first opened, not with the window
    from crm_desktop.gui.dialogs.duplicates import DuplicatesDialog

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
# What a contacts or companies list row shows comes from these tables.
CONTACT_TABLES = ("contacts", "contact_emails", "contact_phones", "contact_roles", "taggings")
COMPANY_TABLES = ("companies", "contact_roles", "taggings")
# What a detail panel (facts and timeline) may show besides its record.
DETAIL_TABLES = (
    *CONTACT_TABLES,
    "companies",
    "activities",
    "deals",
    "orders",
    "consents",
    "users",
)


class ContactsController(QObject):
    new_deal_requested = Signal(str)  # contact id
    deal_open_requested = Signal(str)  # deal id: a deal on a record's page was opened
    activity_open_requested = Signal(str)  # activity id: from a timeline or "Next activity"

    def __init__(self, host: Host) -> None:
        super().__init__(host.window)
        self.host = host
        context = host.context
        parent = host.window
        self.contacts_model = ContactTableModel(context.contacts, parent)
        self.companies_model = CompanyTableModel(context.companies, parent)
        self.contact_detail = DetailPanel(CONTACT_ACTIONS, parent)
        self.company_detail = DetailPanel(COMPANY_ACTIONS, parent)
        self.contacts_view = ListView(
            self.contacts_model,
            "contacts",
            self.contact_detail,
            "contact",
            "name, company, e-mail, phone, notes",
            parent,
        )
        self.companies_view = ListView(
            self.companies_model,
            "companies",
            self.company_detail,
            "company",
            "name, city, domain, phone, notes",
            parent,
        )
        self.contacts_view.selection_changed.connect(self.show_contact_selection)
        self.companies_view.selection_changed.connect(self.show_company_selection)
        self.contacts_view.new_requested.connect(self.new_contact)
        self.companies_view.new_requested.connect(self.new_company)
        self.contact_detail.action_requested.connect(self.on_contact_action)
        self.company_detail.action_requested.connect(self.on_company_action)
        self.contact_detail.open_requested.connect(self.open_link)
        self.company_detail.open_requested.connect(self.open_link)
        self.contacts_view.segment_filter.show()
        self.contacts_view.segment_filter.activated.connect(self._segment_chosen)
        # The window opens on the contacts: the companies are listed when first shown.
        self.companies_refresher = RefreshWhenShown(
            self.companies_view, self.companies_view.apply_filters
        )

    # ---- loading ----------------------------------------------------------------------

    def reload(self) -> None:
        self.contacts_view.apply_filters()
        self.companies_refresher.request()
        self._fill_filter_choices()
        self._fill_segments()

    def _fill_filter_choices(self) -> None:
        context = self.host.context
        owners = [(u.id, u.name) for u in context.users.list()]
        tags = context.tags.names()
        self.contacts_view.set_filter_choices(tags, owners)
        self.companies_view.set_filter_choices(tags, owners)

    def on_changes(self, changes: ChangeSet) -> None:
        """Reload what this feature shows of `changes`: the rows that changed (the list is
        queried again only when its ids or order changed), the open detail panels."""
        shown_contact, shown_company = self.contact_detail.record_id, self.company_detail.record_id
        if changes.touches(*CONTACT_TABLES, "companies"):
            self.contacts_model.reload_changed(changes.ids("contacts"))
        if changes.touches(*COMPANY_TABLES) and not self.companies_refresher.stale:
            self.companies_model.reload_changed(changes.ids("companies"))
        if changes.touches("tags", "taggings", "users"):
            self._fill_filter_choices()
        if changes.touches("segments"):
            self._fill_segments()
        if changes.touches(*DETAIL_TABLES):
            self.show_contact_selection(self.contacts_view.selected_ids(), keep=shown_contact)
            self.show_company_selection(self.companies_view.selected_ids(), keep=shown_company)

    def selected(self) -> tuple[ListView, str, str] | None:
        """The list of the section shown: (view, entity, noun), or None."""
        section = self.host.current_section()
        if section == CONTACTS:
            return self.contacts_view, "contacts", "contact"
        if section == COMPANIES:
            return self.companies_view, "companies", "company"
        return None

    # ---- details ----------------------------------------------------------------------

    @Slot(list)
    def show_contact_selection(self, ids: list[str], keep: str | None = None) -> None:
        contact_id = ids[0] if len(ids) == 1 else keep
        if not contact_id:
            self.contact_detail.clear()
            return
        self.show_contact(contact_id)

    def show_contact(self, contact_id: str) -> None:
        context = self.host.context
        try:
            c = context.contacts.get(contact_id)
        except CrmError:
            self.contact_detail.clear()
            return
        timeline = context.timeline.timeline("contacts", c.id, limit=100)
        self.contact_detail.show_record(
            c.id,
            c.display_name,
            contact_subtitle(c),
            contact_facts(context, c),
            timeline,
            deleted=c.deleted_at is not None,
        )

    @Slot(list)
    def show_company_selection(self, ids: list[str], keep: str | None = None) -> None:
        company_id = ids[0] if len(ids) == 1 else keep
        if not company_id:
            self.company_detail.clear()
            return
        context = self.host.context
        try:
            c = context.companies.get(company_id)
        except CrmError:
            self.company_detail.clear()
            return
        timeline = context.timeline.timeline("companies", c.id, limit=100)
        self.company_detail.show_record(
            c.id,
            c.name,
            people_count(len(c.people)) if c.people else "",
            company_facts(context, c),
            timeline,
            deleted=c.deleted_at is not None,
        )

    # ---- editors ----------------------------------------------------------------------

    def edit_contact(self, contact_id: str | None, draft: ContactDraft | None = None) -> None:
        context = self.host.context
        before = context.contacts.get(contact_id).to_draft() if contact_id else None
        owner = context.users.default_owner_id()
        if before is None and draft is None and owner:
            draft = ContactDraft(owner_id=owner)
        from crm_desktop.gui.dialogs.contact_editor import ContactEditorDialog

        dialog = ContactEditorDialog(context, before or draft, contact_id, self.host.window)
        dialog.open_requested.connect(self.open_contact)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        command = SaveRecordCommand(
            "contact", context.contacts, self.host.hub, dialog.draft(), contact_id, before
        )
        if self.host.run_command(command) and command.record_id:
            self.open_contact(command.record_id)

    @Slot()
    def new_contact(self) -> None:
        self.edit_contact(None)

    def edit_company(self, company_id: str | None) -> None:
        context = self.host.context
        before = context.companies.get(company_id).to_draft() if company_id else None
        from crm_desktop.gui.dialogs.company_editor import CompanyEditorDialog

        dialog = CompanyEditorDialog(context, before, company_id, self.host.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        command = SaveRecordCommand(
            "company", context.companies, self.host.hub, dialog.draft(), company_id, before
        )
        if self.host.run_command(command) and command.record_id:
            self.open_company(command.record_id)

    @Slot()
    def new_company(self) -> None:
        self.edit_company(None)

    # ---- quick actions ----------------------------------------------------------------

    @Slot(str, str)
    def on_contact_action(self, action: str, contact_id: str) -> None:
        handlers: dict[str, Callable[[str], None]] = {
            "edit": self.edit_contact,
            "log_call": lambda c: self.quick_activity("call", c),
            "add_note": lambda c: self.quick_activity("note", c),
            "follow_up": lambda c: self.quick_activity("follow_up", c),
            "new_deal": self.new_deal_requested.emit,
            "series": lambda c: plan_series(self.host, contact_id=c),
            "cadence": self.stay_in_touch,
        }
        handlers[action](contact_id)

    def quick_activity(self, kind: str, contact_id: str) -> None:
        """Log a call, add a note or schedule a follow-up (one undo step each)."""
        from crm_desktop.gui.contacts.quick import QuickActivityDialog

        context = self.host.context
        name = context.contacts.get(contact_id).display_name
        dialog = QuickActivityDialog(kind, name, self.host.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        activities = context.activities
        text = dialog.text.toPlainText().strip()
        if kind == "call":
            minutes, start = dialog.minutes.value(), dialog.when_utc()
            self._create_undoable(
                "Log call", lambda: activities.log_call(contact_id, text, minutes, start)
            )
        elif kind == "note":
            self._create_undoable("Add note", lambda: activities.add_note(contact_id, text))
        else:
            subject, due = dialog.subject.text().strip(), dialog.when_utc()
            self._create_undoable(
                "Schedule follow-up",
                lambda: activities.schedule_follow_up(contact_id, subject, due=due),
            )

    def _create_undoable(self, text: str, create: Callable[[], Any]) -> None:
        activities = self.host.context.activities
        created: list[str] = []

        def do() -> ChangeSet:
            if created:
                return activities.restore(created)
            saved = create()
            created.append(saved.id)
            changes: ChangeSet = saved.changes
            return changes

        self.host.run_command(
            ServiceCommand(text, self.host.hub, do, lambda: activities.delete(created))
        )

    def stay_in_touch(self, contact_id: str) -> None:
        calendar = self.host.context.calendar
        before = calendar.cadence(contact_id)
        days, ok = QInputDialog.getInt(
            self.host.window,
            "Stay in touch",
            "Get in touch every how many days? (0: no reminder)",
            before or 30,
            0,
            3650,
        )
        if ok:
            self.host.run_command(
                ServiceCommand(
                    "Stay in touch",
                    self.host.hub,
                    lambda: calendar.set_cadence(contact_id, days),
                    lambda: calendar.set_cadence(contact_id, before),
                )
            )

    @Slot(str, str)
    def on_company_action(self, action: str, company_id: str) -> None:
        context = self.host.context
        if action == "edit":
            self.edit_company(company_id)
        elif action == "show_people":
            name = context.companies.get(company_id).name
            self.host.go_to(CONTACTS)
            self.contacts_view.set_company_filter(company_id, name)
        elif action == "new_person":
            name = context.companies.get(company_id).name
            draft = ContactDraft(
                roles=(RoleEntry(company_id, "", name),),
                owner_id=context.users.default_owner_id(),
            )
            self.edit_contact(None, draft)

    # ---- navigation -------------------------------------------------------------------

    @Slot(str, str)
    def open_link(self, kind: str, record_id: str) -> None:
        """A link on a record's page: a person or company opens here, a deal or an
        activity is announced for the window to open."""
        if kind == "contact":
            self.open_contact(record_id)
        elif kind == "company":
            self.open_company(record_id)
        elif kind == "deal":
            self.deal_open_requested.emit(record_id)
        elif kind == "activity":
            self.activity_open_requested.emit(record_id)
        elif kind == "withdraw":  # one click: "contact id/purpose"
            self.withdraw_consent(*record_id.rsplit("/", 1))

    def log_email_files(self, paths: list[str]) -> None:
        """.eml files dropped on the window: logged on the contact shown, or else on the
        known contacts they were exchanged with."""
        shown = self.contact_detail.record_id if self.host.current_section() == CONTACTS else None
        maillog = self.host.context.maillog
        logged = 0
        for path in paths:
            try:
                result = maillog.log_file(Path(path), shown)
            except CrmError as exc:
                self.host.warn("Log e-mail", f"{Path(path).name}: {exc}")
                continue
            logged += len(result.contacts)
            self.host.hub.changed(result.changes)
        self.host.hub.status.emit(f"{pluralise(logged, 'e-mail')} logged on the timeline")

    def withdraw_consent(self, contact_id: str, purpose: str) -> None:
        """The contact withdrew consent for a purpose: a new ledger entry, now."""
        try:
            saved = self.host.context.consents.withdraw(contact_id, purpose)
        except CrmError as exc:
            self.host.warn("Consent", str(exc))
            return
        self.host.hub.changed(saved.changes)
        self.host.hub.status.emit(f"Consent for {purpose.replace('_', ' ')} withdrawn")

    @Slot(str)
    def open_contact(self, contact_id: str) -> None:
        self.host.go_to(CONTACTS)
        _select(self.contacts_view, contact_id)
        self.show_contact(contact_id)

    @Slot(str)
    def open_company(self, company_id: str) -> None:
        self.host.go_to(COMPANIES)
        _select(self.companies_view, company_id)
        self.show_company_selection([company_id])

    def show_trash(self) -> None:
        found = self.selected()
        view = found[0] if found else self.contacts_view
        self.host.go_to(COMPANIES if view is self.companies_view else CONTACTS)
        view.trash_button.setChecked(True)

    def focus_search(self) -> None:
        found = self.selected()
        if found:
            found[0].search.setFocus()
            found[0].search.selectAll()

    # ---- bulk edits of the selection --------------------------------------------------

    def _bulk(self, run: Callable[[], Any]) -> None:
        self.host.run_command(BulkCommand(self.host.context.bulk, self.host.hub, run))

    def delete_selected(self, restore: bool = False) -> bool:
        found = self.selected()
        if not found or not found[0].selected_ids():
            return False
        view, entity, _noun = found
        ids, bulk = view.selected_ids(), self.host.context.bulk
        if restore:
            self._bulk(lambda: bulk.restore(entity, ids))
        else:
            self._bulk(lambda: bulk.delete(entity, ids))
        return True

    def tag_selected(self) -> None:
        found = self.selected()
        if not found or not found[0].selected_ids():
            self.host.inform("Tag", "Select the contacts or companies to tag first.")
            return
        view, entity, noun = found
        ids = view.selected_ids()
        tag, ok = QInputDialog.getText(
            self.host.window, f"Tag {plural(2, noun)}", f"Tag for {pluralise(len(ids), noun)}:"
        )
        if ok and tag.strip():
            bulk = self.host.context.bulk
            self._bulk(lambda: bulk.tag(entity, ids, tag.strip()))

    def owner_selected(self) -> None:
        found = self.selected()
        users = self.host.context.users.list()
        if not found or not found[0].selected_ids() or not users:
            self.host.inform("Owner", "Select the contacts or companies first.")
            return
        view, entity, noun = found
        ids = view.selected_ids()
        names = [u.name for u in users]
        name, ok = QInputDialog.getItem(
            self.host.window, "Set owner", f"Owner of {pluralise(len(ids), noun)}:", names, 0, False
        )
        if ok:
            owner_id = users[names.index(name)].id
            bulk = self.host.context.bulk
            self._bulk(lambda: bulk.set_owner(entity, ids, owner_id))

    # ---- segments ---------------------------------------------------------------------

    def _fill_segments(self) -> None:
        combo = self.contacts_view.segment_filter
        current = combo.currentData()
        combo.clear()
        combo.addItem("All contacts", None)
        for segment in self.host.context.segments.list():
            combo.addItem(segment.name, segment.id)
        combo.setCurrentIndex(max(combo.findData(current), 0))

    @Slot(int)
    def _segment_chosen(self, _index: int) -> None:
        self.apply_segment()

    def apply_segment(self) -> None:
        segment_id = self.contacts_view.segment_filter.currentData()
        segments = self.host.context.segments
        self.contacts_view.apply_saved(segments.query(segment_id) if segment_id else ListQuery())

    def show_segment(self, segment_id: str) -> None:
        """The contacts list shows a saved segment (from the sidebar or the builder)."""
        self._fill_segments()
        combo = self.contacts_view.segment_filter
        combo.setCurrentIndex(max(combo.findData(segment_id), 0))
        self.apply_segment()
        self.host.go_to(CONTACTS)

    def save_segment(self) -> None:
        query = self.contacts_model.query
        name, ok = QInputDialog.getText(self.host.window, "Save segment", "Name of this segment:")
        if not ok or not name.strip():
            return
        try:
            saved = self.host.context.segments.save(name, query)
        except CrmError as exc:
            self.host.warn("Segments", str(exc))
            return
        self._fill_segments()
        combo = self.contacts_view.segment_filter
        combo.setCurrentIndex(combo.findData(saved.id))
        self.host.hub.status.emit(f"Segment {name.strip()} saved")

    # ---- duplicates and merge ---------------------------------------------------------

    def find_duplicates(self) -> DuplicatesDialog:
        from crm_desktop.gui.dialogs.duplicates import DuplicatesDialog

        dialog = DuplicatesDialog(
            self.host.context, self.host.runner, self.merge_records, self.host.window
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setModal(False)
        dialog.show()
        return dialog

    def merge_selected(self) -> None:
        found = self.selected()
        if found is None:
            self.host.inform("Merge", "Open the contacts or companies list first.")
            return
        view, entity, noun = found
        ids = view.selected_ids()
        if len(ids) < 2:
            self.host.inform("Merge", f"Select two or more {plural(2, noun)} to merge.")
            return
        self.merge_records(entity, ids)

    def merge_records(self, kind: str, ids: list[str]) -> bool:
        """The side-by-side merge of records; the merge is one undo step."""
        from crm_desktop.gui.dialogs.duplicates import MergeDialog

        context = self.host.context
        try:
            dialog = MergeDialog(context, kind, ids, self.host.window)
        except CrmError as exc:  # e.g. a record went to the Trash since the scan
            self.host.warn("Merge", str(exc))
            return False
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        duplicates = context.duplicates
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

        text = f"Merge {len(ids)} {kind}"
        return self.host.run_command(ServiceCommand(text, self.host.hub, do, undo))

    # ---- layout memory ----------------------------------------------------------------

    def restore_layout(self, settings: QSettings) -> None:
        self.contacts_view.restore_layout(settings, "contacts")
        self.companies_view.restore_layout(settings, "companies")

    def save_layout(self, settings: QSettings) -> None:
        self.contacts_view.save_layout(settings, "contacts")
        self.companies_view.save_layout(settings, "companies")


def _select(view: ListView, record_id: str) -> None:
    model = view.model
    for row in range(model.rowCount()):
        if model.id_at(row) == record_id:
            view.table.selectRow(row)
            view.table.scrollTo(model.index(row, 0))
            return
