"""The session rules of one room as a pure state machine (no HA imports).

The Home Assistant shell feeds a `RoomEngine` its inputs (presence changes, timer ticks,
actions, results of speaker calls) with the current time, and carries out the decisions each
call returns (`decisions.py`: `SessionStarted`, `StartPlayback`, `EndPlayback`, and with
`fade_out` set `FadeOut`/`CancelFade`). The engine never reads the clock, never does I/O, and
keeps everything a restart needs in `RoomState` (`records.py`), which serialises to plain JSON
primitives. The room's settings come parsed and checked as `RoomOptions` (`options.py`).

Across rooms the shell decides: with follow mode *move* it may move another room's owned session
to this room's speaker, and tells that room's engine with `moved` (an end without a pause); with
*join* it may group this room's player with that session's (both rooms' sessions stay open).

Every input first carries out whatever is already due at `now` (exactly as `tick` would), so
a late timer can never let a session outlive its deadline.
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final
from uuid import uuid4

from .decisions import (
    CancelFade,
    Decision,
    EndPlayback,
    FadeOut,
    ResumeFrom,
    SessionStarted,
    SettleStart,
    StartPlayback,
)
from .options import FollowMode, RoomOptions
from .parsing import MAX_COUNT, to_utc
from .records import EndReason, ResumePoint, RoomState, Session, SessionRecord, SkipReason

# Sessions whose start was still in flight when they ended, remembered (not persisted) so a
# late "playback started" can be stopped; a handful is plenty for one room.
_IN_FLIGHT_MEMORY: Final = 8


class Status(StrEnum):
    """What the room's status entity shows."""

    IDLE = "idle"
    STARTING = "starting"  # decided to play; the speaker has not answered yet
    PLAYING = "playing"
    OBSERVING = "observing"
    COOLDOWN = "cooldown"
    QUIET_HOURS = "quiet_hours"
    SNOOZED = "snoozed"
    DISABLED = "disabled"
    ERROR = "error"


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


