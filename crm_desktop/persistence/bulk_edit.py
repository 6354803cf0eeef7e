"""Set-based edits of many rows in one unit of work (bulk tag, owner, stage, Trash):
UPDATEs over lists of ids instead of an ORM object per row, captured in the `change`
table like any other edit (`UnitOfWork.record_updates`).

Every edit is a compare-and-set: a row is written only if it still holds the values the
caller read (or, for the Trash, is not there already), and the edit actually applied is
returned, so that its inverse takes back exactly that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update

from crm_desktop.domain.bulk import Edit, FieldEdit, TrashEdit, Values
from crm_desktop.domain.errors import NotFoundError
from crm_desktop.persistence.dialect import marks
from crm_desktop.persistence.models import SYNCED_TABLES, Deal, Tagging
from crm_desktop.persistence.uow import UnitOfWork

CHUNK = 900  # ids per statement: under SQLite's oldest limit of 999 variables
# Fields that are in no search document (search.py): editing only these leaves the
# documents as they are. Any other field has its record's document rebuilt.
UNSEARCHED = frozenset(
    {
        "owner_id",
        "stage_id",
        "status",
        "stage_entered_at",
        "closed_at",
        "reason_id",
        "close_note",
        "position",
    }
)


def chunks(ids: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _table(entity: str) -> Table:
    model = SYNCED_TABLES.get(entity)
    if model is None:
        raise ValueError(f"not a synced table: {entity}")
    return cast(Table, model.__table__)


def current(
    uow: UnitOfWork, entity: str, ids: Sequence[str], fields: Sequence[str]
) -> dict[str, tuple[Any, ...]]:
    """Row id -> (deleted_at, *fields) of the rows among `ids` that exist."""
    table = _table(entity)
    columns = [table.c.id, table.c.deleted_at, *(table.c[f] for f in fields)]
    found: dict[str, tuple[Any, ...]] = {}
    for part in chunks(list(dict.fromkeys(ids))):
        for row in uow.session.execute(select(*columns).where(table.c.id.in_(part))):
            found[row[0]] = tuple(row[1:])
    return found


def require_all(
    uow: UnitOfWork,
    entity: str,
    ids: Sequence[str],
    what: str,
    fields: Sequence[str] = (),
    live: bool = False,
) -> dict[str, tuple[Any, ...]]:
    """`current`, failing when any id is unknown, or (`live`) in the Trash: nothing is
    done then."""
    found = current(uow, entity, ids, fields)
    missing = [i for i in ids if i not in found or (live and found[i][0] is not None)]
    if missing:
        more = f" (and {len(missing) - 1:,} more)" if len(missing) > 1 else ""
        where = "in the Trash or unknown" if live else "unknown"
        raise NotFoundError(f"{what} {missing[0]} is {where}{more}")
    return found


def apply(uow: UnitOfWork, edit: Edit, stamp: dt.datetime) -> Edit:
    """Apply an edit in the open unit of work; returns the part of it that was applied."""
    if isinstance(edit, TrashEdit):
        return _apply_trash(uow, edit, stamp)
    return _apply_fields(uow, edit, stamp)


def _apply_trash(uow: UnitOfWork, edit: TrashEdit, stamp: dt.datetime) -> TrashEdit:
    table = _table(edit.entity)
    ids = list(dict.fromkeys(edit.ids))
    value = stamp if edit.deleted else None
    connection = uow.session.connection()
    # Raw driver SQL (SQLAlchemy's expansion of IN lists costs more than the statement
    # when an import of 20,000 records is undone), and the rows that move found by the
    # UPDATE itself where the database says which (SQLite 3.35 and later, PostgreSQL).
    dialect = connection.dialect
    time = table.c.deleted_at.type.bind_processor(dialect)
    stored = (time(stamp) if time else stamp), (time(value) if time and value else value)
    name = dialect.identifier_preparer.quote(table.name)
    state = "deleted_at IS NULL" if edit.deleted else "deleted_at IS NOT NULL"
    mark = marks(dialect.name, 1)
    moving: list[str] = []
    for part in chunks(ids):
        where = f"id IN ({marks(dialect.name, len(part))}) AND {state}"
        if not dialect.update_returning:
            found = connection.exec_driver_sql(f"SELECT id FROM {name} WHERE {where}", tuple(part))
            part = [row[0] for row in found]  # noqa: PLW2901
            if not part:
                continue
            where = f"id IN ({marks(dialect.name, len(part))})"
        sql = f"UPDATE {name} SET deleted_at = {mark}, updated_at = {mark} WHERE {where}"
        result = connection.exec_driver_sql(
            sql + (" RETURNING id" if dialect.update_returning else ""),
            (stored[1], stored[0], *part),
        )
        moving += [row[0] for row in result] if dialect.update_returning else part
    uow.record_updates(edit.entity, [(i, {"deleted_at": value}) for i in moving])
    return TrashEdit(edit.entity, tuple(moving), edit.deleted)


def _apply_fields(uow: UnitOfWork, edit: FieldEdit, stamp: dt.datetime) -> FieldEdit:
    table = _table(edit.entity)
    found = current(uow, edit.entity, [i for i, _b, _a in edit.rows], edit.fields)
    rows = [
        (i, before, after)
        for i, before, after in edit.rows
        if i in found and found[i][1:] == tuple(before) and tuple(before) != tuple(after)
    ]
    groups: dict[Values, list[str]] = {}
    for row_id, _before, after in rows:
        groups.setdefault(tuple(after), []).append(row_id)
    singles: list[dict[str, Any]] = []
    for after, ids in groups.items():
        values = dict(zip(edit.fields, after, strict=True))
        if len(ids) == 1:  # rows of values of their own: one executemany for them all
            singles.append({"row_id": ids[0], **{f"v_{k}": v for k, v in values.items()}})
            continue
        for part in chunks(ids):
            uow.session.execute(
                update(table).where(table.c.id.in_(part)).values(**values, updated_at=stamp)
            )
    if singles:
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(**{f: bindparam(f"v_{f}") for f in edit.fields}, updated_at=stamp)
        )
        uow.session.execute(statement, singles)
    uow.record_updates(
        edit.entity,
        [(i, dict(zip(edit.fields, after, strict=True))) for i, _b, after in rows],
        searched=not UNSEARCHED.issuperset(edit.fields),
    )
    return FieldEdit(edit.entity, edit.fields, tuple(rows))


def untagged(uow: UnitOfWork, tag_id: str, target_kind: str, ids: Sequence[str]) -> list[str]:
    """The live records among `ids` (of the table `target_kind` names) without a live
    tagging of this tag, in the order given."""
    table = _table(f"{target_kind}s" if target_kind != "company" else "companies")
    tagged = (
        select(Tagging.id)
        .where(
            Tagging.target_id == table.c.id,
            Tagging.tag_id == tag_id,
            Tagging.deleted_at.is_(None),
        )
        .exists()
    )
    wanted: set[str] = set()
    for part in chunks(list(dict.fromkeys(ids))):
        stmt = select(table.c.id).where(table.c.id.in_(part), table.c.deleted_at.is_(None), ~tagged)
        wanted.update(uow.session.scalars(stmt))
    return [i for i in dict.fromkeys(ids) if i in wanted]


def taggings(uow: UnitOfWork, tag_id: str, ids: Sequence[str]) -> list[tuple[str, str]]:
    """(tagging id, record id) of the live taggings of this tag on `ids`."""
    found: list[tuple[str, str]] = []
    for part in chunks(list(dict.fromkeys(ids))):
        stmt = select(Tagging.id, Tagging.target_id).where(
            Tagging.target_id.in_(part), Tagging.tag_id == tag_id, Tagging.deleted_at.is_(None)
        )
        found += [(t, r) for t, r in uow.session.execute(stmt)]
    return found


def next_position(uow: UnitOfWork, stage_id: str) -> int:
    """The position after the last card of a stage's column."""
    last = uow.session.scalar(
        select(func.max(Deal.position)).where(Deal.stage_id == stage_id, Deal.deleted_at.is_(None))
    )
    return 0 if last is None else int(last) + 1


def existing(uow: UnitOfWork, entity: str, ids: Iterable[str]) -> set[str]:
    """Which of `ids` exist (live or in the Trash)."""
    return set(current(uow, entity, list(ids), ()))
