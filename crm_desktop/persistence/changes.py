"""Change capture (SYNC.md point 3): one `change` row per changed field, in the same
transaction as the data, stamped with the device's hybrid logical clock and a gap-free seq.

Rows inserted through the ORM or through `UnitOfWork.insert_rows` and attributes updated
through the ORM are captured here; nothing else writes synced tables.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import func, inspect, select, update
from sqlalchemy.orm import Session

from crm_desktop.domain.changes import ChangeRow
from crm_desktop.domain.hlc import HybridLogicalClock
from crm_desktop.persistence.change_keys import (
    CompactKeys,
    compact_object,
    compact_row_id,
    compact_value,
    pieces_of,
)
from crm_desktop.persistence.dialect import copy_rows, lock_change_seqs, marks
from crm_desktop.persistence.models import Change, Entity, column_default
from crm_desktop.persistence.wire import (
    INSERT_FIELD,
    UNTRACKED_FIELDS,
    entity_name,
    untracked,
)

__all__ = [
    "INSERT_FIELD",
    "UNTRACKED_FIELDS",
    "ChangeBuffer",
    "ChangeLogRepository",
    "encode_value",
    "iso_utc",
]


def iso_utc(value: dt.datetime) -> str:
    """The wire form of a time: ISO 8601 in UTC with microseconds and a Z."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@lru_cache(maxsize=4096)
def stored_time_to_wire(text: str) -> str:
    """The wire form of a UTC time given as stored text by the bulk path (parsed as a
    time, not cut up; a batch shares few distinct times, hence the cache)."""
    return iso_utc(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC))


# A bulk insert's rows share a few times (made at one moment): each is written once.
_cached_iso_utc = lru_cache(maxsize=4096)(iso_utc)


