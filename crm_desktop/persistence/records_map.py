"""Drafts to rows: the one mapping between the records people edit (`domain.records`
drafts) and the rows that store them.

The editors' services, imports, the demo and, next, sync all write contacts and
companies through these functions, so a draft is saved the same way wherever it comes
from: the same columns (with the denormalised copies derived by
`domain.derived.contact_copies`), the same child lists, tags and custom values.

    contact_id = add_contact(uow, draft)          # a new contact, in an open unit of work
    update_contact(uow, contact, draft)           # only the fields that differ change
    ids = insert_contacts(uow, drafts)            # many at once, on the bulk path
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from crm_desktop.domain.derived import contact_copies
from crm_desktop.domain.ids import tag_id
from crm_desktop.domain.records import CONTACT_EXTRAS, CompanyDraft, ContactDraft
from crm_desktop.persistence.models import (
    Company,
    Contact,
    ContactAddress,
    ContactEmail,
    ContactPhone,
    ContactRole,
    CustomValue,
    Entity,
    Tag,
    Tagging,
    new_id,
    utcnow,
)

if TYPE_CHECKING:
    from crm_desktop.persistence.uow import UnitOfWork


# ---- rows in general ----------------------------------------------------------------------


def assign(obj: Entity, values: dict[str, Any]) -> None:
    """Set only the attributes that differ, so unchanged fields leave no change rows."""
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)


def replace_children(
    uow: UnitOfWork,
    model: type[Entity],
    parent_field: str,
    parent_id: str,
    existing: Sequence[Entity],
    wanted: Sequence[dict[str, Any]],
) -> None:
    """Make a parent's child rows equal `wanted`, reusing rows by position (an edited
    e-mail keeps its id, so sync merges it field by field)."""
    for position, wanted_values in enumerate(wanted):
        values = {**wanted_values, "position": position}
        if position < len(existing):
            assign(existing[position], values)
        else:
            uow.session.add(model(**{parent_field: parent_id, **values}))
    stamp = utcnow()
    for extra in existing[len(wanted) :]:
        extra.deleted_at = stamp


def ensure_tag(uow: UnitOfWork, name: str) -> Tag:
    """The tag of this name, made (or brought back from the Trash) with the id every
    device gives it (`domain.ids.tag_id`): one tag per case-folded name, even when two
    devices create it before they meet."""
    known = uow.tags.get(tag_id(name), include_deleted=True)
    if known is None:
        return uow.tags.add(Tag(id=tag_id(name), name=name.strip()))
    if known.deleted_at is not None:
        known.deleted_at = None
    return known


def set_tags(uow: UnitOfWork, target_id: str, target_kind: str, names: Sequence[str]) -> None:
    """Give a record exactly these tags (names compared without case)."""
    wanted = {n.strip().casefold(): n.strip() for n in names if n.strip()}
    current = uow.tags.taggings(target_id)
    for tagging, name in current:
        if name.casefold() not in wanted:
            tagging.deleted_at = utcnow()
    have = {name.casefold() for _, name in current}
    for key, name in wanted.items():
        if key in have:
            continue
        tag = uow.tags.by_name(name) or ensure_tag(uow, name)
        uow.session.flush()
        uow.session.add(Tagging(tag_id=tag.id, target_id=target_id, target_kind=target_kind))


def set_custom_values(uow: UnitOfWork, target_id: str, custom: Iterable[tuple[str, str]]) -> None:
    """Give a record these custom values (field id, text); an empty text for a field it
    has no value of writes nothing."""
    values = {v.field_id: v for v in uow.contacts.custom_values(target_id)}
    for field_id, value in custom:
        if field_id in values:
            assign(values[field_id], {"value": value})
        elif value:
            uow.session.add(CustomValue(field_id=field_id, target_id=target_id, value=value))


# ---- contacts -------------------------------------------------------------------------------


def contact_columns(draft: ContactDraft) -> dict[str, Any]:
    """The contact's own columns, including its derived ones (the copies of each list's
    first entry), computed by the one function the database layer re-derives them with."""
    return {
        "first_name": draft.first_name.strip(),
        "last_name": draft.last_name.strip(),
        **contact_copies(
            draft.first_name,
            draft.last_name,
            [e.email for e in draft.emails],
            [p.number for p in draft.phones],
            [a.city for a in draft.addresses],
            [(r.company_id, r.title) for r in draft.roles],
            draft.job_title,
        ),
        "birthday": draft.birthday,
        "lead_source": draft.lead_source,
        "owner_id": draft.owner_id,
        "notes": draft.notes,
        **contact_extra_columns(draft),
    }


def contact_extra_columns(draft: ContactDraft) -> dict[str, Any]:
    """The columns of the fields beyond the common ones (websites one per line)."""
    values: dict[str, Any] = {name: getattr(draft, name) for name in CONTACT_EXTRAS}
    values["websites"] = "\n".join(w.strip() for w in draft.websites if w.strip())
    for name in CONTACT_EXTRAS:
        if isinstance(values[name], str):
            values[name] = values[name].strip()
    return values


def contact_extras_of(row: Any) -> dict[str, Any]:
    """The draft fields beyond the common ones, from a contact row or a record dict."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    values = {name: get(name) for name in CONTACT_EXTRAS}
    values["websites"] = tuple(w for w in (values["websites"] or "").split("\n") if w)
    return values


