"""a smaller database

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

SQLite only (a file on each person's disk, where size counts); PostgreSQL is unchanged.
For 20,000 imported contacts (tests/benchmarks/size.py) the file went from 71.1 MB (3.47
KiB a contact, the change log 35% of it) to 56.5 MB (2.76 KiB, the log 32%): row ids
-1.8 MB, values -5.1 MB, the search index -6.3 MB, the free pages the import left -1.6 MB.

The change log (`change_log`, behind the `change` view of migration 0011):

- a row id in the usual form (a lower-case UUID) is stored as its 16 bytes instead of 36
  characters (another id, such as a setting's key, as it is); the view gives it back as
  text. The index by record is on that text (the view's own expression, so that every
  `WHERE row_id = ...` through the view finds it): the text is stored there once, the
  one copy of it kept on purpose, for the look-ups by record of the timeline, the field
  clocks and an apply;
- an object's JSON (the value of a new row, every field at once) is stored with its usual
  pieces, such as `"created_at":"20`, as one control character each, as a BLOB (which is
  how the view tells it from a value stored as given); JSON text never holds a raw
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

_FTS_COLUMNS = "entity UNINDEXED, row_id UNINDEXED, title UNINDEXED, live UNINDEXED, body"
_FTS_BEFORE = f"fts5({_FTS_COLUMNS}, tokenize='trigram')"
_FTS_NOW = f"fts5({_FTS_COLUMNS}, tokenize='trigram', detail=none, columnsize=0)"


def row_id_text(column: str) -> str:
    """SQL: the row id as text from its stored form (16 bytes, or text as given)."""
    h = f"hex({column})"
    return (
        f"CASE WHEN typeof({column}) = 'blob' THEN lower(substr({h}, 1, 8) || '-' || "
        f"substr({h}, 9, 4) || '-' || substr({h}, 13, 4) || '-' || substr({h}, 17, 4) || "
        f"'-' || substr({h}, 21)) ELSE {column} END"
    )


def value_text(column: str) -> str:
    """SQL: the value as text from its stored form (shortened JSON as a BLOB, or as given).
    The pieces are put back in the reverse order of their shortening."""
    decoded = f"CAST({column} AS TEXT)"
    for code, piece in reversed(list(enumerate(VALUE_PIECES, start=1))):
        decoded = f"replace({decoded}, char({code}), '{piece}')"
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
    select = select.replace("c.row_id AS row_id", f"{row_id_text('c.row_id')} AS row_id")
    select = select.replace("c.value AS value", f"{value_text('c.value')} AS value")
    return "CREATE VIEW change AS" + select


def _triggers() -> list[str]:
    """0011's triggers; an update keeps the stored form of a row id or value it leaves as
    it was (the view gives the decoded text as NEW's)."""
    triggers: list[str] = _migration_0011()._triggers()
    keep = {
        "row_id = NEW.row_id": "row_id = CASE WHEN NEW.row_id IS OLD.row_id THEN row_id "
        "ELSE NEW.row_id END",
        "value = NEW.value": "value = CASE WHEN NEW.value IS OLD.value THEN value "
        "ELSE NEW.value END",
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


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    from crm_desktop.persistence.change_keys import compact_row_id

    raw = op.get_bind().connection.driver_connection
    assert raw is not None
    raw.create_function("crm_compact_row_id", 1, compact_row_id, deterministic=True)
    raw.create_function("crm_compact_value", 1, _compact_value, deterministic=True)
    _drop_view()
    # Written anew in order (not updated in place, which would leave every page of the
    # log a third empty): the old pages go free, and `database._reclaim` gives them back.
    op.execute(
        "CREATE TABLE change_log_new (device INTEGER NOT NULL, seq INTEGER NOT NULL, "
        "hlc NOT NULL, entity INTEGER NOT NULL, row_id TEXT NOT NULL, field TEXT NOT NULL, "
        "value TEXT, base_hlc TEXT, PRIMARY KEY (device, seq))"
    )
    op.execute(
        "INSERT INTO change_log_new (device, seq, hlc, entity, row_id, field, value, base_hlc) "
        "SELECT device, seq, hlc, entity, crm_compact_row_id(row_id), field, "
        "crm_compact_value(value), base_hlc FROM change_log ORDER BY device, seq"
    )
    op.execute("DROP TABLE change_log")
    op.execute("ALTER TABLE change_log_new RENAME TO change_log")
    op.execute(f"CREATE INDEX ix_change_log_row ON change_log ({row_id_text('row_id')})")
    op.execute(_view())
    for trigger in _triggers():
        op.execute(trigger)
    _remake_search(_FTS_NOW)


def _compact_value(value: str | None) -> bytes | str | None:
    """`change_keys.compact_value` with this migration's own list of pieces."""
    if not value or value[0] != "{" or any(ord(c) < 32 for c in value):
        return value
    for code, piece in enumerate(VALUE_PIECES, start=1):
        value = value.replace(piece, chr(code))
    return value.encode()


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    before = _migration_0011()
    _drop_view()
    op.execute("DROP INDEX ix_change_log_row")
    op.execute(
        f"UPDATE change_log SET row_id = {row_id_text('row_id')}, value = {value_text('value')}"
    )
    op.execute("CREATE INDEX ix_change_log_row ON change_log (row_id)")
    op.execute(before._VIEW)
    for trigger in before._triggers():
        op.execute(trigger)
    _remake_search(_FTS_BEFORE)
