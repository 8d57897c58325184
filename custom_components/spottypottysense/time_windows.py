"""Time windows: a room's music by the hour (pure, no HA imports).

A window is a weekly wall-clock span (the same rules as quiet hours: it belongs to the day it
starts, may cross midnight, DST needs no special casing) that either plays its own source,
volume and shuffle (each empty = the room's own) or blocks music. At most one window applies
at a moment: the form refuses overlapping windows. Outside every window the room's own
settings apply. Quiet hours are one kind of window (block, or play at a lower volume).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from enum import StrEnum
from typing import Any, Final

from .parsing import (
    parse_days,
    parse_flag,
    parse_optional_str,
    parse_str,
    parse_time_value,
    parse_volume,
)
from .quiet_hours import WEEKDAYS, QuietHours, QuietMode

QUIET_WINDOW_ID: Final = "quiet_hours"  # the window the room form's Quiet hours section edits
QUIET_KEYS: Final = (
    "quiet_hours_enabled",
    "quiet_start",
    "quiet_end",
    "quiet_days",
    "quiet_mode",
    "quiet_volume",
)
MAX_WINDOWS: Final = 12
MAX_NAME_LENGTH: Final = 40
_DAY: Final = 24 * 3600
_WEEK: Final = 7 * _DAY


class WindowMode(StrEnum):
    """What a window does: play its own music, or no music at all."""

    PLAY = "play"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """One window: when (weekly hours) and what (its music, or none)."""

    window_id: str
    name: str
    hours: QuietHours  # start, end and days; quiet hours' own wall-clock rules
    mode: WindowMode = WindowMode.PLAY
    source: str | None = None  # None: the room's own
    source_name: str | None = None
    volume: int | None = None
    shuffle: bool | None = None

    def is_active(self, now: datetime, tz: tzinfo) -> bool:
        """Whether the window applies at `now` (aware), on the wall clock of `tz`."""
        return self.hours.is_active(now, tz)

    def to_data(self) -> dict[str, Any]:
        """The stored form (the subentry's ``windows`` list)."""
        return {
            "id": self.window_id,
            "name": self.name,
            "start": self.hours.start.isoformat(),
            "end": self.hours.end.isoformat(),
            "days": [day for day in WEEKDAYS if day in self.hours.days],
            "mode": str(self.mode),
            "source": self.source,
            "source_name": self.source_name,
            "volume": self.volume,
            "shuffle": self.shuffle,
        }

    @classmethod
    def from_data(cls, data: object) -> TimeWindow:
        """One stored window; ValueError names what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError(f"windows: expected a window, not {data!r}")
        name = parse_str(data.get("name")).strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            raise ValueError(f"windows: a name of 1-{MAX_NAME_LENGTH} characters, not {name!r}")
        try:
            mode = WindowMode(data.get("mode") or WindowMode.PLAY)
        except ValueError:
            raise ValueError(f"windows: unknown mode {data.get('mode')!r}") from None
        source = parse_optional_str(data.get("source"))
        shuffle = data.get("shuffle")
        return cls(
            window_id=parse_str(data.get("id")),
            name=name,
            hours=QuietHours(
                start=parse_time_value("start", data.get("start")),
                end=parse_time_value("end", data.get("end")),
                days=parse_days(data.get("days")),
            ),
            mode=mode,
            source=(source or "").strip() or None,
            source_name=parse_optional_str(data.get("source_name")),
            volume=parse_volume("volume", data.get("volume")),
            shuffle=None if shuffle is None else parse_flag("shuffle", shuffle, False),
        )


def from_quiet_hours(quiet: QuietHours, window_id: str = QUIET_WINDOW_ID) -> TimeWindow:
    """Quiet hours as a window: block, or play the room's music at the quiet volume."""
    return TimeWindow(
        window_id=window_id,
        name="Quiet hours",
        hours=QuietHours(start=quiet.start, end=quiet.end, days=quiet.days),
        mode=WindowMode.BLOCK if quiet.mode is QuietMode.BLOCK else WindowMode.PLAY,
        volume=quiet.volume if quiet.mode is QuietMode.LOW_VOLUME else None,
    )


def parse_windows(value: object) -> tuple[TimeWindow, ...]:
    """The stored ``windows`` list (missing: none)."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValueError(f"windows: expected a list, not {value!r}")
    windows = tuple(TimeWindow.from_data(item) for item in value)
    if len(windows) > MAX_WINDOWS:
        raise ValueError(f"windows: at most {MAX_WINDOWS}")
    if len({window.window_id for window in windows}) != len(windows):
        raise ValueError("windows: two windows share an id")
    return windows


def active_window(windows: Sequence[TimeWindow], now: datetime, tz: tzinfo) -> TimeWindow | None:
    """The window that applies at `now`, if any (the first listed, should two overlap)."""
    return next((window for window in windows if window.is_active(now, tz)), None)


def next_change(windows: Sequence[TimeWindow], now: datetime, tz: tzinfo) -> datetime | None:
    """The first instant after `now` at which any window starts or ends (UTC), or None."""
    changes = [
        change for window in windows if (change := window.hours.next_change(now, tz)) is not None
    ]
    return min(changes, default=None)


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _week_spans(hours: QuietHours) -> list[tuple[int, int]]:
    """The window's [start, end) spans in seconds of the week (Monday 00:00 = 0)."""
    start, end = _seconds(hours.start), _seconds(hours.end)
    length = end - start if end > start else end - start + _DAY
    spans: list[tuple[int, int]] = []
    for index, day in enumerate(WEEKDAYS):
        if day not in hours.days:
            continue
        begin = index * _DAY + start
        finish = begin + length
        if finish <= _WEEK:
            spans.append((begin, finish))
        else:  # Sunday's window running into Monday
            spans.append((begin, _WEEK))
            spans.append((0, finish - _WEEK))
    return spans


def overlaps(first: QuietHours, second: QuietHours) -> bool:
    """Whether two weekly windows share any moment of the week (on the wall clock)."""
    return any(
        a_start < b_end and b_start < a_end
        for a_start, a_end in _week_spans(first)
        for b_start, b_end in _week_spans(second)
    )


def first_overlap(hours: QuietHours, others: Iterable[TimeWindow]) -> TimeWindow | None:
    """The first of `others` that shares a moment with `hours` (the form's check)."""
    return next((other for other in others if overlaps(hours, other.hours)), None)


def legacy_quiet_hours(data: Mapping[str, Any]) -> QuietHours | None:
    """Quiet hours in the room form's fields (and as rooms stored them before windows)."""
    if not parse_flag("quiet_hours_enabled", data.get("quiet_hours_enabled"), False):
        return None
    if data.get("quiet_start") in (None, "") or data.get("quiet_end") in (None, ""):
        raise ValueError("quiet hours need quiet_start and quiet_end")
    try:
        mode = QuietMode(data.get("quiet_mode") or QuietMode.BLOCK)
    except ValueError:
        raise ValueError(f"quiet_mode: unknown mode {data.get('quiet_mode')!r}") from None
    return QuietHours(
        start=parse_time_value("quiet_start", data["quiet_start"]),
        end=parse_time_value("quiet_end", data["quiet_end"]),
        days=parse_days(data.get("quiet_days")),
        mode=mode,
        volume=parse_volume("quiet_volume", data.get("quiet_volume")),
    )


def with_quiet_window(data: Mapping[str, Any]) -> dict[str, Any]:
    """A room's data with its quiet_* fields turned into the quiet window (the stored form).

    The other windows are kept as they are; quiet hours switched off remove the quiet window.
    Raises ValueError when the fields do not make quiet hours (the data is then left alone).
    """
    quiet = legacy_quiet_hours(data)
    stored = data.get("windows")
    windows = [
        window
        for window in (stored if isinstance(stored, list) else [])
        if not (isinstance(window, Mapping) and window.get("id") == QUIET_WINDOW_ID)
    ]
    if quiet is not None:
        windows.append(from_quiet_hours(quiet, QUIET_WINDOW_ID).to_data())
    result = {key: value for key, value in data.items() if key not in QUIET_KEYS}
    result["windows"] = windows
    return result


def quiet_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The room form's Quiet hours fields, read from the stored quiet window."""
    stored = data.get("windows")
    for item in stored if isinstance(stored, list) else []:
        if isinstance(item, Mapping) and item.get("id") == QUIET_WINDOW_ID:
            window = TimeWindow.from_data(item)
            blocking = window.mode is WindowMode.BLOCK
            return {
                "quiet_hours_enabled": True,
                "quiet_start": window.hours.start.isoformat(),
                "quiet_end": window.hours.end.isoformat(),
                "quiet_days": [day for day in WEEKDAYS if day in window.hours.days],
                "quiet_mode": str(QuietMode.BLOCK if blocking else QuietMode.LOW_VOLUME),
                "quiet_volume": window.volume,
            }
    return {"quiet_hours_enabled": False}
