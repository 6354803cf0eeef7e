"""Recurring activities (RFC 5545 RRULE with EXDATE exceptions) expanded in the event's own
time zone, so "every Monday 10:00 Europe/Berlin" stays at 10:00 across daylight saving."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rruleset, rrulestr

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.zones import resolve

Moment = dt.datetime | dt.date
Period = tuple[dt.datetime, dt.datetime]  # an RDATE given as a PERIOD: start and end


def zone(name: str) -> dt.tzinfo:
    """A time zone by IANA name (or a Windows or custom name of one, as older versions
    stored them); UTC for an empty name."""
    if not name:
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        resolved = resolve(name)
        if resolved == "UTC":
            return dt.UTC
        if resolved:
            return ZoneInfo(resolved)
        raise ValidationError(f"unknown time zone {name!r}") from None


# Bounds on the work one rule can cause (a hostile or broken calendar file): a rule may
# repeat at most MAX_COUNT times when it repeats more often than hourly; expanding it for
# one range walks at most MAX_STEPS repetitions from its start and yields at most
# MAX_PER_RANGE of them (a month of hourly repetitions is 744).
MAX_COUNT = 10_000
MAX_STEPS = 200_000
MAX_PER_RANGE = 2_000
_SECONDS = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86_400, "WEEKLY": 604_800}
_TOO_OFTEN = {"SECONDLY": "every second", "MINUTELY": "every minute"}


@dataclass(frozen=True)
class Expansion:
    """The occurrences of one rule in one range, and the work it took."""

    found: list[dt.datetime]
    steps: int  # repetitions walked from the start of the series
    capped: bool  # stopped at MAX_STEPS or MAX_PER_RANGE


def check_reasonable(rrule: str, start: dt.datetime) -> None:
    """Refuse a rule whose repetitions cannot end in reason: more than MAX_COUNT times,
    or every second / minute with no end near enough."""
    parts = rule_parts(rrule)
    freq = parts.get("FREQ", "").upper()
    count_text = parts.get("COUNT", "")
    count = int(count_text) if count_text.isdigit() else None
    if count is not None and count > MAX_COUNT:
        raise ValidationError(
            f"the rule repeats {count:,} times; crm-desktop plans at most {MAX_COUNT:,} "
            "repetitions of one activity"
        )
    if freq not in _TOO_OFTEN or count is not None:
        return
    interval_text = parts.get("INTERVAL", "1")
    interval = int(interval_text) if interval_text.isdigit() and int(interval_text) else 1
    until = _until(parts.get("UNTIL", ""))
    if until is not None:
        span = (until - start.astimezone(dt.UTC)).total_seconds()
        if span / (_SECONDS[freq] * interval) <= MAX_COUNT:
            return
    raise ValidationError(
        f"the rule repeats {_TOO_OFTEN[freq]} without an end in reach; crm-desktop plans "
        f"repetitions that often only with an end (at most {MAX_COUNT:,} times)"
    )


def _until(text: str) -> dt.datetime | None:
    for pattern in ("%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, pattern).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


def occurrences(
    start: dt.datetime,
    rrule: str,
    exdates: Iterable[dt.datetime],
    window_start: dt.datetime,
    window_end: dt.datetime,
    timezone: str = "",
    rdates: Iterable[dt.datetime] = (),
) -> list[dt.datetime]:
    """Start times (aware, UTC) of the occurrences inside [window_start, window_end).

    `start` is the first occurrence (aware). The rule is expanded in `timezone` wall time,
    only for the window asked for; RDATEs add occurrences, EXDATEs remove them. A rule
    that cannot end in reason is refused (ValidationError); the work is bounded (see
    `expand`)."""
    return expand(start, rrule, exdates, window_start, window_end, timezone, rdates).found


def expand(
    start: dt.datetime,
    rrule: str,
    exdates: Iterable[dt.datetime],
    window_start: dt.datetime,
    window_end: dt.datetime,
    timezone: str = "",
    rdates: Iterable[dt.datetime] = (),
) -> Expansion:
    """`occurrences`, with the work it took: at most MAX_STEPS repetitions are walked and
    MAX_PER_RANGE returned, whatever the rule."""
    tz = zone(timezone)
    local_start = start.astimezone(tz)
    extra = [d.astimezone(tz) for d in rdates]
    if not rrule and not extra:
        inside = window_start <= start < window_end
        return Expansion([start.astimezone(dt.UTC)] if inside else [], 1, False)
    if rrule:
        check_reasonable(rrule, start)
    try:
        if rrule:
            text = f"RRULE:{normalise_until(rrule, tz)}"
            rule = rrulestr(text, dtstart=local_start, forceset=True)
        else:  # extra dates alone: the first start and those dates
            rule = rruleset()
            rule.rdate(local_start)
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"not a recurrence rule: {rrule!r} ({exc})") from exc
    for moment in extra:
        rule.rdate(moment)
    skipped = {d.astimezone(dt.UTC) for d in exdates}
    first, last = window_start.astimezone(tz), window_end.astimezone(tz)
    result: list[dt.datetime] = []
    steps, capped = 0, False
    try:
        for moment in rule:
            steps += 1
            if moment > last:
                break
            if steps > MAX_STEPS or len(result) >= MAX_PER_RANGE:
                capped = True
                break
            if moment < first:
                continue
            when = moment.astimezone(dt.UTC)
            if when not in skipped and window_start <= when < window_end:
                result.append(when)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValidationError(f"not a recurrence rule: {rrule!r} ({exc})") from exc
    return Expansion(result, steps, capped)


@dataclass(frozen=True)
class IcsEvent:
    """An event (VEVENT) or a to-do (VTODO) as iCalendar carries it. Date-times are
    aware (in `timezone`, an IANA name, or UTC when it is ""); dates are all-day."""

    uid: str
    summary: str
    start: Moment | None
    end: Moment | None = None
    description: str = ""
    timezone: str = ""  # IANA zone of the start; "" for UTC
    rrule: str = ""
    exdates: tuple[Moment, ...] = ()
    attendees: tuple[str, ...] = ()  # e-mail addresses
    categories: tuple[str, ...] = field(default_factory=tuple)
    rdates: tuple[Moment | Period, ...] = ()
    recurrence_id: Moment | None = None  # set on an exception of a series (same UID)
    cancelled: bool = False  # STATUS:CANCELLED
    todo: bool = False  # a VTODO: `start` is when it is due
    done: bool = False  # a completed to-do
    number: int = 0  # its place in the file (1 = the first event or to-do)

    @property
    def all_day(self) -> bool:
        return self.start is not None and not isinstance(self.start, dt.datetime)

    @property
    def label(self) -> str:
        """How a message names it: kind, number and summary."""
        kind = "to-do" if self.todo else "event"
        return f"{kind} {self.number} {self.summary or '(no title)'!r}"


def normalise_until(rrule: str, tz: dt.tzinfo = dt.UTC) -> str:
    """The rule with its UNTIL as the UTC date-time RFC 5545 wants with an aware start.
    A date-only UNTIL (as Google and Apple write) counts its whole day, and a floating one
    is wall time, both in the event's zone `tz` (UTC for all-day events)."""
    parts = rule_parts(rrule)
    until = parts.get("UNTIL", "")
    if not until or until.upper().endswith("Z"):
        return rrule.removeprefix("RRULE:")
    try:
        if len(until) == 8:  # YYYYMMDD: the whole day counts
            day = dt.datetime.strptime(until, "%Y%m%d")
            wall = day.replace(hour=23, minute=59, second=59)
        else:
            wall = dt.datetime.strptime(until[:15], "%Y%m%dT%H%M%S")
    except ValueError as exc:
        raise ValidationError(f"not a recurrence rule: UNTIL={until!r} is not a date") from exc
    parts["UNTIL"] = wall.replace(tzinfo=tz).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return join_rule(parts)


