"""Import contacts and companies from CSV, Excel (.xlsx) and vCard files.

    preview = imports.preview(path)              # format, encoding, mapping, first rows
    result = imports.run(path, preview.mapping)  # one unit of work, with a batch id
    imports.undo(result.batch_id)                # created to the Trash, updates reverted

Rows that cannot be imported are reported with their line and reason; the rest import.
The whole import is one transaction: it is written completely or not at all. Duplicates
are found by e-mail (case-folded) and phone (E.164), in the database and in the file;
a row with the id of one of our exports updates that record (the round trip).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import CrmError, NotFoundError, ValidationError
from crm_desktop.domain.records import (
    AddressEntry,
    CompanyDraft,
    ContactDraft,
    EmailEntry,
    PhoneEntry,
    RoleEntry,
)
from crm_desktop.exchange import tabular, vcard
from crm_desktop.persistence.bulk import collector_paused
from crm_desktop.persistence.models import Company, Contact, new_id
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services import import_mapping
from crm_desktop.services._common import UowFactory, assign, now
from crm_desktop.services.companies import CompanyService
from crm_desktop.services.companies import _fields as company_fields
from crm_desktop.services.contacts import ContactService
from crm_desktop.services.contacts import _scalar_fields as contact_fields
from crm_desktop.services.import_rows import (
    ADDRESS_PARTS,
    RowDraft,
    Values,
    company_row,
    contact_row,
    phone_key,
)
from crm_desktop.services.phones import to_e164

FORMATS = ("csv", "xlsx", "vcard")
ON_DUPLICATE = ("skip", "update", "create")
KINDS = ("auto", "contacts", "companies")
PREVIEW_ROWS = 20
_BATCH_KEY = "import-batch:"
_EXTENSIONS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv", ".tab": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".vcf": "vcard", ".vcard": "vcard",
}  # fmt: skip
_STEP = 1_000  # rows between progress reports and cancel checks
_WRITE_CHUNK = 10_000  # new contacts written between progress reports

Progress = Callable[[int, int], None]


class ImportCancelled(CrmError):
    """The person cancelled the import; nothing was written."""


@dataclass(frozen=True)
class PreviewRow:
    line: int
    values: dict[str, str]  # field -> text as it will be imported
    problem: str = ""  # why this row would not import ("" if it would)


@dataclass(frozen=True)
class ImportPreview:
    path: Path
    format: str  # "csv" | "xlsx" | "vcard"
    kind: str  # "contacts" | "companies"
    preset: str  # the preset used (detected when asked for "auto")
    encoding: str
    delimiter: str
    headers: tuple[str, ...]
    mapping: dict[str, str]  # header -> field ("" = not imported); empty for vCard
    fields: dict[str, str]  # the fields one may map to: key -> label
    rows: tuple[PreviewRow, ...]  # the first rows, mapped
    total_rows: int
    problems: tuple[tuple[int, str], ...]  # (line, what) found while reading the file


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    skipped: int  # duplicates skipped
    errors: tuple[tuple[int, str], ...]  # (line, reason) of rows not imported
    batch_id: str | None  # None for a dry run or when nothing was written
    unchanged: int = 0  # rows matching a record that already held their values
    companies_created: int = 0  # companies made for the company column
    warnings: tuple[tuple[int, str], ...] = ()  # imported, but something was left out
    kind: str = "contacts"
    dry_run: bool = False
    changes: ChangeSet = field(default_factory=ChangeSet)


@dataclass(frozen=True)
class ImportBatch:
    id: str
    at: dt.datetime
    file: str
    kind: str
    created: int
    updated: int
    undone: bool


@dataclass
class _Source:
    path: Path
    format: str
    encoding: str
    delimiter: str
    headers: tuple[str, ...]
    kind: str
    preset: str
    mapping: dict[str, str]
    items: list[tuple[int, str, Values]]  # (line, "contact" | "company", values)
    problems: list[tuple[int, str]]  # read, but something was repaired or left out
    unreadable: list[tuple[int, str]] = field(default_factory=list)  # records not read


# ---- reading the file --------------------------------------------------------------------


def _format_of(path: Path, data: bytes, wanted: str | None) -> str:
    if wanted:
        if wanted not in FORMATS:
            raise ValidationError(f"unknown format {wanted!r} (use {', '.join(FORMATS)})")
        return wanted
    by_extension = _EXTENSIONS.get(path.suffix.lower())
    if by_extension:
        return by_extension
    if data.startswith(tabular.XLSX_MAGIC):
        return "xlsx"
    head = data[:2048].replace(b"\x00", b"").upper()
    return "vcard" if b"BEGIN:VCARD" in head else "csv"


def _read(path: Path, format: str | None, preset: str, kind: str, mapping: Any) -> _Source:
    if preset not in import_mapping.PRESETS:
        raise ValidationError(f"unknown preset {preset!r}")
    if kind not in KINDS:
        raise ValidationError(f"unknown kind {kind!r} (use contacts or companies)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CrmError(f"cannot read {path}: {exc.strerror or exc}") from exc
    fmt = _format_of(path, data, format)
    if fmt == "vcard":
        return _read_vcard(path, data)
    try:
        sheet = tabular.read_table(data, fmt)
    except tabular.UnreadableFileError as exc:
        raise CrmError(f"cannot read {path.name}: {exc}") from exc
    headers = _unique(sheet.headers)
    if kind == "auto":
        kind = import_mapping.detect_kind(headers)
    used = import_mapping.detect_preset(headers) if preset == "auto" else preset
    guessed = import_mapping.guess_mapping(headers, kind, used)
    wanted = guessed if mapping is None else {h: mapping.get(h, "") for h in headers}
    fields = import_mapping.COMPANY_FIELDS if kind == "companies" else import_mapping.CONTACT_FIELDS
    columns: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        if wanted.get(header) in fields:
            columns.setdefault(wanted[header], []).append(index)
    groups = [(key, tuple(indexes)) for key, indexes in columns.items()]
    width = len(headers)
    padding = [""] * width
    item_kind = "company" if kind == "companies" else "contact"
    items: list[tuple[int, str, Values]] = []
    append = items.append
    for line, raw in sheet.rows:
        cells = raw if len(raw) >= width else raw + padding[: width - len(raw)]
        append((line, item_kind, {key: [cells[i] for i in indexes] for key, indexes in groups}))
    return _Source(
        path, fmt, sheet.encoding, sheet.delimiter, headers, kind, used, wanted, items,
        list(sheet.problems), list(sheet.unreadable),
    )  # fmt: skip


def _unique(headers: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    result = []
    for index, header in enumerate(headers):
        name = header or f"Column {index + 1}"
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return tuple(result)


def _read_vcard(path: Path, data: bytes) -> _Source:
    cards, problems = vcard.read_cards(data)
    items: list[tuple[int, str, Values]] = []
    for card in cards:
        values: dict[str, list[str]] = {
            "first_name": [card.first_name],
            "last_name": [card.last_name],
            "full_name": [card.formatted_name],
            "email": [e.email for e in card.emails],
            "email_label": [e.label for e in card.emails],
            "phone": [p.number for p in card.phones],
            "phone_label": [p.label for p in card.phones],
            "company": [card.organization],
            "name": [card.organization],
            "title": [card.title],
            "birthday": [card.birthday.isoformat() if card.birthday else ""],
            "notes": [card.notes],
            "tags": [", ".join(card.tags)],
            "website": list(card.urls[:1]),
            "address_label": [a.label for a in card.addresses],
        }
        for part in ADDRESS_PARTS:
            values[part] = [getattr(a, part) for a in card.addresses]
        items.append((card.line, "company" if card.kind == "org" else "contact", values))
    return _Source(path, "vcard", "", "", (), "contacts", "vcard", {}, items, [], problems)


# ---- the plan: what each row does --------------------------------------------------------


def _only_a_company(values: Values) -> bool:
    people = ("first_name", "last_name", "full_name", "email", "email_home")
    return any(v.strip() for v in values.get("company", ())) and not any(
        v.strip() for key in people for v in values.get(key, ())
    )


def _record_draft(rec: Mapping[str, Any]) -> ContactDraft:
    return ContactDraft(
        first_name=rec["first_name"],
        last_name=rec["last_name"],
        emails=tuple(EmailEntry(e, label) for e, label in rec["emails"]),
        phones=tuple(PhoneEntry(n, label) for n, label in rec["phones"]),
        addresses=tuple(AddressEntry(*a) for a in rec["addresses"]),
        roles=tuple(RoleEntry(cid, title) for cid, title, _ in rec["roles"]),
        birthday=rec["birthday"],
        lead_source=rec["lead_source"],
        owner_id=rec["owner_id"],
        notes=rec["notes"],
        tags=tuple(rec["tags"]),
    )


def _company_record_draft(rec: Mapping[str, Any]) -> CompanyDraft:
    return CompanyDraft(
        name=rec["name"],
        domain=rec["domain"],
        industry=rec["industry"],
        phone=rec["phone"],
        email=rec["email"],
        website=rec["website"],
        address=AddressEntry(
            rec["street"], rec["city"], rec["region"], rec["postcode"], rec["country"]
        ),
        lead_source=rec["lead_source"],
        owner_id=rec["owner_id"],
        notes=rec["notes"],
        tags=tuple(rec["tags"]),
    )


def _same(a: ContactDraft | CompanyDraft, b: ContactDraft | CompanyDraft) -> bool:
    def norm(d: Any) -> Any:
        return replace(d, tags=tuple(sorted(t.casefold() for t in d.tags)))

    return bool(norm(a) == norm(b))


def _with_labels(new: Sequence[Any], old: Sequence[Any], generic: bool) -> tuple[Any, ...]:
    """New list entries keep the label of the old entry at their position when the
    sheet's column said nothing about labels."""
    if not generic:
        return tuple(new)
    return tuple(
        replace(entry, label=old[i].label) if i < len(old) else entry for i, entry in enumerate(new)
    )


