"""Quiet hours: a weekly wall-clock window in Home Assistant's time zone (pure, no HA imports).

A window belongs to the day it starts. ``start < end`` is a same-day window, ``start > end``
crosses midnight into the next day, and ``start == end`` lasts 24 hours from ``start``.
Everything is evaluated on the local wall clock, so DST needs no special casing in
``is_active``: a wall-clock time skipped by a spring-forward change is simply never inside
(or outside) anything, and both occurrences of a repeated fall-back time count alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
import re
from typing import Final

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_TIME_RE: Final = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
# next_change looks this many local days around `now`. The pattern repeats weekly, so a
# change (if any) is at most 8 days away even when DST erases one day's window.
_SEARCH_DAYS_BACK: Final = 1
_SEARCH_DAYS_AHEAD: Final = 16
_ONE_DAY: Final = timedelta(days=1)
_RESOLUTION: Final = timedelta(microseconds=1)


class QuietMode(StrEnum):
    """What quiet hours do to a session that would start inside the window."""

    BLOCK = "block"
    LOW_VOLUME = "low_volume"


def parse_time(value: str) -> time:
    """Parse ``HH:MM`` or ``HH:MM:SS`` (as HA's time selector stores it)."""
    if not isinstance(value, str):
        raise ValueError(f"time must be a string, not {type(value).__name__}")
    match = _TIME_RE.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"not a time of day (HH:MM or HH:MM:SS): {value!r}")
    hour, minute, second = match.groups()
    return time(int(hour), int(minute), int(second or 0))  # ValueError when out of range


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("a time zone aware datetime is required")
    return now


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A quiet window repeated on the listed weekdays (the day the window starts)."""

    start: time
    end: time
    days: frozenset[str] = frozenset(WEEKDAYS)
    mode: QuietMode = QuietMode.BLOCK
    volume: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.start, time) or not isinstance(self.end, time):
            raise ValueError("quiet hours need a start and an end time")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are wall-clock times without a time zone")
        days = frozenset(self.days)
        unknown = days.difference(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown weekday(s): {sorted(unknown)}")
        mode = QuietMode(self.mode)
        volume = self.volume
        if volume is not None and (
            isinstance(volume, bool) or not isinstance(volume, int) or not 0 <= volume <= 100
        ):
            raise ValueError(f"quiet volume must be an integer 0-100, not {volume!r}")
        if mode is QuietMode.LOW_VOLUME and volume is None:
            raise ValueError("quiet hours in low_volume mode need a volume")
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "mode", mode)

    @property
    def crosses_midnight(self) -> bool:
        """True when the window ends on the day after it starts (also for 24-hour windows)."""
        return self.start >= self.end

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        """Return the naive wall-clock interval [start, end) of the window starting on `day`."""
        if WEEKDAYS[day.weekday()] not in self.days:
            return None
        end_day = day + _ONE_DAY if self.crosses_midnight else day
        return datetime.combine(day, self.start), datetime.combine(end_day, self.end)

    def _active_at_wall(self, wall: datetime) -> bool:
        for day in (wall.date(), wall.date() - _ONE_DAY):
            window = self._window(day)
            if window is not None and window[0] <= wall < window[1]:
                return True
        return False

    def is_active(self, now: datetime, tz: tzinfo) -> bool:
        """Whether `now` (aware, any zone) falls in the window, read on the wall clock of `tz`."""
        wall = _aware(now).astimezone(tz).replace(tzinfo=None, fold=0)
        return self._active_at_wall(wall)

    def next_change(self, now: datetime, tz: tzinfo) -> datetime | None:
        """Return the first instant (aware, UTC) after `now` at which `is_active` flips, or None.

        The candidates are every window boundary in a bounded range of local days, resolved
        to UTC for both folds, plus the DST transition between two differing resolutions (a
        wall clock that jumps over or back across a boundary flips the state right there).
        The first candidate whose state differs from now's is the answer: activity is
        constant between consecutive candidates.
        """
        now_utc = _aware(now).astimezone(UTC)
        if not self.days:
            return None
        current = self.is_active(now_utc, tz)
        today = now_utc.astimezone(tz).date()
        candidates: set[datetime] = set()
        for offset in range(-_SEARCH_DAYS_BACK, _SEARCH_DAYS_AHEAD + 1):
            window = self._window(today + timedelta(days=offset))
            if window is not None:
                for wall in window:
                    candidates.update(_resolve(wall, tz))
        for candidate in sorted(candidates):
            if candidate > now_utc and self.is_active(candidate, tz) != current:
                return candidate
        return None


def _resolve(wall: datetime, tz: tzinfo) -> tuple[datetime, ...]:
    """UTC instants where the local wall clock reaches `wall` (or jumps across it)."""
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second:
        return (first,)
    # Ambiguous (fall back: first < second) or skipped (spring forward: first > second): the
    # zone changes its offset between the two; find that instant by bisection.
    low, high = min(first, second), max(first, second)
    high_offset = high.astimezone(tz).utcoffset()
    while high - low > _RESOLUTION:
        middle = low + (high - low) // 2
        if middle.astimezone(tz).utcoffset() == high_offset:
            high = middle
        else:
            low = middle
    return (first, second, high)
