"""The calendar's records: occurrences of activities, reminders, edits that can be
undone, and what an import of a calendar file did."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from crm_desktop.domain.changes import ChangeSet


@dataclass(frozen=True)
class Occurrence:
    activity_id: str
    kind: str
    subject: str
    start: dt.datetime
    end: dt.datetime
    all_day: bool
    done: bool
    recurring: bool


@dataclass(frozen=True)
class Reminder:
    activity_id: str
    subject: str
    kind: str
    occurrence: dt.datetime  # when the activity starts
    at: dt.datetime  # when to remind


@dataclass(frozen=True)
class KeepInTouch:
    contact_id: str
    name: str
    reason: str


@dataclass(frozen=True)
class CalendarEdit:
    """What an edit of the calendar did, so it can be undone exactly: the rows it created
    and the fields of the rows it changed as they were before."""

    changes: ChangeSet
    activity_id: str  # the activity that now holds the edited occurrence
    created: tuple[str, ...] = ()
    before: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = ()


@dataclass(frozen=True)
class ImportSummary:
    """What an import of a calendar file did, and what it did not, with why."""

    created: int
    updated: int
    problems: tuple[str, ...]  # events not imported (or not all of them), each with why
    notes: tuple[str, ...] = ()  # imported, with something guessed (a zone, a line left out)
    not_used: tuple[str, ...] = ()  # what the file holds that is not kept ("LOCATION (3)")
    moved: int = 0  # occurrences moved out of their series (stored as exceptions)
    cancelled: int = 0  # occurrences cancelled (stored as EXDATEs of their series)
    tasks: int = 0  # to-dos imported as tasks
    readable: bool = True  # False: not an iCalendar file at all; nothing was imported
    changes: Any = field(default=None, compare=False)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    @property
    def exit_code(self) -> int:
        """0: all imported; 1: nothing could be imported; 3: part of it was."""
        if not self.readable or (self.problems and not self.imported):
            return 1
        return 3 if self.problems else 0
