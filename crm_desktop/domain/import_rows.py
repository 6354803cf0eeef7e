"""One imported row (a sheet's row or a vCard) turned into a contact or company draft.

A row arrives as `Values`: field key -> the texts of the columns mapped to it, in column
order (empty ones included, so the n-th label column meets the n-th value column).
What cannot be read raises `ValidationError` with a reason a person understands.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from crm_desktop.domain import text as _text
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import (
    AddressEntry,
    CompanyDraft,
    ContactDraft,
    EmailEntry,
    PhoneEntry,
    RoleEntry,
    check_email,
)

Values = Mapping[str, Sequence[str]]
YEARLESS = _text.YEARLESS  # the year of a birthday given without one
ADDRESS_PARTS = ("street", "city", "region", "postcode", "country")

_MULTI = re.compile(r"\s*:::\s*")  # Google puts several values in one cell like this
_LIST = re.compile(r"\s*(?::::|;|,)\s*")
_ANGLE = re.compile(r"<([^<>]+@[^<>]+)>")
_DIGITS = re.compile(r"\D+")
_TAG_SEPARATORS = re.compile("[:;,]")
_SPECIAL_EMAIL = re.compile(r"[:;,<]|mailto")
_ADDRESS_KEYS = frozenset([
    *ADDRESS_PARTS, "address_label", "address_formatted", "address_labels_given", "street2",
    "home_street2",
    *(f"home_{p}" for p in ADDRESS_PARTS), *(f"other_{p}" for p in ADDRESS_PARTS),
])  # fmt: skip
_BIRTHDAY_KEYS = frozenset({"birthday", "birth_year", "birth_month", "birth_day"})
_EMPTY_DATES = {"0/0/00", "0.0.00", "00.00.0000", "0000-00-00", "1/1/1601", "01.01.1601"}


class RowDraft(NamedTuple):
    """What one row says about a contact, before companies and owners are looked up (a
    tuple, not a draft yet: it is made for every row of a big file)."""

    first_name: str
    last_name: str
    emails: tuple[EmailEntry, ...]
    phones: tuple[PhoneEntry, ...]
    addresses: tuple[AddressEntry, ...]
    birthday: dt.date | None
    lead_source: str
    notes: str
    tags: tuple[str, ...]
    company: str
    title: str
    owner: str
    record_id: str
    extras: tuple[tuple[str, Any], ...] = ()  # CONTACT_EXTRAS the row gives (name, value)
    other_companies: tuple[str, ...] = ()  # a second organisation (and more)
    warnings: tuple[str, ...] = ()  # values left out of the row, with why

    def draft(self, roles: tuple[RoleEntry, ...] = (), owner_id: str | None = None) -> ContactDraft:
        extras = dict(self.extras)
        if self.title and not roles:  # a job title without a company is kept too
            extras["job_title"] = self.title
        return ContactDraft(
            **extras,
            first_name=self.first_name,
            last_name=self.last_name,
            emails=self.emails,
            phones=self.phones,
            addresses=self.addresses,
            roles=roles,
            birthday=self.birthday,
            lead_source=self.lead_source,
            owner_id=owner_id,
            notes=self.notes,
            tags=self.tags,
        )


def first(values: Values, key: str) -> str:
    for value in values.get(key, ()):
        if value.strip():
            return value.strip()
    return ""


def joined(values: Values, key: str, sep: str = " ") -> str:
    cells = values.get(key)
    if not cells:
        return ""
    if len(cells) == 1:  # the usual case, without a generator
        return cells[0].strip()
    return sep.join(v.strip() for v in cells if v.strip())


def email_label(label: str, default: str = "work") -> str:
    text = label.strip().lstrip("*").strip().casefold()
    if not text:
        return default
    if "home" in text or "privat" in text or "personal" in text:
        return "home"
    if "work" in text or "business" in text or "geschäft" in text or "dienst" in text:
        return "work"
    return "other"


def phone_label(label: str, default: str = "work") -> str:
    text = label.strip().lstrip("*").strip().casefold()
    if not text:
        return default
    for words, result in (
        (("mobile", "cell", "handy", "mobil", "iphone"), "mobile"),
        (("fax",), "fax"),
        (("pager",), "pager"),
        (("home", "privat"), "home"),
        (("work", "business", "main", "geschäft", "dienst", "office"), "work"),
    ):
        if any(w in text for w in words):
            return result
    return text[:40] if text != "other" else "other"


def _emails(values: Values, warnings: list[str]) -> list[EmailEntry]:
    """The row's e-mail addresses; one that is no address is left out (and named)."""
    cells = values.get("email", ())
    labels = values.get("email_label", ())
    given = values.get("email_labels_given", ())  # a vCard's own labels ("" = untyped)
    if len(cells) == 1 and not labels and not given and "email_home" not in values:
        cell = cells[0].strip()
        if not cell:
            return []
        if not _SPECIAL_EMAIL.search(cell):  # one plain address: the usual case
            return [EmailEntry(cell, "work")] if _check(cell, warnings) else []
    found: list[EmailEntry] = []
    seen: set[str] = set()
    if given:
        sources = [(v, given[i] if i < len(given) else "") for i, v in enumerate(cells)]
    else:
        sources = [
            (v, email_label(labels[i] if i < len(labels) else "")) for i, v in enumerate(cells)
        ]
    sources += [(v, "home") for v in values.get("email_home", ())]
    sources += [(v, "other") for v in values.get("email_other", ())]
    for cell, label in sources:
        for part in _MULTI.split(cell.strip()):
            for address in _addresses(part):
                key = address.casefold()
                if key not in seen and _check(address, warnings):
                    seen.add(key)
                    found.append(EmailEntry(address, label))
    return found


