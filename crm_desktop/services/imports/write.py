"""Writing an import's new records while the rest of the file is still being planned.

The plan (plan.py) decides row by row; the contacts it creates are written in batches as
soon as a batch is planned, so the database (a PostgreSQL server, or SQLite's writer
thread) works on them while the next rows are planned instead of waiting for the whole
file. Companies' own rows are planned before the people (`in_plan_order`), so a company
is written once, with everything its row says.

With `--on-duplicate update` a later row with the same e-mail or phone fills in a contact
planned before it. A contact that may be filled in so (an e-mail or the last digits of a
phone that the file has in another row too, looked up in the cells before planning) is
held back and written after the last row. A contact the look-ahead missed and a later row
changed is brought to its planned state at the end, as the import's updates are: the
database ends exactly as if everything had been written at once (its change log shows
the creation and the filling in, both by this import).

The plan's duplicate lookups stay right although the tables grow under them: e-mails are
read before the first row; phones when the first planned contact with a phone is looked
up or remembered, so before any contact with a phone can have been written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence

from crm_desktop.domain.errors import NotFoundError
from crm_desktop.domain.import_rows import EMAIL_FIELDS, PHONE_FIELDS, Values, phone_key
from crm_desktop.domain.records import ContactDraft
from crm_desktop.persistence import records_map
from crm_desktop.persistence.models import Company
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services.imports.plan import Planner, only_a_company

BATCH = 10_000  # new contacts per batch written

_ADDRESS = re.compile(r"[^\s;,<>]+@[^\s;,<>]+")

Item = tuple[int, str, Values]  # (line, "contact" | "company", values)


def in_plan_order(items: Sequence[Item]) -> list[Item]:
    """The rows in the order they are planned: companies' own rows first (a card of an
    organisation, a row naming a company and no person), then the people, each group in
    file order. A contact names a company the same way whichever comes first in the
    file, so the plan is the same; the company is then written once, whole."""
    companies: list[Item] = []
    people: list[Item] = []
    for item in items:
        (companies if item[1] == "company" or only_a_company(item[2]) else people).append(item)
    return companies + people


def _keys(values: Values) -> set[str]:
    """What the duplicate lookup of a row may match on, read from its cells: each e-mail
    address (folded) and the last six digits of each phone number."""
    found: set[str] = set()
    for field in EMAIL_FIELDS:
        for cell in values.get(field, ()):
            if "@" in cell:
                found.update(a.casefold().removeprefix("mailto:") for a in _ADDRESS.findall(cell))
    for field in PHONE_FIELDS:
        for cell in values.get(field, ()):
            for part in cell.split(":::"):
                if key := phone_key(part.strip()[:64]):
                    found.add("#" + key)
    return found


def _shared_keys(items: Iterable[Item]) -> set[str]:
    """The keys more than one row of the file has."""
    seen: set[str] = set()
    shared: set[str] = set()
    for _line, kind, values in items:
        if kind == "company":
            continue
        for key in _keys(values):
            if key in seen:
                shared.add(key)
            else:
                seen.add(key)
    return shared


class CreatesWriter:
    """Writes the plan's new companies and contacts, batch by batch, in one unit of work."""

    def __init__(
        self, uow: UnitOfWork, plan: Planner, stamp: dt.datetime, items: Sequence[Item]
    ) -> None:
        # One creation time for the whole import (the time of its unit of work): also
        # what the rows would get one by one, a few microseconds apart, at a cost.
        self.uow, self.plan, self.stamp = uow, plan, stamp
        # The ids of the companies written. Every company's own row is planned before the
        # first contact (`in_plan_order`), so a company written never changes afterwards.
        self.companies: set[str] = set()
        # index in plan.creates -> (the draft as written, its id)
        self.contacts: dict[int, tuple[ContactDraft, str]] = {}
        self.looked_at = 0  # the creates before this index are written or held
        self.held: list[int] = []
        self.tag_ids: dict[str, str] = {}  # folded tag name -> id, from batch to batch
        # Only an update fills in a planned contact (skip and create never change one).
        self.shared = _shared_keys(items) if plan.on_duplicate == "update" else set()

    @property
    def contact_ids(self) -> list[str]:
        return [contact_id for _draft, contact_id in self.contacts.values()]

    def due(self) -> bool:
        """Whether a batch of new contacts is planned and not yet looked at."""
        return len(self.plan.creates) - self.looked_at >= BATCH

    def write_planned(self) -> None:
        """Write the batches planned so far: the companies they name first, then their
        contacts but those a later row may fill in."""
        plan = self.plan
        while self.due():
            end = self.looked_at + BATCH
            batch = []
            for index in range(self.looked_at, end):
                if self._may_change(plan.creates[index]):
                    self.held.append(index)
                else:
                    batch.append(index)
            self.looked_at = end
            self._write(batch)

    def finish(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Write the rest, then bring what later rows changed to its planned state."""
        plan, uow = self.plan, self.uow
        rest = self.held + list(range(self.looked_at, len(plan.creates)))
        self.held, self.looked_at = [], len(plan.creates)
        self._write([])  # the companies, when there is no contact to write
        for start in range(0, len(rest), BATCH):
            self._write(rest[start : start + BATCH])
            if progress is not None:
                progress(len(self.contacts), len(plan.creates))
        for index, (written, contact_id) in self.contacts.items():
            if plan.creates[index] is not written:
                contact = uow.contacts.get(contact_id)
                if contact is None:
                    raise NotFoundError("a contact disappeared during the import")
                records_map.update_contact(uow, contact, plan.creates[index])

    def _may_change(self, draft: ContactDraft) -> bool:
        shared = self.shared
        if not shared:
            return False
        return any(e.email.casefold() in shared for e in draft.emails) or any(
            "#" + phone_key(p.number) in shared for p in draft.phones
        )

    def _write(self, indexes: list[int]) -> None:
        plan, uow = self.plan, self.uow
        named = [(cid, name) for cid, name in plan.linked.values() if cid not in self.companies]
        uow.insert_rows(
            Company, [{"id": cid, "name": name, "created_at": self.stamp} for cid, name in named]
        )
        self.companies.update(cid for cid, _ in named)
        own = [(cid, draft) for cid, draft in plan.company_creates if cid not in self.companies]
        records_map.add_companies(uow, own)
        self.companies.update(cid for cid, _ in own)
        if not indexes:
            return
        drafts = [plan.creates[i] for i in indexes]
        ids = records_map.insert_contacts(
            uow, drafts, created_at=[self.stamp] * len(drafts), tag_ids=self.tag_ids
        )
        self.contacts.update(zip(indexes, zip(drafts, ids, strict=True), strict=True))
