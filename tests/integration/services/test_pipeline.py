"""Pipelines, stages, the board and moving deals: rules checked on a real database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.formatting import format_money
from crm_desktop.domain.pipeline import (
    BoardFilter,
    effective_probability,
    is_rotting,
    weighted_cents,
)
from crm_desktop.domain.records import ContactDraft
from tests.databases import connect, url_of


@pytest.fixture
def sales(app: AppContext) -> tuple[AppContext, str, dict[str, str], str]:
    pipeline_id = app.pipeline.create_pipeline("Sales").id
    stages = {s.name: s.id for s in app.pipeline.pipelines()[0].stages}
    app.pipeline.add_reason("lost", "Too expensive")
    app.pipeline.add_reason("won", "Best fit")
    contact = app.contacts.create(ContactDraft(first_name="Ada", last_name="Lovelace")).id
    return app, pipeline_id, stages, contact


def test_probability_and_weighted_value_rules() -> None:
    assert effective_probability(None, 30, "open") == 30
    assert effective_probability(55, 30, "open") == 55
    assert effective_probability(55, 30, "won") == 100
    assert effective_probability(55, 30, "lost") == 0
    with pytest.raises(ValidationError):
        effective_probability(120, 30, "open")
    assert weighted_cents(1_000_00, 25) == 250_00
    assert weighted_cents(333, 50) == 167  # half a cent rounds up
    assert format_money(1_234_567_89, "EUR") == "1,234,567.89 EUR"
    assert format_money(500_00, "USD") == "500 USD"


def test_rotting() -> None:
    now = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
    assert is_rotting(now - dt.timedelta(days=15), 14, "open", now)
    assert not is_rotting(now - dt.timedelta(days=14), 14, "open", now)
    assert not is_rotting(now - dt.timedelta(days=99), 0, "open", now)
    assert not is_rotting(now - dt.timedelta(days=99), 14, "won", now)


def test_board_totals_equal_the_cards_shown(sales: tuple) -> None:
    app, pipeline_id, _stages, contact = sales
    values = [1_000_00, 2_500_00, 400_00]
    for i, value in enumerate(values):
        app.deals.create_for_contact(contact, f"Deal {i}", value)
    columns = app.pipeline.board(pipeline_id)
    lead = next(c for c in columns if c.stage.name == "Lead")
    assert lead.count == 3
    assert lead.total_cents == sum(values)
    assert lead.weighted_cents == sum(weighted_cents(v, 10) for v in values)
    for column in columns:
        assert column.weighted_cents == sum(
            c.value_cents * c.probability // 100
            if c.value_cents * c.probability % 100 < 50
            else c.value_cents * c.probability // 100 + 1
            for c in column.cards
        )


def test_moves_record_history_and_won_lost_need_a_reason(sales: tuple) -> None:
    app, pipeline_id, stages, contact = sales
    deal = app.deals.create_for_contact(contact, "Analytical engine", 9_000_00).id
    app.pipeline.move(deal, stages["Proposal"])
    with pytest.raises(ValidationError, match="lost reason"):
        app.pipeline.move(deal, stages["Lost"])
    lost_reason = app.pipeline.reasons("lost")[0].id
    app.pipeline.move(deal, stages["Lost"], reason_id=lost_reason, note="Chose the abacus")
    columns = {c.stage.name: c for c in app.pipeline.board(pipeline_id)}
    card = columns["Lost"].cards[0]
    assert card.probability == 0 and columns["Lost"].weighted_cents == 0
    app.pipeline.reopen(deal)
    columns = {c.stage.name: c for c in app.pipeline.board(pipeline_id)}
    assert [c.id for c in columns["Proposal"].cards] == [deal]  # back where it was
    titles = [e.title for e in app.timeline.timeline("contacts", contact)]
    assert any("Analytical engine" in t for t in titles)

    with connect(app) as conn:
        moves = conn.execute(
            "SELECT s1.name, s2.name FROM deal_stage_history h LEFT JOIN stages s1 "
            "ON s1.id = h.from_stage_id JOIN stages s2 ON s2.id = h.to_stage_id "
            "WHERE h.deal_id = ? ORDER BY h.moved_at, h.rowid",
            (deal,),
        ).fetchall()
    assert moves == [
        (None, "Lead"),
        ("Lead", "Proposal"),
        ("Proposal", "Lost"),
        ("Lost", "Proposal"),
    ]


def test_reorder_within_a_column(sales: tuple) -> None:
    app, pipeline_id, stages, contact = sales
    ids = [app.deals.create_for_contact(contact, f"D{i}", 100_00).id for i in range(3)]
    app.pipeline.move(ids[2], stages["Lead"], index=0)
    lead = next(c for c in app.pipeline.board(pipeline_id) if c.stage.name == "Lead")
    assert [c.id for c in lead.cards] == [ids[2], ids[0], ids[1]]


def _position_changes(app: AppContext) -> int:
    with connect(app) as conn:
        return conn.execute(
            "SELECT count(*) FROM change WHERE entity = 'deals' AND field = 'position'"
        ).fetchone()[0]


def test_a_drag_writes_one_row_once_the_column_has_ranks(sales: tuple) -> None:
    app, pipeline_id, stages, contact = sales
    ids = [app.deals.create_for_contact(contact, f"D{i}", 100_00).id for i in range(6)]
    # New deals share one rank: the first drag between two of them spaces the column.
    app.pipeline.move(ids[5], stages["Lead"], index=2)
    order = [*ids[:2], ids[5], *ids[2:5]]
    lead = next(c for c in app.pipeline.board(pipeline_id) if c.stage.name == "Lead")
    assert [c.id for c in lead.cards] == order
    for deal, index in ((ids[0], 4), (ids[3], 1), (ids[5], 5), (ids[2], 0)):
        before = _position_changes(app)
        app.pipeline.move(deal, stages["Lead"], index=index)
        assert _position_changes(app) - before == 1  # only the dragged deal is written
        order.remove(deal)
        order.insert(index, deal)
        lead = next(c for c in app.pipeline.board(pipeline_id) if c.stage.name == "Lead")
        assert [c.id for c in lead.cards] == order


def test_ranks_lie_between_neighbours_and_run_out_gracefully() -> None:
    from crm_desktop.domain.pipeline import RANK_GAP, rank_between, spaced_ranks

    assert rank_between(None, None) == 0
    assert rank_between(None, 0) == -RANK_GAP
    assert rank_between(0, None) == RANK_GAP
    assert rank_between(0, RANK_GAP) == RANK_GAP // 2
    assert rank_between(4, 5) is None  # no room: the column is renumbered
    assert spaced_ranks(3) == [0, RANK_GAP, 2 * RANK_GAP]
    low, high, steps = 0, RANK_GAP, 0
    while (middle := rank_between(low, high)) is not None:
        high, steps = middle, steps + 1
    assert steps >= 15  # fifteen drags into one gap before a renumbering


def test_pipeline_edits_and_removing_a_stage_moves_its_deals(sales: tuple) -> None:
    app, pipeline_id, stages, contact = sales
    deal = app.deals.create_for_contact(contact, "Moving", 100_00).id
    new_stage = app.pipeline.add_stage(pipeline_id, "Demo", 45, 7).id
    names = [s.name for s in app.pipeline.pipelines()[0].stages]
    assert names == ["Lead", "Qualified", "Proposal", "Negotiation", "Demo", "Won", "Lost"]
    app.pipeline.update_stage(new_stage, "Live demo", 50, 10)
    order = [
        stages["Qualified"],
        stages["Lead"],
        stages["Proposal"],
        stages["Negotiation"],
        new_stage,
        stages["Won"],
        stages["Lost"],
    ]
    app.pipeline.reorder_stages(pipeline_id, order)
    assert [s.id for s in app.pipeline.pipelines()[0].stages] == order
    app.pipeline.remove_stage(stages["Lead"], move_deals_to=new_stage)
    columns = {c.stage.name: c for c in app.pipeline.board(pipeline_id)}
    assert "Lead" not in columns
    assert [c.id for c in columns["Live demo"].cards] == [deal]
    assert columns["Live demo"].cards[0].probability == 50


def test_board_filters(sales: tuple) -> None:
    app, pipeline_id, _stages, contact = sales
    app.deals.create_for_contact(
        contact, "Website relaunch", 100_00, expected_close=dt.date(2026, 12, 1)
    )
    app.deals.create_for_contact(
        contact, "Support plan", 100_00, expected_close=dt.date(2027, 3, 1)
    )

    def shown(f: BoardFilter) -> list[str]:
        return [c.title for col in app.pipeline.board(pipeline_id, f) for c in col.cards]

    assert shown(BoardFilter(text="website")) == ["Website relaunch"]
    assert shown(BoardFilter(close_before=dt.date(2027, 1, 1))) == ["Website relaunch"]
    assert sorted(shown(BoardFilter(text="lovelace"))) == ["Support plan", "Website relaunch"]


def test_deal_editor_service_lines_history_and_list(sales: tuple) -> None:
    from crm_desktop.domain.pipeline import DealDraft, DealLine
    from crm_desktop.domain.records import ListQuery

    app, pipeline_id, stages, contact = sales
    owner = app.users.create("Maria Keller").id
    draft = DealDraft(
        title="Fleet upgrade",
        pipeline_id=pipeline_id,
        stage_id=stages["Qualified"],
        currency="EUR",
        probability=40,
        expected_close=dt.date(2027, 1, 31),
        owner_id=owner,
        contact_id=contact,
        lines=(DealLine("Van", 2, 30_000_00, 10), DealLine("Service plan", 1, 1_999_99)),
        value_from_lines=True,
    )
    deal = app.deals.create(draft).id
    record = app.deals.get(deal)
    assert record.draft.value_cents == 2 * 30_000_00 * 90 // 100 + 1_999_99
    assert record.draft.value_from_lines
    assert [(m.from_stage, m.to_stage) for m in record.history] == [("", "Qualified")]
    assert record.contact_name == "Ada Lovelace" and record.owner_name == "Maria Keller"
    app.deals.update(deal, DealDraft(**{**record.draft.__dict__, "lines": record.draft.lines[:1]}))
    assert app.deals.get(deal).draft.value_cents == 54_000_00
    other = app.deals.create_for_contact(contact, "Another", 10_00).id
    by_value = app.deals.ids(ListQuery(sort="value", descending=True))
    assert by_value == [deal, other]
    rows = app.deals.rows(by_value)
    assert rows[0].probability == 40 and rows[0].weighted_cents == 54_000_00 * 40 // 100
    assert rows[1].probability == 10  # the Lead stage's default
    assert app.deals.ids(ListQuery(search="fleet")) == [deal]
    app.deals.set_owner([other], owner)
    assert app.deals.ids(ListQuery(owner_id=owner, sort="title")) == [other, deal]
    with pytest.raises(ValidationError, match="discount"):
        DealDraft(
            "Bad", pipeline_id, stages["Lead"], lines=(DealLine("x", 1, 100, 120),)
        ).validated()


def test_default_pipeline_is_made_once_with_reasons(app: AppContext) -> None:
    assert app.pipeline.pipelines() == []
    first = app.pipeline.ensure_default()
    assert first.changed.get("pipelines")
    assert not app.pipeline.ensure_default().changed  # a second call does nothing
    (sales,) = app.pipeline.pipelines()
    assert sales.name == "Sales"
    assert [s.name for s in sales.stages] == [
        "Lead",
        "Qualified",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
    probabilities = [s.probability for s in sales.stages if s.kind == "open"]
    assert probabilities == sorted(probabilities) and probabilities[0] > 0
    assert [s.kind for s in sales.stages][-2:] == ["won", "lost"]
    assert app.pipeline.reasons("won") and app.pipeline.reasons("lost")
    assert app.pipeline.first_open_stage().name == "Lead"


def test_default_pipeline_has_the_same_ids_on_every_device(tmp_path: Path) -> None:
    ids = []
    for device in ("a", "b"):
        context = open_app(tmp_path / device)
        context.pipeline.ensure_default()
        ids.append([(s.id, s.name) for p in context.pipeline.pipelines() for s in p.stages])
        context.close()
    assert ids[0] == ids[1]


def test_new_deal_stage_makes_the_default_pipeline(app: AppContext) -> None:
    stage = app.pipeline.first_open_stage()
    assert stage.kind == "open"
    assert len(app.pipeline.pipelines()) == 1


def test_no_default_pipeline_next_to_an_existing_one(app: AppContext) -> None:
    app.pipeline.create_pipeline("Partners")
    app.pipeline.ensure_default()
    assert [p.name for p in app.pipeline.pipelines()] == ["Partners"]


def test_the_device_user_owns_new_records(app: AppContext) -> None:
    assert app.users.me() is None and app.users.default_owner_id() is None
    only = app.users.create("Solo Trader")
    assert app.users.default_owner_id() == only.id  # the only user is the owner
    other = app.users.create("Second Person")
    assert app.users.me() is None  # two users and nobody chosen: nobody is guessed
    app.users.set_me(other.id)
    assert app.users.default_owner_id() == other.id
    reopened = open_app(app.paths.data_dir, database_url=url_of(app))
    try:
        assert reopened.users.default_owner_id() == other.id
    finally:
        reopened.close()
