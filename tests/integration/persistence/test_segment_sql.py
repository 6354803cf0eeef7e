"""The segment compiler writes portable SQL: the same filter compiles for PostgreSQL with
no SQLite-only function in it (relative days are bound values; birthdays use EXTRACT)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_mock_engine, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from crm_desktop.domain.segments import parse_filter
from crm_desktop.persistence.models import Contact
from crm_desktop.persistence.segment_sql import SegmentCompiler

EVERYTHING = {
    "all": [
        {"field": "city", "op": "in", "value": ["Berlin", "Köln"]},
        {"field": "country", "op": "is_not", "value": "Germany"},
        {"field": "custom:Shoe size", "op": "contains", "value": "4"},
        {"field": "company", "op": "is", "value": "Acme"},
        {"field": "owner", "op": "empty"},
        {"field": "tag", "op": "has_not", "value": "VIP"},
        {"field": "age", "op": "between", "value": [30, 40]},
        {"field": "birthday", "op": "in_next_days", "value": 14},
        {"field": "created", "op": "in_last_days", "value": 90},
        {"field": "orders", "op": ">=", "value": 2},
        {"field": "last_order", "op": "not_in_last_days", "value": 180},
        {"field": "total_spend", "op": "<", "value": 99.5},
        {"field": "open_deals", "op": "=", "value": 0},
        {"field": "last_activity", "op": "empty"},
        {"field": "consent", "purpose": "newsletter", "op": "granted"},
        {"not": {"any": [{"field": "email", "op": "empty"}, {"field": "rfm", "op": "none"}]}},
    ]
}


def test_a_filter_of_every_kind_compiles_for_postgresql() -> None:
    engine = create_mock_engine("postgresql+psycopg://", lambda *a, **k: None)
    session = Session(bind=engine)
    compiler = SegmentCompiler(session, dt.date(2026, 11, 22))
    clause = compiler.compile(parse_filter(EVERYTHING))
    stmt = select(func.count()).select_from(Contact).where(clause)
    sql = str(stmt.compile(dialect=postgresql.dialect())).lower()
    for sqlite_only in ("strftime", "julianday", "date(", "group_concat", "ifnull"):
        assert sqlite_only not in sql, sqlite_only
    assert "extract(month from contacts.birthday)" in sql
    assert "cast(deals.closed_at as date)" in sql  # the day of a timestamp, PostgreSQL's way
