"""vCard content lines: unfolding (with 2.1's quoted-printable soft breaks), parameters
in every spelling, escapes, and folding for writing. Shared by reading and writing."""

from __future__ import annotations

import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_FOLD_OCTETS = 75
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


class CardError(ValueError):
    """What is wrong with one card."""


@dataclass
class Property:
    line: int
    group: str
    name: str
    params: dict[str, list[str]] = field(default_factory=dict)
    value: str = ""

    @property
    def types(self) -> list[str]:
        # TYPE="voice,home" (quoted, vCard 4.0) is two types, as TYPE=voice,home is
        return [t.strip().lower() for v in self.params.get("TYPE", []) for t in v.split(",")]


def logical_lines(
    text: str, problems: list[tuple[int, str]]
) -> Iterator[Property | CardError | None]:
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
            yield parse_line("".join(pending), pending_line)
        pending, pending_line = ([raw], number) if raw.strip() else ([], 0)
        head = raw.split(":", 1)[0].upper()
        quoted_printable = "QUOTED-PRINTABLE" in head and raw.endswith("=")
    if pending:
        yield parse_line("".join(pending), pending_line)


def parse_line(line: str, number: int) -> Property | CardError | None:
    colon = _value_colon(line)
    if colon < 0:
        return CardError(f"line {number} is not a vCard property: {line[:40]!r}")
    head, value = line[:colon], line[colon + 1 :]
    parts = split_unquoted(head, ";")
    name = parts[0].strip()
    group = ""
    if "." in name:
        group, name = name.rsplit(".", 1)
    if not name or not re.fullmatch(r"[A-Za-z0-9-]+", name):
        return CardError(f"line {number} has no property name: {line[:40]!r}")
    prop = Property(number, group, name.upper(), value=value)
    for param in parts[1:]:
        if "=" in param:
            key, _, values = param.partition("=")
            for v in split_unquoted(values, ","):
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


def split_unquoted(text: str, sep: str) -> list[str]:
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


def split_escaped(value: str, sep: str) -> list[str]:
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


def raw_value(prop: Property) -> str:
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


def text_of(prop: Property) -> str:
    return unescape(raw_value(prop)).strip()


def components(prop: Property) -> list[str]:
    return [unescape(p).strip() for p in split_escaped(raw_value(prop), ";")]


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
    if len(line) <= _FOLD_OCTETS and line.isascii():  # most lines: nothing to measure
        return line
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