def shift_weekdays(rrule: str, days: int) -> str:
    """The rule for a series moved by `days` days: BYDAY weekdays (keeping an ordinal such
    as 1TU) and BYMONTHDAY move along, so "every Monday" dragged to a Tuesday becomes
    "every Tuesday"."""
    if days % 7 == 0 and "BYMONTHDAY" not in rule_parts(rrule):
        return rrule
    parts = rule_parts(rrule)
    codes = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    if "BYDAY" in parts:
        moved = []
        for item in parts["BYDAY"].split(","):
            prefix, code = item[:-2], item[-2:]
            if code in codes:
                code = codes[(codes.index(code) + days) % 7]
            moved.append(prefix + code)
        parts["BYDAY"] = ",".join(moved)
    if "BYMONTHDAY" in parts and days:
        shifted = []
        for item in parts["BYMONTHDAY"].split(","):
            try:
                value = int(item)
            except ValueError:
                return rrule
            new = value + days
            if value < 0 or not 1 <= new <= 31:
                raise ValidationError("this move would take a monthly repetition out of its month")
            shifted.append(str(new))
        parts["BYMONTHDAY"] = ",".join(shifted)
    return join_rule(parts)


def same_rule(a: str, b: str) -> bool:
    """The same rule, whatever the order of its parts."""
    return rule_parts(a) == rule_parts(b)