class _Planner:
    """Decides, row by row, what an import does; writes nothing."""

    def __init__(self, uow: UnitOfWork, source: _Source, on_duplicate: str, country: str) -> None:
        self.uow = uow
        self.source = source
        self.on_duplicate = on_duplicate
        self.country = country
        self.mapped = set(source.mapping.values()) if source.mapping else set()
        self.errors: list[tuple[int, str]] = list(source.unreadable)
        self.warnings: list[tuple[int, str]] = list(source.problems)
        self.skipped = 0
        self.creates: list[ContactDraft] = []
        self.company_creates: list[tuple[str, CompanyDraft]] = []
        self.linked: dict[str, tuple[str, str]] = {}  # folded name -> (id, name), new ones
        self.pending: list[tuple[int, str, str, RowDraft]] = []  # (line, how, target, row)
        self.company_pending: list[tuple[int, str, str, CompanyDraft]] = []
        self.updates: dict[str, ContactDraft] = {}
        self.before: dict[str, ContactDraft] = {}
        self.company_updates: dict[str, CompanyDraft] = {}
        self.company_before: dict[str, CompanyDraft] = {}
        self.unchanged = 0
        ex = uow.exchange
        self.companies = {name.casefold(): cid for cid, name in ex.company_names()}
        self.users = {name.casefold(): uid for uid, name in ex.user_names()}
        self.emails: dict[str, tuple[str, Any]] = {e: ("db", cid) for e, cid in ex.contact_emails()}
        self._phones: dict[str, list[tuple[str, tuple[str, Any]]]] | None = None
        self._e164: dict[str, str | None] = {}
        self.file_companies: dict[str, int] = {}  # folded name -> index in company_creates
        ids = [v for _, _, values in source.items for v in values.get("id", ()) if v.strip()]
        model = Company if source.kind == "companies" else Contact
        self.live = ex.live_ids(model, [i.strip() for i in ids]) if ids else set()

    # -- duplicates --

    def e164(self, number: str) -> str | None:
        if number not in self._e164:
            self._e164[number] = to_e164(number, self.country)
        return self._e164[number]

    @property
    def phones(self) -> dict[str, list[tuple[str, tuple[str, Any]]]]:
        if self._phones is None:
            self._phones = {}
            for number, cid in self.uow.exchange.contact_phones():
                key = phone_key(number)
                if key:
                    self._phones.setdefault(key, []).append((number, ("db", cid)))
        return self._phones

    def duplicate_of(self, draft: ContactDraft | RowDraft) -> tuple[str, Any] | None:
        """("db", contact id) or ("file", index of a planned contact), or None."""
        for entry in draft.emails:
            hit = self.emails.get(entry.email.casefold())
            if hit is not None:
                return hit
        phones = self.phones if draft.phones else {}
        for phone in draft.phones:
            candidates = phones.get(phone_key(phone.number))
            if not candidates:
                continue
            mine = self.e164(phone.number)
            if mine is None:
                continue
            for number, target in candidates:
                if self.e164(number) == mine:
                    return target
        return None

    def remember(self, draft: ContactDraft, index: int) -> None:
        target = ("file", index)
        for entry in draft.emails:
            self.emails.setdefault(entry.email.casefold(), target)
        for phone in draft.phones:
            key = phone_key(phone.number)
            if key:
                self.phones.setdefault(key, []).append((phone.number, target))

    # -- lookups --

    def company_id(self, name: str) -> str:
        key = name.casefold()
        found = self.companies.get(key)
        if found is None:
            if key not in self.linked:
                self.linked[key] = (new_id(), name)
            found = self.linked[key][0]
        return found

    def owner_id(self, name: str, line: int) -> str | None:
        if not name:
            return None
        found = self.users.get(name.casefold())
        if found is None:
            self.warnings.append((line, f"no owner named {name!r}; left without owner"))
        return found

    # -- contacts --

    def contact(self, line: int, values: Values) -> None:
        try:
            row = contact_row(values)
        except ValidationError as exc:
            if _only_a_company(values):  # Google and Outlook keep companies as contacts
                self.company(line, {**values, "name": values["company"]})
            else:
                self.errors.append((line, str(exc)))
            return
        if row.record_id and row.record_id in self.live:
            self.pending.append((line, "replace", row.record_id, row))
            return
        if row.record_id:
            self.warnings.append(
                (line, f"no contact with id {row.record_id}; imported as a new contact")
            )
        target = self.duplicate_of(row) if self.on_duplicate != "create" else None
        if target is not None and self.on_duplicate == "skip":
            self.skipped += 1
            return
        if target is not None:
            where, ref = target
            if where == "file":
                self.creates[ref] = self.merge(self.creates[ref], row, line)
                self.remember(self.creates[ref], ref)
            else:
                self.pending.append((line, "merge", ref, row))
            return
        draft = self.complete(row, line)
        self.creates.append(draft)
        self.remember(draft, len(self.creates) - 1)

    def complete(self, row: RowDraft, line: int) -> ContactDraft:
        return row.draft(
            (RoleEntry(self.company_id(row.company), row.title),) if row.company else (),
            self.owner_id(row.owner, line) if row.owner else None,
        )

    def merge(self, current: ContactDraft, row: RowDraft, line: int) -> ContactDraft:
        """`current` with what the row adds or changes (empty cells change nothing)."""
        new = row
        emails = {e.email.casefold() for e in current.emails}
        digits = {phone_key(p.number) + p.number[-2:] for p in current.phones}
        places = {a.one_line().casefold() for a in current.addresses}
        roles = current.roles
        if row.company:
            company = self.company_id(row.company)
            old = next((r for r in roles if r.company_id == company), None)
            title = row.title or (old.title if old else "")
            roles = (RoleEntry(company, title), *(r for r in roles if r.company_id != company))
        tags = {t.casefold() for t in current.tags}
        owner = self.owner_id(row.owner, line) if row.owner else None
        return replace(
            current,
            first_name=new.first_name or current.first_name,
            last_name=new.last_name or current.last_name,
            emails=current.emails
            + tuple(e for e in new.emails if e.email.casefold() not in emails),
            phones=current.phones
            + tuple(p for p in new.phones if phone_key(p.number) + p.number[-2:] not in digits),
            addresses=current.addresses
            + tuple(a for a in new.addresses if a.one_line().casefold() not in places),
            roles=roles,
            birthday=new.birthday or current.birthday,
            lead_source=new.lead_source or current.lead_source,
            owner_id=owner or current.owner_id,
            notes=new.notes or current.notes,
            tags=current.tags + tuple(t for t in new.tags if t.casefold() not in tags),
        )

    def replace_mapped(self, current: ContactDraft, row: RowDraft, line: int) -> ContactDraft:
        """`current` with every mapped field set to the row's value (an emptied cell
        empties the field): an edited export re-imported."""
        m, new = self.mapped, row
        changes: dict[str, Any] = {}
        if m & {"first_name", "last_name", "full_name", "middle_name"}:
            changes.update(first_name=new.first_name, last_name=new.last_name)
        if m & {"email", "email_home"}:
            generic = "email_label" not in m and "email_home" not in m
            changes["emails"] = _with_labels(new.emails, current.emails, generic)
        if m & {"phone", "phone_work", "phone_mobile", "phone_home", "phone_fax"}:
            generic = m.isdisjoint({"phone_label", "phone_work", "phone_mobile", "phone_home"})
            changes["phones"] = _with_labels(new.phones, current.phones, generic)
        if m & set(ADDRESS_PARTS):
            head = new.addresses[:1]
            if head and current.addresses and "address_label" not in m:
                head = (replace(head[0], label=current.addresses[0].label),)
            changes["addresses"] = head + current.addresses[1:]
        roles = current.roles
        if "company" in m:
            rest = roles[1:]
            if row.company:
                company = self.company_id(row.company)
                title = row.title if "title" in m else (roles[0].title if roles else "")
                rest = tuple(r for r in rest if r.company_id != company)
                roles = (RoleEntry(company, title), *rest)
            else:
                roles = rest
        elif "title" in m and roles:
            roles = (replace(roles[0], title=row.title), *roles[1:])
        changes["roles"] = roles
        for key in ("birthday", "notes", "tags", "lead_source"):
            if key in m or (key == "birthday" and "birth_day" in m):
                changes[key] = getattr(new, key)
        if "owner" in m:
            changes["owner_id"] = self.owner_id(row.owner, line) if row.owner else None
            if row.owner and changes["owner_id"] is None:
                changes["owner_id"] = current.owner_id
        return replace(current, **changes)

    def settle_contacts(self) -> None:
        """Apply the rows that change existing contacts, in file order."""
        targets = list(dict.fromkeys(ref for _, _, ref, _ in self.pending))
        records = self.uow.exchange.contacts(targets) if targets else {}
        for line, how, ref, row in self.pending:
            if ref not in self.before:
                self.before[ref] = _record_draft(records[ref])
            current = self.updates.get(ref, self.before[ref])
            if how == "replace":
                self.updates[ref] = self.replace_mapped(current, row, line)
            else:
                self.updates[ref] = self.merge(current, row, line)
        for ref in list(self.updates):
            if _same(self.updates[ref], self.before[ref]):
                del self.updates[ref]
                self.unchanged += 1
            else:
                try:
                    self.updates[ref].validated()
                except ValidationError as exc:
                    lines = [line for line, _, r, _ in self.pending if r == ref]
                    self.errors.append((lines[-1], str(exc)))
                    del self.updates[ref]

    # -- companies --

    def company(self, line: int, values: Values) -> None:
        try:
            draft, owner, record_id = company_row(values)
        except ValidationError as exc:
            self.errors.append((line, str(exc)))
            return
        draft = replace(draft, owner_id=self.owner_id(owner, line))
        if record_id and record_id in self.live:
            self.company_pending.append((line, "replace", record_id, draft))
            return
        key = draft.name.casefold()
        existing = self.companies.get(key)
        in_file = self.file_companies.get(key)
        if (existing or in_file is not None) and self.on_duplicate != "create":
            if self.on_duplicate == "skip":
                self.skipped += 1
            elif in_file is not None:
                cid, old = self.company_creates[in_file]
                self.company_creates[in_file] = (cid, self.merge_company(old, draft, False))
            elif existing is not None:
                self.company_pending.append((line, "merge", existing, draft))
            return
        cid = self.linked.pop(key, (new_id(), ""))[0]
        self.company_creates.append((cid, draft))
        self.file_companies[key] = len(self.company_creates) - 1
        self.companies.setdefault(key, cid)

    def merge_company(self, current: CompanyDraft, new: CompanyDraft, full: bool) -> CompanyDraft:
        """Fill `current` from `new`: every mapped field when `full` (an edited export),
        else only what `new` has."""
        m = self.mapped
        changes: dict[str, Any] = {}
        for key in ("name", "domain", "industry", "phone", "email", "website", "lead_source",
                    "notes"):  # fmt: skip
            value = getattr(new, key)
            if (full and key in m) or (not full and value and key != "name"):
                changes[key] = value  # (a match by name keeps the name as it was written)
        parts = {}
        for part in ADDRESS_PARTS:
            value = getattr(new.address, part)
            if (full and part in m) or (not full and value):
                parts[part] = value
        if parts:
            changes["address"] = replace(current.address, **parts)
        if full and "tags" in m:
            changes["tags"] = new.tags
        elif new.tags:
            have = {t.casefold() for t in current.tags}
            changes["tags"] = current.tags + tuple(t for t in new.tags if t.casefold() not in have)
        if (full and "owner" in m) or new.owner_id:
            changes["owner_id"] = new.owner_id
        return replace(current, **changes)

    def settle_companies(self) -> None:
        targets = list(dict.fromkeys(ref for _, _, ref, _ in self.company_pending))
        records = self.uow.exchange.companies(targets) if targets else {}
        for _line, how, ref, draft in self.company_pending:
            if ref not in self.company_before:
                self.company_before[ref] = _company_record_draft(records[ref])
            current = self.company_updates.get(ref, self.company_before[ref])
            self.company_updates[ref] = self.merge_company(current, draft, how == "replace")
        for ref in list(self.company_updates):
            if _same(self.company_updates[ref], self.company_before[ref]):
                del self.company_updates[ref]
                self.unchanged += 1


