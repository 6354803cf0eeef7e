"""Withdrawing consent in one click from a contact's page, the RFM class shown there, and
an .eml file dropped on the contact shown."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ListQuery
from crm_desktop.gui.main_window import MainWindow


@pytest.fixture
def window_app(demo_app: AppContext) -> AppContext:
    return demo_app


def test_one_click_withdraws_consent_and_the_page_follows(
    window: MainWindow, demo_app: AppContext
) -> None:
    contact = demo_app.contacts.ids(ListQuery())[0]
    demo_app.consents.record(contact, "newsletter", source="Web form")
    window.contacts.show_contact(contact)
    panel = window.contacts.contact_detail
    assert f"crm:withdraw/{contact}/newsletter" in panel.facts.text()
    panel.open_requested.emit("withdraw", f"{contact}/newsletter")
    assert not demo_app.consents.allows(contact, "newsletter")
    assert "✗ withdrawn" in panel.facts.text()
    assert f"crm:withdraw/{contact}/newsletter" not in panel.facts.text()
    assert [e.status for e in demo_app.consents.history(contact)][-2:] == ["granted", "withdrawn"]


def test_the_record_page_shows_the_rfm_class(window: MainWindow, demo_app: AppContext) -> None:
    with sqlite3.connect(demo_app.paths.database) as conn:
        buyer = conn.execute(
            "SELECT contact_id FROM orders WHERE contact_id IS NOT NULL LIMIT 1"
        ).fetchone()[0]
    score = demo_app.segments.rfm(buyer)
    assert score is not None
    window.contacts.show_contact(buyer)
    text = window.contacts.contact_detail.facts.text()
    assert f"<b>{score.name}</b>" in text.replace("&#x27;", "'")
    assert f"recency {score.recency}" in text


def test_an_eml_dropped_on_the_contact_shown_lands_on_its_timeline(
    window: MainWindow, demo_app: AppContext, tmp_path: Any
) -> None:
    from email.message import EmailMessage

    from crm_desktop.gui.data.controller import droppable

    mail = EmailMessage()
    mail["From"] = "stranger@example.org"
    mail["To"] = "shop@example.org"
    mail["Subject"] = "Forwarded quote"
    mail.set_content("See below")
    path = tmp_path / "quote.eml"
    path.write_bytes(mail.as_bytes())
    assert droppable(str(path)) == "email"
    contact = demo_app.contacts.ids(ListQuery())[1]
    window.sidebar.setCurrentRow(0)
    window.contacts.show_contact(contact)
    window.contacts.log_email_files([str(path)])
    timeline = window.contacts.contact_detail
    entries = demo_app.timeline.timeline("contacts", contact, 20)
    assert any(e.title.endswith("Forwarded quote") or "Forwarded quote" in e.title for e in entries)
    assert timeline.record_id == contact