def _check(address: str, warnings: list[str]) -> bool:
    try:
        check_email(address)
    except ValidationError:
        warnings.append(f"e-mail {address[:60]!r} is not an e-mail address; left out")
        return False
    return True


def _addresses(cell: str) -> list[str]:
    if not cell:
        return []
    angled = _ANGLE.findall(cell)
    if angled:
        return [a.strip() for a in angled]
    parts = [p.strip().removeprefix("mailto:") for p in re.split(r"[;,]", cell)]
    return [p for p in parts if p]


_PHONE_KEYS = (
    ("phone_work", "work"), ("phone_mobile", "mobile"), ("phone_home", "home"),
    ("phone_fax", "fax"), ("phone_other", "other"), ("phone_pager", "pager"),
)  # fmt: skip
# The columns a row's e-mails and phones come from (duplicates are looked up by these).
EMAIL_FIELDS = ("email", "email_home", "email_other")
PHONE_FIELDS = ("phone", *(key for key, _label in _PHONE_KEYS))


def _phones(values: Values) -> list[PhoneEntry]:
    labels = values.get("phone_label", ())
    given = values.get("phone_labels_given", ())  # a vCard's own labels ("" = untyped)
    sources = [
        (v, given[i] if i < len(given) else "")
        if given
        else (v, phone_label(labels[i] if i < len(labels) else ""))
        for i, v in enumerate(values.get("phone", ()))
    ]
    for key, label in _PHONE_KEYS:
        if key in values:
            sources += [(v, label) for v in values[key]]
    found: list[PhoneEntry] = []
    seen: set[str] = set()
    for cell, label in sources:
        parts = _MULTI.split(cell) if ":::" in cell else (cell,)
        for part in parts:
            number = part.strip()
            if not number:
                continue
            digits = _DIGITS.sub("", number)
            if digits and digits not in seen:
                seen.add(digits)
                found.append(PhoneEntry(number[:64], label))
    return found


