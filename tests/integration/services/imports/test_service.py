"""Import and export of contacts and companies against a real database: files shaped like
the exports of Google Contacts, Outlook, Apple Contacts and Thunderbird, broken ones, the
round trip through a spreadsheet, formulas, undo and dry runs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import vobject

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import (
    AddressEntry,
    CompanyDraft,
    ContactDraft,
    ContactRecord,
    EmailEntry,
    ListQuery,
    PhoneEntry,
    RoleEntry,
    Trash,
)
from crm_desktop.exchange import tabular, vcard
from crm_desktop.services.imports import ImportCancelled, write
from crm_desktop.services.imports import service as imports_service

DATA = Path(__file__).parents[2] / "data"


def by_email(app: AppContext, email: str) -> ContactRecord:
    for contact_id in app.contacts.ids(ListQuery()):
        record = app.contacts.get(contact_id)
        if any(e.email.casefold() == email.casefold() for e in record.emails):
            return record
    raise AssertionError(f"no contact with {email}")


def live_contacts(app: AppContext) -> int:
    return app.contacts.count(ListQuery())


def company_names(app: AppContext) -> list[str]:
    return sorted(name for _, name in app.companies.names())


# ---- files from other programs ------------------------------------------------------------


def test_google_contacts_csv(app: AppContext) -> None:
    preview = app.imports.preview(DATA / "google_contacts.csv")
    assert (preview.format, preview.preset, preview.encoding, preview.delimiter) == (
        "csv",
        "google",
        "utf-8",
        ",",
    )
    assert preview.mapping["E-mail 1 - Value"] == "email"
    assert preview.mapping["Organization Name"] == "company"
    assert [r.line for r in preview.rows] == [2, 6, 7, 8]  # row 2's address spans 3 lines

    result = app.imports.run(DATA / "google_contacts.csv")

    assert (result.created, result.errors) == (4, ())  # 3 people and a company-only entry
    anna = by_email(app, "anna.schmidt@nordwind.example")
    assert (anna.first_name, anna.middle_name, anna.last_name) == ("Anna", "Maria", "Schmidt")
    assert anna.emails == (
        EmailEntry("anna.schmidt@nordwind.example", "work"),
        EmailEntry("anni@mail.example", "home"),
    )
    assert anna.phones == (
        PhoneEntry("+49 171 5550101", "mobile"),
        PhoneEntry("+49 40 5550100", "work"),
    )
    assert anna.roles[0].company_name == "Nordwind GmbH" and anna.roles[0].title == (
        "Einkaufsleiterin"
    )
    assert anna.addresses == (
        AddressEntry("Am Kai 3", "Hamburg", "", "20457", "Deutschland", "work"),
    )
    assert anna.birthday == dt.date(1984, 7, 9)
    assert anna.notes == "Met at Hannover Messe.\nPrefers e-mail."
    assert anna.tags == ("Kunden",)  # Google's own groups ("* myContacts") left out
    jose = by_email(app, "jose@cortes.example")
    assert [e.email for e in jose.emails] == ["jose@cortes.example", "jnunez@cortes.example"]
    assert (jose.birthday.month, jose.birthday.day) == (5, 17)  # type: ignore[union-attr]
    assert company_names(app) == ["Cortés & Hijos S.L.", "Nordwind GmbH", "Only A Company Name"]


def test_google_contacts_older_columns(app: AppContext) -> None:
    result = app.imports.run(DATA / "google_contacts_legacy.csv")
    assert (result.created, result.errors) == (2, ())
    peter = by_email(app, "peter.becker@acme.example")
    assert (peter.first_name, peter.last_name, peter.tags) == ("Peter", "Becker", ("VIP",))
    assert peter.phones == (PhoneEntry("0171 5550199", "mobile"),)
    assert peter.roles[0].company_name == "ACME AG" and peter.roles[0].title == "Vertrieb"
    assert by_email(app, "greta@lind.example").emails[0].label == "home"


def test_outlook_from_a_german_windows_cp1252_with_semicolons(app: AppContext) -> None:
    preview = app.imports.preview(DATA / "outlook_de.csv")
    assert (preview.preset, preview.encoding, preview.delimiter) == ("outlook", "cp1252", ";")
    assert preview.mapping["Anrede"] == "prefix"  # a salutation (Herr, Frau), not a job title

    result = app.imports.run(DATA / "outlook_de.csv")

    assert (result.created, result.errors) == (3, ())
    juergen = by_email(app, "j.mueller@mueller-soehne.example")
    assert (juergen.first_name, juergen.last_name) == ("Jürgen", "Müller")
    assert juergen.roles[0].company_name == "Müller & Söhne GmbH"
    assert juergen.roles[0].title == "Geschäftsführer"
    assert juergen.birthday == dt.date(1968, 5, 17)
    assert juergen.phones == (
        PhoneEntry("0211 5550123", "work"),
        PhoneEntry("0171 5550123", "mobile"),
    )
    assert juergen.addresses[0] == AddressEntry(
        "Königsallee 12", "Düsseldorf", "", "40212", "Deutschland", "work"
    )
    assert juergen.tags == ("Kunden", "Messe")
    assert juergen.notes == "Rückruf erwünscht.\nAm liebsten vormittags."
    zoe = by_email(app, "zoe.weiss@strassenbau.example")
    assert (zoe.last_name, zoe.birthday) == ("Weiß", None)  # "0.0.00" is no birthday
    assert zoe.phones == (PhoneEntry("+49 89 5550456", "home"),)


def test_apple_contacts_vcard_3(app: AppContext) -> None:
    result = app.imports.run(DATA / "apple_contacts.vcf")

    assert (result.created, result.errors, result.warnings) == (3, (), ())
    camille = by_email(app, "camille@atelier-lumiere.example")
    assert (camille.first_name, camille.last_name) == ("Camille", "Lefèvre")
    assert camille.emails[1] == EmailEntry("camille.lefevre@mail.example", "home")
    assert camille.phones[0] == PhoneEntry("+33 6 12 34 56 78", "mobile")
    assert camille.roles[0].company_name == "Atelier Lumière SARL"
    assert camille.roles[0].title == "Directrice artistique"
    assert camille.notes == (
        "Rencontrée au salon Maison&Objet, janvier.\n"
        "Préfère les appels le matin; jamais le vendredi."
    )
    assert (camille.birthday.month, camille.birthday.day) == (3, 21)  # type: ignore[union-attr]
    assert camille.tags == ("Clients", "Paris")
    # The company card became the company the person works at (one per name).
    company_id = camille.roles[0].company_id
    company = app.companies.get(company_id)
    assert (company.phone, company.website) == (
        "+33 1 44 55 66 00",
        "https://atelier-lumiere.example",
    )
    assert company_names(app) == ["Atelier Lumière SARL"]
    assert by_email(app, "yuki.tanaka@kaisha.example").birthday == dt.date(1990, 12, 1)


def test_thunderbird_csv_then_its_vcard_finds_the_same_people(app: AppContext) -> None:
    result = app.imports.run(DATA / "thunderbird.csv")
    assert (result.created, result.errors) == (2, ())
    jane = by_email(app, "jane@example.org")
    assert jane.birthday == dt.date(1988, 4, 22)
    assert [p.label for p in jane.phones] == ["work", "mobile"]
    assert jane.addresses == (
        AddressEntry("1 High Street", "London", "", "SW1A 1AA", "United Kingdom", "home"),
    )
    assert jane.roles[0].company_name == "Example Ltd."

    again = app.imports.run(DATA / "thunderbird.vcf")

    assert (again.created, again.skipped) == (0, 2)
    assert live_contacts(app) == 2


def test_thunderbird_vcard_4(app: AppContext) -> None:
    result = app.imports.run(DATA / "thunderbird.vcf")
    assert result.created == 2
    emile = by_email(app, "emile@zola.example")
    assert (emile.first_name, (emile.birthday.month, emile.birthday.day)) == ("Émile", (4, 2))  # type: ignore[union-attr]
    jane = by_email(app, "jane@example.org")
    assert jane.notes == "Line one\nLine two, with comma"
    assert [e.email for e in jane.emails] == ["jane@example.org", "jane.doe@work.example"]


def test_excel_unicode_text_is_utf16_with_tabs(app: AppContext) -> None:
    preview = app.imports.preview(DATA / "utf16.txt")
    assert (preview.encoding, preview.delimiter) == ("utf-16-le", "\t")
    result = app.imports.run(DATA / "utf16.txt")
    assert result.created == 2
    assert by_email(app, "ayse@example.com.tr").last_name == "Yılmaz"
    assert "İstanbul Ticaret" in company_names(app)


def test_utf16_big_endian_and_utf8_with_bom(tmp_path: Path) -> None:
    text = "Vorname;Nachname\r\nJürgen;Groß\r\n"
    for raw, encoding in (
        (b"\xfe\xff" + text.encode("utf-16-be"), "utf-16-be"),
        (b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8-sig"),
        (text.encode("cp1252"), "cp1252"),
    ):
        sheet = tabular.read_csv(raw)
        assert (sheet.encoding, sheet.delimiter) == (encoding, ";")
        assert sheet.headers == ("Vorname", "Nachname")
        assert sheet.rows == [tabular.Row(2, ["Jürgen", "Groß"])]


def test_delimiters_quotes_and_line_numbers() -> None:
    raw = b'Name|Notes|E-mail\n"Smith, Anna"|"two\nlines"|a@example.com\n\nBob|x|b@example.com\n'
    sheet = tabular.read_csv(raw)
    assert sheet.delimiter == "|"
    assert sheet.rows == [
        tabular.Row(2, ["Smith, Anna", "two\nlines", "a@example.com"]),
        tabular.Row(5, ["Bob", "x", "b@example.com"]),
    ]
    excel_hint = tabular.read_csv(b"sep=;\nA;B\n1;2\n")
    assert (excel_hint.delimiter, excel_hint.rows) == (";", [tabular.Row(3, ["1", "2"])])


def test_xlsx_workbook(app: AppContext) -> None:
    result = app.imports.run(DATA / "kontakte.xlsx")
    assert (result.created, result.errors) == (3, ())  # the bad address left out, Nina kept
    assert (5, "e-mail 'nina.vogel@example' is not an e-mail address; left out") in (
        result.warnings
    )
    heike = by_email(app, "heike.brandt@example.de")
    assert heike.birthday == dt.date(1971, 8, 30)  # a date cell
    assert heike.phones[0].number == "4930555123"  # a number cell, without ".0"
    assert company_names(app) == ["Brandt KG"]  # one company for both rows


def test_a_sheet_of_companies(app: AppContext) -> None:
    preview = app.imports.preview(DATA / "companies.csv")
    assert preview.kind == "companies" and preview.mapping["Company"] == "name"
    result = app.imports.run(DATA / "companies.csv")
    assert (result.kind, result.created, result.skipped) == ("companies", 2, 1)
    assert company_names(app) == ["Atelier Lumière SARL", "Nordwind GmbH"]
    updated = app.imports.run(DATA / "companies.csv", on_duplicate="update")
    assert (updated.created, updated.updated) == (0, 0)  # nothing new in the file


# ---- broken files ----------------------------------------------------------------------------


def test_a_malformed_card_in_the_middle(app: AppContext) -> None:
    result = app.imports.run(DATA / "broken.vcf")
    assert result.created == 3  # Bert kept without the line that is no property
    assert {c.last_name for c in map(app.contacts.get, app.contacts.ids(ListQuery()))} == {
        "Early",
        "Broken",
        "Late",
    }
    assert [line for line, _ in result.errors] == [14]
    assert "no END:VCARD" in result.errors[0][1]
    assert any(
        line == 11 and "line 11 is not a vCard property" in text for line, text in result.warnings
    )


def test_bad_rows_are_reported_and_the_good_ones_import(app: AppContext) -> None:
    result = app.imports.run(DATA / "bad_rows.csv")
    assert result.created == 4  # a bad value is left out, its row kept
    assert result.errors == ((4, "no name and no e-mail address"),)
    assert result.warnings == (
        (3, "e-mail 'bad mail@example' is not an e-mail address; left out"),
        (5, "birthday left out: not a date: '31.02.1990'"),
    )
    assert by_email(app, "good.one@example.com").birthday == dt.date(1990, 1, 2)


def test_a_stray_cp1252_byte_in_utf8_is_read_and_reported(app: AppContext) -> None:
    result = app.imports.run(DATA / "stray_byte.csv")
    assert (result.created, result.errors) == (3, ())
    assert result.warnings == ((3, "byte 0xE9 is not UTF-8; read as 'é' (Windows-1252)"),)
    assert by_email(app, "andre@example.fr").first_name == "André"
    assert by_email(app, "juergen@example.de").last_name == "Groß"


def test_an_unreadable_or_empty_file_is_one_clear_error(app: AppContext, tmp_path: Path) -> None:
    from crm_desktop.domain.errors import CrmError

    with pytest.raises(CrmError, match="cannot read"):
        app.imports.run(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CrmError, match="empty"):
        app.imports.preview(empty)
    not_a_workbook = tmp_path / "broken.xlsx"
    not_a_workbook.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CrmError, match="not a readable Excel workbook"):
        app.imports.run(not_a_workbook)


def test_a_sheet_without_any_known_column_is_refused(app: AppContext, tmp_path: Path) -> None:
    from crm_desktop.domain.errors import ValidationError

    sheet = tmp_path / "random.csv"
    sheet.write_bytes(bytes(range(1, 256)) * 40)
    assert app.imports.preview(sheet).format == "csv"  # shown, to be mapped by hand
    with pytest.raises(ValidationError, match=r"no column of random\.csv could be matched"):
        app.imports.run(sheet)


def test_vcard_reader_keeps_going() -> None:
    raw = (
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=\r\n"
        b"=C3=BCrgen\r\nTEL;CELL;VOICE:0171 1234\r\nBDAY:--0229\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bad Day\r\nBDAY:sometime\r\nEND:VCARD\r\n"
    )
    cards, problems = vcard.read_cards(raw)
    assert [(c.first_name, c.last_name) for c in cards] == [("Jürgen", "Müller"), ("Bad", "Day")]
    assert cards[0].phones == (PhoneEntry("0171 1234", "mobile"),)
    assert cards[0].birthday == dt.date(vcard.YEARLESS, 2, 29)
    assert problems == []
    assert cards[1].warnings == ((11, "birthday 'sometime' is not a date; left out"),)


# ---- duplicates -------------------------------------------------------------------------------


def test_duplicates_by_email_and_by_phone_in_e164(app: AppContext, tmp_path: Path) -> None:
    app.contacts.create(
        ContactDraft(
            first_name="Anna",
            last_name="Alt",
            emails=(EmailEntry("Anna@Example.com"),),
            phones=(PhoneEntry("+49 30 1234567"),),
        )
    )
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        "First name,Last name,E-mail,Phone,Company\n"
        "Anna,Neu,anna@example.COM,,Neu GmbH\n"  # same e-mail, other case
        "Bert,Phone,,030 1234567,\n"  # same phone, written the German way
        "Cleo,New,cleo@example.com,,\n"
        "Cleo,Twice,CLEO@example.com,+49 89 111,\n",  # a duplicate inside the file
        encoding="utf-8",
    )
    skipped = app.imports.run(sheet, dry_run=True)
    assert (skipped.created, skipped.skipped, skipped.companies_created) == (1, 3, 0)

    updated = app.imports.run(sheet, on_duplicate="update")

    assert (updated.created, updated.updated) == (1, 1)
    anna = by_email(app, "anna@example.com")
    assert anna.last_name == "Phone"  # both rows matched her; the later one wins
    assert anna.roles[0].company_name == "Neu GmbH"
    cleo = by_email(app, "cleo@example.com")
    assert cleo.last_name == "Twice" and cleo.phones == (PhoneEntry("+49 89 111", "work"),)
    assert live_contacts(app) == 2

    created = app.imports.run(sheet, on_duplicate="create")
    assert created.created == 4 and live_contacts(app) == 6


@pytest.mark.parametrize("how", ["written-as-planned", "look-ahead-missed", "written-at-the-end"])
def test_rows_that_change_records_planned_before_them(
    app: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """New contacts are written in batches while the rest of the file is planned (here a
    batch per row against one batch at the end). A contact a later row may fill in is held
    back (its e-mail is in another row too); a company's own row is planned before the
    people; a contact the look-ahead missed is filled in after it was written. Each way
    the records end the same, and only the missed one is written twice."""
    monkeypatch.setattr(write, "BATCH", 10_000 if how == "written-at-the-end" else 1)
    monkeypatch.setattr(imports_service, "_STEP", 1)
    if how == "look-ahead-missed":
        monkeypatch.setattr(write, "_keys", lambda values: set())
    written_twice: list[str] = []
    for name in ("update_contact", "update_company"):
        real = getattr(write.records_map, name)

        def spy(uow: Any, record: Any, draft: Any, real: Any = real, name: str = name) -> None:
            written_twice.append(name)
            real(uow, record, draft)

        monkeypatch.setattr(write.records_map, name, spy)
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        "First name,Last name,E-mail,Phone,Company,Notes\n"
        "Anna,Alpha,anna@example.com,,Acme,first\n"  # Acme named by a person
        "Bert,Beta,bert@example.com,,,\n"
        ",,,+49 30 777,Acme,its own row\n"  # Acme's own row, after Anna's
        "Anna,,ANNA@example.com,+49 30 111,Beta GmbH,\n"  # fills in Anna
        "Cora,Gamma,cora@example.com,,Beta GmbH,\n",
        encoding="utf-8",
    )
    result = app.imports.run(sheet, on_duplicate="update")

    assert (result.created, result.updated, result.companies_created) == (4, 0, 1)
    assert written_twice == (["update_contact"] if how == "look-ahead-missed" else [])
    anna = by_email(app, "anna@example.com")
    assert (anna.first_name, anna.last_name, anna.notes) == ("Anna", "Alpha", "first")
    assert anna.phones == (PhoneEntry("+49 30 111", "work"),)
    assert [r.company_name for r in anna.roles] == ["Beta GmbH", "Acme"]
    assert by_email(app, "cora@example.com").roles[0].company_name == "Beta GmbH"
    assert live_contacts(app) == 3 and company_names(app) == ["Acme", "Beta GmbH"]
    acme = app.companies.get(next(c for c, name in app.companies.names() if name == "Acme"))
    assert (acme.phone, acme.notes) == ("+49 30 777", "its own row")
    found = [h.title for h in app.search.search("beta gmbh", 10)]
    assert found == ["Beta GmbH", "Anna Alpha", "Cora Gamma"]

    app.imports.undo(result.batch_id or "")
    assert live_contacts(app) == 0 and company_names(app) == []


# ---- export and the round trip -----------------------------------------------------------------


def _people(app: AppContext) -> list[str]:
    users = app.users.create("Olga Owner")
    company = app.companies.create(CompanyDraft(name="Kiefer & Co")).id
    ids = []
    for n, (first, last) in enumerate([("Anna", "Arnold"), ("Bernd", "Böhm"), ("Cem", "Çelik")]):
        ids.append(
            app.contacts.create(
                ContactDraft(
                    first_name=first,
                    last_name=last,
                    emails=(
                        EmailEntry(f"{first.lower()}@example.com"),
                        EmailEntry(f"{n}@x.org", "home"),
                    ),
                    phones=(PhoneEntry(f"+49 30 555{n}", "mobile"),),
                    roles=(RoleEntry(company, "Buyer"),),
                    addresses=(AddressEntry("Weg 1", "Köln", "", "50667", "DE", "work"),),
                    birthday=dt.date(1980, 1, n + 1),
                    owner_id=users.id,
                    tags=("Kunde", "VIP"),
                    notes="first line\nsecond line",
                )
            ).id
        )
    return ids


def test_export_csv_has_ids_and_readable_names(app: AppContext, tmp_path: Path) -> None:
    ids = _people(app)
    target = tmp_path / "contacts.csv"
    assert app.exports.contacts(target) == 3
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # so Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["ID"] for r in rows] == ids
    assert rows[1]["Last name"] == "Böhm"
    assert (rows[0]["Company"], rows[0]["Owner"], rows[0]["Tags"]) == (
        "Kiefer & Co",
        "Olga Owner",
        "Kunde, VIP",
    )
    assert (rows[0]["E-mail"], rows[0]["E-mail 2"]) == ("anna@example.com", "0@x.org")
    assert rows[0]["Notes"] == "first line\nsecond line"


def test_round_trip_through_csv_updates_instead_of_duplicating(
    app: AppContext, tmp_path: Path
) -> None:
    ids = _people(app)
    anna_before = app.contacts.get(ids[0]).to_draft()
    target = tmp_path / "contacts.csv"
    app.exports.contacts(target)
    text = target.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    rows[2][header.index("Last name")] = "Böhm-Berger"  # edited in a spreadsheet
    rows[2][header.index("Phone")] = "+49 30 999"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    target.write_text(buffer.getvalue(), encoding="utf-8-sig")

    result = app.imports.run(target)

    assert (result.created, result.updated, result.unchanged, result.errors) == (0, 1, 2, ())
    assert live_contacts(app) == 3
    bernd = app.contacts.get(ids[1])
    assert bernd.last_name == "Böhm-Berger"
    assert bernd.phones == (PhoneEntry("+49 30 999", "mobile"),)  # its label kept
    assert bernd.emails[1] == EmailEntry("1@x.org", "home")
    assert bernd.tags == ("Kunde", "VIP") and bernd.owner_name == "Olga Owner"
    assert app.contacts.get(ids[0]).to_draft() == anna_before


def test_round_trip_through_xlsx(app: AppContext, tmp_path: Path) -> None:
    ids = _people(app)
    target = tmp_path / "contacts.xlsx"
    app.exports.contacts(target)
    book = openpyxl.load_workbook(target)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[0] == "ID" and sheet.freeze_panes == "A2"
    assert sheet.cell(3, header.index("Company") + 1).value == "Kiefer & Co"
    sheet.cell(4, header.index("City") + 1).value = "Bonn"
    sheet.cell(2, header.index("Tags") + 1).value = "Kunde"
    book.save(target)

    result = app.imports.run(target)

    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    assert app.contacts.get(ids[2]).addresses[0].city == "Bonn"
    assert app.contacts.get(ids[0]).tags == ("Kunde",)


def test_export_neutralises_formulas(app: AppContext, tmp_path: Path) -> None:
    contact_id = app.contacts.create(
        ContactDraft(
            first_name='=HYPERLINK("http://evil.example","click")',
            last_name="@SUM(A1:A9)",
            phones=(PhoneEntry("+49 30 1234567"),),
            notes="-2+3+cmd|' /C calc'!A0",
            lead_source="'=already quoted",
        )
    ).id
    csv_path, xlsx_path = tmp_path / "c.csv", tmp_path / "c.xlsx"
    app.exports.contacts(csv_path)
    app.exports.contacts(xlsx_path)

    row = next(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert row["First name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Last name"] == "'@SUM(A1:A9)"
    assert row["Notes"].startswith("'-2+3+cmd|")
    assert row["Phone"] == "+49 30 1234567"  # a phone number calls nothing
    assert row["Lead source"] == "''=already quoted"
    sheet = openpyxl.load_workbook(xlsx_path).active
    cells = {sheet.cell(1, c).value: sheet.cell(2, c) for c in range(1, sheet.max_column + 1)}
    assert cells["First name"].data_type == "s"
    assert cells["First name"].value.startswith("'=")
    assert cells["Last name"].value == "'@SUM(A1:A9)"

    # Read back, the apostrophe goes again: nothing changed.
    for path in (csv_path, xlsx_path):
        result = app.imports.run(path)
        assert (result.updated, result.unchanged) == (0, 1)
    assert app.contacts.get(contact_id).notes == "-2+3+cmd|' /C calc'!A0"
    assert app.contacts.get(contact_id).lead_source == "'=already quoted"


def test_vcard_export_is_valid_vcard_4(app: AppContext, tmp_path: Path) -> None:
    ids = _people(app)
    long_note = ("Ein sehr langer Text über Müller, Söhne; und Töchter " * 4).strip()
    app.contacts.update(ids[0], replace(app.contacts.get(ids[0]).to_draft(), notes=long_note))
    target = tmp_path / "all.vcf"
    assert app.exports.contacts(target) == 3
    raw = target.read_bytes()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert raw.count(b"BEGIN:VCARD") == 3 and b"VERSION:4.0" in raw
    parsed = list(vobject.readComponents(raw.decode("utf-8")))
    anna = next(c for c in parsed if c.fn.value == "Anna Arnold")
    assert anna.note.value == long_note
    assert anna.org.value == ["Kiefer & Co"]
    assert {e.value for e in anna.contents["email"]} == {"anna@example.com", "0@x.org"}
    cards, problems = vcard.read_cards(raw)
    assert problems == [] and cards[0].notes == long_note

    # Our own .vcf re-imports as duplicates, not as new people.
    assert app.imports.run(target).skipped == 3


def test_export_companies_and_reimport_by_id(app: AppContext, tmp_path: Path) -> None:
    app.imports.run(DATA / "companies.csv")
    target = tmp_path / "companies.csv"
    assert app.exports.companies(target) == 2
    text = target.read_text(encoding="utf-8-sig").replace("Logistics", "Shipping")
    target.write_text(text, encoding="utf-8-sig")
    result = app.imports.run(target)
    assert (result.kind, result.created, result.updated, result.unchanged) == (
        "companies",
        0,
        1,
        1,
    )
    nordwind = next(cid for cid, name in app.companies.names() if name == "Nordwind GmbH")
    assert app.companies.get(nordwind).industry == "Shipping"


def test_companies_as_vcards(app: AppContext, tmp_path: Path) -> None:
    app.imports.run(DATA / "companies.csv")
    target = tmp_path / "companies.vcf"
    assert app.exports.companies(target) == 2
    parsed = {c.fn.value: c for c in vobject.readComponents(target.read_text(encoding="utf-8"))}
    assert parsed["Nordwind GmbH"].kind.value == "org"
    assert parsed["Nordwind GmbH"].url.value == "https://nordwind.example"
    cards, problems = vcard.read_cards(target.read_bytes())
    assert problems == [] and {c.kind for c in cards} == {"org"}


def test_export_to_an_unknown_extension_is_refused(app: AppContext, tmp_path: Path) -> None:
    from crm_desktop.domain.errors import ValidationError

    with pytest.raises(ValidationError, match=r"\.csv"):
        app.exports.contacts(tmp_path / "contacts.pdf")


# ---- one unit of work: dry run, undo, cancel ----------------------------------------------------


def _state(app: AppContext) -> tuple[int, int, int]:
    with app.uow.read() as uow:
        changes = uow.session.connection().exec_driver_sql("SELECT count(*) FROM change")
        count = changes.scalar_one()
    return live_contacts(app), len(app.companies.names()), count


def _three_hundred_people(folder: Path) -> Path:
    """A sheet of 300 people at 7 companies: enough rows for several bulk writes."""
    sheet = folder / "many.csv"
    sheet.write_text(
        "First Name,Last Name,E-mail 1 - Value,Organization Name\n"
        + "".join(f"P{n},N{n},p{n}@example.de,F{n % 7}\n" for n in range(300)),
        encoding="utf-8",
    )
    return sheet


def test_dry_run_writes_nothing(app: AppContext) -> None:
    before = _state(app)
    dry = app.imports.run(DATA / "google_contacts.csv", dry_run=True)
    assert _state(app) == before
    assert dry.batch_id is None and dry.dry_run
    real = app.imports.run(DATA / "google_contacts.csv")
    assert (dry.created, dry.errors, dry.companies_created) == (
        real.created,
        real.errors,
        real.companies_created,
    )


def test_undo_a_whole_import(app: AppContext, tmp_path: Path) -> None:
    ids = _people(app)
    before = app.contacts.get(ids[0]).to_draft()
    sheet = tmp_path / "mixed.csv"
    sheet.write_text(
        "First name,Last name,E-mail,Company\n"
        "Anna,Arnold-Neu,anna@example.com,Neue Firma\n"  # updates Anna
        "Dora,Dahl,dora@example.com,Neue Firma\n",  # a new person
        encoding="utf-8",
    )
    result = app.imports.run(sheet, on_duplicate="update")
    assert (result.created, result.updated, result.companies_created) == (1, 1, 1)
    assert app.contacts.get(ids[0]).last_name == "Arnold-Neu"
    assert [b.id for b in app.imports.batches()] == [result.batch_id]

    changes = app.imports.undo(result.batch_id or "")

    assert changes.touches("contacts")
    assert app.contacts.get(ids[0]).to_draft() == before
    assert live_contacts(app) == 3
    trashed = app.contacts.ids(ListQuery(trash=Trash.ONLY))
    assert [app.contacts.get(i).last_name for i in trashed] == ["Dahl"]
    assert "Neue Firma" not in company_names(app)
    assert app.imports.batches()[0].undone
    from crm_desktop.domain.errors import ValidationError

    with pytest.raises(ValidationError, match="undone already"):
        app.imports.undo(result.batch_id or "")


def test_the_undo_of_an_import_is_one_step_of_the_change_log(
    app: AppContext, tmp_path: Path
) -> None:
    sheet = tmp_path / "new.csv"
    sheet.write_text(
        "First name,Last name,E-mail,Company\n"
        "Dora,Dahl,dora@example.com,Neue Firma\n"
        "Emil,Ek,emil@example.com,Neue Firma\n"
        "Fe,Fu,fe@example.com,\n",
        encoding="utf-8",
    )
    result = app.imports.run(sheet)
    made = set(app.contacts.ids(ListQuery()))
    seen: list[tuple[int, int]] = []

    changes = app.imports.undo(result.batch_id or "", progress=lambda d, t: seen.append((d, t)))

    assert seen[-1] == (4, 4)  # three contacts and a company
    assert live_contacts(app) == 0 and company_names(app) == []
    assert app.search.search("dahl") == [] and app.search.search("neue firma") == []
    # One change row per record, naming its move to the Trash, in one range of seqs.
    seqs = set(changes.own_seqs())
    mine = [r for r in app.changelog.rows() if r.seq in seqs]
    assert {(r.entity, r.field) for r in mine} == {("contacts", "deleted_at"),
                                                   ("companies", "deleted_at")}  # fmt: skip
    assert {r.row_id for r in mine if r.entity == "contacts"} == made
    assert len(mine) == 4
    # Undone as one step (the window's redo): everything is back.
    app.changelog.revert(changes)
    assert set(app.contacts.ids(ListQuery())) == made
    assert company_names(app) == ["Neue Firma"]
    assert [h.title for h in app.search.search("dahl")] == ["Dora Dahl"]


def test_a_cancelled_import_writes_nothing_and_progress_is_reported(
    app: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write, "BATCH", 500)  # cancelled after batches were written
    sheet = tmp_path / "many.csv"
    lines = ["First name,E-mail"] + [f"P{n},p{n}@example.com" for n in range(2500)]
    sheet.write_text("\n".join(lines), encoding="utf-8")
    seen: list[tuple[int, int]] = []
    with pytest.raises(ImportCancelled):
        app.imports.run(
            sheet, progress=lambda d, t: seen.append((d, t)), cancelled=lambda: len(seen) >= 2
        )
    assert live_contacts(app) == 0
    seen.clear()
    result = app.imports.run(sheet, progress=lambda d, t: seen.append((d, t)))
    assert result.created == 2500
    assert seen[0] == (0, 5000) and seen[-1] == (5000, 5000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_crash_in_the_middle_leaves_nothing(
    app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm_desktop.persistence import records_map

    def boom(*_args: object, **_kwargs: object) -> list[str]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(records_map, "insert_contacts", boom)
    before = _state(app)
    with pytest.raises(RuntimeError):
        app.imports.run(DATA / "google_contacts.csv")
    assert _state(app) == before


@pytest.mark.sqlite_only  # SQLite's background writer / write lock
def test_a_write_failing_in_the_background_leaves_nothing(
    app: AppContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import sqlite3

    import sqlalchemy.exc

    from crm_desktop.persistence import bulk

    run = bulk.StatementPipe._execute
    calls: list[str] = []

    def fail_later(self: bulk.StatementPipe, sql: str, rows: list[tuple[object, ...]]) -> None:
        calls.append(sql)
        if len(calls) == 6:  # after the companies, contacts and their change rows
            raise sqlite3.OperationalError("disk I/O error")
        run(self, sql, rows)

    monkeypatch.setattr(bulk.StatementPipe, "_execute", fail_later)
    sheet = _three_hundred_people(tmp_path)
    before = _state(app)
    with pytest.raises(sqlalchemy.exc.OperationalError):
        app.imports.run(sheet)
    assert len(calls) >= 6
    assert _state(app) == before
    assert app.imports.batches() == []
    monkeypatch.setattr(bulk.StatementPipe, "_execute", run)
    assert app.imports.run(sheet).created == 300


def test_a_copy_failing_in_the_background_on_postgresql_leaves_nothing(
    app: AppContext, database_url: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """PostgreSQL loads the import's rows with COPY on the writer thread: a COPY that
    fails there fails the import, and the transaction leaves nothing behind."""
    if not database_url:
        pytest.skip("PostgreSQL's COPY path")
    from crm_desktop.persistence import dialect

    copy = dialect._copy
    tables: list[str] = []

    def fail_later(raw: object, table: str, *args: Any) -> None:
        tables.append(table)
        if len(tables) == 4:  # after the companies, the contacts and their change rows
            raise RuntimeError("the server went away")
        copy(raw, table, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(dialect, "_copy", fail_later)
    sheet = _three_hundred_people(tmp_path)
    before = _state(app)
    with pytest.raises(RuntimeError, match="went away"):
        app.imports.run(sheet)
    assert len(tables) >= 4
    assert _state(app) == before
    assert app.imports.batches() == []
    monkeypatch.setattr(dialect, "_copy", copy)
    assert app.imports.run(sheet).created == 300


def test_preview_shows_the_first_rows_mapped(app: AppContext, tmp_path: Path) -> None:
    sheet = tmp_path / "big.csv"
    sheet.write_text(
        "Vorname;Nachname;E-Mail;Telefon;Firma\n"
        + "".join(f"P{n};N{n};p{n}@example.de;030 {n};F{n % 3}\n" for n in range(50)),
        encoding="utf-8",
    )
    preview = app.imports.preview(sheet)
    assert preview.total_rows == 50 and len(preview.rows) == 20
    assert preview.mapping == {
        "Vorname": "first_name",
        "Nachname": "last_name",
        "E-Mail": "email",
        "Telefon": "phone",
        "Firma": "company",
    }
    assert preview.rows[0].values["email"] == "p0@example.de" and preview.rows[0].line == 2
    # A mapping of one's own: ignore the company column.
    mapping = {**preview.mapping, "Firma": ""}
    result = app.imports.run(sheet, mapping=mapping)
    assert (result.created, result.companies_created) == (50, 0)


def test_the_format_is_known_by_the_content_too(app: AppContext, tmp_path: Path) -> None:
    copy = tmp_path / "export without extension"
    shutil.copy(DATA / "apple_contacts.vcf", copy)
    assert app.imports.preview(copy).format == "vcard"
    misnamed = tmp_path / "kontakte.csv"
    shutil.copy(DATA / "kontakte.xlsx", misnamed)
    assert app.imports.preview(misnamed).format == "xlsx"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1980-05-17", dt.date(1980, 5, 17)),
        ("17.05.1980", dt.date(1980, 5, 17)),
        ("17.5.80", dt.date(1980, 5, 17)),
        ("5/17/1980", dt.date(1980, 5, 17)),  # Outlook in English: month first
        ("17/5/1980", dt.date(1980, 5, 17)),  # the first number cannot be a month
        ("19800517", dt.date(1980, 5, 17)),
        ("1980-05-17 00:00:00", dt.date(1980, 5, 17)),
        ("--05-17", dt.date(1604, 5, 17)),
        ("17.05.", dt.date(1604, 5, 17)),
        ("0/0/00", None),
        ("0.0.00", None),
        ("", None),
    ],
)
def test_dates_as_programs_write_them(text: str, expected: dt.date | None) -> None:
    from crm_desktop.domain.import_rows import parse_date

    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31.02.1990", "sometime", "1980-13-01", "5/17"])
def test_dates_that_are_none(text: str) -> None:
    from crm_desktop.domain.import_rows import parse_date

    with pytest.raises(ValueError, match="not a date"):
        parse_date(text)


def test_presets_are_recognised_by_their_headers() -> None:
    from crm_desktop.domain.import_mapping import detect_kind, detect_preset, guess_mapping

    outlook = ["Title", "First Name", "Middle Name", "Last Name", "Company", "Job Title",
               "Business Street", "Business City", "Business Postal Code",
               "Business Country/Region", "Business Phone", "Mobile Phone", "E-mail Address",
               "Birthday", "Categories"]  # fmt: skip
    assert detect_preset(outlook) == "outlook"
    mapping = guess_mapping(outlook, "contacts")
    assert (mapping["Title"], mapping["Job Title"], mapping["Mobile Phone"]) == (
        "prefix",  # Outlook's Title is the form of address
        "title",
        "phone_mobile",
    )
    assert detect_preset(["Given Name", "Family Name", "E-mail 1 - Value"]) == "google"
    assert detect_preset(["First Name", "Last Name", "Primary Email", "Display Name"]) == (
        "thunderbird"
    )
    generic = guess_mapping(
        ["Vorname", "Nachname", "E-Mail", "Telefon", "Firma", "PLZ"], "contacts"
    )
    assert list(generic.values()) == ["first_name", "last_name", "email", "phone", "company",
                                      "postcode"]  # fmt: skip
    assert detect_kind(["Firma", "Webseite", "Branche"]) == "companies"
    assert detect_kind(["Name", "E-Mail"]) == "contacts"
