"""The reads of a contacts export: a few set-based queries, page by page.

An export of every contact reads each list (e-mails, phones, addresses, roles, tags) once,
with one query in the order of its table, and the contacts themselves in pages by (sort
name, id); an export of chosen contacts reads them and their lists in pages of ids. Rows
are the driver's own, as they come: an export reads a few hundred thousand of them, and
an ORM `Row` per row was a third of its time. Asking the database once per contact, or
for each page's lists by `IN` lists of ids, was most of it.
"""

from __future__ import annotations

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

PAGE = 5_000  # contacts per page: a few MB of rows at a time, and within bound parameters

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

# Where each list of a contact is in its `ContactPage.lists` entry.
EMAILS, PHONES, ADDRESSES, ROLES, TAGS = range(5)
_POSITION = itemgetter(-1)


@dataclass
class ContactPage:
    """One page of an export's contacts, in list order.

    `rows` hold the `COLUMNS` as the driver gives them: SQLite's dates and times as the
    ISO text it stores (UTC), other databases' as date and naive UTC datetime values.
    `extras` holds (id, *EXTRAS) of the contacts that have any of them, by id (read once,
    with one scan): most have none, and ten empty columns of every contact read with
    the rest were a tenth of an export.

    `lists` holds each contact's lists by its id, [e-mails, phones, addresses, roles,
    tags] (None for a list it has none of; a contact with none has no entry), one entry
    for all five since a look-up in a dict of many thousands is a cache miss: e-mails
    as rows (contact id, email, label, position), phones (contact id, number, label,
    position), addresses (contact id, street, city, region, postcode, country, label,
    position) and roles (contact id, company name, title, position), each by position;
    tags as names, by name in any case."""

    rows: Sequence[Sequence[Any]]
    lists: dict[str, list[Any]] = field(default_factory=dict)
    extras: dict[str, Sequence[Any]] = field(default_factory=dict)


class ContactExportReader:
    def __init__(self, session: Session) -> None:
        self.session = session

    def widths(self, lists: dict[str, list[Any]]) -> tuple[int, int]:
        """The most e-mails and the most phones one live contact has among these lists of
        every contact (at least 1: a sheet has one column of each)."""
        live: set[str] = set()
        widths = []
        for slot in (EMAILS, PHONES):
            many = [(key, n) for key, entry in lists.items()
                    if entry[slot] is not None and (n := len(entry[slot])) > 1]  # fmt: skip
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
            for start in range(0, len(ids), PAGE):
                chunk = list(ids[start : start + PAGE])
                sub = counted.where(model.contact_id.in_(chunk)).group_by(model.contact_id)
                found = self.session.scalar(select(func.max(sub.subquery().c.n)))
                most = max(most, found or 0)
            widths.append(most)
        return widths[0], widths[1]

    def live_pages(self, lists: dict[str, list[Any]]) -> Iterator[ContactPage]:
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
        for start in range(0, len(ids), PAGE):
            chunk = list(ids[start : start + PAGE])
            found = {r[0]: r for r in self._fetch(self._columns().where(c.id.in_(chunk)))}
            rows = [found[i] for i in chunk if i in found]
            yield ContactPage(rows, self.lists(chunk), self._extras(c.id.in_(chunk)))

    def lists(self, ids: list[str] | None) -> dict[str, list[Any]]:
        """The lists of these contacts (None: of every one), as `ContactPage.lists`."""
        emails, phones, addresses = (
            ContactEmail.__table__.c, ContactPhone.__table__.c, ContactAddress.__table__.c
        )  # fmt: skip
        roles, companies = ContactRole.__table__.c, Company.__table__.c
        found: dict[str, list[Any]] = {}
        self._list(found, EMAILS, emails, ids, emails.email, emails.label)
        self._list(found, PHONES, phones, ids, phones.number, phones.label)
        self._list(
            found, ADDRESSES, addresses, ids, addresses.street, addresses.city,
            addresses.region, addresses.postcode, addresses.country, addresses.label,
        )  # fmt: skip
        # By the company's id, its name looked up here: a join costs a look-up in the
        # database for each role. A role of a company that is not there (yet: sync) is
        # left out, as a join leaves it out.
        names = dict(self._fetch(select(companies.id, companies.name)))
        self._list(
            found, ROLES, roles, ids, roles.company_id, roles.title,
            convert=lambda rows: [(r[0], names[r[1]], r[2], r[3]) for r in rows if r[1] in names],
        )  # fmt: skip
        taggings, tags = Tagging.__table__.c, Tag.__table__.c
        stmt = (
            select(taggings.target_id, tags.name)
            .join(Tag.__table__, tags.id == taggings.tag_id)
            .where(taggings.deleted_at.is_(None), taggings.target_kind == "contact")
            .order_by(taggings.target_id, func.lower(tags.name))
        )
        for part in self._parts(stmt, taggings.target_id, ids):
            for target, name in part:
                entry = found.get(target)
                if entry is None:
                    entry = found[target] = [None, None, None, None, []]
                elif entry[TAGS] is None:
                    entry[TAGS] = []
                entry[TAGS].append(name)
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
        found: dict[str, list[Any]],
        slot: int,
        table: Any,
        ids: list[str] | None,
        *columns: Any,
        convert: Callable[[list[Any]], list[Any]] | None = None,
    ) -> None:
        """Each contact's live rows (contact id, *columns, position) of the table, by
        position, into its entry of `found` at `slot`."""
        owner = table.contact_id
        # In the order of the table (a sort by contact, or a walk of the index of contacts,
        # costs a third more); a contact's rows, mostly side by side, are put together
        # and in order here.
        stmt = select(owner, *columns, table.position).where(table.deleted_at.is_(None))
        unsorted: list[list[Any]] = []
        for part in self._parts(stmt, owner, ids):
            last: Any = None
            items: list[Any] = []
            for row in part if convert is None else convert(part):
                if row[0] == last:
                    items.append(row)
                    if len(items) == 2:
                        unsorted.append(items)
                    continue
                last = row[0]
                entry = found.get(last)
                if entry is None:
                    entry = found[last] = [None, None, None, None, None]
                if entry[slot] is None:
                    items = entry[slot] = [row]
                else:  # more of a contact met before
                    items = entry[slot]
                    items.append(row)
                    if len(items) == 2:
                        unsorted.append(items)
        for items in unsorted:
            items.sort(key=_POSITION)

    def _parts(self, stmt: Any, owner: Any, ids: list[str] | None) -> Iterator[list[Any]]:
        if ids is None:
            yield self._fetch(stmt)
        else:
            for start in range(0, len(ids), PAGE):
                yield self._fetch(stmt.where(owner.in_(ids[start : start + PAGE])))

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
