"""Segments compiled to SQL, checked against answers worked out from the raw tables with
sqlite3 (an oracle that shares no code with the compiler), on the demo database."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.errors import NotFoundError, ValidationError
from crm_desktop.domain.records import ListQuery
from crm_desktop.domain.rfm import Purchases, score_all
from crm_desktop.domain.segments import Condition, Group, parse_filter
from tests.conftest import TODAY
from tests.databases import connect

# The expected answers come from SQLite SQL written by hand (its text dates and functions):
# the segment compiler itself is checked on PostgreSQL by test_segment_sql_dialects.py
# and the segment tests of the campaigns, CLI and consent modules.
pytestmark = pytest.mark.sqlite_only


def rows(app: AppContext, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with connect(app) as conn:
        return conn.execute(sql, params).fetchall()


def live_ids(app: AppContext) -> set[str]:
    return {r[0] for r in rows(app, "SELECT id FROM contacts WHERE deleted_at IS NULL")}


def matched(app: AppContext, data: Any) -> set[str]:
    return set(app.segments.ids(parse_filter(data), TODAY))


def count(app: AppContext, data: Any) -> int:
    return app.segments.count(parse_filter(data), TODAY)


def order_stats(app: AppContext) -> dict[str, tuple[int, str]]:
    return {
        cid: (int(n), last)
        for cid, n, last in rows(
            app,
            "SELECT contact_id, count(*), max(ordered_on) FROM orders "
            "WHERE deleted_at IS NULL AND contact_id IS NOT NULL GROUP BY contact_id",
        )
    }


def purchases(app: AppContext) -> list[Purchases]:
    days: dict[str, list[str]] = defaultdict(list)
    amounts: dict[str, int] = defaultdict(int)
    for cid, day, amount in rows(
        app,
        "SELECT contact_id, ordered_on, amount_cents FROM orders "
        "WHERE deleted_at IS NULL AND contact_id IS NOT NULL "
        "UNION ALL SELECT contact_id, substr(closed_at, 1, 10), value_cents FROM deals "
        "WHERE deleted_at IS NULL AND status = 'won' AND contact_id IS NOT NULL "
        "AND closed_at IS NOT NULL",
    ):
        days[cid].append(day)
        amounts[cid] += amount
    return [
        Purchases(cid, dt.date.fromisoformat(max(d)), len(d), amounts[cid])
        for cid, d in days.items()
    ]


def test_behaviour_conditions_match_the_raw_tables(demo_app: AppContext) -> None:
    stats = order_stats(demo_app)
    everyone = live_ids(demo_app)
    two_or_more = {c for c, (n, _) in stats.items() if n >= 2}
    assert two_or_more and matched(demo_app, {"field": "orders", "op": ">=", "value": 2}) == (
        two_or_more & everyone
    )
    # no orders: the contacts without a row at all are counted too
    assert matched(demo_app, {"field": "orders", "op": "<", "value": 1}) == everyone - set(stats)
    assert matched(demo_app, {"field": "orders", "op": "empty"}) == everyone - set(stats)
    since = (TODAY - dt.timedelta(days=90)).isoformat()
    recent = {c for c, (_, last) in stats.items() if since <= last <= TODAY.isoformat()}
    got = matched(demo_app, {"field": "last_order", "op": "in_last_days", "value": 90})
    assert recent and got == recent & everyone
    older = matched(demo_app, {"field": "last_order", "op": "not_in_last_days", "value": 90})
    assert older == {c for c, (_, last) in stats.items() if last < since} & everyone


def test_total_spend_counts_orders_and_won_deals(demo_app: AppContext) -> None:
    spend = {p.key: p.total_cents for p in purchases(demo_app)}
    everyone = live_ids(demo_app)
    big = {c for c, cents in spend.items() if cents > 1000_00}
    assert big and matched(demo_app, {"field": "total_spend", "op": ">", "value": 1000}) == (
        big & everyone
    )
    small = matched(demo_app, {"field": "total_spend", "op": "<=", "value": 1000})
    assert small == everyone - big  # those who never bought spent 0


def test_rfm_class_in_sql_equals_the_domain_scores(demo_app: AppContext) -> None:
    scores = score_all(purchases(demo_app))
    everyone = live_ids(demo_app)
    by_class: dict[str, set[str]] = defaultdict(set)
    for cid, s in scores.items():
        by_class[s.name].add(cid)
    assert len(by_class) >= 4
    for name, members in by_class.items():
        assert matched(demo_app, {"field": "rfm", "op": "in", "value": [name]}) == (
            members & everyone
        ), name
    assert matched(demo_app, {"field": "rfm", "op": "none"}) == everyone - set(scores)


def test_text_tag_owner_company_and_nesting(demo_app: AppContext) -> None:
    everyone = live_ids(demo_app)
    city = rows(demo_app, "SELECT city FROM contacts WHERE city != '' LIMIT 1")[0][0]
    in_city = {r[0] for r in rows(demo_app, "SELECT id FROM contacts WHERE city = ?", city)}
    assert matched(demo_app, {"field": "city", "op": "is", "value": city.upper()}) == in_city
    tag = rows(demo_app, "SELECT name FROM tags LIMIT 1")[0][0]
    tagged = {
        r[0]
        for r in rows(
            demo_app,
            "SELECT target_id FROM taggings JOIN tags ON tags.id = tag_id "
            "WHERE tags.name = ? AND taggings.deleted_at IS NULL",
            tag,
        )
    }
    assert matched(demo_app, {"field": "tag", "op": "has", "value": tag}) == tagged & everyone
    either = matched(
        demo_app,
        {
            "any": [
                {"field": "city", "op": "is", "value": city},
                {"field": "tag", "op": "has", "value": tag},
            ]
        },
    )
    assert either == (in_city | tagged) & everyone
    neither = matched(
        demo_app,
        {
            "not": {
                "any": [
                    {"field": "city", "op": "is", "value": city},
                    {"field": "tag", "op": "has", "value": tag},
                ]
            }
        },
    )
    assert neither == everyone - either
    owner_id, owner = rows(demo_app, "SELECT id, name FROM users LIMIT 1")[0]
    owned = {r[0] for r in rows(demo_app, "SELECT id FROM contacts WHERE owner_id = ?", owner_id)}
    assert matched(demo_app, {"field": "owner", "op": "is", "value": owner.lower()}) == owned
    assert matched(demo_app, {"field": "owner", "op": "is", "value": owner_id}) == owned
    country = rows(demo_app, "SELECT country FROM contact_addresses LIMIT 1")[0][0]
    living = {
        r[0]
        for r in rows(
            demo_app, "SELECT contact_id FROM contact_addresses WHERE country = ?", country
        )
    }
    assert matched(demo_app, {"field": "country", "op": "is", "value": country}) == living
    company = rows(demo_app, "SELECT id, name FROM companies LIMIT 1")[0]
    staff = {
        r[0]
        for r in rows(
            demo_app,
            "SELECT contact_id FROM contact_roles WHERE company_id = ? AND deleted_at IS NULL",
            company[0],
        )
    }
    assert staff and matched(demo_app, {"field": "company", "op": "is", "value": company[1]}) >= (
        staff
    )


def test_age_and_birthday_count_from_the_given_day(demo_app: AppContext) -> None:
    born = {
        cid: dt.date.fromisoformat(b)
        for cid, b in rows(demo_app, "SELECT id, birthday FROM contacts WHERE birthday IS NOT NULL")
    }

    def age(b: dt.date) -> int:
        return TODAY.year - b.year - ((TODAY.month, TODAY.day) < (b.month, b.day))

    thirties = {c for c, b in born.items() if 30 <= age(b) <= 39}
    assert (
        thirties
        and matched(demo_app, {"field": "age", "op": "between", "value": [30, 39]}) == thirties
    )
    assert matched(demo_app, {"field": "age", "op": ">", "value": 50}) == {
        c for c, b in born.items() if age(b) > 50
    }
    soon = set()
    for c, b in born.items():
        for offset in range(31):
            d = TODAY + dt.timedelta(days=offset)
            if (d.month, d.day) == (b.month, b.day):
                soon.add(c)
    assert matched(demo_app, {"field": "birthday", "op": "in_next_days", "value": 30}) == soon
    december = {c for c, b in born.items() if b.month == 12}
    assert matched(demo_app, {"field": "birthday", "op": "in_month", "value": 12}) == december


def test_consent_reads_the_latest_record_of_the_purpose(demo_app: AppContext) -> None:
    latest: dict[tuple[str, str], str] = {}
    for cid, purpose, status in rows(
        demo_app,
        "SELECT contact_id, purpose, status FROM consents WHERE deleted_at IS NULL "
        "ORDER BY recorded_at, id",
    ):
        latest[(cid, purpose)] = status
    granted = {c for (c, p), s in latest.items() if p == "newsletter" and s == "granted"}
    withdrawn = {c for (c, p), s in latest.items() if p == "newsletter" and s == "withdrawn"}
    everyone = live_ids(demo_app)
    consent = {"field": "consent", "purpose": "newsletter"}
    assert granted and matched(demo_app, {**consent, "op": "granted"}) == granted & everyone
    assert matched(demo_app, {**consent, "op": "withdrawn"}) == withdrawn & everyone
    assert matched(demo_app, {**consent, "op": "not_granted"}) == everyone - granted
    unknown = everyone - {c for (c, p) in latest if p == "newsletter"}
    assert matched(demo_app, {**consent, "op": "unknown"}) == unknown


def test_activity_and_open_deal_conditions(demo_app: AppContext) -> None:
    everyone = live_ids(demo_app)
    open_deals = {
        r[0]
        for r in rows(
            demo_app,
            "SELECT contact_id FROM deals WHERE status = 'open' AND deleted_at IS NULL "
            "AND contact_id IS NOT NULL",
        )
    }
    assert matched(demo_app, {"field": "open_deals", "op": ">=", "value": 1}) == (
        open_deals & everyone
    )
    assert matched(demo_app, {"field": "open_deals", "op": "=", "value": 0}) == (
        everyone - open_deals
    )
    # every contact is either active in the last 60 days, or not (including never)
    active = matched(demo_app, {"field": "last_activity", "op": "in_last_days", "value": 60})
    quiet = matched(demo_app, {"field": "last_activity", "op": "not_in_last_days", "value": 60})
    never = matched(demo_app, {"field": "last_activity", "op": "empty"})
    assert active and quiet and not active & quiet
    assert active | quiet | never == everyone


def test_saved_segment_is_a_strict_subset_exported_and_listed(
    demo_app: AppContext, tmp_path: Path
) -> None:
    group = parse_filter(
        {
            "all": [
                {"field": "orders", "op": ">=", "value": 1},
                {"field": "consent", "purpose": "newsletter", "op": "not_granted"},
            ]
        }
    )
    saved = demo_app.segments.save("Buyers", group)
    again = demo_app.segments.save("buyers", group)  # same name: the same segment
    assert again.id == saved.id
    listed = demo_app.segments.list(counts=True, today=TODAY)
    assert [(s.name, s.count) for s in listed] == [("Buyers", count(demo_app, group_json(group)))]
    ids = demo_app.segments.ids(demo_app.segments.find("BUYERS").filter)
    assert 0 < len(ids) < len(live_ids(demo_app))
    written = demo_app.exports.contacts(tmp_path / "buyers.csv", ids)
    assert written == len(ids)
    # the contacts list shows the segment through its query
    query = demo_app.segments.query(saved.id)
    assert demo_app.contacts.count(query) == len(ids)
    assert demo_app.contacts.count(ListQuery(search="a", segment=query.segment)) <= len(ids)


def group_json(group: Group) -> Any:
    from crm_desktop.domain.segments import filter_to_json

    return filter_to_json(group)


def test_older_list_segments_still_read(demo_app: AppContext) -> None:
    tag = rows(demo_app, "SELECT name FROM tags LIMIT 1")[0][0]
    saved = demo_app.segments.save("Tagged", ListQuery(tag=tag))
    with connect(demo_app) as conn:
        conn.execute(
            "UPDATE segments SET filter = ? WHERE id = ?", (f'{{"tag": "{tag}"}}', saved.id)
        )
    record = demo_app.segments.find("Tagged")
    assert record.filter == Group((Condition("tag", "has", tag),))
    assert demo_app.segments.count(record.filter) == len(
        matched(demo_app, {"field": "tag", "op": "has", "value": tag})
    )


def test_bad_names_and_empty_filters(app: AppContext) -> None:
    with pytest.raises(ValidationError, match="needs a name"):
        app.segments.save("  ", parse_filter({"field": "city", "op": "is", "value": "x"}))
    with pytest.raises(ValidationError, match="whole list"):
        app.segments.save("All", Group())
    with pytest.raises(NotFoundError, match="no segment named"):
        app.segments.find("missing")