# ---- the service ------------------------------------------------------------------------------


class ImportService:
    def __init__(self, uow_factory: UowFactory, default_country: str = "DE") -> None:
        self._uow = uow_factory
        self._country = default_country
        self._contacts = ContactService(uow_factory)

    def preview(
        self,
        path: Path,
        format: str | None = None,
        preset: str = "auto",
        kind: str = "auto",
        mapping: Mapping[str, str] | None = None,
    ) -> ImportPreview:
        """What the file holds and how it would import: format, encoding, delimiter,
        headers, the mapping guessed (or the one given) and the first rows mapped."""
        path = Path(path)
        source = _read(path, format, preset, kind, mapping)
        rows = []
        for line, item_kind, values in source.items[:PREVIEW_ROWS]:
            shown = {k: "; ".join(v for v in vs if v.strip()) for k, vs in values.items()}
            problem = ""
            try:
                if item_kind == "company":
                    company_row(values)
                else:
                    contact_row(values)
            except ValidationError as exc:
                problem = str(exc)
            rows.append(PreviewRow(line, {k: v for k, v in shown.items() if v}, problem))
        fields = (
            import_mapping.COMPANY_FIELDS
            if source.kind == "companies"
            else import_mapping.CONTACT_FIELDS
        )
        return ImportPreview(
            path=path,
            format=source.format,
            kind=source.kind,
            preset=source.preset,
            encoding=source.encoding,
            delimiter=source.delimiter,
            headers=source.headers,
            mapping=dict(source.mapping),
            fields=dict(fields),
            rows=tuple(rows),
            total_rows=len(source.items),
            problems=tuple(sorted(source.problems + source.unreadable)),
        )

    def run(
        self,
        path: Path,
        mapping: Mapping[str, str] | None = None,
        preset: str = "auto",
        on_duplicate: str = "skip",
        dry_run: bool = False,
        progress: Progress | None = None,
        format: str | None = None,
        kind: str = "auto",
        cancelled: Callable[[], bool] | None = None,
    ) -> ImportResult:
        """Import the file in one unit of work (all or nothing) and record it as a batch
        that `undo` can take back. A dry run reports the same figures and writes nothing.
        `progress(done, total)` counts every row twice, read and written (called every
        thousand rows); when `cancelled()` turns true, between two calls, the import
        stops with ImportCancelled and nothing is written."""
        if on_duplicate not in ON_DUPLICATE:
            raise ValidationError(f"on_duplicate must be one of {', '.join(ON_DUPLICATE)}")
        path = Path(path)
        with collector_paused():  # many small lists and dicts, no cycles: see bulk.py
            return self._run(path, mapping, preset, on_duplicate, dry_run, progress, format,
                             kind, cancelled)  # fmt: skip

    def _run(
        self,
        path: Path,
        mapping: Mapping[str, str] | None,
        preset: str,
        on_duplicate: str,
        dry_run: bool,
        progress: Progress | None,
        format: str | None,
        kind: str,
        cancelled: Callable[[], bool] | None,
    ) -> ImportResult:
        source = _read(path, format, preset, kind, mapping)
        if source.format != "vcard" and not any(source.mapping.values()):
            shown = ", ".join(repr(h) for h in source.headers[:6])
            raise ValidationError(
                f"no column of {path.name} could be matched to a field (its columns: {shown}"
                f"{', ...' if len(source.headers) > 6 else ''}); map the columns first"
            )
        total = len(source.items)
        steps = 2 * total  # each row is a step when it is read and again when written

        def writing(done: int, of: int) -> None:
            _tick(progress, cancelled, total + (total * done // of if of else total), steps)

        with self._uow.read() if dry_run else self._uow() as uow:
            if not dry_run:
                # The WAL pages of a big import are copied into the database file by a
                # background thread after the commit (the import is committed and durable
                # in the WAL already), not by the commit itself while the person waits.
                uow.checkpoint_in_background()
            plan = _Planner(uow, source, on_duplicate, self._country)
            for done, (line, item_kind, values) in enumerate(source.items):
                if done % _STEP == 0:
                    _tick(progress, cancelled, done, steps)
                if item_kind == "company":
                    plan.company(line, values)
                else:
                    plan.contact(line, values)
            plan.settle_companies()
            plan.settle_contacts()
            _tick(progress, cancelled, total, steps)
            created = len(plan.creates) + len(plan.company_creates)
            updated = len(plan.updates) + len(plan.company_updates)
            batch_id: str | None = None
            changes = ChangeSet()
            if not dry_run and (created or updated or plan.linked):
                batch_id = new_id()
                self._write(uow, plan, batch_id, path, source.kind, writing)
                changes = uow.commit()
            writing(1, 1)
        return ImportResult(
            created=created,
            updated=updated,
            skipped=plan.skipped,
            errors=tuple(sorted(plan.errors)),
            batch_id=batch_id,
            unchanged=plan.unchanged,
            companies_created=len(plan.linked),
            warnings=tuple(sorted(plan.warnings)),
            kind=source.kind,
            dry_run=dry_run,
            changes=changes,
        )

    def _write(
        self,
        uow: UnitOfWork,
        plan: _Planner,
        batch_id: str,
        path: Path,
        kind: str,
        progress: Progress,
    ) -> None:
        # One creation time for the whole import (the time of its unit of work): it is
        # also what the rows would get one by one, a few microseconds apart, at a cost.
        stamp = now()
        linked = [
            {"id": cid, "name": name, "created_at": stamp} for cid, name in plan.linked.values()
        ]
        uow.insert_rows(Company, linked)
        for cid, company_draft in plan.company_creates:
            uow.companies.add(Company(id=cid, **company_fields(company_draft)))
        uow.session.flush()
        for cid, company_draft in plan.company_creates:
            CompanyService._write_extras(uow, cid, company_draft)
        work = len(plan.creates) + len(plan.updates)
        contact_ids: list[str] = []
        for start in range(0, len(plan.creates), _WRITE_CHUNK):
            chunk = plan.creates[start : start + _WRITE_CHUNK]
            contact_ids += ContactService.insert_drafts(uow, chunk, created_at=[stamp] * len(chunk))
            progress(start + len(chunk), work)
        for done, (contact_id, draft) in enumerate(plan.updates.items(), len(plan.creates)):
            if done % _STEP == 0:
                progress(done, work)
            contact = uow.contacts.get(contact_id)
            if contact is None:
                raise NotFoundError(f"contact {contact_id} disappeared during the import")
            assign(contact, contact_fields(draft))
            self._contacts._write_children(uow, contact_id, draft)
        for company_id, company_draft in plan.company_updates.items():
            company = uow.companies.get(company_id)
            if company is None:
                raise NotFoundError(f"company {company_id} disappeared during the import")
            assign(company, company_fields(company_draft))
            CompanyService._write_extras(uow, company_id, company_draft)
        record = {
            "id": batch_id,
            "at": stamp.isoformat(),
            "file": str(path),
            "kind": kind,
            "contacts": contact_ids,
            "companies": [c["id"] for c in linked] + [cid for cid, _ in plan.company_creates],
            "before": {cid: _dump_contact(d) for cid, d in plan.before.items()
                       if cid in plan.updates},
            "company_before": {cid: _dump_company(d) for cid, d in plan.company_before.items()
                               if cid in plan.company_updates},
            "undone": False,
        }  # fmt: skip
        uow.exchange.write_local(_BATCH_KEY + batch_id, json.dumps(record, ensure_ascii=False))

    # ---- undo ---------------------------------------------------------------------------

    def batches(self) -> list[ImportBatch]:
        """The imports made on this device, newest first."""
        with self._uow.read() as uow:
            found = []
            for key in uow.exchange.local_keys(_BATCH_KEY):
                data = json.loads(uow.exchange.read_local(key) or "{}")
                found.append(
                    ImportBatch(
                        id=data["id"],
                        at=dt.datetime.fromisoformat(data["at"]),
                        file=data["file"],
                        kind=data["kind"],
                        created=len(data["contacts"]) + len(data["companies"]),
                        updated=len(data["before"]) + len(data["company_before"]),
                        undone=bool(data["undone"]),
                    )
                )
        return sorted(found, key=lambda b: b.at, reverse=True)

    def undo(self, batch_id: str) -> ChangeSet:
        """Take a whole import back: the records it created go to the Trash, the records
        it updated get the values they had before it."""
        key = _BATCH_KEY + batch_id
        with self._uow() as uow:
            raw = uow.exchange.read_local(key)
            if raw is None:
                raise NotFoundError(f"no import with batch id {batch_id}")
            data = json.loads(raw)
            if data["undone"]:
                raise ValidationError("this import has been undone already")
            stamp = now()
            for model, ids in ((Contact, data["contacts"]), (Company, data["companies"])):
                for row in uow.exchange.rows(model, ids):
                    if row.deleted_at is None:
                        row.deleted_at = stamp
            for contact_id, before in data["before"].items():
                contact = uow.contacts.get(contact_id, include_deleted=True)
                if contact is not None:
                    draft = _load_contact(before)
                    assign(contact, contact_fields(draft))
                    self._contacts._write_children(uow, contact_id, draft)
            for company_id, before in data["company_before"].items():
                company = uow.companies.get(company_id, include_deleted=True)
                if company is not None:
                    company_draft = _load_company(before)
                    assign(company, company_fields(company_draft))
                    CompanyService._write_extras(uow, company_id, company_draft)
            data["undone"] = True
            uow.exchange.write_local(key, json.dumps(data, ensure_ascii=False))
            return uow.commit()


def _tick(
    progress: Progress | None, cancelled: Callable[[], bool] | None, done: int, total: int
) -> None:
    if cancelled is not None and cancelled():
        raise ImportCancelled("the import was cancelled; nothing was imported")
    if progress is not None:
        progress(done, total)


# ---- what undo keeps --------------------------------------------------------------------------


def _dump_contact(d: ContactDraft) -> dict[str, Any]:
    return {
        "first_name": d.first_name,
        "last_name": d.last_name,
        "emails": [[e.email, e.label] for e in d.emails],
        "phones": [[p.number, p.label] for p in d.phones],
        "addresses": [
            [a.street, a.city, a.region, a.postcode, a.country, a.label] for a in d.addresses
        ],
        "roles": [[r.company_id, r.title] for r in d.roles],
        "birthday": d.birthday.isoformat() if d.birthday else None,
        "lead_source": d.lead_source,
        "owner_id": d.owner_id,
        "notes": d.notes,
        "tags": list(d.tags),
    }


def _load_contact(data: Mapping[str, Any]) -> ContactDraft:
    return ContactDraft(
        first_name=data["first_name"],
        last_name=data["last_name"],
        emails=tuple(EmailEntry(e, label) for e, label in data["emails"]),
        phones=tuple(PhoneEntry(n, label) for n, label in data["phones"]),
        addresses=tuple(AddressEntry(*a) for a in data["addresses"]),
        roles=tuple(RoleEntry(c, t) for c, t in data["roles"]),
        birthday=dt.date.fromisoformat(data["birthday"]) if data["birthday"] else None,
        lead_source=data["lead_source"],
        owner_id=data["owner_id"],
        notes=data["notes"],
        tags=tuple(data["tags"]),
    )


def _dump_company(d: CompanyDraft) -> dict[str, Any]:
    a = d.address
    return {
        "name": d.name, "domain": d.domain, "industry": d.industry, "phone": d.phone,
        "email": d.email, "website": d.website,
        "address": [a.street, a.city, a.region, a.postcode, a.country, a.label],
        "lead_source": d.lead_source, "owner_id": d.owner_id, "notes": d.notes,
        "tags": list(d.tags),
    }  # fmt: skip


def _load_company(data: Mapping[str, Any]) -> CompanyDraft:
    return CompanyDraft(
        name=data["name"],
        domain=data["domain"],
        industry=data["industry"],
        phone=data["phone"],
        email=data["email"],
        website=data["website"],
        address=AddressEntry(*data["address"]),
        lead_source=data["lead_source"],
        owner_id=data["owner_id"],
        notes=data["notes"],
        tags=tuple(data["tags"]),
    )
