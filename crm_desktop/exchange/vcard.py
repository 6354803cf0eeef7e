"""vCard (RFC 2426 3.0 and RFC 6350 4.0, and the 2.1 cards of old phones) in and out.

Reading keeps going past a broken card (reported with the line it starts on) and past a
broken value inside a card: the card is kept, and the property left out is reported.
Understood: folded lines (also with the CR CR LF line ends of some phones), escapes,
grouped properties (``item1.EMAIL`` with Apple's ``X-ABLabel``), TYPE parameters in
every spelling, 2.1's QUOTED-PRINTABLE values with their CHARSET; N with its prefix,
middle names and suffix, FN as written, NICKNAME, ORG with its department (and a second
ORG), TITLE, ROLE, EMAIL, TEL, ADR (each with its type: home, work, school, other or
none), BDAY (with or without a year), ANNIVERSARY (and the X- spellings of Outlook,
Evolution, Android and Apple), NOTE, CATEGORIES, URL, KIND. Other properties are named
as not used. A card of an organisation (``KIND:org``, Apple's ``X-ABShowAs:COMPANY``, or
an ORG without any name) comes back with ``kind == "org"``.

A birthday without a year (``--0517``) is given the year `YEARLESS` (1604, a leap year,
as Apple does), and written back without a year.

Writing produces vCard 4.0: CRLF line ends, values escaped, lines folded at 75 octets.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from crm_desktop.domain.records import AddressEntry, EmailEntry, PhoneEntry
from crm_desktop.exchange.tabular import decode
from crm_desktop.exchange.vcard_text import (
    CardError,
    Property,
    components,
    escape,
    fold,
    logical_lines,
    raw_value,
    split_escaped,
    text_of,
    unescape,
)

__all__ = ["YEARLESS", "CardError", "VCard", "card_lines", "escape", "fold", "read_cards",
           "unescape", "write_cards"]  # fmt: skip

YEARLESS = 1604
_PHONE_TYPES = {
    "cell": "mobile", "mobile": "mobile", "iphone": "mobile", "fax": "fax", "pager": "pager",
    "home": "home", "work": "work", "main": "work", "school": "school", "other": "other",
}  # fmt: skip
_PLACE_TYPES = ("home", "work", "school", "other")
_LABEL_TYPES = {"mobile": "cell", "home": "home", "work": "work", "fax": "fax", "pager": "pager"}
_ORG_MARKS = {("KIND", "org"), ("KIND", "organization"), ("X-ABSHOWAS", "company")}
_ANNIVERSARIES = {"ANNIVERSARY", "X-ANNIVERSARY", "X-MS-ANNIVERSARY", "X-EVOLUTION-ANNIVERSARY"}
# Read for what they hold elsewhere, or nothing a person would miss.
_QUIET = {"BEGIN", "END", "VERSION", "PRODID", "REV", "X-ABLABEL", "X-ABUID", "SORT-STRING",
          "LABEL", "X-ABSHOWAS", "KIND", "X-ABADR", "X-ABDATE", "CLASS", "SOURCE", "NAME",
          "X-MOZILLA-HTML", "X-EVOLUTION-FILE-AS", "X-EVOLUTION-BLOG-URL"}  # fmt: skip


@dataclass(frozen=True)
class VCard:
    """A person (or an organisation) as a vCard holds it."""

    line: int = 0  # where BEGIN:VCARD is (0 for a card built to be written)
    kind: str = "individual"  # "individual" | "org"
    uid: str = ""
    formatted_name: str = ""
    first_name: str = ""
    last_name: str = ""
    organization: str = ""
    title: str = ""
    emails: tuple[EmailEntry, ...] = ()
    phones: tuple[PhoneEntry, ...] = ()
    addresses: tuple[AddressEntry, ...] = ()
    birthday: dt.date | None = None
    notes: str = ""
    tags: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    prefix: str = ""
    middle_name: str = ""
    suffix: str = ""
    nickname: str = ""
    department: str = ""
    role: str = ""
    anniversary: dt.date | None = None
    other_organizations: tuple[str, ...] = ()  # a second ORG (and more)
    warnings: tuple[tuple[int, str], ...] = ()  # (line, a value left out and why)
    not_used: tuple[str, ...] = ()  # the properties of the card that are not kept


# ---- reading -------------------------------------------------------------------------------


def read_cards(data: bytes) -> tuple[list[VCard], list[tuple[int, str]]]:
    """The cards of a .vcf file and a (line, what is wrong) for each card not read."""
    text, _encoding, problems = decode(data)
    text = re.sub(r"\r+\n", "\n", text)  # CR CR LF (some iPhone exports) is one line end
    cards: list[VCard] = []
    current: list[Property] | None = None
    lines_left_out: list[tuple[int, str]] = []
    start = 0
    for prop in logical_lines(text, problems):
        if prop is None:  # a line that is not a property
            continue
        if isinstance(prop, CardError):
            if current is not None:  # the card is kept without that line
                line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(prop))) else start
                lines_left_out.append((line, f"{prop}; left out"))
            continue
        name = prop.name
        if name == "BEGIN" and prop.value.strip().upper() == "VCARD":
            if current is not None:
                problems.append((start, "card skipped: it has no END:VCARD"))
            current, start, lines_left_out = [], prop.line, []
        elif name == "END" and prop.value.strip().upper() == "VCARD":
            if current is not None:
                try:
                    cards.append(_card(start, current, lines_left_out))
                except CardError as exc:
                    problems.append((start, f"card skipped: {exc}"))
            current = None
        elif current is not None:
            current.append(prop)
    if current is not None:
        problems.append((start, "card skipped: the file ends before its END:VCARD"))
    return cards, sorted(problems)


def _label(prop: Property, groups: dict[str, str]) -> str:
    """The type of an e-mail, phone or address: home, work, school, other (phones also
    mobile, fax, pager), Apple's own label, or "" when the card gives none."""
    types = prop.types
    if prop.name == "TEL":
        for wanted in ("cell", "mobile", "iphone", "fax", "pager", "home", "work", "main",
                       "school", "other"):  # fmt: skip
            if wanted in types:
                return _PHONE_TYPES[wanted]
    else:
        for wanted in _PLACE_TYPES:
            if wanted in types:
                return wanted
    custom = groups.get(prop.group, "")
    if custom:
        return _PHONE_TYPES.get(custom, custom)[:40] if prop.name == "TEL" else custom[:40]
    return ""


