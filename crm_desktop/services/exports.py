"""Export contacts and companies to CSV, Excel (.xlsx) and vCard 4.0 (.vcf).

Sheets carry each record's id and readable names (company, owner, tags), so a sheet
edited in a spreadsheet re-imports as updates of the same records (see imports.py).
Formula-looking text is neutralised (see exchange/tabular.py). Files are written next to
their target and moved into place, so a failed export never leaves half a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import AddressEntry, EmailEntry, PhoneEntry
from crm_desktop.exchange import tabular, vcard
from crm_desktop.exchange.files import write_atomically as _write_atomically
from crm_desktop.persistence.bulk import collector_paused
from crm_desktop.persistence.contact_export import ContactPage
from crm_desktop.services._common import UowFactory
from crm_desktop.services._contact_sheet import (
    MAX_REPEATED_COLUMNS,
    ContactSheet,
    page_cards,
    when,
)

__all__ = ["FORMATS", "MAX_REPEATED_COLUMNS", "ExportService", "company_sheet"]

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".vcf": "vcard", ".vcard": "vcard"}


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
        returns how many were written. Read page by page and written as they come."""
        path = Path(path)
        fmt = _format(path, ("csv", "xlsx", "vcard"))
        wanted = list(ids) if ids is not None else None
        with self._uow.read() as uow, collector_paused():
            widths, pages = uow.exchange.contact_export(wanted)
            if fmt == "vcard":
                return _write_cards(path, pages)
            sheet = ContactSheet(*widths)
            if fmt == "xlsx":
                return self._sheet(path, fmt, sheet.headers, sheet.rows(pages), "Contacts")
            written = [0]

            def write(stream: IO[bytes]) -> None:
                batches = sheet.column_batches(pages)
                written[0] = tabular.write_csv_columns(stream, sheet.headers, batches)

            _write_atomically(path, write)
            return written[0]

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


def _write_cards(path: Path, pages: Iterable[ContactPage]) -> int:
    written = [0]

    def write(stream: IO[bytes]) -> None:
        for page in pages:
            stream.writelines(vcard.write_cards(page_cards(page)))
            written[0] += len(page.rows)

    _write_atomically(path, write)
    return written[0]


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
            when(r["created_at"]), when(r["updated_at"]),
        ]
        for r in records
    ]  # fmt: skip
    return headers, rows


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
