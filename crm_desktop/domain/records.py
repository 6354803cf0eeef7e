"""Records passed between layers: frozen dataclasses, no behaviour beyond small rules."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, TypeVar

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import ValidationError

if TYPE_CHECKING:
    from crm_desktop.domain.segments import Group

T = TypeVar("T")

_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
# NUL and the other control characters (tab and line breaks aside) have no place in a
# name: they cut it short in other programs and hide it from search.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        shown = _CONTROL.sub("?", value)
        raise ValidationError(f"not a valid e-mail address: {shown!r}")
    return value


def check_name(value: str, what: str = "a name") -> str:
    """Refuse control characters (NUL...) in a name."""
    if _CONTROL.search(value) or "\t" in value or "\n" in value or "\r" in value:
        raise ValidationError(f"{what} cannot hold control characters (such as NUL)")
    return value


# ---- contacts and companies -------------------------------------------------------------


@dataclass(frozen=True)
class EmailEntry:
    email: str
    label: str = "work"


@dataclass(frozen=True)
class PhoneEntry:
    number: str
    label: str = "work"


@dataclass(frozen=True)
class AddressEntry:
    street: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    label: str = "work"

    def one_line(self) -> str:
        return ", ".join(p for p in (self.street, self.postcode, self.city, self.country) if p)


@dataclass(frozen=True)
class RoleEntry:
    """A role a person holds at a company; the first one is the primary employer."""

    company_id: str
    title: str = ""
    company_name: str = ""


# The contact fields beyond the common ones (the same names on drafts, records, the table).
CONTACT_EXTRAS = ("prefix", "middle_name", "suffix", "nickname", "formatted_name", "job_title",
                  "department", "role", "anniversary", "websites")  # fmt: skip


@dataclass(frozen=True)
class ContactDraft:
    """What a person edits: every field of a contact, for create and full update."""

    first_name: str = ""
    last_name: str = ""
    emails: tuple[EmailEntry, ...] = ()
    phones: tuple[PhoneEntry, ...] = ()
    addresses: tuple[AddressEntry, ...] = ()
    roles: tuple[RoleEntry, ...] = ()
    birthday: dt.date | None = None
    lead_source: str = ""
    owner_id: str | None = None
    notes: str = ""
    tags: tuple[str, ...] = ()
    custom: tuple[tuple[str, str], ...] = ()  # (field definition id, value)
    # What an address book holds beyond the common fields (kept as written).
    prefix: str = ""
    middle_name: str = ""
    suffix: str = ""
    nickname: str = ""
    formatted_name: str = ""  # the name as written, when not simply "first last"
    job_title: str = ""  # a title held without a company (with one, it is the role's)
    department: str = ""
    role: str = ""
    anniversary: dt.date | None = None
    websites: tuple[str, ...] = ()

    def validated(self) -> ContactDraft:
        if not (self.first_name.strip() or self.last_name.strip() or self.emails):
            raise ValidationError("a contact needs a name or an e-mail address")
        check_name(self.first_name, "the first name")
        check_name(self.last_name, "the last name")
        for entry in self.emails:
            check_email(entry.email)
        return self


@dataclass(frozen=True)
class ContactRecord:
    """A contact as the detail screen shows it."""

    id: str
    first_name: str
    last_name: str
    display_name: str
    emails: tuple[EmailEntry, ...]
    phones: tuple[PhoneEntry, ...]
    addresses: tuple[AddressEntry, ...]
    roles: tuple[RoleEntry, ...]
    birthday: dt.date | None
    lead_source: str
    owner_id: str | None
    owner_name: str
    notes: str
    tags: tuple[str, ...]
    custom: tuple[tuple[str, str], ...]
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None
    # What an address book holds beyond the common fields (kept as written).
    prefix: str = ""
    middle_name: str = ""
    suffix: str = ""
    nickname: str = ""
    formatted_name: str = ""  # the name as written, when not simply "first last"
    job_title: str = ""  # a title held without a company (with one, it is the role's)
    department: str = ""
    role: str = ""
    anniversary: dt.date | None = None
    websites: tuple[str, ...] = ()

    def to_draft(self) -> ContactDraft:
        return ContactDraft(
            **{name: getattr(self, name) for name in CONTACT_EXTRAS},
            first_name=self.first_name,
            last_name=self.last_name,
            emails=self.emails,
            phones=self.phones,
            addresses=self.addresses,
            roles=self.roles,
            birthday=self.birthday,
            lead_source=self.lead_source,
            owner_id=self.owner_id,
            notes=self.notes,
            tags=self.tags,
            custom=self.custom,
        )


@dataclass(frozen=True)
class ContactRow:
    """One line of the contacts list: small, flat, cheap to fetch by the page."""

    id: str
    display_name: str
    email: str
    phone: str
    company_name: str
    title: str
    city: str
    owner_name: str
    tags: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class CompanyDraft:
    name: str = ""
    domain: str = ""
    industry: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    address: AddressEntry = field(default_factory=AddressEntry)
    lead_source: str = ""
    owner_id: str | None = None
    notes: str = ""
    tags: tuple[str, ...] = ()
    custom: tuple[tuple[str, str], ...] = ()

    def validated(self) -> CompanyDraft:
        if not self.name.strip():
            raise ValidationError("a company needs a name")
        check_name(self.name, "the company name")
        if self.email:
            check_email(self.email)
        return self


@dataclass(frozen=True)
class CompanyRecord:
    id: str
    name: str
    domain: str
    industry: str
    phone: str
    email: str
    website: str
    address: AddressEntry
    lead_source: str
    owner_id: str | None
    owner_name: str
    notes: str
    tags: tuple[str, ...]
    custom: tuple[tuple[str, str], ...]
    people: tuple[tuple[str, str, str], ...]  # (contact id, display name, title)
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None

    def to_draft(self) -> CompanyDraft:
        return CompanyDraft(
            name=self.name,
            domain=self.domain,
            industry=self.industry,
            phone=self.phone,
            email=self.email,
            website=self.website,
            address=self.address,
            lead_source=self.lead_source,
            owner_id=self.owner_id,
            notes=self.notes,
            tags=self.tags,
            custom=self.custom,
        )


@dataclass(frozen=True)
class CompanyRow:
    id: str
    name: str
    industry: str
    city: str
    phone: str
    people: int
    owner_name: str
    updated_at: dt.datetime


# ---- lists, search, timelines -------------------------------------------------------------


class Trash(StrEnum):
    EXCLUDE = "exclude"
    ONLY = "only"


@dataclass(frozen=True)
class ListQuery:
    """What a list screen asks for; sorting and filtering happen in SQL."""

    search: str = ""
    sort: str = "name"
    descending: bool = False
    tag: str | None = None
    owner_id: str | None = None
    company_id: str | None = None
    trash: Trash = Trash.EXCLUDE
    # A segment's filter (domain.segments.Group) on top of the rest; None: everyone.
    segment: Group | None = None
    today: dt.date | None = None  # what relative days count from (None: today)


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: tuple[T, ...]
    total: int
    offset: int


class TimelineKind(StrEnum):
    ACTIVITY = "activity"
    DEAL = "deal"
    ORDER = "order"
    CONSENT = "consent"
    CHANGE = "change"


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: TimelineKind
    title: str
    detail: str = ""
    ref_id: str = ""


@dataclass(frozen=True)
class RelatedDeal:
    """A deal as a contact's or company's page lists it."""

    id: str
    title: str
    stage: str
    stage_kind: str  # open | won | lost
    value_cents: int
    currency: str


@dataclass(frozen=True)
class NextActivity:
    """The next activity not done yet of a contact or company (an overdue one first)."""

    id: str
    kind: str
    subject: str
    start: dt.datetime
    all_day: bool
    overdue: bool


@dataclass(frozen=True)
class CustomFieldRecord:
    id: str
    target_kind: str
    name: str
    field_type: str


@dataclass(frozen=True)
class UserRecord:
    id: str
    name: str
    email: str


@dataclass(frozen=True)
class Saved:
    """What a write returns: the id of the record and what changed."""

    id: str
    changes: ChangeSet


# ---- activities ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityDraft:
    """What the activity editor edits: a call, meeting, task, e-mail or note, once or
    recurring (an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=MO), linked to records."""

    kind: str
    subject: str
    start: dt.datetime  # aware; for a recurring activity the occurrence being edited
    minutes: int = 30
    all_day: bool = False
    timezone: str = ""  # IANA name the rule repeats in ("" = UTC)
    rrule: str = ""
    notes: str = ""
    reminder_minutes: int | None = 15
    owner_id: str | None = None
    contact_id: str | None = None
    company_id: str | None = None
    deal_id: str | None = None
    done: bool = False
    outcome: str = ""


@dataclass(frozen=True)
class ActivityRecord:
    id: str
    draft: ActivityDraft  # start is the series' first occurrence
    contact_name: str = ""
    series_id: str | None = None  # set on a moved or changed occurrence of a series
    done_at: dt.datetime | None = None
