"""Segment filters (domain.segments) compiled to one SQLAlchemy Core condition on contacts.

Portable SQL only: relative dates are worked out in Python from the day given, month and
day of a birthday come from `extract` (SQLite and PostgreSQL both compile it), and the
one dialect difference (the day of a timestamp) is `_day`. Behaviour (orders, spend, open
deals, last activity, RFM) is a grouped sub-select per condition: a contact is IN the
groups that match, or NOT IN the groups that fail when the empty case (no orders at all)
matches, so the contacts without rows are counted right without a join.
"""

from __future__ import annotations

import datetime as dt
import operator
import threading
import typing
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Date,
    Select,
    and_,
    case,
    cast,
    exists,
    extract,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from crm_desktop.domain.rfm import RULES, Purchases, RfmCuts, RfmScore, score_of
from crm_desktop.domain.segments import (
    CUSTOM_PREFIX,
    Condition,
    Group,
    Kind,
    day_range,
    upcoming_month_days,
    years_ago,
)
from crm_desktop.persistence.models import (
    Activity,
    Company,
    Consent,
    Contact,
    ContactAddress,
    ContactRole,
    CustomField,
    CustomValue,
    Deal,
    Order,
    Tag,
    Tagging,
    User,
)

Clause = ColumnElement[bool]
_TEXT_COLUMNS = {
    "first_name": Contact.first_name,
    "last_name": Contact.last_name,
    "email": Contact.email,
    "phone": Contact.phone,
    "title": Contact.title,
    "city": Contact.city,
    "lead_source": Contact.lead_source,
    "notes": Contact.notes,
}
_ADDRESS_COLUMNS = {"country": ContactAddress.country, "postcode": ContactAddress.postcode}


