"""SQLAlchemy 2 typed models: the schema of one device's database.

Rules (ARCHITECTURE.md, SYNC.md): text UUID keys made by the app, soft deletes through
`deleted_at`, money in integer cents beside a currency code, times stored as naive UTC.
Every synced table is an `Entity`; `change`, `local_meta` and the search tables are local.

No `from __future__ import annotations` here: with it every `Mapped[...]` is a string
SQLAlchemy must clean up and evaluate when the class is mapped, which was a fifth of
importing this module on every start.
"""

import datetime as dt
import os
import random
import time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _seeded() -> random.Random:
    return random.Random(int.from_bytes(os.urandom(32)))


# The random bits of keys come from a generator seeded with 256 bits from the OS, not from
# the OS for every key (a system call each: a tenth of a bulk insert's Python time). Keys
# need to be unique, not unguessable: two devices (or two runs) start from different
# seeds, and a forked child reseeds so it never repeats its parent's keys.
_random = _seeded()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _random.seed(int.from_bytes(os.urandom(32))))


def new_id() -> str:
    """A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.
    Unique across devices like uuid4, but new keys land at the end of every index, which
    keeps bulk inserts into large tables fast. The text of `uuid7`, in one expression (a
    bulk import makes several keys per row)."""
    bits = _random.getrandbits(74)
    value = (time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF) << 80 | _VERSION_VARIANT
    text = f"{value | (bits >> 62) << 64 | bits & 0x3FFF_FFFF_FFFF_FFFF:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_VERSION_VARIANT = 0x7 << 76 | 0b10 << 62


def uuid7(millis: int, random_bits: int) -> str:
    """Format a version 7 UUID from a millisecond time and at least 74 random bits."""
    value = (millis & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76 | ((random_bits >> 62) & 0xFFF) << 64
    value |= 0b10 << 62 | (random_bits & 0x3FFF_FFFF_FFFF_FFFF)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def column_default(column: Any) -> Any:
    """The value a column's Python-side default gives a new row (None if it has none)."""
    default = column.default
    if default is None:
        return None
    return default.arg if default.is_scalar else default.arg(None)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database (sorts as text in SQLite)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Entity(Base):
    """A synced record: UUID key, creation time, soft delete."""

    __abstract__ = True

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)


def _fk(target: str, nullable: bool = True) -> Any:
    # No ON DELETE: rows are soft-deleted, and synced changes may arrive in any order.
    return mapped_column(String(36), ForeignKey(target), nullable=nullable, index=True)


# ---- people and organisations ----------------------------------------------------------------


class User(Entity):
    """An owner / account manager."""

    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Company(Entity):
    __tablename__ = "companies"
    name: Mapped[str] = mapped_column(String(300), index=True)
    domain: Mapped[str] = mapped_column(String(300), default="")
    industry: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    street: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(32), default="")
    country: Mapped[str] = mapped_column(String(100), default="")
    lead_source: Mapped[str] = mapped_column(String(100), default="")
    owner_id: Mapped[str | None] = _fk("users.id")
    notes: Mapped[str] = mapped_column(Text, default="")


class Contact(Entity):
    """A person. `email`, `phone`, `company_id`, `title` and `city` repeat the first entry of
    their lists so the 100k-row list sorts and pages in SQL without joins."""

    __tablename__ = "contacts"
    # The list's order read from an index alone; and, for a search's matches (ids), the
    # two columns the list filters and sorts them by, without visiting the wide rows.
    __table_args__ = (
        Index("ix_contacts_list", "sort_name", "id", "deleted_at"),
        Index("ix_contacts_by_id", "id", "deleted_at", "sort_name"),
    )
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    sort_name: Mapped[str] = mapped_column(String(400), default="")
    email: Mapped[str] = mapped_column(String(320), default="", index=True)
    phone: Mapped[str] = mapped_column(String(64), default="")
    company_id: Mapped[str | None] = _fk("companies.id")
    title: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    birthday: Mapped[dt.date | None] = mapped_column(Date, default=None)
    lead_source: Mapped[str] = mapped_column(String(100), default="")
    owner_id: Mapped[str | None] = _fk("users.id")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Stay-in-touch cadence in days (0: none).
    cadence_days: Mapped[int] = mapped_column(Integer, default=0)
    # A name as an address book writes it: the parts beyond first and last, and the
    # formatted name when it is not simply "first last" ("" = built from the parts).
    prefix: Mapped[str] = mapped_column(String(50), default="")
    middle_name: Mapped[str] = mapped_column(String(200), default="")
    suffix: Mapped[str] = mapped_column(String(50), default="")
    nickname: Mapped[str] = mapped_column(String(200), default="")
    formatted_name: Mapped[str] = mapped_column(String(400), default="")
    job_title: Mapped[str] = mapped_column(String(200), default="")  # without a company
    department: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    anniversary: Mapped[dt.date | None] = mapped_column(Date, default=None)
    websites: Mapped[str] = mapped_column(Text, default="")  # one URL per line


