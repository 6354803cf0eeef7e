"""Export contacts and companies to CSV, Excel (.xlsx) and vCard 4.0 (.vcf).

Sheets carry each record's id and readable names (company, owner, tags), so a sheet
edited in a spreadsheet re-imports as updates of the same records (see imports.py).
Formula-looking text is neutralised (see exchange/tabular.py). Files are written next to
their target and moved into place, so a failed export never leaves half a file.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from crm_desktop.domain.errors import CrmError, ValidationError
from crm_desktop.domain.records import AddressEntry, EmailEntry, PhoneEntry
from crm_desktop.domain.text import display_name
from crm_desktop.exchange import tabular, vcard
from crm_desktop.persistence.exchange_queries import ContactPage
from crm_desktop.services._common import UowFactory
from crm_desktop.services.import_rows import YEARLESS

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".vcf": "vcard", ".vcard": "vcard"}


def _when(value: dt.datetime | str | None) -> str:
    """A time to the minute in UTC; given as SQLite stores it (UTC text), or a datetime."""
    if not value:
        return ""
    if isinstance(value, str):
        return value[:16]
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


def _day(value: dt.date | str | None) -> str:
    """A birthday in ISO 8601, without the year if it has none (--MM-DD)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if value.year == YEARLESS:
        return f"--{value.month:02d}-{value.day:02d}"
    return value.isoformat()


def _date(value: dt.date | str | None) -> dt.date | None:
    if not value or isinstance(value, dt.date):
        return value or None
    return dt.date.fromisoformat(value[:10])


def _format(path: Path, allowed: Sequence[str]) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None or fmt not in allowed:
        names = ", ".join(e for e, f in FORMATS.items() if f in allowed and e != ".vcard")
        raise ValidationError(f"cannot export to {path.name}: use one of {names}")
    return fmt


def _write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CrmError(f"cannot write {path}: no folder {folder}")
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise CrmError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class ExportService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def contacts(self, path: Path, ids: Sequence[str] | None = None) -> int:
        """Write contacts (all live ones, or these in this order) to .csv, .xlsx or .vcf;
        returns how many were written. Read page by page and written as they come."""
        path = Path(path)
        fmt = _format(path, ("csv", "xlsx", "vcard"))
        wanted = list(ids) if ids is not None else None
        with self._uow.read() as uow:
            widths, pages = uow.exchange.contact_export(wanted)
            if fmt == "vcard":
                written = [0]

                def write_cards(stream: IO[bytes]) -> None:
                    for page in pages:
                        stream.writelines(vcard.write_cards(_page_cards(page)))
                        written[0] += len(page.rows)

                _write_atomically(path, write_cards)
                return written[0]
            sheet = ContactSheet(*widths)
            return self._sheet(path, fmt, sheet.headers, sheet.rows(pages), "Contacts")

    def companies(self, path: Path, ids: Sequence[str] | None = None) -> int:
        """Write companies (all live ones, or these) to .csv, .xlsx or .vcf (KIND:org)."""
        path = Path(path)
        fmt = _format(path, ("csv", "xlsx", "vcard"))
        with self._uow.read() as uow:
            wanted = list(ids) if ids is not None else uow.exchange.company_ids()
            found = uow.exchange.companies(wanted)
        records = [found[i] for i in wanted if i in found]
        if fmt == "vcard":
            cards = [_company_card(r) for r in records]
            _write_atomically(path, lambda s: s.writelines(vcard.write_cards(cards)))
            return len(cards)
        headers, rows = company_sheet(records)
        return self._sheet(path, fmt, headers, rows, "Companies")

    @staticmethod
    def _sheet(
        path: Path, fmt: str, headers: list[str], rows: Iterable[Sequence[Any]], title: str
    ) -> int:
        written = [0]

        def write(stream: IO[bytes]) -> None:
            if fmt == "xlsx":
                written[0] = tabular.write_xlsx(stream, headers, rows, title)
            else:
                written[0] = tabular.write_csv(stream, headers, rows)

        _write_atomically(path, write)
        return written[0]


