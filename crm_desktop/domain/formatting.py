"""One way to write money, dates, times, addresses and counts everywhere the app shows
them, from the user's locale and the business currency.

Pure: the window calls `use_locale(QLocale.system().name())` and `use_currency(...)` once
at start (and when the business currency changes); everything else calls the format_*
functions. Without a locale (tests, the command line) the neutral conventions apply:
"1,234.50 EUR", "17 May 2026", "14:30".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crm_desktop.domain.records import AddressEntry
from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FULL_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Symbols only where one is unambiguous; other currencies are written by their code.
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}
_NO_CENTS = {"JPY"}
# Irregular plurals of the nouns the window counts.
_PLURALS = {"person": "people", "company": "companies", "activity": "activities"}


@dataclass(frozen=True)
class Conventions:
    """How one locale writes numbers, money and dates."""

    decimal: str = "."
    group: str = ","
    symbol: bool = False  # a currency symbol (€) instead of the ISO code
    symbol_first: bool = False  # €1,234 rather than 1,234 €
    date: str = "dmy"  # "dmy": 17 May 2026, "mdy": May 17, 2026, or numeric: see numeric
    numeric: str = ""  # a numeric date pattern, e.g. "{d:02d}.{m:02d}.{y}"
    clock12: bool = False


NEUTRAL = Conventions()
_BY_LOCALE = {
    "en_US": Conventions(symbol=True, symbol_first=True, date="mdy", clock12=True),
    "en_CA": Conventions(symbol=True, symbol_first=True, date="mdy", clock12=True),
    "en_GB": Conventions(symbol=True, symbol_first=True),
    "en_IE": Conventions(symbol=True, symbol_first=True),
    "en_AU": Conventions(symbol=True, symbol_first=True, clock12=True),
    "en_IN": Conventions(symbol=True, symbol_first=True, clock12=True),
    "de": Conventions(",", ".", True, False, numeric="{d:02d}.{m:02d}.{y}"),
    "de_CH": Conventions(".", "'", True, False, numeric="{d:02d}.{m:02d}.{y}"),
    "fr": Conventions(",", "\u202f", True, False, numeric="{d:02d}/{m:02d}/{y}"),
    "es": Conventions(",", ".", True, False, numeric="{d:02d}/{m:02d}/{y}"),
    "it": Conventions(",", ".", True, False, numeric="{d:02d}/{m:02d}/{y}"),
    "nl": Conventions(",", ".", True, True, numeric="{d:02d}-{m:02d}-{y}"),
    "pl": Conventions(",", "\u00a0", True, False, numeric="{d:02d}.{m:02d}.{y}"),
    "cs": Conventions(",", "\u00a0", True, False, numeric="{d:02d}.{m:02d}.{y}"),
    "sv": Conventions(",", "\u00a0", True, False, numeric="{y}-{m:02d}-{d:02d}"),
    "da": Conventions(",", ".", True, False, numeric="{d:02d}.{m:02d}.{y}"),
    "nb": Conventions(",", "\u00a0", True, False, numeric="{d:02d}.{m:02d}.{y}"),
    "fi": Conventions(",", "\u00a0", True, False, numeric="{d}.{m}.{y}"),
    "pt": Conventions(",", ".", True, False, numeric="{d:02d}/{m:02d}/{y}"),
    "tr": Conventions(",", ".", True, False, numeric="{d:02d}.{m:02d}.{y}"),
    "ja": Conventions(symbol=True, symbol_first=True, numeric="{y}/{m:02d}/{d:02d}"),
}


@dataclass
class _State:
    conventions: Conventions = NEUTRAL
    currency: str = DEFAULT_CURRENCY


_state = _State()


def conventions_for(locale_name: str) -> Conventions:
    """The conventions of a locale name such as "de_DE", "en-GB" or "fr_FR.UTF-8"; the
    neutral ones for a locale not known here (or "C")."""
    name = locale_name.split(".", 1)[0].replace("-", "_")
    return _BY_LOCALE.get(name) or _BY_LOCALE.get(name.split("_", 1)[0]) or NEUTRAL


def use_locale(locale_name: str) -> Conventions:
    """Format as `locale_name` does from now on (the window calls this once at start)."""
    _state.conventions = conventions_for(locale_name)
    return _state.conventions


def use_currency(currency: str) -> None:
    """The business currency: what an amount without a currency of its own is in."""
    _state.currency = currency or DEFAULT_CURRENCY


def business_currency() -> str:
    return _state.currency


def current() -> Conventions:
    return _state.conventions


# ---- numbers and money --------------------------------------------------------------------


def format_number(value: int, conventions: Conventions | None = None) -> str:
    """1234567 -> "1,234,567" (or "1.234.567", "1 234 567" by the locale)."""
    c = conventions or _state.conventions
    return f"{value:,}".replace(",", c.group)


def format_money(
    cents: int,
    currency: str | None = None,
    conventions: Conventions | None = None,
    cents_always: bool = False,
) -> str:
    """An amount in cents as the locale writes it: 123450 EUR -> "1,234.50 EUR" (neutral),
    "€1,234.50" (en_GB), "1.234,50 €" (de); whole amounts drop the cents unless
    `cents_always` (tables whose figures line up)."""
    c = conventions or _state.conventions
    code = currency or _state.currency
    whole, rest = divmod(abs(cents), 100)
    text = format_number(whole, c)
    if (rest or cents_always) and code not in _NO_CENTS:
        text += f"{c.decimal}{rest:02d}"
    sign = "-" if cents < 0 else ""
    symbol = _SYMBOLS.get(code) if c.symbol else None
    if symbol is None:
        return f"{sign}{text} {code}"
    return f"{sign}{symbol}{text}" if c.symbol_first else f"{sign}{text}\u00a0{symbol}"


# ---- dates and times ----------------------------------------------------------------------


def format_date(
    day: dt.date | dt.datetime | None, conventions: Conventions | None = None, short: bool = False
) -> str:
    """A date as the locale writes it: "17 May 2026", "May 17, 2026" or "17.05.2026"; a
    datetime is read in the local zone first. `short` leaves out the year of a date in the
    current year ("17 May", "2 Jan"). A birthday without a year (year 1604, as Apple writes it)
    reads "17 May". None reads ""."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = day.astimezone().date() if day.tzinfo else day.date()
    c = conventions or _state.conventions
    if day.year == 1604:
        return _day_month(day, c, _FULL_MONTHS)
    if short and day.year == dt.date.today().year:
        return _day_month(day, c, _MONTHS)
    if c.numeric:
        return c.numeric.format(d=day.day, m=day.month, y=day.year)
    if c.date == "mdy":
        return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _day_month(day: dt.date, c: Conventions, months: tuple[str, ...]) -> str:
    if c.date == "mdy":
        return f"{months[day.month - 1]} {day.day}"
    return f"{day.day} {months[day.month - 1]}"


