"""a smaller database

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

SQLite only (a file on each person's disk, where size counts); PostgreSQL is unchanged.
For 20,000 imported contacts (tests/benchmarks/size.py) the file went from 71.1 MB (3.47
KiB a contact, the change log 35% of it) to 54.9 MB (2.68 KiB, the log 30%): row ids
-1.8 MB, values' pieces -5.1 MB, values' ids -1.7 MB, the search index -6.3 MB, the free
pages the import left -1.6 MB.

The change log (`change_log`, behind the `change` view of migration 0011):

- a row id in the usual form (a lower-case UUID) is stored as its 16 bytes instead of 36
  characters (another id, such as a setting's key, as it is); the view gives it back as
  text. The index by record is on that text (the view's own expression, so that every
  `WHERE row_id = ...` through the view finds it): the text is stored there once, the
  one copy of it kept on purpose, for the look-ups by record of the timeline, the field
  clocks and an apply;
- an object's JSON (the value of a new row, every field at once) is stored with its usual
  pieces, such as `"created_at":"20`, as one control character each, and its first two
  ids in the usual form (such as a phone's `contact_id`) as 16 bytes each in `ref1` and
  `ref2`, a control character standing for each in the text, which is stored as a BLOB
  (how the view tells it from a value stored as given); JSON text never holds a raw
  control character, so the view's `replace` gives back exactly the text written.

What stays stored twice, and why: each record's fields are in its table and in its first
change row (the history, the undo log and the sync wire each read the change log alone);
a record's id is in its table, in the change log's index by record (as text: the
view's `WHERE row_id = ...` must find it) and in the search index's content (the
search's hits are ids, read without a join) and `search_doc` (the record's docid: FTS5
indexes no UNINDEXED column, and a record's document is replaced by its id); the text of
a record's search document is in FTS5's content table beside the record (the index keeps
no positions, so each word longer than a trigram is checked again against that text).

The search index (`search_fts`, FTS5 with the trigram tokenizer) keeps no positions
(`detail=none`: 7.4 MB of 13.5 for 20,000 contacts were positions) and no column sizes
(`columnsize=0`: no ranking reads them). It then answers which documents hold every
trigram of the words; `search_sql.match_conditions` checks each longer word again as a
substring of the stored body, so the same records are found as before.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The pieces of `change_keys.VALUE_PIECES`, written out here: the stored values depend on
# this very list, whatever the module says later.
VALUE_PIECES = (
    '"created_at":"20',
    '"contact_id":"',
    '"company_id":"',
    '"position":',
    '"label":"',
    '"first_name":"',
    '"last_name":"',
    '"cadence_days":',
    '"email":"',
    '"number":"',
    '"tag_id":"',
    '"target_id":"',
    '"target_kind":"',
    '"name":"',
    '"notes":"',
    '"title":"',
    '"owner_id":"',
    '"deal_id":"',
    '"stage_id":"',
    '"status":"',
)

# `change_keys.ENTITY_PIECES`, written out here for the same reason.
ENTITY_PIECES: dict[str, tuple[int, ...]] = {
    "users": (1, 9, 14),
    "companies": (1, 9, 14, 15, 17),
    "contacts": (1, 3, 6, 7, 8, 9, 15, 16, 17),
    "contact_emails": (1, 2, 4, 5, 9),
    "contact_phones": (1, 2, 4, 5, 10),
    "contact_addresses": (1, 2, 4, 5),
    "contact_roles": (1, 2, 3, 4, 16),
    "tags": (1, 14),
    "taggings": (1, 11, 12, 13),
    "custom_fields": (1, 4, 13, 14),
    "custom_values": (1, 12),
    "pipelines": (1, 4, 14),
    "stages": (1, 4, 14),
    "reasons": (1, 4, 5),
    "products": (1, 14),
    "campaigns": (1, 14, 20),
    "deals": (1, 2, 3, 4, 16, 17, 19, 20),
    "deal_items": (1, 4, 18),
    "deal_stage_history": (1, 18),
    "activities": (1, 2, 3, 15, 17, 18),
    "orders": (1, 2, 3, 10, 18),
    "consents": (1, 2, 20),
    "segments": (1, 14),
    "campaign_members": (1, 2, 20),
    "forecast_snapshots": (1,),
    "forecast_snapshot_lines": (1, 17, 18, 19),
    "settings": (1,),
}

_FTS_COLUMNS = "entity UNINDEXED, row_id UNINDEXED, title UNINDEXED, live UNINDEXED, body"
_FTS_BEFORE = f"fts5({_FTS_COLUMNS}, tokenize='trigram')"
_FTS_NOW = f"fts5({_FTS_COLUMNS}, tokenize='trigram', detail=none, columnsize=0)"


def row_id_text(column: str) -> str:
    """SQL: the row id as text from its stored form (16 bytes, or text as given). (Each
    part's bytes in hex, not the parts of the whole in hex: a fifth less time a row.)"""
    parts = ", ".join(
        f"hex(substr({column}, {start}, {length}))"
        for start, length in ((1, 4), (5, 2), (7, 2), (9, 2), (11, 6))
    )
    return (
        f"CASE WHEN typeof({column}) = 'blob' THEN lower(printf('%s-%s-%s-%s-%s', {parts})) "
        f"ELSE {column} END"
    )


def _pieces_back(text: str, numbers: Iterable[int]) -> str:
    for code in numbers:
        text = f"replace({text}, char({code}), '{VALUE_PIECES[code - 1]}')"
    return text


def value_text(
    column: str, ref1: str = "NULL", ref2: str = "NULL", entity: str | None = None
) -> str:
    """SQL: the value as text from its stored form (shortened JSON as a BLOB with the ids
    taken out of it, or as given). Each piece and id stands for itself alone, so the
    order in which they are put back does not matter, and putting back a piece that is
    not there changes nothing. Given the entity's code column, only the pieces of the
    entity are put back (`ENTITY_PIECES`; an entity not listed gets all of them): 20
    pieces and 2 ids are about as deep as SQLite parses nested calls in a view (24 and 2
    overflow its parser's stack)."""
    text = f"CAST({column} AS TEXT)"
    every = range(1, len(VALUE_PIECES) + 1)
    if entity is None:
        decoded = _pieces_back(text, every)
    else:
        codes = {name: code for code, name in enumerate(_migration_0011().ENTITY_CODES, 1)}
        branches: dict[tuple[int, ...], list[int]] = {}
        for name, numbers in ENTITY_PIECES.items():
            branches.setdefault(numbers, []).append(codes[name])
        decoded = "CASE" + "".join(
            f" WHEN {entity} IN ({', '.join(map(str, entities))}) "
            f"THEN {_pieces_back(text, numbers)}"
            for numbers, entities in branches.items()
        )
        decoded += f" ELSE {_pieces_back(text, every)} END"
    for code, ref in enumerate((ref1, ref2), start=len(VALUE_PIECES) + 1):
        decoded = f"replace({decoded}, char({code}), coalesce({row_id_text(ref)}, ''))"
    return f"CASE WHEN typeof({column}) = 'blob' THEN {decoded} ELSE {column} END"


def _migration_0011() -> ModuleType:
    path = Path(__file__).with_name("0011_compact_change_log.py")
    spec = importlib.util.spec_from_file_location("migration_0011", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _view() -> str:
    select: str = _migration_0011()._SELECT
    value = value_text("c.value", "c.ref1", "c.ref2", "c.entity")
    select = select.replace("c.row_id AS row_id", f"{row_id_text('c.row_id')} AS row_id")
    select = select.replace("c.value AS value", f"{value} AS value")
    return "CREATE VIEW change AS" + select


def _triggers() -> list[str]:
    """0011's triggers; an update keeps the stored form of a row id or value it leaves as
    it was (the view gives the decoded text as NEW's)."""
    triggers: list[str] = _migration_0011()._triggers()
    same = "NEW.value IS OLD.value"
    keep = {
        "row_id = NEW.row_id": "row_id = CASE WHEN NEW.row_id IS OLD.row_id THEN row_id "
        "ELSE NEW.row_id END",
        "value = NEW.value": f"value = CASE WHEN {same} THEN value ELSE NEW.value END, "
        f"ref1 = CASE WHEN {same} THEN ref1 END, ref2 = CASE WHEN {same} THEN ref2 END",
    }
    for before, after in keep.items():
        assert sum(before in t for t in triggers) == 1
        triggers = [t.replace(before, after) for t in triggers]
    return triggers


def _drop_view() -> None:
    op.execute("DROP VIEW change")  # and its triggers


def _remake_search(fts: str) -> None:
    """search_fts made anew with these options, its documents (and docids) kept."""
    op.execute(
        "CREATE TABLE search_fts_kept AS "
        "SELECT rowid AS docid, entity, row_id, title, live, body FROM search_fts"
    )
    op.execute("DROP TABLE search_fts")
    op.execute(f"CREATE VIRTUAL TABLE search_fts USING {fts}")
    op.execute(
        "INSERT INTO search_fts (rowid, entity, row_id, title, live, body) "
        "SELECT docid, entity, row_id, title, live, body FROM search_fts_kept ORDER BY docid"
    )
    op.execute("DROP TABLE search_fts_kept")


_COLUMNS = (
    "device INTEGER NOT NULL, seq INTEGER NOT NULL, hlc NOT NULL, entity INTEGER NOT NULL, "
    "row_id TEXT NOT NULL, field TEXT NOT NULL, value TEXT, base_hlc TEXT"
)


def _rewrite_log(columns: str, select: str, source: str = "change_log") -> None:
    """change_log written anew in order with these columns from this SELECT of it (not
    updated in place, which would leave its pages partly empty): the old pages go free,
    and `database._reclaim` gives them back after the migration."""
    op.execute(f"CREATE TABLE change_log_new ({columns}, PRIMARY KEY (device, seq))")
    op.execute(f"INSERT INTO change_log_new {select} FROM {source} ORDER BY device, seq")
    op.execute("DROP TABLE change_log")
    op.execute("ALTER TABLE change_log_new RENAME TO change_log")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    raw = op.get_bind().connection.driver_connection
    assert raw is not None
    raw.create_function("crm_compact_row_id", 1, _compact_row_id, deterministic=True)
    raw.create_function("crm_compact_value", 3, _compact_value_part, deterministic=True)
    _drop_view()
    _rewrite_log(
        f"{_COLUMNS}, ref1 BLOB, ref2 BLOB",
        "SELECT device, seq, hlc, entity, crm_compact_row_id(row_id), field, "
        "crm_compact_value(e.name, value, 0), base_hlc, crm_compact_value(e.name, value, 1), "
        "crm_compact_value(e.name, value, 2)",
        "change_log AS c LEFT JOIN change_entities AS e ON e.code = c.entity",
    )
    op.execute(f"CREATE INDEX ix_change_log_row ON change_log ({row_id_text('row_id')})")
    op.execute(_view())
    for trigger in _triggers():
        op.execute(trigger)
    _remake_search(_FTS_NOW)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _compact_row_id(row_id: str) -> bytes | str:
    """`change_keys.compact_row_id`, as this migration stores it."""
    if len(row_id) == 36 and _UUID.fullmatch(row_id):
        return bytes.fromhex(row_id.replace("-", ""))
    return row_id


@lru_cache(maxsize=1)
def _compact_value(
    entity: str, value: str | None
) -> tuple[bytes | str | None, bytes | None, bytes | None]:
    """`change_keys.compact_value` with this migration's own pieces (cached: the SQL asks
    for each of its three parts in turn)."""
    if not value or value[0] != "{" or not value.isprintable():
        return value, None, None
    for code in ENTITY_PIECES.get(entity, range(1, len(VALUE_PIECES) + 1)):
        value = value.replace(VALUE_PIECES[code - 1], chr(code))
    refs: list[bytes | None] = [None, None]
    for n in range(2):
        found = _UUID.search(value)
        if found is None:
            break
        refs[n] = bytes.fromhex(found.group().replace("-", ""))
        value = value[: found.start()] + chr(len(VALUE_PIECES) + 1 + n) + value[found.end() :]
    return value.encode(), refs[0], refs[1]


def _compact_value_part(entity: str, value: str | None, part: int) -> bytes | str | None:
    return _compact_value(entity, value)[part]


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    before = _migration_0011()
    _drop_view()
    _rewrite_log(
        _COLUMNS,
        f"SELECT device, seq, hlc, entity, {row_id_text('row_id')}, field, "
        f"{value_text('value', 'ref1', 'ref2')}, base_hlc",  # every piece: none is missed
    )
    op.execute("CREATE INDEX ix_change_log_row ON change_log (row_id)")
    op.execute(before._VIEW)
    for trigger in before._triggers():
        op.execute(trigger)
    _remake_search(_FTS_BEFORE)