def _json_default(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return _cached_iso_utc(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot record a value of type {type(value).__name__}")


def _make_encoder() -> Callable[[Any], str]:
    # One encoder for every value: `json.dumps` with options builds a new one per call,
    # which costs as much as the encoding itself for the small objects recorded here.
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_default)
    make = getattr(json.encoder, "c_make_encoder", None)
    escape = getattr(json.encoder, "c_encode_basestring", None)
    if make is None or escape is None:  # no C accelerator: the same text, more slowly
        return encoder.encode
    c_encode = make(None, _json_default, escape, None, ":", ",", False, False, True)

    def encode(value: Any) -> str:
        if isinstance(value, str):
            return escape(value)  # type: ignore[no-any-return]
        return "".join(c_encode(value, 0))

    return encode


encode_value: Callable[[Any], str] = _make_encoder()
encode_value.__doc__ = "JSON text for a column value; dates and times as ISO 8601 (UTC with Z)."


class ChangeBuffer:
    """The change rows of one unit of work, written just before it commits."""

    def __init__(self, clock: HybridLogicalClock) -> None:
        self._clock = clock
        # (number, hlc, entity, row_id, field, value, base_hlc): `number` counts from 1 in
        # this unit of work; the seq is that number after the device's last seq.
        # The value of a new row's change is its object (a dict), encoded by `write`.
        self._rows: list[tuple[int, str, str, str, str, Any, str | None]] = []
        self._written = 0  # rows written already (the bulk path writes as it goes)
        self._last: int | None = None  # the device's last seq before this unit of work
        self._keys: CompactKeys | None = None  # SQLite: the compact log's keys and codes
        self.touched: dict[str, set[str]] = {}  # entity -> ids of the rows changed

    def __len__(self) -> int:
        return self._written + len(self._rows)

    @property
    def seqs(self) -> tuple[tuple[int, int], ...]:
        """The inclusive seq range of the change rows written so far (none: empty)."""
        if self._last is None or not self._written:
            return ()
        return ((self._last + 1, self._last + self._written),)

    def add_insert(
        self,
        entity: str,
        row: Mapping[str, Any],
        hlc: str | None = None,
        stored_times: Iterable[str] = (),
    ) -> None:
        """A new row: one change whose field is `*` and whose value is the object of every
        field that carries a value (a field left out is empty or null). Same meaning as a
        change per field at one stamp, at a tenth of the rows for a bulk import."""
        self.add_inserts(entity, (row,), hlc or self._clock.now(), tuple(stored_times))

    def add_inserts(
        self,
        entity: str,
        rows: Sequence[Mapping[str, Any]],
        hlc: str,
        stored_times: Sequence[str] = (),
    ) -> None:
        """`add_insert` for many rows at one stamp (the bulk path)."""
        skip = untracked(entity)
        times = tuple(k for k in stored_times if k not in skip)
        buffered = self._rows
        append = buffered.append
        number = len(self)
        ids = self.touched.setdefault(entity, set())
        for row in rows:
            values = {k: v for k, v in row.items() if v is not None and v != "" and k not in skip}
            for key in times:  # the stored text of a UTC time -> its wire form
                text = values.get(key)
                if text is not None:
                    values[key] = stored_time_to_wire(text)
            number += 1
            row_id = row["id"]
            # The object itself: `write` encodes it as the database stores it.
            append((number, hlc, entity, row_id, INSERT_FIELD, values, None))
            ids.add(row_id)

    def add_update(
        self, entity: str, row_id: str, fields: Mapping[str, Any], base: Mapping[str, str]
    ) -> None:
        hlc = self._clock.now()
        skip = untracked(entity)
        for field, value in fields.items():
            if field not in skip:
                self._rows.append(
                    (
                        len(self) + 1,
                        hlc,
                        entity,
                        row_id,
                        field,
                        encode_value(value),
                        base.get(field),
                    )
                )
        self.touched.setdefault(entity, set()).add(row_id)

    def add_updates(
        self,
        entity: str,
        rows: Sequence[tuple[str, Mapping[str, Any]]],
        bases: Mapping[str, Mapping[str, str]],
    ) -> None:
        """`add_update` for the rows of one set-based UPDATE: one stamp for them all (as
        for a bulk insert: the rows differ, so no field ties), and a value they share (the
        stamp of a move to the Trash, an owner) encoded once."""
        if not rows:
            return
        hlc = self._clock.now()
        skip = untracked(entity)
        encoded: dict[tuple[type, Any], str] = {}
        append, number = self._rows.append, len(self)
        touched = self.touched.setdefault(entity, set())
        for row_id, fields in rows:
            base = bases.get(row_id, {})
            for field, value in fields.items():
                if field in skip:
                    continue
                key = (type(value), value)
                try:
                    text = encoded.get(key)
                except TypeError:  # a value that cannot be a key: encoded each time
                    text = encode_value(value)
                if text is None:
                    text = encoded[key] = encode_value(value)
                number += 1
                append((number, hlc, entity, row_id, field, text, base.get(field)))
            touched.add(row_id)

    def capture_flush(self, session: Session) -> None:
        """Record what the ORM is about to write (called from `before_flush`)."""
        now = dt.datetime.now(dt.UTC)
        for obj in session.new:
            if isinstance(obj, Entity):
                self._capture_new(obj)
        dirty: list[tuple[Entity, dict[str, Any]]] = []
        for obj in session.dirty:
            if isinstance(obj, Entity) and session.is_modified(obj, include_collections=False):
                skip = untracked(entity_name(type(obj)))
                changed = {k: v for k, v in self._changed_fields(obj).items() if k not in skip}
                if changed:
                    obj.updated_at = now
                    dirty.append((obj, changed))
        if dirty:
            # The clocks of every edited row in a query per few thousand rows, not one
            # each: a bulk edit (an import undone, a bulk delete) changes thousands.
            clocks = field_clocks_many(session, [(obj.id, changed) for obj, changed in dirty])
            for obj, changed in dirty:
                self.add_update(entity_name(type(obj)), obj.id, changed, clocks[obj.id])
        for obj in session.deleted:
            if isinstance(obj, Entity):
                raise RuntimeError("synced rows are soft-deleted; set deleted_at instead")

    def _capture_new(self, obj: Entity) -> None:
        # Fill the column defaults now (SQLAlchemy would at INSERT) so they are recorded.
        values: dict[str, Any] = {}
        for column in obj.__table__.columns:
            value = getattr(obj, column.key)
            if value is None and column.default is not None:
                value = column_default(column)
                setattr(obj, column.key, value)
            values[column.key] = value
        self.add_insert(entity_name(type(obj)), values)

    @staticmethod
    def _changed_fields(obj: Entity) -> dict[str, Any]:
        state = inspect(obj)
        changed: dict[str, Any] = {}
        for attr in state.mapper.column_attrs:
            history = state.attrs[attr.key].history
            if history.has_changes() and history.added:
                old = history.deleted[0] if history.deleted else None
                new = history.added[0]
                if old != new:
                    changed[attr.key] = new
        changed.pop("updated_at", None)
        return changed

    def write(
        self,
        session: Session,
        device_id: str,
        submit: Callable[[str, list[Any]], None] | None = None,
    ) -> None:
        """Number the buffered rows after this device's last seq and insert them (through
        `submit` when the unit of work runs its bulk INSERTs in a thread). May be called
        more than once per unit of work: the numbers go on where the last call stopped."""
        if not self._rows:
            return
        if self._last is None:
            # Read once per unit of work: it holds the write lock, and only this buffer
            # writes the device's change rows meanwhile.
            lock_change_seqs(session.connection(), device_id)
            self._last = session.execute(
                select(func.coalesce(func.max(Change.seq), 0)).where(Change.device_id == device_id)
            ).scalar_one()
        last = self._last
        rows, self._rows = self._rows, []
        self._written += len(rows)
        connection = session.connection()
        if connection.dialect.name == "sqlite":
            # Straight into the compact table (migration 0011), not through the view's
            # trigger: the device's key and the entity codes are looked up once, the
            # stamps packed once each (a batch shares one), the seq base added by SQLite.
            if self._keys is None:
                self._keys = CompactKeys.read(connection)
            keys = self._keys
            codes = keys.codes(connection, {row[2] for row in rows})
            pack = keys.packer(device_id)
            packed = [
                (n, pack(h), codes[e], compact_row_id(r), f,
                 *(compact_object(v, e, encode_value) if type(v) is dict
                   else compact_value(v, pieces_of(e))), b)
                for n, h, e, r, f, v, b in rows
            ]  # fmt: skip
            sql = (
                "INSERT INTO change_log (device, seq, hlc, entity, row_id, field, value, "
                f"ref1, ref2, base_hlc) VALUES ({keys.device(connection, device_id)}, "
                f"? + {int(last)}, ?, ?, ?, ?, ?, ?, ?, ?)"
            )
            if submit is not None:
                submit(sql, packed)
            else:
                connection.exec_driver_sql(sql, packed)
        else:
            columns = ("device_id", "seq", "hlc", "entity", "row_id", "field", "value", "base_hlc")
            copy_rows(
                connection,
                "change",
                columns,
                (
                    (device_id, last + n, h, e, r, f, encode_value(v) if type(v) is dict else v, b)
                    for n, h, e, r, f, v, b in rows
                ),
            )


def field_clocks(session: Session, row_id: str, fields: Iterable[str]) -> dict[str, str]:
    """The latest clock stamp of each field of a row: the `base_hlc` of an edit."""
    wanted = list(fields)
    rows = dict(
        session.execute(
            select(Change.field, func.max(Change.hlc))
            .where(Change.row_id == row_id, Change.field.in_([*wanted, INSERT_FIELD]))
            .group_by(Change.field)
        ).all()
    )
    created = rows.get(INSERT_FIELD)
    clocks = {
        f: max(h for h in (rows.get(f), created) if h) for f in wanted if rows.get(f) or created
    }
    return clocks


def restamp_edits(
    session: Session, entity: str, field: str, moments: Mapping[str, Sequence[dt.datetime]]
) -> int:
    """Give the recorded edits of one field of these rows the wall times of `moments`
    (per row, in the order the edits were made), keeping each stamp's counter and device:
    for demo data, whose history is made up in one go but stands for months of work.
    Returns the edits restamped."""
    done = 0
    for row_id, times in moments.items():
        edits = session.execute(
            select(Change.device_id, Change.seq, Change.hlc)
            .where(Change.entity == entity, Change.row_id == row_id, Change.field == field)
            .order_by(Change.hlc, Change.seq)
        ).all()
        for (device, seq, hlc), moment in zip(edits, times, strict=False):
            millis = int(moment.timestamp() * 1000)
            session.execute(
                update(Change)
                .where(Change.device_id == device, Change.seq == seq)
                .values(hlc=f"{millis:013x}{hlc[13:]}")
            )
            done += 1
    return done


def field_clocks_many(
    session: Session, rows: Sequence[tuple[str, Iterable[str]]], chunk: int = 2_000
) -> dict[str, dict[str, str]]:
    """`field_clocks` of many rows: row id -> field -> latest clock stamp."""
    wanted = {row_id: list(fields) for row_id, fields in rows}
    names = sorted({f for fields in wanted.values() for f in fields} | {INSERT_FIELD})
    found: dict[str, dict[str, str]] = {}
    ids = list(wanted)
    connection = session.connection()
    dialect = connection.dialect.name
    # Raw driver SQL: SQLAlchemy's expansion of IN lists costs more than the query when
    # an import of 20,000 records is undone.
    sql = (
        "SELECT row_id, field, max(hlc) FROM change WHERE row_id IN ({ids}) "
        f"AND field IN ({marks(dialect, len(names))}) GROUP BY row_id, field"
    )
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        result = connection.exec_driver_sql(
            sql.format(ids=marks(dialect, len(part))), (*part, *names)
        )
        for row_id, field, hlc in result.cursor.fetchall():
            found.setdefault(row_id, {})[field] = hlc
        result.close()
    clocks: dict[str, dict[str, str]] = {}
    for row_id, fields in wanted.items():
        known = found.get(row_id, {})
        created = known.get(INSERT_FIELD)
        clocks[row_id] = {
            f: max(h for h in (known.get(f), created) if h)
            for f in fields
            if known.get(f) or created
        }
    return clocks


def last_stamp(session: Session, device_id: str) -> str | None:
    """This device's latest clock stamp, from the tail of its change log (the primary key
    walks it backwards; a scan of every change would cost 0.2 s at 100,000 contacts)."""
    tail = (
        select(Change.hlc)
        .where(Change.device_id == device_id)
        .order_by(Change.seq.desc())
        .limit(1000)
        .subquery()
    )
    return session.execute(select(func.max(tail.c.hlc))).scalar_one_or_none()


def last_seqs(session: Session) -> dict[str, int]:
    """The highest seq held per device. On SQLite one look-up per device in the compact
    log's primary key (grouping the `change` view would decode every row)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT d.id, (SELECT max(seq) FROM change_log WHERE device = d.key) "
            "FROM change_devices AS d"
        )
        return {str(device): int(seq) for device, seq in rows if seq is not None}
    stmt = select(Change.device_id, func.max(Change.seq)).group_by(Change.device_id)
    return {device: int(seq) for device, seq in session.execute(stmt)}


def count_above(session: Session, device_id: str, seq: int) -> int:
    """How many rows of a device with a seq above `seq` this database holds (on SQLite
    counted in the compact log's primary key, not through the view)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return int(
            connection.exec_driver_sql(
                "SELECT count(*) FROM change_log WHERE seq > ? AND device = "
                "(SELECT key FROM change_devices WHERE id = ?)",
                (seq, device_id),
            ).scalar_one()
        )
    stmt = select(func.count()).where(Change.device_id == device_id, Change.seq > seq)
    return int(session.execute(stmt).scalar_one())


class ChangeLogRepository:
    """Reads of the change log as the wire carries it."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def last_seqs(self) -> dict[str, int]:
        """The highest seq held per device."""
        return last_seqs(self.session)

    def rows(self, after: Mapping[str, int], limit: int | None = None) -> list[ChangeRow]:
        """Rows of every device after the seq `after` names for it (all of a device it
        does not name), by device and seq."""
        found: list[ChangeRow] = []
        for device in sorted(self.last_seqs()):
            stmt = (
                select(
                    Change.device_id, Change.seq, Change.hlc, Change.entity, Change.row_id,
                    Change.field, Change.value, Change.base_hlc,
                )
                .where(Change.device_id == device, Change.seq > after.get(device, 0))
                .order_by(Change.seq)
            )  # fmt: skip
            if limit is not None:
                stmt = stmt.limit(limit - len(found))
            found.extend(ChangeRow(*row) for row in self.session.execute(stmt))
            if limit is not None and len(found) >= limit:
                break
        return found