def _email_rows(draft: ContactDraft) -> list[dict[str, Any]]:
    return [{"email": e.email.strip(), "label": e.label} for e in draft.emails]


def _phone_rows(draft: ContactDraft) -> list[dict[str, Any]]:
    return [{"number": p.number.strip(), "label": p.label} for p in draft.phones]


def _address_rows(draft: ContactDraft) -> list[dict[str, Any]]:
    return [
        {
            "label": a.label,
            "street": a.street,
            "city": a.city,
            "region": a.region,
            "postcode": a.postcode,
            "country": a.country,
        }
        for a in draft.addresses
    ]


def _role_rows(draft: ContactDraft) -> list[dict[str, Any]]:
    return [{"company_id": r.company_id, "title": r.title} for r in draft.roles]


def add_contact(uow: UnitOfWork, draft: ContactDraft) -> str:
    """A new contact from a (validated) draft, with its lists, tags and custom values."""
    contact = uow.contacts.add(Contact(**contact_columns(draft)))
    uow.session.flush()
    write_contact_children(uow, contact.id, draft)
    return contact.id


def update_contact(uow: UnitOfWork, contact: Contact, draft: ContactDraft) -> None:
    """A contact made equal to the draft; only what differs leaves change rows."""
    assign(contact, contact_columns(draft))
    write_contact_children(uow, contact.id, draft)


def write_contact_children(uow: UnitOfWork, contact_id: str, draft: ContactDraft) -> None:
    """A contact's lists (e-mails, phones, addresses, roles), tags and custom values made
    equal to the draft's."""
    repo = uow.contacts
    lists: tuple[tuple[type[Entity], Sequence[Entity], list[dict[str, Any]]], ...] = (
        (ContactEmail, repo.emails(contact_id), _email_rows(draft)),
        (ContactPhone, repo.phones(contact_id), _phone_rows(draft)),
        (ContactAddress, repo.addresses(contact_id), _address_rows(draft)),
        (ContactRole, [r for r, _ in repo.roles(contact_id)], _role_rows(draft)),
    )
    for model, existing, wanted in lists:
        replace_children(uow, model, "contact_id", contact_id, existing, wanted)
    set_tags(uow, contact_id, "contact", draft.tags)
    set_custom_values(uow, contact_id, draft.custom)


def insert_contacts(
    uow: UnitOfWork,
    drafts: Sequence[ContactDraft],
    make_id: Callable[[], str] = new_id,
    created_at: Sequence[dt.datetime] | None = None,
    tag_ids: dict[str, str] | None = None,
) -> list[str]:
    """Insert drafts in an open unit of work on the bulk path; returns the new ids.
    `make_id` and `created_at` let demo data be deterministic and spread over time.
    `tag_ids` (folded name -> id) carries the tags found or made from one call to the
    next in the same unit of work: looking one up would wait for the rows still being
    written in the background."""
    rows = _ContactRows(uow, make_id, {} if tag_ids is None else tag_ids)
    for index, raw_draft in enumerate(drafts):
        stamp = {"created_at": created_at[index]} if created_at else {}
        rows.add(raw_draft.validated(), stamp)
    return rows.insert()


