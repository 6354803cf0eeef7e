"""The streamed contacts export against the contacts as the app shows them, one by one.

Contacts with none, one or several e-mails, phones, addresses, companies and tags (and
custom values, which the export leaves out), some in the Trash, some of one name, read in
pages of four: every column of every row of the CSV and every property of every vCard is
compared with `ContactService.get` of the contact. A lost column or child row, a row in
the wrong place, a contact of the Trash in the export of everyone, fails here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import replace
from pathlib import Path

import pytest

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
from crm_desktop.persistence import contact_export

TAGS = ("alpha", "Beta", "gamma", "Delta")
LABELS = ("", "home", "work", "other")


def _people(app: AppContext, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    companies = [app.companies.create(CompanyDraft(name=f"Firma {n}")).id for n in range(3)]
    field = app.custom_fields.define("contact", "Size").id
    owner = app.users.create("Olga Owner").id
    ids = []
    for n in range(count):
        first, last = ("Sam", "Same") if n % 7 == 0 else (f"First{n}", f"Last{rng.randint(0, 9)}")
        draft = ContactDraft(
            first_name=first,
            last_name=last,
            emails=tuple(
                EmailEntry(f"p{n}.{k}@x{k}.example", rng.choice(LABELS))
                for k in range(rng.choice((0, 1, 1, 2, 4)))
            ),
            phones=tuple(
                PhoneEntry(rng.choice(("+49 30 ", "0221 ", "+1 555 ")) + f"{n:05d}{k}", "mobile")
                for k in range(rng.choice((0, 1, 1, 3)))
            ),
            addresses=tuple(
                AddressEntry(f"Weg {n}-{k}", f"City{k}", "", f"{n:05d}", "DE", rng.choice(LABELS))
                for k in range(rng.choice((0, 0, 1, 2)))
            ),
            roles=tuple(
                RoleEntry(companies[(n + k) % 3], rng.choice(("", "Buyer", "Boss")))
                for k in range(rng.choice((0, 1, 2)))
            ),
            tags=tuple(rng.sample(TAGS, rng.choice((0, 1, 3)))),
            custom=((field, str(n)),) if n % 4 == 0 else (),
            birthday=dt.date(1970 + n % 30, 1 + n % 12, 1 + n % 28) if n % 3 == 0 else None,
            owner_id=owner if n % 2 == 0 else None,
            notes=f"note {n}\nline two" if n % 5 == 0 else "",
            lead_source="Fair" if n % 6 == 0 else "",
            nickname=f"Nick{n}" if n % 9 == 0 else "",
            job_title="Consultant" if n % 8 == 0 else "",
            department=f"Dept {n}" if n % 10 == 0 else "",
            websites=(f"https://{n}.example", "https://b.example") if n % 11 == 0 else (),
            anniversary=dt.date(2000, 2, 29) if n % 12 == 0 else None,
        )
        ids.append(app.contacts.create(draft).id)
    # An e-mail deleted, and some contacts to the Trash.
    first_with_two = next(i for i in ids if len(app.contacts.get(i).emails) >= 2)
    record = app.contacts.get(first_with_two)
    app.contacts.update(first_with_two, replace(record.to_draft(), emails=record.emails[1:]))
    app.contacts.delete(ids[3::10])
    # Rows stored in another order than their positions (as a reorder leaves them).
    swapped = next(i for i in ids[4:] if len(app.contacts.get(i).emails) >= 2)
    with app.uow() as uow:
        conn = uow.session.connection()
        conn.exec_driver_sql(
            "UPDATE contact_emails SET position = 10 - position WHERE contact_id = %s"
            if conn.dialect.name == "postgresql"
            else "UPDATE contact_emails SET position = 10 - position WHERE contact_id = ?",
            (swapped,),
        )
        uow.commit()
    before = [e.email for e in app.contacts.get(swapped).emails]
    assert before == sorted(before, reverse=True)  # last stored is first now
    return ids


def _csv_rows(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return [{k: tabular.restore_neutralised(v) for k, v in row.items()} for row in reader]


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _expected_row(record: ContactRecord, emails: int, phones: int) -> dict[str, str]:
    role = record.roles[0] if record.roles else None
    address = record.addresses[0] if record.addresses else AddressEntry("", "", "", "", "")
    row = {
        "ID": record.id,
        "Prefix": record.prefix,
        "First name": record.first_name,
        "Middle name": record.middle_name,
        "Last name": record.last_name,
        "Suffix": record.suffix,
        "Nickname": record.nickname,
        "Display name": record.formatted_name,
        "Company": role.company_name if role else "",
        "Title": (role.title if role else "") or record.job_title,
        "Department": record.department,
        "Role": record.role,
        "Street": address.street,
        "Postcode": address.postcode,
        "City": address.city,
        "Region": address.region,
        "Country": address.country,
        "Birthday": _day(record.birthday),
        "Anniversary": _day(record.anniversary),
        "Websites": " ::: ".join(record.websites),
        "Lead source": record.lead_source,
        "Owner": record.owner_name,
        "Tags": ", ".join(sorted(record.tags, key=str.lower)),
        "Notes": record.notes,
        "Created": record.created_at.strftime("%Y-%m-%d %H:%M"),
        "Updated": record.updated_at.strftime("%Y-%m-%d %H:%M"),
    }
    for name, values, width in (
        ("E-mail", [e.email for e in record.emails], emails),
        ("Phone", [p.number for p in record.phones], phones),
    ):
        for k in range(width):
            row[name if k == 0 else f"{name} {k + 1}"] = values[k] if k < len(values) else ""
    return row


def _check_cards(app: AppContext, path: Path, ids: list[str]) -> None:
    cards, problems = vcard.read_cards(path.read_bytes())
    assert problems == []
    assert [c.uid.removeprefix("urn:uuid:") for c in cards] == ids
    for card in cards:
        record = app.contacts.get(card.uid.removeprefix("urn:uuid:"))
        assert (card.first_name, card.last_name, card.nickname) == (
            record.first_name,
            record.last_name,
            record.nickname,
        )
        assert card.emails == tuple(EmailEntry(e.email, e.label) for e in record.emails)
        assert [p.number for p in card.phones] == [p.number for p in record.phones]
        assert card.addresses == record.addresses
        companies = [r.company_name for r in record.roles]
        assert [card.organization, *card.other_organizations] == (companies or [""])
        assert card.title == ((record.roles[0].title if record.roles else "") or record.job_title)
        assert sorted(card.tags) == sorted(record.tags)
        assert (card.birthday, card.anniversary, card.notes) == (
            record.birthday,
            record.anniversary,
            record.notes,
        )
        assert card.urls == record.websites
        assert (card.department, card.role) == (
            record.department if record.roles else "",
            record.role,
        )


def test_every_column_and_child_row_of_every_contact(
    app: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _people(app, 41, seed=5)
    monkeypatch.setattr(contact_export, "PAGE", 4)
    monkeypatch.setattr(contact_export, "IDS", 4)
    live = app.contacts.ids(ListQuery())
    assert 0 < len(live) < len(ids)
    records = {i: app.contacts.get(i) for i in ids}
    emails = max(len(records[i].emails) for i in live)
    phones = max(len(records[i].phones) for i in live)
    assert emails >= 2 and phones >= 2  # several columns of each

    target = tmp_path / "all.csv"
    assert app.exports.contacts(target) == len(live)
    rows = _csv_rows(target)
    assert [r["ID"] for r in rows] == live
    assert rows == [_expected_row(records[i], emails, phones) for i in live]

    target = tmp_path / "all.vcf"
    assert app.exports.contacts(target) == len(live)
    _check_cards(app, target, live)

    # Chosen ones in an order of their own, one in the Trash among them.
    trashed = app.contacts.ids(ListQuery(trash=Trash.ONLY))
    chosen = [*live[::-3], trashed[0], live[1]]
    target = tmp_path / "chosen.csv"
    assert app.exports.contacts(target, chosen) == len(chosen)
    rows = _csv_rows(target)
    emails = max(1, *(len(records[i].emails) for i in chosen))
    phones = max(1, *(len(records[i].phones) for i in chosen))
    assert rows == [_expected_row(records[i], emails, phones) for i in chosen]
    target = tmp_path / "chosen.vcf"
    assert app.exports.contacts(target, chosen) == len(chosen)
    _check_cards(app, target, chosen)
