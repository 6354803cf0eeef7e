"""Campaigns: members from a segment with consent reasons, templates and previews, sends
to .eml files, a CSV and a real SMTP server (aiosmtpd on loopback, the password from the
keyring), resumable and throttled sends on the timeline, statuses and the return; and the
property that nobody who withdrew consent for a purpose ever gets a send of it."""

from __future__ import annotations

import csv
import dataclasses
import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from typing import Any

import keyring
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keyring.backend import KeyringBackend

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.campaigns import CampaignRecord, Message, render
from crm_desktop.domain.errors import CrmError, NotFoundError, ValidationError
from crm_desktop.domain.mail import SmtpSettings
from crm_desktop.domain.records import (
    AddressEntry,
    ContactDraft,
    EmailEntry,
    ListQuery,
    TimelineKind,
)
from crm_desktop.domain.segments import parse_filter
from crm_desktop.services.campaigns import DeliveryError
from crm_desktop.services.mail import EmlFolder, MailCsv
from tests.databases import connect


class MemoryKeyring(KeyringBackend):
    """A keyring backend of the keyring package's own kind, in memory (tests only)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@dataclass
class Shop:
    app: AppContext
    people: dict[str, str] = field(default_factory=dict)


def person(app: AppContext, first: str, email_: str = "", tag: str = "Club", **kw: Any) -> str:
    emails = (EmailEntry(email_),) if email_ else ()
    return app.contacts.create(
        ContactDraft(first_name=first, last_name="Test", emails=emails, tags=(tag,), **kw)
    ).id


@pytest.fixture
def shop(app: AppContext) -> Shop:
    s = Shop(app)
    s.people["ada"] = person(app, "Ada", "ada@example.com")
    s.people["ben"] = person(app, "Ben", "ben@example.com")
    s.people["cy"] = person(app, "Cy", "cy@example.com")
    s.people["dee"] = person(app, "Dee")  # no e-mail address
    s.people["eve"] = person(app, "Eve", "eve@example.com", tag="Other")  # not in the segment
    for name in ("ada", "ben", "dee", "eve"):
        app.consents.record(s.people[name], "newsletter", source="Web form")
    app.consents.withdraw(s.people["ben"], "newsletter")
    app.segments.save("Club", parse_filter({"field": "tag", "op": "has", "value": "Club"}))
    app.campaigns.create(
        "Winter",
        "Club",
        purpose="newsletter",
        subject="News for {{first_name}}",
        body="Dear {{first_name|customer}} of {{company|no company}},\nour winter news.",
        cost_cents=100_00,
    )
    return s


def test_members_leave_out_those_without_consent_with_the_reason(shop: Shop) -> None:
    app, p = shop.app, shop.people
    campaign = app.campaigns.find("winter")
    summary = app.campaigns.build_members(campaign)
    assert (summary.targeted, summary.excluded) == (1, 3)
    assert summary.reasons == {
        "withdrew consent for newsletter": 1,
        "no consent for newsletter": 1,
        "no e-mail address": 1,
    }
    members = {m.contact_id: (m.status, m.reason) for m in app.campaigns.members(campaign)}
    assert members == {
        p["ada"]: ("targeted", ""),
        p["ben"]: ("excluded", "withdrew consent for newsletter"),
        p["cy"]: ("excluded", "no consent for newsletter"),
        p["dee"]: ("excluded", "no e-mail address"),
    }
    app.consents.record(p["cy"], "newsletter")  # building again follows consent
    assert app.campaigns.build_members(campaign).targeted == 2


def test_templates_and_previews(shop: Shop) -> None:
    app, p = shop.app, shop.people
    campaign = app.campaigns.find("Winter")
    message = app.campaigns.preview(campaign, p["ada"])
    assert message.subject == "News for Ada"
    assert message.body == "Dear Ada of no company,\nour winter news."
    assert render("Hi {{ first_name | there }}!", {"first_name": ""}) == "Hi there!"
    with pytest.raises(ValidationError, match="unknown placeholder"):
        app.campaigns.create("Bad", "Club", subject="Hi {{nickname}}")
    with pytest.raises(ValidationError, match="unknown purpose"):
        app.campaigns.create("Bad", "Club", purpose="spam")
    with pytest.raises(ValidationError, match="exists already"):
        app.campaigns.create("WINTER", "Club")
    with pytest.raises(NotFoundError):
        app.campaigns.find("Summer")


def test_send_as_eml_writes_one_file_per_eligible_member_and_logs_it(
    shop: Shop, tmp_path: Path
) -> None:
    app, p = shop.app, shop.people
    campaign = app.campaigns.find("Winter")
    app.consents.record(p["cy"], "newsletter")
    app.campaigns.build_members(campaign)
    folder = tmp_path / "out"
    result = app.campaigns.send(campaign, EmlFolder(folder, "Shop <shop@example.com>"))
    assert (result.sent, result.failed, result.excluded) == (2, 0, 0)
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 2
    parsed = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert sorted(str(m["To"]) for m in parsed) == [
        "Ada Test <ada@example.com>",
        "Cy Test <cy@example.com>",
    ]
    assert all(m["From"] == "Shop <shop@example.com>" for m in parsed)
    assert "Dear Ada" in parsed[0].get_content()
    assert not any("ben@" in f.read_text() for f in files)  # withdrew: no file
    timeline = app.timeline.timeline("contacts", p["ada"], limit=20)
    assert any(
        e.kind is TimelineKind.ACTIVITY and "Winter: News for Ada" in e.title for e in timeline
    )
    # resumable: a second run sends nothing again
    again = app.campaigns.send(campaign, EmlFolder(folder, "shop@example.com"))
    assert (again.sent, again.skipped) == (0, 2) and len(list(folder.glob("*.eml"))) == 2


def test_a_withdrawal_after_building_is_honoured_at_send_time(shop: Shop, tmp_path: Path) -> None:
    app, p = shop.app, shop.people
    campaign = app.campaigns.find("Winter")
    app.campaigns.build_members(campaign)
    app.consents.withdraw(p["ada"], "newsletter")
    result = app.campaigns.send(campaign, MailCsv(tmp_path / "out.csv"))
    assert (result.sent, result.excluded) == (0, 1)
    members = {m.contact_id: (m.status, m.reason) for m in app.campaigns.members(campaign)}
    assert members[p["ada"]] == ("excluded", "withdrew consent for newsletter")


def test_send_as_csv_for_another_mail_tool(shop: Shop, tmp_path: Path) -> None:
    app, p = shop.app, shop.people
    app.consents.record(p["cy"], "newsletter")
    campaign = app.campaigns.find("Winter")
    app.campaigns.build_members(campaign)
    target = tmp_path / "merge.csv"
    app.campaigns.send(campaign, MailCsv(target))
    with target.open(encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["email"], r["subject"]) for r in rows] == [
        ("ada@example.com", "News for Ada"),
        ("cy@example.com", "News for Cy"),
    ]


def test_a_transactional_campaign_ignores_marketing_opt_outs(shop: Shop) -> None:
    app, p = shop.app, shop.people
    app.campaigns.create("Invoices", "Club", purpose="transactional", subject="Your invoice")
    campaign = app.campaigns.find("Invoices")
    summary = app.campaigns.build_members(campaign)
    assert summary.targeted == 3 and summary.reasons == {"no e-mail address": 1}
    assert any(
        m.contact_id == p["ben"] and m.status == "targeted" for m in app.campaigns.members(campaign)
    )


def test_throttle_waits_between_messages(shop: Shop) -> None:
    app, p = shop.app, shop.people
    app.consents.record(p["cy"], "newsletter")
    campaign = app.campaigns.find("Winter")
    app.campaigns.build_members(campaign)
    waits: list[float] = []
    sent: list[Message] = []

    class Recorder:
        def deliver(self, message: Message, record: CampaignRecord) -> None:
            sent.append(message)

        def close(self) -> None:
            pass

    app.campaigns.send(campaign, Recorder(), per_minute=30, sleep=waits.append)
    assert len(sent) == 2 and waits == [2.0]  # 30 a minute: 2 s between two messages


def test_statuses_by_hand_and_conversion_by_a_won_deal(shop: Shop, tmp_path: Path) -> None:
    app, p = shop.app, shop.people
    campaign = app.campaigns.find("Winter")
    app.campaigns.build_members(campaign)
    app.campaigns.send(campaign, EmlFolder(tmp_path, "shop@example.com"))
    app.campaigns.set_status(campaign, p["ada"], "responded")
    assert {m.contact_id: m.status for m in app.campaigns.members(campaign)}[
        p["ada"]
    ] == "responded"
    with pytest.raises(ValidationError, match="left out"):
        app.campaigns.set_status(campaign, p["ben"], "sent")
    with pytest.raises(ValidationError, match="status is one of"):
        app.campaigns.set_status(campaign, p["ada"], "happy")
    app.pipeline.ensure_default()
    draft = app.deals.new_draft(None, p["ada"])
    deal = app.deals.create(dataclasses.replace(draft, title="Winter order", value_cents=300_00)).id
    with connect(app) as conn:  # deals get their campaign on import
        conn.execute("UPDATE deals SET campaign_id = ? WHERE id = ?", (campaign, deal))
    won = next(s for s in app.pipeline.pipelines()[0].stages if s.kind == "won")
    reason = app.pipeline.add_reason("won", "Campaign").id
    app.pipeline.move(deal, won.id, reason_id=reason)
    members = {m.contact_id: m.status for m in app.campaigns.members(campaign)}
    assert members[p["ada"]] == "converted"
    record = app.campaigns.get(campaign)
    assert record.revenue_cents == 300_00 and record.roi == pytest.approx(2.0)
    assert record.members["converted"] == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("nobody"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()

    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login,
            auth_data.password,
        ) == (b"shop", b"s3cret")
        return AuthResult(success=ok, handled=False)  # a refusal answers 535

    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],  # PLAIN only: a refusal answers at once
    )
    controller.start()
    yield inbox, port
    controller.stop()


def test_send_through_smtp_with_the_password_from_the_keyring(
    shop: Shop, smtp_server: tuple[Inbox, int], memory_keyring: MemoryKeyring
) -> None:
    app, p = shop.app, shop.people
    inbox, port = smtp_server
    nobody = person(app, "Nobody", "nobody@example.com")
    app.consents.record(nobody, "newsletter")
    app.consents.record(p["cy"], "newsletter")
    settings = SmtpSettings("127.0.0.1", port, "none", "shop", "Shop <shop@example.com>", 600)
    app.mail.save_settings(settings, password="s3cret")
    assert memory_keyring.store == {("crm-desktop smtp", "shop@127.0.0.1"): "s3cret"}
    assert "s3cret" not in app.paths.preferences.read_text(encoding="utf-8")
    campaign = app.campaigns.find("Winter")
    app.campaigns.build_members(campaign)
    waits: list[float] = []
    result = app.campaigns.send(campaign, app.mail.transport(), per_minute=600, sleep=waits.append)
    assert (result.sent, result.failed) == (2, 1)
    assert sorted(r[0][0] for r in inbox.messages) == ["ada@example.com", "cy@example.com"]
    parsed = email.message_from_bytes(inbox.messages[0][1], policy=policy.default)
    assert parsed["Subject"].startswith("News for")
    members = {m.contact_id: (m.status, m.reason) for m in app.campaigns.members(campaign)}
    assert members[nobody][0] == "bounced" and "550" in members[nobody][1]
    assert waits and all(w == pytest.approx(0.1) for w in waits)


def test_a_wrong_password_is_one_clear_error(
    shop: Shop, smtp_server: tuple[Inbox, int], memory_keyring: MemoryKeyring
) -> None:
    app = shop.app
    _inbox, port = smtp_server
    app.mail.save_settings(SmtpSettings("127.0.0.1", port, "none", "shop", "s@x.org", 0), "nope")
    campaign = app.campaigns.find("Winter")
    app.campaigns.build_members(campaign)
    with pytest.raises(CrmError, match="refused the user shop"):
        app.campaigns.send(campaign, app.mail.transport())
    assert {m.status for m in app.campaigns.members(campaign)} == {"targeted", "excluded"}


def test_smtp_needs_settings_and_a_keyring_password(
    app: AppContext, memory_keyring: MemoryKeyring
) -> None:
    with pytest.raises(ValidationError, match="no mail server set"):
        app.mail.transport()
    app.mail.save_settings(SmtpSettings("mail.example.com", 587, "starttls", "me", "", 30))
    with pytest.raises(ValidationError, match="no password in the keyring"):
        app.mail.transport()
    with pytest.raises(ValidationError, match="security is one of"):
        app.mail.save_settings(SmtpSettings("h", 25, "tls13", "", "", 0))


@st.composite
def consent_stories(draw: Any) -> list[tuple[list[str], bool]]:
    events = st.lists(st.sampled_from(["grant", "withdraw"]), max_size=4)
    return draw(st.lists(st.tuples(events, st.booleans()), min_size=1, max_size=6))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stories=consent_stories())
def test_nobody_who_withdrew_consent_is_ever_sent_to(
    app: AppContext, stories: list[tuple[list[str], bool]]
) -> None:
    """Per contact: a history of grants and withdrawals, then maybe a withdrawal after the
    members were built. Whatever the order, exactly the contacts whose newest newsletter
    entry is a grant get the newsletter."""
    run = len(app.campaigns.all())
    tag = f"run{run}"
    ids = []
    for i, (events, _late) in enumerate(stories):
        cid = person(app, f"P{i}", f"p{run}-{i}@example.com", tag=tag)
        for event in events:
            if event == "grant":
                app.consents.record(cid, "newsletter")
            else:
                app.consents.withdraw(cid, "newsletter")
        ids.append(cid)
    app.segments.save(tag, parse_filter({"field": "tag", "op": "has", "value": tag}))
    app.campaigns.create(f"Campaign {tag}", tag, purpose="newsletter", subject="Hi")
    campaign = app.campaigns.find(f"Campaign {tag}")
    app.campaigns.build_members(campaign)
    for cid, (_events, late) in zip(ids, stories, strict=True):
        if late:
            app.consents.withdraw(cid, "newsletter")
    delivered: list[str] = []

    class Recorder:
        def deliver(self, message: Message, record: CampaignRecord) -> None:
            delivered.append(message.contact_id)

        def close(self) -> None:
            pass

    app.campaigns.send(campaign, Recorder())
    allowed = {
        cid
        for cid, (events, late) in zip(ids, stories, strict=True)
        if events and events[-1] == "grant" and not late
    }
    assert set(delivered) == allowed
    assert len(delivered) == len(set(delivered))
    assert not any(app.consents.allows(cid, "newsletter") is False for cid in delivered)
    assert app.contacts.count(ListQuery(tag=tag)) == len(stories)


def test_delivery_errors_are_one_line(tmp_path: Path) -> None:
    assert str(DeliveryError("refused: 550")) == "refused: 550"
    with pytest.raises(CrmError, match="cannot write"):
        blocker = tmp_path / "file"
        blocker.write_text("x")
        EmlFolder(blocker / "sub", "a@b.c")
    assert AddressEntry  # letters use addresses (see the letters tests)
