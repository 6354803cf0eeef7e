"""Segment filters: conditions on contacts, nested in AND / OR groups, read from and
written to JSON (the format is documented in the README, "Segments").

A filter is a tree of `Group`s and `Condition`s. It says what to match; the persistence
layer compiles it to one SQL query (`persistence.segment_sql`), given the day that
relative dates ("in the last 90 days") count from. Parsing checks every field, operator
and value, so a bad file is one clear `ValidationError`, never a failing query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from crm_desktop.domain.consent import PURPOSES as CONSENT_PURPOSES
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.rfm import RFM_CLASSES


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    TAG = "tag"
    REF = "ref"  # owner / company: an id or a name
    CONSENT = "consent"
    RFM = "rfm"
    BIRTHDAY = "birthday"
    SEARCH = "search"


# Operators by kind of field. Dates take absolute days and relative windows.
TEXT_OPS = ("is", "is_not", "contains", "starts_with", "empty", "not_empty", "in")
NUMBER_OPS = ("=", "!=", "<", "<=", ">", ">=", "between", "empty", "not_empty")
DATE_OPS = (
    "on",
    "before",
    "after",
    "between",
    "in_last_days",
    "not_in_last_days",
    "in_next_days",
    "empty",
    "not_empty",
)
OPS: dict[Kind, tuple[str, ...]] = {
    Kind.TEXT: TEXT_OPS,
    Kind.NUMBER: NUMBER_OPS,
    Kind.MONEY: NUMBER_OPS,
    Kind.DATE: DATE_OPS,
    Kind.TAG: ("has", "has_not"),
    Kind.REF: ("is", "is_not", "empty", "not_empty"),
    Kind.CONSENT: ("granted", "withdrawn", "not_granted", "unknown"),
    Kind.RFM: ("in", "not_in", "none"),
    Kind.BIRTHDAY: ("in_next_days", "in_month", "empty", "not_empty"),
    Kind.SEARCH: ("matches",),
}
NO_VALUE = {"empty", "not_empty", "granted", "withdrawn", "not_granted", "unknown", "none"}


@dataclass(frozen=True)
class FieldInfo:
    name: str
    kind: Kind
    label: str


FIELDS: dict[str, FieldInfo] = {
    f.name: f
    for f in (
        FieldInfo("first_name", Kind.TEXT, "First name"),
        FieldInfo("last_name", Kind.TEXT, "Last name"),
        FieldInfo("email", Kind.TEXT, "E-mail"),
        FieldInfo("phone", Kind.TEXT, "Phone"),
        FieldInfo("title", Kind.TEXT, "Job title"),
        FieldInfo("city", Kind.TEXT, "City"),
        FieldInfo("country", Kind.TEXT, "Country"),
        FieldInfo("postcode", Kind.TEXT, "Postcode"),
        FieldInfo("lead_source", Kind.TEXT, "Lead source"),
        FieldInfo("notes", Kind.TEXT, "Notes"),
        FieldInfo("company", Kind.REF, "Company"),
        FieldInfo("owner", Kind.REF, "Owner"),
        FieldInfo("tag", Kind.TAG, "Tag"),
        FieldInfo("age", Kind.NUMBER, "Age"),
        FieldInfo("birthday", Kind.BIRTHDAY, "Birthday"),
        FieldInfo("created", Kind.DATE, "Created"),
        FieldInfo("updated", Kind.DATE, "Last changed"),
        FieldInfo("orders", Kind.NUMBER, "Number of orders"),
        FieldInfo("last_order", Kind.DATE, "Last order"),
        FieldInfo("total_spend", Kind.MONEY, "Total spend"),
        FieldInfo("open_deals", Kind.NUMBER, "Open deals"),
        FieldInfo("last_activity", Kind.DATE, "Last activity"),
        FieldInfo("rfm", Kind.RFM, "RFM class"),
        FieldInfo("consent", Kind.CONSENT, "Consent"),
        FieldInfo("search", Kind.SEARCH, "Search"),
    )
}
CUSTOM_PREFIX = "custom:"  # "custom:Shoe size": a custom field of contacts, by name


def field_info(name: str) -> FieldInfo:
    if name in FIELDS:
        return FIELDS[name]
    if name.startswith(CUSTOM_PREFIX) and name[len(CUSTOM_PREFIX) :].strip():
        return FieldInfo(name, Kind.TEXT, name[len(CUSTOM_PREFIX) :].strip())
    known = ", ".join(FIELDS)
    raise ValidationError(f"unknown field {name!r} (known: {known}, or custom:NAME)")


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None
    purpose: str = ""  # consent conditions only

    @property
    def info(self) -> FieldInfo:
        return field_info(self.field)


@dataclass(frozen=True)
class Group:
    """All (AND) or any (OR) of its items; `negate` turns it into NOT."""

    items: tuple[Condition | Group, ...] = ()
    any: bool = False
    negate: bool = False

    @property
    def empty(self) -> bool:
        return not self.items

    def conditions(self) -> list[Condition]:
        """Every condition in the tree, depth first."""
        found: list[Condition] = []
        for item in self.items:
            found += item.conditions() if isinstance(item, Group) else [item]
        return found


Node = Condition | Group
MAX_DEPTH = 8


# ---- parsing ---------------------------------------------------------------------------------


def parse_filter(data: Any) -> Group:
    """A filter from its JSON form ({"all": [...]}, {"any": [...]}, {"not": {...}} or a
    single condition). Also reads the older saved-list form {"search", "tag",
    "owner_id", "company_id"}."""
    if isinstance(data, Mapping) and not ({"all", "any", "not", "field"} & set(data)):
        return _legacy(data)
    node = _node(data, "filter", 0)
    return node if isinstance(node, Group) else Group((node,))


def _legacy(data: Mapping[str, Any]) -> Group:
    items: list[Node] = []
    if data.get("search"):
        items.append(Condition("search", "matches", str(data["search"])))
    if data.get("tag"):
        items.append(Condition("tag", "has", str(data["tag"])))
    if data.get("owner_id"):
        items.append(Condition("owner", "is", str(data["owner_id"])))
    if data.get("company_id"):
        items.append(Condition("company", "is", str(data["company_id"])))
    unknown = set(data) - {"search", "tag", "owner_id", "company_id"}
    if unknown:
        raise ValidationError(
            f'a filter is {{"all": [...]}} or {{"any": [...]}}; unknown key {sorted(unknown)[0]!r}'
        )
    return Group(tuple(items))


def _node(data: Any, where: str, depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise ValidationError(f"{where}: groups are nested more than {MAX_DEPTH} deep")
    if not isinstance(data, Mapping):
        raise ValidationError(f"{where}: expected an object, got {type(data).__name__}")
    keys = {"all", "any", "not"} & set(data)
    if len(keys) > 1:
        raise ValidationError(f"{where}: use one of all / any / not per group")
    if "not" in data:
        inner = _node(data["not"], f"{where}.not", depth + 1)
        group = inner if isinstance(inner, Group) else Group((inner,))
        return Group(group.items, group.any, not group.negate)
    if keys:
        key = keys.pop()
        items = data[key]
        if not isinstance(items, list):
            raise ValidationError(f"{where}.{key}: expected a list of conditions")
        return Group(
            tuple(_node(x, f"{where}.{key}[{i}]", depth + 1) for i, x in enumerate(items)),
            any=key == "any",
        )
    return _condition(data, where)


def _condition(data: Mapping[str, Any], where: str) -> Condition:
    name = data.get("field")
    if not isinstance(name, str):
        raise ValidationError(f'{where}: a condition needs a "field"')
    info = field_info(name)
    op = data.get("op", "granted" if info.kind is Kind.CONSENT else None)
    if op not in OPS[info.kind]:
        raise ValidationError(
            f"{where}: {name} takes the operators {', '.join(OPS[info.kind])}, not {op!r}"
        )
    purpose = ""
    if info.kind is Kind.CONSENT:
        purpose = str(data.get("purpose", ""))
        if purpose not in CONSENT_PURPOSES:
            raise ValidationError(
                f"{where}: consent needs a purpose: {', '.join(CONSENT_PURPOSES)}"
            )
    value = None if op in NO_VALUE else _value(info, op, data.get("value"), f"{where}: {name}")
    return Condition(name, op, value, purpose)


def _value(info: FieldInfo, op: str, value: Any, where: str) -> Any:
    if value is None:
        raise ValidationError(f'{where} {op} needs a "value"')
    if info.kind is Kind.RFM:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names:
            raise ValidationError(f"{where}: give a class or a list of classes")
        unknown = [n for n in names if n not in RFM_CLASSES]
        if unknown:
            raise ValidationError(
                f"{where}: unknown class {unknown[0]!r} (classes: {', '.join(RFM_CLASSES)})"
            )
        return tuple(names)
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise ValidationError(f"{where} between needs a list of two values")
        return tuple(_scalar(info, op, v, where) for v in value)
    if op == "in":
        if not isinstance(value, list) or not value:
            raise ValidationError(f"{where} in needs a non-empty list")
        return tuple(str(v) for v in value)
    return _scalar(info, op, value, where)


def _scalar(info: FieldInfo, op: str, value: Any, where: str) -> Any:
    if op in ("in_last_days", "not_in_last_days", "in_next_days") or info.kind in (
        Kind.NUMBER,
        Kind.MONEY,
    ):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(f"{where} {op} needs a number, not {value!r}")
        if op.endswith("_days") and not 0 <= value <= 36_600:
            raise ValidationError(f"{where} {op}: days from 0 to 36600, not {value}")
        return round(value * 100) if info.kind is Kind.MONEY else value
    if op == "in_month":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 12:
            raise ValidationError(f"{where} in_month needs a month 1-12, not {value!r}")
        return value
    if info.kind is Kind.DATE:
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(f"{where}: a day is written YYYY-MM-DD, not {value!r}") from None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValidationError(f"{where}: expected text, not {value!r}")
    return str(value)


# ---- writing ---------------------------------------------------------------------------------


def filter_to_json(node: Node) -> dict[str, Any]:
    """The JSON form of a filter (what `parse_filter` reads back to an equal filter)."""
    if isinstance(node, Condition):
        out: dict[str, Any] = {"field": node.field, "op": node.op}
        if node.purpose:
            out["purpose"] = node.purpose
        if node.value is not None:
            out["value"] = _json_value(node)
        return out
    body = {"any" if node.any else "all": [filter_to_json(x) for x in node.items]}
    return {"not": body} if node.negate else body


def _json_value(c: Condition) -> Any:
    def one(v: Any) -> Any:
        if isinstance(v, dt.date):
            return v.isoformat()
        if c.info.kind is Kind.MONEY and not c.op.endswith("_days"):
            return v / 100 if v % 100 else v // 100
        return v

    if isinstance(c.value, tuple):
        return [one(v) for v in c.value]
    return one(c.value)


# ---- relative days ---------------------------------------------------------------------------


def years_ago(today: dt.date, years: int) -> dt.date:
    """The same day `years` years before (29 February: the 28th)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def upcoming_month_days(today: dt.date, days: int) -> list[tuple[int, int]]:
    """(month, day) of today and the next `days` days (a birthday "in the next N days";
    29 February counts on the 28th in other years)."""
    seen: dict[tuple[int, int], None] = {}
    for offset in range(min(days, 366) + 1):
        d = today + dt.timedelta(days=offset)
        seen[(d.month, d.day)] = None
        if (d.month, d.day) == (2, 28) and not _leap(d.year):
            seen[(2, 29)] = None
    return list(seen)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


