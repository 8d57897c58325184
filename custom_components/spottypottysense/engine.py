"""The session rules of one motion sensor as a pure state machine (no HA imports).

The Home Assistant shell feeds a `SensorEngine` its inputs (presence changes, timer ticks,
actions, results of Spotify calls) with the current time, and carries out the decisions each
call returns (`SessionStarted`, `StartPlayback`, `EndPlayback`, and with `fade_out` set
`FadeOut`/`CancelFade`). The engine never reads the clock, never does I/O, and keeps
everything a restart needs in `SensorState`, which serialises to plain JSON primitives.

Across rooms the shell decides: with `follow_me` it may move another room's owned session to
this room's speaker, and tells that room's engine with `moved` (an end without a pause).

Every input first carries out whatever is already due at `now` (exactly as `tick` would), so
a late timer can never let a session outlive its deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum
import math
from typing import Any, Final
from uuid import uuid4

from .quiet_hours import WEEKDAYS, QuietHours, QuietMode, parse_time

DEFAULT_SHUFFLE: Final = True
DEFAULT_TIMEOUT: Final = timedelta(minutes=5)
DEFAULT_COOLDOWN: Final = timedelta(minutes=2)
DEFAULT_MIN_PRESENCE: Final = timedelta(0)
DEFAULT_MAX_SESSION: Final = timedelta(minutes=180)
DEFAULT_ONLY_WHEN_IDLE: Final = True
DEFAULT_FOLLOW_ME: Final = False
MAX_RESUME_WINDOW: Final = timedelta(minutes=120)
MAX_FADE_OUT: Final = timedelta(seconds=30)
# Sessions whose start was still in flight when they ended, remembered (not persisted) so a
# late "playback started" can be stopped; a handful is plenty for one sensor.
_IN_FLIGHT_MEMORY: Final = 8


class Status(StrEnum):
    """What the sensor's status entity shows."""

    IDLE = "idle"
    STARTING = "starting"  # decided to play; the speaker has not answered yet
    PLAYING = "playing"
    OBSERVING = "observing"
    COOLDOWN = "cooldown"
    QUIET_HOURS = "quiet_hours"
    SNOOZED = "snoozed"
    DISABLED = "disabled"
    ERROR = "error"


class EndReason(StrEnum):
    """Why a session ended."""

    TIMEOUT = "timeout"
    MAX_DURATION = "max_duration"
    MANUAL = "manual"
    DISABLED = "disabled"
    RELEASED = "released"
    REMOVED = "removed"
    MOVED = "moved"  # another room of the account took the music over (no pause)


class SkipReason(StrEnum):
    """Why presence did not start a session."""

    DISABLED = "disabled"
    SNOOZED = "snoozed"
    COOLDOWN = "cooldown"
    QUIET_HOURS = "quiet_hours"
    WAITING_FOR_PRESENCE = "waiting_for_presence"


# --- small parsing helpers (plain JSON primitives in, typed values out) -------------------


def _utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; refuse naive ones."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a time zone aware datetime is required")
    return value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# Stored times outside this range cannot be ours, and adding a timeout to them could overflow.
_MIN_YEAR, _MAX_YEAR = 2000, 9000


def _parse_dt(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO datetime string, not {value!r}")
    parsed = _utc(datetime.fromisoformat(value))
    if not _MIN_YEAR <= parsed.year <= _MAX_YEAR:
        raise ValueError(f"datetime out of range: {value!r}")
    return parsed


def _parse_opt_dt(value: object) -> datetime | None:
    return None if value is None else _parse_dt(value)


def _parse_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true/false, not {value!r}")
    return value


def _parse_opt_bool(value: object) -> bool | None:
    return None if value is None else _parse_bool(value)


# A stored count above this cannot be real (an edge a second for 30 years); it would also reach
# the 64-bit limit of HA's JSON encoder and fail a later save in the background.
_MAX_COUNT = 10**9


def _parse_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_COUNT:
        raise ValueError(f"expected an integer 0-{_MAX_COUNT}, not {value!r}")
    return value


def _parse_str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, not {value!r}")
    return value


def _parse_opt_str(value: object) -> str | None:
    return None if value is None else _parse_str(value)


def _parse_opt_reason(value: object) -> EndReason | None:
    return None if value is None else EndReason(_parse_str(value))


# Stored durations above a year are not settings anyone made, and adding them to a stored time
# could overflow datetime.
_MAX_OPTION_MINUTES = 366 * 24 * 60


def _parse_number(
    key: str, value: object, *, minimum: float, maximum: float = _MAX_OPTION_MINUTES
) -> float:
    """Parse a finite number in [minimum, maximum]; numeric strings are accepted (form values)."""
    if isinstance(value, bool):
        raise ValueError(f"{key}: expected a number, not {value!r}")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{key}: expected a number, not {value!r}") from None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{key}: expected a number, not {value!r}")
    if not minimum <= value <= maximum:
        raise ValueError(f"{key}: expected a number {minimum}-{maximum}, not {value!r}")
    return float(value)


