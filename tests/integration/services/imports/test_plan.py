"""How an import decides what a row is: an organisation's own card in a Google Contacts
export becomes a company, never a person called "(no name)"."""

from __future__ import annotations

from pathlib import Path

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ListQuery

DATA = Path(__file__).parents[2] / "data"


def _google_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """A file with the header row of a real Google Contacts export (tests/integration/data)."""
    header = (DATA / "google_contacts.csv").read_text("utf-8-sig").splitlines()[0]
    columns = header.split(",")
    lines = [header] + [",".join(row.get(c, "") for c in columns) for row in rows]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_a_google_card_with_only_an_organisation_becomes_a_company(
    app: AppContext, tmp_path: Path
) -> None:
    path = _google_csv(
        tmp_path / "contacts.csv",
        [
            {
                "Organization Name": "Blue Harbour Ltd",
                "Labels": "* myContacts",
                "E-mail 1 - Label": "* Work",
                "E-mail 1 - Value": "info@blueharbour.example",
                "Phone 1 - Label": "Work",
                "Phone 1 - Value": "+44 20 5550 1234",
                "Address 1 - City": "London",
                "Address 1 - Country": "United Kingdom",
                "Website 1 - Value": "https://blueharbour.example",
            },
            {"Organization Name": "Quiet Co", "Labels": "* myContacts"},
            {
                "First Name": "Lea",
                "Last Name": "Vogel",
                "Organization Name": "Quiet Co",
                "E-mail 1 - Value": "lea@quiet.example",
            },
        ],
    )
    assert app.imports.preview(path).preset == "google"

    result = app.imports.run(path)

    assert result.errors == ()
    people = [app.contacts.get(i) for i in app.contacts.ids(ListQuery())]
    assert [p.display_name for p in people] == ["Lea Vogel"]
    companies = {name: cid for cid, name in app.companies.names()}
    assert sorted(companies) == ["Blue Harbour Ltd", "Quiet Co"]
    harbour = app.companies.get(companies["Blue Harbour Ltd"])
    assert harbour.email == "info@blueharbour.example"
    assert harbour.phone.replace(" ", "").endswith("2055501234")
    assert harbour.website == "https://blueharbour.example"
    assert (harbour.address.city, harbour.address.country) == ("London", "United Kingdom")
    assert people[0].roles[0].company_id == companies["Quiet Co"]


def test_a_card_with_a_person_and_an_organisation_stays_a_person(
    app: AppContext, tmp_path: Path
) -> None:
    """A card with a person's name is a person even when it also names the organisation."""
    path = _google_csv(
        tmp_path / "contacts.csv",
        [{"Last Name": "Nguyen", "Organization Name": "Blue Harbour Ltd"}],
    )
    app.imports.run(path)
    people = [app.contacts.get(i) for i in app.contacts.ids(ListQuery())]
    assert [(p.last_name, p.roles[0].company_name) for p in people] == [
        ("Nguyen", "Blue Harbour Ltd")
    ]
