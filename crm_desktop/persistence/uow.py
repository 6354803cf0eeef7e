"""Unit of work: one transaction, its repositories, and its change capture.

    with uow_factory() as uow:          # a writer: BEGIN IMMEDIATE on SQLite
        uow.contacts.add(...)
        uow.commit()                     # change rows + search index + data, atomically
    with uow_factory.read() as uow:      # a reader: never blocks the writer

Leaving the block without `commit()` rolls everything back, change rows included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, Table, event, insert, select
from sqlalchemy.orm import Session

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.hlc import HybridLogicalClock
from crm_desktop.persistence.changes import ChangeBuffer, last_stamp
from crm_desktop.persistence.engine import CACHE_SIZE, WRITE_OPTION, is_sqlite
from crm_desktop.persistence.models import (
    ContactRole,
    Deal,
    Entity,
    UtcDateTime,
    column_default,
    utcnow,
)
from crm_desktop.persistence.repositories import (
    ActivityRepository,
    CompanyRepository,
    ContactRepository,
    DealRepository,
    Repository,
    TagRepository,
    TimelineRepository,
    UserRepository,
)
from crm_desktop.persistence.search import SearchIndex

# Which searchable record a changed row belongs to: entity -> (searchable entity, id field).
_SEARCH_OWNER = {
    "contacts": ("contacts", "id"),
    "contact_emails": ("contacts", "contact_id"),
    "contact_phones": ("contacts", "contact_id"),
    "contact_roles": ("contacts", "contact_id"),
    "companies": ("companies", "id"),
    "deals": ("deals", "id"),
}


M = TypeVar("M", bound=Entity)
_BULK_CACHE = -262_144  # KiB: 256 MiB while a bulk insert runs


def _utc_text(value: dt.datetime | None) -> str | None:
    """What `UtcDateTime` stores in SQLite, without Core's per-value overhead."""
    if value is None:
        return None
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


class ReadOnlyError(RuntimeError):
    pass


