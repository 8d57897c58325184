"""After a session on a media player ended without a pause, watch that player for a while.

Another integration's player may be unavailable at the session's end and come back playing our
source, may not have reached *playing* yet (buffering, idle, on) when the end looked, or may be
sounding an announcement over our music (which it resumes afterwards). Either way the end could
not pause it. For `WATCH_WINDOW` after such an end, the player's state is followed: once it
plays something other than an announcement while the room is still empty, what plays is
paused if it is ours; an announcement is waited out; anything else ends the watch.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
import logging
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_state_change_event

from .records import SessionRecord
from .speaker import Speaker, SpeakerError
from .speaker_media_player import player_announcing

_LOGGER = logging.getLogger(__name__)

WATCH_WINDOW: Final = timedelta(minutes=10)

type Spawn = Callable[[Coroutine[Any, Any, None], str], object]


class PlayerWatch:
    """One room's watch over the media player its last session could not pause."""

    def __init__(self, hass: HomeAssistant, spawn: Spawn, room_empty: Callable[[], bool]) -> None:
        self._hass = hass
        self._spawn = spawn
        self._room_empty = room_empty
        self._unsub_state: CALLBACK_TYPE | None = None
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._checking = False  # a pause check is under way
        self._generation = 0  # which watch a finishing check belongs to

    @property
    def watching(self) -> bool:
        """Whether a player is being watched now."""
        return self._unsub_state is not None

    @callback
    def watch(self, speaker: Speaker, record: SessionRecord) -> None:
        """Follow `speaker`'s HA player for WATCH_WINDOW; pause it if it plays `record`'s."""
        self.stop()
        generation = self._generation

        @callback
        def _changed(event: Event[EventStateChangedData]) -> None:
            new = event.data["new_state"]
            if new is None or new.state != "playing" or not self._room_empty():
                return
            if self._checking or player_announcing(self._hass, new.entity_id):
                return  # one check at a time; an announcement is waited out
            self._checking = True
            self._spawn(self._async_pause(speaker, record, generation), "late pause")

        @callback
        def _expired(_now: datetime) -> None:
            self._unsub_timer = None
            self.stop()

        entity_id = speaker.player_entity
        if entity_id is None:
            return
        self._unsub_state = async_track_state_change_event(self._hass, [entity_id], _changed)
        self._unsub_timer = async_call_later(self._hass, WATCH_WINDOW, _expired)

    @callback
    def stop(self) -> None:
        """Stop watching (a new session starts, the room goes, the entry unloads)."""
        for unsub in (self._unsub_state, self._unsub_timer):
            if unsub is not None:
                unsub()
        self._unsub_state = self._unsub_timer = None
        self._checking = False
        self._generation += 1

    async def _async_pause(self, speaker: Speaker, record: SessionRecord, generation: int) -> None:
        """Pause once, only if what plays is still ours (the end's own check); then stop."""
        try:
            outcome = await speaker.async_end(record)
        except SpeakerError as err:
            _LOGGER.warning("%s came back but could not be paused: %s", speaker.target_id, err)
            outcome = None
        if generation == self._generation:  # still this watch (no new session since)
            self.stop()
        if outcome is None:
            return
        if outcome.paused:
            _LOGGER.info(
                "%s came back playing our music in an empty room: paused", speaker.target_id
            )
