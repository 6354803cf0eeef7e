"""One format for money, dates, times, addresses and counts, by the locale."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_desktop.domain import formatting
from crm_desktop.domain.formatting import (
    NEUTRAL,
    conventions_for,
    format_address,
    format_date,
    format_datetime,
    format_money,
    format_time,
    plural,
    pluralise,
)
from crm_desktop.domain.records import AddressEntry

US = conventions_for("en_US.UTF-8")
GB = conventions_for("en-GB")
DE = conventions_for("de_DE")
FR = conventions_for("fr_FR")


@pytest.mark.parametrize(
    ("conventions", "cents", "currency", "expected"),
    [
        (NEUTRAL, 123_456_789, "EUR", "1,234,567.89 EUR"),
        (NEUTRAL, 500_00, "USD", "500 USD"),
        (NEUTRAL, -1_50, "EUR", "-1.50 EUR"),
        (US, 1_234_50, "USD", "$1,234.50"),
        (GB, 1_234_50, "EUR", "€1,234.50"),
        (DE, 1_234_50, "EUR", "1.234,50\u00a0€"),
        (FR, 1_234_567_00, "EUR", "1\u202f234\u202f567\u00a0€"),
        (DE, 1_234_50, "CHF", "1.234,50 CHF"),  # no symbol of its own: the code
        (US, 1_234_00, "JPY", "¥1,234"),
    ],
)
def test_money_as_the_locale_writes_it(
    conventions: formatting.Conventions, cents: int, currency: str, expected: str
) -> None:
    assert format_money(cents, currency, conventions) == expected


def test_money_without_a_currency_is_in_the_business_currency() -> None:
    formatting.use_currency("GBP")
    assert format_money(12_00) == "12 GBP"
    formatting.use_locale("en_GB")
    assert format_money(12_00) == "£12"
    assert format_money(12_00, cents_always=True) == "£12.00"


def test_an_unknown_locale_reads_neutral() -> None:
    assert conventions_for("C") is NEUTRAL
    assert conventions_for("xx_YY") is NEUTRAL
    assert conventions_for("de_AT") == DE  # the language's conventions


@pytest.mark.parametrize(
    ("conventions", "expected"),
    [(NEUTRAL, "7 Mar 2026"), (US, "Mar 7, 2026"), (DE, "07.03.2026"), (FR, "07/03/2026")],
)
def test_dates(conventions: formatting.Conventions, expected: str) -> None:
    assert format_date(dt.date(2026, 3, 7), conventions) == expected


def test_a_birthday_without_a_year_and_a_short_date_leave_the_year_out() -> None:
    assert format_date(dt.date(1604, 5, 17)) == "17 May"
    assert format_date(dt.date(1604, 5, 17), US) == "May 17"
    this_year = dt.date(dt.date.today().year, 1, 2)
    assert format_date(this_year, short=True) == "2 Jan"
    assert format_date(dt.date(2001, 1, 2), short=True) == "2 Jan 2001"
    assert format_date(None) == ""


def test_times_and_moments_in_the_local_zone() -> None:
    assert format_time(dt.time(14, 5)) == "14:05"
    assert format_time(dt.time(14, 5), US) == "2:05 PM"
    assert format_time(dt.time(0, 30), US) == "12:30 AM"
    moment = dt.datetime(2026, 3, 7, 9, 30, tzinfo=dt.UTC)
    local = moment.astimezone()
    assert format_datetime(moment) == (
        f"{format_date(local.date())}, {local.hour:02d}:{local.minute:02d}"
    )
    assert format_datetime(None) == ""


def test_counts_agree_with_their_noun() -> None:
    assert pluralise(1, "person") == "1 person"
    assert pluralise(2, "person") == "2 people"
    assert pluralise(1, "deal") == "1 deal"
    assert pluralise(0, "deal") == "0 deals"
    assert pluralise(1204, "deal") == "1,204 deals"
    assert pluralise(1204, "deal", DE) == "1.204 deals"
    assert pluralise(1, "company") == "1 company"
    assert pluralise(3, "company") == "3 companies"
    assert pluralise(2, "activity") == "2 activities"
    assert plural(2, "day") == "days"
    assert plural(2, "address") == "addresses"


def test_an_address_on_one_line_keeps_postcode_and_city_together() -> None:
    address = AddressEntry("Quartzstr. 35", "Paris", "", "21845", "France")
    assert format_address(address) == "Quartzstr. 35, 21845 Paris, France"
    assert format_address(AddressEntry(city="Lyon")) == "Lyon"
    assert format_address(AddressEntry()) == ""
