"""Time-zone names as calendar programs write them, resolved to IANA zones.

A TZID may be an IANA name (``Europe/Berlin``), a Windows id (``W. Europe Standard
Time``), a Windows display name (``(UTC-03:00) Brasília``, ``Canberra, Melbourne,
Sydney``), or a custom name with an IANA name inside (``custom_America/New_York``,
``/mozilla.org/20050126_1/Europe/Paris``). `resolve` finds the IANA zone of each; a zone
known only by its rules (a VTIMEZONE) is matched by `zone_by_offsets`."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from crm_desktop.domain.windows_zones import DISPLAY_NAMES, WINDOWS_ZONES

UTC_NAMES = frozenset({"utc", "gmt", "z", "etc/utc", "etc/gmt", "zulu", "universal"})
_REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
            "Europe", "Indian", "Pacific", "Etc")  # fmt: skip
_EMBEDDED = re.compile(
    rf"(?:{'|'.join(_REGIONS)})/[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)?", re.IGNORECASE
)
_OFFSET_PREFIX = re.compile(
    r"^\(?\s*(?:utc|gmt)\s*(?:([+-−])\s*(\d{1,2})(?::?(\d{2}))?)?\s*\)?\s*", re.IGNORECASE
)


def fold(text: str) -> str:
    """Lower case, accents removed, single spaces: "Brasília " -> "brasilia"."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


@cache
def _iana() -> dict[str, str]:
    """Every IANA name by its folded spelling."""
    names = {n for n in available_timezones() if not n.startswith(("posix/", "right/"))}
    return {n.casefold(): n for n in names}


@cache
def _cities() -> dict[str, list[str]]:
    """The place of each IANA zone ("sao paulo", "new york") -> the zones of that name."""
    found: dict[str, list[str]] = {}
    for name in sorted(_iana().values()):
        if name.split("/", 1)[0] not in _REGIONS or name.startswith("Etc/"):
            continue
        place = fold(name.rsplit("/", 1)[-1].replace("_", " "))
        found.setdefault(place, []).append(name)
    return found


@cache
def _windows() -> dict[str, str]:
    return {fold(k): v for k, v in WINDOWS_ZONES.items()}


def is_iana(name: str) -> bool:
    return name.casefold() in _iana()


def resolve(tzid: str) -> str | None:
    """The IANA zone a TZID stands for ("UTC" for UTC), or None if the name says nothing
    we know (then the VTIMEZONE's rules may, see `zone_by_offsets`)."""
    name = tzid.strip().strip('"').strip()
    if not name:
        return None
    folded = fold(name)
    if folded in UTC_NAMES or folded.rsplit("/", 1)[-1] in UTC_NAMES:  # tzone://Microsoft/Utc
        return "UTC"
    exact = _iana().get(name.casefold())
    if exact:
        return exact
    windows = _windows().get(folded)
    if windows:
        return windows
    for match in _EMBEDDED.finditer(name):
        found = _iana().get(match.group(0).casefold())
        if found:
            return found
    return _display_name(name)


def _display_name(name: str) -> str | None:
    """A Windows display name: "(UTC+10:00) Canberra, Melbourne, Sydney"."""
    prefix = _OFFSET_PREFIX.match(name)
    offset: dt.timedelta | None = None
    rest = name
    if prefix and prefix.group(0).strip():
        rest = name[prefix.end() :]
        if prefix.group(2):
            sign = -1 if prefix.group(1) in "-−" else 1
            offset = sign * dt.timedelta(
                hours=int(prefix.group(2)), minutes=int(prefix.group(3) or 0)
            )
        elif not rest.strip():
            return "UTC"
    folded = fold(rest)
    if not folded:
        return None
    known = DISPLAY_NAMES.get(folded) or _windows().get(folded)
    if known:
        return known
    for part in re.split(r"[,;/&]|\band\b", folded):
        for zone in _cities().get(part.strip(), []):
            if offset is None or standard_offset(zone) == offset:
                return zone
    return None


def standard_offset(name: str, year: int = 2024) -> dt.timedelta:
    """The smaller of a zone's January and July offsets (its standard time, mostly)."""
    zone = ZoneInfo(name)
    offsets = [
        dt.datetime(year, month, 1, 12, tzinfo=zone).utcoffset() or dt.timedelta()
        for month in (1, 7)
    ]
    return min(offsets)


def samples(years: Iterable[int]) -> list[dt.datetime]:
    """Instants (UTC) every five days through these years: enough to see each change of
    offset of a zone, and the week it happens in."""
    found = []
    for year in sorted(set(years)):
        start = dt.datetime(year, 1, 1, 12, tzinfo=dt.UTC)
        found += [start + dt.timedelta(days=5 * n) for n in range(74)]
    return found


def zone_by_offsets(
    offset_at: Callable[[dt.datetime], dt.timedelta | None],
    years: Iterable[int],
    hint: str = "",
) -> str | None:
    """The IANA zone whose offsets match `offset_at` at every sample instant of these
    years (a zone known only by its VTIMEZONE rules); among several, the one named in
    `hint`, else the one Windows maps to, else the first by name. None if none matches."""
    instants = samples(years)
    wanted = [offset_at(moment) for moment in instants]
    if any(w is None for w in wanted):
        return None
    candidates = []
    for name in sorted(_iana().values()):
        if name.split("/", 1)[0] not in _REGIONS:
            continue
        zone = ZoneInfo(name)
        if all(
            moment.astimezone(zone).utcoffset() == w
            for moment, w in zip(instants, wanted, strict=True)
        ):
            candidates.append(name)
    if not candidates:
        return None
    folded = fold(hint)
    for name in candidates:
        if fold(name.rsplit("/", 1)[-1].replace("_", " ")) in folded:
            return name
    preferred = set(WINDOWS_ZONES.values())
    return next((n for n in candidates if n in preferred), candidates[0])


def fixed_offset_zone(offset: dt.timedelta) -> str | None:
    """The Etc/GMT±N zone of a whole-hour offset (its sign reversed, as POSIX has it)."""
    seconds = int(offset.total_seconds())
    if seconds % 3600 or abs(seconds) > 14 * 3600:
        return None
    hours = -seconds // 3600
    if hours == 0:
        return "UTC"
    return f"Etc/GMT{hours:+d}"


def safe_zone(name: str) -> dt.tzinfo:
    """The zone of a stored name, never failing: resolved as `resolve` does, UTC when
    nothing matches (an export or a calendar view must not stop on an old value)."""
    if not name:
        return dt.UTC
    resolved = resolve(name)
    if resolved and resolved != "UTC":
        try:
            return ZoneInfo(resolved)
        except (ZoneInfoNotFoundError, ValueError):
            return dt.UTC
    return dt.UTC
