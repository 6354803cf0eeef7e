"""The reads of a contacts export: a few set-based queries, page by page.

An export of every contact reads each list (e-mails, phones, addresses, roles, tags) once,
with one query in the order of its table, and the contacts themselves in pages by (sort
name, id); an export of chosen contacts reads them and their lists in pages of ids. Rows
are the driver's own, as they come: an export reads a few hundred thousand of them, and
an ORM `Row` per row was a third of its time. Asking the database once per contact, or
for each page's lists by `IN` lists of ids, was most of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session

from crm_desktop.persistence.models import (
    Company,
    Contact,
    ContactAddress,
    ContactEmail,
    ContactPhone,
    ContactRole,
    Tag,
    Tagging,
    User,
)

PAGE = 20_000  # contacts per page of all live ones: some MB of rows and cells at a time
IDS = 5_000  # ids per page of chosen contacts: within the bound parameters of one query

# The columns of a page's rows (`ContactPage.rows`), in this order.
COLUMNS = (
    "id", "first_name", "last_name", "birthday", "lead_source", "owner_name", "notes",
    "created_at", "updated_at", "sort_name",
)  # fmt: skip
# The columns most contacts leave empty (`ContactPage.extras`), after the id.
EXTRAS = (
    "prefix", "middle_name", "suffix", "nickname", "formatted_name", "job_title",
    "department", "role", "anniversary", "websites",
)  # fmt: skip

_FIRST, _POSITION = itemgetter(0), itemgetter(-1)


@dataclass
class ByContact:
    """A list's rows (contact id, ..., position) by contact id: `first` each contact's
    first by position, `several` all the rows, in order, of a contact with more than one.
    Most contacts have one row of a list: it is put in place without a step of Python
    per row, and only the contacts with several are gathered and sorted."""

    first: dict[str, Sequence[Any]] = field(default_factory=dict)
    several: dict[str, list[Sequence[Any]]] = field(default_factory=dict)

    def of(self, contact_id: str) -> Sequence[Sequence[Any]]:
        """A contact's rows, in order (none: empty)."""
        rows = self.several.get(contact_id)
        if rows is not None:
            return rows
        row = self.first.get(contact_id)
        return () if row is None else (row,)

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        """Add the rows of contacts not added before."""
        keys = list(map(_FIRST, rows))
        first = dict(zip(keys, rows, strict=True))
        if len(first) < len(rows):
            several: dict[str, list[Any]] = {
                key: [] for key, count in Counter(keys).items() if count > 1
            }
            for row in rows:
                if (items := several.get(row[0])) is not None:
                    items.append(row)
            for key, items in several.items():
                items.sort(key=_POSITION)
                first[key] = items[0]
            self.several.update(several)
        self.first.update(first)


@dataclass
class ContactLists:
    """The lists of contacts by contact id: e-mails as rows (contact id, email, label,
    position), phones (contact id, number, label, position), addresses (contact id,
    street, city, region, postcode, country, label, position), roles (contact id,
    company id, title, position) with the `companies`' names by id, and tags as names
    (by name in any case)."""

    emails: ByContact = field(default_factory=ByContact)
    phones: ByContact = field(default_factory=ByContact)
    addresses: ByContact = field(default_factory=ByContact)
    roles: ByContact = field(default_factory=ByContact)
    companies: dict[str, str] = field(default_factory=dict)
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class ContactPage:
    """One page of an export's contacts, in list order, with the lists (of every
    contact, or of the page's).

    `rows` hold the `COLUMNS` as the driver gives them: SQLite's dates and times as the
    ISO text it stores (UTC), other databases' as date and naive UTC datetime values.
    `extras` holds (id, *EXTRAS) of the contacts that have any of them, by id (read once,
    with one scan): most have none, and ten empty columns of every contact read with
    the rest were a tenth of an export."""

    rows: Sequence[Sequence[Any]]
    lists: ContactLists = field(default_factory=ContactLists)
    extras: dict[str, Sequence[Any]] = field(default_factory=dict)


