"""Companies: create, edit, delete to Trash, restore, list by the page, their people."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.records import (
    AddressEntry,
    CompanyDraft,
    CompanyRecord,
    CompanyRow,
    ListQuery,
    Page,
    Saved,
)
from crm_desktop.domain.text import display_name
from crm_desktop.persistence import records_map
from crm_desktop.services._common import UowFactory, require, set_deleted
from crm_desktop.services.changelog import Revertible


class CompanyService(Revertible):
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def create(self, draft: CompanyDraft) -> Saved:
        """Save a new company."""
        draft = draft.validated()
        with self._uow() as uow:
            company_id = records_map.add_company(uow, draft)
            changes = uow.commit()
        return Saved(company_id, changes)

    def update(self, company_id: str, draft: CompanyDraft) -> Saved:
        """Replace a company's fields with the draft; only what differs is recorded."""
        draft = draft.validated()
        with self._uow() as uow:
            records_map.update_company(uow, require(uow.companies, company_id, "company"), draft)
            changes = uow.commit()
        return Saved(company_id, changes)

    def delete(self, ids: Iterable[str]) -> ChangeSet:
        """Move companies to the Trash."""
        return self._set_deleted(ids, deleted=True)

    def restore(self, ids: Iterable[str]) -> ChangeSet:
        """Bring companies back from the Trash."""
        return self._set_deleted(ids, deleted=False)

    def _set_deleted(self, ids: Iterable[str], deleted: bool) -> ChangeSet:
        return set_deleted(self._uow, lambda uow: uow.companies, "company", ids, deleted)

    def draft_of(self, company_id: str) -> Any:
        """The record as an editor would open it now (to find what others changed)."""
        return self.get(company_id).to_draft()

    def get(self, company_id: str) -> CompanyRecord:
        with self._uow.read() as uow:
            c = require(uow.companies, company_id, "company", include_deleted=True)
            owner = uow.users.names([c.owner_id]).get(c.owner_id or "", "")
            people = tuple(
                (cid, display_name(first, last), title)
                for cid, first, last, title in uow.companies.people(c.id)
            )
            return CompanyRecord(
                id=c.id,
                name=c.name,
                domain=c.domain,
                industry=c.industry,
                phone=c.phone,
                email=c.email,
                website=c.website,
                address=AddressEntry(c.street, c.city, c.region, c.postcode, c.country),
                lead_source=c.lead_source,
                owner_id=c.owner_id,
                owner_name=owner,
                notes=c.notes,
                tags=tuple(uow.tags.names_for(c.id)),
                custom=tuple((v.field_id, v.value) for v in uow.contacts.custom_values(c.id)),
                people=people,
                created_at=c.created_at,
                updated_at=c.updated_at,
                deleted_at=c.deleted_at,
            )

    def names(self) -> list[tuple[str, str]]:
        """(id, name) of every live company, by name (for pickers and completers)."""
        with self._uow.read() as uow:
            return uow.companies.names()

    def find_by_name(self, name: str) -> str | None:
        """The id of the live company with this name (case-insensitive), if any."""
        with self._uow.read() as uow:
            company = uow.companies.by_name(name)
            return company.id if company else None

    def ids(self, query: ListQuery) -> list[str]:
        with self._uow.read() as uow:
            return uow.companies.ids(query)

    def count(self, query: ListQuery) -> int:
        with self._uow.read() as uow:
            return uow.companies.count(query)

    def rows(self, ids: Sequence[str]) -> list[CompanyRow]:
        with self._uow.read() as uow:
            found = {r[0]: r for r in uow.companies.rows(ids)}
        return [CompanyRow(*found[i]) for i in ids if i in found]

    def page(self, query: ListQuery, offset: int = 0, limit: int = 100) -> Page[CompanyRow]:
        with self._uow.read() as uow:
            total = uow.companies.count(query)
            page_ids = uow.companies.page_ids(query, offset, limit)
            found = {r[0]: r for r in uow.companies.rows(page_ids)}
        return Page(tuple(CompanyRow(*found[i]) for i in page_ids), total, offset)
