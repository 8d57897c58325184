"""What a room remembers: its open session, ended sessions, resume point and state.

Plain records with their stored (JSON) form; loading checks every field (`parsing.py`), so a
file edited by hand or written by a newer version cannot put an impossible value into the
engine. No HA imports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .parsing import (
    iso,
    parse_bool,
    parse_count,
    parse_datetime,
    parse_optional_bool,
    parse_optional_datetime,
    parse_optional_str,
    parse_optional_volume,
    parse_str,
)


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


def _parse_optional_reason(value: object) -> EndReason | None:
    return None if value is None else EndReason(parse_str(value))


_FIELD_ERRORS = (ValueError, TypeError, KeyError, OverflowError)


def _field[T](
    data: Mapping[str, Any],
    key: str,
    parse: Callable[[object], T],
    default: T,
    problems: list[str],
    prefix: str = "",
) -> T:
    """One stored field, or its default when it cannot be ours (noted in `problems`)."""
    if key not in data:
        return default
    try:
        return parse(data[key])
    except _FIELD_ERRORS:
        problems.append(prefix + key)
        return default


@dataclass(slots=True)
class Session:
    """The open session of a room (mutable; the engine owns it)."""

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
    # The speaker's volume before the fade, written before the first step lowers it, so that
    # an end after a restart or an unload can still put it back.
    fade_from: int | None = None

    @property
    def fading(self) -> bool:
        """Whether the session is fading out (it ends at `fade_ends`)."""
        return self.fade_ends is not None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON primitives (the fade keys only while fading)."""
        data: dict[str, Any] = {
            "session_id": self.session_id,
            "started": self.started.isoformat(),
            "owned": self.owned,
            "motion_count": self.motion_count,
            "last_motion": iso(self.last_motion),
            "presence_ended": iso(self.presence_ended),
            "device_id": self.device_id,
            "context_uri": self.context_uri,
        }
        if self.fade_ends is not None:
            data["fade_ends"] = self.fade_ends.isoformat()
            data["fade_reason"] = None if self.fade_reason is None else str(self.fade_reason)
            if self.fade_from is not None:
                data["fade_from"] = self.fade_from
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Session:
        """Inverse of `to_dict`; ValueError on any bad field (`load` keeps the good ones)."""
        problems: list[str] = []
        session = cls.load(data, problems)
        if problems:
            raise ValueError(f"bad session data: {', '.join(problems)}")
        return session

    @classmethod
    def load(cls, data: Mapping[str, Any], problems: list[str]) -> Session:
        """Like `from_dict`, but a bad optional field costs that field only (named in problems).

        Without a readable id and start there is no session to keep: ValueError.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a mapping, not {data!r}")
        try:
            session_id = parse_str(data["session_id"])
            started = parse_datetime(data["started"])
        except _FIELD_ERRORS as err:
            raise ValueError(f"bad session id or start: {err!r}") from err

        def field[T](key: str, parse: Callable[[object], T], default: T) -> T:
            return _field(data, key, parse, default, problems, "session.")

        return cls(
            session_id=session_id,
            started=started,
            owned=field("owned", parse_optional_bool, None),
            motion_count=field("motion_count", parse_count, 0),
            last_motion=field("last_motion", parse_optional_datetime, None),
            presence_ended=field("presence_ended", parse_optional_datetime, None),
            device_id=field("device_id", parse_optional_str, None),
            context_uri=field("context_uri", parse_optional_str, None),
            fade_ends=field("fade_ends", parse_optional_datetime, None),
            fade_reason=field("fade_reason", _parse_optional_reason, None),
            fade_from=field("fade_from", parse_optional_volume, None),
        )


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
            session_id=parse_str(data["session_id"]),
            started=parse_datetime(data["started"]),
            ended=parse_datetime(data["ended"]),
            motion_count=parse_count(data["motion_count"]),
            owned=parse_bool(data["owned"]),
            reason=EndReason(data["reason"]),
            device_id=parse_optional_str(data.get("device_id")),
            context_uri=parse_optional_str(data.get("context_uri")),
            moved_to=parse_optional_str(data.get("moved_to")),
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
                session_id=parse_str(data["session_id"]),
                ended=parse_datetime(data["ended"]),
                source=parse_str(data["source"]),
                item_uri=parse_optional_str(data.get("item_uri")),
                position_ms=None if position is None else parse_count(position),
            )
        except KeyError as err:
            raise ValueError(f"bad resume data: {err!r}") from err


@dataclass(slots=True)
class RoomState:
    """Everything about one room that must survive a restart."""

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
            "snoozed_until": iso(self.snoozed_until),
            "cooldown_until": iso(self.cooldown_until),
            "presence": self.presence,
            "presence_since": iso(self.presence_since),
            "pending_start": iso(self.pending_start),
            "session": None if self.session is None else self.session.to_dict(),
            "last_motion": iso(self.last_motion),
            "last_skip_reason": (
                None if self.last_skip_reason is None else str(self.last_skip_reason)
            ),
            "error": self.error,
        }
        if self.resume is not None:
            data["resume"] = self.resume.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoomState:
        """Inverse of `to_dict`; missing keys take defaults, any bad value raises ValueError."""
        state, problems = cls.load(data)
        if problems:
            raise ValueError(f"bad room state: {', '.join(problems)}")
        return state

    @classmethod
    def load(cls, data: object) -> tuple[RoomState, list[str]]:
        """What a restart reads: each bad field costs that field only, never the whole room.

        Returns the state and the names of the fields that could not be read (to be logged).
        An open session, a snooze or a cooldown survives a bad neighbouring field.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a mapping, not {data!r}")
        problems: list[str] = []

        def field[T](key: str, parse: Callable[[object], T], default: T) -> T:
            return _field(data, key, parse, default, problems)

        def session(value: object) -> Session | None:
            return None if value is None else Session.load(_mapping(value), problems)

        def resume(value: object) -> ResumePoint | None:
            return None if value is None else ResumePoint.from_dict(_mapping(value))

        def skip(value: object) -> SkipReason | None:
            return None if value is None else SkipReason(parse_str(value))

        state = cls(
            enabled=field("enabled", parse_bool, True),
            snoozed_until=field("snoozed_until", parse_optional_datetime, None),
            cooldown_until=field("cooldown_until", parse_optional_datetime, None),
            presence=field("presence", parse_bool, False),
            presence_since=field("presence_since", parse_optional_datetime, None),
            pending_start=field("pending_start", parse_optional_datetime, None),
            session=field("session", session, None),
            last_motion=field("last_motion", parse_optional_datetime, None),
            last_skip_reason=field("last_skip_reason", skip, None),
            error=field("error", parse_optional_str, None),
            resume=field("resume", resume, None),
        )
        return state, problems


def _mapping(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a mapping, not {value!r}")
    return value
