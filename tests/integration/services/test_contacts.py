"""Contacts through the services, against a real SQLite file made by the app's bootstrap."""

from __future__ import annotations

import json

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.errors import NotFoundError, ValidationError
from crm_desktop.domain.records import (
    AddressEntry,
    CompanyDraft,
    ContactDraft,
    EmailEntry,
    ListQuery,
    PhoneEntry,
    RoleEntry,
    Trash,
)
from tests.databases import connect


def changes(app: AppContext) -> list[tuple]:
    with connect(app) as conn:
        return conn.execute(
            "SELECT device_id, seq, hlc, entity, row_id, field, value, base_hlc FROM change "
            "ORDER BY seq"
        ).fetchall()


def anna(**extra: object) -> ContactDraft:
    values: dict = {
        "first_name": "Anna",
        "last_name": "Müller",
        "emails": (EmailEntry("anna@lindenhof.example"), EmailEntry("anna@home.example", "home")),
        "phones": (PhoneEntry("+49 30 1234567"),),
        "addresses": (AddressEntry("Lindenweg 3", "Köln", "", "50667", "Germany"),),
        "tags": ("VIP",),
        "lead_source": "Referral",
        "notes": "Prefers calls in the morning",
    }
    values.update(extra)
    return ContactDraft(**values)


def test_create_then_get_returns_every_field(app: AppContext) -> None:
    company = app.companies.create(CompanyDraft(name="Lindenhof GmbH")).id
    saved = app.contacts.create(anna(roles=(RoleEntry(company, "Buyer"),)))
    record = app.contacts.get(saved.id)
    assert record.display_name == "Anna Müller"
    assert [e.email for e in record.emails] == ["anna@lindenhof.example", "anna@home.example"]
    assert record.roles[0].company_name == "Lindenhof GmbH"
    assert record.roles[0].title == "Buyer"
    assert record.tags == ("VIP",)
    assert record.addresses[0].city == "Köln"
    assert saved.changes.ids("contacts") == {saved.id}


def test_every_edit_leaves_its_change_rows_with_gap_free_seq(app: AppContext) -> None:
    saved = app.contacts.create(anna())
    created = changes(app)
    insert = next(c for c in created if c[3] == "contacts")
    assert insert[5] == "*"
    assert json.loads(insert[6])["last_name"] == "Müller"

    draft = app.contacts.get(saved.id).to_draft()
    app.contacts.update(saved.id, ContactDraft(**{**draft.__dict__, "last_name": "Schmidt"}))
    after = changes(app)
    new = after[len(created) :]
    fields = {(c[3], c[5]) for c in new}
    assert ("contacts", "last_name") in fields
    assert ("contacts", "first_name") not in fields  # unchanged fields are not recorded
    edit = next(c for c in new if c[5] == "last_name")
    assert json.loads(edit[6]) == "Schmidt"
    assert edit[7] == insert[2]  # base_hlc: the stamp of the value the edit replaced
    assert [c[1] for c in after] == list(range(1, len(after) + 1))
    assert {c[0] for c in after} == {app.database.device_id}


def test_a_rolled_back_unit_of_work_leaves_no_change_rows(app: AppContext) -> None:
    before = changes(app)
    from crm_desktop.persistence.models import Contact

    with app.uow() as uow:
        uow.contacts.add(Contact(first_name="Ghost", last_name="Writer"))
        uow.session.flush()  # written and captured, then never committed
    assert changes(app) == before
    assert app.contacts.count(ListQuery(search="Ghost")) == 0


def test_failed_validation_writes_nothing(app: AppContext) -> None:
    with pytest.raises(ValidationError):
        app.contacts.create(ContactDraft(first_name="Bad", emails=(EmailEntry("nope"),)))
    assert changes(app) == []


def test_delete_moves_to_trash_and_restore_brings_back(app: AppContext) -> None:
    keep = app.contacts.create(anna()).id
    gone = app.contacts.create(anna(first_name="Bernd", emails=())).id
    app.contacts.delete([gone])
    assert app.contacts.ids(ListQuery()) == [keep]
    assert app.contacts.ids(ListQuery(trash=Trash.ONLY)) == [gone]
    assert app.contacts.get(gone).deleted_at is not None
    tombstone = [c for c in changes(app) if c[4] == gone and c[5] == "deleted_at"]
    assert len(tombstone) == 1
    app.contacts.restore([gone])
    assert set(app.contacts.ids(ListQuery())) == {keep, gone}


