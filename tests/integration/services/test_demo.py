"""Demo data is realistic and deterministic; timelines show what happened, newest first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.records import CompanyDraft, ContactDraft, ListQuery, TimelineKind
from tests.conftest import TODAY
from tests.databases import connect


def table_counts(app: AppContext) -> dict[str, int]:
    with connect(app) as conn:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("contacts", "companies", "deals", "activities", "orders", "users")
        }


def test_demo_is_deterministic_for_a_seed_and_day(tmp_path: Path) -> None:
    results = []
    for name in ("one", "two"):
        context = open_app(tmp_path / name)
        context.demo.generate(contacts=120, seed=42, today=TODAY)
        ids = context.contacts.ids(ListQuery(sort="name"))
        results.append((ids, [r.display_name for r in context.contacts.rows(ids)]))
        context.close()
    assert results[0] == results[1]


def test_demo_data_looks_like_a_real_business(demo_app: AppContext) -> None:
    counts = table_counts(demo_app)
    assert counts["contacts"] == 300
    assert counts["deals"] == 60
    assert counts["users"] == 5
    assert counts["companies"] >= 30
    with connect(demo_app) as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM deals GROUP BY status"))
        assert set(statuses) == {"open", "won", "lost"}
        first, last = conn.execute("SELECT min(created_at), max(created_at) FROM deals").fetchone()
        span = dt.date.fromisoformat(str(last)[:10]) - dt.date.fromisoformat(str(first)[:10])
        assert span.days > 300  # spread over about 18 months
        future = conn.execute(
            "SELECT count(*) FROM activities WHERE starts_at > ?", (TODAY.isoformat(),)
        ).fetchone()[0]
        past = conn.execute("SELECT count(*) FROM activities WHERE done").fetchone()[0]
        assert future > 0 and past > 0
        moves = conn.execute("SELECT count(*) FROM deal_stage_history").fetchone()[0]
        assert moves > counts["deals"]
        lost_reasons = conn.execute(
            "SELECT count(*) FROM deals WHERE status = 'lost' AND reason_id IS NULL"
        ).fetchone()
        assert lost_reasons == (0,)
    names = " ".join(r.display_name for r in demo_app.contacts.page(ListQuery(), 0, 300).rows)
    assert any(ch in names for ch in "üøłçñş")  # international names
    assert all(c.ok for c in demo_app.maintenance.doctor())


def test_timeline_shows_activities_deals_orders_and_edits(demo_app: AppContext) -> None:
    with connect(demo_app) as conn:
        contact_id = conn.execute(
            "SELECT contact_id FROM orders o WHERE EXISTS (SELECT 1 FROM deals d "
            "WHERE d.contact_id = o.contact_id) LIMIT 1"
        ).fetchone()[0]
    record = demo_app.contacts.get(contact_id)
    draft = record.to_draft()
    demo_app.contacts.update(contact_id, ContactDraft(**{**draft.__dict__, "notes": "VIP!"}))
    entries = demo_app.timeline.timeline("contacts", contact_id)
    kinds = {e.kind for e in entries}
    assert {
        TimelineKind.ACTIVITY,
        TimelineKind.DEAL,
        TimelineKind.ORDER,
        TimelineKind.CHANGE,
    } <= kinds
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    newest = entries[0]
    assert newest.kind is TimelineKind.CHANGE and newest.title == "Changed notes"
    assert "VIP!" in newest.detail


def test_company_timeline_and_people(app: AppContext) -> None:
    from crm_desktop.domain.records import RoleEntry

    company = app.companies.create(CompanyDraft(name="Harbor Media Ltd")).id
    person = app.contacts.create(
        ContactDraft(first_name="Emma", last_name="Walsh", roles=(RoleEntry(company, "CFO"),))
    ).id
    record = app.companies.get(company)
    assert record.people == ((person, "Emma Walsh", "CFO"),)
    app.companies.delete([company])
    titles = [e.title for e in app.timeline.timeline("companies", company)]
    assert titles == ["Moved to Trash", "Created"]
    assert app.companies.count(ListQuery()) == 0
    app.companies.restore([company])
    assert app.companies.page(ListQuery()).rows[0].people == 1