class _ContactRows:
    """The rows `add_contact` writes, built for many drafts in one go; ids are taken in
    the same order as ever (demo data stays the same)."""

    def __init__(self, uow: UnitOfWork, make_id: Callable[[], str], tag_ids: dict[str, str]):
        self.uow, self.make_id, self.tag_ids = uow, make_id, tag_ids
        self.contacts: list[dict[str, Any]] = []
        self.children: dict[type[Entity], list[dict[str, Any]]] = {
            ContactEmail: [], ContactPhone: [], ContactAddress: [], ContactRole: []
        }  # fmt: skip
        self.taggings: list[dict[str, Any]] = []

    def add(self, draft: ContactDraft, stamp: dict[str, Any]) -> None:
        contact_id = self.make_id()
        self.contacts.append({"id": contact_id, **stamp, **contact_columns(draft)})
        for model, wanted in (
            (ContactEmail, _email_rows(draft)),
            (ContactPhone, _phone_rows(draft)),
            (ContactAddress, _address_rows(draft)),
            (ContactRole, _role_rows(draft)),
        ):
            self.children[model].extend(
                {"id": self.make_id(), "contact_id": contact_id, "position": i, **stamp, **row}
                for i, row in enumerate(wanted)
            )
        for name in draft.tags:
            self.taggings.append(
                {
                    "id": self.make_id(),
                    "tag_id": self._tag(name),
                    **stamp,
                    "target_id": contact_id,
                    "target_kind": "contact",
                }
            )

    def _tag(self, name: str) -> str:
        key = name.casefold()
        if key not in self.tag_ids:
            existing = self.uow.tags.by_name(name)
            if existing:
                self.tag_ids[key] = existing.id
            else:
                # The id every device gives this name (a tag in the Trash is brought
                # back rather than made twice).
                self.tag_ids[key] = tag_id(name)
                known = self.uow.tags.get(self.tag_ids[key], include_deleted=True)
                if known is None:
                    self.uow.insert_rows(Tag, [{"id": self.tag_ids[key], "name": name.strip()}])
                else:
                    known.deleted_at = None
                    self.uow.session.flush()
        return self.tag_ids[key]

    def insert(self) -> list[str]:
        self.uow.insert_rows(Contact, self.contacts)
        for model, rows in self.children.items():
            self.uow.insert_rows(model, rows)
        self.uow.insert_rows(Tagging, self.taggings)
        self.uow.index_new_contacts()
        return [c["id"] for c in self.contacts]


# ---- companies ------------------------------------------------------------------------------


def company_columns(draft: CompanyDraft) -> dict[str, Any]:
    """The company's own columns."""
    a = draft.address
    return {
        "name": draft.name.strip(),
        "domain": draft.domain.strip(),
        "industry": draft.industry,
        "phone": draft.phone.strip(),
        "email": draft.email.strip(),
        "website": draft.website,
        "street": a.street,
        "city": a.city,
        "region": a.region,
        "postcode": a.postcode,
        "country": a.country,
        "lead_source": draft.lead_source,
        "owner_id": draft.owner_id,
        "notes": draft.notes,
    }


def add_company(uow: UnitOfWork, draft: CompanyDraft) -> str:
    """A new company from a (validated) draft, with its tags and custom values."""
    company_id = new_id()
    add_companies(uow, [(company_id, draft)])
    return company_id


def add_companies(uow: UnitOfWork, drafts: Sequence[tuple[str, CompanyDraft]]) -> None:
    """New companies (id, validated draft), with their tags and custom values."""
    for company_id, draft in drafts:
        uow.companies.add(Company(id=company_id, **company_columns(draft)))
    uow.session.flush()
    for company_id, draft in drafts:
        write_company_extras(uow, company_id, draft)


def update_company(uow: UnitOfWork, company: Company, draft: CompanyDraft) -> None:
    """A company made equal to the draft; only what differs leaves change rows."""
    assign(company, company_columns(draft))
    write_company_extras(uow, company.id, draft)


def write_company_extras(uow: UnitOfWork, company_id: str, draft: CompanyDraft) -> None:
    """A company's tags and custom values made equal to the draft's."""
    set_tags(uow, company_id, "company", draft.tags)
    set_custom_values(uow, company_id, draft.custom)