def parse_birthday(value: str) -> dt.date:
    """BDAY as vCard writes it: 1980-05-17, 19800517, --0517, --05-17, 1980-05-17T00:00:00Z."""
    text = value.strip()
    date_part = text.split("T", 1)[0]
    try:
        if date_part.startswith("--"):
            digits = date_part[2:].replace("-", "")
            if len(digits) == 4 and digits.isdigit():
                return dt.date(YEARLESS, int(digits[:2]), int(digits[2:]))
        else:
            digits = date_part.replace("-", "")
            if len(digits) == 8 and digits.isdigit():
                return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        pass
    raise ValueError(f"{value.strip()!r} is not a date")


class _Reader:
    """One card's properties turned into a VCard; a value that cannot be read is left
    out with a warning, the card is kept."""

    def __init__(self, props: list[Property]) -> None:
        self.props = props
        # Apple writes a label for a grouped property as itemN.X-ABLabel:_$!<Mobile>!$_
        self.groups = {
            p.group: text_of(p).strip("_$!<>").lower()
            for p in props
            if p.name == "X-ABLABEL" and p.group
        }
        self.values: dict[str, str] = {}
        self.fields: dict[str, object] = {}
        self.emails: list[EmailEntry] = []
        self.phones: list[PhoneEntry] = []
        self.addresses: list[AddressEntry] = []
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.organizations: list[str] = []
        self.warnings: list[tuple[int, str]] = []
        self.not_used: Counter[str] = Counter()
        self.kind = "individual"

    def read(self) -> None:
        for prop in self.props:
            try:
                self.one(prop)
            except (ValueError, UnicodeError, LookupError) as exc:
                self.warnings.append((prop.line, f"{prop.name} left out: {exc}"))

    def one(self, prop: Property) -> None:
        name = prop.name
        if name == "N":
            # Each part may be a list (vCard 4.0: "Richter,James"): read as words.
            raw = split_escaped(raw_value(prop), ";")
            parts = [" ".join(unescape(w).strip() for w in split_escaped(p, ",") if w.strip())
                     for p in raw] + ["", "", "", "", ""]  # fmt: skip
            self.fields.update(last_name=parts[0], first_name=parts[1], middle_name=parts[2],
                               prefix=parts[3], suffix=parts[4])  # fmt: skip
        elif name in ("FN", "TITLE", "ROLE", "NOTE", "UID", "NICKNAME") and name not in self.values:
            self.values[name] = text_of(prop).replace("\r\n", "\n").replace("\r", "\n")
        elif name == "ORG":
            parts = components(prop)
            if parts and parts[0] and not self.organizations:
                self.fields["department"] = ", ".join(p for p in parts[1:] if p)
            if parts and parts[0]:
                self.organizations.append(parts[0])
        elif name == "EMAIL":
            self.email(prop)
        elif name == "TEL":
            number = text_of(prop).removeprefix("tel:")
            if number:
                self.phones.append(PhoneEntry(number[:64], _label(prop, self.groups)))
        elif name == "ADR":
            self.address(prop)
        elif name == "BDAY":
            self.fields["birthday"] = self.date(prop, "birthday")
        elif name in _ANNIVERSARIES or (name == "X-ABDATE" and self.is_anniversary(prop)):
            self.fields["anniversary"] = self.date(prop, "anniversary")
        elif name == "CATEGORIES":
            self.tags.extend(
                t for t in (unescape(p).strip() for p in split_escaped(raw_value(prop), ",")) if t
            )
        elif name == "URL":
            url = text_of(prop)
            if url:
                self.urls.append(url)
        elif (name, text_of(prop).lower()) in _ORG_MARKS:
            self.kind = "org"
        elif name not in _QUIET:
            self.not_used["X- properties (app-specific)" if name.startswith("X-") else name] += 1

    def is_anniversary(self, prop: Property) -> bool:
        return "anniversary" in self.groups.get(prop.group, "")

    def date(self, prop: Property, what: str) -> dt.date | None:
        value = raw_value(prop)
        try:
            return parse_birthday(value)
        except ValueError:
            self.warnings.append((prop.line, f"{what} {value.strip()!r} is not a date; left out"))
            return None

    def email(self, prop: Property) -> None:
        address = text_of(prop).removeprefix("mailto:").strip()
        if not address:
            return
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
            self.warnings.append(
                (prop.line, f"e-mail {address[:60]!r} is not an e-mail address; left out")
            )
            return
        self.emails.append(EmailEntry(address, _label(prop, self.groups)))

    def address(self, prop: Property) -> None:
        parts = [*components(prop), *[""] * 7][:7]
        if not any(parts):
            return
        street = ", ".join(p for p in (parts[2], parts[1], parts[0]) if p)
        self.addresses.append(
            AddressEntry(street, parts[3], parts[4], parts[5], parts[6], _label(prop, self.groups))
        )


