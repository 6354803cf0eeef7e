"""Unit of work: one transaction, its repositories, and its change capture.

    with uow_factory() as uow:          # a writer: BEGIN IMMEDIATE on SQLite
        uow.contacts.add(...)
        uow.commit()                     # change rows + search index + data, atomically
    with uow_factory.read() as uow:      # a reader: never blocks the writer

Leaving the block without `commit()` rolls everything back, change rows included.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, event, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from crm_desktop.domain.changes import ChangeRow, ChangeSet
from crm_desktop.domain.errors import PermissionDenied
from crm_desktop.domain.hlc import HybridLogicalClock
from crm_desktop.persistence.apply import RECEIVED_KEY, Applied, apply_changes
from crm_desktop.persistence.bulk import StatementPipe, plan_for
from crm_desktop.persistence.changes import (
    ChangeBuffer,
    ChangeLogRepository,
    field_clocks_many,
    last_stamp,
    restamp_edits,
)
from crm_desktop.persistence.derive import SOURCES, rederive_contacts, touched_contacts
from crm_desktop.persistence.dialect import BULK_WRITER, copy_rows
from crm_desktop.persistence.engine import BUSY_TIMEOUT_MS, CACHE_SIZE, WRITE_OPTION, is_sqlite
from crm_desktop.persistence.exchange_queries import ExchangeQueries
from crm_desktop.persistence.models import (
    ContactRole,
    Deal,
    Entity,
    LocalMeta,
    utcnow,
)
from crm_desktop.persistence.reporting import ReportingQueries
from crm_desktop.persistence.repositories import (
    ActivityRepository,
    CompanyRepository,
    ContactRepository,
    DealRepository,
    DuplicateRepository,
    Repository,
    SettingRepository,
    TagRepository,
    TimelineRepository,
    UserRepository,
)
from crm_desktop.persistence.repositories.campaigns import CampaignRepository
from crm_desktop.persistence.search import FreshRows, SearchIndex, describe, search_index
from crm_desktop.persistence.segment_sql import RfmCache
from crm_desktop.persistence.wire import entity_name, model_for

if TYPE_CHECKING:
    from crm_desktop.persistence.automation_queries import AutomationQueries

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


class ReadOnlyError(RuntimeError):
    pass


class Checkpointer:
    """WAL checkpoints of bulk units of work, run by a background thread on a connection of
    its own, so the next batch is built while the last one's pages are copied into the
    database file (mostly waiting for the disk). Committed data is in the WAL either way;
    a checkpoint that fails is done by the next commit's automatic one."""

    def __init__(self, database: str | None) -> None:
        self._database = database  # None: not a SQLite file; nothing to do
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self._database is not None

    def start(self) -> None:
        """Checkpoint in the background (after the previous one has finished)."""
        if self._database is None:
            return
        if self._thread is not None:
            self._thread.join()
        self._thread = threading.Thread(
            target=self._checkpoint, args=(self._database,), name="wal-checkpoint"
        )
        self._thread.start()

    def wait(self) -> None:
        """Wait for the checkpoint running in the background, if any."""
        if self._thread is not None and self._database is not None:
            self._thread.join()
            self._thread = None
            # Everything is in the database file now: give the WAL file's space back
            # (it grows while a background checkpoint keeps the writer from rewinding it).
            # Never waits: if anyone is reading or writing, the WAL stays as it is.
            self._checkpoint(self._database, "TRUNCATE", timeout=0)

    @staticmethod
    def _checkpoint(
        database: str, mode: str = "PASSIVE", timeout: float = BUSY_TIMEOUT_MS / 1000
    ) -> None:
        try:
            conn = sqlite3.connect(database, timeout=timeout)
            try:
                conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
            finally:
                conn.close()
        except sqlite3.Error:
            pass


_INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE for a refused GRANT