def _lower(text: str) -> Any:
    """A value lowered by the database itself, so both sides of a comparison fold alike
    (SQLite's lower() folds ASCII only; PostgreSQL's every letter)."""
    return func.lower(literal(text))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class RfmCache:
    """The RFM cut points of one database, kept until its orders or deals change (placing
    them reads every buyer's totals; telling whether they changed reads two counts)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._cuts: RfmCuts | None = None

    def cuts(self, compiler: SegmentCompiler) -> RfmCuts:
        key = compiler.purchases_version()
        with self._lock:
            if key == self._key and self._cuts is not None:
                return self._cuts
        cuts = RfmCuts.of(compiler.customer_purchases())
        with self._lock:
            self._key, self._cuts = key, cuts
        return cuts


class SegmentCompiler:
    """Compiles filters for one session at one day (`today`: what "last 90 days" counts
    back from). `search` is the contacts list's own search condition."""

    def __init__(
        self,
        session: Session,
        today: dt.date,
        search: Callable[[str], Clause] | None = None,
        rfm_cache: RfmCache | None = None,
    ) -> None:
        self.session = session
        self.today = today
        self._search = search
        bind = session.get_bind()
        self._sqlite = bind.dialect.name == "sqlite"
        self._cuts: RfmCuts | None = None
        self._rfm_cache = rfm_cache

    # ---- tree -----------------------------------------------------------------------------

    def compile(self, node: Group | Condition) -> Clause:
        if isinstance(node, Condition):
            return self._condition(node)
        if not node.items:
            clause: Clause = true()
        else:
            parts = [self.compile(x) for x in node.items]
            clause = or_(*parts) if node.any else and_(*parts)
        return not_(clause) if node.negate else clause

    def _condition(self, c: Condition) -> Clause:
        kind = c.info.kind
        if c.field.startswith(CUSTOM_PREFIX):
            return self._custom(c)
        handler: Callable[[Condition], Clause] | None = {
            "orders": self._orders,
            "last_order": self._last_order,
            "total_spend": self._total_spend,
            "open_deals": self._open_deals,
            "last_activity": self._last_activity,
            "age": self._age,
            "birthday": self._birthday,
            "created": lambda c: self._stamp(Contact.created_at, c),
            "updated": lambda c: self._stamp(Contact.updated_at, c),
        }.get(c.field)
        if handler is not None:
            return handler(c)
        if c.field in _TEXT_COLUMNS:
            return _text(func.coalesce(_TEXT_COLUMNS[c.field], ""), c.op, c.value)
        if c.field in _ADDRESS_COLUMNS:
            return self._address(c)
        if kind is Kind.TAG:
            return self._tag(c)
        if kind is Kind.REF:
            return self._ref(c)
        if kind is Kind.CONSENT:
            return self._consent(c)
        if kind is Kind.RFM:
            return self._rfm(c)
        if kind is Kind.SEARCH:
            if self._search is None:
                return true()
            return self._search(str(c.value))
        raise AssertionError(f"no SQL for {c.field}")  # pragma: no cover

    # ---- plain fields ---------------------------------------------------------------------

    def _address(self, c: Condition) -> Clause:
        column = func.coalesce(_ADDRESS_COLUMNS[c.field], "")
        return _rows_text(
            lambda pred: select(ContactAddress.contact_id).where(
                ContactAddress.deleted_at.is_(None), pred
            ),
            column,
            c,
        )

    def _custom(self, c: Condition) -> Clause:
        name = c.field[len(CUSTOM_PREFIX) :].strip()
        column = func.coalesce(CustomValue.value, "")
        return _rows_text(
            lambda pred: (
                select(CustomValue.target_id)
                .join(CustomField, CustomField.id == CustomValue.field_id)
                .where(
                    CustomValue.deleted_at.is_(None),
                    CustomField.deleted_at.is_(None),
                    CustomField.target_kind == "contact",
                    func.lower(CustomField.name) == _lower(name),
                    pred,
                )
            ),
            column,
            c,
        )

    def _tag(self, c: Condition) -> Clause:
        tagged = (
            select(Tagging.target_id)
            .join(Tag, Tag.id == Tagging.tag_id)
            .where(
                func.lower(Tag.name) == _lower(str(c.value)),
                Tagging.deleted_at.is_(None),
                Tag.deleted_at.is_(None),
            )
        )
        return Contact.id.in_(tagged) if c.op == "has" else Contact.id.not_in(tagged)

    def _ref(self, c: Condition) -> Clause:
        column = Contact.owner_id if c.field == "owner" else Contact.company_id
        if c.op in ("empty", "not_empty"):
            return column.is_(None) if c.op == "empty" else column.is_not(None)
        model = User if c.field == "owner" else Company
        wanted = str(c.value)
        ids = select(model.id).where(
            model.deleted_at.is_(None),
            or_(model.id == wanted, func.lower(model.name) == _lower(wanted)),
        )
        clause: Clause = column.in_(ids)
        if c.field == "company":  # a person may hold roles at several companies
            clause = or_(
                clause,
                Contact.id.in_(
                    select(ContactRole.contact_id).where(
                        ContactRole.deleted_at.is_(None), ContactRole.company_id.in_(ids)
                    )
                ),
            )
        if c.op == "is":
            return clause
        return or_(column.is_(None), not_(clause))

    def _age(self, c: Condition) -> Clause:
        b = Contact.birthday
        if c.op in ("empty", "not_empty"):
            return b.is_(None) if c.op == "empty" else b.is_not(None)

        def at_least(n: float) -> Clause:  # age >= n
            return b <= years_ago(self.today, int(n))

        def at_most(n: float) -> Clause:  # age <= n
            return b > years_ago(self.today, int(n) + 1)

        v = c.value
        low, high = (min(v), max(v)) if c.op == "between" else (v, v)
        if c.op in (">", ">="):
            clause = at_least(int(v) + 1 if c.op == ">" else v)
        elif c.op in ("<", "<="):
            clause = at_most(int(v) - 1 if c.op == "<" else v)
        else:  # =, != and between
            clause = and_(at_least(low), at_most(high))
            if c.op == "!=":
                clause = not_(clause)
        return and_(b.is_not(None), clause)

    def _birthday(self, c: Condition) -> Clause:
        b = Contact.birthday
        if c.op in ("empty", "not_empty"):
            return b.is_(None) if c.op == "empty" else b.is_not(None)
        month = extract("month", b)
        if c.op == "in_month":
            return and_(b.is_not(None), month == int(c.value))
        days = [m * 100 + d for m, d in upcoming_month_days(self.today, int(c.value))]
        return and_(b.is_not(None), (month * 100 + extract("day", b)).in_(days))

    def _stamp(self, column: Any, c: Condition) -> Clause:
        if c.op in ("empty", "not_empty"):
            return typing.cast(Clause, column.is_(None) if c.op == "empty" else column.is_not(None))
        return and_(column.is_not(None), self._time_range(column, c))

    def _time_range(self, column: Any, c: Condition) -> Clause:
        span = day_range(c.op, c.value, self.today)
        parts: list[Clause] = []
        if span.start is not None:
            parts.append(column >= _midnight(span.start))
        if span.end is not None:
            parts.append(column < _midnight(span.end + dt.timedelta(days=1)))
        return and_(true(), *parts)

    def _date_range(self, column: Any, c: Condition) -> Clause:
        span = day_range(c.op, c.value, self.today)
        parts: list[Clause] = []
        if span.start is not None:
            parts.append(column >= literal(span.start, Date))
        if span.end is not None:
            parts.append(column <= literal(span.end, Date))
        return and_(true(), *parts)

    # ---- behaviour ------------------------------------------------------------------------

    def _day(self, column: Any) -> Any:
        return func.date(column) if self._sqlite else cast(column, Date)

    def purchases(self) -> Any:
        """Orders and won deals of contacts: (contact_id, day, amount)."""
        orders = select(
            Order.contact_id.label("contact_id"),
            Order.ordered_on.label("day"),
            Order.amount_cents.label("amount"),
        ).where(Order.deleted_at.is_(None), Order.contact_id.is_not(None))
        deals = select(
            Deal.contact_id.label("contact_id"),
            self._day(Deal.closed_at).label("day"),
            Deal.value_cents.label("amount"),
        ).where(
            Deal.deleted_at.is_(None),
            Deal.status == "won",
            Deal.contact_id.is_not(None),
            Deal.closed_at.is_not(None),
        )
        return union_all(orders, deals).subquery("purchases")

    def _orders(self, c: Condition) -> Clause:
        key = Order.contact_id
        base = select(key).where(Order.deleted_at.is_(None), key.is_not(None)).group_by(key)
        return _grouped(base, func.count(), c, 0)

    def _open_deals(self, c: Condition) -> Clause:
        key = Deal.contact_id
        base = (
            select(key)
            .where(Deal.deleted_at.is_(None), Deal.status == "open", key.is_not(None))
            .group_by(key)
        )
        return _grouped(base, func.count(), c, 0)

    def _total_spend(self, c: Condition) -> Clause:
        p = self.purchases()
        base = select(p.c.contact_id).group_by(p.c.contact_id)
        return _grouped(base, func.sum(p.c.amount), c, 0)

    def _last_order(self, c: Condition) -> Clause:
        key = Order.contact_id
        base = select(key).where(Order.deleted_at.is_(None), key.is_not(None)).group_by(key)
        if c.op in ("empty", "not_empty"):
            return Contact.id.not_in(base) if c.op == "empty" else Contact.id.in_(base)
        return Contact.id.in_(base.having(self._date_range(func.max(Order.ordered_on), c)))

    def _last_activity(self, c: Condition) -> Clause:
        key = Activity.contact_id
        when = func.coalesce(Activity.done_at, Activity.starts_at)
        tomorrow = _midnight(self.today + dt.timedelta(days=1))
        base = (
            select(key)
            .where(
                Activity.deleted_at.is_(None),
                key.is_not(None),
                when.is_not(None),
                when < tomorrow,  # what happened, not what is planned
            )
            .group_by(key)
        )
        if c.op in ("empty", "not_empty"):
            return Contact.id.not_in(base) if c.op == "empty" else Contact.id.in_(base)
        return Contact.id.in_(base.having(self._time_range(func.max(when), c)))

    # ---- consent and RFM ------------------------------------------------------------------

    def _consent(self, c: Condition) -> Clause:
        purpose = c.purpose
        if c.op == "unknown":
            return Contact.id.not_in(
                select(Consent.contact_id).where(
                    Consent.purpose == purpose, Consent.deleted_at.is_(None)
                )
            )
        status = "withdrawn" if c.op == "withdrawn" else "granted"
        latest = latest_consent(purpose, status)
        return Contact.id.not_in(latest) if c.op == "not_granted" else Contact.id.in_(latest)

    def rfm_cuts(self) -> RfmCuts:
        """The cut points of the scores over every contact with a purchase (once)."""
        if self._cuts is None:
            if self._rfm_cache is not None:
                self._cuts = self._rfm_cache.cuts(self)
            else:
                self._cuts = RfmCuts.of(self.customer_purchases())
        return self._cuts

    def purchases_version(self) -> tuple[Any, ...]:
        """What changes when an order or a deal is added, edited or deleted."""
        orders = self.session.execute(
            select(func.count(), func.max(Order.updated_at), func.max(Order.deleted_at))
        ).one()
        deals = self.session.execute(
            select(func.count(), func.max(Deal.updated_at), func.max(Deal.closed_at))
        ).one()
        return (*orders, *deals)

    def rfm_of(self, contact_id: str) -> RfmScore | None:
        """One contact's scores and class (None: never bought)."""
        p = self.purchases()
        row = self.session.execute(
            select(func.max(p.c.day), func.count(), func.sum(p.c.amount)).where(
                p.c.contact_id == contact_id
            )
        ).one()
        if not row[1]:
            return None
        mine = Purchases(contact_id, _as_date(row[0]), int(row[1]), int(row[2] or 0))
        return score_of(mine, self.rfm_cuts())

    def customer_purchases(self) -> list[Purchases]:
        p = self.purchases()
        rows = self.session.execute(
            select(p.c.contact_id, func.max(p.c.day), func.count(), func.sum(p.c.amount)).group_by(
                p.c.contact_id
            )
        )
        return [Purchases(k, _as_date(day), int(n), int(total)) for k, day, n, total in rows]

    def rfm_class_column(self) -> tuple[Any, Any]:
        """(contact id, class name) per contact with a purchase, as a sub-select."""
        cuts = self.rfm_cuts()
        p = self.purchases()
        last = func.max(p.c.day)
        scores = (
            select(
                p.c.contact_id.label("contact_id"),
                _score(last, [literal(d, Date) for d in cuts.recency]).label("r"),
                _score(func.count(), list(cuts.frequency)).label("f"),
                _score(func.sum(p.c.amount), list(cuts.monetary)).label("m"),
            )
            .group_by(p.c.contact_id)
            .subquery("scores")
        )
        name = case(
            *[
                (
                    and_(
                        *[
                            col.between(lo, hi)
                            for col, (lo, hi) in zip(
                                (scores.c.r, scores.c.f, scores.c.m), rule.bounds(), strict=True
                            )
                        ]
                    ),
                    rule.name,
                )
                for rule in RULES
            ],
            else_="Lost",
        )
        return scores.c.contact_id, name

    def _rfm(self, c: Condition) -> Clause:
        if c.op == "none":
            p = self.purchases()
            return Contact.id.not_in(select(p.c.contact_id))
        key, name = self.rfm_class_column()
        members = select(key).where(name.in_(list(c.value)))
        return Contact.id.in_(members) if c.op == "in" else Contact.id.not_in(members)


