"""The time zones of one iCalendar file: each TZID resolved to an IANA zone once.

By its name first (IANA, Windows, display and custom names: domain/zones.py); a name
that says nothing is matched by the rules of its VTIMEZONE in the file (the IANA zone
with the same offsets through the years of the events); the last resort is the fixed
offset of the VTIMEZONE, with a note; a TZID with neither is read in the user's zone."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from typing import Any
from zoneinfo import ZoneInfo

from crm_desktop.domain import zones

log = logging.getLogger(__name__)


class ZoneBook:
    """TZID -> (IANA name or "" for UTC, tzinfo) for one file, with what was guessed."""

    def __init__(self, vtimezones: dict[str, Any], local: str) -> None:
        self._definitions = vtimezones  # TZID -> icalendar Timezone component
        self.local = local  # the user's zone, for floating times ("" = UTC)
        self._found: dict[str, tuple[str, dt.tzinfo]] = {}
        self.notes: list[str] = []  # what was read with a guess, once per zone

    def local_zone(self) -> tuple[str, dt.tzinfo]:
        return (self.local, ZoneInfo(self.local)) if self.local else ("", dt.UTC)

    def zone(self, tzid: str, year: int) -> tuple[str, dt.tzinfo]:
        """The zone of a TZID (looked up once per file)."""
        if tzid not in self._found:
            self._found[tzid] = self._resolve(tzid, year)
        return self._found[tzid]

    def _resolve(self, tzid: str, year: int) -> tuple[str, dt.tzinfo]:
        name = zones.resolve(tzid)
        if name == "UTC":
            return "", dt.UTC
        if name:
            return name, ZoneInfo(name)
        definition = self._definitions.get(tzid)
        if definition is None:
            local = self.local_zone()
            self.notes.append(
                f"time zone {tzid!r} is not known and not defined in the file: its times "
                f"were read in your zone ({local[0] or 'UTC'})"
            )
            return local
        tz = _rules(definition)
        if tz is not None:
            matched = zones.zone_by_offsets(
                lambda moment: moment.astimezone(tz).utcoffset(), (year, year + 1), tzid
            )
            if matched:
                self.notes.append(
                    f"time zone {tzid!r} is not a known name: read as {matched}, "
                    "the zone with the same rules"
                )
                return ("", dt.UTC) if matched == "UTC" else (matched, ZoneInfo(matched))
        return self._fixed(tzid, definition, year, tz)

    def _fixed(
        self, tzid: str, definition: Any, year: int, tz: dt.tzinfo | None
    ) -> tuple[str, dt.tzinfo]:
        offset = None
        if tz is not None:
            offset = dt.datetime(year, 1, 15, 12, tzinfo=dt.UTC).astimezone(tz).utcoffset()
        if offset is None:
            offset = _standard_offset(definition)
        if offset is None:
            local = self.local_zone()
            self.notes.append(
                f"time zone {tzid!r} could not be read from the file: its times were read in "
                f"your zone ({local[0] or 'UTC'})"
            )
            return local
        text = _offset_text(offset)
        named = zones.fixed_offset_zone(offset)
        if named:
            self.notes.append(
                f"time zone {tzid!r} matches no known zone: read with its fixed offset {text} "
                f"({named}); daylight saving time is not applied"
            )
            return ("", dt.UTC) if named == "UTC" else (named, ZoneInfo(named))
        self.notes.append(
            f"time zone {tzid!r} matches no known zone: read with its fixed offset {text} "
            "and kept in UTC"
        )
        return "", dt.timezone(offset)


def _rules(definition: Any) -> dt.tzinfo | None:
    """The tzinfo icalendar builds from a VTIMEZONE (None if it cannot)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tz = definition.to_tz()
            dt.datetime(2024, 1, 1, tzinfo=dt.UTC).astimezone(tz).utcoffset()
    except Exception as exc:  # a broken definition: the library's errors vary
        log.info("VTIMEZONE %s not usable: %s", definition.get("TZID"), exc)
        return None
    return tz if isinstance(tz, dt.tzinfo) else None


def _standard_offset(definition: Any) -> dt.timedelta | None:
    for part in definition.walk("STANDARD") or definition.walk("DAYLIGHT"):
        value = part.get("TZOFFSETTO")
        offset = getattr(value, "td", None)
        if isinstance(offset, dt.timedelta):
            return offset
    return None


def _offset_text(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
