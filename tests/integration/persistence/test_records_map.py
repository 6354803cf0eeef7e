"""persistence/records_map.py: a draft is stored the same way one by one (`add_contact`,
as an editor saves) and many at once (`insert_contacts`, as imports and the demo do), and
saving a draft again leaves no change. Runs on `fast_app` (a copied, migrated database)."""

from __future__ import annotations

import dataclasses

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import (
    AddressEntry,
    CompanyDraft,
    ContactDraft,
    EmailEntry,
    ListQuery,
    PhoneEntry,
    RoleEntry,
)
from crm_desktop.persistence import records_map


def _draft(app: AppContext) -> ContactDraft:
    company = app.companies.create(CompanyDraft(name="Kolo GmbH")).id
    field = app.custom_fields.define("contact", "Shoe size").id
    return ContactDraft(
        first_name=" Zofia ",
        last_name="Nowak",
        emails=(EmailEntry("zofia@kolo.example", "work"), EmailEntry("z@home.example")),
        phones=(PhoneEntry("+49 30 1234567", "mobile"),),
        addresses=(AddressEntry("Hauptstr. 1", "Berlin", "", "10115", "DE", "work"),),
        roles=(RoleEntry(company, "Buyer"),),
        tags=("VIP", "Newsletter"),
        custom=((field, "38"),),
        nickname=" Zosia ",
        websites=("https://kolo.example", " "),
    )


def test_one_by_one_and_in_bulk_store_the_same_contact(fast_app: AppContext) -> None:
    draft = _draft(fast_app)
    one = fast_app.contacts.create(draft).id
    with fast_app.uow() as uow:
        (many,) = records_map.insert_contacts(uow, [draft])
        uow.commit()
    first, second = fast_app.contacts.get(one), fast_app.contacts.get(many)
    # The bulk path writes no custom values (imports and the demo give none).
    assert dataclasses.replace(second.to_draft(), custom=()) == dataclasses.replace(
        first.to_draft(), custom=()
    )
    assert first.first_name == "Zofia" and first.nickname == "Zosia"
    assert first.websites == ("https://kolo.example",)
    # The derived columns the list shows: the same from both paths.
    rows = {r.id: r for r in fast_app.contacts.rows([one, many])}
    assert dataclasses.replace(rows[many], id=one, updated_at=rows[one].updated_at) == rows[one]
    assert (rows[one].email, rows[one].company_name, rows[one].title, rows[one].city) == (
        "zofia@kolo.example",
        "Kolo GmbH",
        "Buyer",
        "Berlin",
    )


def test_saving_the_same_draft_again_changes_nothing(fast_app: AppContext) -> None:
    draft = _draft(fast_app)
    contact = fast_app.contacts.create(draft).id
    assert not fast_app.contacts.update(contact, draft).changes
    fewer = dataclasses.replace(draft, emails=draft.emails[:1], tags=("VIP",))
    assert fast_app.contacts.update(contact, fewer).changes
    again = fast_app.contacts.get(contact)
    assert again.emails == fewer.emails and again.tags == ("VIP",)


def test_a_company_draft_round_trips(fast_app: AppContext) -> None:
    field = fast_app.custom_fields.define("company", "Fleet size").id
    draft = CompanyDraft(
        name=" Kolo GmbH ",
        domain="kolo.example",
        address=AddressEntry("Hauptstr. 1", "Berlin", "", "10115", "DE"),
        tags=("Key",),
        custom=((field, "12"),),
    )
    company = fast_app.companies.create(draft).id
    record = fast_app.companies.get(company)
    assert record.to_draft() == dataclasses.replace(draft, name="Kolo GmbH")
    assert not fast_app.companies.update(company, draft).changes
    assert fast_app.companies.ids(ListQuery()) == [company]
