"""E-mail on the timeline: an .eml file logged on its contacts (by address, or on the
contact it was dropped on), once only; a reply marks a campaign response."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.cli import main
from crm_desktop.domain.errors import NotFoundError, ValidationError
from crm_desktop.domain.records import ContactDraft, EmailEntry, TimelineKind
from crm_desktop.domain.segments import parse_filter
from crm_desktop.services.mail import EmlFolder
from tests.databases import location_args


def eml(tmp_path: Path, name: str, **headers: Any) -> Path:
    mail = EmailMessage()
    for key, value in headers.items():
        if key != "body":
            mail[key.replace("_", "-")] = value
    mail.set_content(headers.get("body", "Hello"))
    path = tmp_path / name
    path.write_bytes(mail.as_bytes())
    return path


@pytest.fixture
def ada(app: AppContext) -> str:
    return app.contacts.create(
        ContactDraft(first_name="Ada", last_name="Byron", emails=(EmailEntry("ada@example.com"),))
    ).id


def titles(app: AppContext, contact: str) -> list[str]:
    return [
        e.title
        for e in app.timeline.timeline("contacts", contact, 50)
        if e.kind is TimelineKind.ACTIVITY
    ]


def test_an_eml_is_logged_on_the_contact_it_came_from_once(
    app: AppContext, ada: str, tmp_path: Path
) -> None:
    path = eml(
        tmp_path,
        "q.eml",
        From="Ada Byron <ADA@example.com>",
        To="shop@example.org",
        Subject="Question about the order",
        Date="Tue, 17 Nov 2026 10:00:00 +0100",
        Message_ID="<abc@example.com>",
        body="Where is my parcel?",
    )
    result = app.maillog.log_file(path)
    assert result.contacts == (ada,) and not result.already
    assert any("Question about the order" in t for t in titles(app, ada))
    again = app.maillog.log_file(path)
    assert again.already and again.contacts == ()
    assert sum("Question about the order" in t for t in titles(app, ada)) == 1


def test_dropped_on_a_contact_it_is_logged_there(app: AppContext, ada: str, tmp_path: Path) -> None:
    path = eml(tmp_path, "x.eml", From="someone@else.org", To="other@else.org", Subject="Fwd")
    with pytest.raises(NotFoundError, match="drop the file on a contact"):
        app.maillog.log_file(path)
    assert app.maillog.log_file(path, ada).contacts == (ada,)


def test_a_reply_marks_the_campaign_response(app: AppContext, ada: str, tmp_path: Path) -> None:
    app.consents.record(ada, "newsletter")
    app.segments.save(
        "Ada", parse_filter({"field": "email", "op": "is", "value": "ada@example.com"})
    )
    app.campaigns.create("News", "Ada", subject="News for you")
    campaign = app.campaigns.find("News")
    app.campaigns.build_members(campaign)
    app.campaigns.send(campaign, EmlFolder(tmp_path / "out", "shop@example.org"))
    reply = eml(
        tmp_path, "r.eml", From="ada@example.com", To="shop@example.org", Subject="Re: News for you"
    )
    result = app.maillog.log_file(reply)
    assert result.responded == (campaign,)
    assert {m.contact_id: m.status for m in app.campaigns.members(campaign)}[ada] == "responded"


def test_files_that_are_no_email_are_refused(app: AppContext, tmp_path: Path) -> None:
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\x00\x01 nothing here")
    with pytest.raises(ValidationError, match="not an e-mail"):
        app.maillog.log_file(junk)
    with pytest.raises(ValidationError, match="no such file"):
        app.maillog.log_file(tmp_path / "missing.eml")


def test_cli_log_email(
    app: AppContext, ada: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = location_args(app)
    app.close()
    path = eml(tmp_path, "a.eml", From="ada@example.com", To="s@x.org", Subject="Hello there")
    assert main([*where, "log-email", str(path)]) == 0
    assert "logged on 1 contact" in capsys.readouterr().out
    assert main([*where, "log-email", str(tmp_path / "nope.eml")]) == 1
    assert "no such file" in capsys.readouterr().err
