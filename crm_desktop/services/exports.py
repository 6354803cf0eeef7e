"""Export contacts and companies to CSV, Excel (.xlsx) and vCard 4.0 (.vcf).

Sheets carry each record's id and readable names (company, owner, tags), so a sheet
edited in a spreadsheet re-imports as updates of the same records (see imports.py).
Formula-looking text is neutralised (see exchange/tabular.py). Files are written next to
their target and moved into place, so a failed export never leaves half a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.import_rows import YEARLESS
from crm_desktop.domain.records import AddressEntry, EmailEntry, PhoneEntry
from crm_desktop.domain.text import display_name
from crm_desktop.exchange import tabular, vcard
from crm_desktop.exchange.files import write_atomically as _write_atomically
from crm_desktop.services._common import UowFactory

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".vcf": "vcard", ".vcard": "vcard"}


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if value else ""


def _day(value: dt.date | None) -> str:
    if value is None:
        return ""
    if value.year == YEARLESS:
        return f"--{value.month:02d}-{value.day:02d}"
    return value.isoformat()


def _format(path: Path, allowed: Sequence[str]) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None or fmt not in allowed:
        names = ", ".join(e for e, f in FORMATS.items() if f in allowed and e != ".vcard")
        raise ValidationError(f"cannot export to {path.name}: use one of {names}")
    return fmt


class ExportService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def contacts(self, path: Path, ids: Sequence[str] | None = None) -> int:
        """Write contacts (all live ones, or these in this order) to .csv, .xlsx or .vcf;
        returns how many were written."""
        path = Path(path)
        fmt = _format(path, ("csv", "xlsx", "vcard"))
        records = self._contact_records(ids)
        if fmt == "vcard":
            cards = [_card(r) for r in records]
            _write_atomically(path, lambda s: s.writelines(vcard.write_cards(cards)))
            return len(cards)
        headers, rows = contact_sheet(records)
        self._sheet(path, fmt, headers, rows, "Contacts")
        return len(records)

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
        self._sheet(path, fmt, headers, rows, "Companies")
        return len(records)

    def _contact_records(self, ids: Sequence[str] | None) -> list[dict[str, Any]]:
        with self._uow.read() as uow:
            wanted = list(ids) if ids is not None else uow.exchange.contact_ids()
            found = uow.exchange.contacts(wanted)
        return [found[i] for i in wanted if i in found]

    @staticmethod
    def _sheet(path: Path, fmt: str, headers: list[str], rows: list[list[Any]], title: str) -> None:
        if fmt == "xlsx":
            _write_atomically(path, lambda s: tabular.write_xlsx(s, headers, rows, title))
        else:
            _write_atomically(path, lambda s: tabular.write_csv(s, headers, rows))


# A sheet has at most 16,384 columns (Excel): e-mails and phones past this many columns
# go, joined by "; ", into one "More e-mails" / "More phones" column.
MAX_REPEATED_COLUMNS = 50


def _repeated(
    records: Sequence[Mapping[str, Any]], key: str, name: str, more: str
) -> tuple[list[str], Callable[[Mapping[str, Any]], list[str]]]:
    """The columns of a repeated value (e-mails, phones) and the cells of one record."""
    most = max((len(r[key]) for r in records), default=1) or 1
    shown = min(most, MAX_REPEATED_COLUMNS)
    headers = [name if n == 1 else f"{name} {n}" for n in range(1, shown + 1)]
    if most > shown:
        headers.append(more)

    def cells(r: Mapping[str, Any]) -> list[str]:
        values = [entry[0] for entry in r[key]]
        row = values[:shown] + [""] * (shown - min(len(values), shown))
        if most > shown:
            row.append("; ".join(values[shown:]))
        return row

    return headers, cells


def contact_sheet(records: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of a contacts sheet (as many e-mail and phone columns as the
    contact with the most of them needs, up to MAX_REPEATED_COLUMNS each)."""
    email_headers, email_cells = _repeated(records, "emails", "E-mail", "More e-mails")
    phone_headers, phone_cells = _repeated(records, "phones", "Phone", "More phones")
    headers = ["ID", "Prefix", "First name", "Middle name", "Last name", "Suffix", "Nickname"]
    headers += ["Display name", *email_headers, *phone_headers]
    headers += ["Company", "Title", "Department", "Role", "Street", "Postcode", "City", "Region"]
    headers += ["Country", "Birthday", "Anniversary", "Websites", "Lead source", "Owner", "Tags"]
    headers += ["Notes", "Created", "Updated"]
    rows: list[list[Any]] = []
    for r in records:
        address = r["addresses"][0] if r["addresses"] else ("", "", "", "", "", "")
        role = r["roles"][0] if r["roles"] else ("", "", "")
        row: list[Any] = [r["id"], r["prefix"], r["first_name"], r["middle_name"]]
        row += [r["last_name"], r["suffix"], r["nickname"], r["formatted_name"]]
        row += email_cells(r) + phone_cells(r)
        street, city, region, postcode, country, _label = address
        row += [role[2], role[1] or r["job_title"], r["department"], r["role"]]
        row += [street, postcode, city, region, country, _day(r["birthday"])]
        row += [_day(r["anniversary"]), " ::: ".join(r["websites"].split("\n") if r["websites"]
                else [])]  # fmt: skip
        row += [r["lead_source"], r["owner_name"], ", ".join(r["tags"])]
        row += [r["notes"], _when(r["created_at"]), _when(r["updated_at"])]
        rows.append(row)
    return headers, rows


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


def _card(r: Mapping[str, Any]) -> vcard.VCard:
    role = r["roles"][0] if r["roles"] else None
    built = " ".join(
        p for p in (r["prefix"], r["first_name"], r["middle_name"], r["last_name"], r["suffix"])
        if p
    )  # fmt: skip
    return vcard.VCard(
        uid=r["id"],
        formatted_name=r["formatted_name"] or built or display_name(r["first_name"], ""),
        first_name=r["first_name"],
        last_name=r["last_name"],
        prefix=r["prefix"],
        middle_name=r["middle_name"],
        suffix=r["suffix"],
        nickname=r["nickname"],
        organization=role[2] if role else "",
        other_organizations=tuple(other[2] for other in r["roles"][1:]),
        department=r["department"],
        title=(role[1] if role else "") or r["job_title"],
        role=r["role"],
        anniversary=r["anniversary"],
        urls=tuple(u for u in r["websites"].split("\n") if u),
        emails=tuple(EmailEntry(e, label) for e, label in r["emails"]),
        phones=tuple(PhoneEntry(n, label) for n, label in r["phones"]),
        addresses=tuple(AddressEntry(*a) for a in r["addresses"]),
        birthday=r["birthday"],
        notes=r["notes"],
        tags=tuple(r["tags"]),
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
