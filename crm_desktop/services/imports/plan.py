"""The plan of an import: what each row of a file does (create, update, skip, or an error
with its reason), decided before anything is written, so a dry run and the real run
report the same. Duplicates are looked up by e-mail (case-folded) and phone (E.164) in
the database and among the rows before; a row with the id of one of our exports updates
that record with every mapped column (the round trip).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.import_rows import (
    ADDRESS_PARTS,
    RowDraft,
    Values,
    company_row,
    contact_row,
    first,
    phone_key,
)
from crm_desktop.domain.phones import to_e164
from crm_desktop.domain.records import (
    AddressEntry,
    CompanyDraft,
    ContactDraft,
    EmailEntry,
    PhoneEntry,
    RoleEntry,
)
from crm_desktop.persistence.models import Company, Contact, new_id
from crm_desktop.persistence.records_map import contact_extras_of
from crm_desktop.persistence.uow import UnitOfWork


@dataclass
class Source:
    """A file read and mapped: one item per row or card."""

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
    not_used: list[str] = field(default_factory=list)  # columns or properties not imported


# ---- the plan: what each row does --------------------------------------------------------


def only_a_company(values: Values) -> bool:
    """A row that names an organisation and no person is the organisation's own card
    (Google and Outlook keep companies as contacts): its e-mail, phone and address are
    the company's. A row with one of our contact ids stays a contact."""
    company = first(values, "company")
    if not company or first(values, "id"):
        return False
    person = [first(values, key) for key in ("first_name", "middle_name", "last_name")]
    full = first(values, "full_name")
    # Google's older export repeats the organisation in the Name column of such a card.
    return not any(person) and (not full or full.casefold() == company.casefold())


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
        **contact_extras_of(rec),
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


class Planner:
    """Decides, row by row, what an import does; writes nothing."""

    def __init__(self, uow: UnitOfWork, source: Source, on_duplicate: str, country: str) -> None:
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
        if only_a_company(values):
            self.company(line, {**values, "name": [first(values, "company")]})
            return
        try:
            row = contact_row(values)
        except ValidationError as exc:
            self.errors.append((line, str(exc)))
            return
        self.warnings += [(line, warning) for warning in row.warnings]
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
        roles: tuple[RoleEntry, ...] = ()
        if row.company:
            roles = (RoleEntry(self.company_id(row.company), row.title),)
        roles += tuple(RoleEntry(self.company_id(name)) for name in row.other_companies)
        return row.draft(roles, self.owner_id(row.owner, line) if row.owner else None)

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
        extras = {key: value for key, value in row.extras if value}
        if row.title and not roles:
            extras["job_title"] = row.title
        return replace(
            current,
            **extras,
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
        changes.update(row.extras)
        if "title" in m and not changes["roles"]:
            changes["job_title"] = row.title
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
