"""Money in several currencies: the exchange rates the owner keeps, and conversion.

A rate says what one unit of a currency is worth in the business currency during a month
("CZK", "2026-11" -> 0.0398: 1 CZK = 0.0398 EUR). An amount of a month is converted at
that month's rate or, when the month has none, at the latest earlier month's rate (the
report names the month used). An amount with no rate at or before its month is not
converted: reports list it in its own currency and never add it to the others.

Amounts are whole cents (int); a conversion multiplies by a `Decimal` rate and rounds
half up to the cent, once per amount, so no float ever touches money.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from crm_desktop.domain.errors import ValidationError

RATES_SETTING = "exchange_rates"  # {"CZK": {"2026-11": "0.0398"}, ...}
TARGETS_SETTING = "targets"  # {"business" | user id: {"YYYY-MM" | "*": "20000.00"}}
BUSINESS_TARGET = "business"
EVERY_MONTH = "*"


@dataclass(frozen=True)
class ExchangeRate:
    currency: str
    month: str  # "YYYY-MM" the rate is for
    rate: Decimal  # one unit of `currency` in the business currency


@dataclass(frozen=True)
class SalesTarget:
    who: str  # a user's id, or "business"
    month: str  # "YYYY-MM", or "*" for every month without its own
    cents: int  # won value aimed at


def parse_amount(text: object) -> int:
    """An amount as typed ("20000", "20,000.50", "20000,50") in whole cents, exactly."""
    raw = str(text).strip().replace(" ", "").replace("\u00a0", "")
    if raw.count(",") == 1 and "." not in raw and len(raw.split(",")[1]) <= 2:
        raw = raw.replace(",", ".")
    raw = raw.replace(",", "")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(f"an amount is a number such as 20000.00, not {text!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError(f"an amount is a number of at least 0, not {text!r}")
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_rate(text: object) -> Decimal:
    """A rate as the owner types it ("0.0398", "0,0398"): a positive decimal."""
    try:
        rate = Decimal(str(text).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"a rate is a number such as 0.0398, not {text!r}") from None
    if not rate.is_finite() or rate <= 0:
        raise ValidationError(f"a rate is a number above 0, not {text!r}")
    return rate


def check_currency(code: str) -> str:
    code = code.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationError(f"a currency is a three-letter code such as CZK, not {code!r}")
    return code


def cents_to_decimal(cents: int) -> Decimal:
    """Whole cents as a decimal amount: 123456 -> Decimal("1234.56")."""
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True)
class RateUsed:
    currency: str
    month: str  # "YYYY-MM" of the rate
    rate: Decimal


@dataclass(frozen=True)
class Rates:
    """The owner's rates into the business currency `base`."""

    base: str
    table: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)

    @classmethod
    def from_setting(cls, base: str, value: object) -> Rates:
        """From the stored setting; entries that do not read as rates are left out."""
        table: dict[str, dict[str, Decimal]] = {}
        if isinstance(value, dict):
            for currency, months in value.items():
                if not isinstance(months, dict):
                    continue
                for month, text in months.items():
                    try:
                        table.setdefault(str(currency).upper(), {})[str(month)] = parse_rate(text)
                    except ValidationError:
                        continue
        return cls(base, table)

    def to_setting(self) -> dict[str, dict[str, str]]:
        return {c: {m: str(r) for m, r in sorted(ms.items())} for c, ms in self.table.items()}

    def rate(self, currency: str, month: str) -> RateUsed | None:
        """The rate for an amount of this month: the month's own, else the latest earlier."""
        if currency == self.base:
            return RateUsed(currency, month, Decimal(1))
        months = self.table.get(currency)
        if not months:
            return None
        keys = sorted(months)
        at = bisect.bisect_right(keys, month)
        if at == 0:
            return None
        key = keys[at - 1]
        return RateUsed(currency, key, months[key])

    def convert(self, cents: int, currency: str, month: str) -> int | None:
        """The amount in the business currency (whole cents, half up), or None: no rate."""
        if currency == self.base or not currency:
            return cents
        used = self.rate(currency, month)
        if used is None:
            return None
        return int((Decimal(cents) * used.rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Leftovers:
    """Amounts a report could not convert (per figure and currency, each item once: the
    same deal read twice for one figure is one amount) and the rates it used."""

    items: dict[tuple[str, str], dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    used: set[RateUsed] = field(default_factory=set)

    def add(self, figure: str, currency: str, cents: int, item: str) -> None:
        self.items[(figure, currency)][item] = cents

    def of(self, figure: str) -> dict[str, int]:
        """{currency: amount} left out of a figure."""
        return {c: sum(v.values()) for (f, c), v in sorted(self.items.items()) if f == figure}

    def rows(self) -> list[tuple[str, str, int, int]]:
        """(figure, currency, items, amount) of everything left out."""
        return [(f, c, len(v), sum(v.values())) for (f, c), v in sorted(self.items.items())]

    def merge(self, others: Iterable[Leftovers]) -> None:
        for other in others:
            for key, values in other.items.items():
                self.items[key].update(values)
            self.used |= other.used


class Converter:
    """Converts amounts for one report run and remembers what it could not convert."""

    def __init__(self, rates: Rates) -> None:
        self.rates = rates
        self.base = rates.base
        self.left = Leftovers()

    def __call__(self, cents: int, currency: str, month: str, figure: str, item: str) -> int:
        """The amount in the business currency, or 0 with the amount kept as a leftover
        of `figure` (e.g. "Won value") in its own currency; `item` names what it is the
        amount of (a deal's id), so one figure holds each item once."""
        if not currency or currency == self.base:
            return cents
        used = self.rates.rate(currency, month)
        if used is None:
            if cents:
                self.left.add(figure, currency, cents, item)
            return 0
        self.left.used.add(used)
        return int((Decimal(cents) * used.rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