class UnitOfWork:
    def __init__(
        self, engine: Engine, device_id: str, clock: HybridLogicalClock, write: bool
    ) -> None:
        self._engine = engine
        self._device_id = device_id
        self._clock = clock
        self._write = write
        self._committed = False
        self._bulk = False
        self.changes = ChangeSet()

    # ---- context --------------------------------------------------------------------------

    def __enter__(self) -> UnitOfWork:
        bind = (
            self._engine.execution_options(**{WRITE_OPTION: True}) if self._write else self._engine
        )
        self.session = Session(bind=bind, autoflush=True, expire_on_commit=False)
        self._buffer = ChangeBuffer(self._clock)
        self._reindex: dict[str, set[str]] = {}
        event.listen(self.session, "before_flush", self._before_flush)
        self.contacts = ContactRepository(self.session)
        self.companies = CompanyRepository(self.session)
        self.users = UserRepository(self.session)
        self.tags = TagRepository(self.session)
        self.deals = DealRepository(self.session)
        self.activities = ActivityRepository(self.session)
        self.timeline = TimelineRepository(self.session)
        self.search = SearchIndex(self.session) if is_sqlite(self._engine) else None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.session.rollback()
        if self._bulk:
            self.session.connection().exec_driver_sql(f"PRAGMA cache_size={CACHE_SIZE}")
            self.session.commit()
        self.session.close()

    @property
    def device_id(self) -> str:
        return self._device_id

    def repository(self, model: type[M]) -> Repository[M]:
        """A plain repository for a model without a specific one."""
        return Repository(self.session, model)

    # ---- writes ---------------------------------------------------------------------------

    def _before_flush(self, session: Session, _ctx: Any, _instances: Any) -> None:
        if not self._write and (session.new or session.dirty):
            raise ReadOnlyError("a read-only unit of work tried to write")
        self._buffer.capture_flush(session)
        for obj in (*session.new, *session.dirty):
            if isinstance(obj, Entity):
                self._note_search(
                    obj.__tablename__,
                    {"id": obj.id, "contact_id": getattr(obj, "contact_id", None)},
                )

    def _note_search(self, entity: str, row: Mapping[str, Any]) -> None:
        owner = _SEARCH_OWNER.get(entity)
        if owner and row.get(owner[1]):
            self._reindex.setdefault(owner[0], set()).add(row[owner[1]])

    def insert_rows(self, model: type[Entity], rows: Iterable[dict[str, Any]]) -> int:
        """Bulk insert through Core (fast path for demo data and imports), captured like
        any other insert. Missing columns get their defaults."""
        if not self._write:
            raise ReadOnlyError("a read-only unit of work tried to write")
        table = cast(Table, model.__table__)
        defaults = [c for c in table.columns if c.default is not None]
        now = utcnow()
        stamp = self._clock.now()  # one stamp for the batch: rows differ, so no field ties
        complete: list[dict[str, Any]] = []
        for row in rows:
            for column in defaults:
                if column.key not in row:
                    row[column.key] = column_default(column)
            row["updated_at"] = row.get("created_at") or now
            self._buffer.add_insert(table.name, row, stamp)
            self._note_search(table.name, row)
            complete.append(row)
        if complete:
            if is_sqlite(self._engine) and not self._bulk:
                # Bulk writes touch indexes all over a large file: give this connection
                # a bigger page cache for the rest of the unit of work.
                self._bulk = True
                self.session.connection().exec_driver_sql(f"PRAGMA cache_size={_BULK_CACHE}")
            if is_sqlite(self._engine):
                self._executemany(table, complete)
            else:
                self.session.execute(insert(table), complete)
        return len(complete)

    def _executemany(self, table: Any, rows: list[dict[str, Any]]) -> None:
        # Core's per-row parameter handling costs more than SQLite's insert itself; apply
        # the columns' own bind processors and hand tuples to the driver.
        dialect = self._engine.dialect
        columns = list(table.columns)
        processors = [
            _utc_text
            if isinstance(c.type, UtcDateTime)
            else c.type.dialect_impl(dialect).bind_processor(dialect)
            for c in columns
        ]
        keys = [c.key for c in columns]
        pairs = list(zip(keys, processors, strict=True))
        params = [tuple(p(row.get(k)) if p else row.get(k) for k, p in pairs) for row in rows]
        names = ", ".join(f'"{c.name}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        self.session.connection().exec_driver_sql(
            f"INSERT INTO {table.name} ({names}) VALUES ({marks})", params
        )

    def commit(self) -> ChangeSet:
        """Flush, capture, index and commit; returns what changed."""
        self.session.flush()
        if self.search is not None and self._reindex:
            self._expand_company_renames()
            for entity, ids in self._reindex.items():
                self.search.reindex(entity, ids)
        self._buffer.write(self.session, self._device_id)
        self.session.commit()
        self._committed = True
        self.changes = ChangeSet.from_pairs(self._buffer.touched)
        return self.changes

    def _expand_company_renames(self) -> None:
        companies = self._reindex.get("companies")
        if not companies:
            return
        people = self.session.scalars(
            select(ContactRole.contact_id).where(ContactRole.company_id.in_(companies))
        )
        deals = self.session.scalars(select(Deal.id).where(Deal.company_id.in_(companies)))
        self._reindex.setdefault("contacts", set()).update(people)
        self._reindex.setdefault("deals", set()).update(deals)


class UnitOfWorkFactory:
    """Makes units of work for one database and one device; shared by every thread."""

    def __init__(self, engine: Engine, device_id: str) -> None:
        self.engine = engine
        self.device_id = device_id
        with Session(engine) as session:
            last = last_stamp(session, device_id)
        self.clock = HybridLogicalClock(device_id, last)

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.device_id, self.clock, write=True)

    def read(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.device_id, self.clock, write=False)
