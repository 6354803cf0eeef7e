"""The smaller SQLite file (migration 0012): row ids and values stored compactly behind
the `change` view, a search index without positions. A database made before reads the
same change history, timeline and search results after the migration; searches find
exactly the records a phrase search found."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import pytest
from alembic import command

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.records import ContactDraft
from crm_desktop.persistence import database
from crm_desktop.persistence.change_keys import (
    ENTITY_PIECES,
    VALUE_PIECES,
    compact_row_id,
    compact_value,
)

pytestmark = pytest.mark.sqlite_only  # the compact forms are SQLite's

_QUERIES = ["müller", "muller", "gmbh", "an", "anna m", "zz", "ada", "lovelace", "ovela", "a_b"]


def _log(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT * FROM change ORDER BY device_id, seq").fetchall()


def _seen(app: AppContext, ids: list[str]) -> tuple[object, ...]:
    timelines = [app.timeline.timeline("contacts", i) for i in ids]
    return timelines, [app.search.search(q, 50) for q in _QUERIES]


def test_the_migration_keeps_history_timeline_and_search(demo_app: AppContext) -> None:
    app = demo_app
    ada = app.contacts.create(ContactDraft(first_name="Ada", last_name="Lovelace"))
    app.contacts.update(ada.id, ContactDraft(first_name="Ada", last_name="King"))
    with sqlite3.connect(app.paths.database) as conn:
        ids = [ada.id, *(i for (i,) in conn.execute("SELECT id FROM contacts LIMIT 5"))]
    path = app.paths.database
    now = _log(path)
    seen = _seen(app, ids)
    with app.database.engine.connect() as connection, connection.begin():
        config = database._alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")
    app.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM change_log WHERE typeof(row_id) = 'blob'"
                            ).fetchone() == (0,)  # fmt: skip
    assert _log(path) == now
    again = open_app(path.parent)
    try:
        assert database.current_revision(again.database.engine) == database.HEAD_REVISION
        assert _log(path) == now
        assert _seen(again, ids) == seen
    finally:
        again.close()
    with sqlite3.connect(path) as conn:
        texts = [r for (r,) in conn.execute(
            "SELECT row_id FROM change_log WHERE typeof(row_id) = 'text'")]  # fmt: skip
    assert texts and not any(compact_row_id(r) != r for r in texts)  # settings' keys


def test_row_ids_and_values_are_stored_compactly_and_read_back(app: AppContext) -> None:
    ada = app.contacts.create(ContactDraft(first_name="Ada", last_name="Lovelace"))
    with sqlite3.connect(app.paths.database) as conn:
        stored = conn.execute(
            "SELECT typeof(c.row_id), typeof(c.value) FROM change_log c "
            "JOIN change_entities e ON e.code = c.entity WHERE e.name = 'contacts'"
        ).fetchall()
        (value,) = conn.execute(
            "SELECT value FROM change WHERE row_id = ? AND field = '*'", (ada.id,)
        ).fetchone()
    assert stored == [("blob", "blob")]
    assert value.startswith('{"first_name":"Ada","last_name":"Lovelace"')


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        '"text"',
        "{}",
        "{\x01}",
        '{"name":"A","created_at":"2026-01-01T00:00:00Z"}',
        '{"contact_id":"01a24b73-2762-7fe0-a097-1c9cc86098d3","number":"+1"}',
        '{"a":"01a24b73-2762-7fe0-a097-1c9cc86098d3","b":"01A24B73-2762-7fe0-a097-1c9cc86098d3",'
        '"c":"01a24b73-2762-7fe0-a097-1c9cc86098d4","d":"01a24b73-2762-7fe0-a097-1c9cc86098d5"}',
    ],
)
def test_a_value_reads_back_as_written(value: str | None) -> None:
    conn = sqlite3.connect(":memory:")
    expression = _migration().value_text("?1", "?2", "?3")
    assert conn.execute(f"SELECT {expression}", compact_value(value)).fetchone()[0] == value


@pytest.mark.parametrize("row_id", ["01a24b73-2762-7fe0-a097-1c9cc86098d3", "business_name", "R1"])
def test_a_row_id_reads_back_as_written(row_id: str) -> None:
    conn = sqlite3.connect(":memory:")
    expression = _migration().row_id_text("?1")
    assert conn.execute(f"SELECT {expression}", (compact_row_id(row_id),)).fetchone()[0] == row_id


def test_the_app_shortens_values_as_the_migration_reads_them() -> None:
    assert _migration().VALUE_PIECES == VALUE_PIECES
    assert _migration().ENTITY_PIECES == ENTITY_PIECES


def _migration():  # type: ignore[no-untyped-def]
    path = Path(database.__file__).parent / "migrations" / "versions" / "0012_smaller_database.py"
    spec = importlib.util.spec_from_file_location("migration_0012", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_word_is_found_whole_not_as_scattered_trigrams(app: AppContext) -> None:
    # "abc bcd" holds both trigrams of "abcd", apart: the index alone would say yes.
    scattered = app.contacts.create(ContactDraft(first_name="Abc", last_name="Bcd"))
    whole = app.contacts.create(ContactDraft(first_name="Xabcd", last_name="Quux"))
    assert [h.id for h in app.search.search("abcd", 10)] == [whole.id]
    assert {h.id for h in app.search.search("bcd", 10)} == {scattered.id, whole.id}
    assert app.search.search("ab%d", 10) == []  # % taken literally


_SAMPLES = [
    "01a24b73-2762-7fe0-a097-1c9cc86098d3",
    "01A24B73-2762-7FE0-A097-1C9CC86098D3",
    "2026-12-06T13:02:48.260882Z",
    'say "hi"\n\x01\\',
    "Müller ✓ \u2028",
    "",
    0,
    7,
    -3,
    2.5,
    True,
    False,
    None,
    ["a", 1],
    {"name": "x"},
]


@pytest.mark.parametrize("entity", ["contacts", "contact_phones", "taggings", "gadgets"])
def test_an_object_made_compact_reads_back_as_its_json(entity: str) -> None:
    import random

    from crm_desktop.persistence.change_keys import compact_object
    from crm_desktop.persistence.changes import encode_value

    migration = _migration()
    codes = {n: c for c, n in enumerate(migration._migration_0011().ENTITY_CODES, start=1)}
    conn = sqlite3.connect(":memory:")
    expression = migration.value_text("?1", "?2", "?3", "?4")
    keys = [p[1 : p.index('"', 1)] for p in VALUE_PIECES] + ["other", "id2"]
    chance = random.Random(7)
    for _ in range(400):
        values = {chance.choice(keys): chance.choice(_SAMPLES) for _ in range(chance.randint(0, 6))}
        stored = compact_object(values, entity, encode_value)
        params = (*stored, codes.get(entity, 1000))
        assert conn.execute(f"SELECT {expression}", params).fetchone()[0] == encode_value(values)
