"""The cells of a contacts export, made from the pages `ContactExportReader` reads.

A sheet is made a page at a time and a column at a time: a column that no contact of the
page fills (most of the name parts, addresses) is one shared column of blanks, a column
taken as it is from the page's rows is not looked at again, and a value many rows share
(a time, a date, a tag list) is formatted once. This is several times cheaper than a row
built cell by cell, and it is what `tabular.write_csv_columns` checks for formulas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Iterator, Sequence
from itertools import chain, repeat
from typing import Any

from crm_desktop.domain.import_rows import YEARLESS
from crm_desktop.domain.records import AddressEntry, EmailEntry, PhoneEntry
from crm_desktop.domain.text import display_name
from crm_desktop.exchange import vcard
from crm_desktop.persistence.contact_export import ByContact, ContactPage

# A sheet has at most 16,384 columns (Excel): e-mails and phones past this many columns
# go, joined by "; ", into one "More e-mails" / "More phones" column.
MAX_REPEATED_COLUMNS = 50

_NO_ENTRY = ("", "", "", 0)  # (contact id, e-mail or number, label, position)
_NO_ROLE = ("", "", "", 0)  # (contact id, company id, title, position)
_NO_ADDRESS = ("", "", "", "", "", "", "", 0)
_NO_EXTRAS = ("", "", "", "", "", "", "", "", "", None, "")  # (id, *EXTRAS)

Column = Sequence[str]


def when(value: dt.datetime | str | None) -> str:
    """A time to the minute in UTC: as SQLite stores it (UTC text), or as a datetime (a
    naive one is UTC, as the database holds it)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M")


def date_of(value: dt.date | str | None) -> dt.date | None:
    """A date as the driver gives it (SQLite: ISO text)."""
    if not value:
        return None
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def day(value: dt.date | str | None) -> str:
    """A date in ISO 8601, without the year if it has none (--MM-DD)."""
    found = date_of(value)
    if found is None:
        return ""
    if found.year == YEARLESS:
        return f"--{found.month:02d}-{found.day:02d}"
    return found.isoformat()


class _Repeated:
    """The columns of a repeated value (e-mails, phones): as many as the contact with the
    most of them needs, at most MAX_REPEATED_COLUMNS, the rest joined in one more."""

    def __init__(self, most: int, name: str, more: str) -> None:
        most = max(most, 1)
        self.shown = min(most, MAX_REPEATED_COLUMNS)
        self.more = most > self.shown
        self.headers = [name if n == 1 else f"{name} {n}" for n in range(1, self.shown + 1)]
        if self.more:
            self.headers.append(more)
        self.empty = [""] * len(self.headers)

    def columns(self, ids: Sequence[str], entries: ByContact, blank: Column) -> list[Column]:
        """The columns of these contacts' entries (rows of (contact id, value, ...))."""
        if len(self.headers) == 1:  # one column: each contact has one at most
            first = entries.first
            if first.keys().isdisjoint(ids):
                return [blank]
            _, values, _, _ = zip(*map(first.get, ids, repeat(_NO_ENTRY)), strict=True)
            return [values]
        empty, cells, of = self.empty, self.cells, entries.of
        return list(zip(*[cells(rows) if (rows := of(i)) else empty for i in ids], strict=True))

    def cells(self, entries: Sequence[Sequence[Any]]) -> list[str]:
        values = [entry[1] for entry in entries]
        shown = self.shown
        if len(values) > shown:
            return [*values[:shown], "; ".join(values[shown:])][: len(self.headers)]
        return values + self.empty[len(values) :]