def _refused(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE


def _permission_denied() -> PermissionDenied:
    return PermissionDenied(
        "the server refused the change: only an admin may change pipelines, stages, "
        "reasons, custom fields, products, settings and users"
    )


class UnitOfWork:
    def __init__(
        self,
        engine: Engine,
        device_id: str,
        clock: HybridLogicalClock,
        write: bool,
        checkpointer: Checkpointer | None = None,
        rfm_cache: RfmCache | None = None,
    ) -> None:
        self._engine = engine
        self._rfm_cache = rfm_cache
        self._device_id = device_id
        self._clock = clock
        self._write = write
        self._committed = False
        self._bulk = False
        self._checkpointer = checkpointer or Checkpointer(None)
        self._autocheckpoint: int | None = None  # the setting to restore, when deferred
        self._pipe: StatementPipe | None = None  # bulk INSERTs run by a thread (bulk.py)
        self.changes = ChangeSet()

    # ---- context --------------------------------------------------------------------------

    def __enter__(self) -> UnitOfWork:
        bind = (
            self._engine.execution_options(**{WRITE_OPTION: True}) if self._write else self._engine
        )
        self.session = Session(bind=bind, autoflush=True, expire_on_commit=False)
        self._buffer = ChangeBuffer(self._clock)
        self._reindex: dict[str, set[str]] = {}
        # Searchable records only moved to the Trash or back (their text is the same,
        # only their document's flag changes).
        self._relive: dict[str, set[str]] = {}
        self._derive: set[str] = set()  # contacts whose derived columns need recomputing
        self._bulk_contacts: set[str] = set()  # bulk-inserted here with their copies given
        event.listen(self.session, "before_flush", self._before_flush)
        self.contacts = ContactRepository(self.session, self._rfm_cache)
        self.campaigns = CampaignRepository(self.session)
        self.companies = CompanyRepository(self.session)
        self.users = UserRepository(self.session)
        self.tags = TagRepository(self.session)
        self.settings = SettingRepository(self.session)
        self.deals = DealRepository(self.session)
        self.activities = ActivityRepository(self.session)
        self.timeline = TimelineRepository(self.session)
        self.changelog = ChangeLogRepository(self.session)
        self.reporting = ReportingQueries(self.session)
        self.exchange = ExchangeQueries(self.session)
        self.search: SearchIndex | None = search_index(self.session)
        self._fresh: FreshRows | None = FreshRows()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self._close_pipe()  # the writer stops before the connection is rolled back
            self.session.rollback()
        self._close_pipe()
        if self._bulk or self._autocheckpoint is not None:
            conn = self.session.connection()
            conn.exec_driver_sql(f"PRAGMA cache_size={CACHE_SIZE}")
            if self._autocheckpoint is not None:
                conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={self._autocheckpoint}")
            self.session.commit()  # nothing written: no automatic checkpoint here
        self.session.close()
        if self._autocheckpoint is not None and self._committed:
            self._checkpointer.start()
        if isinstance(exc, DBAPIError) and _refused(exc):
            raise _permission_denied() from exc

    @property
    def device_id(self) -> str:
        return self._device_id

    def checkpoint_in_background(self) -> None:
        """For bulk work in batches: this unit of work's WAL checkpoint runs in the
        background after it commits, while the caller builds its next batch. Call
        `wait_for_checkpoints` when the work is done (before timing it, too)."""
        if not self._write or not self._checkpointer.enabled or self._autocheckpoint is not None:
            return
        conn = self.session.connection()
        self._autocheckpoint = int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())
        conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")

    def wait_for_checkpoints(self) -> None:
        """Wait for the background checkpoints of this database's bulk units of work."""
        self._checkpointer.wait()

    def repository(self, model: type[M]) -> Repository[M]:
        """A plain repository for a model without a specific one."""
        return Repository(self.session, model)

    # ---- what services reach the Session through (it stays in persistence) -----------------

    def add(self, obj: M) -> M:
        """A new row, written at the next flush."""
        self.session.add(obj)
        return obj

    def flush(self) -> None:
        """Write the pending rows now (their ids and defaults are then known)."""
        self.session.flush()

    @property
    def duplicates(self) -> DuplicateRepository:
        return DuplicateRepository(self.session)

    @property
    def automation(self) -> AutomationQueries:
        from crm_desktop.persistence.automation_queries import AutomationQueries

        return AutomationQueries(self.session)

    def describe(self, entity: str, ids: Sequence[str]) -> list[tuple[str, ...]]:
        """(id, title, detail, extra) of live records, for showing search hits."""
        return describe(self.session, entity, ids)

    def revert(self, seqs: Sequence[int]) -> int:
        """Undo these change rows of this device (recorded like any edit)."""
        from crm_desktop.persistence.revert import revert

        return revert(self.session, self._device_id, seqs)

    def scrub_history(self, row_ids: Sequence[str], fields: Collection[str]) -> int:
        """Blank the old values of `fields` in the recorded changes of these rows."""
        from crm_desktop.persistence.privacy import scrub_history

        return scrub_history(self.session, row_ids, fields)

    # ---- writes ---------------------------------------------------------------------------

    def lock(self) -> None:
        """Take the write lock now (SQLite: `BEGIN IMMEDIATE` runs when the transaction
        begins). Stamps are taken only after it, so that on one device the order of seqs
        and the order of clock stamps agree: a save that waited behind an import is
        stamped after the import's rows, not before them."""
        self.session.connection()

    def _before_flush(self, session: Session, _ctx: Any, _instances: Any) -> None:
        if not self._write and (session.new or session.dirty):
            raise ReadOnlyError("a read-only unit of work tried to write")
        if session.new or session.dirty:
            self.lock()
        new = set(session.new)
        for obj in (*session.new, *session.dirty):
            if isinstance(obj, Entity):
                self._derive.update(touched_contacts(obj, obj in new))
        self._buffer.capture_flush(session)
        for obj in (*session.new, *session.dirty):
            if isinstance(obj, Entity):
                owner = self._note_search(
                    obj.__tablename__,
                    {"id": obj.id, "contact_id": getattr(obj, "contact_id", None)},
                )
                if owner and self._fresh is not None:
                    self._fresh.mark_stale(owner)  # changed since its bulk insert

    def _note_search(self, entity: str, row: Mapping[str, Any]) -> str | None:
        """Note that the searchable record a row belongs to needs its document rebuilt;
        returns that record's id (None if the row belongs to none)."""
        owner = _SEARCH_OWNER.get(entity)
        if owner and row.get(owner[1]):
            self._reindex.setdefault(owner[0], set()).add(row[owner[1]])
            return str(row[owner[1]])
        return None

    def apply(self, rows: Sequence[ChangeRow]) -> Applied:
        """Apply change rows from other devices (persistence/apply.py): stored as received,
        never captured again; the rows they changed are re-derived and re-indexed at
        commit and reported in its ChangeSet."""
        if not self._write:
            raise ReadOnlyError("a read-only unit of work tried to write")
        self.session.flush()
        self.lock()
        applied = apply_changes(self.session, self._clock, rows)
        for entity, written in applied.rows.items():
            table = model_for(entity).__tablename__
            ids = self._buffer.touched.setdefault(table, set())
            for row in written:
                ids.add(row["id"])
                owner = self._note_search(table, row)
                if owner and self._fresh is not None:
                    self._fresh.mark_stale(owner)
        self._derive.update(applied.contacts)
        return applied

    def restamp_edits(
        self, entity: str, field: str, moments: Mapping[str, Sequence[dt.datetime]]
    ) -> int:
        """Demo data: give committed edits of a field the times they stand for
        (`changes.restamp_edits`)."""
        if not self._write:
            raise ReadOnlyError("a read-only unit of work tried to write")
        return restamp_edits(self.session, entity, field, moments)

    def insert_rows(self, model: type[Entity], rows: Iterable[dict[str, Any]]) -> int:
        """Bulk insert (fast path for demo data and imports), captured like any other
        insert. Missing columns get their defaults."""
        if not self._write:
            raise ReadOnlyError("a read-only unit of work tried to write")
        sqlite = is_sqlite(self._engine)
        plan = plan_for(model, self._engine.dialect)
        entity = entity_name(model)
        # Times become their stored text once, for the row and its change (`complete_many`).
        complete = plan.complete_many(rows, utcnow())
        if not complete:
            return 0
        self.lock()  # before the stamp (see `lock`)
        # One stamp for the batch: rows differ, so no field ties.
        self._buffer.add_inserts(entity, complete, self._clock.now(), plan.times)
        if entity == "contacts":
            # The bulk path gives a new contact's derived columns itself (from the same
            # function, `domain.derived.contact_copies`), with the lists that follow it.
            self._bulk_contacts.update(row["id"] for row in complete)
        elif entity in SOURCES:
            self._derive.update(
                c for row in complete if (c := row["contact_id"]) not in self._bulk_contacts
            )
        owner = _SEARCH_OWNER.get(entity)
        if owner is not None:
            target, key = owner
            self._reindex.setdefault(target, set()).update(row[key] for row in complete if row[key])
            if self._fresh is not None:
                self._fresh.add(entity, complete)
        if sqlite:
            if not self._bulk:
                # Bulk writes touch indexes all over a large file: give this connection
                # a bigger page cache for the rest of the unit of work.
                self._bulk = True
                self.session.connection().exec_driver_sql(f"PRAGMA cache_size={_BULK_CACHE}")
            pipe = self._pipe or self._open_pipe()
            if pipe is None:
                self.session.connection().exec_driver_sql(plan.sql, plan.parameters(complete))
            else:
                pipe.submit(plan.sql, plan.parameters(complete))
                # The change rows go now too, rather than all at the commit, so that
                # SQLite writes them while the next rows are prepared.
                self._buffer.write(self.session, self._device_id, pipe.submit)
        else:
            self.session.flush()  # rows added through the ORM go first (foreign keys)
            pipe = self._pipe or self._open_pipe()
            columns = [c.name for c in plan.table.columns]
            values = plan.parameters(complete)
            # Queued for the writer thread when there is one (`copy_rows`).
            copy_rows(self.session.connection(), plan.table.name, columns, values)
            if pipe is not None:
                # The change rows go now too, so the server loads them while the next
                # rows are prepared.
                self._buffer.write(self.session, self._device_id)
        return len(complete)

    def index_new_contacts(self) -> None:
        """The contacts inserted in bulk so far have all their lists (`insert_rows`): on
        PostgreSQL their documents go to the search index now. Keeping up with the
        trigram index is a large part of what the server does for an import; this way
        it does so while the next batches are prepared instead of all after the last,
        and the last batch's documents are on their way before anything waits for the
        server. (SQLite indexes them at the commit, through the writer thread.) A
        contact changed again later is indexed again at the commit, from the tables."""
        if is_sqlite(self._engine) or self.search is None or not self._reindex.get("contacts"):
            return
        ids = self._reindex.pop("contacts")
        self.search.reindex("contacts", ids, self._fresh)
        if self._fresh is not None:
            self._fresh.indexed(ids)

    def record_updates(
        self, entity: str, rows: Sequence[tuple[str, Mapping[str, Any]]], searched: bool = True
    ) -> None:
        """Capture rows changed by a set-based UPDATE (persistence/bulk_edit.py) as the
        ORM's updates are: a change per field with the clock of the value it replaces,
        and the search documents to rebuild (none when the fields are in no document:
        not `searched`)."""
        if not self._write:
            raise ReadOnlyError("a read-only unit of work tried to write")
        clocks = field_clocks_many(self.session, [(row_id, list(f)) for row_id, f in rows])
        sources = SOURCES["contacts"] if entity == "contacts" else frozenset()
        own_document = _SEARCH_OWNER.get(entity, ("", ""))[0] == entity
        self._buffer.add_updates(entity, rows, clocks)
        for row_id, fields in rows:
            if not sources.isdisjoint(fields):
                self._derive.add(row_id)
            if searched and own_document and fields.keys() == {"deleted_at"}:
                self._relive.setdefault(entity, set()).add(row_id)
                continue
            owner = self._note_search(entity, {"id": row_id}) if searched else None
            if owner and self._fresh is not None:
                self._fresh.mark_stale(owner)

    def _open_pipe(self) -> StatementPipe | None:
        """Start running this transaction's bulk writes in a thread (SQLite files and
        PostgreSQL: an in-memory SQLite database's connection belongs to its thread)."""
        if not is_sqlite(self._engine):
            return self._start_pipe(self.session.connection())
        url = self._engine.url
        database = url.database
        if (
            not database
            or database == ":memory:"
            or "mode=memory" in database
            or url.query.get("mode") == "memory"
            or str(url.query.get("check_same_thread", "")).lower() in ("true", "1")
        ):
            return None
        connection = self.session.connection()
        if not isinstance(connection.connection.driver_connection, sqlite3.Connection):
            return None
        return self._start_pipe(connection)

    def _start_pipe(self, connection: Connection) -> StatementPipe:
        if self.search is not None:
            self.search.prepare()  # its one lookup before the writes start
        pipe = self._pipe = StatementPipe(connection.connection.driver_connection)
        connection.info[BULK_WRITER] = pipe.call  # COPY goes through it (`copy_rows`)
        # Whatever else uses the connection waits for the pipe first: every statement
        # (reads see the rows written before them), the commit and the rollback.
        event.listen(connection, "before_cursor_execute", self._drain_pipe)
        event.listen(connection, "commit", self._drain_pipe)
        event.listen(connection, "rollback", self._cancel_pipe)
        self._pipe_connection = connection
        return pipe

    def _drain_pipe(self, *_args: Any) -> None:
        if self._pipe is not None:
            self._pipe.drain()

    def _cancel_pipe(self, *_args: Any) -> None:
        if self._pipe is not None:
            self._pipe.cancel()

    def _close_pipe(self) -> None:
        pipe, self._pipe = self._pipe, None
        if pipe is None:
            return
        pipe.close()  # after the commit or rollback: nothing is left to run
        connection = self._pipe_connection
        connection.info.pop(BULK_WRITER, None)
        event.remove(connection, "before_cursor_execute", self._drain_pipe)
        event.remove(connection, "commit", self._drain_pipe)
        event.remove(connection, "rollback", self._cancel_pipe)

    def commit(self) -> ChangeSet:
        """Flush, capture, derive, index and commit; returns what changed."""
        try:
            return self._commit()
        except DBAPIError as exc:
            if _refused(exc):
                raise _permission_denied() from exc
            raise

    def _commit(self) -> ChangeSet:
        self.session.flush()
        if self._derive:
            derived = rederive_contacts(self.session, self._derive)
            self._derive = set()
            if derived:
                self._reindex.setdefault("contacts", set()).update(derived)
                if self._fresh is not None:
                    for contact_id in derived:
                        self._fresh.mark_stale(contact_id)
        # SQL statements for the writer thread (SQLite; on PostgreSQL `copy_rows` queues).
        submit = self._pipe.submit if self._pipe is not None and is_sqlite(self._engine) else None
        if self.search is not None and self._reindex:
            self._expand_company_renames()
            for entity, ids in self._reindex.items():
                self.search.reindex(entity, ids, self._fresh, submit)
        if self.search is not None and self._relive:
            for entity, ids in self._relive.items():
                self.search.set_live(entity, ids, submit)
        self._buffer.write(self.session, self._device_id, submit)
        if self._pipe is not None:
            self._pipe.drain()  # a failed INSERT fails the commit
            # The writer ends before the commit hands the connection back to the pool.
            self._close_pipe()
        self.session.commit()
        self._committed = True
        self._fresh = None
        self.changes = ChangeSet(
            MappingProxyType({k: frozenset(v) for k, v in self._buffer.touched.items() if v}),
            self._buffer.seqs,
        )
        return self.changes

    def _expand_company_renames(self) -> None:
        companies = self._reindex.get("companies")
        fresh = self._fresh
        if fresh is not None and companies:
            # A company inserted in this transaction has no older contacts or deals; the
            # new ones are noted already.
            companies = {c for c in companies if not fresh.is_fresh("companies", c)}
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
            # Past every stamp received from others too, so a later edit here wins.
            received = session.get(LocalMeta, RECEIVED_KEY)
            if received is not None and (last is None or received.value > last):
                last = received.value
        self.clock = HybridLogicalClock(device_id, last)
        database = engine.url.database if is_sqlite(engine) else None
        self.checkpointer = Checkpointer(database if database and database != ":memory:" else None)
        self.rfm_cache = RfmCache()

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(
            self.engine,
            self.device_id,
            self.clock,
            write=True,
            checkpointer=self.checkpointer,
            rfm_cache=self.rfm_cache,
        )

    def read(self) -> UnitOfWork:
        return UnitOfWork(
            self.engine,
            self.device_id,
            self.clock,
            write=False,
            checkpointer=self.checkpointer,
            rfm_cache=self.rfm_cache,
        )
