"""The bytes of an export stay what they were: a small database with the awkward cases
(several e-mails, none, a deleted one, formulas, a year-less birthday, a contact in the
Trash, two companies, tags in mixed case, notes over lines) exported to CSV, vCard and
Excel and compared with reference files made by the record-by-record export this one
replaced. Ids and times differ from run to run: both sides have them replaced by
placeholders in order of appearance.

Regenerate the references (only when a change of the format is meant):
    uv run python -m tests.integration.test_export_reference
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import openpyxl

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.records import (
    AddressEntry,
    CompanyDraft,
    ContactDraft,
    EmailEntry,
    PhoneEntry,
    RoleEntry,
)
from crm_desktop.exchange.vcard import YEARLESS

DATA = Path(__file__).parent / "data"
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


def build(app: AppContext) -> list[str]:
    """The contacts of the reference database; returns their ids in creation order."""
    olga = app.users.create("Olga Owner").id
    kiefer = app.companies.create(CompanyDraft(name="Kiefer & Co")).id
    nord = app.companies.create(CompanyDraft(name="=Nordwind; GmbH")).id
    people = [
        ContactDraft(
            first_name="Anna",
            last_name="Arnold",
            emails=(
                EmailEntry("anna@example.com"),
                EmailEntry("a@x.org", "home"),
                EmailEntry("third@x.org", "other"),
            ),
            phones=(PhoneEntry("+49 30 5550", "mobile"), PhoneEntry("-12", "work")),
            roles=(RoleEntry(kiefer, "Buyer"), RoleEntry(nord, "Advisor")),
            addresses=(
                AddressEntry("Weg 1", "Köln", "NRW", "50667", "DE", "work"),
                AddressEntry("Second 2", "Bonn", "", "53111", "DE", "home"),
            ),
            birthday=dt.date(1980, 1, 2),
            owner_id=olga,
            tags=("vip", "Kunde", "alpha"),
            notes="first line\nsecond line; with, commas",
            lead_source="Fair",
        ),
        ContactDraft(first_name="Bernd", last_name="Böhm"),
        ContactDraft(
            first_name='=HYPERLINK("http://evil.example","x")',
            last_name="@SUM(A1:A9)",
            phones=(PhoneEntry("+49 30 1234567"),),
            notes="-2+3+cmd|' /C calc'!A0",
            lead_source="'=already quoted",
            birthday=dt.date(YEARLESS, 5, 17),
        ),
        ContactDraft(
            first_name="Çem",
            last_name="Çelik",
            emails=(EmailEntry("cem@example.com"),),
            roles=(RoleEntry(nord, ""),),
            tags=("Kunde",),
            notes=("Ein sehr langer Text über Müller, Söhne; und Töchter " * 4).strip(),
        ),
        ContactDraft(first_name="Dora", last_name="", emails=(EmailEntry("dora@x.org"),)),
        ContactDraft(first_name="", last_name="Eklund", phones=(PhoneEntry("0221 12"),)),
        ContactDraft(first_name="Gone", last_name="Away", emails=(EmailEntry("g@x.org"),)),
        ContactDraft(
            first_name="Fritz",
            last_name="Arnold",
            emails=(EmailEntry("fritz@x.org"), EmailEntry("dropped@x.org")),
            owner_id=olga,
            tags=("alpha",),
        ),
    ]
    ids = [app.contacts.create(d).id for d in people]
    fritz = app.contacts.get(ids[7]).to_draft()
    app.contacts.update(ids[7], fritz.__class__(**{**fritz.__dict__, "emails": fritz.emails[:1]}))
    app.contacts.delete([ids[6]])
    return ids


def normalise(text: str) -> str:
    """Ids as #1, #2 ... in order of appearance; times as <time>."""
    seen: dict[str, str] = {}

    def one(match: re.Match[str]) -> str:
        key = match.group().replace("-", "")
        return seen.setdefault(key, f"#{len(seen) + 1}")

    return _TIME.sub("<time>", _UUID.sub(one, text))


def exports(app: AppContext, folder: Path, ids: list[str]) -> dict[str, str]:
    """The normalised exports of the reference database, by reference file name."""
    found: dict[str, str] = {}
    subset = [ids[5], ids[0], ids[6], ids[2]]  # an explicit order, one in the Trash
    for name, chosen in (("export_reference", None), ("export_reference_subset", subset)):
        for ext in ("csv", "vcf", "xlsx"):
            target = folder / f"{name}.{ext}"
            app.exports.contacts(target, chosen)
            if ext == "xlsx":
                sheet = openpyxl.load_workbook(target).active
                rows = [[c.value for c in row] for row in sheet.iter_rows()]
                text = json.dumps(rows, ensure_ascii=False, indent=0)
            else:
                text = target.read_bytes().decode("utf-8")
            found[f"{name}.{ext}" + (".json" if ext == "xlsx" else "")] = normalise(text)
    target = folder / "companies.csv"
    app.exports.companies(target)
    found["export_reference_companies.csv"] = normalise(target.read_bytes().decode("utf-8"))
    return found


def test_exports_are_byte_for_byte_the_references(app: AppContext, tmp_path: Path) -> None:
    ids = build(app)
    for name, text in exports(app, tmp_path, ids).items():
        expected = (DATA / name).read_bytes().decode("utf-8")
        assert text == expected, name


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        context = open_app(Path(tmp) / "data")
        made = exports(context, Path(tmp), build(context))
        context.close()
    for file_name, content in made.items():
        (DATA / file_name).write_bytes(content.encode("utf-8"))
        print("wrote", file_name, file=sys.stderr)
