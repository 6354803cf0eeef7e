"""vCard (RFC 2426 3.0 and RFC 6350 4.0, and the 2.1 cards of old phones) in and out.

Reading keeps going past a broken card: it is reported with the line it starts on, and
the good cards before and after it are returned. Understood: folded lines, escapes,
grouped properties (``item1.EMAIL`` from Apple), TYPE parameters in every spelling, N,
FN, ORG, TITLE, EMAIL, TEL, ADR, BDAY (with or without a year), NOTE, CATEGORIES, URL,
KIND, and 2.1's QUOTED-PRINTABLE values with their CHARSET. PHOTO and other properties
are skipped. A card of an organisation (``KIND:org``, Apple's ``X-ABShowAs:COMPANY``, or
an ORG without any name) comes back with ``kind == "org"``.

A birthday without a year (``--0517``) is given the year `YEARLESS` (1604, a leap year,
as Apple does), and written back without a year.

Writing produces vCard 4.0: CRLF line ends, values escaped, lines folded at 75 octets.
"""

from __future__ import annotations

import datetime as dt
import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from crm_desktop.domain.records import AddressEntry, EmailEntry, PhoneEntry
from crm_desktop.exchange.tabular import decode

YEARLESS = 1604
_FOLD_OCTETS = 75
_PHONE_LABELS = {
    "cell": "mobile",
    "mobile": "mobile",
    "iphone": "mobile",
    "home": "home",
    "work": "work",
    "fax": "fax",
    "pager": "pager",
    "main": "work",
}
_LABEL_TYPES = {"mobile": "cell", "home": "home", "work": "work", "fax": "fax", "pager": "pager"}
_ORG_MARKS = {("KIND", "org"), ("KIND", "organization"), ("X-ABSHOWAS", "company")}
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


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


class CardError(ValueError):
    """What is wrong with one card."""


@dataclass
class _Property:
    line: int
    group: str
    name: str
    params: dict[str, list[str]] = field(default_factory=dict)
    value: str = ""

    @property
    def types(self) -> list[str]:
        return [t.lower() for t in self.params.get("TYPE", [])]


# ---- reading -------------------------------------------------------------------------------


def read_cards(data: bytes) -> tuple[list[VCard], list[tuple[int, str]]]:
    """The cards of a .vcf file and a (line, what is wrong) for each card not read."""
    text, _encoding, problems = decode(data)
    cards: list[VCard] = []
    current: list[_Property] | None = None
    start = 0
    for prop in _logical_lines(text, problems):
        if prop is None:  # a line that is not a property
            continue
        if isinstance(prop, CardError):
            if current is not None:
                problems.append((start, f"card skipped: {prop}"))
                current = None
            continue
        name = prop.name
        if name == "BEGIN" and prop.value.strip().upper() == "VCARD":
            if current is not None:
                problems.append((start, "card skipped: it has no END:VCARD"))
            current, start = [], prop.line
        elif name == "END" and prop.value.strip().upper() == "VCARD":
            if current is not None:
                try:
                    cards.append(_card(start, current))
                except CardError as exc:
                    problems.append((start, f"card skipped: {exc}"))
            current = None
        elif current is not None:
            current.append(prop)
    if current is not None:
        problems.append((start, "card skipped: the file ends before its END:VCARD"))
    return cards, sorted(problems)


def _logical_lines(
    text: str, problems: list[tuple[int, str]]
) -> Iterator[_Property | CardError | None]:
    """Unfolded properties with the physical line each starts on."""
    pending: list[str] = []
    pending_line = 0
    quoted_printable = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and pending and not quoted_printable:
            pending.append(raw[1:])
            continue
        if quoted_printable and pending and pending[-1].endswith("="):
            pending[-1] = pending[-1][:-1]
            pending.append(raw.lstrip(" \t") if raw[:1] in (" ", "\t") else raw)
            quoted_printable = raw.endswith("=")
            continue
        if pending:
            yield _parse("".join(pending), pending_line)
        pending, pending_line = ([raw], number) if raw.strip() else ([], 0)
        head = raw.split(":", 1)[0].upper()
        quoted_printable = "QUOTED-PRINTABLE" in head and raw.endswith("=")
    if pending:
        yield _parse("".join(pending), pending_line)


