"""The deals as they stood at any instant, rebuilt from the stage history and the change log.

A report of a past month shows that month as it was at its end, whatever happened since:
a deal's stage (and so whether it was open, won or lost, and since when) comes from the
stage history; its owner, value, currency, probability, expected close and deletion from
the change log, where every edit is stamped with its clock. The value a field had at an
instant is the one its last edit at or before that instant set; a field with no edit by
then has the value the deal was created with (the insert in the change log), and a deal
never edited keeps its current values. A deal exists from its creation time on.

Nothing is stored for this: the book is read once per report run (the deals, one ordered
read of the stage history, the change log rows of the deals that were ever edited, reached
through the log's row index) and every instant is worked out from it in memory. Times are
Julian day numbers (UTC), as the database gives them cheaply.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any

from crm_desktop.domain.pipeline import effective_probability
from crm_desktop.domain.reports import julian_day
from crm_desktop.persistence.reporting import ReportingQueries

# The fields of a deal rebuilt from the change log (its stage comes from the stage history).
TRACKED = (
    "owner_id",
    "value_cents",
    "currency",
    "probability",
    "expected_close",
    "deleted_at",
    # What the deal is and who it is for, as `DealFacts`:
    "title",
    "contact_id",
    "company_id",
    "lead_source",
    "campaign_id",
    "reason_id",
)
_OWNER, _VALUE, _CURRENCY, _PROBABILITY, _CLOSE, _DELETED = range(6)
_FACTS = range(6, 12)
_MS_PER_DAY = 86_400_000
_UNIX_EPOCH_JD = 2440587.5


@dataclass(frozen=True)
class StageInfo:
    id: str
    pipeline_id: str
    pipeline: str
    name: str
    position: int
    probability: int
    rotting_days: int
    kind: str


@dataclass(slots=True)  # not frozen: one per deal and run, made faster this way
class DealFacts:
    """What a report takes from a deal as it is now (not rebuilt: who the customer is,
    where the deal came from, why it closed)."""

    id: str
    title: str
    contact_id: str | None
    company_id: str | None
    lead_source: str
    campaign_id: str | None
    reason: str
    created: float  # Julian day


@dataclass(slots=True)  # not frozen: a report builds a hundred thousand of them
class DealAt:
    """A deal as it stood at an instant."""

    facts: DealFacts
    stage: StageInfo
    owner_id: str | None
    value_cents: int  # in `currency`
    currency: str
    probability: int  # the effective one (the override, else the stage's)
    expected_close: dt.date | None
    entered: float  # Julian day it entered its stage
    closed: float | None  # Julian day it was won or lost (None: open)

    @property
    def id(self) -> str:
        return self.facts.id

    @property
    def status(self) -> str:
        return self.stage.kind


def stamp_day(hlc: str) -> float:
    """A change's clock stamp ("<wall ms, 13 hex>-...", `domain.hlc.Timestamp`) as a
    Julian day number."""
    return int(hlc[:13], 16) / _MS_PER_DAY + _UNIX_EPOCH_JD


def _decode(field: str, value: Any) -> Any:
    if field == "expected_close":
        return dt.date.fromisoformat(value[:10]) if isinstance(value, str) and value else None
    if field == "value_cents":
        return int(value or 0)
    return value


class _Edits:
    """One edited deal's history of its tracked fields."""

    __slots__ = ("initial", "points")

    def __init__(self) -> None:
        self.initial: dict[int, Any] = {}  # field index -> value at creation
        self.points: dict[int, tuple[list[float], list[Any]]] = {}

    def value(self, index: int, at: float, current: Any) -> Any:
        times_values = self.points.get(index)
        if times_values is None:
            return current
        times, values = times_values
        i = bisect.bisect_right(times, at)
        if i:
            return values[i - 1]
        return self.initial.get(index, current)


