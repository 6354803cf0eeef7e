"""Repositories: the queries of each aggregate. They hand ORM objects to services only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, String, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from crm_desktop.domain.records import ListQuery, Trash
from crm_desktop.domain.text import fold
from crm_desktop.persistence.models import (
    Activity,
    Change,
    Company,
    Consent,
    Contact,
    ContactAddress,
    ContactEmail,
    ContactPhone,
    ContactRole,
    CustomValue,
    Deal,
    DealItem,
    DealStageHistory,
    Entity,
    Order,
    Pipeline,
    Stage,
    Tag,
    Tagging,
    User,
)
from crm_desktop.persistence.search import SearchIndex

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


def _fetch_ids(session: Session, stmt: Select[Any]) -> list[str]:
    """The first column of every row, straight from the driver: a list screen asks for
    100,000 ids at a time and needs neither the ORM nor Row objects for them."""
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect)
    if connection.dialect.name != "sqlite" or compiled.positiontup is None:
        return list(connection.execute(stmt).scalars())
    params = tuple(compiled.params[name] for name in compiled.positiontup)
    cursor = connection.connection.driver_connection.execute(str(compiled), params)  # type: ignore[union-attr]
    return [row[0] for row in cursor]


def _trash_filter(model: type[Entity], trash: Trash) -> ColumnElement[bool]:
    if trash is Trash.ONLY:
        return model.deleted_at.is_not(None)
    return model.deleted_at.is_(None)


def _tag_filter(target: Any, tag: str) -> ColumnElement[bool]:
    tagged = (
        select(Tagging.target_id)
        .join(Tag, Tag.id == Tagging.tag_id)
        .where(func.lower(Tag.name) == tag.lower(), Tagging.deleted_at.is_(None))
    )
    condition: ColumnElement[bool] = target.in_(tagged)
    return condition


def _tags_column(target: Any) -> Any:
    return (
        select(func.group_concat(Tag.name, ", "))
        .join(Tagging, Tagging.tag_id == Tag.id)
        .where(Tagging.target_id == target, Tagging.deleted_at.is_(None))
        .scalar_subquery()
    )


class ContactRepository(Repository[Contact]):
    SORTS = ("name", "email", "company", "city", "owner", "updated", "created", "phone", "title")

    def __init__(self, session: Session) -> None:
        super().__init__(session, Contact)

    def _filtered(self, query: ListQuery, *columns: Any) -> Select[Any]:
        stmt = select(*columns).select_from(Contact).where(_trash_filter(Contact, query.trash))
        if query.tag:
            stmt = stmt.where(_tag_filter(Contact.id, query.tag))
        if query.owner_id:
            stmt = stmt.where(Contact.owner_id == query.owner_id)
        if query.company_id:
            stmt = stmt.where(
                Contact.id.in_(
                    select(ContactRole.contact_id).where(
                        ContactRole.company_id == query.company_id, ContactRole.deleted_at.is_(None)
                    )
                )
            )
        if query.search.strip():
            stmt = stmt.where(self._search_filter(query.search))
        return stmt

    def _search_filter(self, search: str) -> ColumnElement[bool]:
        matching = (
            SearchIndex(self.session).matching_ids("contacts", search)
            if self.session.bind is not None and self.session.bind.dialect.name == "sqlite"
            else None
        )
        if matching is not None:
            return Contact.id.in_(matching.columns(row_id=String))
        folded = fold(search)
        if len(folded) < 3:
            # One or two letters jump to last names starting with them, like a phone book
            # (a range of the list index: instant at 100,000 contacts).
            return and_(Contact.sort_name >= folded, Contact.sort_name < folded + "\uffff")
        return or_(
            Contact.sort_name.like(f"{folded}%"),
            Contact.sort_name.like(f"% {folded}%"),
            func.lower(Contact.email).like(f"{folded}%"),
        )

    def _sorted(self, stmt: Select[Any], query: ListQuery) -> Select[Any]:
        key = query.sort if query.sort in self.SORTS else "name"
        column: Any
        if key == "company":
            company = aliased(Company)
            stmt = stmt.outerjoin(company, company.id == Contact.company_id)
            column = func.coalesce(company.name, "")
        elif key == "owner":
            owner = aliased(User)
            stmt = stmt.outerjoin(owner, owner.id == Contact.owner_id)
            column = func.coalesce(owner.name, "")
        else:
            column = {
                "name": Contact.sort_name,
                "email": Contact.email,
                "city": Contact.city,
                "updated": Contact.updated_at,
                "created": Contact.created_at,
                "phone": Contact.phone,
                "title": Contact.title,
            }[key]
        if query.descending:
            return stmt.order_by(column.desc(), Contact.id.desc())
        return stmt.order_by(column, Contact.id)

    def ids(self, query: ListQuery) -> list[str]:
        """Every matching id in list order (the list screen keeps these, ~40 bytes each)."""
        return _fetch_ids(self.session, self._sorted(self._filtered(query, Contact.id), query))

    def count(self, query: ListQuery) -> int:
        return int(
            self.session.execute(self._filtered(query, func.count()).order_by(None)).scalar_one()
        )

    def page_ids(self, query: ListQuery, offset: int, limit: int) -> list[str]:
        stmt = self._sorted(self._filtered(query, Contact.id), query).offset(offset).limit(limit)
        return list(self.session.scalars(stmt))

    def rows(self, ids: Sequence[str]) -> list[Any]:
        """Flat list rows for these ids (any order; the caller orders them)."""
        if not ids:
            return []
        company, owner = aliased(Company), aliased(User)
        stmt = (
            select(
                Contact.id,
                Contact.first_name,
                Contact.last_name,
                Contact.email,
                Contact.phone,
                func.coalesce(company.name, ""),
                Contact.title,
                Contact.city,
                func.coalesce(owner.name, ""),
                _tags_column(Contact.id),
                Contact.updated_at,
            )
            .outerjoin(company, company.id == Contact.company_id)
            .outerjoin(owner, owner.id == Contact.owner_id)
            .where(Contact.id.in_(list(ids)))
        )
        return list(self.session.execute(stmt))

    def by_email(self, email: str) -> list[Contact]:
        folded = email.strip().lower()
        stmt = (
            select(Contact)
            .join(ContactEmail, ContactEmail.contact_id == Contact.id)
            .where(
                func.lower(ContactEmail.email) == folded,
                ContactEmail.deleted_at.is_(None),
                Contact.deleted_at.is_(None),
            )
        )
        return list(self.session.scalars(stmt).unique())

    def phone_candidates(self, digits_suffix: str, limit: int = 50) -> list[tuple[str, str]]:
        """(contact id, number) of live phones whose digits end with `digits_suffix`."""
        digits: Any = ContactPhone.number
        for ch in (" ", "-", "/", "(", ")", ".", "+"):
            digits = func.replace(digits, ch, "")
        stmt = (
            select(ContactPhone.contact_id, ContactPhone.number)
            .join(Contact, Contact.id == ContactPhone.contact_id)
            .where(
                digits.like(f"%{digits_suffix}"),
                ContactPhone.deleted_at.is_(None),
                Contact.deleted_at.is_(None),
            )
            .limit(limit)
        )
        return [(cid, number) for cid, number in self.session.execute(stmt)]

    def by_sort_prefix(self, prefix: str, limit: int = 200) -> list[Contact]:
        """Live contacts whose folded "last first" name starts with `prefix` (index range)."""
        stmt = (
            select(Contact)
            .where(
                Contact.sort_name >= prefix,
                Contact.sort_name < prefix + "\uffff",
                Contact.deleted_at.is_(None),
            )
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def birthdays(self, month_days: Sequence[str]) -> list[tuple[str, str, str, Any]]:
        """(id, first, last, birthday) of live contacts born on one of these "MM-DD"."""
        stmt = select(Contact.id, Contact.first_name, Contact.last_name, Contact.birthday).where(
            Contact.deleted_at.is_(None),
            Contact.birthday.is_not(None),
            func.strftime("%m-%d", Contact.birthday).in_(list(month_days)),
        )
        return [(i, f, la, b) for i, f, la, b in self.session.execute(stmt)]

    def cadence_due(self, now: Any) -> list[tuple[str, str, str, int, Any]]:
        """(id, first, last, cadence days, last done activity) of live contacts with a
        stay-in-touch cadence whose last contact is older than it (or who never had one)."""
        last_done = (
            select(func.max(Activity.done_at))
            .where(
                Activity.contact_id == Contact.id,
                Activity.done.is_(True),
                Activity.deleted_at.is_(None),
            )
            .scalar_subquery()
        )
        stmt = select(
            Contact.id, Contact.first_name, Contact.last_name, Contact.cadence_days, last_done
        ).where(Contact.deleted_at.is_(None), Contact.cadence_days > 0)
        result = []
        for cid, first, last, cadence, done_at in self.session.execute(stmt):
            if done_at is None or (now - done_at).days >= cadence:
                result.append((cid, first, last, cadence, done_at))
        return result

    def emails(self, contact_id: str) -> list[ContactEmail]:
        return self.children(ContactEmail, "contact_id", contact_id)

    def phones(self, contact_id: str) -> list[ContactPhone]:
        return self.children(ContactPhone, "contact_id", contact_id)

    def addresses(self, contact_id: str) -> list[ContactAddress]:
        return self.children(ContactAddress, "contact_id", contact_id)

    def roles(self, contact_id: str) -> list[tuple[ContactRole, str]]:
        stmt = (
            select(ContactRole, Company.name)
            .join(Company, Company.id == ContactRole.company_id)
            .where(ContactRole.contact_id == contact_id, ContactRole.deleted_at.is_(None))
            .order_by(ContactRole.position)
        )
        return [(role, name) for role, name in self.session.execute(stmt)]

    def custom_values(self, target_id: str) -> list[CustomValue]:
        return self.children(CustomValue, "target_id", target_id)


class CompanyRepository(Repository[Company]):
    SORTS = ("name", "industry", "city", "phone", "people", "owner", "updated", "created")

    def __init__(self, session: Session) -> None:
        super().__init__(session, Company)

    @staticmethod
    def _people_count() -> Any:
        return (
            select(func.count())
            .select_from(ContactRole)
            .where(ContactRole.company_id == Company.id, ContactRole.deleted_at.is_(None))
            .scalar_subquery()
        )

    def _filtered(self, query: ListQuery, *columns: Any) -> Select[Any]:
        stmt = select(*columns).select_from(Company).where(_trash_filter(Company, query.trash))
        if query.tag:
            stmt = stmt.where(_tag_filter(Company.id, query.tag))
        if query.owner_id:
            stmt = stmt.where(Company.owner_id == query.owner_id)
        if query.search.strip():
            index = SearchIndex(self.session)
            matching = (
                index.matching_ids("companies", query.search)
                if self.session.bind is not None and self.session.bind.dialect.name == "sqlite"
                else None
            )
            if matching is not None:
                stmt = stmt.where(Company.id.in_(matching.columns(row_id=String)))
            else:
                stmt = stmt.where(func.lower(Company.name).like(f"%{query.search.lower()}%"))
        return stmt

    def _sorted(self, stmt: Select[Any], query: ListQuery) -> Select[Any]:
        key = query.sort if query.sort in self.SORTS else "name"
        column: Any
        if key == "owner":
            owner = aliased(User)
            stmt = stmt.outerjoin(owner, owner.id == Company.owner_id)
            column = func.coalesce(owner.name, "")
        elif key == "people":
            column = self._people_count()
        else:
            column = {
                "name": func.lower(Company.name),
                "industry": Company.industry,
                "city": Company.city,
                "phone": Company.phone,
                "updated": Company.updated_at,
                "created": Company.created_at,
            }[key]
        if query.descending:
            return stmt.order_by(column.desc(), Company.id.desc())
        return stmt.order_by(column, Company.id)

    def ids(self, query: ListQuery) -> list[str]:
        return _fetch_ids(self.session, self._sorted(self._filtered(query, Company.id), query))

    def count(self, query: ListQuery) -> int:
        return int(
            self.session.execute(self._filtered(query, func.count()).order_by(None)).scalar_one()
        )

    def page_ids(self, query: ListQuery, offset: int, limit: int) -> list[str]:
        stmt = self._sorted(self._filtered(query, Company.id), query).offset(offset).limit(limit)
        return list(self.session.scalars(stmt))

    def rows(self, ids: Sequence[str]) -> list[Any]:
        if not ids:
            return []
        owner = aliased(User)
        stmt = (
            select(
                Company.id,
                Company.name,
                Company.industry,
                Company.city,
                Company.phone,
                self._people_count(),
                func.coalesce(owner.name, ""),
                Company.updated_at,
            )
            .outerjoin(owner, owner.id == Company.owner_id)
            .where(Company.id.in_(list(ids)))
        )
        return list(self.session.execute(stmt))

    def people(self, company_id: str) -> list[tuple[str, str, str, str]]:
        """(contact id, first name, last name, title) of the people holding a role here."""
        stmt = (
            select(Contact.id, Contact.first_name, Contact.last_name, ContactRole.title)
            .join(ContactRole, ContactRole.contact_id == Contact.id)
            .where(
                ContactRole.company_id == company_id,
                ContactRole.deleted_at.is_(None),
                Contact.deleted_at.is_(None),
            )
            .order_by(Contact.sort_name)
        )
        return [tuple(r) for r in self.session.execute(stmt)]  # type: ignore[misc]

    def names(self) -> list[tuple[str, str]]:
        stmt = (
            select(Company.id, Company.name)
            .where(Company.deleted_at.is_(None))
            .order_by(func.lower(Company.name))
        )
        return [(cid, name) for cid, name in self.session.execute(stmt)]

    def by_name(self, name: str) -> Company | None:
        return self.session.scalars(
            select(Company).where(
                func.lower(Company.name) == name.strip().lower(), Company.deleted_at.is_(None)
            )
        ).first()


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

    def counts(self) -> list[tuple[str, int]]:
        stmt = (
            select(Tag.name, func.count(Tagging.id))
            .join(Tagging, Tagging.tag_id == Tag.id)
            .where(Tagging.deleted_at.is_(None), Tag.deleted_at.is_(None))
            .group_by(Tag.name)
            .order_by(Tag.name)
        )
        return [(n, int(c)) for n, c in self.session.execute(stmt)]


class DealRepository(Repository[Deal]):
    def __init__(self, session: Session) -> None:
        super().__init__(session, Deal)

    def stage(self, stage_id: str) -> Stage | None:
        return self.session.get(Stage, stage_id)

    SORTS = ("title", "stage", "value", "close", "owner", "company", "updated", "status")

    def _filtered(self, query: ListQuery, *columns: Any) -> Select[Any]:
        stmt = select(*columns).select_from(Deal).where(_trash_filter(Deal, query.trash))
        if query.owner_id:
            stmt = stmt.where(Deal.owner_id == query.owner_id)
        if query.company_id:
            stmt = stmt.where(Deal.company_id == query.company_id)
        if query.search.strip():
            is_sqlite = self.session.bind is not None and self.session.bind.dialect.name == "sqlite"
            matching = (
                SearchIndex(self.session).matching_ids("deals", query.search) if is_sqlite else None
            )
            if matching is not None:
                stmt = stmt.where(Deal.id.in_(matching.columns(row_id=String)))
            else:
                stmt = stmt.where(func.lower(Deal.title).like(f"%{query.search.lower()}%"))
        return stmt

    def _sorted(self, stmt: Select[Any], query: ListQuery) -> Select[Any]:
        key = query.sort if query.sort in self.SORTS else "close"
        column: Any
        if key in ("stage", "owner", "company"):
            target: Any = {
                "stage": aliased(Stage),
                "owner": aliased(User),
                "company": aliased(Company),
            }[key]
            link = {"stage": Deal.stage_id, "owner": Deal.owner_id, "company": Deal.company_id}
            stmt = stmt.outerjoin(target, target.id == link[key])
            column = target.position if key == "stage" else func.coalesce(target.name, "")
        else:
            column = {
                "title": func.lower(Deal.title),
                "value": Deal.value_cents,
                "close": func.coalesce(Deal.expected_close, "9999-12-31"),
                "updated": Deal.updated_at,
                "status": Deal.status,
            }[key]
        if query.descending:
            return stmt.order_by(column.desc(), Deal.id.desc())
        return stmt.order_by(column, Deal.id)

    def ids(self, query: ListQuery) -> list[str]:
        return _fetch_ids(self.session, self._sorted(self._filtered(query, Deal.id), query))

    def rows(self, ids: Sequence[str]) -> list[Any]:
        """(deal id, title, stage name, stage kind, stage probability, status, value,
        currency, probability override, expected close, owner, company, contact first,
        contact last) for these ids."""
        if not ids:
            return []
        stage, owner, company, contact = (
            aliased(Stage),
            aliased(User),
            aliased(Company),
            aliased(Contact),
        )
        stmt = (
            select(
                Deal.id,
                Deal.title,
                stage.name,
                stage.kind,
                stage.probability,
                Deal.status,
                Deal.value_cents,
                Deal.currency,
                Deal.probability,
                Deal.expected_close,
                func.coalesce(owner.name, ""),
                func.coalesce(company.name, ""),
                func.coalesce(contact.first_name, ""),
                func.coalesce(contact.last_name, ""),
            )
            .join(stage, stage.id == Deal.stage_id)
            .outerjoin(owner, owner.id == Deal.owner_id)
            .outerjoin(company, company.id == Deal.company_id)
            .outerjoin(contact, contact.id == Deal.contact_id)
            .where(Deal.id.in_(list(ids)))
        )
        return list(self.session.execute(stmt))

    def lines(self, deal_id: str) -> list[DealItem]:
        return self.children(DealItem, "deal_id", deal_id)

    def history(self, deal_id: str) -> list[tuple[Any, str, str]]:
        """(moved at, from stage name, to stage name), oldest first."""
        before, after = aliased(Stage), aliased(Stage)
        stmt = (
            select(DealStageHistory.moved_at, func.coalesce(before.name, ""), after.name)
            .outerjoin(before, before.id == DealStageHistory.from_stage_id)
            .join(after, after.id == DealStageHistory.to_stage_id)
            .where(DealStageHistory.deal_id == deal_id)
            .order_by(DealStageHistory.moved_at)
        )
        return [(m, f, t) for m, f, t in self.session.execute(stmt)]

    def board_rows(
        self, pipeline_id: str, owner_id: str | None, close_before: Any, include_closed: bool
    ) -> list[Any]:
        """Plain rows (no ORM objects: a board has thousands) of live deals: id, title,
        stage id, position, value, currency, probability, expected close, stage entered,
        company name, contact first and last name, owner name."""
        company, contact, owner = aliased(Company), aliased(Contact), aliased(User)
        stmt = (
            select(
                Deal.id,
                Deal.title,
                Deal.stage_id,
                Deal.position,
                Deal.value_cents,
                Deal.currency,
                Deal.probability,
                Deal.expected_close,
                Deal.stage_entered_at,
                func.coalesce(company.name, ""),
                func.coalesce(contact.first_name, ""),
                func.coalesce(contact.last_name, ""),
                func.coalesce(owner.name, ""),
            )
            .outerjoin(company, company.id == Deal.company_id)
            .outerjoin(contact, contact.id == Deal.contact_id)
            .outerjoin(owner, owner.id == Deal.owner_id)
            .where(Deal.pipeline_id == pipeline_id, Deal.deleted_at.is_(None))
            .order_by(Deal.stage_id, Deal.position, Deal.created_at)
        )
        if owner_id:
            stmt = stmt.where(Deal.owner_id == owner_id)
        if close_before is not None:
            stmt = stmt.where(Deal.expected_close <= close_before)
        if not include_closed:
            stmt = stmt.where(Deal.status == "open")
        return list(self.session.execute(stmt))

    def stages(self, pipeline_id: str) -> list[Stage]:
        return list(
            self.session.scalars(
                select(Stage)
                .where(Stage.pipeline_id == pipeline_id, Stage.deleted_at.is_(None))
                .order_by(Stage.position)
            )
        )

    def pipelines(self) -> list[Pipeline]:
        return list(
            self.session.scalars(
                select(Pipeline).where(Pipeline.deleted_at.is_(None)).order_by(Pipeline.position)
            )
        )

    def in_stage(self, stage_id: str) -> list[Deal]:
        return list(
            self.session.scalars(
                select(Deal)
                .where(Deal.stage_id == stage_id, Deal.deleted_at.is_(None))
                .order_by(Deal.position, Deal.created_at)
            )
        )

    def first_open_stage(self) -> Stage | None:
        """The first open stage of the first pipeline (where new deals start)."""
        stmt = (
            select(Stage)
            .join(Pipeline, Pipeline.id == Stage.pipeline_id)
            .where(Stage.kind == "open", Stage.deleted_at.is_(None), Pipeline.deleted_at.is_(None))
            .order_by(Pipeline.position, Stage.position)
            .limit(1)
        )
        return self.session.scalars(stmt).first()


class ActivityRepository(Repository[Activity]):
    def __init__(self, session: Session) -> None:
        super().__init__(session, Activity)

    def in_range(
        self, start: Any, end: Any, owner_id: str | None = None, kinds: Sequence[str] | None = None
    ) -> list[Activity]:
        """Live activities that may have an occurrence in [start, end): single ones starting
        inside it, recurring ones that began before its end."""
        extra: list[ColumnElement[bool]] = [Activity.deleted_at.is_(None), Activity.starts_at < end]
        if owner_id:
            extra.append(Activity.owner_id == owner_id)
        if kinds:
            extra.append(Activity.kind.in_(list(kinds)))
        # Two queries, not one with OR: the single ones come from the time index.
        single = select(Activity).where(Activity.starts_at >= start, Activity.rrule == "", *extra)
        recurring = select(Activity).where(Activity.rrule != "", *extra)
        return [*self.session.scalars(single), *self.session.scalars(recurring)]

    def slots(
        self,
        start: Any,
        end: Any,
        owner_id: str | None = None,
        kinds: Sequence[str] | None = None,
        open_only: bool = False,
    ) -> list[Any]:
        """What a calendar draws of the activities `in_range` finds, as plain rows (no
        ORM objects: a month of thousands of activities loads in milliseconds): id, kind,
        subject, starts_at, ends_at, all_day, done, rrule, exdates, timezone."""
        columns = (
            Activity.id, Activity.kind, Activity.subject, Activity.starts_at, Activity.ends_at,
            Activity.all_day, Activity.done, Activity.rrule, Activity.exdates, Activity.timezone,
        )  # fmt: skip
        extra: list[ColumnElement[bool]] = [Activity.deleted_at.is_(None), Activity.starts_at < end]
        if owner_id:
            extra.append(Activity.owner_id == owner_id)
        if kinds:
            extra.append(Activity.kind.in_(list(kinds)))
        if open_only:
            extra.append(Activity.done.is_(False))
        single = select(*columns).where(Activity.starts_at >= start, Activity.rrule == "", *extra)
        recurring = select(*columns).where(Activity.rrule != "", *extra)
        return [*self.session.execute(single), *self.session.execute(recurring)]

    def by_ical_uid(self, uid: str) -> Activity | None:
        return self.session.scalars(
            select(Activity).where(Activity.ical_uid == uid, Activity.deleted_at.is_(None))
        ).first()


class TimelineRepository:
    """Everything that happened to a record, for its timeline (newest first)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def activities(self, target: str, target_id: str, limit: int) -> list[Activity]:
        column = {
            "contacts": Activity.contact_id,
            "companies": Activity.company_id,
            "deals": Activity.deal_id,
        }[target]
        when = func.coalesce(Activity.done_at, Activity.starts_at, Activity.created_at)
        return list(
            self.session.scalars(
                select(Activity)
                .where(column == target_id, Activity.deleted_at.is_(None))
                .order_by(when.desc())
                .limit(limit)
            )
        )

    def open_activities(self, target: str, target_id: str, limit: int) -> list[Activity]:
        """Activities not done yet (with a start), earliest first: the record's next one."""
        column = {"contacts": Activity.contact_id, "companies": Activity.company_id}[target]
        return list(
            self.session.scalars(
                select(Activity)
                .where(
                    column == target_id,
                    Activity.deleted_at.is_(None),
                    Activity.done.is_(False),
                    Activity.starts_at.is_not(None),
                )
                .order_by(Activity.starts_at)
                .limit(limit)
            )
        )

    def deals(self, target: str, target_id: str, limit: int) -> list[tuple[Deal, str, str]]:
        column = {"contacts": Deal.contact_id, "companies": Deal.company_id}[target]
        stmt = (
            select(Deal, Stage.name, Stage.kind)
            .join(Stage, Stage.id == Deal.stage_id)
            .where(column == target_id, Deal.deleted_at.is_(None))
            .order_by(Deal.created_at.desc())
            .limit(limit)
        )
        return [(d, n, k) for d, n, k in self.session.execute(stmt)]

    def orders(self, target: str, target_id: str, limit: int) -> list[Order]:
        column = {"contacts": Order.contact_id, "companies": Order.company_id}[target]
        return list(
            self.session.scalars(
                select(Order)
                .where(column == target_id, Order.deleted_at.is_(None))
                .order_by(Order.ordered_on.desc())
                .limit(limit)
            )
        )

    def consents(self, contact_id: str, limit: int) -> list[Consent]:
        return list(
            self.session.scalars(
                select(Consent)
                .where(Consent.contact_id == contact_id)
                .order_by(Consent.recorded_at.desc())
                .limit(limit)
            )
        )

    def changes(self, row_ids: Sequence[str], limit: int) -> list[Change]:
        """Field changes of these rows (a record and its child rows), newest first."""
        if not row_ids:
            return []
        return list(
            self.session.scalars(
                select(Change)
                .where(Change.row_id.in_(list(row_ids)))
                .order_by(Change.hlc.desc(), Change.seq.desc())
                .limit(limit)
            )
        )

    def child_ids(self, contact_id: str) -> list[str]:
        ids: list[str] = [contact_id]
        for model in (ContactEmail, ContactPhone, ContactAddress, ContactRole):
            ids.extend(self.session.scalars(select(model.id).where(model.contact_id == contact_id)))
        ids.extend(self.session.scalars(select(Tagging.id).where(Tagging.target_id == contact_id)))
        return ids