class RoomEngine:
    """The session rules of one room. Times are aware datetimes (stored as UTC)."""

    __slots__ = ("_in_flight", "_new_id", "_window_edge", "options", "state")

    def __init__(
        self,
        options: RoomOptions,
        state: RoomState | None = None,
        *,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self.options = options
        self.state = RoomState() if state is None else state
        self._new_id = new_id
        self._in_flight = _Memory()
        # The next window edge and when and for which options it was computed: it stays the
        # answer until that edge (next_wakeup runs at every motion edge; the search does not).
        self._window_edge: tuple[RoomOptions, datetime, datetime | None] | None = None

    # -- queries ------------------------------------------------------------------------------

    @property
    def session(self) -> Session | None:
        """The open session (read-only by convention), if any."""
        return self.state.session

    def stops_at(self, now: datetime) -> datetime | None:
        """When the open session will stop if nothing changes (deadline or max end)."""
        session = self.state.session
        return None if session is None else self.options.stops_at(session)

    def status(self, now: datetime) -> Status:
        """Return the status shown by the room's status entity at `now`."""
        now = to_utc(now)
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
        call tick right away); cooldown end, snooze end and the next edge of a time window
        only when still ahead, so that the status stays right without polling.
        """
        now = to_utc(now)
        state = self.state
        due: list[datetime] = []
        if state.pending_start is not None:
            due.append(state.pending_start)
        if state.session is not None:
            due.append(self.options.stops_at(state.session))
        for instant in (state.snoozed_until, state.cooldown_until):
            if instant is not None and instant > now:
                due.append(instant)
        change = self._next_window_edge(now)
        if change is not None:
            due.append(change)
        return min(due, default=None)

    def _next_window_edge(self, now: datetime) -> datetime | None:
        """options.next_window_change(now), searched again only once the known edge is reached."""
        known = self._window_edge
        if (
            known is not None
            and known[0] is self.options
            and known[1] <= now
            and (known[2] is None or now < known[2])
        ):
            return known[2]
        edge = self.options.next_window_change(now)
        self._window_edge = (self.options, now, edge)
        return edge

    # -- inputs ----------------------------------------------------------------------------------

    def tick(self, now: datetime) -> list[Decision]:
        """Carry out everything due at `now`."""
        return self._advance(to_utc(now))

    def update_options(self, now: datetime, options: RoomOptions) -> list[Decision]:
        """Apply new options live; an open session continues under the new timeout."""
        now = to_utc(now)
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
        now = to_utc(now)
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
        now = to_utc(now)
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
        now = to_utc(now)
        decisions = self._advance(now)
        if not self.state.enabled:
            self.state.last_skip_reason = SkipReason.DISABLED
            return decisions
        if self.state.session is None:
            decisions += self._open(now, motion_count=0, last_motion=None)
        return decisions

    def stop_session(self, now: datetime, reason: EndReason = EndReason.MANUAL) -> list[Decision]:
        """End the open session (if any) now."""
        now = to_utc(now)
        reason = EndReason(reason)
        decisions = self._advance(now)
        return decisions + self._end(now, reason)

    def set_enabled(self, now: datetime, enabled: bool) -> list[Decision]:
        """Turn the room's switch on or off; off ends the open session with reason DISABLED."""
        now = to_utc(now)
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
        now = to_utc(now)
        decisions = self._advance(now)
        if duration == timedelta(0):
            self.state.snoozed_until = None
        else:
            self.state.snoozed_until = now + duration
            self.state.pending_start = None
        return decisions

    def remove(self, now: datetime) -> list[Decision]:
        """End the open session with reason REMOVED (the subentry is being deleted)."""
        now = to_utc(now)
        decisions = self._advance(now)
        self.state.pending_start = None
        return decisions + self._end(now, EndReason.REMOVED)

    def restore(self, now: datetime, *, present: bool = False) -> list[Decision]:
        """After a restart: carry out what fell due while HA was down.

        A session whose start was in flight (owned None) and whose speaker was written ahead is
        settled (`SettleStart`: one read tells whether the music is ours); its timeout runs from
        `now`. One from a store without that (nothing was sent yet) ends without a pause.
        Presence is taken as `present` (default off) without counting as an edge: an open
        session's timeout then runs from `now`, so nobody loses time to the restart.
        """
        now = to_utc(now)
        state = self.state
        state.pending_start = None
        decisions: list[Decision] = []
        unsettled = state.session
        if unsettled is not None and unsettled.owned is None:
            if unsettled.device_id is None:
                decisions += self._end(now, EndReason.RELEASED)
            else:
                if unsettled.presence_ended is not None:
                    unsettled.presence_ended = max(unsettled.presence_ended, now)
                decisions.append(
                    SettleStart(unsettled.session_id, unsettled.device_id, unsettled.context_uri)
                )
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
        now = to_utc(now)
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

    def playback_requested(
        self, session_id: str, *, device_id: str, context_uri: str | None
    ) -> None:
        """A start is about to be sent to `device_id`: remember where, to settle it after a crash.

        Written to disk before the request goes out (write before you act).
        """
        session = self.state.session
        if session is not None and session.session_id == session_id and session.owned is None:
            session.device_id = device_id
            session.context_uri = context_uri

    def start_unconfirmed(self, now: datetime, session_id: str) -> list[Decision]:
        """A start settled after a restart is not ours: the session ends without a pause."""
        now = to_utc(now)
        decisions = self._advance(now)
        session = self.state.session
        if session is not None and session.session_id == session_id and session.owned is None:
            return decisions + self._end(now, EndReason.RELEASED)
        self._in_flight.records.pop(session_id, None)
        return decisions

    def fade_volume_saved(self, session_id: str, volume: int) -> None:
        """The fade read the speaker's volume: keep it (written before the first step)."""
        session = self.state.session
        if session is not None and session.session_id == session_id and session.fading:
            session.fade_from = volume

    def moved(self, now: datetime, moved_to: str) -> list[Decision]:
        """Another room took this room's music over: end an owned session as MOVED.

        The end asks for no pause (the music plays on in `moved_to`) and starts no cooldown,
        so walking back can bring the music back at once. Observed sessions and starts still
        in flight never move: nothing happens.
        """
        now = to_utc(now)
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
        # Checked as the loader checks it: what is written can always be read back.
        position = position_ms if position_ms is not None and 0 <= position_ms <= MAX_COUNT else 0
        self.state.resume = dataclasses.replace(point, item_uri=item_uri, position_ms=position)

    def playback_failed(self, now: datetime, session_id: str, error: str) -> list[Decision]:
        """Take a failed StartPlayback: discard the session and show the error."""
        now = to_utc(now)
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
            max_end = self.options.max_end(session)
            deadline = self.options.deadline(session)
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
        fade_from, session.fade_from = session.fade_from, None
        session.fade_ends = None
        session.fade_reason = None
        return [CancelFade(session.session_id, fade_from)]

    def _resume_from(self, now: datetime) -> ResumeFrom | None:
        """Where to resume: the last owned end of the same source, within resume_window."""
        point, options = self.state.resume, self.options
        if (
            point is None
            or point.item_uri is None
            or point.position_ms is None
            or point.source != options.start_source(now)  # the same window's source only
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

    def wants_preparation(self, now: datetime) -> bool:
        """Whether someone coming (an approach sensor) makes a playback read worth its request.

        Only when motion here would start a session that reads first (only_when_idle or
        follow_me) and nothing would block it; a room in session or blocked reads nothing.
        """
        now = to_utc(now)
        state, options = self.state, self.options
        return (
            state.session is None
            and state.pending_start is None
            and (options.only_when_idle or options.follow_me)
            and self._blocked(now) is None
        )

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
                shuffle=options.start_shuffle(now),
                source=options.start_source(now),
                follow_me=options.follow_mode is FollowMode.MOVE,
                join=options.follow_mode is FollowMode.JOIN,
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
        source = options.start_source(session.started)  # what this session started
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
        return [EndPlayback(record, fade_from=session.fade_from)]