def _parse_volume(key: str, value: object) -> int | None:
    if value is None or value == "":
        return None
    number = _parse_number(key, value, minimum=0)
    if number > 100 or number != int(number):
        raise ValueError(f"{key}: expected a whole number 0-100, not {value!r}")
    return int(number)


def _parse_flag(key: str, value: object, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ValueError(f"{key}: expected true/false, not {value!r}")
    return value


def _parse_time_value(key: str, value: object) -> time:
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a time of day, not {value!r}")
    return parse_time(value)


def _parse_days(value: object) -> frozenset[str]:
    if value is None:
        return frozenset(WEEKDAYS)
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"quiet_days: expected a list of weekdays, not {value!r}")
    days = list(value)
    if not all(isinstance(day, str) and day in WEEKDAYS for day in days):
        raise ValueError(f"quiet_days: expected weekdays out of {WEEKDAYS}, not {value!r}")
    return frozenset(days)


# --- options --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SensorOptions:
    """One motion sensor's settings (parsed from its subentry data)."""

    source: str | None = None
    volume: int | None = None
    shuffle: bool = DEFAULT_SHUFFLE
    timeout: timedelta = DEFAULT_TIMEOUT
    cooldown: timedelta = DEFAULT_COOLDOWN
    min_presence: timedelta = DEFAULT_MIN_PRESENCE
    max_session: timedelta = DEFAULT_MAX_SESSION
    quiet_hours: QuietHours | None = None
    only_when_idle: bool = DEFAULT_ONLY_WHEN_IDLE
    follow_me: bool = DEFAULT_FOLLOW_ME
    resume_window: timedelta = timedelta(0)  # 0: every session starts the source afresh
    fade_out: timedelta = timedelta(0)  # 0: pause at once
    time_zone: tzinfo = UTC

    def __post_init__(self) -> None:
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

    @classmethod
    def from_data(cls, data: Mapping[str, Any], time_zone: tzinfo) -> SensorOptions:
        """Parse a subentry's flat data; missing keys take their defaults.

        Raises ValueError for values that don't parse (also for enabled quiet hours without
        start/end, or low_volume quiet hours without a volume).
        """
        source = data.get("source")
        if source is not None and not isinstance(source, str):
            raise ValueError(f"source: expected a URI string, not {source!r}")

        def minutes(
            key: str, default: timedelta, minimum: float, maximum: float = _MAX_OPTION_MINUTES
        ) -> timedelta:
            value = data.get(key)
            if value is None:
                return default
            return timedelta(minutes=_parse_number(key, value, minimum=minimum, maximum=maximum))

        fade_out = data.get("fade_out_seconds")

        min_presence = data.get("min_presence_seconds")
        quiet: QuietHours | None = None
        if _parse_flag("quiet_hours_enabled", data.get("quiet_hours_enabled"), False):
            if data.get("quiet_start") in (None, "") or data.get("quiet_end") in (None, ""):
                raise ValueError("quiet hours need quiet_start and quiet_end")
            try:
                mode = QuietMode(data.get("quiet_mode") or QuietMode.BLOCK)
            except ValueError:
                raise ValueError(f"quiet_mode: unknown mode {data.get('quiet_mode')!r}") from None
            quiet = QuietHours(
                start=_parse_time_value("quiet_start", data["quiet_start"]),
                end=_parse_time_value("quiet_end", data["quiet_end"]),
                days=_parse_days(data.get("quiet_days")),
                mode=mode,
                volume=_parse_volume("quiet_volume", data.get("quiet_volume")),
            )
        if source is not None:
            source = source.strip() or None
        return cls(
            source=source,
            volume=_parse_volume("volume", data.get("volume")),
            shuffle=_parse_flag("shuffle", data.get("shuffle"), DEFAULT_SHUFFLE),
            timeout=minutes("timeout_minutes", DEFAULT_TIMEOUT, minimum=1 / 60),
            cooldown=minutes("cooldown_minutes", DEFAULT_COOLDOWN, minimum=0),
            min_presence=(
                DEFAULT_MIN_PRESENCE
                if min_presence is None
                else timedelta(
                    seconds=_parse_number(
                        "min_presence_seconds",
                        min_presence,
                        minimum=0,
                        maximum=_MAX_OPTION_MINUTES * 60,
                    )
                )
            ),
            max_session=minutes("max_session_minutes", DEFAULT_MAX_SESSION, minimum=1 / 60),
            quiet_hours=quiet,
            only_when_idle=_parse_flag(
                "only_when_idle", data.get("only_when_idle"), DEFAULT_ONLY_WHEN_IDLE
            ),
            follow_me=_parse_flag("follow_me", data.get("follow_me"), DEFAULT_FOLLOW_ME),
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
                    seconds=_parse_number(
                        "fade_out_seconds",
                        fade_out,
                        minimum=0,
                        maximum=MAX_FADE_OUT.total_seconds(),
                    )
                )
            ),
            time_zone=time_zone,
        )

    def quiet_active(self, now: datetime) -> bool:
        """Whether quiet hours (any mode) apply at `now`."""
        return self.quiet_hours is not None and self.quiet_hours.is_active(now, self.time_zone)

    def blocking_quiet_active(self, now: datetime) -> bool:
        """Whether quiet hours in block mode apply at `now`."""
        quiet = self.quiet_hours
        return (
            quiet is not None
            and quiet.mode is QuietMode.BLOCK
            and quiet.is_active(now, self.time_zone)
        )

    def start_volume(self, now: datetime) -> int | None:
        """Volume for a start at `now`: the quiet volume inside low-volume quiet hours."""
        quiet = self.quiet_hours
        if quiet is not None and quiet.mode is QuietMode.LOW_VOLUME and self.quiet_active(now):
            return quiet.volume
        return self.volume


