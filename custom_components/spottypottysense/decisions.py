"""What the engine asks its shell to do (pure values, no HA imports).

Each input of `RoomEngine` returns a list of these; the controller carries them out in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .records import Session, SessionRecord


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
    knows the rooms) instead of starting the source. ``join``: join the player of such a
    session instead (both rooms play in sync), else start the source. ``resume``: start the
    source at this track and position rather than from the top.
    """

    session_id: str
    check_idle: bool
    volume: int | None
    shuffle: bool
    source: str | None
    follow_me: bool = False
    join: bool = False
    resume: ResumeFrom | None = None


@dataclass(frozen=True, slots=True)
class FadeOut:
    """Lower the volume of the owned session step by step until `ends_at` (then it ends)."""

    session_id: str
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class CancelFade:
    """Motion came back during the fade: stop fading and put the volume back.

    ``fade_from``: the volume before the fade as written ahead, for a fade whose steps ran
    before a restart or an unload (the shell then has no live fade to ask).
    """

    session_id: str
    fade_from: int | None = None


@dataclass(frozen=True, slots=True)
class EndPlayback:
    """A session ended: record it, announce it, and pause only if `record.owned` and still ours.

    ``late`` is True when the session had already ended (and was recorded/announced with
    owned False) while its start was in flight, and the start then succeeded: only the
    ownership check and pause are wanted, not another record or event.
    """

    record: SessionRecord
    late: bool = False
    fade_from: int | None = None  # as for CancelFade: the volume to put back after a fade


@dataclass(frozen=True, slots=True)
class SettleStart:
    """After a restart, a start whose outcome never reached the disk: read once and report.

    The session was written before the play was sent, with the speaker and what it was to
    play. Still ours: report `playback_started` (owned); not ours: `start_unconfirmed`.
    """

    session_id: str
    device_id: str
    context_uri: str | None


type Decision = SessionStarted | StartPlayback | EndPlayback | FadeOut | CancelFade | SettleStart
