"""The bytes of an export stay what they were: a small database with the awkward cases
(several e-mails, phones, addresses and companies of one contact, each typed or not, none
at all, a deleted e-mail, formulas in every kind of field, every name part, department,
role, anniversary and websites, a year-less birthday, a contact in the Trash, contacts of
one name, tags in mixed case, notes over lines, custom field values) exported to CSV,
vCard and Excel and compared with reference files made by the record-by-record export
that the streamed one replaced. Ids and times differ from run to run: both sides have them
replaced by placeholders in order of appearance.

The same exports read in pages of two contacts (chosen ones too) give the same bytes:
ties of name across a page boundary, pages of contacts without any e-mail.

Regenerate the references (only when a change of the format is meant):
    uv run python -m tests.integration.services.test_export_reference
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

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
from crm_desktop.persistence import contact_export

DATA = Path(__file__).parents[1] / "data"
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


def _people(olga: str, kiefer: str, nord: str) -> list[ContactDraft]:
    return [
        ContactDraft(
            first_name="Anna",
            last_name="Arnold",
            prefix="Dr.",
            middle_name="Maria",
            suffix="PhD",
            nickname="Anni",
            formatted_name="Dr. Anna M. Arnold, PhD",
            department="Einkauf; Zentrale",
            role="Entscheiderin",
            anniversary=dt.date(2005, 6, 30),
            websites=("https://anna.example", "https://blog.anna.example/a,b"),
            emails=(
                EmailEntry("anna@example.com", "work"),
                EmailEntry("a@x.org", "home"),
                EmailEntry("third@x.org", "other"),
                EmailEntry("untyped@x.org", ""),
            ),
            phones=(
                PhoneEntry("+49 30 5550", "mobile"),
                PhoneEntry("-12", "work"),
                PhoneEntry("+49 30 5551", "fax"),
            ),
            roles=(RoleEntry(kiefer, "Buyer"), RoleEntry(nord, "Advisor")),
            addresses=(
                AddressEntry("Weg 1", "Köln", "NRW", "50667", "DE", "work"),
                AddressEntry("Second 2", "Bonn", "", "53111", "DE", "home"),
                AddressEntry("PO Box 3", "", "", "", "", ""),
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
            nickname="+cmd",
            department="=1+1",
            role="-2+3",
            websites=("=evil",),
            phones=(PhoneEntry("+49 30 1234567"),),
            addresses=(AddressEntry("=Street", "@City", "", "-1", "+DE", "work"),),
            notes="-2+3+cmd|' /C calc'!A0",
            lead_source="'=already quoted",
            birthday=dt.date(YEARLESS, 5, 17),
            anniversary=dt.date(YEARLESS, 2, 29),
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
        ContactDraft(
            first_name="",
            last_name="Eklund",
            job_title="Consultant",
            phones=(PhoneEntry("0221 12"),),
        ),
        ContactDraft(first_name="Gone", last_name="Away", emails=(EmailEntry("g@x.org"),)),
        ContactDraft(
            first_name="Fritz",
            last_name="Arnold",
            emails=(EmailEntry("fritz@x.org"), EmailEntry("dropped@x.org")),
            owner_id=olga,
            tags=("alpha",),
        ),
        # Three of one name: in pages of two, a tie of names straddles a page boundary.
        ContactDraft(first_name="Sam", last_name="Same", emails=(EmailEntry("s1@x.org"),)),
        ContactDraft(first_name="Sam", last_name="Same", tags=("beta",)),
        ContactDraft(
            first_name="Sam",
            last_name="Same",
            phones=(PhoneEntry("0221 13", "home"), PhoneEntry("0221 14", "")),
            roles=(RoleEntry(kiefer, "Second"),),
        ),
    ]


def build(app: AppContext) -> list[str]:
    """The contacts of the reference database; returns their ids in creation order."""
    olga = app.users.create("Olga Owner").id
    kiefer = app.companies.create(CompanyDraft(name="Kiefer & Co", tags=("Partner",))).id
    nord = app.companies.create(CompanyDraft(name="=Nordwind; GmbH")).id
    field = app.custom_fields.define("contact", "Shoe size").id
    people = _people(olga, kiefer, nord)
    people[0] = replace(people[0], custom=((field, "42"),))
    ids = [app.contacts.create(d).id for d in people]
    fritz = app.contacts.get(ids[7]).to_draft()
    app.contacts.update(ids[7], replace(fritz, emails=fritz.emails[:1]))
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
    subset = [ids[5], ids[0], ids[6], ids[2], ids[9], ids[1]]  # an order of its own, one deleted
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


def _compare(made: dict[str, str]) -> None:
    for name, text in made.items():
        expected = (DATA / name).read_bytes().decode("utf-8")
        assert text == expected, name


def test_exports_are_byte_for_byte_the_references(app: AppContext, tmp_path: Path) -> None:
    _compare(exports(app, tmp_path, build(app)))


def test_exports_read_in_small_pages_are_the_same(
    app: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = build(app)
    monkeypatch.setattr(contact_export, "PAGE", 2)
    monkeypatch.setattr(contact_export, "IDS", 2)
    _compare(exports(app, tmp_path, ids))


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        context = open_app(Path(tmp) / "data")
        made = exports(context, Path(tmp), build(context))
        context.close()
    for file_name, content in made.items():
        (DATA / file_name).write_bytes(content.encode("utf-8"))
        print("wrote", file_name, file=sys.stderr)