def latest_consent(purpose: str, status: str) -> Select[Any]:
    """Contacts whose latest consent record for `purpose` has this status (the ledger is
    appended to; the newest record of a purpose is the one in force)."""
    newer = aliased(Consent)
    return select(Consent.contact_id).where(
        Consent.purpose == purpose,
        Consent.deleted_at.is_(None),
        Consent.status == status,
        ~exists().where(
            newer.contact_id == Consent.contact_id,
            newer.purpose == purpose,
            newer.deleted_at.is_(None),
            tuple_(newer.recorded_at, newer.id) > tuple_(Consent.recorded_at, Consent.id),
        ),
    )


# ---- helpers -----------------------------------------------------------------------------------


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _score(expr: Any, cuts: list[Any]) -> Any:
    """1 + the number of cuts the value is above (domain.rfm.score, in SQL)."""
    if not cuts:
        return literal(1)
    total: Any = literal(1)
    for cut in cuts:
        total = total + case((expr > cut, 1), else_=0)
    return total


def _text(column: Any, op: str, value: Any) -> Clause:
    return typing.cast(Clause, _text_any(column, op, value))


def _text_any(column: Any, op: str, value: Any) -> Any:
    if op == "empty":
        return column == ""
    if op == "not_empty":
        return column != ""
    low = func.lower(column)
    if op == "in":
        return low.in_([_lower(str(v)) for v in value])
    text = str(value)
    if op == "is":
        return low == _lower(text)
    if op == "is_not":
        return low != _lower(text)
    if op == "contains":
        return low.like(_lower(f"%{_like_escape(text)}%"), escape="\\")
    if op == "starts_with":
        return low.like(_lower(f"{_like_escape(text)}%"), escape="\\")
    raise AssertionError(op)  # pragma: no cover