class ContactEmail(Entity):
    __tablename__ = "contact_emails"
    contact_id: Mapped[str] = _fk("contacts.id", nullable=False)
    email: Mapped[str] = mapped_column(String(320))
    label: Mapped[str] = mapped_column(String(40), default="work")
    position: Mapped[int] = mapped_column(Integer, default=0)


class ContactPhone(Entity):
    __tablename__ = "contact_phones"
    contact_id: Mapped[str] = _fk("contacts.id", nullable=False)
    number: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(40), default="work")
    position: Mapped[int] = mapped_column(Integer, default=0)


class ContactAddress(Entity):
    __tablename__ = "contact_addresses"
    contact_id: Mapped[str] = _fk("contacts.id", nullable=False)
    label: Mapped[str] = mapped_column(String(40), default="work")
    street: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(32), default="")
    country: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class ContactRole(Entity):
    """A person's role at a company (a person may hold several)."""

    __tablename__ = "contact_roles"
    contact_id: Mapped[str] = _fk("contacts.id", nullable=False)
    company_id: Mapped[str] = _fk("companies.id", nullable=False)
    title: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Tag(Entity):
    __tablename__ = "tags"
    name: Mapped[str] = mapped_column(String(100), index=True)
    color: Mapped[str] = mapped_column(String(16), default="")


class Tagging(Entity):
    """A tag on a record of any kind (contacts, companies, deals)."""

    __tablename__ = "taggings"
    __table_args__ = (Index("ix_taggings_target", "target_id", "tag_id"),)
    tag_id: Mapped[str] = _fk("tags.id", nullable=False)
    target_id: Mapped[str] = mapped_column(String(36))
    target_kind: Mapped[str] = mapped_column(String(20))


class CustomField(Entity):
    __tablename__ = "custom_fields"
    target_kind: Mapped[str] = mapped_column(String(20))  # contact | company | deal
    name: Mapped[str] = mapped_column(String(100))
    field_type: Mapped[str] = mapped_column(
        String(20), default="text"
    )  # text|number|date|bool|choice
    options: Mapped[str] = mapped_column(Text, default="")  # JSON list for choice
    position: Mapped[int] = mapped_column(Integer, default=0)


class CustomValue(Entity):
    __tablename__ = "custom_values"
    __table_args__ = (Index("ix_custom_values_target", "target_id", "field_id"),)
    field_id: Mapped[str] = _fk("custom_fields.id", nullable=False)
    target_id: Mapped[str] = mapped_column(String(36))
    value: Mapped[str] = mapped_column(Text, default="")


# ---- pipeline and deals ------------------------------------------------------------------------


class Pipeline(Entity):
    __tablename__ = "pipelines"
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Stage(Entity):
    __tablename__ = "stages"
    pipeline_id: Mapped[str] = _fk("pipelines.id", nullable=False)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    probability: Mapped[int] = mapped_column(Integer, default=0)  # percent
    rotting_days: Mapped[int] = mapped_column(Integer, default=0)  # 0: never rots
    kind: Mapped[str] = mapped_column(String(10), default="open")  # open | won | lost


class Reason(Entity):
    """An entry of the configurable won / lost reason lists."""

    __tablename__ = "reasons"
    kind: Mapped[str] = mapped_column(String(10))  # won | lost
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Product(Entity):
    __tablename__ = "products"
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str] = mapped_column(String(64), default="")
    price_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)