class ContactExportReader:
    def __init__(self, session: Session) -> None:
        self.session = session

    def widths(self, lists: ContactLists) -> tuple[int, int]:
        """The most e-mails and the most phones one live contact has among these lists of
        every contact (at least 1: a sheet has one column of each)."""
        live: set[str] = set()
        widths = []
        for found in (lists.emails.several, lists.phones.several):
            many = [(key, len(items)) for key, items in found.items()]
            if many and not live:  # whose: a contact in the Trash does not count
                live = self._live_ids()
            widths.append(max((n for key, n in many if key in live), default=1))
        return widths[0], widths[1]

    def widths_of(self, ids: Sequence[str]) -> tuple[int, int]:
        """The most live e-mails and the most live phones one of these contacts has (one
        aggregate query each per page of ids)."""
        widths = []
        for model in (ContactEmail, ContactPhone):
            counted = select(func.count().label("n")).where(model.deleted_at.is_(None))
            most = 1
            for start in range(0, len(ids), IDS):
                chunk = list(ids[start : start + IDS])
                sub = counted.where(model.contact_id.in_(chunk)).group_by(model.contact_id)
                found = self.session.scalar(select(func.max(sub.subquery().c.n)))
                most = max(most, found or 0)
            widths.append(most)
        return widths[0], widths[1]

    def live_pages(self, lists: ContactLists) -> Iterator[ContactPage]:
        """Every live contact in list order, a page at a time, with the lists given."""
        c = Contact.__table__.c
        live = self._columns().where(c.deleted_at.is_(None))
        extras = self._extras(c.deleted_at.is_(None))
        key = tuple_(c.sort_name, c.id)
        after: tuple[str, str] | None = None
        while True:
            stmt = live if after is None else live.where(key > tuple_(*after))
            rows = self._fetch(stmt.order_by(c.sort_name, c.id).limit(PAGE))
            if not rows:
                return
            after = (rows[-1][-1], rows[-1][0])
            yield ContactPage(rows, lists, extras)

    def pages_of(self, ids: Sequence[str]) -> Iterator[ContactPage]:
        """These contacts (in the Trash too) in this order, a page at a time."""
        c = Contact.__table__.c
        for start in range(0, len(ids), IDS):
            chunk = list(ids[start : start + IDS])
            found = {r[0]: r for r in self._fetch(self._columns().where(c.id.in_(chunk)))}
            rows = [found[i] for i in chunk if i in found]
            yield ContactPage(rows, self.lists(chunk), self._extras(c.id.in_(chunk)))

    def lists(self, ids: list[str] | None) -> ContactLists:
        """The lists of these contacts (None: of every one)."""
        emails, phones, addresses = (
            ContactEmail.__table__.c, ContactPhone.__table__.c, ContactAddress.__table__.c
        )  # fmt: skip
        roles, companies = ContactRole.__table__.c, Company.__table__.c
        taggings, tags = Tagging.__table__.c, Tag.__table__.c
        found = ContactLists()
        self._list(found.emails, emails, ids, emails.email, emails.label)
        self._list(found.phones, phones, ids, phones.number, phones.label)
        self._list(
            found.addresses, addresses, ids, addresses.street, addresses.city,
            addresses.region, addresses.postcode, addresses.country, addresses.label,
        )  # fmt: skip
        # Names by id, looked up here: a join costs a look-up in the database for each
        # row (and for tags a sort of them all). A role of a company that is not there
        # (yet: sync) is left out, as a join leaves it out; so is a tagging's.
        found.companies = dict(self._fetch(select(companies.id, companies.name)))
        known = found.companies.keys()

        def of_known_companies(rows: list[Any]) -> list[Any]:
            if known >= set(map(itemgetter(1), rows)):
                return rows
            return [row for row in rows if row[1] in known]

        self._list(found.roles, roles, ids, roles.company_id, roles.title, keep=of_known_companies)
        ranked = self._fetch(select(tags.id, tags.name).order_by(func.lower(tags.name), tags.id))
        rank = {tag_id: n for n, (tag_id, _name) in enumerate(ranked)}
        stmt = select(taggings.target_id, taggings.tag_id).where(
            taggings.deleted_at.is_(None), taggings.target_kind == "contact"
        )
        for part in self._parts(stmt, taggings.target_id, ids):
            tagged = ByContact()
            tagged.add([(t, rank[tag]) for t, tag in part if tag in rank])
            found.tags.update((target, (ranked[r[1]][1],)) for target, r in tagged.first.items())
            found.tags.update(
                (target, tuple(ranked[r[1]][1] for r in rows))
                for target, rows in tagged.several.items()
            )
        return found

    def _columns(self) -> Any:
        c = Contact.__table__.c
        columns = (
            c.id, c.first_name, c.last_name, c.birthday, c.lead_source,
            func.coalesce(User.name, ""), c.notes, c.created_at, c.updated_at, c.sort_name,
        )  # fmt: skip
        return select(*columns).outerjoin(User, User.id == c.owner_id)

    def _extras(self, where: Any) -> dict[str, Sequence[Any]]:
        """(id, *EXTRAS) of the contacts (of `where`) that have any of them, by id: one
        scan is cheaper than the same test in the query of the pages."""
        c = Contact.__table__.c
        columns = [c[name] for name in EXTRAS]
        filled = [column.is_not(None) if name == "anniversary" else column != ""
                  for name, column in zip(EXTRAS, columns, strict=True)]  # fmt: skip
        stmt = select(c.id, *columns).where(where, or_(*filled))
        return {row[0]: row for row in self._fetch(stmt)}

    def _list(
        self,
        found: ByContact,
        table: Any,
        ids: list[str] | None,
        *columns: Any,
        keep: Callable[[list[Any]], list[Any]] | None = None,
    ) -> None:
        """Each contact's live rows (contact id, *columns, position) of the table, by
        position, into `found` (those that `keep` keeps). In the order of the table: a
        sort by contact, or a walk of the index of contacts, costs a third more."""
        owner = table.contact_id
        stmt = select(owner, *columns, table.position).where(table.deleted_at.is_(None))
        for part in self._parts(stmt, owner, ids):
            found.add(part if keep is None else keep(part))

    def _parts(self, stmt: Any, owner: Any, ids: list[str] | None) -> Iterator[list[Any]]:
        if ids is None:
            yield self._fetch(stmt)
        else:
            for start in range(0, len(ids), IDS):
                yield self._fetch(stmt.where(owner.in_(ids[start : start + IDS])))

    def _fetch(self, stmt: Any) -> list[Any]:
        """The driver's own rows of a query (only for columns read as the driver gives
        them: text, numbers, and dates and times as the callers above expect them)."""
        result = self.session.connection().execute(stmt)
        try:
            return list(result.cursor.fetchall())
        finally:
            result.close()

    def _live_ids(self) -> set[str]:
        c = Contact.__table__.c
        return {row[0] for row in self._fetch(select(c.id).where(c.deleted_at.is_(None)))}
