"""a compact change log

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-06

The index of the change log by record held the row id, the field and the whole clock
stamp of every change (a third of the log's bytes): every query through it names the
record's id first (a field's clock, a record's history, the rows an apply touches) and
then reads the few changes of that record, so an index of the row id alone serves them.

On SQLite (a file on each person's disk, where size counts: 20,000 imported contacts made
a 90 MB file, half of it the change log) the log is also stored compactly in `change_log`:

- the device as a small key into `change_devices` instead of its 36-character id on every
  row and again in the primary key's index;
- the entity as a small code from `change_entities` instead of its name;
- the clock stamp as one integer (wall milliseconds << 16 | counter) instead of 55
  characters, whose device part is the row's device (a stamp of another form is kept as
  text).

(A WITHOUT ROWID table keyed by device and seq was measured too: 25.4 MB against 25.0 for
20,000 imported contacts; its pages fill less, more than the primary key's index saves.)

`change` becomes a view of the same columns as before, decoding them; INSTEAD OF triggers
take inserts, updates and deletes through it. The app writes its own rows and the rows it
applies straight into `change_log` (persistence/change_keys.py); every reader keeps reading `change`. The sync wire
is unchanged. PostgreSQL keeps its table (a server's size is not the point there).
"""

from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

# The entity codes: fixed, as the wire names are (a name not listed gets a code from 1000
# on, by the insert trigger).
ENTITY_CODES = (
    "users companies contacts contact_emails contact_phones contact_addresses contact_roles "
    "tags taggings custom_fields custom_values pipelines stages reasons products campaigns "
    "deals deal_items deal_stage_history activities orders consents segments "
    "campaign_members forecast_snapshots forecast_snapshot_lines settings"
).split()
_HEX = "[0-9a-f]"
# A stamp packed as an integer: "00" and 11 hex digits of milliseconds (below 2**44, so
# that shifted by 16 bits it fits in 64), 4 of the counter, then the row's own device.
_PACKABLE = f"'00{_HEX * 11}-{_HEX * 4}-*'"


def _pack(stamp: str, device: str) -> str:
    """SQL: the stamp as an integer when it has the packable form, else the stamp."""
    digits = [f"(instr('0123456789abcdef', substr({stamp}, {i + 1}, 1)) - 1)" for i in range(13)]
    counter = [f"(instr('0123456789abcdef', substr({stamp}, {i + 15}, 1)) - 1)" for i in range(4)]
    value = " + ".join(
        [f"({d} << {4 * (12 - i) + 16})" for i, d in enumerate(digits)]
        + [f"({d} << {4 * (3 - i)})" for i, d in enumerate(counter)]
    )
    return (
        f"CASE WHEN {stamp} GLOB {_PACKABLE} AND substr({stamp}, 20) = {device} "
        f"THEN {value} ELSE {stamp} END"
    )


def _key(device: str) -> str:
    return f"(SELECT key FROM change_devices WHERE id = {device})"


def _code(entity: str) -> str:
    return f"(SELECT code FROM change_entities WHERE name = {entity})"


_SELECT = """
SELECT d.id AS device_id, c.seq AS seq,
       CASE WHEN typeof(c.hlc) = 'integer'
            THEN printf('%013x-%04x-', c.hlc >> 16, c.hlc & 65535) || d.id
            ELSE c.hlc END AS hlc,
       e.name AS entity, c.row_id AS row_id, c.field AS field, c.value AS value,
       c.base_hlc AS base_hlc
FROM change_log AS c
JOIN change_devices AS d ON d.key = c.device
JOIN change_entities AS e ON e.code = c.entity
"""
_VIEW = "CREATE VIEW change AS" + _SELECT

_NEW_NAMES = """
INSERT OR IGNORE INTO change_devices (id) VALUES (NEW.device_id);
INSERT INTO change_entities (code, name)
  SELECT max(1000, (SELECT coalesce(max(code), 0) + 1 FROM change_entities)), NEW.entity
  WHERE NOT EXISTS (SELECT 1 FROM change_entities WHERE name = NEW.entity);
"""