class DealBook:
    """Every deal of the database, at any instant."""

    def __init__(
        self,
        q: ReportingQueries,
        stages: dict[str, StageInfo],
        now: dt.datetime,
        moves: list[tuple[str, str | None, str, float]] | None = None,
    ) -> None:
        """`moves`: `q.all_stage_moves()` when it was read already (on another thread)."""
        self.stages = stages
        self.now = julian_day(now)
        self._rows = [(*r[:7], _decode("expected_close", r[7]), *r[8:]) for r in q.deal_rows()]
        self._moves: dict[str, tuple[list[float], list[str], str | None]] = {}
        closing: list[tuple[float, int]] = []
        index_of = {row[0]: i for i, row in enumerate(self._rows)}
        if moves is None:
            moves = q.all_stage_moves()
        for deal_id, group in groupby(moves, key=itemgetter(0)):
            path = list(group)
            times = [float(m[3]) for m in path]
            tos = [m[2] for m in path]
            self._moves[deal_id] = (times, tos, path[0][1])
            at = index_of.get(deal_id)
            if at is not None:
                for when, stage_id in zip(times, tos, strict=True):
                    stage = stages.get(stage_id)
                    if stage is not None and stage.kind != "open":
                        closing.append((when, at))
        for i, row in enumerate(self._rows):
            if row[0] not in self._moves and row[11] is not None:
                closing.append((float(row[11]), i))
        closing.sort()
        self._closing_times = [c[0] for c in closing]
        self._closing = [c[1] for c in closing]
        self._edits = self._read_edits(q)
        self._labels = labels = q.reason_labels()
        self._facts = [
            DealFacts(
                r[0],
                r[1],
                r[12],
                r[13],
                r[14] or "",
                r[15],
                labels.get(r[16] or "", ""),
                float(r[8]),
            )
            for r in self._rows
        ]
        self._at: dict[float, list[DealAt]] = {}
        self._open_at: dict[float, list[DealAt]] = {}

    @staticmethod
    def _read_edits(q: ReportingQueries) -> dict[str, _Edits]:
        index = {name: i for i, name in enumerate(TRACKED)}
        edits: dict[str, _Edits] = defaultdict(_Edits)
        for deal_id, field, hlc, value in q.deal_edits(TRACKED):
            decoded = json.loads(value) if value else None
            history = edits[deal_id]
            if field == "*":
                if isinstance(decoded, dict):
                    for name, i in index.items():
                        history.initial[i] = _decode(name, decoded.get(name))
                continue
            times, values = history.points.setdefault(index[field], ([], []))
            times.append(stamp_day(hlc))
            values.append(_decode(field, decoded))
        return edits

    # ---- one deal, one instant ---------------------------------------------------------------

    def _state(self, i: int, at: float) -> DealAt | None:
        row = self._rows[i]
        facts = self._facts[i]
        if facts.created > at:
            return None
        (_id, _t, stage_id, owner, value, currency, override, closes) = row[:8]
        deleted, entered, closed = row[9], float(row[10]), row[11]
        if at >= self.now:  # now: the deals as they are
            if deleted is not None:
                return None
            stage = self.stages[stage_id]
            return self._make(
                facts, stage, owner, value, currency, override, closes, entered, closed
            )
        edits = self._edits.get(facts.id)
        if edits is not None and _DELETED in edits.points:
            if edits.value(_DELETED, at, None) is not None:
                return None
        elif deleted is not None and float(deleted) <= at:
            return None
        if edits is not None:
            if any(i in edits.points for i in _FACTS):
                facts = self._facts_at(facts, edits, at)
            owner = edits.value(_OWNER, at, owner)
            value = edits.value(_VALUE, at, value)
            currency = edits.value(_CURRENCY, at, currency) or currency
            override = edits.value(_PROBABILITY, at, override)
            closes = edits.value(_CLOSE, at, closes)
        moves = self._moves.get(facts.id)
        if moves is not None:
            times, tos, first_from = moves
            k = bisect.bisect_right(times, at)
            if k:
                stage_id, entered = tos[k - 1], times[k - 1]
            else:
                stage_id, entered = first_from or tos[0], facts.created
        elif entered > at:
            entered = facts.created
        stage = self.stages[stage_id]
        closed = entered if stage.kind != "open" else None
        return self._make(facts, stage, owner, value, currency, override, closes, entered, closed)

    def _facts_at(self, facts: DealFacts, edits: _Edits, at: float) -> DealFacts:
        """A deal's title, customer, source, campaign and reason as they were at `at`."""
        now = (
            facts.title,
            facts.contact_id,
            facts.company_id,
            facts.lead_source,
            facts.campaign_id,
        )
        title, contact, company, source, campaign = (
            edits.value(i, at, current) for i, current in zip(_FACTS, now, strict=False)
        )
        reason_id = edits.value(_FACTS[-1], at, None)
        reason = (
            self._labels.get(reason_id or "", "") if _FACTS[-1] in edits.points else facts.reason
        )
        return DealFacts(
            facts.id, title or "", contact, company, source or "", campaign, reason, facts.created
        )

    @staticmethod
    def _make(
        facts: DealFacts,
        stage: StageInfo,
        owner: str | None,
        value: Any,
        currency: str,
        override: int | None,
        closes: dt.date | None,
        entered: float,
        closed: Any,
    ) -> DealAt:
        kind = stage.kind
        if kind == "open":
            probability = stage.probability if override is None else override
            if not 0 <= probability <= 100:  # the rule's own check and message
                probability = effective_probability(override, stage.probability, kind)
            closed = None
        else:
            probability = 100 if kind == "won" else 0
            closed = None if closed is None else float(closed)
        return DealAt(
            facts, stage, owner, int(value or 0), currency, probability, closes, entered, closed
        )

    # ---- what the reports ask ------------------------------------------------------------------

    def at(self, moment: dt.datetime) -> list[DealAt]:
        """Every deal that existed at `moment`, as it stood then (later than now: now)."""
        key = min(julian_day(moment), self.now)
        found = self._at.get(key)
        if found is None:
            found = [s for i in range(len(self._rows)) if (s := self._state(i, key)) is not None]
            self._at[key] = found
        return found

    def open_at(self, moment: dt.datetime) -> list[DealAt]:
        """The deals open at `moment`, as they stood then. Deals whose stage history
        shows them closed then are passed over without being rebuilt."""
        key = min(julian_day(moment), self.now)
        if key in self._at or key >= self.now:
            return [d for d in self.at(moment) if d.closed is None]
        found = self._open_at.get(key)
        if found is None:
            found = []
            stages, moves, bisect_right = self.stages, self._moves, bisect.bisect_right
            for i, facts in enumerate(self._facts):
                if facts.created > key:
                    continue
                history = moves.get(facts.id)
                if history is not None:
                    k = bisect_right(history[0], key)
                    if k and stages[history[1][k - 1]].kind != "open":
                        continue
                state = self._state(i, key)
                if state is not None and state.closed is None:
                    found.append(state)
            self._open_at[key] = found
        return found

    def closed_between(self, start: dt.datetime, end: dt.datetime) -> list[DealAt]:
        """The deals won or lost in [start, end), as they stood at `end` (or now): a deal
        won in the range and reopened before its end is not among them."""
        first = bisect.bisect_left(self._closing_times, julian_day(start))
        last = bisect.bisect_left(self._closing_times, julian_day(end))
        low, high = julian_day(start), julian_day(end)
        at = min(high, self.now)
        result = []
        for i in dict.fromkeys(self._closing[first:last]):
            state = self._state(i, at)
            if state is not None and state.closed is not None and low <= state.closed < high:
                result.append(state)
        return result

    def created_between(self, start: dt.datetime, end: dt.datetime) -> list[DealAt]:
        """The deals created in [start, end) that still existed at `end` (or now), as then."""
        low, high = julian_day(start), julian_day(end)
        return [d for d in self.at(end) if low <= d.facts.created < high]

    def close_dates(self, deal_id: str, at: float) -> list[dt.date | None]:
        """A deal's expected close dates in the order set, up to `at`: the one it was
        created with, then each edit (a deal never edited: its current one)."""
        edits = self._edits.get(deal_id)
        points = edits.points.get(_CLOSE) if edits is not None else None
        if edits is None or points is None:
            return []
        times, values = points
        upto = len(values) if at >= self.now else bisect.bisect_right(times, at)
        return [edits.initial.get(_CLOSE), *values[:upto]]

    def moves(self) -> list[tuple[str, list[float], list[str]]]:
        """(deal id, move times, stages moved to) of every deal with a stage history."""
        return [(deal_id, times, tos) for deal_id, (times, tos, _f) in self._moves.items()]
