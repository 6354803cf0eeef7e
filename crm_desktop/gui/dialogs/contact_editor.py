"""The contact editor (ui/contact_editor.ui): lists of e-mails, phones and addresses,
validation as you type, and a warning that links to a likely duplicate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCompleter,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.records import (
    AddressEntry,
    ContactDraft,
    EmailEntry,
    PhoneEntry,
    RoleEntry,
    check_email,
)
from crm_desktop.domain.vocabulary import LEAD_SOURCES
from crm_desktop.gui.dialogs.base import FieldError, FormDialog
from crm_desktop.gui.widgets.date_edit import BirthdayEdit

# The "Name & more" page: what address books hold beyond the common fields.
_MORE_FIELDS = (
    ("prefix", "Prefi&x", "Dr., Mr., Ms."),
    ("middle_name", "&Middle names", ""),
    ("suffix", "Su&ffix", "Jr., Sr., PhD"),
    ("nickname", "Nic&kname", ""),
    ("formatted_name", "Name as &written", "when it is not first and last name"),
    ("department", "De&partment", ""),
    ("role", "R&ole", "what the person does (not the job title)"),
)

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext


def _cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text().strip() if item else ""


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(0)
    for values in rows:
        row = table.rowCount()
        table.insertRow(row)
        for column, value in enumerate(values):
            table.setItem(row, column, QTableWidgetItem(value))


class ContactEditorDialog(FormDialog):
    """Edit a draft; `draft()` returns what to save. Emits `open_requested(id)` when the
    user follows the link to a likely duplicate."""

    open_requested = Signal(str)

    def __init__(
        self,
        context: AppContext,
        draft: ContactDraft | None = None,
        contact_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "contact_editor", "Edit contact" if contact_id else "New contact", context, parent
        )
        self.contact_id = contact_id
        self._company_ids: dict[str, str] = {}
        self._custom: dict[str, Any] = {}
        self._prepare_inputs()
        self._load(draft or ContactDraft())
        self.first_field = self.ui.firstName
        self.connect_buttons()
        self.ui.duplicateWarning.linkActivated.connect(self._open_duplicate)
        self._check_timer = QTimer(self, singleShot=True, interval=300)
        self._check_timer.timeout.connect(self.check_duplicates)
        for widget in (self.ui.firstName, self.ui.lastName):
            widget.textChanged.connect(lambda _t: self._check_timer.start())
        for table in (self.ui.emailsTable, self.ui.phonesTable):
            table.itemChanged.connect(lambda _i: self._check_timer.start())

    # ---- set-up ------------------------------------------------------------------------

    def _prepare_inputs(self) -> None:
        ui = self.ui
        self.fill_owners(ui.owner)
        ui.leadSource.addItems(list(LEAD_SOURCES))
        names = self.context.companies.names()
        self._company_ids = {name.casefold(): cid for cid, name in names}
        completer = QCompleter([name for _, name in names], self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        ui.company.setCompleter(completer)
        for kind, blank in (
            ("emails", ["work", ""]),
            ("phones", ["mobile", ""]),
            ("addresses", ["work", "", "", "", "", ""]),
        ):
            table: QTableWidget = getattr(ui, f"{kind}Table")
            getattr(ui, f"add{kind.capitalize()}").clicked.connect(
                lambda _c=False, t=table, b=blank: self._add_row(t, b)
            )
            getattr(ui, f"remove{kind.capitalize()}").clicked.connect(
                lambda _c=False, t=table: self._remove_rows(t)
            )
        for field in self.context.custom_fields.list("contact"):
            edit = QLineEdit(self)
            edit.setAccessibleName(field.name)
            ui.customForm.addRow(field.name, edit)
            self._custom[field.id] = edit
        ui.birthdayNoYear.toggled.connect(lambda on: ui.birthday.set_year_known(not on))
        self._build_more_page()

    def _build_more_page(self) -> None:
        """A page for the name parts, work details, anniversary and websites."""
        page = QWidget(self)
        form = QFormLayout(page)
        self._more: dict[str, QLineEdit] = {}
        for key, label, hint in _MORE_FIELDS:
            edit = QLineEdit(page)
            edit.setAccessibleName(label.replace("&", ""))
            edit.setPlaceholderText(hint)
            form.addRow(label, edit)
            self._more[key] = edit
        self.anniversary = BirthdayEdit(page)
        self.anniversary.setAccessibleName("Anniversary")
        form.addRow("Anni&versary", self.anniversary)
        self.websites = QPlainTextEdit(page)
        self.websites.setAccessibleName("Websites")
        self.websites.setPlaceholderText("one address per line")
        self.websites.setTabChangesFocus(True)
        form.addRow("We&bsites", self.websites)
        self.ui.tabs.insertTab(1, page, "Name && mo&re")

    @staticmethod
    def _add_row(table: QTableWidget, blank: list[str]) -> None:
        row = table.rowCount()
        table.insertRow(row)
        for column, value in enumerate(blank):
            table.setItem(row, column, QTableWidgetItem(value))
        table.setCurrentCell(row, 1)
        item = table.item(row, 1)
        if item is not None:
            table.editItem(item)

    @staticmethod
    def _remove_rows(table: QTableWidget) -> None:
        for row in sorted({i.row() for i in table.selectedIndexes()}, reverse=True):
            table.removeRow(row)

    def _load(self, draft: ContactDraft) -> None:
        ui = self.ui
        ui.firstName.setText(draft.first_name)
        ui.lastName.setText(draft.last_name)
        if draft.roles:
            ui.company.setText(draft.roles[0].company_name)
            ui.jobTitle.setText(draft.roles[0].title)
        else:
            ui.jobTitle.setText(draft.job_title)
        for key, edit in self._more.items():
            edit.setText(getattr(draft, key))
        self.anniversary.setValue(draft.anniversary)
        self.websites.setPlainText("\n".join(draft.websites))
        index = ui.owner.findData(draft.owner_id)
        ui.owner.setCurrentIndex(max(index, 0))
        ui.leadSource.setCurrentText(draft.lead_source)
        ui.birthday.setValue(draft.birthday)
        ui.birthdayNoYear.setChecked(not ui.birthday.year_known())
        ui.tags.setText(", ".join(draft.tags))
        ui.notes.setPlainText(draft.notes)
        _fill(ui.emailsTable, [[e.label, e.email] for e in draft.emails])
        _fill(ui.phonesTable, [[p.label, p.number] for p in draft.phones])
        _fill(
            ui.addressesTable,
            [[a.label, a.street, a.postcode, a.city, a.region, a.country] for a in draft.addresses],
        )
        for field_id, value in draft.custom:
            if field_id in self._custom:
                self._custom[field_id].setText(value)
        self._extra_roles = draft.roles[1:]

    # ---- reading and checking ------------------------------------------------------------

    def draft(self) -> ContactDraft:
        """The draft as typed; raises CrmError with a readable message when it is wrong."""
        ui = self.ui
        problems: list[tuple[QWidget, str]] = []
        emails = []
        for row in range(ui.emailsTable.rowCount()):
            address = _cell(ui.emailsTable, row, 1)
            if address:
                try:  # (an address without a label keeps none, as its file had it)
                    emails.append(EmailEntry(check_email(address), _cell(ui.emailsTable, row, 0)))
                except CrmError as exc:
                    problems.append((ui.emailsTable, str(exc)))
        phones = []
        for row in range(ui.phonesTable.rowCount()):
            number = _cell(ui.phonesTable, row, 1)
            if number:
                try:
                    number = self.context.phones.normalized(number)
                except CrmError as exc:
                    problems.append((ui.phonesTable, str(exc)))
                phones.append(PhoneEntry(number, _cell(ui.phonesTable, row, 0)))
        addresses = tuple(
            AddressEntry(
                street=_cell(ui.addressesTable, r, 1),
                postcode=_cell(ui.addressesTable, r, 2),
                city=_cell(ui.addressesTable, r, 3),
                region=_cell(ui.addressesTable, r, 4),
                country=_cell(ui.addressesTable, r, 5),
                label=_cell(ui.addressesTable, r, 0),
            )
            for r in range(ui.addressesTable.rowCount())
            if any(_cell(ui.addressesTable, r, c) for c in range(1, 6))
        )
        birthday = ui.birthday.value()
        roles: tuple[RoleEntry, ...] = ()
        company = ui.company.text().strip()
        if company:
            company_id = self._company_ids.get(company.casefold())
            if company_id is None:
                problems.append((ui.company, f"no company named {company!r}: create it first"))
            else:
                roles = (RoleEntry(company_id, ui.jobTitle.text().strip(), company),)
        roles += tuple(self._extra_roles)
        if problems:
            raise FieldError(problems[0][0], "; ".join(text for _, text in problems))
        draft = ContactDraft(
            first_name=ui.firstName.text().strip(),
            last_name=ui.lastName.text().strip(),
            emails=tuple(emails),
            phones=tuple(phones),
            addresses=addresses,
            roles=roles,
            birthday=birthday,
            lead_source=ui.leadSource.currentText().strip(),
            owner_id=ui.owner.currentData(),
            notes=ui.notes.toPlainText(),
            tags=tuple(t.strip() for t in ui.tags.text().split(",") if t.strip()),
            custom=tuple((fid, edit.text()) for fid, edit in self._custom.items()),
            job_title="" if roles else ui.jobTitle.text().strip(),
            anniversary=self.anniversary.value(),
            websites=tuple(
                w.strip() for w in self.websites.toPlainText().splitlines() if w.strip()
            ),
            **{key: edit.text().strip() for key, edit in self._more.items()},
        )
        if not (draft.first_name or draft.last_name or draft.emails):
            raise FieldError(ui.firstName, "a contact needs a name or an e-mail address")
        return draft.validated()

    def check_duplicates(self) -> None:
        ui = self.ui
        probe = ContactDraft(
            first_name=ui.firstName.text().strip(),
            last_name=ui.lastName.text().strip(),
            emails=tuple(
                EmailEntry(_cell(ui.emailsTable, r, 1))
                for r in range(ui.emailsTable.rowCount())
                if _cell(ui.emailsTable, r, 1)
            ),
            phones=tuple(
                PhoneEntry(_cell(ui.phonesTable, r, 1))
                for r in range(ui.phonesTable.rowCount())
                if _cell(ui.phonesTable, r, 1)
            ),
        )
        hits = self.context.duplicates.similar_contacts(probe, exclude_id=self.contact_id)
        if not hits:
            ui.duplicateWarning.setVisible(False)
            return
        links = ", ".join(
            f'<a href="{h.contact_id}">{h.display_name}</a> ({h.reason})' for h in hits[:3]
        )
        if len(hits) > 3:
            links += f" and {len(hits) - 3} more"
        ui.duplicateWarning.setText(f"⚠ This may already be in your CRM: {links}")
        ui.duplicateWarning.setVisible(True)

    def _open_duplicate(self, contact_id: str) -> None:
        self.open_requested.emit(contact_id)
        self.discard()  # the user chose the record that exists: nothing to ask
