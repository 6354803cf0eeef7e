"""Copying a whole database to another one: a local file up to a PostgreSQL server
(`crm-desktop move-to`), or a server database down to a SQLite file that the app opens
offline (`crm-desktop backup` of a server database).

Every table of the model is copied row for row in the order its foreign keys need, the
change log with it (the history and undo of every record go along), and the device id,
so the receiving database goes on numbering the same device's changes. The search index
is rebuilt on the receiving side in its own way (FTS5 or pg_trgm). The copy is one
transaction on the receiving side: it lands whole or not at all, and the row counts of
both sides are compared before it commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, Table, delete, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crm_desktop.domain.errors import DatabaseError
from crm_desktop.persistence.compaction import COMPACTED_KEY
from crm_desktop.persistence.models import Base, LocalMeta
from crm_desktop.persistence.search import search_index

_BATCH = 5_000
# The records whose presence makes a database "in use": moving into it would mix two
# businesses. (A new database holds the default pipeline and nothing else.)
_IN_USE = ("contacts", "companies", "deals", "activities", "orders")
_DEVICE_KEY = "device_id"


@dataclass(frozen=True)
class TransferResult:
    counts: dict[str, int]  # table -> rows copied

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _tables() -> list[Table]:
    """The tables to copy, parents before children."""
    local = {LocalMeta.__tablename__, "sync_conflict"}  # facts of one install only
    return [t for t in Base.metadata.sorted_tables if t.name not in local]


def in_use(engine: Engine) -> bool:
    """Whether the database already holds a business's records."""
    tables = Base.metadata.tables
    with engine.connect() as conn:
        return any(
            conn.execute(select(func.count()).select_from(tables[name])).scalar_one()
            for name in _IN_USE
        )


def copy_database(
    source: Engine,
    target: Engine,
    progress: Callable[[str, int], None] | None = None,
) -> TransferResult:
    """Copy every row of `source` into `target` (both migrated to the same schema).

    `target` must not be in use; what a new database holds (the default pipeline) is
    replaced by the source's rows. Raises DatabaseError and leaves `target` unchanged on
    any failure or when a count differs after the copy."""
    if in_use(target):
        raise DatabaseError(
            "the receiving database already holds contacts, companies or deals; "
            "choose an empty database"
        )
    tables = _tables()
    counts: dict[str, int] = {}
    with source.connect() as reader, target.begin() as writer:
        for table in reversed(tables):  # children first
            writer.execute(delete(table))
        for table in tables:
            counts[table.name] = _copy_table(reader, writer, table)
            if progress is not None:
                progress(table.name, counts[table.name])
        for key in (_DEVICE_KEY, COMPACTED_KEY):  # the log's numbering and its gaps go along
            value = reader.execute(
                select(LocalMeta.value).where(LocalMeta.key == key)
            ).scalar_one_or_none()
            if value is not None:
                writer.execute(delete(LocalMeta).where(LocalMeta.key == key))
                writer.execute(insert(LocalMeta).values(key=key, value=value))
        for table in tables:
            copied = writer.execute(select(func.count()).select_from(table)).scalar_one()
            if copied != counts[table.name]:
                raise DatabaseError(
                    f"the copy of {table.name} holds {copied} rows, the original "
                    f"{counts[table.name]}: nothing was written"
                )
        with Session(bind=writer) as session:
            search_index(session).rebuild()
            session.flush()
    return TransferResult(counts)


def _copy_table(reader: Connection, writer: Connection, table: Table) -> int:
    columns = list(table.columns)
    order = list(table.primary_key.columns) or columns[:1]
    result = reader.execution_options(yield_per=_BATCH).execute(select(*columns).order_by(*order))
    total = 0
    names = [c.name for c in columns]
    for part in result.partitions(_BATCH):
        rows = [dict(zip(names, row, strict=True)) for row in part]
        writer.execute(insert(table), rows)
        total += len(rows)
    return total