def test_unknown_ids_raise_a_readable_error(app: AppContext) -> None:
    with pytest.raises(NotFoundError, match="no contact with id nope"):
        app.contacts.get("nope")


def test_search_is_case_and_accent_insensitive(app: AppContext) -> None:
    target = app.contacts.create(anna()).id
    app.contacts.create(ContactDraft(first_name="Zoe", last_name="Smith"))
    for query in (
        "muller",
        "MÜLLER",
        "Mueller",
        "ülle",
        "anna müll",
        "lindenhof.example",
        "1234567",
        "morning",
    ):
        assert app.contacts.ids(ListQuery(search=query)) == [target], query
    assert [h.id for h in app.search.search("müller")] == [target]


def test_search_follows_edits_and_company_renames(app: AppContext) -> None:
    company = app.companies.create(CompanyDraft(name="Alpha Bakery")).id
    person = app.contacts.create(anna(roles=(RoleEntry(company),))).id
    assert app.contacts.ids(ListQuery(search="alpha")) == [person]
    draft = app.companies.get(company).to_draft()
    app.companies.update(company, CompanyDraft(**{**draft.__dict__, "name": "Omega Bakery"}))
    assert app.contacts.ids(ListQuery(search="alpha")) == []
    assert app.contacts.ids(ListQuery(search="omega")) == [person]


def test_paging_sorting_and_filters_run_in_sql(app: AppContext) -> None:
    names = ["Zander", "Adler", "Möller", "Bauer", "Özdemir"]
    ids = {
        n: app.contacts.create(
            ContactDraft(
                first_name="X", last_name=n, tags=("VIP",) if n in ("Adler", "Bauer") else ()
            )
        ).id
        for n in names
    }
    page = app.contacts.page(ListQuery(sort="name"), offset=0, limit=2)
    assert page.total == 5
    assert [r.display_name for r in page.rows] == ["X Adler", "X Bauer"]
    page2 = app.contacts.page(ListQuery(sort="name"), offset=2, limit=10)
    assert [r.display_name for r in page2.rows] == ["X Möller", "X Özdemir", "X Zander"]
    desc = app.contacts.ids(ListQuery(sort="name", descending=True))
    assert desc[0] == ids["Zander"]
    assert set(app.contacts.ids(ListQuery(tag="vip"))) == {ids["Adler"], ids["Bauer"]}
    rows = app.contacts.rows([ids["Bauer"], ids["Adler"]])
    assert [r.display_name for r in rows] == ["X Bauer", "X Adler"]
    assert rows[0].tags == "VIP"
    assert app.contacts.first_ids(ListQuery(sort="name"), 2) == ([ids["Adler"], ids["Bauer"]], 5)


def test_bulk_actions_tag_and_owner(app: AppContext) -> None:
    owner = app.users.create("Maria Keller").id
    a = app.contacts.create(ContactDraft(first_name="A")).id
    b = app.contacts.create(ContactDraft(first_name="B")).id
    app.contacts.add_tag([a, b], "Newsletter")
    app.contacts.set_owner([a, b], owner)
    assert set(app.contacts.ids(ListQuery(tag="newsletter", owner_id=owner))) == {a, b}
    assert app.contacts.get(a).owner_name == "Maria Keller"


def test_create_many_records_the_same_rows_as_create(app: AppContext) -> None:
    drafts = [anna(first_name=f"Person{i}") for i in range(50)]
    result = app.contacts.create_many(drafts, batch=20)
    assert len(result.ids("contacts")) == 50
    assert app.contacts.count(ListQuery(search="person42")) == 1
    assert app.contacts.count(ListQuery(search="person4")) == 11  # person4, person40..49
    rows = changes(app)
    assert sum(1 for c in rows if c[3] == "contacts") == 50
    assert [c[1] for c in rows] == list(range(1, len(rows) + 1))
    assert sum(1 for c in rows if c[3] == "contact_emails") == 100


def test_one_or_two_letters_jump_to_last_names(app: AppContext) -> None:
    target = app.contacts.create(ContactDraft(first_name="Anna", last_name="Müller")).id
    app.contacts.create(ContactDraft(first_name="Mustafa", last_name="Yılmaz"))
    app.contacts.create(ContactDraft(first_name="Lena", last_name="Amundsen"))
    assert app.contacts.ids(ListQuery(search="MÜ")) == [target]
    assert app.contacts.ids(ListQuery(search="m")) == [target]
