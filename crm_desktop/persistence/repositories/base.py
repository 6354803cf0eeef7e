"""The generic repository (get, add, list one model), the filters the aggregates share, and
the small repositories of users and tags."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, String, func, select
from sqlalchemy.orm import Session

from crm_desktop.domain.records import Trash
from crm_desktop.persistence.dialect import text_agg
from crm_desktop.persistence.models import Entity, Setting, Tag, Tagging, User
from crm_desktop.persistence.search import search_index

M = TypeVar("M", bound=Entity)


class Repository(Generic[M]):
    """Get, add and list one model; soft-deleted rows are hidden unless asked for."""

    def __init__(self, session: Session, model: type[M]) -> None:
        self.session = session
        self.model = model

    def get(self, row_id: str, include_deleted: bool = False) -> M | None:
        obj = self.session.get(self.model, row_id)
        if obj is None or (obj.deleted_at is not None and not include_deleted):
            return None
        return obj

    def add(self, obj: M) -> M:
        self.session.add(obj)
        return obj

    def all(self) -> list[M]:
        return list(self.session.scalars(select(self.model).where(self.model.deleted_at.is_(None))))

    def children(self, model: type[Entity], parent_field: str, parent_id: str) -> list[Any]:
        column = getattr(model, parent_field)
        order = getattr(model, "position", model.created_at)
        return list(
            self.session.scalars(
                select(model).where(column == parent_id, model.deleted_at.is_(None)).order_by(order)
            )
        )


def fetch_ids(session: Session, stmt: Select[Any]) -> list[str]:
    """The first column of every row, straight from the driver: a list screen asks for
    100,000 ids at a time and needs neither the ORM nor Row objects for them."""
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    if connection.dialect.name != "sqlite" or compiled.positiontup is None:
        return list(connection.execute(stmt).scalars())
    params = tuple(compiled.params[name] for name in compiled.positiontup)
    cursor = connection.connection.driver_connection.execute(str(compiled), params)  # type: ignore[union-attr]
    return [row[0] for row in cursor]


def search_filter(
    session: Session, entity: str, id_column: Any, name_column: Any, search: str
) -> ColumnElement[bool]:
    """Records of `entity` whose search document matches; for a query without a word of
    three letters (the index needs three), those whose name holds it."""
    matching = search_index(session).matching_ids(entity, search)
    if matching is not None:
        condition: ColumnElement[bool] = id_column.in_(matching.columns(row_id=String))
        return condition
    return func.lower(name_column).like(f"%{search.lower()}%")


def trash_filter(model: type[Entity], trash: Trash) -> ColumnElement[bool]:
    if trash is Trash.ONLY:
        return model.deleted_at.is_not(None)
    return model.deleted_at.is_(None)


def tag_filter(target: Any, tag: str) -> ColumnElement[bool]:
    tagged = (
        select(Tagging.target_id)
        .join(Tag, Tag.id == Tagging.tag_id)
        .where(func.lower(Tag.name) == tag.lower(), Tagging.deleted_at.is_(None))
    )
    condition: ColumnElement[bool] = target.in_(tagged)
    return condition


def tags_column(target: Any, dialect: str) -> Any:
    return (
        select(text_agg(dialect, Tag.name, ", "))
        .join(Tagging, Tagging.tag_id == Tag.id)
        .where(Tagging.target_id == target, Tagging.deleted_at.is_(None))
        .scalar_subquery()
    )


class UserRepository(Repository[User]):
    def __init__(self, session: Session) -> None:
        super().__init__(session, User)

    def names(self, ids: Iterable[str | None]) -> dict[str, str]:
        wanted = {i for i in ids if i}
        if not wanted:
            return {}
        return dict(
            self.session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all()
        )


class SettingRepository(Repository[Setting]):
    def __init__(self, session: Session) -> None:
        super().__init__(session, Setting)

    def items(self, prefix: str) -> list[Setting]:
        """Every setting whose key starts with `prefix`, those deleted included (a deleted
        item of a collection is a removal, not an absence), by key."""
        stmt = select(Setting).where(Setting.id.startswith(prefix, autoescape=True))
        stmt = stmt.order_by(Setting.id)
        return list(self.session.scalars(stmt))


class TagRepository(Repository[Tag]):
    def __init__(self, session: Session) -> None:
        super().__init__(session, Tag)

    def names_for(self, target_id: str) -> list[str]:
        stmt = (
            select(Tag.name)
            .join(Tagging, Tagging.tag_id == Tag.id)
            .where(Tagging.target_id == target_id, Tagging.deleted_at.is_(None))
            .order_by(Tag.name)
        )
        return list(self.session.scalars(stmt))

    def by_name(self, name: str) -> Tag | None:
        return self.session.scalars(
            select(Tag).where(
                func.lower(Tag.name) == name.strip().lower(), Tag.deleted_at.is_(None)
            )
        ).first()

    def taggings(self, target_id: str) -> list[tuple[Tagging, str]]:
        stmt = (
            select(Tagging, Tag.name)
            .join(Tag, Tag.id == Tagging.tag_id)
            .where(Tagging.target_id == target_id, Tagging.deleted_at.is_(None))
        )
        return [(t, n) for t, n in self.session.execute(stmt)]

    def names_in_use(self) -> list[str]:
        """Names of the live tags that a live tagging uses, by name (each tag stops at its
        first tagging: no count over every tagging)."""
        used = (
            select(Tagging.id)
            .where(Tagging.tag_id == Tag.id, Tagging.deleted_at.is_(None))
            .exists()
        )
        stmt = select(Tag.name).where(Tag.deleted_at.is_(None), used).distinct().order_by(Tag.name)
        return list(self.session.scalars(stmt))

    def counts(self) -> list[tuple[str, int]]:
        stmt = (
            select(Tag.name, func.count(Tagging.id))
            .join(Tagging, Tagging.tag_id == Tag.id)
            .where(Tagging.deleted_at.is_(None), Tag.deleted_at.is_(None))
            .group_by(Tag.name)
            .order_by(Tag.name)
        )
        return [(n, int(c)) for n, c in self.session.execute(stmt)]
