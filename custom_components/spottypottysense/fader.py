"""One room's fade-outs: the read, the volume steps on HA timers, and the restore.

The engine decides when a fade begins, ends or is abandoned (`FadeOut`, `CancelFade`); this
carries it out on the room's speaker. Requests: one read (is it still ours, and at which volume),
up to `fade.FADE_STEPS` volume steps, and one restore after the end's pause or at once when the
fade is abandoned. Steps and the restore run one after the other, never crossing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
import logging
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .fade import fade_steps
from .records import Session
from .speaker import Speaker, SpeakerError, is_ours

_LOGGER = logging.getLogger(__name__)

type Spawn = Callable[[Coroutine[Any, Any, None], str], object]
type WriteAhead = Callable[[str, int], Awaitable[None]]
"""Keeps a session's volume before its fade on disk, before the first step lowers it."""


@dataclass(slots=True)
class FadeRun:
    """One fade: its speaker, the volume to put back, and its pending steps."""

    session_id: str
    speaker: Speaker
    volume: int | None = None  # the speaker's volume before the fade (None: nothing to restore)
    lowered: bool = False
    cancelled: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    unsubs: list[CALLBACK_TYPE] = field(default_factory=list)


class Fader:
    """Carries out a room's fades; at most one runs at a time (a room has one session)."""

    def __init__(self, hass: HomeAssistant, spawn: Spawn, write_ahead: WriteAhead) -> None:
        self._hass = hass
        self._spawn = spawn
        self._write_ahead = write_ahead
        self._run: FadeRun | None = None

    @callback
    def start(self, session: Session, speaker: Speaker, ends_at: datetime) -> None:
        """Begin fading `session` out; the end's pause comes from the engine at `ends_at`."""
        self.stop()
        run = FadeRun(session.session_id, speaker)
        self._run = run
        self._spawn(self._async_begin(run, session, ends_at), "fade")

    @callback
    def take(self, session_id: str) -> FadeRun | None:
        """Stop the steps of `session_id`'s fade and hand it over (to restore its volume)."""
        run = self._run
        if run is None or run.session_id != session_id:
            return None
        self.stop()
        return run

    @callback
    def abandon(self, session_id: str) -> bool:
        """Motion is back: no more steps, and the volume back at once; False if none ran here."""
        if (run := self.take(session_id)) is None:
            return False
        self._spawn(self.async_restore(run), "fade restore")
        return True

    @callback
    def stop(self) -> None:
        """Cancel the running fade's pending steps (unload, or another fade starting)."""
        run, self._run = self._run, None
        if run is not None:
            run.cancelled = True
            for unsub in run.unsubs:
                unsub()
            run.unsubs.clear()

    async def async_restore(self, run: FadeRun) -> None:
        """Put the speaker's volume back if a step lowered it (after any step under way)."""
        async with run.lock:
            if not run.lowered or run.volume is None:
                return
            run.lowered = False
            try:
                await run.speaker.async_set_volume(run.volume)
            except SpeakerError as err:
                _LOGGER.warning("Could not restore the volume after a fade: %s", err)

    async def _async_begin(self, run: FadeRun, session: Session, ends_at: datetime) -> None:
        try:
            playing = await run.speaker.async_now_playing()
        except SpeakerError as err:
            _LOGGER.warning("Could not read the playback to fade out: %s", err)
            return
        if run.cancelled or playing is None or not is_ours(playing, session) or not playing.volume:
            return  # taken over, gone or silent: the end just pauses (or releases)
        run.volume = playing.volume
        await self._write_ahead(session.session_id, playing.volume)
        if self._run is not run:  # taken or stopped while the volume was being written
            return
        for index, (when, level) in enumerate(
            fade_steps(playing.volume, dt_util.utcnow(), ends_at)
        ):
            if index == 0:
                await self._async_step(run, level)
                continue
            run.unsubs.append(
                async_track_point_in_utc_time(self._hass, self._step_later(run, level), when)
            )

    def _step_later(self, run: FadeRun, level: int) -> Callable[[datetime], None]:
        @callback
        def _due(now: datetime) -> None:
            self._spawn(self._async_step(run, level), "fade step")

        return _due

    async def _async_step(self, run: FadeRun, level: int) -> None:
        async with run.lock:
            if run.cancelled:
                return
            try:
                await run.speaker.async_set_volume(level)
            except SpeakerError as err:
                # A fixed-volume speaker: stop fading (the end still pauses, on time).
                _LOGGER.warning("Speaker refused a fade step: %s", err)
                run.cancelled = True
                return
            run.lowered = True
