"""Pipeline rules: probability, weighted value, rotting, won/lost."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


def effective_probability(override: int | None, stage_probability: int, kind: str) -> int:
    """A won deal is 100 %, a lost one 0 %; an open deal uses its own override if set,
    else its stage's default."""
    if kind == StageKind.WON:
        return 100
    if kind == StageKind.LOST:
        return 0
    value = stage_probability if override is None else override
    if not 0 <= value <= 100:
        raise ValidationError(f"probability must be between 0 and 100, not {value}")
    return value


def weighted_cents(value_cents: int, probability: int) -> int:
    """Value times probability, rounded half up to the cent."""
    return (value_cents * probability + 50) // 100


def days_in_stage(entered: dt.datetime, now: dt.datetime) -> int:
    return max(0, (now - entered).days)


def is_rotting(entered: dt.datetime, rotting_days: int, kind: str, now: dt.datetime) -> bool:
    """An open deal rots when it sat in its stage longer than the stage allows."""
    return (
        kind == StageKind.OPEN and rotting_days > 0 and days_in_stage(entered, now) > rotting_days
    )


@dataclass(frozen=True)
class StageRecord:
    id: str
    pipeline_id: str
    name: str
    position: int
    probability: int
    rotting_days: int
    kind: str


@dataclass(frozen=True)
class PipelineRecord:
    id: str
    name: str
    stages: tuple[StageRecord, ...]


@dataclass(frozen=True)
class ReasonRecord:
    id: str
    kind: str
    label: str


@dataclass(frozen=True)
class DealCard:
    """A card on the board."""

    id: str
    title: str
    company_name: str
    contact_name: str
    value_cents: int
    currency: str
    probability: int
    expected_close: dt.date | None
    owner_name: str
    owner_initials: str
    days_in_stage: int
    rotting: bool
    stage_id: str
    position: int

    @property
    def weighted_cents(self) -> int:
        return weighted_cents(self.value_cents, self.probability)


@dataclass(frozen=True)
class BoardColumn:
    stage: StageRecord
    cards: tuple[DealCard, ...]

    @property
    def count(self) -> int:
        return len(self.cards)

    @property
    def total_cents(self) -> int:
        return sum(c.value_cents for c in self.cards)

    @property
    def weighted_cents(self) -> int:
        return sum(c.weighted_cents for c in self.cards)


@dataclass(frozen=True)
class BoardFilter:
    owner_id: str | None = None
    text: str = ""
    close_before: dt.date | None = None
    include_closed: bool = True


@dataclass(frozen=True)
class DealLine:
    description: str
    quantity: int = 1
    unit_price_cents: int = 0
    discount_pct: int = 0
    product_id: str | None = None

    @property
    def total_cents(self) -> int:
        """Quantity x price less the discount, rounded half up to the cent."""
        gross = self.quantity * self.unit_price_cents
        return (gross * (100 - self.discount_pct) + 50) // 100


@dataclass(frozen=True)
class DealDraft:
    title: str
    pipeline_id: str
    stage_id: str
    value_cents: int = 0
    currency: str = DEFAULT_CURRENCY
    probability: int | None = None  # None: the stage's default
    expected_close: dt.date | None = None
    owner_id: str | None = None
    contact_id: str | None = None
    company_id: str | None = None
    lead_source: str = ""
    campaign_id: str | None = None
    lines: tuple[DealLine, ...] = ()
    value_from_lines: bool = False

    def validated(self) -> DealDraft:
        if not self.title.strip():
            raise ValidationError("a deal needs a title")
        if self.value_cents < 0:
            raise ValidationError("a deal's value cannot be negative")
        if self.probability is not None and not 0 <= self.probability <= 100:
            raise ValidationError(f"probability must be between 0 and 100, not {self.probability}")
        for line in self.lines:
            if line.quantity <= 0 or line.unit_price_cents < 0 or not 0 <= line.discount_pct <= 100:
                raise ValidationError(
                    f"line {line.description!r}: quantity must be positive, "
                    "price not negative, discount 0..100 %"
                )
        return self

    @property
    def effective_value_cents(self) -> int:
        if self.value_from_lines and self.lines:
            return sum(line.total_cents for line in self.lines)
        return self.value_cents


@dataclass(frozen=True)
class StageMove:
    moved_at: dt.datetime
    from_stage: str
    to_stage: str


@dataclass(frozen=True)
class DealRecord:
    id: str
    draft: DealDraft
    stage_name: str
    stage_kind: str
    status: str
    reason: str
    close_note: str
    closed_at: dt.datetime | None
    contact_name: str
    company_name: str
    owner_name: str
    history: tuple[StageMove, ...]
    deleted: bool


@dataclass(frozen=True)
class DealRow:
    id: str
    title: str
    stage_name: str
    status: str
    value_cents: int
    currency: str
    probability: int
    expected_close: dt.date | None
    owner_name: str
    company_name: str
    contact_name: str

    @property
    def weighted_cents(self) -> int:
        return weighted_cents(self.value_cents, self.probability)


# Board order: a deal's place in its column is a rank between its neighbours', so a drag
# writes one row (two devices dragging different cards don't rewrite each other's). Ranks
# are spaced integers; only when two neighbours have no room left is the column renumbered.
RANK_GAP = 65_536


def rank_between(before: int | None, after: int | None) -> int | None:
    """A rank strictly between two neighbours' (None: no neighbour on that side), or None
    when there is no integer room left between them."""
    if before is None and after is None:
        return 0
    if before is None:
        assert after is not None
        return after - RANK_GAP
    if after is None:
        return before + RANK_GAP
    if after - before < 2:
        return None
    return before + (after - before) // 2


def spaced_ranks(count: int) -> list[int]:
    """Fresh ranks for a whole column, evenly spaced."""
    return [index * RANK_GAP for index in range(count)]