# --- sessions ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Session:
    """The open session of a sensor (mutable; the engine owns it)."""

    session_id: str
    started: datetime
    owned: bool | None = None  # None while the start is in flight
    motion_count: int = 0
    last_motion: datetime | None = None
    presence_ended: datetime | None = None  # None while presence is on
    device_id: str | None = None
    context_uri: str | None = None
    # While the volume fades out before the pause: when the fade ends, and why it began.
    fade_ends: datetime | None = None
    fade_reason: EndReason | None = None

    @property
    def fading(self) -> bool:
        """Whether the session is fading out (it ends at `fade_ends`)."""
        return self.fade_ends is not None

    def deadline(self, options: SensorOptions) -> datetime | None:
        """When the session times out: presence ended + timeout (None while presence is on)."""
        if self.presence_ended is None:
            return None
        return self.presence_ended + options.timeout

    def max_end(self, options: SensorOptions) -> datetime:
        """When the session ends at the latest (stuck sensor)."""
        return self.started + options.max_session

    def stops_at(self, options: SensorOptions) -> datetime:
        """Return the end of the fade while fading, else the earlier of deadline and max end."""
        if self.fade_ends is not None:
            return self.fade_ends
        deadline = self.deadline(options)
        max_end = self.max_end(options)
        return max_end if deadline is None else min(deadline, max_end)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON primitives (the fade keys only while fading)."""
        data: dict[str, Any] = {
            "session_id": self.session_id,
            "started": self.started.isoformat(),
            "owned": self.owned,
            "motion_count": self.motion_count,
            "last_motion": _iso(self.last_motion),
            "presence_ended": _iso(self.presence_ended),
            "device_id": self.device_id,
            "context_uri": self.context_uri,
        }
        if self.fade_ends is not None:
            data["fade_ends"] = self.fade_ends.isoformat()
            data["fade_reason"] = None if self.fade_reason is None else str(self.fade_reason)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Session:
        """Inverse of `to_dict`; ValueError on bad input."""
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a mapping, not {data!r}")
        try:
            return cls(
                session_id=_parse_str(data["session_id"]),
                started=_parse_dt(data["started"]),
                owned=_parse_opt_bool(data.get("owned")),
                motion_count=_parse_int(data.get("motion_count", 0)),
                last_motion=_parse_opt_dt(data.get("last_motion")),
                presence_ended=_parse_opt_dt(data.get("presence_ended")),
                device_id=_parse_opt_str(data.get("device_id")),
                context_uri=_parse_opt_str(data.get("context_uri")),
                fade_ends=_parse_opt_dt(data.get("fade_ends")),
                fade_reason=_parse_opt_reason(data.get("fade_reason")),
            )
        except (KeyError, TypeError) as err:
            raise ValueError(f"bad session data: {err!r}") from err


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """An ended session (history, events)."""

    session_id: str
    started: datetime
    ended: datetime
    motion_count: int
    owned: bool
    reason: EndReason
    device_id: str | None = None
    context_uri: str | None = None
    moved_to: str | None = None  # the room that took the music over (reason MOVED)

    @property
    def duration(self) -> timedelta:
        """How long the session lasted (never negative)."""
        return max(self.ended - self.started, timedelta(0))

    def with_reason(self, reason: EndReason) -> SessionRecord:
        """Copy with another end reason (e.g. RELEASED when the user took playback over)."""
        return dataclasses.replace(self, reason=reason)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON primitives (ISO datetimes; moved_to only when moved)."""
        data: dict[str, Any] = {
            "session_id": self.session_id,
            "started": self.started.isoformat(),
            "ended": self.ended.isoformat(),
            "motion_count": self.motion_count,
            "owned": self.owned,
            "reason": str(self.reason),
            "device_id": self.device_id,
            "context_uri": self.context_uri,
        }
        if self.moved_to is not None:
            data["moved_to"] = self.moved_to
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionRecord:
        """Inverse of `to_dict`; raises KeyError, TypeError or ValueError on bad input."""
        if not isinstance(data, Mapping):
            raise TypeError(f"expected a mapping, not {type(data).__name__}")
        return cls(
            session_id=_parse_str(data["session_id"]),
            started=_parse_dt(data["started"]),
            ended=_parse_dt(data["ended"]),
            motion_count=_parse_int(data["motion_count"]),
            owned=_parse_bool(data["owned"]),
            reason=EndReason(data["reason"]),
            device_id=_parse_opt_str(data.get("device_id")),
            context_uri=_parse_opt_str(data.get("context_uri")),
            moved_to=_parse_opt_str(data.get("moved_to")),
        )


