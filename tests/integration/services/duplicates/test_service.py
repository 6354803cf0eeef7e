"""The duplicate scan and merges, against a real SQLite file made by the app's bootstrap.

Thresholds under test (services/duplicates/service.py): names alone pair at 93 % (rapidfuzz ratio
of the folded, sorted words, umlauts written out), names of people at one company at
88 %. "Anne Müller" is 92 % like "Anna Müller", and so is "Anna Möller": a pair when
they work at the same company, none when they work at different ones."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.cli import main
from crm_desktop.domain.duplicates import DuplicateGroup
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.matching import name_key
from crm_desktop.domain.records import (
    AddressEntry,
    CompanyDraft,
    ContactDraft,
    EmailEntry,
    PhoneEntry,
    RoleEntry,
)
from crm_desktop.persistence.models import Campaign, CampaignMember, Consent, Order
from crm_desktop.services.duplicates import merge as merging
from tests.databases import connect, location_args


def person(
    first: str,
    last: str,
    email: str = "",
    phone: str = "",
    company: str | None = None,
    **extra: object,
) -> ContactDraft:
    return ContactDraft(
        first_name=first,
        last_name=last,
        emails=(EmailEntry(email),) if email else (),
        phones=(PhoneEntry(phone),) if phone else (),
        roles=(RoleEntry(company, "Buyer"),) if company else (),
        **extra,  # type: ignore[arg-type]
    )


@dataclass
class People:
    lindenhof: str
    nordbau: str
    anna: str  # Anna Müller at Lindenhof
    anna_ue: str  # Anna Mueller, same phone written nationally
    anna_comma: str  # "Müller, Anna" in one field
    anne: str  # Anne Müller at Lindenhof
    anna_o_other: str  # Anna Möller at Nordbau: the decoy
    bob: str  # BOB@x.de
    bob2: str  # bob@X.de
    carl: str  # nothing in common with anyone


@pytest.fixture
def people(app: AppContext) -> People:
    c = app.contacts.create
    lindenhof = app.companies.create(CompanyDraft(name="Lindenhof")).id
    nordbau = app.companies.create(CompanyDraft(name="Nordbau")).id
    return People(
        lindenhof=lindenhof,
        nordbau=nordbau,
        anna=c(person("Anna", "Müller", "anna@lindenhof.de", "+49 30 1234567", lindenhof)).id,
        anna_ue=c(person("Anna", "Mueller", "", "030 1234567")).id,
        anna_comma=c(person("", "Müller, Anna")).id,
        anne=c(person("Anne", "Müller", "", "", lindenhof)).id,
        anna_o_other=c(person("Anna", "Möller", "moeller@nordbau.de", "", nordbau)).id,
        bob=c(person("Bob", "Stone", "BOB@x.de")).id,
        bob2=c(person("Robert", "Stein", "bob@X.de")).id,
        carl=c(person("Carl", "Weber", "carl@weber.de", "+49 89 555000")).id,
    )


def group_of(groups: list[DuplicateGroup], record_id: str) -> DuplicateGroup | None:
    return next((g for g in groups if record_id in g.ids), None)


def pair_reasons(group: DuplicateGroup, a: str, b: str) -> tuple[str, ...]:
    for pair in group.pairs:
        if {pair.a, pair.b} == {a, b}:
            return pair.reasons
    return ()


def test_name_keys_fold_umlauts_order_and_punctuation() -> None:
    assert name_key("Anna", "Müller") == name_key("Anna", "Mueller") == "anna mueller"
    assert name_key("", "Müller, Anna") == "anna mueller"
    assert name_key("Siobhán", "O'Brien") == "obrien siobhan"


def test_scan_groups_contacts_with_reasons(app: AppContext, people: People) -> None:
    steps: list[tuple[int, int]] = []
    groups = app.duplicates.scan(
        "contacts", progress=lambda done, total: steps.append((done, total))
    )
    assert steps[-1][0] == steps[-1][1]

    annas = group_of(groups, people.anna)
    assert annas is not None
    assert set(annas.ids) == {people.anna, people.anna_ue, people.anna_comma, people.anne}
    assert annas.ids[0] == people.anna  # none has a history: the oldest is proposed to keep
    assert annas.score == 95
    phone = pair_reasons(annas, people.anna, people.anna_ue)
    assert "same phone +49 30 1234567" in phone
    assert "similar names 100 %: Anna Müller / Anna Mueller" in phone
    assert pair_reasons(annas, people.anna, people.anna_comma) == (
        "similar names 100 %: Anna Müller / Müller, Anna",
    )
    assert pair_reasons(annas, people.anna, people.anne) == (
        "same company Lindenhof and similar names 92 %: Anna Müller / Anne Müller",
    )
    # The decoy works elsewhere: 92 % is below the 93 % names need on their own.
    assert group_of(groups, people.anna_o_other) is None

    bobs = group_of(groups, people.bob)
    assert bobs is not None and set(bobs.ids) == {people.bob, people.bob2}
    assert bobs.score == 100
    assert bobs.reasons == ("same e-mail bob@x.de",)
    assert group_of(groups, people.carl) is None
    assert len(groups) == 2


def test_the_record_with_most_history_is_proposed_to_keep(app: AppContext, people: People) -> None:
    app.activities.log(people.bob2, "call", "Asked for a quote")
    groups = app.duplicates.scan("contacts")
    bobs = group_of(groups, people.bob)
    assert bobs is not None and bobs.ids == (people.bob2, people.bob)


def test_scan_leaves_out_the_trash(app: AppContext, people: People) -> None:
    app.contacts.delete([people.bob2, people.anna_ue, people.anna_comma])
    groups = app.duplicates.scan("contacts")
    assert group_of(groups, people.bob) is None
    annas = group_of(groups, people.anna)
    assert annas is not None and set(annas.ids) == {people.anna, people.anne}


def test_common_names_are_no_evidence_alone(app: AppContext) -> None:
    ids = [app.contacts.create(person("Thomas", "Müller")).id for _ in range(6)]
    assert app.duplicates.scan("contacts") == []
    # Two of them sharing a phone are still found.
    for contact_id in ids[:2]:
        record = app.contacts.get(contact_id)
        app.contacts.update(
            contact_id,
            ContactDraft(**{**record.to_draft().__dict__, "phones": (PhoneEntry("0171 2345678"),)}),
        )
    (group,) = app.duplicates.scan("contacts")
    assert set(group.ids) == set(ids[:2])
    assert group.reasons == ("same phone +49 171 2345678",)


def test_an_office_phone_pairs_only_alike_names(app: AppContext) -> None:
    switchboard = "030 123450"
    make = app.contacts.create
    anna = make(person("Anna", "Müller", phone=switchboard)).id
    anna_ue = make(person("Anna", "Mueller", phone="+49 30 123450")).id
    for first, last in (("Eva", "Roth"), ("Jan", "Ost"), ("Ute", "Kranz")):
        make(person(first, last, phone=switchboard))
    (group,) = app.duplicates.scan("contacts")
    assert set(group.ids) == {anna, anna_ue}
    assert group.reasons == (
        "same phone +49 30 123450 (shared by 5 contacts)",
        "similar names 100 %: Anna Müller / Anna Mueller",
    )


def test_scan_companies(app: AppContext) -> None:
    make = app.companies.create
    a = make(CompanyDraft(name="Lindenhof GmbH", website="https://www.lindenhof.de/kontakt")).id
    b = make(CompanyDraft(name="Lindenhof", domain="lindenhof.de")).id
    c = make(CompanyDraft(name="Bäckerei Nord", phone="030 7654321")).id
    d = make(CompanyDraft(name="Nord Backwaren", phone="+49 (30) 765 43 21")).id
    e = make(CompanyDraft(name="Gmail fans", domain="gmail.com")).id
    f = make(CompanyDraft(name="Other Gmail fans", website="gmail.com")).id
    g = make(CompanyDraft(name="Hotel Lindenhoff")).id
    h = make(CompanyDraft(name="Hotel Lindenhof KG")).id
    make(CompanyDraft(name="Lindenhof Süd"))
    make(CompanyDraft(name="Hotel Lindenblatt"))
    groups = app.duplicates.scan("companies")
    assert [set(g.ids) for g in groups] == [{a, b}, {c, d}, {g, h}]
    assert groups[2].reasons == ("similar names 97 %: Hotel Lindenhoff / Hotel Lindenhof KG",)
    assert groups[2].score == 82
    assert set(groups[0].reasons) == {
        "same web domain lindenhof.de",
        "same name apart from the legal form: Lindenhof GmbH / Lindenhof",
    }
    assert groups[1].reasons == ("same phone +49 30 7654321",)
    assert e not in groups[0].ids and f not in groups[1].ids
    with pytest.raises(ValidationError):
        app.duplicates.scan("deals")


# ---- merging contacts ----------------------------------------------------------------------------


def rows(app: AppContext, sql: str, *params: object) -> list[tuple]:
    with connect(app) as conn:
        return conn.execute(sql, params).fetchall()


LINKS = {
    "activities": "contact_id",
    "deals": "contact_id",
    "orders": "contact_id",
    "consents": "contact_id",
    "campaign_members": "contact_id",
    "contact_roles": "contact_id",
    "contact_emails": "contact_id",
    "contact_phones": "contact_id",
    "contact_addresses": "contact_id",
    "taggings": "target_id",
    "custom_values": "target_id",
}


def links(app: AppContext, row_ids: dict[str, str]) -> dict[str, str]:
    """Where each of these rows (table -> id) points now."""
    return {
        table: rows(app, f"SELECT {LINKS[table]} FROM {table} WHERE id = ?", row_id)[0][0]
        for table, row_id in row_ids.items()
    }


@pytest.fixture
def pair(app: AppContext) -> tuple[str, str, dict[str, str]]:
    """Anna (kept) and her duplicate with one of every kind of linked row."""
    app.pipeline.create_pipeline("Sales")
    lindenhof = app.companies.create(CompanyDraft(name="Lindenhof")).id
    nordbau = app.companies.create(CompanyDraft(name="Nordbau")).id
    owner = app.users.create("Petra").id
    shoe = app.custom_fields.define("contact", "Shoe size").id
    keep = app.contacts.create(
        ContactDraft(
            first_name="Anna",
            last_name="Müller",
            emails=(EmailEntry("anna@lindenhof.de"),),
            phones=(PhoneEntry("+49 30 1234567"),),
            roles=(RoleEntry(lindenhof, ""),),
            tags=("VIP",),
        )
    ).id
    other = app.contacts.create(
        ContactDraft(
            first_name="Anna",
            last_name="Mueller",
            emails=(EmailEntry("ANNA@lindenhof.de"), EmailEntry("anna@home.example", "home")),
            phones=(PhoneEntry("+49 30 1234567"), PhoneEntry("+49 171 9999999", "mobile")),
            addresses=(AddressEntry("Lindenweg 3", "Köln", "", "50667", "Germany"),),
            roles=(RoleEntry(lindenhof, "Buyer"), RoleEntry(nordbau, "Adviser")),
            birthday=dt.date(1980, 5, 17),
            owner_id=owner,
            notes="Met at the fair",
            tags=("VIP", "Newsletter"),
            custom=((shoe, "42"),),
        )
    ).id
    linked: dict[str, str] = {
        "activities": app.activities.log(other, "call", "Called about the roof").id,
        "deals": app.deals.create_for_contact(other, "Roof", 10_000_00).id,
    }
    with app.uow() as uow:
        campaign = Campaign(name="Spring newsletter")
        uow.session.add(campaign)
        uow.session.flush()
        objs = {
            "orders": Order(ordered_on=dt.date(2026, 11, 1), amount_cents=500, contact_id=other),
            "consents": Consent(contact_id=other, purpose="newsletter", source="Web form"),
            "campaign_members": CampaignMember(campaign_id=campaign.id, contact_id=other),
        }
        for obj in objs.values():
            uow.session.add(obj)
        uow.commit()
    linked.update({k: v.id for k, v in objs.items()})
    linked["contact_roles"] = rows(
        app, "SELECT id FROM contact_roles WHERE contact_id = ? AND company_id = ?", other, nordbau
    )[0][0]
    linked["contact_emails"] = rows(
        app, "SELECT id FROM contact_emails WHERE email = 'anna@home.example'"
    )[0][0]
    linked["contact_phones"] = rows(
        app, "SELECT id FROM contact_phones WHERE number = '+49 171 9999999'"
    )[0][0]
    linked["contact_addresses"] = rows(
        app, "SELECT id FROM contact_addresses WHERE contact_id = ?", other
    )[0][0]
    linked["custom_values"] = rows(app, "SELECT id FROM custom_values WHERE target_id = ?", other)[
        0
    ][0]
    linked["taggings"] = rows(
        app,
        "SELECT taggings.id FROM taggings JOIN tags ON tags.id = tag_id "
        "WHERE target_id = ? AND name = 'Newsletter'",
        other,
    )[0][0]
    return keep, other, linked


def test_merge_preview_proposes_the_kept_values_unless_empty(
    app: AppContext, pair: tuple[str, str, dict[str, str]]
) -> None:
    keep, other, _ = pair
    preview = app.duplicates.merge_preview("contacts", keep, [other])
    fields = {f.key: f for f in preview.fields}
    assert fields["last_name"].values == ((keep, "Müller"), (other, "Mueller"))
    assert fields["last_name"].proposed == keep and fields["last_name"].differs
    assert fields["birthday"].values == ((keep, ""), (other, "1980-05-17"))
    assert fields["birthday"].proposed == other
    assert fields["owner_id"].values[1] == (other, "Petra")
    assert fields["first_name"].proposed == keep and not fields["first_name"].differs
    united = dict(preview.united)
    assert united["E-mails"] == ("anna@lindenhof.de", "anna@home.example")
    assert united["Phones"] == ("+49 30 1234567", "+49 171 9999999")
    assert united["Companies"] == ("Lindenhof (Buyer)", "Nordbau (Adviser)")
    assert united["Tags"] == ("Newsletter", "VIP")
    moved = dict(preview.relinked)
    assert moved["activities"] == moved["deals"] == moved["orders"] == 1
    assert moved["contact_emails"] == 1  # the other copy of anna@lindenhof.de stays behind
    assert preview.titles == ((keep, "Anna Müller"), (other, "Anna Mueller"))


def test_merge_relinks_everything_and_undo_puts_it_back(
    app: AppContext, pair: tuple[str, str, dict[str, str]]
) -> None:
    keep, other, linked = pair
    before_keep = app.contacts.get(keep)
    before_other = app.contacts.get(other)
    seq_before = rows(app, "SELECT max(seq) FROM change")[0][0]

    result = app.duplicates.merge("contacts", keep, [other], {"last_name": other})

    assert links(app, linked) == dict.fromkeys(linked, keep)
    merged = app.contacts.get(keep)
    assert merged.last_name == "Mueller"  # chosen
    assert merged.birthday == dt.date(1980, 5, 17)  # the kept one had none
    assert merged.notes == "Met at the fair"  # the kept one had none
    assert [e.email for e in merged.emails] == ["anna@lindenhof.de", "anna@home.example"]
    assert [p.number for p in merged.phones] == ["+49 30 1234567", "+49 171 9999999"]
    assert [(r.company_name, r.title) for r in merged.roles] == [
        ("Lindenhof", "Buyer"),  # the kept role had no title: it takes the other's
        ("Nordbau", "Adviser"),
    ]
    assert merged.tags == ("Newsletter", "VIP")
    assert [a.city for a in merged.addresses] == ["Köln"]
    assert app.contacts.rows([keep])[0].display_name == "Anna Mueller"
    gone = app.contacts.get(other)
    assert gone.deleted_at is not None
    assert f"Merged into Anna Mueller on {dt.date.today().isoformat()}" in gone.notes
    assert "Met at the fair" in gone.notes
    assert [h.id for h in app.search.search("anna@home.example", 10)] == [keep]
    assert result.relinked >= len(linked)
    assert result.changes.ids("contacts") == {keep, other}

    # The change log carries the whole merge: the tombstone and every moved link.
    logged = rows(app, "SELECT entity, row_id, field, value FROM change WHERE seq > ?", seq_before)
    fields = {(e, r, f) for e, r, f, _ in logged}
    assert ("contacts", other, "deleted_at") in fields
    assert ("contacts", keep, "last_name") in fields
    for table, row_id in linked.items():
        assert (table, row_id, LINKS[table]) in fields
    assert (
        len({row[0] for row in rows(app, "SELECT hlc FROM change WHERE seq > ?", seq_before)}) >= 1
    )

    undo = app.duplicates.undo_merge(result)
    assert links(app, linked) == dict.fromkeys(linked, other)
    assert app.contacts.get(other).deleted_at is None
    restored_keep, restored_other = app.contacts.get(keep), app.contacts.get(other)
    for before, after in ((before_keep, restored_keep), (before_other, restored_other)):
        assert after.to_draft() == before.to_draft()
    assert app.contacts.rows([keep])[0].email == "anna@lindenhof.de"
    assert [h.id for h in app.search.search("anna@home.example", 10)] == [other]
    assert undo.changes.ids("contacts") == {keep, other}
    groups = app.duplicates.scan("contacts")
    assert set(groups[0].ids) == {keep, other}

    # Undoing the undo merges again.
    app.duplicates.undo_merge(undo)
    assert links(app, linked) == dict.fromkeys(linked, keep)
    assert app.contacts.get(other).deleted_at is not None


def test_a_merge_that_fails_half_way_leaves_nothing(
    app: AppContext, pair: tuple[str, str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    keep, other, linked = pair
    seq_before = rows(app, "SELECT max(seq) FROM change")[0][0]

    def crash(*_args: object) -> None:
        raise RuntimeError("power cut")

    # The rows have moved and the fields are set when this runs; nothing is committed yet.
    monkeypatch.setattr(merging, "_contact_copies", crash)
    with pytest.raises(RuntimeError):
        app.duplicates.merge("contacts", keep, [other])
    assert links(app, linked) == dict.fromkeys(linked, other)
    assert app.contacts.get(other).deleted_at is None
    assert app.contacts.get(keep).birthday is None
    assert rows(app, "SELECT max(seq) FROM change")[0][0] == seq_before


def test_merge_choices_take_values_or_record_ids(
    app: AppContext, pair: tuple[str, str, dict[str, str]]
) -> None:
    keep, other, _ = pair
    app.duplicates.merge(
        "contacts",
        keep,
        [other],
        {"first_name": "Anne", "birthday": keep, "notes": other, "cadence_days": 30},
    )
    merged = app.contacts.get(keep)
    assert (merged.first_name, merged.birthday, merged.notes) == ("Anne", None, "Met at the fair")


def test_custom_fields_are_chosen_like_fields(app: AppContext) -> None:
    shoe = app.custom_fields.define("contact", "Shoe size").id
    app.custom_fields.define("contact", "Nobody has this")
    keep = app.contacts.create(person("Anna", "Müller", custom=((shoe, "38"),))).id
    other = app.contacts.create(person("Anna", "Mueller", custom=((shoe, "42"),))).id
    preview = app.duplicates.merge_preview("contacts", keep, [other])
    (field,) = [f for f in preview.fields if f.key.startswith("custom:")]
    assert (field.key, field.label, field.values) == (
        f"custom:{shoe}",
        "Shoe size",
        ((keep, "38"), (other, "42")),
    )
    assert field.proposed == keep
    result = app.duplicates.merge("contacts", keep, [other], {f"custom:{shoe}": other})
    assert app.contacts.get(keep).custom == ((shoe, "42"),)
    app.duplicates.undo_merge(result)
    assert app.contacts.get(keep).custom == ((shoe, "38"),)
    assert app.contacts.get(other).custom == ((shoe, "42"),)
    app.duplicates.merge("contacts", keep, [other], {f"custom:{shoe}": "40"})
    assert app.contacts.get(keep).custom == ((shoe, "40"),)


def test_merge_refuses_bad_requests(app: AppContext, pair: tuple[str, str, dict[str, str]]) -> None:
    keep, other, _ = pair
    with pytest.raises(ValidationError, match="itself"):
        app.duplicates.merge("contacts", keep, [keep])
    with pytest.raises(ValidationError, match="no contact with id nope"):
        app.duplicates.merge("contacts", keep, ["nope"])
    with pytest.raises(ValidationError, match="at least one"):
        app.duplicates.merge("contacts", keep, [])
    with pytest.raises(ValidationError, match="no field 'shoe_size'"):
        app.duplicates.merge("contacts", keep, [other], {"shoe_size": "42"})
    with pytest.raises(ValidationError, match="not a date"):
        app.duplicates.merge("contacts", keep, [other], {"birthday": "soon"})
    with pytest.raises(ValidationError, match="itself"):
        app.duplicates.merge_preview("contacts", keep, [keep])
    app.contacts.delete([other])
    with pytest.raises(ValidationError, match="in the Trash"):
        app.duplicates.merge("contacts", keep, [other])
    # Nothing was half-done.
    assert app.contacts.get(keep).last_name == "Müller"


# ---- merging companies ---------------------------------------------------------------------------


def test_merge_companies_moves_people_deals_and_roles(app: AppContext) -> None:
    app.pipeline.create_pipeline("Sales")
    keep = app.companies.create(
        CompanyDraft(name="Lindenhof GmbH", domain="lindenhof.de", tags=("Key account",))
    ).id
    other = app.companies.create(
        CompanyDraft(name="Lindenhof", phone="+49 30 5550", industry="Hotels", tags=("Hotel",))
    ).id
    both = app.contacts.create(
        ContactDraft(
            first_name="Eva",
            last_name="Roth",
            roles=(RoleEntry(other, "Owner"), RoleEntry(keep, "CEO")),
        )
    ).id
    only_other = app.contacts.create(
        ContactDraft(first_name="Jan", last_name="Ost", roles=(RoleEntry(other, "Chef"),))
    ).id
    deal = app.deals.create_for_contact(only_other, "Banquet", 5_000_00).id
    assert rows(app, "SELECT company_id FROM deals WHERE id = ?", deal) == [(other,)]

    preview = app.duplicates.merge_preview("companies", keep, [other])
    fields = {f.key: f for f in preview.fields}
    assert fields["phone"].proposed == other and fields["name"].proposed == keep
    assert dict(preview.united)["People"] == ("Eva Roth", "Jan Ost")

    result = app.duplicates.merge("companies", keep, [other])
    company = app.companies.get(keep)
    assert (company.name, company.phone, company.industry) == (
        "Lindenhof GmbH",
        "+49 30 5550",
        "Hotels",
    )
    assert company.tags == ("Hotel", "Key account")
    assert sorted(name for _, name, _ in company.people) == ["Eva Roth", "Jan Ost"]
    assert rows(app, "SELECT company_id FROM deals WHERE id = ?", deal) == [(keep,)]
    assert [r.company_id for r in app.contacts.get(only_other).roles] == [keep]
    assert rows(app, "SELECT company_id FROM contacts WHERE id = ?", only_other) == [(keep,)]
    # Eva held a role at both: one role is left, at the kept company, and her row in the
    # list copies it.
    assert [(r.company_id, r.title) for r in app.contacts.get(both).roles] == [(keep, "CEO")]
    assert rows(app, "SELECT company_id, title FROM contacts WHERE id = ?", both) == [(keep, "CEO")]
    assert rows(app, "SELECT position FROM contact_roles WHERE contact_id = ?", only_other) == [
        (0,)
    ]
    assert app.companies.get(other).deleted_at is not None
    assert app.duplicates.scan("companies") == []

    app.duplicates.undo_merge(result)
    assert app.companies.get(other).deleted_at is None
    assert rows(app, "SELECT company_id FROM deals WHERE id = ?", deal) == [(other,)]
    assert [(r.company_id, r.title) for r in app.contacts.get(both).roles] == [
        (other, "Owner"),
        (keep, "CEO"),
    ]
    assert rows(app, "SELECT company_id, title FROM contacts WHERE id = ?", both) == [
        (other, "Owner")
    ]
    assert [r.company_id for r in app.contacts.get(only_other).roles] == [other]
    assert app.companies.get(keep).phone == ""
    assert app.companies.get(keep).tags == ("Key account",)


def test_similar_contacts_still_warns_while_typing(app: AppContext, people: People) -> None:
    hits = app.duplicates.similar_contacts(person("Anna", "Müller", "ANNA@lindenhof.de"))
    assert hits[0].contact_id == people.anna
    assert hits[0].reason == "same e-mail anna@lindenhof.de"


def test_command_line_lists_groups(
    app: AppContext, people: People, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*location_args(app), "duplicates"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("2 groups of likely duplicate contacts (6 records)")
    assert "same e-mail bob@x.de" in text
    assert "same phone +49 30 1234567" in text
    assert main([*location_args(app), "duplicates", "--kind", "companies", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"kind": "companies", "groups": []}
    assert main([*location_args(app), "--json", "duplicates"]) == 0
    payload = json.loads(capsys.readouterr().out)
    bobs = next(g for g in payload["groups"] if people.bob in g["ids"])
    assert bobs["pairs"][0]["reasons"] == ["same e-mail bob@x.de"]