def _card(start: int, props: list[Property], left_out: list[tuple[int, str]]) -> VCard:
    reader = _Reader(props)
    reader.warnings += left_out
    reader.read()
    fields, values = reader.fields, reader.values
    first = str(fields.get("first_name", ""))
    last = str(fields.get("last_name", ""))
    formatted = values.get("FN", "")
    organization = reader.organizations[0] if reader.organizations else ""
    kind = reader.kind
    if not (first or last) and formatted and formatted != organization:
        first, _, last = formatted.rpartition(" ")
        if not first:
            first, last = last, ""
    if not (first or last) and organization:
        kind = "org"
    if not (first or last or formatted or organization or reader.emails):
        raise CardError("it has no name, organisation or e-mail address")
    birthday = fields.get("birthday")
    anniversary = fields.get("anniversary")
    return VCard(
        line=start,
        kind=kind,
        uid=values.get("UID", ""),
        formatted_name=formatted,
        first_name=first,
        last_name=last,
        organization=organization,
        title=values.get("TITLE", ""),
        emails=tuple(reader.emails),
        phones=tuple(reader.phones),
        addresses=tuple(reader.addresses),
        birthday=birthday if isinstance(birthday, dt.date) else None,
        notes=values.get("NOTE", ""),
        tags=tuple(reader.tags),
        urls=tuple(reader.urls),
        prefix=str(fields.get("prefix", "")),
        middle_name=str(fields.get("middle_name", "")),
        suffix=str(fields.get("suffix", "")),
        nickname=values.get("NICKNAME", ""),
        department=str(fields.get("department", "")),
        role=values.get("ROLE", ""),
        anniversary=anniversary if isinstance(anniversary, dt.date) else None,
        other_organizations=tuple(reader.organizations[1:]),
        warnings=tuple(sorted(reader.warnings)),
        not_used=tuple(sorted(reader.not_used)),
    )


