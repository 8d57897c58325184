"""A room's settings, parsed and checked from its subentry data (pure, no HA imports).

The form stores flat values (`const.py` names the keys); `RoomOptions.from_data` turns them into
typed settings once, so the engine never sees a string, a NaN or a volume of 150.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Final

from .parsing import (
    MAX_OPTION_MINUTES,
    parse_flag,
    parse_number,
    parse_volume,
)
from .quiet_hours import QuietHours
from .records import Session
from .time_windows import (
    TimeWindow,
    WindowMode,
    active_window,
    from_quiet_hours,
    legacy_quiet_hours,
    next_change,
    parse_windows,
)

DEFAULT_SHUFFLE: Final = True
DEFAULT_TIMEOUT: Final = timedelta(minutes=5)
DEFAULT_COOLDOWN: Final = timedelta(minutes=2)
DEFAULT_MIN_PRESENCE: Final = timedelta(0)
DEFAULT_MAX_SESSION: Final = timedelta(minutes=180)
DEFAULT_ONLY_WHEN_IDLE: Final = True
DEFAULT_FOLLOW_ME: Final = False


class FollowMode(StrEnum):
    """What a room does when it starts while another room plays a session it started."""

    OWN = "own"  # start this room's own music; the other room plays on
    MOVE = "move"  # move that music here (the other room's session ends as moved)
    JOIN = "join"  # group this room's player with the other's: both play, in sync


DEFAULT_APPROACH_WINDOW: Final = timedelta(seconds=30)
MAX_APPROACH_WINDOW: Final = timedelta(seconds=120)
MAX_RESUME_WINDOW: Final = timedelta(minutes=120)
MAX_FADE_OUT: Final = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class RoomOptions:
    """One room's settings (parsed from its subentry data)."""

    source: str | None = None
    volume: int | None = None
    shuffle: bool = DEFAULT_SHUFFLE
    timeout: timedelta = DEFAULT_TIMEOUT
    cooldown: timedelta = DEFAULT_COOLDOWN
    min_presence: timedelta = DEFAULT_MIN_PRESENCE
    max_session: timedelta = DEFAULT_MAX_SESSION
    windows: tuple[TimeWindow, ...] = ()
    quiet_hours: QuietHours | None = None  # the pre-window form: read as one more window
    only_when_idle: bool = DEFAULT_ONLY_WHEN_IDLE
    follow_mode: FollowMode = FollowMode.OWN
    follow_me: bool = DEFAULT_FOLLOW_ME  # the pre-join form: True reads as FollowMode.MOVE
    resume_window: timedelta = timedelta(0)  # 0: every session starts the source afresh
    fade_out: timedelta = timedelta(0)  # 0: pause at once
    approach_window: timedelta = DEFAULT_APPROACH_WINDOW  # how long an approach's read is fresh
    time_zone: tzinfo = UTC

    def __post_init__(self) -> None:
        if self.follow_me and self.follow_mode is FollowMode.OWN:
            object.__setattr__(self, "follow_mode", FollowMode.MOVE)
        object.__setattr__(self, "follow_me", self.follow_mode is not FollowMode.OWN)
        if self.quiet_hours is not None:
            windows = (*self.windows, from_quiet_hours(self.quiet_hours))
            object.__setattr__(self, "windows", windows)
            object.__setattr__(self, "quiet_hours", None)
        volume = self.volume
        if volume is not None and (
            isinstance(volume, bool) or not isinstance(volume, int) or not 0 <= volume <= 100
        ):
            raise ValueError(f"volume must be 0-100, not {self.volume}")
        if self.timeout <= timedelta(0):
            raise ValueError("timeout must be positive")
        if self.max_session <= timedelta(0):
            raise ValueError("max_session must be positive")
        if self.cooldown < timedelta(0) or self.min_presence < timedelta(0):
            raise ValueError("cooldown and min_presence cannot be negative")
        if not timedelta(0) <= self.resume_window <= MAX_RESUME_WINDOW:
            raise ValueError(f"resume_window must be 0-{MAX_RESUME_WINDOW}")
        if not timedelta(0) <= self.fade_out <= MAX_FADE_OUT:
            raise ValueError(f"fade_out must be 0-{MAX_FADE_OUT}")
        if not timedelta(0) < self.approach_window <= MAX_APPROACH_WINDOW:
            raise ValueError(f"approach_window must be over 0 and at most {MAX_APPROACH_WINDOW}")

    @classmethod
    def from_data(cls, data: Mapping[str, Any], time_zone: tzinfo) -> RoomOptions:
        """Parse a subentry's flat data; missing keys take their defaults.

        Raises ValueError for values that don't parse (also for enabled quiet hours without
        start/end, or low_volume quiet hours without a volume).
        """
        source = data.get("source")
        if source is not None and not isinstance(source, str):
            raise ValueError(f"source: expected a URI string, not {source!r}")

        def minutes(
            key: str, default: timedelta, minimum: float, maximum: float = MAX_OPTION_MINUTES
        ) -> timedelta:
            value = data.get(key)
            if value is None:
                return default
            return timedelta(minutes=parse_number(key, value, minimum=minimum, maximum=maximum))

        fade_out = data.get("fade_out_seconds")
        approach = data.get("approach_window_seconds")

        min_presence = data.get("min_presence_seconds")
        # A room stored before time windows (the migration turns this into a window).
        quiet = legacy_quiet_hours(data)
        if source is not None:
            source = source.strip() or None
        return cls(
            source=source,
            volume=parse_volume("volume", data.get("volume")),
            shuffle=parse_flag("shuffle", data.get("shuffle"), DEFAULT_SHUFFLE),
            timeout=minutes("timeout_minutes", DEFAULT_TIMEOUT, minimum=1 / 60),
            cooldown=minutes("cooldown_minutes", DEFAULT_COOLDOWN, minimum=0),
            min_presence=(
                DEFAULT_MIN_PRESENCE
                if min_presence is None
                else timedelta(
                    seconds=parse_number(
                        "min_presence_seconds",
                        min_presence,
                        minimum=0,
                        maximum=MAX_OPTION_MINUTES * 60,
                    )
                )
            ),
            max_session=minutes("max_session_minutes", DEFAULT_MAX_SESSION, minimum=1 / 60),
            windows=parse_windows(data.get("windows")),
            quiet_hours=quiet,
            only_when_idle=parse_flag(
                "only_when_idle", data.get("only_when_idle"), DEFAULT_ONLY_WHEN_IDLE
            ),
            follow_mode=parse_follow_mode(data),
            resume_window=minutes(
                "resume_minutes",
                timedelta(0),
                minimum=0,
                maximum=MAX_RESUME_WINDOW.total_seconds() / 60,
            ),
            fade_out=(
                timedelta(0)
                if fade_out is None
                else timedelta(
                    seconds=parse_number(
                        "fade_out_seconds",
                        fade_out,
                        minimum=0,
                        maximum=MAX_FADE_OUT.total_seconds(),
                    )
                )
            ),
            approach_window=(
                DEFAULT_APPROACH_WINDOW
                if approach is None
                else timedelta(
                    seconds=parse_number(
                        "approach_window_seconds",
                        approach,
                        minimum=1,
                        maximum=MAX_APPROACH_WINDOW.total_seconds(),
                    )
                )
            ),
            time_zone=time_zone,
        )

    def window_at(self, now: datetime) -> TimeWindow | None:
        """The time window that applies at `now`, if any."""
        return active_window(self.windows, now, self.time_zone)

    def next_window_change(self, now: datetime) -> datetime | None:
        """When a window next starts or ends (the status and the device page change then)."""
        return next_change(self.windows, now, self.time_zone)

    def quiet_active(self, now: datetime) -> bool:
        """Whether the hour is quiet: a window blocks music, or plays it lower than usual."""
        window = self.window_at(now)
        if window is None:
            return False
        if window.mode is WindowMode.BLOCK:
            return True
        return window.volume is not None and (self.volume is None or window.volume < self.volume)

    def blocking_quiet_active(self, now: datetime) -> bool:
        """Whether a window that blocks music applies at `now`."""
        window = self.window_at(now)
        return window is not None and window.mode is WindowMode.BLOCK

    def start_volume(self, now: datetime) -> int | None:
        """Volume for a start at `now`: the window's, else the room's."""
        window = self.window_at(now)
        if window is not None and window.volume is not None:
            return window.volume
        return self.volume

    def start_source(self, now: datetime) -> str | None:
        """Source for a start at `now`: the window's, else the room's."""
        window = self.window_at(now)
        if window is not None and window.source is not None:
            return window.source
        return self.source

    def start_shuffle(self, now: datetime) -> bool:
        """Shuffle for a start at `now`: the window's, else the room's."""
        window = self.window_at(now)
        if window is not None and window.shuffle is not None:
            return window.shuffle
        return self.shuffle

    def reading_fresh(self, read_at: datetime, now: datetime) -> bool:
        """Whether a playback read made at `read_at` (an approach's) may serve a start at `now`."""
        return read_at <= now <= read_at + self.approach_window

    def deadline(self, session: Session) -> datetime | None:
        """When `session` times out: presence ended + timeout (None while presence is on)."""
        if session.presence_ended is None:
            return None
        return session.presence_ended + self.timeout

    def max_end(self, session: Session) -> datetime:
        """When `session` ends at the latest (a stuck motion sensor)."""
        return session.started + self.max_session

    def stops_at(self, session: Session) -> datetime:
        """The end of the fade while fading, else the earlier of deadline and max end."""
        if session.fade_ends is not None:
            return session.fade_ends
        deadline = self.deadline(session)
        max_end = self.max_end(session)
        return max_end if deadline is None else min(deadline, max_end)


def parse_follow_mode(data: Mapping[str, Any]) -> FollowMode:
    """`follow_mode`, or for a room stored before it, the `follow_me` flag (on: move)."""
    mode = data.get("follow_mode")
    if mode is None:
        moves = parse_flag("follow_me", data.get("follow_me"), DEFAULT_FOLLOW_ME)
        return FollowMode.MOVE if moves else FollowMode.OWN
    try:
        return FollowMode(mode)
    except ValueError:
        raise ValueError(f"follow_mode: expected own, move or join, not {mode!r}") from None
