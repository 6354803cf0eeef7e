"""Address books exactly as other programs write them (tests/data/contacts, hand-written
after iPhone, Android, Outlook 2003/2007, Gmail, Lotus Notes, Evolution, BlackBerry,
khard/sabre vCard 4.0, and Google, Outlook and other CSV exports): imported, exported to
vCard 4.0 and CSV, the vCards read back with vobject, and the exports imported again."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import vobject

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.cli import main
from crm_desktop.domain.records import (
    AddressEntry,
    ContactRecord,
    EmailEntry,
    ListQuery,
    PhoneEntry,
)

CONTACTS = Path(__file__).parents[1] / "data" / "contacts"
VCARDS = ["iphone", "android", "outlook2003", "gmail", "lotus_notes", "evolution", "blackberry",
          "vcard4_khard"]  # fmt: skip
SHEETS = ["google_2024", "outlook_en", "other_tool"]


def everyone(app: AppContext) -> dict[str, ContactRecord]:
    records = [app.contacts.get(i) for i in app.contacts.ids(ListQuery())]
    return {r.display_name: r for r in records}


def kept(record: ContactRecord) -> dict[str, Any]:
    """What an import must keep of a contact (ids and times aside, companies by name)."""
    draft = record.to_draft()
    values = {k: v for k, v in draft.__dict__.items() if k not in ("roles", "owner_id")}
    values["roles"] = tuple((r.company_name, r.title) for r in record.roles)
    return values


# ---- vCards ---------------------------------------------------------------------------------


def test_iphone_card_keeps_name_parts_types_and_dates(app: AppContext) -> None:
    result = app.imports.run(CONTACTS / "iphone.vcf")  # CR CR LF line ends
    assert (result.created, result.errors) == (2, ())
    assert result.not_used == ("PHOTO (1 card)", "X- properties (app-specific) (1 card)")
    people = everyone(app)
    john = people["Mr. John Richter James Doe Sr."]
    assert (john.prefix, john.first_name, john.middle_name, john.last_name, john.suffix) == (
        "Mr.", "John", "Richter James", "Doe", "Sr."
    )  # fmt: skip
    assert john.nickname == "Johnny" and john.department == "Research"
    assert [(e.email, e.label) for e in john.emails] == [
        ("john@doe.example", "other"), ("johnny@home.example", "home"),
        ("jd@school.example", "school"),
    ]  # fmt: skip
    assert [p.label for p in john.phones] == ["mobile", "home", "work"]
    assert john.addresses[0].label == "home"
    assert john.websites == ("https://doe.example", "https://blog.doe.example")
    assert (john.birthday, john.anniversary) == (dt.date(1970, 4, 1), dt.date(2001, 6, 9))
    assert john.notes == "Met at WWDC.\nLikes coffee."
    wile = people["Wile E. Coyote"]
    assert (wile.first_name, wile.middle_name, wile.last_name) == ("Wile", "E.", "Coyote")


def test_outlook_lotus_evolution_android_blackberry_gmail(app: AppContext) -> None:
    for name in ("outlook2003", "lotus_notes", "evolution", "android", "blackberry", "gmail"):
        result = app.imports.run(CONTACTS / f"{name}.vcf")
        assert result.errors == (), name
    people = everyone(app)
    jane = people["Dr. Jane A. Smith, PhD"]  # the formatted name as written
    assert (jane.prefix, jane.middle_name, jane.suffix) == ("Dr.", "Ann", "PhD")
    assert (jane.department, jane.role, jane.roles[0].title) == (
        "Sales & Marketing", "Key account lead", "Regional Manager"
    )  # fmt: skip
    assert jane.anniversary == dt.date(2001, 5, 19)  # X-MS-ANNIVERSARY
    assert [e.label for e in jane.emails] == ["", ""]  # untyped stays untyped
    assert [a.label for a in jane.addresses] == ["work", "home"]
    assert [p.label for p in jane.phones] == ["work", "home", "mobile", "fax"]
    klaus = people["Herr Klaus Bauer"]
    assert [r.company_name for r in klaus.roles] == ["Bauer Maschinenbau AG", "TÜV Süd"]
    assert klaus.department == "Konstruktion"
    ingrid = people["Ingrid Larsen"]
    assert [(e.email, e.label) for e in ingrid.emails] == [
        ("ingrid@other.example", "other"), ("ingrid@home.example", "home")
    ]  # fmt: skip
    assert ingrid.addresses[0].label == "other"
    assert (ingrid.nickname, ingrid.role) == ("Inga", "Board member")
    assert ingrid.anniversary == dt.date(2010, 8, 21)
    juergen = people["Jürgen Müller"]
    assert juergen.addresses[0].street == "Hauptstraße 5"
    assert people["Oma"].notes == "Geburtstag im Mai\nBlumen mitbringen"
    sean = people["Sean O'Brien"]
    assert [p.label for p in sean.phones] == ["work", "mobile", "pager"]
    ayse = people["Ayşe Yılmaz"]
    assert [e.label for e in ayse.emails] == ["home", "", "work"]
    assert ayse.websites == ("http://ayse.example",)


def test_one_bad_value_keeps_the_card(app: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    result = app.imports.run(CONTACTS / "vcard4_khard.vcf")
    assert (result.created, result.errors) == (2, ())  # Bell and the lab's own card
    assert result.warnings == (
        (7, "birthday 'circa 1800' is not a date; left out"),
        (10, "e-mail 'bell@ÿþ' is not an e-mail address; left out"),
    )
    bell = everyone(app)["Old Mister Bell"]
    assert len(bell.phones) == 3 and len(bell.websites) == 2
    assert bell.anniversary == dt.date(1877, 7, 11) and bell.birthday is None
    assert bell.job_title == "Inventor"  # a title without a company is kept
    assert "GENDER (1 card)" in result.not_used


def test_vcards_round_trip_through_vcard_4(app: AppContext, tmp_path: Path) -> None:
    for name in VCARDS:
        app.imports.run(CONTACTS / f"{name}.vcf")
    before = {n: kept(r) for n, r in everyone(app).items()}
    target = tmp_path / "all.vcf"
    app.exports.contacts(target)
    cards = {c.fn.value: c for c in vobject.readComponents(target.read_text(encoding="utf-8"))}
    assert set(cards) == set(before)
    jane = cards["Dr. Jane A. Smith, PhD"]
    n = jane.n.value
    assert (n.prefix, n.given, n.additional, n.family, n.suffix) == (
        "Dr.", "Jane", "Ann", "Smith", "PhD"
    )  # fmt: skip
    assert jane.org.value == ["Contoso Ltd.", "Sales & Marketing"]
    assert jane.role.value == "Key account lead" and jane.title.value == "Regional Manager"
    assert jane.anniversary.value == "20010519" and jane.bday.value == "19750320"
    assert [t.params.get("TYPE", [""])[0] for t in jane.adr_list] == ["work", "home"]
    assert sorted(u.value for u in jane.url_list) == ["http://jane.example",
                                                       "http://www.contoso.example"]  # fmt: skip
    john = cards["Mr. John Richter James Doe Sr."]
    assert [e.params.get("TYPE") for e in john.email_list] == [["other"], ["home"], ["school"]]
    assert john.nickname.value == "Johnny"
    assert "TYPE" not in cards["Ayşe Yılmaz"].email_list[1].params  # untyped stays untyped
    klaus = cards["Herr Klaus Bauer"]
    assert sorted(str(o.value) for o in klaus.org_list) == [
        "['Bauer Maschinenbau AG', 'Konstruktion']", "['TÜV Süd']"
    ]  # fmt: skip

    # The export read back by this app is the same address book.
    again = open_app(tmp_path / "again")
    try:
        result = again.imports.run(target)
        assert (result.errors, result.warnings) == ((), ())
        after = {n: kept(r) for n, r in everyone(again).items()}
    finally:
        again.close()
    assert after == before
    repeat = app.imports.run(target, on_duplicate="update")
    assert (repeat.created, repeat.updated) == (0, 0)


def test_a_file_without_cards_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--data-dir", str(tmp_path / "d"), "import", "contacts"]
    assert main([*args, str(CONTACTS / "no_cards.vcf")]) == 1
    assert "holds no vCard" in capsys.readouterr().err


# ---- sheets ---------------------------------------------------------------------------------


def test_google_outlook_and_other_sheets(app: AppContext) -> None:
    google = app.imports.run(CONTACTS / "google_2024.csv")
    assert (google.created, google.errors) == (2, ())
    assert "Custom Field 1 - Value" in google.not_used and "Labels" not in google.not_used
    outlook = app.imports.run(CONTACTS / "outlook_en.csv")
    assert (outlook.created, outlook.errors) == (2, ())
    assert {"Spouse", "Mileage"} <= set(outlook.not_used)
    other = app.imports.run(CONTACTS / "other_tool.csv")
    assert (other.created, other.errors, other.not_used) == (3, (), ("Favourite colour",))
    people = everyone(app)
    maria = people["Maria Fernández"]
    assert (maria.prefix, maria.middle_name, maria.nickname, maria.department) == (
        "Dra.", "Luisa", "Malu", "Cardiología"
    )  # fmt: skip
    assert maria.websites == ("https://malu.example", "https://clinicasol.example")
    assert maria.anniversary == dt.date(2005, 9, 17)
    assert maria.phones[1] == PhoneEntry("+34 91 555 0102", "school")
    tom = people["Tom Baker"]  # only the formatted address was given
    assert tom.addresses == (AddressEntry("12 Elm Row, Edinburgh EH7 4AA, UK", label="other"),)
    robert = people["Robert Miller"]
    assert (robert.prefix, robert.middle_name, robert.suffix) == ("Mr.", "James", "Jr.")
    assert (robert.department, robert.role) == ("Procurement", "Purchasing agent")
    assert robert.anniversary == dt.date(2003, 6, 14)
    assert [a.label for a in robert.addresses] == ["work", "home", "other"]
    assert robert.addresses[0].street == "400 Main St, Suite 20"
    assert {p.label for p in robert.phones} == {"work", "mobile", "home", "fax", "other", "pager"}
    assert people["Sophie Martin"].job_title == "Freelance translator"
    assert people["Li Wei"].job_title == "Consultant"
    assert people["Priya Patel"].roles[0].company_name == "Patel Textiles"
    assert people["Priya Patel"].emails == (EmailEntry("priya@patel-textiles.example"),)


def test_sheets_round_trip_through_our_csv(app: AppContext, tmp_path: Path) -> None:
    for name in SHEETS:
        app.imports.run(CONTACTS / f"{name}.csv")
    before = {n: kept(r) for n, r in everyone(app).items()}
    target = tmp_path / "all.csv"
    app.exports.contacts(target)
    again = open_app(tmp_path / "again")
    try:
        result = again.imports.run(target)
        assert result.errors == ()
        after = {n: kept(r) for n, r in everyone(again).items()}
    finally:
        again.close()
    for name, values in before.items():
        # A sheet has one address, and no labels: the rest must be the same.
        for key in ("emails", "phones", "addresses"):
            values.pop(key), after[name].pop(key)
        assert after[name] == values, name


def test_cli_results_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--data-dir", str(tmp_path / "d"), "--json", "import", "contacts"]
    assert main([*args, str(CONTACTS / "vcard4_khard.vcf")]) == 0  # kept, values named
    payload = json.loads(capsys.readouterr().out)
    assert [w["line"] for w in payload["warnings"]] == [7, 10]
    assert "GENDER (1 card)" in payload["not_used"]
    assert main([*args, str(CONTACTS / "other_tool.csv")]) == 0
    assert json.loads(capsys.readouterr().out)["not_used"] == ["Favourite colour"]


def test_a_job_title_without_a_company_shows_in_the_list(app: AppContext) -> None:
    app.imports.run(CONTACTS / "other_tool.csv")
    rows = {r.display_name: r for r in app.contacts.page(ListQuery()).rows}
    assert (rows["Li Wei"].title, rows["Li Wei"].company_name) == ("Consultant", "")
    assert rows["Priya Patel"].title == "Owner"