@dataclass(frozen=True)
class DayRange:
    """A range of days, either end open (None): the meaning of a date condition."""

    start: dt.date | None = None  # included
    end: dt.date | None = None  # included


def day_range(op: str, value: Any, today: dt.date) -> DayRange:
    """The days a date operator accepts, counted from `today`."""
    if op == "on":
        return DayRange(value, value)
    if op == "before":
        return DayRange(None, value - dt.timedelta(days=1))
    if op == "after":
        return DayRange(value + dt.timedelta(days=1), None)
    if op == "between":
        return DayRange(min(value), max(value))
    if op == "in_last_days":
        return DayRange(today - dt.timedelta(days=int(value)), today)
    if op == "not_in_last_days":
        return DayRange(None, today - dt.timedelta(days=int(value) + 1))
    if op == "in_next_days":
        return DayRange(today, today + dt.timedelta(days=int(value)))
    raise ValidationError(f"{op} is not an operator of days")


# ---- describing ------------------------------------------------------------------------------


def describe(node: Node) -> str:
    """A one-line, human reading of a filter (shown under a segment's name)."""
    if isinstance(node, Condition):
        label = node.info.label
        if node.purpose:
            label = f"{label} for {node.purpose.replace('_', ' ')}"
        op = node.op.replace("_", " ")
        if node.value is None:
            return f"{label} {op}"
        value = _json_value(node)
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        return f"{label} {op} {shown}"
    if not node.items:
        return "everyone"
    joined = (" or " if node.any else " and ").join(
        f"({describe(x)})" if isinstance(x, Group) and len(x.items) > 1 else describe(x)
        for x in node.items
    )
    return f"not ({joined})" if node.negate else joined


@dataclass(frozen=True)
class SegmentRecord:
    id: str
    name: str
    filter: Group = field(default_factory=Group)
    count: int | None = None  # filled where asked for (the CLI's list, the sidebar)

    @property
    def description(self) -> str:
        return describe(self.filter)


def conditions_named(group: Group, names: Sequence[str]) -> list[Condition]:
    return [c for c in group.conditions() if c.field in names]
