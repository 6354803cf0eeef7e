"""RFM: recency, frequency and monetary scores of customers, and the classes named after them.

Each score is 1..5 by quintile among all customers with a purchase (an order or a won
deal): 5 is the most recent, the most frequent, the biggest spender. The quintile of a
value is decided by four cut points (`quintile_cuts`), so the same scores can be worked
out in SQL from the cuts alone (a segment "RFM class is At risk" is a query, not a loop
over every customer). The classes come from the table `RULES`, read top to bottom.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

V = TypeVar("V", int, float, dt.date)

# The usual classes, best first.
RFM_CLASSES = (
    "Champions",
    "Loyal",
    "Potential",
    "New",
    "At risk",
    "Can't lose",
    "Hibernating",
    "Lost",
)


@dataclass(frozen=True)
class Rule:
    """A class for scores inside these bounds (both ends included)."""

    name: str
    recency: tuple[int, int] = (1, 5)
    frequency: tuple[int, int] = (1, 5)
    monetary: tuple[int, int] = (1, 5)

    def matches(self, r: int, f: int, m: int) -> bool:
        return all(lo <= s <= hi for s, (lo, hi) in zip((r, f, m), self.bounds(), strict=True))

    def bounds(self) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
        return self.recency, self.frequency, self.monetary


# The first rule that matches names the class; the last one catches the rest.
RULES = (
    Rule("Champions", recency=(4, 5), frequency=(4, 5)),
    Rule("Loyal", recency=(3, 5), frequency=(3, 5)),
    Rule("New", recency=(4, 5), frequency=(1, 1)),
    Rule("Potential", recency=(3, 5), frequency=(1, 2)),
    Rule("Can't lose", recency=(1, 2), frequency=(4, 5), monetary=(4, 5)),
    Rule("At risk", recency=(1, 2), frequency=(3, 5)),
    Rule("Hibernating", recency=(2, 2), frequency=(1, 2)),
    Rule("Lost"),
)


def rfm_class(recency: int, frequency: int, monetary: int) -> str:
    """The named class of three scores (5 best)."""
    for rule in RULES:
        if rule.matches(recency, frequency, monetary):
            return rule.name
    raise AssertionError("the last rule matches every score")  # pragma: no cover


def quintile_cuts(values: Sequence[V]) -> tuple[V, ...]:
    """Four cut points: a value's score is 1 plus the number of cuts it is above. The same
    as ranking it among `values` (equal values share the lower score); empty when there
    are no values."""
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return ()
    # score >= k + 1  <=>  5 * (number of values below v) // n >= k
    #                 <=>  v > ordered[ceil(k * n / 5) - 1]
    return tuple(ordered[max(0, -(-k * n // 5) - 1)] for k in range(1, 5))


def score(value: V, cuts: Sequence[V]) -> int:
    """1..5 from the cuts of `quintile_cuts`."""
    return 1 + bisect.bisect_left(list(cuts), value) if cuts else 1


def quintile_scores(values: Sequence[V]) -> list[int]:
    """A score 1..5 per value by where it falls among all of them (5: the top fifth).
    Equal values get the same score."""
    cuts = quintile_cuts(values)
    return [score(v, cuts) for v in values]


@dataclass(frozen=True)
class Purchases:
    """One customer's purchases: the last day, how many and how much (cents)."""

    key: str
    last_day: dt.date
    count: int
    total_cents: int


@dataclass(frozen=True)
class RfmCuts:
    """The cut points of the three scores over every customer at one time."""

    recency: tuple[dt.date, ...]
    frequency: tuple[int, ...]
    monetary: tuple[int, ...]

    @classmethod
    def of(cls, customers: Sequence[Purchases]) -> RfmCuts:
        return cls(
            quintile_cuts([c.last_day for c in customers]),
            quintile_cuts([c.count for c in customers]),
            quintile_cuts([c.total_cents for c in customers]),
        )


@dataclass(frozen=True)
class RfmScore:
    recency: int
    frequency: int
    monetary: int
    name: str

    @property
    def code(self) -> str:
        """The usual three-digit label, e.g. "545"."""
        return f"{self.recency}{self.frequency}{self.monetary}"


def score_of(customer: Purchases, cuts: RfmCuts) -> RfmScore:
    r = score(customer.last_day, cuts.recency)
    f = score(customer.count, cuts.frequency)
    m = score(customer.total_cents, cuts.monetary)
    return RfmScore(r, f, m, rfm_class(r, f, m))


def score_all(customers: Sequence[Purchases]) -> dict[str, RfmScore]:
    """Every customer's scores and class, by key."""
    cuts = RfmCuts.of(customers)
    return {c.key: score_of(c, cuts) for c in customers}
