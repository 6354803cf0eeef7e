"""Bulk operations (services/bulk.py): one transaction each, set-based, recorded in the
change log, all or nothing, and undone (and redone) as one step, exactly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.errors import NotFoundError, ValidationError
from crm_desktop.domain.records import ListQuery
from crm_desktop.persistence.uow import UnitOfWork, UnitOfWorkFactory
from crm_desktop.services.bulk import BulkService
from tests.databases import connect


class CountingFactory:
    """The app's unit-of-work factory, counting the write transactions opened."""

    def __init__(self, inner: UnitOfWorkFactory) -> None:
        self.inner = inner
        self.writes = 0

    def __call__(self) -> UnitOfWork:
        self.writes += 1
        return self.inner()

    def read(self) -> UnitOfWork:
        return self.inner.read()


@pytest.fixture
def counted(demo_app: AppContext) -> Iterator[tuple[BulkService, CountingFactory]]:
    factory = CountingFactory(demo_app.uow)
    yield BulkService(factory), factory


def rows(app: AppContext, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(connect(app)) as conn:
        return conn.execute(sql, params).fetchall()


def live_tags(app: AppContext) -> set[tuple[str, str]]:
    return set(
        rows(
            app,
            "SELECT t.target_id, g.name FROM taggings t JOIN tags g ON g.id = t.tag_id "
            "WHERE t.deleted_at IS NULL",
        )
    )


def last_seq(app: AppContext) -> int:
    return int(rows(app, "SELECT coalesce(max(seq), 0) FROM change")[0][0])


def test_tag_is_one_transaction_and_undo_restores_exactly(
    demo_app: AppContext, counted: tuple[BulkService, CountingFactory]
) -> None:
    bulk, factory = counted
    ids = demo_app.contacts.ids(ListQuery())[:120]
    before = live_tags(demo_app)
    already = {c for c, name in before if name.casefold() == "vip"} & set(ids)
    seq = last_seq(demo_app)

    result = bulk.tag("contacts", ids, "vip")

    assert factory.writes == 1
    assert set(result.ids) == set(ids) - already and result.count == len(ids) - len(already)
    name = next((n for _c, n in before if n.casefold() == "vip"), "vip")
    assert live_tags(demo_app) == before | {(c, name) for c in result.ids}
    assert len(result.changes.ids("taggings")) == result.count
    # Each new tagging is one insert row in the change log, in the same transaction.
    inserted = rows(
        demo_app, "SELECT count(*) FROM change WHERE seq > ? AND entity = 'taggings'", seq
    )
    assert inserted[0][0] == result.count

    undone = bulk.undo(result.undo)
    assert factory.writes == 2
    assert live_tags(demo_app) == before
    assert undone.changes.ids("taggings") == result.changes.ids("taggings")
    deleted = rows(
        demo_app,
        "SELECT count(*) FROM change WHERE seq > ? AND entity = 'taggings' "
        "AND field = 'deleted_at'",
        seq,
    )
    assert deleted[0][0] == result.count

    bulk.undo(undone.undo)  # redo
    assert all("vip" in {t.casefold() for t in demo_app.contacts.get(c).tags} for c in ids)


def test_untag_and_its_undo(demo_app: AppContext) -> None:
    bulk = demo_app.bulk
    ids = demo_app.contacts.ids(ListQuery())[:50]
    bulk.tag("contacts", ids, "Fair 2026")
    before = live_tags(demo_app)
    result = bulk.untag("contacts", ids, "fair 2026")
    assert result.count == 50
    assert not any(name == "Fair 2026" for _c, name in live_tags(demo_app))
    bulk.undo(result.undo)
    assert live_tags(demo_app) == before


def test_owner_undo_keeps_an_edit_made_since(demo_app: AppContext) -> None:
    bulk = demo_app.bulk
    users = demo_app.users.list()
    ids = demo_app.contacts.ids(ListQuery())[:80]
    owners = dict(rows(demo_app, "SELECT id, owner_id FROM contacts"))
    result = bulk.set_owner("contacts", ids, users[0].id)
    assert {demo_app.contacts.get(i).owner_id for i in ids} == {users[0].id}
    assert set(result.ids) == {i for i in ids if owners[i] != users[0].id}
    changed = rows(
        demo_app,
        "SELECT count(*) FROM change WHERE entity = 'contacts' AND field = 'owner_id' "
        "AND value = ?",
        f'"{users[0].id}"',
    )
    assert changed[0][0] >= result.count
    # Someone gives one of them to another owner after the bulk edit: undo keeps that.
    moved = result.ids[0]
    demo_app.contacts.set_owner([moved], users[1].id)

    bulk.undo(result.undo)

    after = dict(rows(demo_app, "SELECT id, owner_id FROM contacts"))
    assert after[moved] == users[1].id
    assert {k: v for k, v in after.items() if k != moved} == {
        k: v for k, v in owners.items() if k != moved
    }


def test_delete_and_restore_as_one_step(demo_app: AppContext) -> None:
    bulk = demo_app.bulk
    ids = demo_app.contacts.ids(ListQuery())[:40]
    total = demo_app.contacts.count(ListQuery())
    result = bulk.delete("contacts", ids)
    assert result.count == 40 and demo_app.contacts.count(ListQuery()) == total - 40
    name = demo_app.contacts.get(ids[0]).display_name
    assert ids[0] not in {h.id for h in demo_app.search.search(name, 50)}  # index follows
    bulk.undo(result.undo)
    assert demo_app.contacts.count(ListQuery()) == total
    assert ids[0] in {h.id for h in demo_app.search.search(name, 50)}
    restored = bulk.restore("contacts", ids)
    assert restored.count == 0  # nothing was in the Trash


def test_unknown_ids_change_nothing(demo_app: AppContext) -> None:
    seq = last_seq(demo_app)
    ids = [*demo_app.contacts.ids(ListQuery())[:5], "no-such-id"]
    with pytest.raises(NotFoundError, match="no-such-id"):
        demo_app.bulk.tag("contacts", ids, "Lost cause")
    with pytest.raises(ValidationError):
        demo_app.bulk.tag("contacts", ids[:3], "   ")
    assert last_seq(demo_app) == seq


def deal_state(app: AppContext) -> list[tuple[Any, ...]]:
    return rows(
        app,
        "SELECT id, stage_id, status, stage_entered_at, closed_at, reason_id, close_note, "
        "position FROM deals ORDER BY id",
    )


def test_stage_move_all_or_nothing_and_undo(demo_app: AppContext) -> None:
    pipelines = demo_app.pipeline.pipelines()
    main = pipelines[0]
    won = next(s for s in main.stages if s.kind == "won")
    in_main = [
        d
        for (d,) in rows(
            demo_app,
            "SELECT id FROM deals WHERE pipeline_id = ? AND status = "
            "'open' AND deleted_at IS NULL LIMIT 30",
            main.id,
        )
    ]
    elsewhere = rows(
        demo_app,
        "SELECT id FROM deals WHERE pipeline_id != ? AND deleted_at IS NULL LIMIT 1",
        main.id,
    )
    reason = demo_app.pipeline.reasons("won")[0].id
    before, seq = deal_state(demo_app), last_seq(demo_app)
    history = rows(demo_app, "SELECT count(*) FROM deal_stage_history")

    with pytest.raises(ValidationError, match="reason"):
        demo_app.bulk.move_stage(in_main, won.id)
    assert elsewhere  # the demo has a second pipeline
    with pytest.raises(ValidationError, match="another pipeline"):
        demo_app.bulk.move_stage([*in_main, elsewhere[0][0]], won.id, reason)
    assert deal_state(demo_app) == before and last_seq(demo_app) == seq
    assert rows(demo_app, "SELECT count(*) FROM deal_stage_history") == history

    result = demo_app.bulk.move_stage(in_main, won.id, reason, "Signed at the fair")
    assert result.count == len(in_main)
    for deal_id in in_main[:3]:
        record = demo_app.deals.get(deal_id)
        assert (record.status, record.close_note) == ("won", "Signed at the fair")
        assert record.history[-1].to_stage == "Won"

    demo_app.bulk.undo(result.undo)
    assert deal_state(demo_app) == before
    live_history = rows(
        demo_app, "SELECT count(*) FROM deal_stage_history WHERE deleted_at IS NULL"
    )
    assert live_history == history


def test_stage_move_plans_the_stage_templates_and_undo_takes_them_back(
    demo_app: AppContext,
) -> None:
    from crm_desktop.domain.activities import Step

    main = demo_app.pipeline.pipelines()[0]
    stage = main.stages[1]
    demo_app.followups.save_template("Qualified", [Step(0, "call", "Qualify")], stage.id)
    deals = [
        d
        for (d,) in rows(
            demo_app,
            "SELECT id FROM deals WHERE pipeline_id = ? AND stage_id "
            "!= ? AND status = 'open' AND deleted_at IS NULL LIMIT 5",
            main.id,
            stage.id,
        )
    ]
    result = demo_app.bulk.move_stage(deals, stage.id)
    planned = result.changes.ids("activities")
    assert len(planned) == len(deals)
    demo_app.bulk.undo(result.undo)
    marks = ",".join("?" * len(planned))
    left = rows(
        demo_app,
        f"SELECT count(*) FROM activities WHERE id IN ({marks}) AND deleted_at IS NULL",
        *planned,
    )
    assert left[0][0] == 0


def test_owner_of_deals_through_the_deal_service(demo_app: AppContext) -> None:
    user = demo_app.users.list()[-1]
    ids = demo_app.deals.ids(ListQuery())[:10]
    changes = demo_app.deals.set_owner(ids, user.id)
    assert changes.touches("deals")
    assert {demo_app.deals.get(i).draft.owner_id for i in ids} == {user.id}
