"""Writing an import's new records while the rest of the file is still being planned.

The plan (plan.py) decides row by row; the records it creates are written in batches as
soon as a batch is planned, so the database (a PostgreSQL server, or SQLite's writer
thread) works on them while the next rows are planned instead of waiting for the whole
file. A row can still change a record written before it: a later row with the same
e-mail or phone fills in a planned contact, a company's own row follows the contacts that
named it. Such records are brought to their planned state at the end, as the import's
updates are, so the database ends exactly as if everything had been written at once
(their change log shows the creation and the filling in, both by this import).

The plan's duplicate lookups stay right although the tables grow under them: e-mails are
read before the first row; phones when the first planned contact with a phone is looked
up or remembered, so before any contact with a phone can have been written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from crm_desktop.domain.errors import NotFoundError
from crm_desktop.domain.records import CompanyDraft, ContactDraft
from crm_desktop.persistence import records_map
from crm_desktop.persistence.models import Company
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services.imports.plan import Planner

BATCH = 10_000  # new contacts per batch written


class CreatesWriter:
    """Writes the plan's new companies and contacts, batch by batch, in one unit of work."""

    def __init__(self, uow: UnitOfWork, plan: Planner, stamp: dt.datetime) -> None:
        # One creation time for the whole import (the time of its unit of work): also
        # what the rows would get one by one, a few microseconds apart, at a cost.
        self.uow, self.plan, self.stamp = uow, plan, stamp
        # id -> the draft as written (None: a company named by contacts, written by name)
        self.companies: dict[str, CompanyDraft | None] = {}
        self.contacts: list[ContactDraft] = []  # the plan's creates written, in order
        self.contact_ids: list[str] = []
        self.tag_ids: dict[str, str] = {}  # folded tag name -> id, from batch to batch

    def due(self) -> bool:
        """Whether a batch of new contacts is planned and not yet written."""
        return len(self.plan.creates) - len(self.contacts) >= BATCH

    def write_planned(
        self, progress: Callable[[int, int], None] | None = None, whole: bool = False
    ) -> None:
        """Write what the plan creates and is not written yet: companies first (contacts
        name them), then the contacts in whole batches (`whole`: all of them)."""
        plan, uow = self.plan, self.uow
        named = [(cid, name) for cid, name in plan.linked.values() if cid not in self.companies]
        uow.insert_rows(
            Company, [{"id": cid, "name": name, "created_at": self.stamp} for cid, name in named]
        )
        self.companies.update((cid, None) for cid, _ in named)
        own = [(cid, draft) for cid, draft in plan.company_creates if cid not in self.companies]
        records_map.add_companies(uow, own)
        self.companies.update(own)
        work = len(plan.creates)
        while len(self.contacts) < work and (whole or self.due()):
            chunk = plan.creates[len(self.contacts) : len(self.contacts) + BATCH]
            self.contact_ids += records_map.insert_contacts(
                uow, chunk, created_at=[self.stamp] * len(chunk), tag_ids=self.tag_ids
            )
            self.contacts += chunk
            if progress is not None:
                progress(len(self.contacts), work)

    def finish(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Write the rest, then bring what later rows changed to its planned state."""
        self.write_planned(progress, whole=True)
        plan, uow = self.plan, self.uow
        for index, (written, planned) in enumerate(zip(self.contacts, plan.creates, strict=True)):
            if planned is not written:
                contact = uow.contacts.get(self.contact_ids[index])
                if contact is None:
                    raise NotFoundError("a contact disappeared during the import")
                records_map.update_contact(uow, contact, planned)
        for company_id, draft in plan.company_creates:
            if self.companies[company_id] is not draft:
                company = uow.companies.get(company_id)
                if company is None:
                    raise NotFoundError("a company disappeared during the import")
                records_map.update_company(uow, company, draft)