class Campaign(Entity):
    __tablename__ = "campaigns"
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(40), default="email")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    segment_id: Mapped[str | None] = _fk("segments.id")
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    cost_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)
    started_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    # The consent purpose it sends for (newsletter, marketing_email, ...; "" for a
    # transactional message, which needs no marketing consent).
    purpose: Mapped[str] = mapped_column(String(40), default="", server_default="")
    ended_on: Mapped[dt.date | None] = mapped_column(Date, default=None)


class Deal(Entity):
    __tablename__ = "deals"
    __table_args__ = (
        Index("ix_deals_stage_position", "stage_id", "position"),
        # segments: a contact's open deals and purchases from the index alone
        Index("ix_deals_segment", "contact_id", "status", "deleted_at", "closed_at", "value_cents"),
    )
    title: Mapped[str] = mapped_column(String(300))
    pipeline_id: Mapped[str] = _fk("pipelines.id", nullable=False)
    stage_id: Mapped[str] = _fk("stages.id", nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    value_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)
    probability: Mapped[int | None] = mapped_column(Integer, default=None)  # None: stage default
    expected_close: Mapped[dt.date | None] = mapped_column(Date, default=None, index=True)
    owner_id: Mapped[str | None] = _fk("users.id")
    contact_id: Mapped[str | None] = _fk("contacts.id")
    company_id: Mapped[str | None] = _fk("companies.id")
    lead_source: Mapped[str] = mapped_column(String(100), default="")
    campaign_id: Mapped[str | None] = _fk("campaigns.id")
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    reason_id: Mapped[str | None] = _fk("reasons.id")
    close_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    stage_entered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class DealItem(Entity):
    __tablename__ = "deal_items"
    deal_id: Mapped[str] = _fk("deals.id", nullable=False)
    product_id: Mapped[str | None] = _fk("products.id")
    description: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_pct: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)


class DealStageHistory(Entity):
    __tablename__ = "deal_stage_history"
    deal_id: Mapped[str] = _fk("deals.id", nullable=False)
    from_stage_id: Mapped[str | None] = _fk("stages.id")
    to_stage_id: Mapped[str] = _fk("stages.id", nullable=False)
    moved_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    user_id: Mapped[str | None] = _fk("users.id")


# ---- activities, orders, consent -----------------------------------------------------------------


class Activity(Entity):
    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_starts", "starts_at"),
        Index("ix_activities_segment", "contact_id", "deleted_at", "done_at", "starts_at"),
        # ix_activities_recurring, on starts_at of the recurring ones only (a few among
        # 100,000, found without a scan), is made by migration 0008 and not declared here:
        # a partial index needs each dialect's own `where` argument, and naming the
        # PostgreSQL one makes SQLAlchemy import its PostgreSQL dialects (and asyncpg's)
        # on every start, on SQLite too. migrations/env.py leaves it out of comparisons.
    )
    kind: Mapped[str] = mapped_column(String(10))  # call | meeting | task | email | note
    subject: Mapped[str] = mapped_column(String(300))
    notes: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    ends_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="")
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    outcome: Mapped[str] = mapped_column(Text, default="")
    rrule: Mapped[str] = mapped_column(String(500), default="")
    exdates: Mapped[str] = mapped_column(Text, default="")  # JSON list of ISO datetimes
    rdates: Mapped[str] = mapped_column(Text, default="")  # JSON list: ISO or "start/end"
    # An occurrence moved out of its series (`series_id`): the start it had there.
    recurrence_id: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    series_id: Mapped[str | None] = _fk("activities.id")
    reminder_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    owner_id: Mapped[str | None] = _fk("users.id")
    contact_id: Mapped[str | None] = _fk("contacts.id")
    company_id: Mapped[str | None] = _fk("companies.id")
    deal_id: Mapped[str | None] = _fk("deals.id")
    ical_uid: Mapped[str] = mapped_column(String(300), default="")