class ContactSheet:
    """The headers and cells of a contacts sheet (as many e-mail and phone columns as
    the contact with the most of them needs, up to MAX_REPEATED_COLUMNS each)."""

    def __init__(self, emails: int, phones: int) -> None:
        self._emails = _Repeated(emails, "E-mail", "More e-mails")
        self._phones = _Repeated(phones, "Phone", "More phones")
        headers = ["ID", "Prefix", "First name", "Middle name", "Last name", "Suffix"]
        headers += ["Nickname", "Display name", *self._emails.headers, *self._phones.headers]
        headers += ["Company", "Title", "Department", "Role", "Street", "Postcode", "City"]
        headers += ["Region", "Country", "Birthday", "Anniversary", "Websites", "Lead source"]
        headers += ["Owner", "Tags", "Notes", "Created", "Updated"]
        self.headers = headers
        self._texts: dict[Any, str] = {None: ""}  # a time or date as written
        self._tags: dict[tuple[str, ...], str] = {}

    def rows(self, pages: Iterable[ContactPage]) -> Iterator[tuple[str, ...]]:
        """The rows of the sheet, in the pages' order."""
        return chain.from_iterable(zip(*self.columns(p), strict=True) for p in pages)

    def column_batches(self, pages: Iterable[ContactPage]) -> Iterator[list[Column]]:
        """The columns of each page, in order."""
        return (self.columns(page) for page in pages if page.rows)

    def columns(self, page: ContactPage) -> list[Column]:
        """The columns of one page (each as long as the page)."""
        if not page.rows:
            return [() for _ in self.headers]
        ids, firsts, lasts, birthdays, leads, owners, notes, created, updated, _ = zip(
            *page.rows, strict=True
        )
        blank: Column = ("",) * len(ids)
        lists = page.lists
        first_address, first_role = lists.addresses.first, lists.roles.first
        tags = list(map(lists.tags.get, ids))
        prefix, middle, suffix, nickname, formatted, job_title, department, role = (blank,) * 8
        anniversaries: Column = blank
        websites: Column = blank
        extras = page.extras
        if extras and not extras.keys().isdisjoint(ids):
            more = list(zip(*[extras.get(i) or _NO_EXTRAS for i in ids], strict=True))
            prefix, middle, suffix, nickname, formatted, job_title, department, role = more[1:9]
            anniversaries = self._texts_of(more[9])
            websites = [text.replace("\n", " ::: ") for text in more[10]]
        company: Column = blank
        title: Column = job_title
        if not first_role.keys().isdisjoint(ids):
            _, company_id, title, _ = zip(*map(first_role.get, ids, repeat(_NO_ROLE)), strict=True)
            company = list(map(lists.companies.get, company_id, repeat("")))
            if job_title is not blank:
                title = [t or job for t, job in zip(title, job_title, strict=True)]
        street = postcode = city = region = country = blank
        if not first_address.keys().isdisjoint(ids):
            first = map(first_address.get, ids, repeat(_NO_ADDRESS))
            _, street, city, region, postcode, country, _, _ = zip(*first, strict=True)
        return [
            ids, prefix, firsts, middle, lasts, suffix, nickname, formatted,
            *self._emails.columns(ids, lists.emails, blank),
            *self._phones.columns(ids, lists.phones, blank),
            company, title, department, role, street, postcode, city, region, country,
            self._texts_of(birthdays), anniversaries, websites, leads, owners,
            self._tag_texts(tags), notes, self._texts_of(created), self._texts_of(updated),
        ]  # fmt: skip

    def _texts_of(self, values: Sequence[Hashable]) -> Column:
        """Times (to the minute, UTC) or dates as written; each new value formatted once."""
        texts = self._texts
        for value in set(values).difference(texts):
            is_time = isinstance(value, dt.datetime) or (isinstance(value, str) and len(value) > 10)
            texts[value] = when(value) if is_time else day(value)  # type: ignore[arg-type]
        return list(map(texts.__getitem__, values))

    def _tag_texts(self, tags: Sequence[tuple[str, ...] | None]) -> Column:
        if not any(tags):
            return ("",) * len(tags)
        known = self._tags
        column = []
        for names in tags:
            if not names:
                column.append("")
                continue
            text = known.get(names)
            if text is None:
                text = known[names] = ", ".join(names)
            column.append(text)
        return column


def page_cards(page: ContactPage) -> Iterator[vcard.VCard]:
    """The vCards of a page of contacts, in its order."""
    lists, extras = page.lists, page.extras
    for cid, first, last, birthday, _lead, _owner, notes, _created, _updated, *_ in page.rows:
        more = extras.get(cid) or _NO_EXTRAS
        prefix, middle, suffix, nickname, formatted, job_title, department = more[1:8]
        role_name, anniversary, websites = more[8:11]
        emails, phones, addresses, roles = (
            lists.emails.of(cid), lists.phones.of(cid), lists.addresses.of(cid),
            lists.roles.of(cid),
        )  # fmt: skip
        tags = lists.tags.get(cid)
        _, company_id, title, _ = roles[0] if roles else _NO_ROLE
        company = lists.companies.get(company_id, "")
        built = " ".join(p for p in (prefix, first, middle, last, suffix) if p)
        yield vcard.VCard(
            uid=cid,
            formatted_name=formatted or built or display_name(first, ""),
            first_name=first,
            last_name=last,
            prefix=prefix,
            middle_name=middle,
            suffix=suffix,
            nickname=nickname,
            organization=company,
            other_organizations=tuple(lists.companies[r[1]] for r in roles[1:]) if roles else (),
            department=department,
            title=title or job_title,
            role=role_name,
            anniversary=date_of(anniversary),
            urls=tuple(u for u in websites.split("\n") if u),
            emails=tuple(EmailEntry(e[1], e[2]) for e in emails) if emails else (),
            phones=tuple(PhoneEntry(p[1], p[2]) for p in phones) if phones else (),
            addresses=tuple(AddressEntry(*a[1:7]) for a in addresses) if addresses else (),
            birthday=date_of(birthday),
            notes=notes,
            tags=tuple(tags) if tags else (),
        )