def _address_list(values: Values) -> list[AddressEntry]:
    found: list[AddressEntry] = []
    if _ADDRESS_KEYS.isdisjoint(values):
        return found
    count = max((len(values.get(p, ())) for p in ADDRESS_PARTS), default=0)
    given = values.get("address_labels_given", ())
    labels = given or values.get("address_label", ())
    for index in range(count):
        parts = [
            values[p][index].strip() if index < len(values.get(p, ())) else ""
            for p in ADDRESS_PARTS
        ]
        if index == 0 and joined(values, "street2"):
            parts[0] = ", ".join(p for p in (parts[0], joined(values, "street2", ", ")) if p)
        if any(parts):
            label = labels[index] if index < len(labels) else ""
            found.append(_address(parts, label if given else email_label(label)))
    formatted = values.get("address_formatted", ())
    for index, text in enumerate(formatted):  # only where the parts are not given
        flat = ", ".join(p.strip() for p in text.splitlines() if p.strip())
        if flat and not any(
            values[p][index].strip() for p in ADDRESS_PARTS if index < len(values.get(p, ()))
        ):
            label = labels[index] if index < len(labels) else ""
            found.append(AddressEntry(street=flat[:300], label=email_label(label)))
    for prefix, label in (("home", "home"), ("other", "other")):
        extra = [joined(values, f"{prefix}_{p}", ", ") for p in ADDRESS_PARTS]
        second = joined(values, f"{prefix}_street2", ", ")
        if second:
            extra[0] = ", ".join(p for p in (extra[0], second) if p)
        if any(extra):
            found.append(_address(extra, label))
    return found


def _address(parts: Sequence[str], label: str) -> AddressEntry:
    street, city, region, postcode, country = parts
    return AddressEntry(street, city, region, postcode, country, label)


def parse_date(text: str) -> dt.date | None:
    """A date as people and programs write it: 1980-05-17, 17.05.1980, 5/17/1980 (US, as
    Outlook writes it; 17/5/1980 when the first number cannot be a month), 19800517,
    --05-17 or 17.05. (no year). Outlook's "0/0/00" is no date. ValueError otherwise."""
    value = text.strip()
    if not value or value in _EMPTY_DATES:
        return None
    value = value.split("T", 1)[0].split(" ", 1)[0]
    year: int | None
    if m := re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})|(\d{4})(\d{2})(\d{2})", value):
        parts = [int(p) for p in m.groups() if p is not None]
        year, month, day = parts[0], parts[1], parts[2]
    elif m := re.fullmatch(r"--(\d{2})-?(\d{2})", value):
        year, month, day = YEARLESS, int(m[1]), int(m[2])
    elif m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})?", value):
        year, month, day = _year(m[3]), int(m[2]), int(m[1])
    elif m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", value):
        month, day, year = int(m[1]), int(m[2]), _year(m[3])
        if month > 12 >= day:
            month, day = day, month
    else:
        raise ValueError(f"not a date: {text.strip()!r}")
    try:
        return dt.date(year or YEARLESS, month, day)
    except ValueError:
        raise ValueError(f"not a date: {text.strip()!r}") from None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    if len(text) == 2:
        this = dt.date.today().year % 100
        year += 2000 if year <= this else 1900
    return year


def _birthday(values: Values) -> dt.date | None:
    text = first(values, "birthday")
    if text:
        return parse_date(text)
    year, month, day = (
        first(values, "birth_year"),
        first(values, "birth_month"),
        first(values, "birth_day"),
    )
    if not (month and day):
        return None
    try:
        return dt.date(int(year) if year else YEARLESS, int(month), int(day))
    except ValueError:
        raise ValueError(f"not a date: {year}-{month}-{day}") from None


def tags_of(values: Values) -> tuple[str, ...]:
    """Tags from every tag column; Google's own groups ("* myContacts") are left out."""
    cells = values.get("tags", ())
    if len(cells) == 1 and not _TAG_SEPARATORS.search(cells[0]):  # one tag, or none
        tag = cells[0].strip()
        return (tag[:100],) if tag and not tag.startswith("*") else ()
    found: dict[str, str] = {}
    for cell in cells:
        for part in _LIST.split(cell.strip()):
            tag = part.strip()
            if tag and not tag.startswith("*") and tag.casefold() not in found:
                found[tag.casefold()] = tag[:100]
    return tuple(found.values())


def _names(values: Values) -> tuple[str, str]:
    first_name = joined(values, "first_name")
    last_name = joined(values, "last_name")
    if not (first_name or last_name):
        full = joined(values, "full_name")
        if "," in full:
            last_name, _, first_name = (p.strip() for p in full.partition(","))
        elif full:
            first_name, _, last_name = full.rpartition(" ")
            if not first_name:
                first_name, last_name = last_name, ""
    return first_name[:200], last_name[:200]


_TEXT_EXTRAS = (("prefix", 50), ("middle_name", 200), ("suffix", 50), ("nickname", 200),
                ("department", 200), ("role", 200))  # fmt: skip


