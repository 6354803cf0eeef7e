"""Change capture (SYNC.md point 3): one `change` row per changed field, in the same
transaction as the data, stamped with the device's hybrid logical clock and a gap-free seq.

Rows inserted through the ORM or through `UnitOfWork.insert_rows` and attributes updated
through the ORM are captured here; nothing else writes synced tables.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, insert, inspect, select
from sqlalchemy.orm import Session

from crm_desktop.domain.hlc import HybridLogicalClock
from crm_desktop.persistence.models import Change, Entity, column_default

# Derived from the change clocks; recording it would double every edit.
UNTRACKED_FIELDS = frozenset({"id", "updated_at"})
# The `field` of a change that creates a row; its value is a JSON object of the fields.
INSERT_FIELD = "*"
_INSERT_SQL = (
    "INSERT INTO change (device_id, seq, hlc, entity, row_id, field, value, base_hlc)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def iso_utc(value: dt.datetime) -> str:
    """The wire form of a time: ISO 8601 in UTC with microseconds and a Z."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _json_default(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return iso_utc(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot record a value of type {type(value).__name__}")


def encode_value(value: Any) -> str:
    """JSON text for a column value; dates and times as ISO 8601 (UTC with Z)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


class ChangeBuffer:
    """The change rows of one unit of work, written just before it commits."""

    def __init__(self, clock: HybridLogicalClock) -> None:
        self._clock = clock
        # (hlc, entity, row_id, field, value, base_hlc); numbered when written.
        self._rows: list[tuple[str, str, str, str, str, str | None]] = []
        self.touched: set[tuple[str, str]] = set()

    def __len__(self) -> int:
        return len(self._rows)

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
        row_id = row["id"]
        values = {
            k: v for k, v in row.items() if k not in UNTRACKED_FIELDS and v is not None and v != ""
        }
        for key in stored_times:  # "YYYY-MM-DD HH:MM:SS.ffffff" as stored -> wire form
            text = values.get(key)
            if text is not None:
                values[key] = f"{text[:10]}T{text[11:]}Z"
        self._rows.append(
            (hlc or self._clock.now(), entity, row_id, INSERT_FIELD, encode_value(values), None)
        )
        self.touched.add((entity, row_id))

    def add_update(
        self, entity: str, row_id: str, fields: Mapping[str, Any], base: Mapping[str, str]
    ) -> None:
        hlc = self._clock.now()
        for field, value in fields.items():
            if field not in UNTRACKED_FIELDS:
                self._rows.append(
                    (hlc, entity, row_id, field, encode_value(value), base.get(field))
                )
        self.touched.add((entity, row_id))

    def capture_flush(self, session: Session) -> None:
        """Record what the ORM is about to write (called from `before_flush`)."""
        now = dt.datetime.now(dt.UTC)
        for obj in session.new:
            if isinstance(obj, Entity):
                self._capture_new(obj)
        for obj in session.dirty:
            if isinstance(obj, Entity) and session.is_modified(obj, include_collections=False):
                self._capture_dirty(session, obj, now)
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
        self.add_insert(obj.__tablename__, values)

    def _capture_dirty(self, session: Session, obj: Entity, now: dt.datetime) -> None:
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
        if not changed:
            return
        obj.updated_at = now
        base = field_clocks(session, obj.id, changed)
        self.add_update(obj.__tablename__, obj.id, changed, base)

    def write(self, session: Session, device_id: str) -> None:
        """Number the buffered rows after this device's last seq and insert them."""
        if not self._rows:
            return
        last = session.execute(
            select(func.coalesce(func.max(Change.seq), 0)).where(Change.device_id == device_id)
        ).scalar_one()
        numbered = [
            (device_id, last + offset, *row) for offset, row in enumerate(self._rows, start=1)
        ]
        connection = session.connection()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(_INSERT_SQL, numbered)
        else:
            keys = ("device_id", "seq", "hlc", "entity", "row_id", "field", "value", "base_hlc")
            connection.execute(
                insert(Change), [dict(zip(keys, row, strict=True)) for row in numbered]
            )
        self._rows = []


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


def last_stamp(session: Session, device_id: str) -> str | None:
    return session.execute(
        select(func.max(Change.hlc)).where(Change.device_id == device_id)
    ).scalar_one_or_none()