def is_still_ours(
    *,
    is_playing: bool,
    device_id: str | None,
    context_uri: str | None,
    record: SessionRecord | Session,
) -> bool:
    """Whether what Spotify plays now is still what this session started (so we may pause).

    True only for an owned session, still playing, on the session's device, and (when the
    session started a context) with that same context. Unknown device → False (never pause
    what we cannot prove is ours).
    """
    if record.owned is not True or not is_playing:
        return False
    if record.device_id is None or device_id != record.device_id:
        return False
    return record.context_uri is None or context_uri == record.context_uri


def is_still_ours_playback(
    playback: Mapping[str, Any] | None, record: SessionRecord | Session
) -> bool:
    """`is_still_ours` for a raw Spotify ``GET /me/player`` response (None = nothing plays)."""
    if not playback:
        return False
    device = playback.get("device") or {}
    context = playback.get("context") or {}
    return is_still_ours(
        is_playing=bool(playback.get("is_playing")),
        device_id=device.get("id"),
        context_uri=context.get("uri"),
        record=record,
    )


# --- decisions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionStarted:
    """A session opened (a snapshot; ownership is known later via `playback_started`)."""

    session: Session


@dataclass(frozen=True, slots=True)
class ResumeFrom:
    """Where the room's previous session of the same source stopped: resume there."""

    item_uri: str
    position_ms: int


@dataclass(frozen=True, slots=True)
class StartPlayback:
    """Start the room's music for `session_id`; report back with playback_started/failed.

    ``follow_me``: take over an owned session another room of the account plays (the shell
    knows the rooms) instead of starting the source. ``resume``: start the source at this
    track and position rather than from the top.
    """

    session_id: str
    check_idle: bool
    volume: int | None
    shuffle: bool
    source: str | None
    follow_me: bool = False
    resume: ResumeFrom | None = None


@dataclass(frozen=True, slots=True)
class FadeOut:
    """Lower the volume of the owned session step by step until `ends_at` (then it ends)."""

    session_id: str
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class CancelFade:
    """Motion came back during the fade: stop fading and put the volume back."""

    session_id: str


@dataclass(frozen=True, slots=True)
class EndPlayback:
    """A session ended: record it, announce it, and pause only if `record.owned` and still ours.

    ``late`` is True when the session had already ended (and was recorded/announced with
    owned False) while its start was in flight, and the start then succeeded: only the
    ownership check and pause are wanted, not another record or event.
    """

    record: SessionRecord
    late: bool = False


