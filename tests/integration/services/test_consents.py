"""The consent ledger (appended, never overwritten, synced through the change log, on the
timeline), the sending rule, the data-subject export and anonymising."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from crm_desktop.bootstrap import AppContext
from crm_desktop.cli import main
from crm_desktop.domain.errors import NotFoundError, ValidationError
from crm_desktop.domain.records import ContactDraft, EmailEntry, PhoneEntry, TimelineKind
from crm_desktop.domain.segments import parse_filter
from tests.databases import connect, location_args


@pytest.fixture
def anna(app: AppContext) -> str:
    return app.contacts.create(
        ContactDraft(
            first_name="Anna",
            last_name="Sörensen",
            emails=(EmailEntry("anna@example.com"),),
            phones=(PhoneEntry("+49 30 1234567"),),
            notes="Likes tea",
        )
    ).id


def test_the_ledger_is_appended_and_the_newest_entry_is_in_force(
    app: AppContext, anna: str
) -> None:
    first = app.consents.record(anna, "newsletter", source="Web form", evidence="Double opt-in")
    app.consents.withdraw(anna, "newsletter")
    app.consents.record(anna, "phone", lawful_basis="legitimate_interest", source="Fair")
    history = app.consents.history(anna)
    assert [(e.purpose, e.status) for e in history] == [
        ("newsletter", "granted"),
        ("newsletter", "withdrawn"),
        ("phone", "granted"),
    ]
    assert history[0].id == first.id and history[0].evidence == "Double opt-in"  # untouched
    assert {s.purpose: s.status for s in app.consents.current(anna)} == {
        "newsletter": "withdrawn",
        "phone": "granted",
    }
    with connect(app) as conn:
        rows = conn.execute("SELECT count(*) FROM consents WHERE contact_id = ?", (anna,))
        assert rows.fetchone()[0] == 3
        changes = conn.execute(
            "SELECT count(DISTINCT row_id) FROM change WHERE entity = 'consents'"
        ).fetchone()[0]
    assert changes == 3  # each entry travels to the team like any record


def test_a_withdrawal_blocks_marketing_never_a_transactional_message(
    app: AppContext, anna: str
) -> None:
    assert not app.consents.allows(anna, "newsletter")  # nothing recorded yet
    app.consents.record(anna, "newsletter")
    assert app.consents.allows(anna, "newsletter")
    app.consents.withdraw(anna, "newsletter")
    assert not app.consents.allows(anna, "newsletter")
    assert app.consents.allows(anna, "transactional")
    assert app.consents.refusals([anna], "newsletter") == {anna: "withdrew consent for newsletter"}
    assert app.consents.refusals([anna], "post") == {anna: "no consent for post"}
    granted = parse_filter({"field": "consent", "purpose": "newsletter", "op": "granted"})
    assert app.segments.count(granted) == 0


def test_the_ledger_shows_on_the_timeline(app: AppContext, anna: str) -> None:
    app.consents.record(anna, "marketing_email", source="Web form")
    app.consents.withdraw(anna, "marketing_email")
    titles = [
        e.title
        for e in app.timeline.timeline("contacts", anna, limit=50)
        if e.kind is TimelineKind.CONSENT
    ]
    assert titles == ["Consent withdrawn: marketing email", "Consent granted: marketing email"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"purpose": "spam"}, "unknown purpose"),
        ({"purpose": "phone", "status": "maybe"}, "granted or withdrawn"),
        ({"purpose": "phone", "lawful_basis": "whim"}, "unknown lawful basis"),
    ],
)
def test_bad_entries_are_refused(
    app: AppContext, anna: str, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        app.consents.record(anna, **kwargs)
    assert app.consents.history(anna) == []


def test_a_missing_contact_is_refused(app: AppContext) -> None:
    with pytest.raises(NotFoundError):
        app.consents.record("nobody", "phone")


def test_the_data_subject_export_holds_everything_in_json_and_excel(
    demo_app: AppContext, tmp_path: Path
) -> None:
    with connect(demo_app) as conn:
        person = conn.execute(
            "SELECT contact_id FROM orders WHERE contact_id IS NOT NULL LIMIT 1"
        ).fetchone()[0]
        orders = conn.execute("SELECT count(*) FROM orders WHERE contact_id = ?", (person,))
        order_count = orders.fetchone()[0]
    demo_app.consents.record(person, "post", evidence="Signed card #7")
    data = demo_app.privacy.export(person, tmp_path / "me.json")
    loaded = json.loads((tmp_path / "me.json").read_text(encoding="utf-8"))
    assert loaded["contact_id"] == person and loaded["contact"][0]["first_name"]
    assert len(loaded["orders"]) == order_count >= 1
    assert any(c["evidence"] == "Signed card #7" for c in loaded["consents"])
    assert set(data.sections) >= {"emails", "phones", "addresses", "activities", "deals", "tags"}
    demo_app.privacy.export(person, tmp_path / "me.xlsx")
    book = load_workbook(tmp_path / "me.xlsx", read_only=True)
    assert "Consents" in book.sheetnames and "Orders" in book.sheetnames
    consents = list(book["Consents"].iter_rows(values_only=True))
    assert "evidence" in consents[0] and any("Signed card #7" in r for r in consents[1:])
    with pytest.raises(ValidationError, match=r"\.json or \.xlsx"):
        demo_app.privacy.export(person, tmp_path / "me.pdf")


def test_anonymising_keeps_sales_and_forgets_the_person(demo_app: AppContext) -> None:
    with connect(demo_app) as conn:
        person, email = conn.execute(
            "SELECT o.contact_id, c.email FROM orders o JOIN contacts c ON c.id = o.contact_id "
            "WHERE c.email != '' LIMIT 1"
        ).fetchone()
        before = conn.execute("SELECT count(*), sum(amount_cents) FROM orders").fetchone()
    demo_app.consents.record(person, "newsletter", evidence=f"opt-in from {email}")
    spend = parse_filter({"field": "total_spend", "op": ">", "value": 0})
    spenders = demo_app.segments.count(spend)
    demo_app.privacy.anonymise(person)
    record = demo_app.contacts.get(person)
    assert record.display_name == "Anonymised" and record.emails == () and record.phones == ()
    assert record.notes == "" and record.birthday is None and record.addresses == ()
    with connect(demo_app) as conn:
        after = conn.execute("SELECT count(*), sum(amount_cents) FROM orders").fetchone()
        leaks = conn.execute(
            "SELECT count(*) FROM change WHERE value LIKE ?", (f"%{email}%",)
        ).fetchone()[0]
        evidence = conn.execute(
            "SELECT evidence FROM consents WHERE contact_id = ?", (person,)
        ).fetchall()
    assert after == before  # the sales totals stay
    assert demo_app.segments.count(spend) == spenders
    assert leaks == 0  # not in the recorded history either
    assert evidence == [("",)]
    timeline = " ".join(
        f"{e.title} {e.detail}" for e in demo_app.timeline.timeline("contacts", person, 200)
    )
    assert email not in timeline


def test_cli_consent_commands(
    app: AppContext, anna: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = location_args(app)
    app.close()
    assert main([*where, "consent", "grant", "anna@example.com", "newsletter"]) == 0
    assert main([*where, "consent", "withdraw", anna, "newsletter"]) == 0
    capsys.readouterr()
    assert main([*where, "--json", "consent", "history", anna]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [h["status"] for h in history] == ["granted", "withdrawn"]
    target = tmp_path / "anna.xlsx"
    assert main([*where, "consent", "export", anna, "--out", str(target)]) == 0
    assert target.exists()
    capsys.readouterr()
    assert main([*where, "anonymise", anna]) == 1
    err = capsys.readouterr().err
    assert "add --yes" in err and err.count("\n") == 1
    assert main([*where, "anonymise", anna, "--yes"]) == 0
    assert main([*where, "consent", "export", "nobody@nowhere"]) == 1
    assert "no contact matches" in capsys.readouterr().err