def _rows_text(rows: Callable[[Clause], Any], column: Any, c: Condition) -> Clause:
    """A text condition over child rows (addresses, custom values; `rows` selects their
    contact ids): some row matches; for `is_not` and `empty`, no row has the value."""
    if c.op == "is_not":
        return Contact.id.not_in(rows(_text(column, "is", c.value)))
    if c.op == "empty":
        return Contact.id.not_in(rows(_text(column, "not_empty", None)))
    return Contact.id.in_(rows(_text(column, c.op, c.value)))


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _number_sql(expr: Any, op: str, value: Any) -> Clause:
    if op == "between":
        clause: Clause = expr.between(min(value), max(value))
        return clause
    if op in ("empty", "not_empty"):
        return false() if op == "empty" else true()
    compared: Clause = _COMPARE[op](expr, value)
    return compared


def _number_py(op: str, value: Any, x: float) -> bool:
    if op == "between":
        return bool(min(value) <= x <= max(value))
    if op in ("empty", "not_empty"):
        return (x == 0) == (op == "empty")
    return bool(_COMPARE[op](x, value))


def _grouped(base: Select[Any], aggregate: Any, c: Condition, default: float) -> Clause:
    """Contacts whose aggregate over their rows (`base`: one key per group) meets the
    condition; those without rows have `default`."""
    if c.op in ("empty", "not_empty"):
        return Contact.id.not_in(base) if c.op == "empty" else Contact.id.in_(base)
    if _number_py(c.op, c.value, default):
        return Contact.id.not_in(base.having(not_(_number_sql(aggregate, c.op, c.value))))
    return Contact.id.in_(base.having(_number_sql(aggregate, c.op, c.value)))