type Decision = SessionStarted | StartPlayback | EndPlayback | FadeOut | CancelFade


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """The end of a room's last owned session, kept for `resume_minutes`.

    Written when the session ends (`item_uri` None); completed by `position_saved` from the
    playback read the end makes. Only a complete point is resumed.
    """

    session_id: str
    ended: datetime
    source: str
    item_uri: str | None = None
    position_ms: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON primitives."""
        return {
            "session_id": self.session_id,
            "ended": self.ended.isoformat(),
            "source": self.source,
            "item_uri": self.item_uri,
            "position_ms": self.position_ms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResumePoint:
        """Inverse of `to_dict`; ValueError on bad input."""
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a mapping, not {data!r}")
        position = data.get("position_ms")
        try:
            return cls(
                session_id=_parse_str(data["session_id"]),
                ended=_parse_dt(data["ended"]),
                source=_parse_str(data["source"]),
                item_uri=_parse_opt_str(data.get("item_uri")),
                position_ms=None if position is None else _parse_int(position),
            )
        except KeyError as err:
            raise ValueError(f"bad resume data: {err!r}") from err


# --- state -------------------------------------------------------------------------------------


@dataclass(slots=True)
class SensorState:
    """Everything about one sensor that must survive a restart."""

    enabled: bool = True
    snoozed_until: datetime | None = None
    cooldown_until: datetime | None = None
    presence: bool = False
    presence_since: datetime | None = None
    pending_start: datetime | None = None  # a min-presence start due at this instant
    session: Session | None = None
    last_motion: datetime | None = None
    last_skip_reason: SkipReason | None = None
    error: str | None = None
    resume: ResumePoint | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON primitives (``resume`` only when there is a point to resume)."""
        data: dict[str, Any] = {
            "enabled": self.enabled,
            "snoozed_until": _iso(self.snoozed_until),
            "cooldown_until": _iso(self.cooldown_until),
            "presence": self.presence,
            "presence_since": _iso(self.presence_since),
            "pending_start": _iso(self.pending_start),
            "session": None if self.session is None else self.session.to_dict(),
            "last_motion": _iso(self.last_motion),
            "last_skip_reason": (
                None if self.last_skip_reason is None else str(self.last_skip_reason)
            ),
            "error": self.error,
        }
        if self.resume is not None:
            data["resume"] = self.resume.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SensorState:
        """Inverse of `to_dict`; missing keys take defaults, bad values raise ValueError."""
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a mapping, not {data!r}")
        session = data.get("session")
        skip = data.get("last_skip_reason")
        resume = data.get("resume")
        return cls(
            enabled=_parse_bool(data.get("enabled", True)),
            snoozed_until=_parse_opt_dt(data.get("snoozed_until")),
            cooldown_until=_parse_opt_dt(data.get("cooldown_until")),
            presence=_parse_bool(data.get("presence", False)),
            presence_since=_parse_opt_dt(data.get("presence_since")),
            pending_start=_parse_opt_dt(data.get("pending_start")),
            session=None if session is None else Session.from_dict(session),
            last_motion=_parse_opt_dt(data.get("last_motion")),
            last_skip_reason=None if skip is None else SkipReason(skip),
            error=_parse_opt_str(data.get("error")),
            resume=None if resume is None else ResumePoint.from_dict(resume),
        )


# --- the engine -------------------------------------------------------------------------------


def _new_id() -> str:
    return uuid4().hex


@dataclass(slots=True)
class _Memory:
    """Sessions ended while their start was in flight (not persisted)."""

    records: dict[str, SessionRecord] = field(default_factory=dict)

    def remember(self, record: SessionRecord) -> None:
        self.records[record.session_id] = record
        while len(self.records) > _IN_FLIGHT_MEMORY:
            del self.records[next(iter(self.records))]