def _triggers() -> list[str]:
    where = f"device = {_key('OLD.device_id')} AND seq = OLD.seq"
    return [
        "CREATE TRIGGER change_insert INSTEAD OF INSERT ON change BEGIN"
        + _NEW_NAMES
        + "INSERT INTO change_log (device, seq, hlc, entity, row_id, field, value, base_hlc) "
        f"VALUES ({_key('NEW.device_id')}, NEW.seq, {_pack('NEW.hlc', 'NEW.device_id')}, "
        f"{_code('NEW.entity')}, NEW.row_id, NEW.field, NEW.value, NEW.base_hlc); END",
        "CREATE TRIGGER change_update INSTEAD OF UPDATE ON change BEGIN"
        + _NEW_NAMES
        + f"UPDATE change_log SET hlc = {_pack('NEW.hlc', 'OLD.device_id')}, "
        f"entity = {_code('NEW.entity')}, row_id = NEW.row_id, field = NEW.field, "
        f"value = NEW.value, base_hlc = NEW.base_hlc WHERE {where}; END",
        f"CREATE TRIGGER change_delete INSTEAD OF DELETE ON change BEGIN "
        f"DELETE FROM change_log WHERE {where}; END",
    ]


def _compact_sqlite() -> None:
    op.execute("CREATE TABLE change_devices (key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)")
    op.execute(
        "CREATE TABLE change_entities (code INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"
    )
    op.execute(
        "CREATE TABLE change_log (device INTEGER NOT NULL, seq INTEGER NOT NULL, "
        "hlc NOT NULL, entity INTEGER NOT NULL, row_id TEXT NOT NULL, field TEXT NOT NULL, "
        "value TEXT, base_hlc TEXT, PRIMARY KEY (device, seq))"
    )
    for code, name in enumerate(ENTITY_CODES, start=1):
        op.execute(f"INSERT INTO change_entities (code, name) VALUES ({code}, '{name}')")
    op.execute("INSERT INTO change_devices (id) SELECT DISTINCT device_id FROM change")
    op.execute(
        "INSERT INTO change_entities (code, name) "
        "SELECT 999 + row_number() OVER (ORDER BY entity), entity FROM "
        "(SELECT DISTINCT entity FROM change WHERE entity NOT IN "
        "(SELECT name FROM change_entities))"
    )
    op.execute(
        "INSERT INTO change_log (device, seq, hlc, entity, row_id, field, value, base_hlc) "
        f"SELECT {_key('c.device_id')}, c.seq, {_pack('c.hlc', 'c.device_id')}, "
        f"{_code('c.entity')}, c.row_id, c.field, c.value, c.base_hlc "
        "FROM change AS c ORDER BY c.device_id, c.seq"
    )
    op.execute("DROP TABLE change")
    op.execute("CREATE INDEX ix_change_log_row ON change_log (row_id)")
    op.execute(_VIEW)
    for trigger in _triggers():
        op.execute(trigger)


def _expand_sqlite() -> None:
    op.execute("DROP VIEW change")
    op.execute(
        "CREATE TABLE change (device_id VARCHAR(36) NOT NULL, seq BIGINT NOT NULL, "
        "hlc VARCHAR(64) NOT NULL, entity VARCHAR(40) NOT NULL, row_id VARCHAR(36) NOT NULL, "
        "field VARCHAR(64) NOT NULL, value TEXT, base_hlc VARCHAR(64), "
        "CONSTRAINT pk_change PRIMARY KEY (device_id, seq))"
    )
    op.execute(f"INSERT INTO change SELECT * FROM ({_SELECT})")
    op.execute("DROP TABLE change_log")
    op.execute("DROP TABLE change_entities")
    op.execute("DROP TABLE change_devices")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _compact_sqlite()
        return
    op.drop_index("ix_change_row", table_name="change")
    op.create_index("ix_change_row_id", "change", ["row_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _expand_sqlite()
        op.create_index("ix_change_row", "change", ["row_id", "field", "hlc"])
        return
    op.drop_index("ix_change_row_id", table_name="change")
    op.create_index("ix_change_row", "change", ["row_id", "field", "hlc"])
