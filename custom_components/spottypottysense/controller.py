"""One room's shell: feeds the engine HA state changes and timers, and carries out its decisions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import logging
from typing import Any, Final
import weakref

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.helpers.translation import async_get_exception_message
from homeassistant.util import dt as dt_util

from .const import (
    CONF_APPROACH_ENTITIES,
    CONF_AREA,
    CONF_MEDIA_PLAYER_ENTITY,
    CONF_MOTION_ENTITIES,
    CONF_SOURCE,
    CONF_SOURCE_NAME,
    CONF_SPOTIFY_DEVICE_ID,
    DOMAIN,
    EVENT_PLAYBACK_FAILED,
    EVENT_SESSION_ENDED,
    EVENT_SESSION_STARTED,
)
from .decisions import CancelFade, Decision, EndPlayback, FadeOut, SettleStart, StartPlayback
from .engine import RoomEngine, Status
from .fade import lowered_by_fade
from .fader import Fader
from .history import TodayTotals
from .options import RoomOptions
from .player_join import async_join, async_leave, can_group, in_one_group
from .player_move import async_move, async_stop_origin
from .player_watch import PlayerWatch
from .records import EndReason, RoomState, Session, SessionRecord
from .room_host import MovableRoom, RoomHost
from .session_calendar import source_title
from .speaker import (
    NowPlaying,
    PlayRequest,
    Reading,
    ResumePoint,
    Speaker,
    SpeakerError,
    SpeakerKind,
    StartOutcome,
    is_ours,
)
from .speaker_factory import create_speaker, speaker_for_target, speaker_kind, speaker_name
from .speaker_media_player import SERVICE_TIMEOUT, player_announcing
from .speaker_spotify import SpotifyConnectSpeaker
from .spotify_uri import starts_at_item

_LOGGER = logging.getLogger(__name__)

NO_WINDOW: Final = "none"  # the time window sensor's state outside every window

LISTENING_REFRESH = timedelta(minutes=1)
_EDGE = frozenset((STATE_ON, STATE_OFF))
_CATCH_UP_STEPS = 8
DRAIN_ROUNDS = 3
DRAIN_MARGIN = 2.0  # seconds an unload waits beyond one request timeout, all rounds together
ACTION_CALLS = 3  # an action waits for this many speaker calls at most (wake, play, check)

Outcome = SpeakerError | None
"""What a start or end task ends with: the error that stopped it, or None."""


def speaker_issue_id(subentry_id: str) -> str:
    """Repair issue raised while a room's speaker cannot be found."""
    return f"speaker_missing_{subentry_id}"


