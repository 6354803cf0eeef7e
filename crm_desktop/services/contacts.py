"""Contacts: create, edit, delete to Trash, restore, list by the page, bulk create."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.records import (
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
from crm_desktop.persistence import records_map
from crm_desktop.persistence.bulk import collector_paused
from crm_desktop.services._common import UowFactory, require, set_deleted
from crm_desktop.services.bulk import BulkService
from crm_desktop.services.changelog import Revertible


class ContactService(Revertible):
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    # ---- writes ---------------------------------------------------------------------------

    def create(self, draft: ContactDraft) -> Saved:
        """Save a new contact with its lists, tags and custom values."""
        draft = draft.validated()
        with self._uow() as uow:
            contact_id = records_map.add_contact(uow, draft)
            changes = uow.commit()
        return Saved(contact_id, changes)

    def update(self, contact_id: str, draft: ContactDraft) -> Saved:
        """Replace a contact's fields with the draft; only what differs is recorded."""
        draft = draft.validated()
        with self._uow() as uow:
            records_map.update_contact(uow, require(uow.contacts, contact_id, "contact"), draft)
            changes = uow.commit()
        return Saved(contact_id, changes)

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
                    records_map.insert_contacts(uow, drafts[start : start + batch])
                    changes |= uow.commit()
            with self._uow.read() as uow:
                uow.wait_for_checkpoints()  # the last batch is in the database file
        return changes

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
                **records_map.contact_extras_of(c),
            )

    def ids(self, query: ListQuery) -> list[str]:
        """Every id matching the query, in list order (sorted and filtered in SQL)."""
        with self._uow.read() as uow:
            return uow.contacts.ids(query)

    def first_ids(self, query: ListQuery, limit: int) -> tuple[list[str], int]:
        """The first `limit` ids in list order and how many match in all: the window shows
        the first page of 100,000 contacts without reading every id first."""
        with self._uow.read() as uow:
            return uow.contacts.page_ids(query, 0, limit), uow.contacts.count(query)

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