def _extras(values: Values, warnings: list[str]) -> tuple[tuple[str, Any], ...]:
    """The fields beyond the common ones that the row has columns for."""
    found: list[tuple[str, Any]] = [
        (key, joined(values, key)[:size]) for key, size in _TEXT_EXTRAS if key in values
    ]
    if "middle_name" in values and "first_name" not in values and "last_name" not in values:
        found = [f for f in found if f[0] != "middle_name"]  # part of a full name instead
    full = joined(values, "full_name")
    if full and ("first_name" in values or "last_name" in values):
        # The name as written is kept when it is more than "first last" ("Wile E. Coyote").
        built = " ".join(
            p for p in (joined(values, "first_name"), joined(values, "last_name")) if p
        )
        if full != built:
            found.append(("formatted_name", full[:400]))
    anniversary = first(values, "anniversary")
    events, kinds = values.get("event", ()), values.get("event_label", ())
    for index, text in enumerate(events):  # Google: "Event 1 - Label" says which date
        kind = kinds[index].casefold() if index < len(kinds) else ""
        if text.strip() and ("anniv" in kind or "jahrestag" in kind) and not anniversary:
            anniversary = text
    if anniversary or "anniversary" in values:
        try:
            found.append(("anniversary", parse_date(anniversary)))
        except ValueError as exc:
            warnings.append(f"anniversary left out: {exc}")
    if "website" in values:
        sites = [s.strip() for cell in values["website"] for s in _MULTI.split(cell) if s.strip()]
        found.append(("websites", tuple(dict.fromkeys(sites))))
    return tuple(found)


def contact_row(values: Values) -> RowDraft:
    """The contact a row describes; ValidationError with the reason if it cannot be one.
    A value that cannot be read (an e-mail, a birthday) is left out and named in
    `warnings`; the rest of the row is kept."""
    warnings: list[str] = []
    first_name, last_name = _names(values)
    emails = _emails(values, warnings)
    if not (first_name or last_name or emails):
        raise ValidationError("; ".join([*warnings, "no name and no e-mail address"]))
    birthday = None
    if not _BIRTHDAY_KEYS.isdisjoint(values):
        try:
            birthday = _birthday(values)
        except ValueError as exc:
            warnings.append(f"birthday left out: {exc}")
    companies = [c.strip() for c in values.get("company", ()) if c.strip()]
    return RowDraft(
        first_name,
        last_name,
        tuple(emails),
        tuple(_phones(values)),
        tuple(_address_list(values)) if not _ADDRESS_KEYS.isdisjoint(values) else (),
        birthday,
        first(values, "lead_source")[:100] if "lead_source" in values else "",
        joined(values, "notes", "\n").replace("\r\n", "\n"),
        tags_of(values) if "tags" in values else (),
        companies[0][:300] if companies else "",
        first(values, "title")[:200],
        first(values, "owner"),
        first(values, "id"),
        _extras(values, warnings),
        tuple(dict.fromkeys(c[:300] for c in companies[1:])),
        tuple(warnings),
    )


def company_row(values: Values) -> tuple[CompanyDraft, str, str]:
    """(draft, owner name, record id) of the company a row describes."""
    name = first(values, "name") or first(values, "company")
    if not name:
        raise ValidationError("a company needs a name")
    email = first(values, "email")
    if email:
        try:
            check_email(email)
        except ValidationError:
            raise ValidationError(f"not a valid e-mail address: {email!r}") from None
    address = AddressEntry(*(first(values, p) for p in ADDRESS_PARTS))
    draft = CompanyDraft(
        name=name[:300],
        domain=first(values, "domain")[:300],
        industry=first(values, "industry")[:200],
        phone=(first(values, "phone") or first(values, "phone_work"))[:64],
        email=email,
        website=first(values, "website")[:500],
        address=address,
        lead_source=first(values, "lead_source")[:100],
        notes=joined(values, "notes", "\n"),
        tags=tags_of(values),
    )
    return draft, first(values, "owner"), first(values, "id")


def phone_key(number: str) -> str:
    """The last six digits: numbers that may be the same phone share it (checked in E.164)."""
    return _DIGITS.sub("", number)[-6:]
