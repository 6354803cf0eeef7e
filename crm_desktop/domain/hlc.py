"""Hybrid logical clock: timestamps that sort as text across devices (SYNC.md point 4).

A stamp is ``"<wall ms, 13 hex>-<counter, 4 hex>-<device id>"``. It never goes backwards on
one device even when the wall clock does, and it moves past any stamp it has seen.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_DRIFT_MS = 5 * 60 * 1000
_MAX_COUNTER = 0xFFFF


class ClockDriftError(ValueError):
    """A remote stamp is too far ahead of the local wall clock to be trusted."""


@dataclass(frozen=True, order=True)
class Timestamp:
    millis: int
    counter: int
    device_id: str

    def __str__(self) -> str:
        return f"{self.millis:013x}-{self.counter:04x}-{self.device_id}"

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        try:
            millis, counter, device = text.split("-", 2)
            return cls(int(millis, 16), int(counter, 16), device)
        except ValueError as exc:
            raise ValueError(f"not a clock stamp: {text!r}") from exc


class HybridLogicalClock:
    """Thread-safe HLC for one device."""

    def __init__(
        self,
        device_id: str,
        last: str | None = None,
        wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self._device_id = device_id
        self._wall_ms = wall_ms
        self._lock = threading.Lock()
        if last:
            stamp = Timestamp.parse(last)
            self._millis, self._counter = stamp.millis, stamp.counter
        else:
            self._millis, self._counter = 0, 0

    @property
    def device_id(self) -> str:
        return self._device_id

    def now(self) -> str:
        """A new stamp, later than every stamp this clock made or received."""
        with self._lock:
            wall = self._wall_ms()
            if wall > self._millis:
                self._millis, self._counter = wall, 0
            else:
                self._counter += 1
                if self._counter > _MAX_COUNTER:
                    # Too many stamps in one millisecond: borrow the next millisecond.
                    self._millis, self._counter = self._millis + 1, 0
            return str(Timestamp(self._millis, self._counter, self._device_id))

    def receive(self, remote: str) -> None:
        """Move past a stamp seen from another device; refuse one far in the future."""
        stamp = Timestamp.parse(remote)
        with self._lock:
            wall = self._wall_ms()
            if stamp.millis - wall > MAX_DRIFT_MS:
                raise ClockDriftError(
                    f"device {stamp.device_id} is {(stamp.millis - wall) // 60000} minutes "
                    "ahead of this computer's clock"
                )
            if stamp.millis > self._millis or (
                stamp.millis == self._millis and stamp.counter > self._counter
            ):
                self._millis, self._counter = stamp.millis, stamp.counter


def stamp_time(stamp: str) -> dt.datetime:
    """The wall-clock time (UTC) a stamp was taken at, to the millisecond."""
    return dt.datetime.fromtimestamp(Timestamp.parse(stamp).millis / 1000, tz=dt.UTC)


def stamp_floor(moment: dt.datetime) -> str:
    """The smallest stamp of a moment: every stamp taken before it sorts below it (the
    inverse of `stamp_time`, for comparing stored stamps with a time)."""
    return f"{int(moment.timestamp() * 1000):013x}"
