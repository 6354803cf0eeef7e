"""The change log's names and values (SYNC.md points 3 and 11): what travels between devices.

Entities and fields are named on the wire by stable names from the tables below, not by
the table layout: renaming a table or a column changes the mapping here, never the
protocol. Values are JSON; a typed codec per column turns them back into Python values
by the column's type (no guessing from the text, no string slicing).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, Integer

from crm_desktop.domain.derived import CONTACT_DERIVED
from crm_desktop.domain.errors import CrmError
from crm_desktop.persistence.models import (
    Activity,
    Campaign,
    CampaignMember,
    Company,
    Consent,
    Contact,
    ContactAddress,
    ContactEmail,
    ContactPhone,
    ContactRole,
    CustomField,
    CustomValue,
    Deal,
    DealItem,
    DealStageHistory,
    Entity,
    ForecastSnapshot,
    ForecastSnapshotLine,
    Order,
    Pipeline,
    Product,
    Reason,
    Segment,
    Setting,
    Stage,
    Tag,
    Tagging,
    User,
    UtcDateTime,
    column_default,
)

# Wire name -> model. Written out on purpose: a renamed table keeps its wire name here.
ENTITIES: Mapping[str, type[Entity]] = {
    "users": User,
    "companies": Company,
    "contacts": Contact,
    "contact_emails": ContactEmail,
    "contact_phones": ContactPhone,
    "contact_addresses": ContactAddress,
    "contact_roles": ContactRole,
    "tags": Tag,
    "taggings": Tagging,
    "custom_fields": CustomField,
    "custom_values": CustomValue,
    "pipelines": Pipeline,
    "stages": Stage,
    "reasons": Reason,
    "products": Product,
    "campaigns": Campaign,
    "deals": Deal,
    "deal_items": DealItem,
    "deal_stage_history": DealStageHistory,
    "activities": Activity,
    "orders": Order,
    "consents": Consent,
    "segments": Segment,
    "campaign_members": CampaignMember,
    "forecast_snapshots": ForecastSnapshot,
    "forecast_snapshot_lines": ForecastSnapshotLine,
    "settings": Setting,
}
_NAMES: Mapping[type[Entity], str] = {model: name for name, model in ENTITIES.items()}
# Wire field names that differ from the attribute's name (none yet: a renamed attribute
# adds its old name here as model -> {wire name: attribute}).
_FIELD_RENAMES: Mapping[type[Entity], Mapping[str, str]] = {}

# Never recorded: the key, the local edit time (derived from the change clocks) and the
# derived columns, which are recomputed on every device (domain/derived.py).
UNTRACKED_FIELDS = frozenset({"id", "updated_at"})
DERIVED_FIELDS: Mapping[str, frozenset[str]] = {"contacts": frozenset(CONTACT_DERIVED)}
# The `field` of a change that creates a row; its value is a JSON object of the fields.
INSERT_FIELD = "*"


class UnknownEntityError(CrmError):
    """A change names an entity or field this version of the app does not know."""


def entity_name(model: type[Entity]) -> str:
    """The wire name of a model."""
    return _NAMES[model]


def model_for(entity: str) -> type[Entity]:
    try:
        return ENTITIES[entity]
    except KeyError:
        raise UnknownEntityError(
            f"changes for '{entity}' come from a newer version of crm-desktop; update it"
        ) from None


def untracked(entity: str) -> frozenset[str]:
    """The fields of an entity that are never recorded as changes."""
    return UNTRACKED_FIELDS | DERIVED_FIELDS.get(entity, frozenset())


# ---- values --------------------------------------------------------------------------------


def _datetime(value: Any) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:  # stored text of the bulk path: naive UTC
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _date(value: Any) -> Any:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class FieldCodec:
    """How one tracked field of one entity travels."""

    wire: str  # the name on the wire
    key: str  # the model's attribute (and column key)
    decode: Callable[[Any], Any]  # JSON-decoded value -> Python value (None stays None)
    empty: Any  # what a field left out of an insert means (None or "")
    required: bool  # NOT NULL without a default: a row can't exist without it
    foreign: str | None  # the wire name of the entity it points at, if any


@dataclass(frozen=True)
class EntityCodec:
    name: str
    model: type[Entity]
    fields: Mapping[str, FieldCodec]  # by wire name, tracked fields only

    def decode(self, field: str, text: str | None) -> Any:
        """A change's JSON value as the Python value of the field."""
        value = None if text is None else json.loads(text)
        return self.fields[field].decode(value) if value is not None else None

    def decode_insert(self, text: str | None) -> dict[str, Any]:
        """The fields of a row-creating change (`*`): every tracked field, a field left
        out of the object being its empty value. Fields this app does not know, or no
        longer records (derived ones), are left out."""
        values = json.loads(text) if text else {}
        row: dict[str, Any] = {}
        for wire, codec in self.fields.items():
            raw = values.get(wire)
            row[wire] = codec.empty if raw is None or raw == "" else codec.decode(raw)
        return row


def _decoder(column: Any) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, UtcDateTime):
        return _datetime
    if isinstance(kind, Date):
        return _date
    if isinstance(kind, Boolean):
        return bool
    if isinstance(kind, Integer | BigInteger):
        return int
    return _text


@cache
def codec(entity: str) -> EntityCodec:
    """The codec of an entity by its wire name."""
    model = model_for(entity)
    renamed = {attr: wire for wire, attr in _FIELD_RENAMES.get(model, {}).items()}
    skip = untracked(entity)
    fields: dict[str, FieldCodec] = {}
    for column in model.__table__.columns:
        if column.key in skip:
            continue
        wire = renamed.get(column.key, column.key)
        foreign = next(iter(column.foreign_keys), None)
        decode = _decoder(column)
        fields[wire] = FieldCodec(
            wire=wire,
            key=column.key,
            decode=decode,
            empty=None if column.nullable else "" if decode is _text else column_default(column),
            required=not column.nullable and column.default is None,
            foreign=_NAMES[_model_of_table(foreign.column.table.name)] if foreign else None,
        )
    return EntityCodec(entity, model, fields)


def _model_of_table(table: str) -> type[Entity]:
    return next(m for m in ENTITIES.values() if m.__tablename__ == table)


def wire_field(entity: str, key: str) -> str:
    """The wire name of a model attribute."""
    for wire, attr in _FIELD_RENAMES.get(model_for(entity), {}).items():
        if attr == key:
            return wire
    return key