class SensorEngine:
    """The session rules of one motion sensor. Times are aware datetimes (stored as UTC)."""

    __slots__ = ("_in_flight", "_new_id", "options", "state")

    def __init__(
        self,
        options: SensorOptions,
        state: SensorState | None = None,
        *,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self.options = options
        self.state = SensorState() if state is None else state
        self._new_id = new_id
        self._in_flight = _Memory()

    # -- queries ------------------------------------------------------------------------------

    @property
    def session(self) -> Session | None:
        """The open session (read-only by convention), if any."""
        return self.state.session

    def stops_at(self, now: datetime) -> datetime | None:
        """When the open session will stop if nothing changes (deadline or max end)."""
        session = self.state.session
        return None if session is None else session.stops_at(self.options)

    def status(self, now: datetime) -> Status:
        """Return the status shown by the sensor's status entity at `now`."""
        now = _utc(now)
        state = self.state
        if not state.enabled:
            return Status.DISABLED
        if state.session is not None:
            owned = state.session.owned
            if owned is None:
                return Status.STARTING
            return Status.PLAYING if owned else Status.OBSERVING
        if state.snoozed_until is not None and now < state.snoozed_until:
            return Status.SNOOZED
        if state.error is not None:
            return Status.ERROR
        if state.cooldown_until is not None and now < state.cooldown_until:
            return Status.COOLDOWN
        if self.options.blocking_quiet_active(now):
            return Status.QUIET_HOURS
        return Status.IDLE

    def next_wakeup(self, now: datetime) -> datetime | None:
        """Return the earliest instant the shell must call `tick` (None: nothing scheduled).

        Pending starts, deadlines and max durations are returned even when already due (≤ now:
        call tick right away); cooldown end, snooze end and the next change of blocking quiet
        hours only when still ahead, so that the status stays right without polling.
        """
        now = _utc(now)
        state = self.state
        due: list[datetime] = []
        if state.pending_start is not None:
            due.append(state.pending_start)
        if state.session is not None:
            due.append(state.session.stops_at(self.options))
        for instant in (state.snoozed_until, state.cooldown_until):
            if instant is not None and instant > now:
                due.append(instant)
        quiet = self.options.quiet_hours
        if state.enabled and quiet is not None and quiet.mode is QuietMode.BLOCK:
            change = quiet.next_change(now, self.options.time_zone)
            if change is not None:
                due.append(change)
        return min(due, default=None)

    # -- inputs ----------------------------------------------------------------------------------

    def tick(self, now: datetime) -> list[Decision]:
        """Carry out everything due at `now`."""
        return self._advance(_utc(now))

    def update_options(self, now: datetime, options: SensorOptions) -> list[Decision]:
        """Apply new options live; an open session continues under the new timeout."""
        now = _utc(now)
        old, self.options = self.options, options
        state = self.state
        if state.pending_start is not None:
            state.pending_start += options.min_presence - old.min_presence
        if state.cooldown_until is not None:
            state.cooldown_until += options.cooldown - old.cooldown
        return self._advance(now)

    def presence_changed(
        self, now: datetime, present: bool, *, trusted: bool = True
    ) -> list[Decision]:
        """Aggregate presence changed (any motion entity on).

        ``trusted=False`` marks a rising edge out of unavailable/unknown (HA start, sensor
        reconnect): it keeps an open session alive but never starts one or counts a motion.
        Reporting presence on while it already is on counts as a new motion if trusted
        (another motion entity's rising edge); reporting off while off changes nothing.
        """
        now = _utc(now)
        decisions = self._advance(now)
        state = self.state
        session = state.session
        if not present:
            if state.presence:
                state.presence = False
                state.presence_since = None
                state.pending_start = None
                if session is not None:
                    session.presence_ended = now
            return decisions
        rising = not state.presence
        if rising:
            state.presence = True
            state.presence_since = now
            if session is not None:
                session.presence_ended = None
                decisions += self._cancel_fade(session)
        if not trusted:
            return decisions
        self._count_motion(now)
        if session is None and (rising or state.pending_start is None):
            decisions += self._try_start(now, wait=True)
        return decisions

    def trigger_motion(self, now: datetime) -> list[Decision]:
        """Handle a motion pulse from the action: a trusted rising edge, presence ending at `now`.

        Subject to the switch, snooze, cooldown and blocking quiet hours, but not to
        min_presence (a pulse has no duration to wait for).
        """
        now = _utc(now)
        decisions = self._advance(now)
        state = self.state
        self._count_motion(now)
        if state.session is None:
            decisions += self._try_start(now, wait=False)
        elif not state.presence:
            decisions += self._cancel_fade(state.session)
        if state.session is not None and not state.presence:
            state.session.presence_ended = now
        return decisions

    def start_session(self, now: datetime) -> list[Decision]:
        """Manual start: ignores quiet hours, cooldown, snooze and min presence (not the switch)."""
        now = _utc(now)
        decisions = self._advance(now)
        if not self.state.enabled:
            self.state.last_skip_reason = SkipReason.DISABLED
            return decisions
        if self.state.session is None:
            decisions += self._open(now, motion_count=0, last_motion=None)
        return decisions

    def stop_session(self, now: datetime, reason: EndReason = EndReason.MANUAL) -> list[Decision]:
        """End the open session (if any) now."""
        now = _utc(now)
        reason = EndReason(reason)
        decisions = self._advance(now)
        return decisions + self._end(now, reason)

    def set_enabled(self, now: datetime, enabled: bool) -> list[Decision]:
        """Turn the sensor's switch on or off; off ends the open session with reason DISABLED."""
        now = _utc(now)
        decisions = self._advance(now)
        self.state.enabled = enabled
        if enabled:
            return decisions
        self.state.pending_start = None
        return decisions + self._end(now, EndReason.DISABLED)

    def snooze(self, now: datetime, duration: timedelta) -> list[Decision]:
        """Block new sessions until now + duration; timedelta(0) cancels a snooze."""
        if duration < timedelta(0):
            raise ValueError("snooze duration cannot be negative")
        now = _utc(now)
        decisions = self._advance(now)
        if duration == timedelta(0):
            self.state.snoozed_until = None
        else:
            self.state.snoozed_until = now + duration
            self.state.pending_start = None
        return decisions

    def remove(self, now: datetime) -> list[Decision]:
        """End the open session with reason REMOVED (the subentry is being deleted)."""
        now = _utc(now)
        decisions = self._advance(now)
        self.state.pending_start = None
        return decisions + self._end(now, EndReason.REMOVED)

    def restore(self, now: datetime, *, present: bool = False) -> list[Decision]:
        """After a restart: carry out what fell due while HA was down.

        A session whose start was in flight (owned None) ends now without pausing (RELEASED).
        Presence is taken as `present` (default off) without counting as an edge: an open
        session's timeout then runs from `now`, so nobody loses time to the restart.
        """
        now = _utc(now)
        state = self.state
        state.pending_start = None
        decisions: list[Decision] = []
        if state.session is not None and state.session.owned is None:
            decisions += self._end(now, EndReason.RELEASED)
        decisions += self._advance(now)
        state.presence = present
        state.presence_since = now if present else None
        session = state.session
        if session is not None:
            if present:
                session.presence_ended = None
                decisions += self._cancel_fade(session)
            elif session.presence_ended is None:
                session.presence_ended = now
        return decisions

    def playback_started(
        self,
        now: datetime,
        session_id: str,
        *,
        owned: bool,
        device_id: str | None,
        context_uri: str | None,
    ) -> list[Decision]:
        """Take the result of a StartPlayback: we play (owned) or the account already did."""
        now = _utc(now)
        decisions = self._advance(now)
        session = self.state.session
        if session is not None and session.session_id == session_id:
            session.owned = owned
            session.device_id = device_id
            session.context_uri = context_uri
            self.state.error = None
            return decisions
        # The session ended (or is unknown) while the start was in flight.
        record = self._in_flight.records.pop(session_id, None)
        if not owned:
            return decisions
        if record is None:
            record = SessionRecord(session_id, now, now, 0, owned=True, reason=EndReason.MANUAL)
        self.state.error = None
        late = dataclasses.replace(record, owned=True, device_id=device_id, context_uri=context_uri)
        return [*decisions, EndPlayback(late, late=True)]

    def moved(self, now: datetime, moved_to: str) -> list[Decision]:
        """Another room took this room's music over: end an owned session as MOVED.

        The end asks for no pause (the music plays on in `moved_to`) and starts no cooldown,
        so walking back can bring the music back at once. Observed sessions and starts still
        in flight never move: nothing happens.
        """
        now = _utc(now)
        decisions = self._advance(now)
        session = self.state.session
        if session is None or session.owned is not True:
            return decisions
        return decisions + self._end(now, EndReason.MOVED, moved_to=moved_to)

    def position_saved(
        self, session_id: str, *, item_uri: str | None, position_ms: int | None
    ) -> None:
        """The last read at the end of `session_id`: where to resume within resume_minutes."""
        point = self.state.resume
        if point is None or point.session_id != session_id or item_uri is None:
            return
        position = 0 if position_ms is None or position_ms < 0 else position_ms
        self.state.resume = dataclasses.replace(point, item_uri=item_uri, position_ms=position)

    def playback_failed(self, now: datetime, session_id: str, error: str) -> list[Decision]:
        """Take a failed StartPlayback: discard the session and show the error."""
        now = _utc(now)
        decisions = self._advance(now)
        session = self.state.session
        if session is not None and session.session_id == session_id:
            self.state.session = None
            self.state.error = error
        elif self._in_flight.records.pop(session_id, None) is not None:
            self.state.error = error
        return decisions

    # -- internals -----------------------------------------------------------------------------

    def _advance(self, now: datetime) -> list[Decision]:
        state = self.state
        decisions: list[Decision] = []
        if state.pending_start is not None and state.pending_start <= now:
            state.pending_start = None
            if state.session is None and state.presence:
                decisions += self._try_start(now, wait=False)
        session = state.session
        if session is not None and session.fade_ends is not None:
            if session.fade_ends <= now:
                decisions += self._end(now, session.fade_reason or EndReason.TIMEOUT)
        elif session is not None:
            max_end = session.max_end(self.options)
            deadline = session.deadline(self.options)
            if max_end <= now and (deadline is None or max_end <= deadline):
                decisions += self._fade_or_end(now, max_end, EndReason.MAX_DURATION)
            elif deadline is not None and deadline <= now:
                decisions += self._fade_or_end(now, deadline, EndReason.TIMEOUT)
        if state.snoozed_until is not None and state.snoozed_until <= now:
            state.snoozed_until = None
        if state.cooldown_until is not None and state.cooldown_until <= now:
            state.cooldown_until = None
        return decisions

    def _fade_or_end(self, now: datetime, due: datetime, reason: EndReason) -> list[Decision]:
        """At the deadline (`due`): fade an owned session out first when fade_out is set.

        The fade runs from `due` (not from a late tick), so after a long pause (a restart)
        the session ends at once rather than fading late.
        """
        session = self.state.session
        assert session is not None
        fade_ends = due + self.options.fade_out
        if session.owned is True and fade_ends > now:
            session.fade_ends = fade_ends
            session.fade_reason = reason
            return [FadeOut(session.session_id, fade_ends)]
        return self._end(now, reason)

    @staticmethod
    def _cancel_fade(session: Session) -> list[Decision]:
        """Motion is back: a timeout fade stops and the session goes on (a max-length one ends)."""
        if session.fade_ends is None or session.fade_reason is not EndReason.TIMEOUT:
            return []
        session.fade_ends = None
        session.fade_reason = None
        return [CancelFade(session.session_id)]

    def _resume_from(self, now: datetime) -> ResumeFrom | None:
        """Where to resume: the last owned end of the same source, within resume_window."""
        point, options = self.state.resume, self.options
        if (
            point is None
            or point.item_uri is None
            or point.position_ms is None
            or point.source != options.source
            or now - point.ended > options.resume_window
        ):
            return None
        return ResumeFrom(point.item_uri, point.position_ms)

    def _count_motion(self, now: datetime) -> None:
        self.state.last_motion = now
        session = self.state.session
        if session is not None:
            session.motion_count += 1
            session.last_motion = now

    def _blocked(self, now: datetime) -> SkipReason | None:
        state = self.state
        if not state.enabled:
            return SkipReason.DISABLED
        if state.snoozed_until is not None and now < state.snoozed_until:
            return SkipReason.SNOOZED
        if state.cooldown_until is not None and now < state.cooldown_until:
            return SkipReason.COOLDOWN
        if self.options.blocking_quiet_active(now):
            return SkipReason.QUIET_HOURS
        return None

    def _try_start(self, now: datetime, *, wait: bool) -> list[Decision]:
        """Start a session for motion at `now` unless something blocks it."""
        state = self.state
        reason = self._blocked(now)
        if reason is not None:
            state.last_skip_reason = reason
            return []
        if wait and self.options.min_presence > timedelta(0):
            state.pending_start = now + self.options.min_presence
            state.last_skip_reason = SkipReason.WAITING_FOR_PRESENCE
            return []
        return self._open(now, motion_count=1, last_motion=state.last_motion)

    def _open(
        self, now: datetime, *, motion_count: int, last_motion: datetime | None
    ) -> list[Decision]:
        state = self.state
        options = self.options
        session = Session(
            session_id=self._new_id(),
            started=now,
            owned=None,
            motion_count=motion_count,
            last_motion=last_motion,
            presence_ended=None if state.presence else now,
        )
        state.session = session
        state.pending_start = None
        state.last_skip_reason = None
        resume = self._resume_from(now)
        state.resume = None
        return [
            SessionStarted(dataclasses.replace(session)),
            StartPlayback(
                session_id=session.session_id,
                check_idle=options.only_when_idle,
                volume=options.start_volume(now),
                shuffle=options.shuffle,
                source=options.source,
                follow_me=options.follow_me,
                resume=resume,
            ),
        ]

    def _end(
        self, now: datetime, reason: EndReason, *, moved_to: str | None = None
    ) -> list[Decision]:
        state = self.state
        session = state.session
        options = self.options
        if session is None:
            return []
        record = SessionRecord(
            session_id=session.session_id,
            started=session.started,
            ended=now,
            motion_count=session.motion_count,
            owned=session.owned is True,
            reason=reason,
            device_id=session.device_id,
            context_uri=session.context_uri,
            moved_to=moved_to,
        )
        if session.owned is None:
            self._in_flight.remember(record)
        state.session = None
        # Only an owned session we pause can be resumed; position_saved completes the point.
        source = options.source
        state.resume = None
        if (
            session.owned is True
            and reason is not EndReason.MOVED
            and options.resume_window > timedelta(0)
            and source is not None
        ):
            state.resume = ResumePoint(session.session_id, now, source)
        cooldown = options.cooldown
        if reason is EndReason.MOVED:
            cooldown = timedelta(0)  # the music did not stop: walking back may take it back
        state.cooldown_until = now + cooldown if cooldown > timedelta(0) else None
        return [EndPlayback(record)]
