"""Segment filters (domain.segments): the JSON format, its errors, relative days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.segments import (
    Condition,
    Group,
    day_range,
    describe,
    filter_to_json,
    parse_filter,
    upcoming_month_days,
    years_ago,
)

EXAMPLE = {
    "all": [
        {"field": "city", "op": "in", "value": ["Berlin", "Paris"]},
        {
            "any": [
                {"field": "tag", "op": "has", "value": "VIP"},
                {"field": "total_spend", "op": ">=", "value": 1000.5},
            ]
        },
        {"field": "last_order", "op": "in_last_days", "value": 90},
        {"field": "consent", "purpose": "newsletter", "op": "granted"},
        {"not": {"all": [{"field": "rfm", "op": "in", "value": ["Lost"]}]}},
        {"field": "custom:Shoe size", "op": "is", "value": "42"},
        {"field": "created", "op": "between", "value": ["2026-01-01", "2026-06-30"]},
    ]
}


def test_the_json_form_reads_back_to_the_same_filter() -> None:
    group = parse_filter(EXAMPLE)
    assert filter_to_json(group) == EXAMPLE
    assert parse_filter(filter_to_json(group)) == group
    spend = group.items[1]
    assert isinstance(spend, Group) and spend.any
    assert spend.items[1] == Condition("total_spend", ">=", 1000_50)  # money in cents


def test_a_single_condition_is_a_group_of_one() -> None:
    assert parse_filter({"field": "orders", "op": ">", "value": 2}) == Group(
        (Condition("orders", ">", 2),)
    )


def test_the_older_list_form_reads_as_conditions() -> None:
    group = parse_filter({"search": "anna", "tag": "VIP", "owner_id": "u1"})
    assert [c.field for c in group.conditions()] == ["search", "tag", "owner"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected an object"),
        ({"all": {}}, "expected a list"),
        ({"field": "shoe", "op": "is", "value": 1}, "unknown field 'shoe'"),
        ({"field": "city", "op": ">", "value": 1}, "city takes the operators"),
        ({"field": "city", "op": "is"}, 'needs a "value"'),
        ({"field": "orders", "op": ">", "value": "many"}, "needs a number"),
        ({"field": "orders", "op": "between", "value": [1]}, "two values"),
        ({"field": "created", "op": "on", "value": "yesterday"}, "YYYY-MM-DD"),
        ({"field": "consent", "op": "granted"}, "needs a purpose"),
        ({"field": "rfm", "op": "in", "value": ["Heroes"]}, "unknown class 'Heroes'"),
        ({"field": "birthday", "op": "in_month", "value": 13}, "month 1-12"),
        ({"field": "last_order", "op": "in_last_days", "value": -3}, "days from 0"),
        ({"all": [], "any": []}, "one of all / any / not"),
        ({"colour": "red"}, "unknown key 'colour'"),
    ],
)
def test_bad_filters_say_what_is_wrong(data: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_filter(data)


def test_deep_nesting_is_refused() -> None:
    data: Any = {"field": "city", "op": "is", "value": "x"}
    for _ in range(12):
        data = {"all": [data]}
    with pytest.raises(ValidationError, match="nested more than"):
        parse_filter(data)


def test_relative_days_count_from_the_given_day() -> None:
    today = dt.date(2026, 11, 22)
    span = day_range("in_last_days", 90, today)
    assert (span.start, span.end) == (dt.date(2026, 8, 24), today)
    older = day_range("not_in_last_days", 90, today)
    assert (older.start, older.end) == (None, dt.date(2026, 8, 23))
    assert day_range("before", dt.date(2026, 1, 1), today).end == dt.date(2025, 12, 31)
    assert years_ago(dt.date(2028, 2, 29), 1) == dt.date(2027, 2, 28)
    days = upcoming_month_days(dt.date(2027, 2, 27), 2)
    assert (2, 29) in days and (3, 1) in days  # a leap-day birthday counts in other years


def test_describe_reads_like_a_sentence() -> None:
    text = describe(parse_filter(EXAMPLE))
    assert text.startswith("City in Berlin, Paris and (Tag has VIP or Total spend >= 1000.5)")
    assert "Consent for newsletter granted" in text
    assert describe(Group()) == "everyone"