def format_time(moment: dt.datetime | dt.time, conventions: Conventions | None = None) -> str:
    """A time of day: "14:30", or "2:30 PM" where the locale uses a 12-hour clock."""
    c = conventions or _state.conventions
    if isinstance(moment, dt.datetime):
        moment = (moment.astimezone() if moment.tzinfo else moment).time()
    if not c.clock12:
        return f"{moment.hour:02d}:{moment.minute:02d}"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def format_datetime(
    moment: dt.datetime | None, conventions: Conventions | None = None, short: bool = False
) -> str:
    """A moment in the local zone: "17 May 2026, 14:30"."""
    if moment is None:
        return ""
    local = moment.astimezone() if moment.tzinfo else moment
    return f"{format_date(local, conventions, short)}, {format_time(local, conventions)}"


# ---- addresses and counts -----------------------------------------------------------------


def format_address(address: AddressEntry) -> str:
    """One line: street, postcode and city together, region, country:
    "Quartzstr. 35, 21845 Paris, France"."""
    place = " ".join(p for p in (address.postcode, address.city) if p)
    parts = (address.street, place, address.region, address.country)
    return ", ".join(p.strip() for p in parts if p and p.strip())


def plural(count: int, noun: str) -> str:
    """The noun for `count`: plural("person", 2) -> "people"."""
    if count == 1:
        return noun
    if noun in _PLURALS:
        return _PLURALS[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def pluralise(count: int, noun: str, conventions: Conventions | None = None) -> str:
    """A count with its noun: "1 person", "2 people", "1 deal", "1,204 deals"."""
    return f"{format_number(count, conventions)} {plural(count, noun)}"