def rule_parts(rrule: str) -> dict[str, str]:
    """FREQ=WEEKLY;BYDAY=MO -> {"FREQ": "WEEKLY", "BYDAY": "MO"} (keys upper-case)."""
    parts: dict[str, str] = {}
    for piece in rrule.removeprefix("RRULE:").split(";"):
        if "=" in piece:
            key, value = piece.split("=", 1)
            parts[key.strip().upper()] = value.strip()
    return parts


def join_rule(parts: dict[str, str]) -> str:
    order = ["FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "COUNT", "UNTIL"]
    keys = sorted(parts, key=lambda k: (order.index(k) if k in order else len(order), k))
    return ";".join(f"{k}={parts[k]}" for k in keys)


def split_rule(
    start: dt.datetime, rrule: str, at: dt.datetime, timezone: str = ""
) -> tuple[str, str]:
    """Cut a series at the occurrence `at`: the rule of the part before it (ending just
    before `at`) and the rule of the part from `at` on (a COUNT is shared out)."""
    before, after = rule_parts(rrule), rule_parts(rrule)
    if "COUNT" in before:
        done = len(occurrences(start, rrule, (), start, at, timezone))
        total = int(before["COUNT"])
        before["COUNT"] = str(max(done, 1))
        after["COUNT"] = str(max(total - done, 1))
    else:
        before.pop("COUNT", None)
        before["UNTIL"] = (at.astimezone(dt.UTC) - dt.timedelta(seconds=1)).strftime(
            "%Y%m%dT%H%M%SZ"
        )
    return join_rule(before), join_rule(after)


_DAYS = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday"}
_DAYS |= {"FR": "Friday", "SA": "Saturday", "SU": "Sunday"}
_UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}


_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def weekdays_in_words(byday: str) -> str:
    """BYDAY codes as people write them: "MO,WE,FR" -> "Mon, Wed, Fri" (an ordinal such
    as "1TU" stays in front: "1 Tue")."""
    words = []
    for item in (part.strip().upper() for part in byday.split(",")):
        if not item:
            continue
        code, ordinal = item[-2:], item[:-2]
        name = _DAYS[code][:3] if code in _DAYS else item
        words.append(f"{ordinal} {name}" if ordinal and code in _DAYS else name)
    return ", ".join(words)


def weekdays_from_words(text: str) -> str:
    """The reverse of `weekdays_in_words`, forgiving: "mon, Wednesday fri" or "MO,WE"
    -> "MO,WE,FR". Raises ValidationError on a word that is not a weekday."""
    codes = []
    for word in text.replace(",", " ").split():
        key = word.strip().upper()
        code = next((c for c in _CODES if key == c or _DAYS[c].upper().startswith(key)), None)
        if code is None or len(key) < 2:
            raise ValidationError(f"{word!r} is not a day of the week")
        if code not in codes:
            codes.append(code)
    return ",".join(sorted(codes, key=_CODES.index))


def describe(rrule: str) -> str:
    """A rule in words: "every 2 weeks on Monday, Thursday, 10 times"."""
    if not rrule:
        return "once"
    parts = rule_parts(rrule)
    unit = _UNITS.get(parts.get("FREQ", ""), "time")
    interval = int(parts.get("INTERVAL", "1") or 1)
    text = f"every {unit}" if interval == 1 else f"every {interval} {unit}s"
    if "BYDAY" in parts:
        names = [_DAYS.get(d[-2:], d) for d in parts["BYDAY"].split(",")]
        text += " on " + ", ".join(names)
    if "COUNT" in parts:
        text += f", {parts['COUNT']} times"
    if "UNTIL" in parts:
        raw = parts["UNTIL"]
        text += f", until {raw[0:4]}-{raw[4:6]}-{raw[6:8]}"
    return text