class ContactSheet:
    """The rows of a contacts sheet, made page by page (as many e-mail and phone columns
    as the contact with the most of them needs). Every cell is text; a value many rows
    share (a time, an owner, a tag list) is formatted once."""

    def __init__(self, emails: int, phones: int) -> None:
        self.emails, self.phones = max(emails, 1), max(phones, 1)
        headers = ["ID", "First name", "Last name"]
        headers += ["E-mail" if n == 1 else f"E-mail {n}" for n in range(1, self.emails + 1)]
        headers += ["Phone" if n == 1 else f"Phone {n}" for n in range(1, self.phones + 1)]
        headers += ["Company", "Title", "Street", "Postcode", "City", "Region", "Country"]
        headers += ["Birthday", "Lead source", "Owner", "Tags", "Notes", "Created", "Updated"]
        self.headers = headers
        self._times: dict[Any, str] = {}
        self._days: dict[Any, str] = {}
        self._tags: dict[tuple[str, ...], str] = {}

    def rows(self, pages: Iterable[ContactPage]) -> Iterator[list[str]]:
        no_emails, no_phones = [""] * self.emails, [""] * self.phones
        no_address, no_role = ("", "", "", "", "", ""), ("", "", "")
        when, day = self._when, self._day
        for page in pages:
            emails, phones, addresses = page.emails, page.phones, page.addresses
            roles, tags = page.roles, page.tags
            for cid, first, last, birthday, lead, owner, notes, created, updated, _ in page.rows:
                row = [cid, first, last]
                found = emails.get(cid)
                if found is None:
                    row += no_emails
                else:
                    row += [e[0] for e in found]
                    row += no_emails[len(found) :]
                found = phones.get(cid)
                if found is None:
                    row += no_phones
                else:
                    row += [p[0] for p in found]
                    row += no_phones[len(found) :]
                address = addresses[cid][0] if cid in addresses else no_address
                role = roles[cid][0] if cid in roles else no_role
                street, city, region, postcode, country, _label = address
                row += [role[2], role[1], street, postcode, city, region, country]
                names = tags.get(cid)
                row += [day(birthday), lead, owner, self._tag_text(names) if names else ""]
                row += [notes, when(created), when(updated)]
                yield row

    def _when(self, value: dt.datetime | str | None) -> str:
        text = self._times.get(value)
        if text is None:
            text = self._times[value] = _when(value)
        return text

    def _day(self, value: dt.date | str | None) -> str:
        text = self._days.get(value)
        if text is None:
            text = self._days[value] = _day(value)
        return text

    def _tag_text(self, names: list[str]) -> str:
        key = tuple(names)
        text = self._tags.get(key)
        if text is None:
            text = self._tags[key] = ", ".join(names)
        return text


def company_sheet(records: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of a companies sheet."""
    headers = ["ID", "Name", "Domain", "Industry", "Phone", "E-mail", "Website", "Street"]
    headers += ["Postcode", "City", "Region", "Country", "Lead source", "Owner", "Tags"]
    headers += ["Notes", "People", "Created", "Updated"]
    rows = [
        [
            r["id"], r["name"], r["domain"], r["industry"], r["phone"], r["email"],
            r["website"], r["street"], r["postcode"], r["city"], r["region"], r["country"],
            r["lead_source"], r["owner_name"], ", ".join(r["tags"]), r["notes"], r["people"],
            _when(r["created_at"]), _when(r["updated_at"]),
        ]
        for r in records
    ]  # fmt: skip
    return headers, rows


def _page_cards(page: ContactPage) -> Iterator[vcard.VCard]:
    """The vCards of a page of contacts, in its order."""
    no_list: list[tuple[Any, ...]] = []
    for cid, first, last, birthday, _lead, _owner, notes, _created, _updated, _ in page.rows:
        roles = page.roles.get(cid)
        role = roles[0] if roles else None
        yield vcard.VCard(
            uid=cid,
            formatted_name=display_name(first, last),
            first_name=first,
            last_name=last,
            organization=role[2] if role else "",
            title=role[1] if role else "",
            emails=tuple(EmailEntry(e, label) for e, label in page.emails.get(cid, no_list)),
            phones=tuple(PhoneEntry(n, label) for n, label in page.phones.get(cid, no_list)),
            addresses=tuple(AddressEntry(*a) for a in page.addresses.get(cid, no_list)),
            birthday=_date(birthday),
            notes=notes,
            tags=tuple(page.tags.get(cid, ())),
        )


def _company_card(r: Mapping[str, Any]) -> vcard.VCard:
    address = AddressEntry(r["street"], r["city"], r["region"], r["postcode"], r["country"])
    return vcard.VCard(
        uid=r["id"],
        kind="org",
        formatted_name=r["name"],
        organization=r["name"],
        emails=(EmailEntry(r["email"]),) if r["email"] else (),
        phones=(PhoneEntry(r["phone"]),) if r["phone"] else (),
        addresses=(address,) if address.one_line() else (),
        notes=r["notes"],
        tags=tuple(r["tags"]),
        urls=(r["website"],) if r["website"] else (),
    )
