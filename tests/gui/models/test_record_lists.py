"""The lists' columns write money, dates, phones and counts in the one format."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from crm_desktop.domain import formatting
from crm_desktop.gui.models.record_lists import COMPANY_COLUMNS, CONTACT_COLUMNS, DEAL_COLUMNS


def _shown(columns: tuple, row: object) -> dict[str, str]:  # type: ignore[type-arg]
    return {c.header: c.value(row) for c in columns}


def test_contact_and_company_columns() -> None:
    contact = SimpleNamespace(
        display_name="Ada Lovelace",
        company_name="",
        title="",
        email="",
        phone="+442079460018",
        city="",
        owner_name="",
        updated_at=dt.datetime(2026, 3, 7, 12, tzinfo=dt.UTC),
    )
    shown = _shown(CONTACT_COLUMNS, contact)
    assert shown["Phone"] == "+44 20 7946 0018"
    assert shown["Updated"] == "7 Mar 2026"
    company = SimpleNamespace(
        name="Harbor", industry="", city="", phone="", people=1204, owner_name=""
    )
    assert _shown(COMPANY_COLUMNS, company)["People"] == "1,204"


def test_deal_columns_follow_the_locale() -> None:
    deal = SimpleNamespace(
        title="Website",
        stage_name="Lead",
        value_cents=1_234_50,
        currency="EUR",
        probability=20,
        weighted_cents=246_90,
        expected_close=dt.date(2026, 3, 7),
        owner_name="",
        company_name="",
        contact_name="",
        status="open",
    )
    shown = _shown(DEAL_COLUMNS, deal)
    assert (shown["Value"], shown["Expected close"]) == ("1,234.50 EUR", "7 Mar 2026")
    formatting.use_locale("de_DE")
    shown = _shown(DEAL_COLUMNS, deal)
    assert (shown["Value"], shown["Expected close"]) == ("1.234,50\u00a0€", "07.03.2026")