class DuplicateRepository:
    """The reads of the duplicate scan (plain tuples of every live record: the scan looks
    at 100,000 contacts at once) and the rows a merge moves from one record to another."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _rows(self, stmt: Select[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Plain tuples straight from the driver on SQLite (a third of the time of Row
        objects for 100,000 rows; times come back as their stored text, which sorts the
        same way), through SQLAlchemy elsewhere."""
        connection = self.session.connection()
        compiled = stmt.compile(dialect=connection.dialect)
        if connection.dialect.name != "sqlite" or compiled.positiontup is None:
            return [tuple(r) for r in connection.execute(stmt)]
        params = tuple(compiled.params[name] for name in compiled.positiontup)
        driver = connection.connection.driver_connection
        return list(driver.execute(str(compiled), params))  # type: ignore[union-attr]

    def contacts(self) -> list[tuple[Any, ...]]:
        """(id, first name, last name, created at) of every live contact."""
        stmt = select(Contact.id, Contact.first_name, Contact.last_name, Contact.created_at)
        return self._rows(stmt.where(Contact.deleted_at.is_(None)))

    def _of_live_contacts(self, *columns: Any) -> list[tuple[Any, ...]]:
        model = columns[0].class_
        stmt = (
            select(*columns)
            .join(Contact, Contact.id == model.contact_id)
            .where(model.deleted_at.is_(None), Contact.deleted_at.is_(None))
        )
        return self._rows(stmt)

    def contact_emails(self) -> list[tuple[Any, ...]]:
        """(contact id, e-mail) of every live e-mail of a live contact."""
        return self._of_live_contacts(ContactEmail.contact_id, ContactEmail.email)

    def contact_phones(self) -> list[tuple[Any, ...]]:
        """(contact id, number) of every live phone of a live contact."""
        return self._of_live_contacts(ContactPhone.contact_id, ContactPhone.number)

    def contact_companies(self) -> list[tuple[Any, ...]]:
        """(contact id, company id) of every live role of a live contact at a live company."""
        stmt = (
            select(ContactRole.contact_id, ContactRole.company_id)
            .join(Contact, Contact.id == ContactRole.contact_id)
            .join(Company, Company.id == ContactRole.company_id)
            .where(
                ContactRole.deleted_at.is_(None),
                Contact.deleted_at.is_(None),
                Company.deleted_at.is_(None),
            )
        )
        return self._rows(stmt)

    def companies(self) -> list[tuple[Any, ...]]:
        """(id, name, domain, website, phone, e-mail, created at) of every live company."""
        stmt = select(
            Company.id,
            Company.name,
            Company.domain,
            Company.website,
            Company.phone,
            Company.email,
            Company.created_at,
        ).where(Company.deleted_at.is_(None))
        return self._rows(stmt)

    def linked(self, model: type[M], column: str, ids: Sequence[str]) -> list[M]:
        """Live rows of `model` whose `column` points at one of `ids`, oldest first."""
        if not ids:
            return []
        stmt = (
            select(model)
            .where(getattr(model, column).in_(list(ids)), model.deleted_at.is_(None))
            .order_by(model.created_at, model.id)
        )
        return list(self.session.scalars(stmt))

    def link_counts(self, column: str) -> dict[str, int]:
        """Live activities, deals and orders per contact (column "contact_id") or company
        ("company_id"): the record with the most is the one a merge should keep."""
        counts: dict[str, int] = {}
        for model in (Activity, Deal, Order):
            link = getattr(model, column)
            stmt = (
                select(link, func.count())
                .where(link.is_not(None), model.deleted_at.is_(None))
                .group_by(link)
            )
            for row_id, count in self._rows(stmt):
                counts[row_id] = counts.get(row_id, 0) + count
        return counts
