"""Rules of the quick actions on a contact: what a logged call stores, when a follow-up is
due by default."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.vocabulary import ACTIVITY_KINDS

# How long an activity of a kind lasts when nobody says (minutes).
DEFAULT_MINUTES = {"meeting": 60, "call": 15}
OTHER_MINUTES = 30
# A follow-up is due this many days from today, at this local time of day.
FOLLOW_UP_DAYS = 3
FOLLOW_UP_TIME = dt.time(10, 0)
# The subject of a logged call unless one is given; of a note, its first line, this long.
CALL_SUBJECT = "Call"
SUBJECT_LENGTH = 80
# How often a planned activity reminds, minutes before it starts.
REMINDER_MINUTES = 15


def default_minutes(kind: str) -> int:
    """How long an activity of this kind lasts unless said otherwise."""
    return DEFAULT_MINUTES.get(kind, OTHER_MINUTES)


def check_kind(kind: str) -> str:
    if kind not in ACTIVITY_KINDS:
        raise ValidationError(
            f"unknown activity kind {kind!r} (one of {', '.join(ACTIVITY_KINDS)})"
        )
    return kind


def follow_up_due(
    days: int = FOLLOW_UP_DAYS,
    today: dt.date | None = None,
    at: dt.time = FOLLOW_UP_TIME,
    tz: dt.tzinfo | None = None,
) -> dt.datetime:
    """When a follow-up "in `days` days" is due: that day at `at` local time (the
    machine's time zone unless `tz` is given), as an aware UTC time."""
    if days < 0:
        raise ValidationError("a follow-up is due today or later, not in the past")
    day = (today or dt.date.today()) + dt.timedelta(days=days)
    local = dt.datetime.combine(day, at)
    local = local.replace(tzinfo=tz) if tz is not None else local.astimezone()
    return local.astimezone(dt.UTC)


def note_subject(text: str) -> str:
    """A note's subject: its first line, cut to a list's width."""
    lines = text.strip().splitlines()
    return lines[0][:SUBJECT_LENGTH] if lines else ""


@dataclass(frozen=True)
class CallLog:
    """What a logged call stores: what was said (the outcome), how long it took and when
    it started (unless said, it has just ended: it started `minutes` ago)."""

    outcome: str
    minutes: int = DEFAULT_MINUTES["call"]
    started_at: dt.datetime | None = None
    subject: str = CALL_SUBJECT

    def validated(self) -> CallLog:
        if not self.outcome.strip():
            raise ValidationError("a logged call needs what was said")
        if not 0 < self.minutes <= 24 * 60:
            raise ValidationError(f"a call lasts 1 to 1,440 minutes, not {self.minutes}")
        if self.started_at is not None and self.started_at.tzinfo is None:
            raise ValidationError("the time of a call needs its time zone")
        return self

    def start(self, now: dt.datetime) -> dt.datetime:
        """When the call started, given the time it is logged."""
        return self.started_at or now - dt.timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Step:
    day: int
    kind: str
    subject: str


@dataclass(frozen=True)
class FollowUpTemplate:
    id: str
    name: str
    steps: tuple[Step, ...]
    stage_id: str | None = None  # applied by itself when a deal enters this stage