class RoomController:
    """Runs one room's sessions; entities read it and subscribe to its updates."""

    def __init__(
        self,
        hass: HomeAssistant,
        host: RoomHost,
        subentry: ConfigSubentry,
        state: RoomState | None,
    ) -> None:
        self.hass = hass
        self.host = host
        self.subentry = subentry
        # HA changes a subentry in place: remember what was applied, to see what changed.
        self.applied: tuple[str, dict[str, Any]] = (subentry.title, dict(subentry.data))
        self.engine = RoomEngine(self._options(subentry), state)
        self._listeners: set[CALLBACK_TYPE] = set()
        self._event_listeners: set[Callable[[str, dict[str, Any]], None]] = set()
        self._unsubs: list[CALLBACK_TYPE] = []
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._timer_at: datetime | None = None
        self._unsub_ticker: CALLBACK_TYPE | None = None
        self._present = False
        self._in_flight: set[asyncio.Task[Outcome]] = set()
        # The pauses among them (weak: an action may still ask after they finished).
        self._end_tasks: weakref.WeakSet[asyncio.Task[Outcome]] = weakref.WeakSet()
        # Ended sessions whose pause check is still running: counted today until recorded.
        self._ending: dict[str, SessionRecord] = {}
        self._device_id: str | None = None
        self._removed = False  # the subentry is gone: nothing may be saved to it any more
        self._area_pending: str | None = None  # a new room's area, for its device once created
        self._fader = Fader(hass, self._spawn, self._async_write_fade_ahead)
        self._watch = PlayerWatch(hass, self._spawn, self._room_empty)
        self._totals = TodayTotals(self._ended_since)
        self._preparing: asyncio.Task[Prepared | None] | None = None  # an approach's read

    # ---- properties the entities read -------------------------------------------------------

    @property
    def subentry_id(self) -> str:
        """The subentry this room is."""
        return self.subentry.subentry_id

    @property
    def name(self) -> str:
        """The room's name as the user typed it."""
        return self.subentry.title

    @property
    def device_id(self) -> str | None:
        """The room's HA device id (for events and actions), once its entities created it."""
        return self._lookup_device_id()

    def _lookup_device_id(self) -> str | None:
        # Remembered: HA removes a deleted room's device before its last session_ended event.
        device = dr.async_get(self.hass).async_get_device_by_identifier(
            (DOMAIN, self.subentry_id), self.host.entry_id
        )
        if device is not None:
            self._device_id = device.id
        return self._device_id

    @property
    def session(self) -> Session | None:
        """The open session, if any."""
        return self.engine.session

    def status(self) -> Status:
        """What the room is doing now."""
        return self.engine.status(dt_util.utcnow())

    def stops_at(self) -> datetime | None:
        """When the open session will end if nothing changes; None while someone is there.

        While presence lasts the session does not time out (only the longest session length
        could end it), so only an empty room has a deadline to show.
        """
        session = self.engine.session
        if session is None or session.presence_ended is None:
            return None
        return self.engine.stops_at(dt_util.utcnow())

    def last_motion(self) -> datetime | None:
        """When a motion sensor last saw motion come or go, to the second (as a user reads it)."""
        last = self.engine.state.last_motion
        return None if last is None else last.replace(microsecond=0)

    def today(self) -> tuple[int, float]:
        """Sessions started today and minutes listened today (local day), in constant time."""
        session = self.engine.session
        return self._totals.read(
            # A start still in flight may fail and leave no session: count it once it played.
            session if session is not None and session.owned is not None else None,
            dt_util.utcnow(),
            dt_util.get_default_time_zone(),
        )

    def _ended_since(self, since: datetime) -> list[SessionRecord]:
        """The room's sessions ended since `since`, those still being paused included."""
        return [
            *self.host.ended_since(self.subentry_id, since),
            *(record for record in self._ending.values() if record.ended >= since),
        ]

    # ---- life cycle ---------------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Subscribe to the motion entities and carry out what fell due while HA was down."""
        now = dt_util.utcnow()
        self._subscribe()
        # On at start-up is not an entry into the room: it keeps a session alive, never starts one.
        self._present = self._any_on()
        self._apply(self.engine.restore(now, present=self._present))

    @callback
    def async_stop(self) -> None:
        """Release listeners and timers (entry unload); the session stays stored as it is."""
        self._unsubscribe()
        self._cancel_timer()
        self._cancel_ticker()
        self._fader.stop()
        self._watch.stop()
        if self._preparing is not None:
            self._preparing.cancel()  # an approach's read: nobody will use it now
            self._preparing = None

    @callback
    def async_remove(self) -> None:
        """The subentry was deleted: end its session (pausing what it owns) and stop.

        A start still in flight ends the session late: what it played is paused then, on the
        id it played on (also a speaker found again under a new id).
        """
        self._removed = True
        self._apply(self.engine.remove(dt_util.utcnow()))
        self.async_stop()
        ir.async_delete_issue(self.hass, DOMAIN, speaker_issue_id(self.subentry_id))

    @callback
    def time_zone_changed(self) -> None:
        """HA's time zone changed: quiet hours and today's counts follow the new zone."""
        self._totals.invalidate()
        self._apply(self.engine.update_options(dt_util.utcnow(), self._options(self.subentry)))

    @callback
    def place_in_area(self) -> None:
        """A room just added: its device goes in the room's area once the device exists."""
        self._area_pending = self.subentry.data.get(CONF_AREA)
        self._apply_pending_area()

    def _apply_pending_area(self) -> None:
        if self._area_pending is None or self._lookup_device_id() is None:
            return
        area, self._area_pending = self._area_pending, None
        self._move_device(expected=None, area=area)

    def _move_device(self, *, expected: str | None, area: str | None) -> None:
        """Put the room's device in `area` if it is still in `expected` (nobody moved it since).

        A new room's device has no area yet; at a reconfigure it is in the old option's area
        unless the user moved it on the device page, which is then kept.
        """
        if expected == area or (device_id := self._lookup_device_id()) is None:
            return
        registry = dr.async_get(self.hass)
        device = registry.async_get(device_id)
        if device is not None and device.area_id == expected:
            registry.async_update_device(device_id, area_id=area)

    @callback
    def async_update_subentry(self, subentry: ConfigSubentry) -> None:
        """Apply changed options live; the open session keeps running."""
        entities_changed = any(
            subentry.data.get(key) != self.applied[1].get(key)
            for key in (CONF_MOTION_ENTITIES, CONF_APPROACH_ENTITIES)
        )
        self._move_device(
            expected=self.applied[1].get(CONF_AREA), area=subentry.data.get(CONF_AREA)
        )
        self.subentry = subentry
        self.applied = (subentry.title, dict(subentry.data))
        decisions = self.engine.update_options(dt_util.utcnow(), self._options(subentry))
        if entities_changed:
            self._unsubscribe()
            self._subscribe()
            self._present = self._any_on()
        self._apply(decisions)

    # ---- inputs ------------------------------------------------------------------------------

    @callback
    def trigger_motion(self) -> None:
        """A motion pulse from an automation."""
        self._apply(self.engine.trigger_motion(dt_util.utcnow()))

    @callback
    def start_session(self) -> list[asyncio.Task[Outcome]]:
        """Start now, ignoring quiet hours and cooldown (the action refuses switched-off rooms).

        Returns the speaker calls it spawned, for an action to await (async_outcome).
        """
        return self._apply(self.engine.start_session(dt_util.utcnow()))

    @callback
    def stop_session(self) -> list[asyncio.Task[Outcome]]:
        """End the open session now; returns the speaker calls it spawned."""
        return self._apply(self.engine.stop_session(dt_util.utcnow(), EndReason.MANUAL))

    @callback
    def moved_to(self, room: str) -> None:
        """Another room took this room's owned session over (follow_me): end it, no pause."""
        self._apply(self.engine.moved(dt_util.utcnow(), room))

    @callback
    def set_enabled(self, enabled: bool) -> list[asyncio.Task[Outcome]]:
        """The room's switch; returns the speaker calls it spawned (off pauses what we play)."""
        return self._apply(self.engine.set_enabled(dt_util.utcnow(), enabled))

    def action_timeout(self) -> float:
        """How long an action waits for the speaker: a few calls of the room's speaker kind.

        Spotify Connect: 3 requests of the client's timeout (30 s); a media player: 3 service
        calls of SERVICE_TIMEOUT (45 s).
        """
        if speaker_kind(self.subentry.data) is SpeakerKind.MEDIA_PLAYER:
            return ACTION_CALLS * SERVICE_TIMEOUT
        return ACTION_CALLS * self.host.client.timeout

    async def async_outcome(self, tasks: Iterable[asyncio.Task[Outcome]]) -> None:
        """Wait (bounded) for speaker calls an action spawned; raise what went wrong, translated.

        The calls go on when the wait times out (they are the room's own, not the action's):
        the action says so instead of claiming success.
        """
        pending = list(tasks)
        if not pending:
            return
        timeout = self.action_timeout()
        try:
            async with asyncio.timeout(timeout):
                outcomes = await asyncio.gather(*(asyncio.shield(task) for task in pending))
        except TimeoutError:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="speaker_slow",
                translation_placeholders={"room": self.name, "seconds": f"{timeout:g}"},
            ) from None
        for task, err in zip(pending, outcomes, strict=True):
            if err is None:
                continue
            reason = async_get_exception_message(DOMAIN, err.translation_key)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="stop_failed" if task in self._end_tasks else "start_failed",
                translation_placeholders={"room": self.name, "reason": reason},
            ) from err

    @callback
    def snooze(self, duration: timedelta) -> None:
        """No new sessions for a while (0 cancels)."""
        self._apply(self.engine.snooze(dt_util.utcnow(), duration))

    @callback
    def _on_state_change(self, event: Event[EventStateChangedData]) -> None:
        old, new = event.data["old_state"], event.data["new_state"]
        now = dt_util.utcnow()
        present = self._any_on()
        rising = (
            new is not None and new.state == STATE_ON and (old is None or old.state != STATE_ON)
        )
        was_present, self._present = self._present, present
        if rising:
            # Only off → on is someone walking in; unavailable/unknown → on is a reconnect.
            trusted = old is not None and old.state == STATE_OFF
            decisions = self.engine.presence_changed(now, True, trusted=trusted)
        elif was_present and not present:
            decisions = self.engine.presence_changed(now, False)
            if (session := self.engine.session) is not None and session.owned is True:
                # Leaving a room whose music is ours: rooms the music may follow into read ahead.
                self.host.neighbour_left(self)
        else:
            decisions = None
        if edge := old is not None and new is not None and {old.state, new.state} == _EDGE:
            # Last motion is the last on or off edge of any of the room's sensors.
            self.engine.state.last_motion = now
        if decisions is not None:
            self._apply(decisions)
        elif edge:
            self.host.schedule_save()
            self.notify()

    @callback
    def _on_timer(self, now: datetime) -> None:
        self._unsub_timer = None
        decisions = self.engine.tick(now)
        # A timer kept for an earlier moment fired late: carry out, at their own instants,
        # what fell due since (bounded: each step moves strictly forward).
        current = dt_util.utcnow()
        for _ in range(_CATCH_UP_STEPS):
            due = self.engine.next_wakeup(current)
            if due is None or not now < due <= current:
                break
            now = due
            decisions += self.engine.tick(due)
        self._apply(decisions)

    # ---- carrying out decisions ---------------------------------------------------------------

    @callback
    def _apply(self, decisions: Iterable[Decision]) -> list[asyncio.Task[Outcome]]:
        """Carry the decisions out; returns the start and end calls spawned for them."""
        spawned: list[asyncio.Task[Outcome]] = []
        for decision in decisions:
            if isinstance(decision, StartPlayback):
                self._watch.stop()  # a new session of ours: the old music is no longer watched
                spawned.append(self._spawn(self._async_start(decision), "start"))
            elif isinstance(decision, SettleStart):
                spawned.append(self._spawn(self._async_settle(decision), "settle"))
            elif isinstance(decision, EndPlayback):
                if not decision.late:
                    # Counted first: once in _ending it is part of what a recount reads.
                    self._totals.add(
                        decision.record, dt_util.utcnow(), dt_util.get_default_time_zone()
                    )
                    self._ending[decision.record.session_id] = decision.record
                end = self._spawn(self._async_end(decision), "end")
                self._end_tasks.add(end)
                spawned.append(end)
            elif isinstance(decision, FadeOut):
                session = self.engine.session
                # Already over when the same call ended it (a stop at the deadline): no fade.
                if session is not None and session.session_id == decision.session_id:
                    speaker = speaker_for_target(
                        self.hass, self.host.client, self.subentry.data, session.device_id
                    )
                    self._fader.start(session, speaker, decision.ends_at)
            elif isinstance(decision, CancelFade):
                if not self._fader.abandon(decision.session_id) and decision.fade_from is not None:
                    # Its steps ran before a restart or an unload: put the volume back from disk.
                    session = self.engine.session
                    target = session.device_id if session is not None else None
                    self._spawn(
                        self._async_restore_written_fade(target, decision.fade_from, None),
                        "fade restore",
                    )
        if self._removed or self.host.unloaded:
            self.async_stop()  # a late end of a removed or unloaded room arms no timer
        else:
            self._reschedule()
        self.host.schedule_save()
        self.notify()
        return spawned

    def _spawn(self, coro: Coroutine[Any, Any, Outcome], what: str) -> asyncio.Task[Outcome]:
        # Tracked by HA (shutdown and async_block_till_done wait for it), but not by the entry:
        # the unload's own drain bounds how long an unload waits (one request timeout plus a
        # margin); HA's entry unload would otherwise wait up to 10 s more for a slow Spotify.
        # A call that outlives the drain finishes on its own and pauses what it started.
        task = self.hass.async_create_task(
            coro, f"{DOMAIN} {self.subentry_id} {what}", eager_start=True
        )
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return task

    async def async_drain(self) -> None:
        """Let Spotify calls under way finish (bounded), so the store keeps what they did.

        A start that completes during an unload must be stored as owned, or the next start
        would treat music we started as someone else's.
        A start that outlasts the drain (one request timeout plus a margin, so that a slow
        Spotify cannot hold the unload) pauses what it played at once (`_started`).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.host.client.timeout + DRAIN_MARGIN
        for _ in range(DRAIN_ROUNDS):  # a finished start may queue an end; a few rounds at most
            left = deadline - loop.time()
            if not self._in_flight or left <= 0:
                return
            await asyncio.wait(list(self._in_flight), timeout=left)

    def speaker(self) -> Speaker:
        """The room's speaker for its current options (they change live)."""
        return create_speaker(self.hass, self.host.client, self.subentry.data)

    async def _async_start(self, decision: StartPlayback) -> Outcome:
        """Start (or take over, with follow_me); the session is on disk before the play goes out.

        Write before you act: the write runs alongside the start's read, and the speaker waits
        for it before its first request that changes anything. After a crash, the session, its
        speaker and its source are on disk, and a restart settles it with one read.
        """
        speaker = self.speaker()
        request = PlayRequest.from_decision(decision, resume=self._resume_point(decision, speaker))
        ahead = self._write_ahead(
            decision.session_id, speaker.target_id, speaker.context_for(request)
        )
        try:
            # Someone was seen coming: the read is made (or under way) already.
            reading = await self._async_prepared_reading(speaker)
            if decision.join and await self._async_join(decision, speaker, ahead):
                return None
            if decision.follow_me and await self._async_follow_across(decision, speaker, ahead):
                return None
            if decision.follow_me and speaker.supports_transfer:
                rooms = self.host.owned_sessions_elsewhere(self, speaker.target_id)
                if rooms:
                    # One read serves the follow decision and only_when_idle alike.
                    if reading is None:
                        reading = Reading(await speaker.async_now_playing())
                    if await self._async_follow(decision, speaker, rooms, reading, ahead):
                        return None
            outcome = await speaker.async_start(request, reading=reading, before_play=ahead.wait)
        except SpeakerError as err:
            await ahead.wait()
            self._start_failed(decision, err)
            return err
        await ahead.wait()
        self._started(decision, outcome)
        await self._async_save_now()  # the outcome, as soon as it is known
        return None

    async def _async_follow(
        self,
        decision: StartPlayback,
        speaker: Speaker,
        rooms: list[MovableRoom],
        reading: Reading,
        ahead: WriteAhead,
    ) -> bool:
        """follow_me: move another room's owned session here if it still plays; True if moved.

        The read (made only when some other room has an owned session) proves the music playing
        is that session (never music the user started or a session only observed).
        """
        playing = reading.playing
        origin = next((room for room in rooms if _plays(playing, room.session)), None)
        if origin is None or playing is None:
            return False
        where = ResumePoint(playing.context_uri, playing.item_uri, playing.position_ms or 0)
        await self._async_write_move(decision, speaker, playing.context_uri, ahead)
        outcome = await speaker.async_transfer(PlayRequest.from_decision(decision, resume=where))
        await self._async_moved_here(decision, outcome, origin, "transfer", stopped=True)
        return True

    async def _async_write_move(
        self, decision: StartPlayback, speaker: Speaker, context_uri: str | None, ahead: WriteAhead
    ) -> None:
        """What moves here is the other room's music: on disk before the move goes out."""
        self.engine.playback_requested(
            decision.session_id, device_id=speaker.target_id, context_uri=context_uri
        )
        await ahead.rewrite()

    async def _async_moved_here(
        self,
        decision: StartPlayback,
        outcome: StartOutcome,
        origin: MovableRoom,
        how: str,
        *,
        stopped: bool,
    ) -> None:
        """The music moved: the other room's session ends as moved once its speaker stopped."""
        _LOGGER.info("%s: the music of %s moved here (%s)", self.name, origin.name, how)
        if stopped:
            origin.moved_to(self.name)
        self._started(decision, outcome, moved_from=origin.name)
        await self._async_save_now()

    async def _async_follow_across(
        self, decision: StartPlayback, speaker: Speaker, ahead: WriteAhead
    ) -> bool:
        """follow_me where Spotify's transfer cannot: into a media player room, or out of one.

        The other room's speaker proves the music is still its owned session (a player's state,
        or the account's playback). When nothing could be started here, this room starts its
        own music instead and the other room's session goes on by its own rules (its timeout
        pauses what is still ours).
        """
        here_spotify = speaker.kind is SpeakerKind.SPOTIFY
        found = await self._first_still_playing(
            speaker.target_id,
            # Between two Spotify Connect speakers Spotify's own transfer moves (_async_follow).
            lambda origin: not (here_spotify and origin.kind is SpeakerKind.SPOTIFY),
        )
        if found is None:
            return False
        room, session, origin, playing = found
        record = _moving_record(session, dt_util.utcnow())
        await self._async_write_move(decision, speaker, playing.context_uri, ahead)
        try:
            if speaker.kind is SpeakerKind.MEDIA_PLAYER:
                moved = await async_move(self.hass, origin, record, speaker.target_id, playing)
                how, stopped = moved.how, moved.origin_stopped
                outcome = StartOutcome(
                    owned=True, target_id=speaker.target_id, context_uri=playing.context_uri
                )
            else:
                outcome = await self._async_start_moved(decision, speaker, playing)
                how, stopped = "play", await async_stop_origin(origin, record)
        except SpeakerError:
            _LOGGER.warning(
                "%s: the music of %s could not move here; playing this room's own",
                self.name,
                room.name,
            )
            return False
        await self._async_moved_here(decision, outcome, room, how, stopped=stopped)
        return True

    async def _async_join(
        self, decision: StartPlayback, speaker: Speaker, ahead: WriteAhead
    ) -> bool:
        """Join: this room's player joins the group of another room's owned session; True if so.

        That room's player must still play its session's content, and both players must be
        able to group (player_join.can_group). A join that fails plays this room's own music;
        the other room is left as it was.
        """
        if speaker.kind is not SpeakerKind.MEDIA_PLAYER:
            return False  # Spotify Connect has no groups
        member = speaker.target_id
        found = await self._first_still_playing(
            member, lambda origin: can_group(self.hass, origin.target_id, member)
        )
        if found is None:
            return False
        room, session, leader, _playing = found
        await self._async_write_move(decision, speaker, session.context_uri, ahead)
        try:
            await async_join(self.hass, leader.target_id, member)
        except SpeakerError:
            _LOGGER.warning(
                "%s: could not join the music of %s; playing this room's own", self.name, room.name
            )
            return False
        _LOGGER.info("%s: joined the music of %s", self.name, room.name)
        outcome = StartOutcome(owned=True, target_id=member, context_uri=session.context_uri)
        self._started(decision, outcome, joined_from=room.name)
        await self._async_save_now()
        return True

    async def _first_still_playing(
        self, target_id: str, worth_a_look: Callable[[Speaker], bool]
    ) -> tuple[MovableRoom, Session, Speaker, NowPlaying] | None:
        """The first other room whose owned session its speaker still plays (read if worth it).

        With its session, its speaker and what that speaker plays: proof the music is still
        that session's, never music someone put on by hand.
        """
        for room in self.host.owned_sessions_elsewhere(self, target_id):
            session = room.session
            if session is None or session.device_id is None:
                continue
            origin = speaker_for_target(
                self.hass, self.host.client, self.subentry.data, session.device_id
            )
            if not worth_a_look(origin):
                continue
            playing = await origin.async_now_playing()
            if playing is not None and _plays(playing, session):
                return room, session, origin, playing
        return None

    def _rooms_grouped_with(self, player: str) -> list[str]:
        """Other rooms in session on a player grouped with `player` (leave, do not pause)."""
        return [
            room.name
            for room in self.host.owned_sessions_elsewhere(self, player)
            if room.session is not None
            and room.session.device_id is not None
            and in_one_group(self.hass, player, room.session.device_id)
        ]

    async def _async_start_moved(
        self, decision: StartPlayback, speaker: Speaker, playing: NowPlaying
    ) -> StartOutcome:
        """A media player room's music onto this Spotify Connect speaker.

        The account's playback gives the item and position when it plays that content (a
        player that plays Spotify through the account); else the content starts afresh.
        """
        content = playing.context_uri
        account = await speaker.async_now_playing()
        resume: ResumePoint | None = None
        if content is not None and account is not None and account.context_uri == content:
            item, position = account.item_uri, account.position_ms or 0
            if starts_at_item(content) and item is not None:
                resume = ResumePoint(content, item, position)
            elif item == content:
                resume = ResumePoint(None, content, position)
        request = replace(
            PlayRequest.from_decision(decision, resume=resume), source=content, check_idle=False
        )
        return await speaker.async_start(request, reading=Reading(account))

    def _write_ahead(self, session_id: str, target_id: str, context_uri: str | None) -> WriteAhead:
        """Note the start's speaker and source in the session and write the store now."""
        self.engine.playback_requested(session_id, device_id=target_id, context_uri=context_uri)
        return WriteAhead(self._spawn_write)

    def _spawn_write(self) -> asyncio.Task[None]:
        return self.hass.async_create_task(
            self._async_save_now(), f"{DOMAIN} {self.subentry_id} write", eager_start=True
        )

    async def _async_save_now(self) -> None:
        """Write the store now; a failed write is logged, never a reason to stop the music."""
        if self._removed:
            return
        try:
            await self.host.async_save_now()
        except Exception:
            _LOGGER.exception("%s: could not write the session to disk", self.name)

    async def _async_settle(self, decision: SettleStart) -> Outcome:
        """After a restart: settle the start that was under way at the crash.

        One read. Ours: the session continues under the normal rules. Not ours, or unknown
        (the read failed): it ends as released, and a media player is watched for a while.
        """
        speaker = speaker_for_target(
            self.hass, self.host.client, self.subentry.data, decision.device_id
        )
        now = dt_util.utcnow()
        probe = SessionRecord(
            decision.session_id,
            now,
            now,
            0,
            owned=True,
            reason=EndReason.RELEASED,
            device_id=decision.device_id,
            context_uri=decision.context_uri,
        )
        try:
            ours = await speaker.async_still_ours(probe)
        except SpeakerError as err:
            _LOGGER.warning(
                "%s: could not check the start under way at restart: %s", self.name, err
            )
            ours = False
        now = dt_util.utcnow()
        if ours:
            _LOGGER.info("%s: the start under way at the restart plays; it goes on", self.name)
            decisions = self.engine.playback_started(
                now,
                decision.session_id,
                owned=True,
                device_id=decision.device_id,
                context_uri=decision.context_uri,
            )
        else:
            decisions = self.engine.start_unconfirmed(now, decision.session_id)
            self._watch_if_player(speaker, probe)
        self._apply(decisions)
        return None

    async def _async_write_fade_ahead(self, session_id: str, volume: int) -> None:
        """The fader read the volume it will lower: on disk before the first step."""
        self.engine.fade_volume_saved(session_id, volume)
        await self._async_save_now()

    async def _async_restore_written_fade(
        self, target_id: str | None, fade_from: int, playing: NowPlaying | None
    ) -> None:
        """A fade whose steps ran before a restart or unload: put its volume back.

        Only while the speaker still shows one of the fade's levels (nobody changed it since).
        """
        speaker = speaker_for_target(self.hass, self.host.client, self.subentry.data, target_id)
        try:
            if playing is None:
                playing = await speaker.async_now_playing()
            if (
                playing is not None
                and playing.volume is not None
                and lowered_by_fade(fade_from, playing.volume)
            ):
                await speaker.async_set_volume(fade_from)
        except SpeakerError as err:
            _LOGGER.warning("%s: could not restore the volume after a fade: %s", self.name, err)

    @staticmethod
    def _resume_point(decision: StartPlayback, speaker: Speaker) -> ResumePoint | None:
        """resume_minutes: where the previous session stopped, if this source can start there."""
        resume, source = decision.resume, decision.source
        if resume is None or source is None or speaker.kind is not SpeakerKind.SPOTIFY:
            return None
        if starts_at_item(source):
            return ResumePoint(source, resume.item_uri, resume.position_ms)
        if resume.item_uri == source:  # a single track or episode: its position only
            return ResumePoint(None, source, resume.position_ms)
        return None

    def _started(
        self,
        decision: StartPlayback,
        outcome: StartOutcome,
        *,
        moved_from: str | None = None,
        joined_from: str | None = None,
    ) -> None:
        data = self.subentry.data
        if outcome.owned:  # an observed start never reached the speaker: proves nothing
            ir.async_delete_issue(self.hass, DOMAIN, speaker_issue_id(self.subentry_id))
        if (
            (found := outcome.found) is not None
            and not self._removed
            and found.target_id != data.get(CONF_SPOTIFY_DEVICE_ID)
        ):
            _LOGGER.info("%s: speaker %s has a new Spotify id; saved it", self.name, found.name)
            self.host.update_speaker(self.subentry, found.target_id, found.name)
        now = dt_util.utcnow()
        decisions = self.engine.playback_started(
            now,
            decision.session_id,
            owned=outcome.owned,
            device_id=outcome.target_id,
            context_uri=outcome.context_uri,
        )
        session = self.engine.session
        if (
            self.host.unloaded
            and outcome.owned
            and session is not None
            and session.session_id == decision.session_id
        ):
            # Finished after the unload wrote the store (as "start in flight"): the reloaded
            # room could not know this music is ours, so it is paused now.
            _LOGGER.info("%s: a start finished after unload; pausing it", self.name)
            decisions += self.engine.stop_session(now, EndReason.MANUAL)
        elif session is not None and session.session_id == decision.session_id:
            self._fire(
                EVENT_SESSION_STARTED,
                {
                    "session_id": session.session_id,
                    "started": session.started.isoformat(),
                    "owned": outcome.owned,
                    # Follow-me: the music came from another room (a device trigger of its own).
                    "moved": moved_from is not None,
                    **({"moved_from": moved_from} if moved_from is not None else {}),
                    # Join: this room's player joined that room's player group.
                    "joined": joined_from is not None,
                    **({"joined_from": joined_from} if joined_from is not None else {}),
                },
            )
        self._apply(decisions)

    def _start_failed(self, decision: StartPlayback, err: SpeakerError) -> None:
        _LOGGER.warning("%s: could not start Spotify: %s", self.name, err.translation_key)
        if err.auth:
            self.host.start_reauth()
        if err.missing:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                speaker_issue_id(self.subentry_id),
                is_fixable=False,
                # Kept across restarts, like the room's stored error status it explains.
                is_persistent=True,
                severity=ir.IssueSeverity.WARNING,
                translation_key="speaker_missing",
                translation_placeholders={
                    "room": self.name,
                    "speaker": speaker_name(self.subentry.data),
                },
            )
        decisions = self.engine.playback_failed(
            dt_util.utcnow(), decision.session_id, err.translation_key
        )
        self._fire(
            EVENT_PLAYBACK_FAILED,
            {"session_id": decision.session_id, "error": err.translation_key},
        )
        self._apply(decisions)

    async def _async_end(self, decision: EndPlayback) -> Outcome:
        record, late = decision.record, decision.late
        fade = self._fader.take(record.session_id)
        failure: SpeakerError | None = None
        read: NowPlaying | None = None
        left_group = False
        # A moved session plays on in another room: no pause (its fade's volume still goes back).
        ours_here = record.owned and record.reason is not EndReason.MOVED
        player = record.device_id
        if ours_here and player is not None and (others := self._rooms_grouped_with(player)):
            # Grouped with a room still in session: leave the group, the music plays on there.
            left_group = True
            _LOGGER.info("%s: leaving the group; %s plays on", self.name, ", ".join(others))
            try:
                await async_leave(self.hass, player)
            except SpeakerError as err:
                _LOGGER.warning("%s: could not leave the group: %s", self.name, err)
                failure = err
        elif ours_here:
            speaker = speaker_for_target(
                self.hass, self.host.client, self.subentry.data, record.device_id
            )
            try:
                outcome = await speaker.async_end(record)
            except SpeakerError as err:
                _LOGGER.warning("%s: could not pause: %s", self.name, err.translation_key)
                failure = err
                self._watch_if_player(speaker, record)
            else:
                read = outcome.playing
                if not outcome.paused and self._announcing(speaker):
                    # An announcement sounds over our music: nobody took it over. What plays
                    # once it hands back is ours, and is paused then.
                    _LOGGER.debug("%s: an announcement plays; pausing after it", self.name)
                    self._watch_if_player(speaker, record, announcing=True)
                elif not outcome.paused:
                    record = replace(record, reason=EndReason.RELEASED)
                    self._watch_if_player(speaker, record)
                elif (playing := outcome.playing) is not None and not late:
                    self.engine.position_saved(
                        record.session_id,
                        item_uri=playing.item_uri,
                        position_ms=playing.position_ms,
                    )
        if fade is not None:
            await self._fader.async_restore(fade)
        elif decision.fade_from is not None:
            await self._async_restore_written_fade(record.device_id, decision.fade_from, read)
        if late:
            return failure  # already recorded and announced when it ended during its start
        self._ending.pop(record.session_id, None)
        self.host.add_record(self.subentry_id, record)
        self._fire(
            EVENT_SESSION_ENDED,
            {
                "session_id": record.session_id,
                "started": record.started.isoformat(),
                "ended": record.ended.isoformat(),
                "duration": round(record.duration.total_seconds()),
                "motion_count": record.motion_count,
                "owned": record.owned,
                "reason": str(record.reason),
                **({"moved_to": record.moved_to} if record.moved_to is not None else {}),
                "left_group": left_group,
            },
        )
        self.host.schedule_save()  # the resume point the end's read completed
        self.notify()
        return failure

    @callback
    def _fire(self, event_type: str, data: dict[str, Any]) -> None:
        # "room" names the room; "sensor" is the same, kept for automations written before.
        payload = {"device_id": self.device_id, "room": self.name, "sensor": self.name, **data}
        self.hass.bus.async_fire(f"{DOMAIN}_{event_type}", payload)
        for listener in tuple(self._event_listeners):
            listener(event_type, payload)

    # ---- timers and listeners -----------------------------------------------------------------

    def _announcing(self, speaker: Speaker) -> bool:
        """Whether the speaker's HA player sounds an announcement right now (no I/O)."""
        entity_id = speaker.player_entity
        return entity_id is not None and player_announcing(self.hass, entity_id)

    def _watch_if_player(
        self, speaker: Speaker, record: SessionRecord, *, announcing: bool = False
    ) -> None:
        """A player we could not pause (gone, not playing yet, or announcing): watch it a while.

        A Spotify Connect room is watched only through its wake entity, during an announcement.
        """
        if (
            (speaker.kind is SpeakerKind.MEDIA_PLAYER or announcing)
            and speaker.player_entity is not None
            and not self._removed
            and not self.host.unloaded
        ):
            self._watch.watch(speaker, record)

    def _room_empty(self) -> bool:
        """Nobody here and no session: music of ours playing now would play to nobody."""
        return self.engine.session is None and not self._present

    def _subscribe(self) -> None:
        entities = list(self.subentry.data.get(CONF_MOTION_ENTITIES, []))
        if entities:
            self._unsubs.append(
                async_track_state_change_event(self.hass, entities, self._on_state_change)
            )
        approach = [
            entity_id
            for entity_id in self.subentry.data.get(CONF_APPROACH_ENTITIES) or []
            if entity_id not in entities
        ]
        if approach:
            self._unsubs.append(
                async_track_state_change_event(self.hass, approach, self._on_approach)
            )

    @callback
    def _on_approach(self, event: Event[EventStateChangedData]) -> None:
        """Someone is coming: read the playback now, so motion here sends only the play."""
        old, new = event.data["old_state"], event.data["new_state"]
        if old is None or new is None or old.state != STATE_OFF or new.state != STATE_ON:
            return  # only off → on; a reconnect (unavailable → on) is nobody coming
        self.prepare()

    @property
    def follows_music(self) -> bool:
        """Whether this room takes over or joins another room's music (follow mode)."""
        return self.engine.options.follow_me

    @callback
    def prepare(self, playback: PlaybackRead | None = None) -> PlaybackRead | None:
        """Someone may walk in soon (an approach, or leaving a neighbour): read ahead.

        `playback`: the account's playback read another room started just now (one read
        serves every room of the account). Returns the read this room waits on, to share.
        """
        if self._removed or self.host.unloaded:
            return None
        if not self.engine.wants_preparation(dt_util.utcnow()):
            return None
        speaker = self.speaker()
        if speaker.kind is not SpeakerKind.SPOTIFY:
            return None  # a media player room's read is its player's state: nothing to save
        if self._preparing is not None and not self._preparing.done():
            return None
        if playback is None:
            playback = self.hass.async_create_task(
                speaker.async_now_playing(), f"{DOMAIN} {self.subentry_id} read", eager_start=True
            )
        self._preparing = self.hass.async_create_task(
            self._async_prepare(speaker, playback),
            f"{DOMAIN} {self.subentry_id} approach",
            eager_start=True,
        )
        return playback

    async def _async_prepare(self, speaker: Speaker, playback: PlaybackRead) -> Prepared | None:
        """The approach's read (one request); a failure costs nothing but that request.

        A speaker with a wake entity is also made sure of: listed in Spotify's devices, or
        woken now (so the start does not wait for the wake); a new id it turns up with is saved.
        """
        target_id = speaker.target_id
        try:
            playing = await playback
            if isinstance(speaker, SpotifyConnectSpeaker) and (
                playing is None or playing.target_id != target_id
            ):
                found = await speaker.async_wake_ahead()
                if found is not None and found.target_id != target_id and not self._removed:
                    self.host.update_speaker(self.subentry, found.target_id, found.name)
                    target_id = found.target_id
        except SpeakerError as err:
            _LOGGER.debug("%s: the approach's read failed: %s", self.name, err.translation_key)
            return None
        return Prepared(target_id, playing, dt_util.utcnow())

    async def _async_prepared_reading(self, speaker: Speaker) -> Reading | None:
        """A fresh approach read for this speaker (awaited if still under way), used once."""
        task, self._preparing = self._preparing, None
        if task is None:
            return None
        prepared = await task
        if (
            prepared is None
            or prepared.target_id != speaker.target_id
            or not self.engine.options.reading_fresh(prepared.read_at, dt_util.utcnow())
        ):
            return None
        return Reading(prepared.playing)

    def _unsubscribe(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()

    def _any_on(self) -> bool:
        return any(
            (state := self.hass.states.get(entity_id)) is not None and state.state == STATE_ON
            for entity_id in self.subentry.data.get(CONF_MOTION_ENTITIES, [])
        )

    def _reschedule(self) -> None:
        when = self.engine.next_wakeup(dt_util.utcnow())
        # A timer already set at or before that moment is kept: when it fires, tick() carries
        # out what is due and sets the next one. Flapping motion (a deadline, none, a later
        # deadline) so re-arms no timer at all.
        if (
            self._unsub_timer is None
            or when is None
            or self._timer_at is None
            or self._timer_at > when
        ):
            self._cancel_timer()
            self._timer_at = when
            if when is not None:
                self._unsub_timer = async_track_point_in_utc_time(self.hass, self._on_timer, when)
        if self.engine.session is not None:
            if self._unsub_ticker is None:
                self._unsub_ticker = async_track_time_interval(
                    self.hass, self._on_minute, LISTENING_REFRESH
                )
        else:
            self._cancel_ticker()

    @callback
    def _on_minute(self, now: datetime) -> None:
        self.notify()

    def _cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None

    def _cancel_ticker(self) -> None:
        if self._unsub_ticker is not None:
            self._unsub_ticker()
            self._unsub_ticker = None

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` whenever anything an entity shows may have changed."""
        self._lookup_device_id()  # an entity was just added: its device exists now
        self._apply_pending_area()
        self._listeners.add(listener)
        return lambda: self._listeners.discard(listener)

    @callback
    def async_add_event_listener(
        self, listener: Callable[[str, dict[str, Any]], None]
    ) -> CALLBACK_TYPE:
        """Call `listener(event_type, data)` for session_started/ended and playback_failed."""
        self._event_listeners.add(listener)
        return lambda: self._event_listeners.discard(listener)

    @callback
    def notify(self) -> None:
        """Tell the entities to write their state."""
        for listener in tuple(self._listeners):
            listener()

    def _options(self, subentry: ConfigSubentry) -> RoomOptions:
        return RoomOptions.from_data(subentry.data, dt_util.get_default_time_zone())

    def source(self) -> tuple[str, str | None] | None:
        """The room's source and its saved name (None: it resumes what played last).

        A time window's own source while it applies (for an open session: the one that
        applied when it started, since a session keeps its music across a window's edge).
        """
        session = self.engine.session
        when = session.started if session is not None else dt_util.utcnow()
        window = self.engine.options.window_at(when)
        if window is not None and window.source is not None:
            return window.source, window.source_name
        source = self.subentry.data.get(CONF_SOURCE)
        if not isinstance(source, str) or not source:
            return None
        name = self.subentry.data.get(CONF_SOURCE_NAME)
        return source, name if isinstance(name, str) and name else None

    def window_name(self) -> str:
        """The time window that applies now, by name (NO_WINDOW outside every window)."""
        window = self.engine.options.window_at(dt_util.utcnow())
        return window.name if window is not None else NO_WINDOW

    def window_names(self) -> list[str]:
        """The room's time windows, by name (the quiet window included)."""
        return list(dict.fromkeys(window.name for window in self.engine.options.windows))

    def source_title(self) -> str | None:
        """What the room plays, by name ("Peaceful Piano (playlist)"); None: what played last."""
        return None if (source := self.source()) is None else source_title(*source)

    def speaker_label(self) -> str:
        """Where the room plays, by name: the Spotify speaker's, or the media player's."""
        entity_id = self.subentry.data.get(CONF_MEDIA_PLAYER_ENTITY)
        if isinstance(entity_id, str) and (state := self.hass.states.get(entity_id)) is not None:
            return str(state.name)
        return speaker_name(self.subentry.data)

    def records(self) -> list[SessionRecord]:
        """The room's ended sessions, oldest end first."""
        return self.host.records_for(self.subentry_id)

    def diagnostics(self) -> dict[str, Any]:
        """Options, status and open session of this room (nothing secret)."""
        session = self.engine.session
        return {
            "name": self.name,
            "options": dict(self.subentry.data),
            "status": str(self.status()),
            "state": self.engine.state.to_dict(),
            "open_session": session is not None,
            "records": len(self.records()),
        }


def _moving_record(session: Session, now: datetime) -> SessionRecord:
    """The other room's session as it ends by moving (what pausing its speaker compares)."""
    return SessionRecord(
        session_id=session.session_id,
        started=session.started,
        ended=now,
        motion_count=session.motion_count,
        owned=True,
        reason=EndReason.MOVED,
        device_id=session.device_id,
        context_uri=session.context_uri,
    )


def _plays(playing: NowPlaying | None, session: Session | None) -> bool:
    """Whether `playing` is `session`'s music, still on its speaker (owned sessions only)."""
    return session is not None and is_ours(playing, session)


type PlaybackRead = asyncio.Task[NowPlaying | None]
"""The account's playback, being read ahead (rooms of one account may share it)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """An approach's playback read: which speaker, what played, when."""

    target_id: str
    playing: NowPlaying | None
    read_at: datetime


class WriteAhead:
    """The store write a start waits for before its first request that changes anything.

    Started at once, so it runs alongside the start's read; `wait` is cheap once written.
    """

    def __init__(self, spawn_write: Callable[[], asyncio.Task[None]]) -> None:
        self._spawn_write = spawn_write
        self._task = spawn_write()

    async def wait(self) -> None:
        """Until the session is on disk."""
        await asyncio.shield(self._task)

    async def rewrite(self) -> None:
        """Write again now (the session changed: a follow-me move's speaker and source)."""
        await self.wait()
        self._task = self._spawn_write()
        await self.wait()
