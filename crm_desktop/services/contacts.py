"""Contacts: create, edit, delete to Trash, restore, list by the page, bulk create."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.derived import contact_copies
from crm_desktop.domain.ids import tag_id
from crm_desktop.domain.records import (
    CONTACT_EXTRAS,
    AddressEntry,
    ContactDraft,
    ContactRecord,
    ContactRow,
    EmailEntry,
    ListQuery,
    Page,
    PhoneEntry,
    RoleEntry,
    Saved,
)
from crm_desktop.domain.text import display_name
from crm_desktop.persistence.bulk import collector_paused
from crm_desktop.persistence.models import (
    Contact,
    ContactAddress,
    ContactEmail,
    ContactPhone,
    ContactRole,
    CustomValue,
    Tag,
    Tagging,
    new_id,
)
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import (
    UowFactory,
    assign,
    require,
    set_deleted,
    sync_children,
    sync_tags,
)
from crm_desktop.services.bulk import BulkService
from crm_desktop.services.changelog import Revertible


def _scalar_fields(draft: ContactDraft) -> dict[str, Any]:
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
        **extra_columns(draft),
    }


def extra_columns(draft: ContactDraft) -> dict[str, Any]:
    """The columns of the fields beyond the common ones (websites one per line)."""
    values: dict[str, Any] = {name: getattr(draft, name) for name in CONTACT_EXTRAS}
    values["websites"] = "\n".join(w.strip() for w in draft.websites if w.strip())
    for name in CONTACT_EXTRAS:
        if isinstance(values[name], str):
            values[name] = values[name].strip()
    return values


def extras_of(row: Any) -> dict[str, Any]:
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


class ContactService(Revertible):
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    # ---- writes ---------------------------------------------------------------------------

    def create(self, draft: ContactDraft) -> Saved:
        """Save a new contact with its lists, tags and custom values."""
        draft = draft.validated()
        with self._uow() as uow:
            contact = uow.contacts.add(Contact(**_scalar_fields(draft)))
            uow.session.flush()
            self._write_children(uow, contact.id, draft)
            changes = uow.commit()
        return Saved(contact.id, changes)

    def update(self, contact_id: str, draft: ContactDraft) -> Saved:
        """Replace a contact's fields with the draft; only what differs is recorded."""
        draft = draft.validated()
        with self._uow() as uow:
            contact = require(uow.contacts, contact_id, "contact")
            assign(contact, _scalar_fields(draft))
            self._write_children(uow, contact_id, draft)
            changes = uow.commit()
        return Saved(contact_id, changes)

    def _write_children(self, uow: UnitOfWork, contact_id: str, draft: ContactDraft) -> None:
        repo = uow.contacts
        sync_children(
            uow, ContactEmail, "contact_id", contact_id, repo.emails(contact_id), _email_rows(draft)
        )
        sync_children(
            uow, ContactPhone, "contact_id", contact_id, repo.phones(contact_id), _phone_rows(draft)
        )
        sync_children(
            uow,
            ContactAddress,
            "contact_id",
            contact_id,
            repo.addresses(contact_id),
            _address_rows(draft),
        )
        sync_children(
            uow,
            ContactRole,
            "contact_id",
            contact_id,
            [r for r, _ in repo.roles(contact_id)],
            _role_rows(draft),
        )
        sync_tags(uow, contact_id, "contact", draft.tags)
        values = {v.field_id: v for v in repo.custom_values(contact_id)}
        for field_id, value in draft.custom:
            if field_id in values:
                assign(values[field_id], {"value": value})
            elif value:
                uow.session.add(CustomValue(field_id=field_id, target_id=contact_id, value=value))

    def delete(self, ids: Iterable[str]) -> ChangeSet:
        """Move contacts to the Trash (soft delete; restorable, and synced as a tombstone)."""
        return self._set_deleted(ids, deleted=True)

    def restore(self, ids: Iterable[str]) -> ChangeSet:
        """Bring contacts back from the Trash."""
        return self._set_deleted(ids, deleted=False)

    def _set_deleted(self, ids: Iterable[str], deleted: bool) -> ChangeSet:
        return set_deleted(self._uow, lambda uow: uow.contacts, "contact", ids, deleted)

    def add_tag(self, ids: Iterable[str], tag: str) -> ChangeSet:
        """Bulk action: tag every contact in the selection (`BulkService.tag`, which also
        says how to undo it)."""
        return BulkService(self._uow).tag("contacts", ids, tag).changes

    def set_owner(self, ids: Iterable[str], owner_id: str | None) -> ChangeSet:
        """Bulk action: give every contact in the selection to one owner
        (`BulkService.set_owner`, which also says how to undo it)."""
        return BulkService(self._uow).set_owner("contacts", ids, owner_id).changes

    def create_many(self, drafts: Sequence[ContactDraft], batch: int = 20_000) -> ChangeSet:
        """Fast path for many contacts (imports, demo data): the same rows and change
        records as `create`, written with executemany in batches of one transaction each."""
        changes = ChangeSet()
        with collector_paused():
            for start in range(0, len(drafts), batch):
                with self._uow() as uow:
                    uow.checkpoint_in_background()  # while the next batch is built
                    self.insert_drafts(uow, drafts[start : start + batch])
                    changes |= uow.commit()
            with self._uow.read() as uow:
                uow.wait_for_checkpoints()  # the last batch is in the database file
        return changes

    @staticmethod
    def insert_drafts(
        uow: UnitOfWork,
        drafts: Sequence[ContactDraft],
        make_id: Callable[[], str] = new_id,
        created_at: Sequence[dt.datetime] | None = None,
        tag_ids: dict[str, str] | None = None,
    ) -> list[str]:
        """Insert drafts in an open unit of work; returns the new ids. `make_id` and
        `created_at` let demo data be deterministic and spread over time. `tag_ids`
        (folded name -> id) carries the tags found or made from one call to the next in
        the same unit of work: looking one up would wait for the rows still being
        written in the background."""
        contacts: list[dict[str, Any]] = []
        emails: list[dict[str, Any]] = []
        phones: list[dict[str, Any]] = []
        addresses: list[dict[str, Any]] = []
        roles: list[dict[str, Any]] = []
        taggings: list[dict[str, Any]] = []
        tag_ids = {} if tag_ids is None else tag_ids
        for index, raw_draft in enumerate(drafts):
            draft = raw_draft.validated()
            contact_id = make_id()
            # The rows `create` writes (`_scalar_fields` and the `_*_rows` helpers), built
            # in one go; ids are taken in the same order as ever (demo data stays the same).
            stamp = {"created_at": created_at[index]} if created_at else {}
            contacts.append({"id": contact_id, **stamp, **_scalar_fields(draft)})
            for i, e in enumerate(draft.emails):
                emails.append(
                    {
                        "id": make_id(),
                        "contact_id": contact_id,
                        "position": i,
                        **stamp,
                        "email": e.email.strip(),
                        "label": e.label,
                    }
                )
            for i, p in enumerate(draft.phones):
                phones.append(
                    {
                        "id": make_id(),
                        "contact_id": contact_id,
                        "position": i,
                        **stamp,
                        "number": p.number.strip(),
                        "label": p.label,
                    }
                )
            for i, row in enumerate(_address_rows(draft)):
                addresses.append(
                    {"id": make_id(), "contact_id": contact_id, "position": i, **stamp, **row}
                )
            for i, r in enumerate(draft.roles):
                roles.append(
                    {
                        "id": make_id(),
                        "contact_id": contact_id,
                        "position": i,
                        **stamp,
                        "company_id": r.company_id,
                        "title": r.title,
                    }
                )
            for name in draft.tags:
                key = name.casefold()
                if key not in tag_ids:
                    existing = uow.tags.by_name(name)
                    tag_ids[key] = existing.id if existing else ""
                    if not existing:
                        # The id every device gives this name (a tag in the Trash is
                        # brought back rather than made twice).
                        tag_ids[key] = tag_id(name)
                        known = uow.tags.get(tag_ids[key], include_deleted=True)
                        if known is None:
                            uow.insert_rows(Tag, [{"id": tag_ids[key], "name": name.strip()}])
                        else:
                            known.deleted_at = None
                            uow.session.flush()
                taggings.append(
                    {
                        "id": make_id(),
                        "tag_id": tag_ids[key],
                        **stamp,
                        "target_id": contact_id,
                        "target_kind": "contact",
                    }
                )
        uow.insert_rows(Contact, contacts)
        uow.insert_rows(ContactEmail, emails)
        uow.insert_rows(ContactPhone, phones)
        uow.insert_rows(ContactAddress, addresses)
        uow.insert_rows(ContactRole, roles)
        uow.insert_rows(Tagging, taggings)
        return [c["id"] for c in contacts]

    # ---- reads ----------------------------------------------------------------------------

    def draft_of(self, contact_id: str) -> Any:
        """The record as an editor would open it now (to find what others changed)."""
        return self.get(contact_id).to_draft()

    def get(self, contact_id: str) -> ContactRecord:
        """A contact with its lists, roles, tags and custom values (Trash included)."""
        with self._uow.read() as uow:
            c = require(uow.contacts, contact_id, "contact", include_deleted=True)
            repo = uow.contacts
            owner = uow.users.names([c.owner_id]).get(c.owner_id or "", "")
            return ContactRecord(
                id=c.id,
                first_name=c.first_name,
                last_name=c.last_name,
                display_name=c.formatted_name or display_name(c.first_name, c.last_name),
                emails=tuple(EmailEntry(e.email, e.label) for e in repo.emails(c.id)),
                phones=tuple(PhoneEntry(p.number, p.label) for p in repo.phones(c.id)),
                addresses=tuple(
                    AddressEntry(a.street, a.city, a.region, a.postcode, a.country, a.label)
                    for a in repo.addresses(c.id)
                ),
                roles=tuple(RoleEntry(r.company_id, r.title, name) for r, name in repo.roles(c.id)),
                birthday=c.birthday,
                lead_source=c.lead_source,
                owner_id=c.owner_id,
                owner_name=owner,
                notes=c.notes,
                tags=tuple(uow.tags.names_for(c.id)),
                custom=tuple((v.field_id, v.value) for v in repo.custom_values(c.id)),
                created_at=c.created_at,
                updated_at=c.updated_at,
                deleted_at=c.deleted_at,
                **extras_of(c),
            )

    def ids(self, query: ListQuery) -> list[str]:
        """Every id matching the query, in list order (sorted and filtered in SQL)."""
        with self._uow.read() as uow:
            return uow.contacts.ids(query)

    def count(self, query: ListQuery) -> int:
        with self._uow.read() as uow:
            return uow.contacts.count(query)

    def rows(self, ids: Sequence[str]) -> list[ContactRow]:
        """List rows for these ids, in the same order."""
        with self._uow.read() as uow:
            found = {r[0]: r for r in uow.contacts.rows(ids)}
        return [_row(found[i]) for i in ids if i in found]

    def page(self, query: ListQuery, offset: int = 0, limit: int = 100) -> Page[ContactRow]:
        """One page of the list and the total count."""
        with self._uow.read() as uow:
            total = uow.contacts.count(query)
            page_ids = uow.contacts.page_ids(query, offset, limit)
            found = {r[0]: r for r in uow.contacts.rows(page_ids)}
        return Page(tuple(_row(found[i]) for i in page_ids), total, offset)


def _row(r: Any) -> ContactRow:
    cid, first, last, email, phone, company, title, city, owner, tags, updated = r
    return ContactRow(
        cid,
        display_name(first, last),
        email,
        phone,
        company,
        title,
        city,
        owner,
        tags or "",
        updated,
    )