# ---- writing -------------------------------------------------------------------------------


def _date_text(day: dt.date) -> str:
    if day.year == YEARLESS:
        return f"--{day.month:02d}{day.day:02d}"
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


@lru_cache(maxsize=512)  # a few labels, on every card
def _type(label: str, phone: bool = False) -> str:
    """The TYPE parameter of a label ("" when there is none to write)."""
    text = label.strip().lower()
    if phone and text in _LABEL_TYPES:
        return f";TYPE={_LABEL_TYPES[text]}"
    if re.fullmatch(r"[a-z][a-z0-9-]*", text):
        return f";TYPE={text}"
    return ""


def card_lines(card: VCard) -> list[str]:
    """The unfolded content lines of one vCard 4.0."""
    lines = ["BEGIN:VCARD", "VERSION:4.0"]
    if card.uid:
        lines.append(f"UID:{card.uid if ':' in card.uid else 'urn:uuid:' + card.uid}")
    if card.kind == "org":
        lines.append("KIND:org")
    built = " ".join(
        p for p in (card.prefix, card.first_name, card.middle_name, card.last_name, card.suffix)
        if p
    )  # fmt: skip
    lines.append(f"FN:{escape(card.formatted_name or built or card.organization)}")
    if card.kind != "org" or card.first_name or card.last_name:
        names = (card.last_name, card.first_name, card.middle_name, card.prefix, card.suffix)
        lines.append(f"N:{';'.join(escape(p) for p in names)}")
    if card.nickname:
        lines.append(f"NICKNAME:{escape(card.nickname)}")
    if card.organization:
        department = f";{escape(card.department)}" if card.department else ""
        lines.append(f"ORG:{escape(card.organization)}{department}")
    lines += [f"ORG:{escape(o)}" for o in card.other_organizations]
    if card.title:
        lines.append(f"TITLE:{escape(card.title)}")
    if card.role:
        lines.append(f"ROLE:{escape(card.role)}")
    for index, entry in enumerate(card.emails):
        pref = ";PREF=1" if index == 0 else ""
        lines.append(f"EMAIL{_type(entry.label)}{pref}:{escape(entry.email)}")
    for index, phone in enumerate(card.phones):
        pref = ";PREF=1" if index == 0 else ""
        kind = _type(phone.label, phone=True)
        lines.append(f"TEL{kind}{pref};VALUE=text:{escape(phone.number)}")
    for address in card.addresses:
        parts = ("", "", address.street, address.city, address.region, address.postcode,
                 address.country)  # fmt: skip
        lines.append(f"ADR{_type(address.label)}:{';'.join(escape(p) for p in parts)}")
    if card.birthday is not None:
        lines.append(f"BDAY:{_date_text(card.birthday)}")
    if card.anniversary is not None:
        lines.append(f"ANNIVERSARY:{_date_text(card.anniversary)}")
    for url in card.urls:
        lines.append(f"URL:{escape(url)}")
    if card.tags:
        lines.append(f"CATEGORIES:{','.join(escape(t) for t in card.tags)}")
    if card.notes:
        lines.append(f"NOTE:{escape(card.notes)}")
    lines.append("END:VCARD")
    return lines


def write_cards(cards: Iterable[VCard]) -> Iterator[bytes]:
    """vCard 4.0 bytes, one card at a time (UTF-8, CRLF, folded at 75 octets)."""
    for card in cards:
        yield ("\r\n".join(map(fold, card_lines(card))) + "\r\n").encode("utf-8")