class Order(Entity):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_segment", "contact_id", "deleted_at", "ordered_on", "amount_cents"),
    )
    number: Mapped[str] = mapped_column(String(64), default="")
    ordered_on: Mapped[dt.date] = mapped_column(Date, index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)
    description: Mapped[str] = mapped_column(String(500), default="")
    contact_id: Mapped[str | None] = _fk("contacts.id")
    company_id: Mapped[str | None] = _fk("companies.id")
    campaign_id: Mapped[str | None] = _fk("campaigns.id")
    # The deal this order fulfils (its invoice, its delivery): the same sale, counted once.
    deal_id: Mapped[str | None] = _fk("deals.id")


class Consent(Entity):
    """One entry of the consent ledger: appended, never overwritten (a withdrawal is a new
    entry); the newest entry of a contact and purpose is the one in force."""

    __tablename__ = "consents"
    __table_args__ = (
        Index(
            "ix_consents_segment",
            "purpose",
            "contact_id",
            "recorded_at",
            "id",
            "status",
            "deleted_at",
        ),
    )
    contact_id: Mapped[str] = _fk("contacts.id", nullable=False)
    purpose: Mapped[str] = mapped_column(String(40))  # newsletter | marketing_email | phone ...
    lawful_basis: Mapped[str] = mapped_column(String(40), default="consent")
    status: Mapped[str] = mapped_column(String(20), default="granted")  # granted | withdrawn
    source: Mapped[str] = mapped_column(String(200), default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)


# ---- segments, campaigns, forecasting, settings --------------------------------------------------


class Segment(Entity):
    __tablename__ = "segments"
    name: Mapped[str] = mapped_column(String(200))
    filter: Mapped[str] = mapped_column(Text, default="{}")  # JSON filter definition


class CampaignMember(Entity):
    __tablename__ = "campaign_members"
    campaign_id: Mapped[str] = _fk("campaigns.id", nullable=False)
    contact_id: Mapped[str] = _fk("contacts.id", nullable=False)
    # targeted | excluded | sent | bounced | responded | converted
    status: Mapped[str] = mapped_column(String(20), default="targeted")
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")  # why excluded
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    responded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    converted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)


class ForecastSnapshot(Entity):
    __tablename__ = "forecast_snapshots"
    taken_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM it was taken for


class ForecastSnapshotLine(Entity):
    __tablename__ = "forecast_snapshot_lines"
    snapshot_id: Mapped[str] = _fk("forecast_snapshots.id", nullable=False)
    deal_id: Mapped[str] = _fk("deals.id", nullable=False)
    stage_id: Mapped[str] = _fk("stages.id", nullable=False)
    owner_id: Mapped[str | None] = _fk("users.id")
    value_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    probability: Mapped[int] = mapped_column(Integer, default=0)
    expected_close: Mapped[dt.date | None] = mapped_column(Date, default=None)


class Setting(Entity):
    """A business-wide setting shared by the team; `id` is the key (e.g. "business_name")."""

    __tablename__ = "settings"
    value: Mapped[str] = mapped_column(Text, default="null")  # JSON


# ---- local, never synced ----------------------------------------------------------------------


class Change(Base):
    """One changed field (SYNC.md point 3): the history, the undo log and the sync wire."""

    __tablename__ = "change"
    __table_args__ = (Index("ix_change_row_id", "row_id"),)
    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hlc: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)  # JSON
    base_hlc: Mapped[str | None] = mapped_column(String(64))


class LocalMeta(Base):
    """Facts about this install only (device id, last backup); never synced."""

    __tablename__ = "local_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


SYNCED_TABLES: dict[str, type[Entity]] = {
    cls.__tablename__: cls
    for cls in (
        User,
        Company,
        Contact,
        ContactEmail,
        ContactPhone,
        ContactAddress,
        ContactRole,
        Tag,
        Tagging,
        CustomField,
        CustomValue,
        Pipeline,
        Stage,
        Reason,
        Product,
        Campaign,
        Deal,
        DealItem,
        DealStageHistory,
        Activity,
        Order,
        Consent,
        Segment,
        CampaignMember,
        ForecastSnapshot,
        ForecastSnapshotLine,
        Setting,
    )
}