def _parse(line: str, number: int) -> _Property | CardError | None:
    colon = _value_colon(line)
    if colon < 0:
        return CardError(f"line {number} is not a vCard property: {line[:40]!r}")
    head, value = line[:colon], line[colon + 1 :]
    parts = _split_unquoted(head, ";")
    name = parts[0].strip()
    group = ""
    if "." in name:
        group, name = name.rsplit(".", 1)
    if not name or not re.fullmatch(r"[A-Za-z0-9-]+", name):
        return CardError(f"line {number} has no property name: {line[:40]!r}")
    prop = _Property(number, group, name.upper(), value=value)
    for param in parts[1:]:
        if "=" in param:
            key, _, values = param.partition("=")
            for v in _split_unquoted(values, ","):
                prop.params.setdefault(key.strip().upper(), []).append(v.strip().strip('"'))
        elif param.strip():  # vCard 2.1: ;WORK;VOICE;QUOTED-PRINTABLE
            bare = param.strip().upper()
            key = "ENCODING" if bare in ("QUOTED-PRINTABLE", "BASE64", "B", "8BIT") else "TYPE"
            prop.params.setdefault(key, []).append(param.strip())
    return prop


def _value_colon(line: str) -> int:
    quoted = False
    for index, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            return index
    return -1


def _split_unquoted(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _split_escaped(value: str, sep: str) -> list[str]:
    """Split at `sep` not preceded by a backslash (the parts still escaped)."""
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(value):
        ch = value[index]
        if ch == "\\" and index + 1 < len(value):
            current.append(value[index : index + 2])
            index += 2
            continue
        if ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        index += 1
    parts.append("".join(current))
    return parts


def unescape(value: str) -> str:
    r"""A text value with \n, \N, \, \; and \\ turned back into what they stand for."""

    def one(match: re.Match[str]) -> str:
        ch = match.group(1)
        return "\n" if ch in "nN" else ch

    return _UNESCAPE.sub(one, value)


def _raw_value(prop: _Property) -> str:
    """The value with 2.1's quoted-printable decoded in its charset."""
    encodings = [e.upper() for e in prop.params.get("ENCODING", [])]
    if "QUOTED-PRINTABLE" not in encodings:
        return prop.value
    raw = quopri.decodestring(prop.value.encode("latin-1", errors="replace"))
    charset = (prop.params.get("CHARSET") or ["utf-8"])[0]
    try:
        return raw.decode(charset)
    except (LookupError, UnicodeDecodeError):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")


def _text(prop: _Property) -> str:
    return unescape(_raw_value(prop)).strip()


def _components(prop: _Property) -> list[str]:
    return [unescape(p).strip() for p in _split_escaped(_raw_value(prop), ";")]


def _label(prop: _Property, groups: dict[str, str], default: str) -> str:
    types = prop.types
    for wanted in ("cell", "mobile", "iphone", "fax", "pager", "home", "work", "main"):
        if wanted in types:
            return _PHONE_LABELS[wanted] if prop.name == "TEL" else _email_label(wanted)
    custom = groups.get(prop.group, "")
    if custom:
        return custom
    return default


def _email_label(kind: str) -> str:
    return "home" if kind == "home" else "work"


def parse_birthday(value: str) -> dt.date:
    """BDAY as vCard writes it: 1980-05-17, 19800517, --0517, --05-17, 1980-05-17T00:00:00Z."""
    text = value.strip()
    date_part = text.split("T", 1)[0]
    if date_part.startswith("--"):
        digits = date_part[2:].replace("-", "")
        if len(digits) == 4 and digits.isdigit():
            return dt.date(YEARLESS, int(digits[:2]), int(digits[2:]))
    else:
        digits = date_part.replace("-", "")
        if len(digits) == 8 and digits.isdigit():
            return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    raise ValueError(f"BDAY {value!r} is not a date")


def _card(start: int, props: list[_Property]) -> VCard:
    # Apple writes a custom label for a grouped property as itemN.X-ABLabel:_$!<Mobile>!$_
    groups = {
        p.group: _text(p).strip("_$!<>").lower() for p in props if p.name == "X-ABLABEL" and p.group
    }
    values: dict[str, str] = {}
    emails: list[EmailEntry] = []
    phones: list[PhoneEntry] = []
    addresses: list[AddressEntry] = []
    tags: list[str] = []
    urls: list[str] = []
    first = last = ""
    kind = "individual"
    birthday: dt.date | None = None
    for prop in props:
        name = prop.name
        if name == "N":
            parts = [*_components(prop), "", ""]
            last, first = parts[0], parts[1]
        elif name in ("FN", "TITLE", "NOTE", "UID", "VERSION") and name not in values:
            values[name] = _text(prop)
        elif name == "ORG" and "ORG" not in values:
            values["ORG"] = next((p for p in _components(prop) if p), "")
        elif name == "EMAIL":
            address = _text(prop)
            if address:
                emails.append(EmailEntry(address, _label(prop, groups, "work")))
        elif name == "TEL":
            number = _text(prop).removeprefix("tel:")
            if number:
                phones.append(PhoneEntry(number, _label(prop, groups, "work")))
        elif name == "ADR":
            parts = [*_components(prop), *[""] * 7][:7]
            street = ", ".join(p for p in (parts[2], parts[1], parts[0]) if p)
            if any(parts):
                label = "home" if "home" in prop.types else "work"
                addresses.append(
                    AddressEntry(street, parts[3], parts[4], parts[5], parts[6], label)
                )
        elif name == "BDAY":
            try:
                birthday = parse_birthday(_raw_value(prop))
            except ValueError as exc:
                raise CardError(f"line {prop.line}: {exc}") from exc
        elif name == "CATEGORIES":
            tags.extend(
                t for t in (unescape(p).strip() for p in _split_escaped(_raw_value(prop), ",")) if t
            )
        elif name == "URL":
            urls.append(_text(prop))
        elif (name, _text(prop).lower()) in _ORG_MARKS:
            kind = "org"
    formatted = values.get("FN", "")
    organization = values.get("ORG", "")
    if not (first or last) and formatted and formatted != organization:
        first, _, last = formatted.rpartition(" ")
        if not first:
            first, last = last, ""
    if not (first or last) and organization:
        kind = "org"
    if not (first or last or formatted or organization or emails):
        raise CardError("it has no name, organisation or e-mail address")
    return VCard(
        line=start,
        kind=kind,
        uid=values.get("UID", ""),
        formatted_name=formatted,
        first_name=first,
        last_name=last,
        organization=organization,
        title=values.get("TITLE", ""),
        emails=tuple(emails),
        phones=tuple(phones),
        addresses=tuple(addresses),
        birthday=birthday,
        notes=values.get("NOTE", ""),
        tags=tuple(tags),
        urls=tuple(u for u in urls if u),
    )


# ---- writing -------------------------------------------------------------------------------


def escape(value: str) -> str:
    r"""A text value escaped for vCard 4.0: \\ \, \; and \n."""
    return (
        value.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """A content line cut into lines of at most 75 octets (never inside a character);
    each continuation starts with a space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= _FOLD_OCTETS:
        return line
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    limit = _FOLD_OCTETS
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, _FOLD_OCTETS - 1
        current.append(ch)
        size += width
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


def _birthday_text(day: dt.date) -> str:
    if day.year == YEARLESS:
        return f"--{day.month:02d}{day.day:02d}"
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def card_lines(card: VCard) -> list[str]:
    """The unfolded content lines of one vCard 4.0."""
    lines = ["BEGIN:VCARD", "VERSION:4.0"]
    if card.uid:
        lines.append(f"UID:{card.uid if ':' in card.uid else 'urn:uuid:' + card.uid}")
    if card.kind == "org":
        lines.append("KIND:org")
    name = card.formatted_name or " ".join(p for p in (card.first_name, card.last_name) if p)
    lines.append(f"FN:{escape(name or card.organization)}")
    if card.kind != "org" or card.first_name or card.last_name:
        lines.append(f"N:{escape(card.last_name)};{escape(card.first_name)};;;")
    if card.organization:
        lines.append(f"ORG:{escape(card.organization)}")
    if card.title:
        lines.append(f"TITLE:{escape(card.title)}")
    for index, entry in enumerate(card.emails):
        pref = ";PREF=1" if index == 0 else ""
        kind = "home" if entry.label == "home" else "work"
        lines.append(f"EMAIL;TYPE={kind}{pref}:{escape(entry.email)}")
    for index, phone in enumerate(card.phones):
        pref = ";PREF=1" if index == 0 else ""
        kind = _LABEL_TYPES.get(phone.label, "voice")
        lines.append(f"TEL;TYPE={kind}{pref};VALUE=text:{escape(phone.number)}")
    for address in card.addresses:
        kind = "home" if address.label == "home" else "work"
        parts = ("", "", address.street, address.city, address.region, address.postcode,
                 address.country)  # fmt: skip
        lines.append(f"ADR;TYPE={kind}:{';'.join(escape(p) for p in parts)}")
    if card.birthday is not None:
        lines.append(f"BDAY:{_birthday_text(card.birthday)}")
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
        yield "".join(fold(line) + "\r\n" for line in card_lines(card)).encode("utf-8")
