"""Letters (one PDF, a page per member) and address labels on A4 and Letter sheets, read
back with pypdf."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import AddressEntry, ContactDraft
from crm_desktop.domain.segments import parse_filter
from crm_desktop.exchange.letters import SHEETS
from crm_desktop.services.mail import LetterPdf


@pytest.fixture
def campaign(app: AppContext) -> str:
    for i in range(25):
        address = (
            (
                AddressEntry(
                    street=f"Hauptstr. {i}", postcode="10115", city="Berlin", country="Germany"
                ),
            )
            if i != 3
            else ()
        )
        app.contacts.create(
            ContactDraft(
                first_name=f"Jörg{i:02d}", last_name="Brief", addresses=address, tags=("Post",)
            )
        )
    app.segments.save("Post", parse_filter({"field": "tag", "op": "has", "value": "Post"}))
    app.campaigns.create(
        "Catalogue",
        "Post",
        purpose="transactional",
        channel="letter",
        subject="Our catalogue, {{first_name}}",
        body="Dear {{first_name}},\n\nhere it is.",
    )
    campaign_id = app.campaigns.find("Catalogue")
    app.campaigns.build_members(campaign_id)
    return campaign_id


def test_letters_are_one_pdf_with_a_page_per_member(
    app: AppContext, campaign: str, tmp_path: Path
) -> None:
    target = tmp_path / "letters.pdf"
    result = app.campaigns.send(campaign, LetterPdf(target, ("Lindenhof Trading",), "Letter"))
    assert result.sent == 24  # the one without an address was left out when building
    reader = PdfReader(target)
    assert len(reader.pages) == 24
    first = reader.pages[0].extract_text()
    assert "Jörg00 Brief" in first and "Hauptstr. 0" in first and "Our catalogue, Jörg00" in first
    assert "Lindenhof Trading" in first
    assert float(reader.pages[0].mediabox.width) == pytest.approx(612)  # Letter
    members = {m.name: (m.status, m.reason) for m in app.campaigns.members(campaign)}
    assert members["Jörg03 Brief"] == ("excluded", "no postal address")


@pytest.mark.parametrize(("sheet", "per_page", "width"), [("L7160", 21, 595.3), ("5160", 30, 612)])
def test_labels_fill_sheets_in_order(
    app: AppContext, campaign: str, tmp_path: Path, sheet: str, per_page: int, width: float
) -> None:
    target = tmp_path / f"{sheet}.pdf"
    assert app.campaigns.labels(campaign, target, sheet) == 24
    reader = PdfReader(target)
    assert len(reader.pages) == -(-24 // per_page)
    assert float(reader.pages[0].mediabox.width) == pytest.approx(width, abs=0.5)
    text = reader.pages[0].extract_text()
    assert "Jörg00 Brief" in text and "10115 Berlin" in text
    assert SHEETS[sheet].columns * SHEETS[sheet].rows == per_page


def test_unknown_sheets_and_papers_are_refused(
    app: AppContext, campaign: str, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="unknown label sheet"):
        app.campaigns.labels(campaign, tmp_path / "x.pdf", "L9999")
    with pytest.raises(ValidationError, match="A4 or Letter"):
        LetterPdf(tmp_path / "x.pdf", (), "A5")
