"""The Spotify Connect speaker: a device in the account's device list, driven over the Web API.

Request budget of a start (only_when_idle on): the playback read, then only what differs from
it: volume and shuffle are sent only when the read shows the speaker active with other values
(concurrently when both are needed), then play. A speaker that is not the active device takes
volume/shuffle only once play has woken it: play first, then both concurrently. Common cases:
speaker active at the wanted volume and shuffle: 2 requests (read, play); speaker idle, not the
active device, no volume set: 3 (read, play, shuffle). End: read, then pause only if still ours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging
from typing import Any, ClassVar

from .parsing import position_ms, volume_percent
from .records import Session, SessionRecord
from .speaker import (
    BeforePlay,
    EndOutcome,
    FoundSpeaker,
    NowPlaying,
    PlayRequest,
    Reading,
    SpeakerError,
    SpeakerKind,
    StartOutcome,
    is_ours,
)
from .spotify_api import (
    PlaybackState,
    SpotifyApiError,
    SpotifyAuthError,
    SpotifyClient,
    SpotifyConnectionError,
    SpotifyDevice,
    SpotifyNotFoundError,
)
from .spotify_uri import is_context

_LOGGER = logging.getLogger(__name__)

# Waking a sleeping speaker (wake_entity): poll the device list at most 3 times, 10 s in all.
WAKE_POLL_DELAYS: tuple[float, ...] = (2.0, 3.0, 5.0)
# A play whose answer was lost is verified by a read; only a read that proves it did not act
# allows one more play (a blind replay would restart the playlist).
MAX_PLAY_ATTEMPTS = 2


def speaker_error(err: SpotifyApiError) -> SpeakerError:
    """The SpeakerError for a client error (same translation key)."""
    return SpeakerError(
        err.translation_key,
        missing=isinstance(err, SpotifyNotFoundError),
        auth=isinstance(err, SpotifyAuthError),
    )


class SpotifyConnectSpeaker:
    """A room's Spotify Connect device (found again by name when Spotify renumbers it)."""

    kind: ClassVar[SpeakerKind] = SpeakerKind.SPOTIFY
    supports_transfer: ClassVar[bool] = True

    def __init__(
        self,
        client: SpotifyClient,
        device_id: str,
        device_name: str | None,
        *,
        wake: Callable[[], Awaitable[None]] | None = None,
        player_entity: str | None = None,
    ) -> None:
        self._client = client
        self._device_id = device_id
        self._device_name = device_name
        self._wake = wake
        self._player_entity = player_entity

    @property
    def target_id(self) -> str:
        """The Spotify device id sessions record."""
        return self._device_id

    @property
    def player_entity(self) -> str | None:
        """The room's wake entity: the HA player of the same speaker, where announcements show."""
        return self._player_entity

    # ---- the interface -------------------------------------------------------------------------

    async def async_start(
        self,
        request: PlayRequest,
        *,
        reading: Reading | None = None,
        before_play: BeforePlay | None = None,
    ) -> StartOutcome:
        """Start the request, or observe when the account already plays (check_idle)."""
        sent = self._client.requests_sent
        try:
            outcome = await self._start(request, reading, before_play)
        except SpotifyApiError as err:
            raise speaker_error(err) from err
        return _with_requests(outcome, self._client.requests_sent - sent)

    def context_for(self, request: PlayRequest) -> str | None:
        """The context the start plays (None for a single track or a plain resume)."""
        return _context_of(request)

    async def async_still_ours(self, record: SessionRecord | Session) -> bool:
        """One read: our context still plays on this session's speaker."""
        return is_ours(await self.async_now_playing(), record)

    async def async_now_playing(self) -> NowPlaying | None:
        """One playback read."""
        try:
            return _now_playing(await self._client.playback())
        except SpotifyApiError as err:
            raise speaker_error(err) from err

    async def async_end(
        self, record: SessionRecord, *, known: NowPlaying | None = None
    ) -> EndOutcome:
        """Pause if what plays is still ours; otherwise the user took over (released)."""
        playing = known if known is not None else await self.async_now_playing()
        if not is_ours(playing, record):
            return EndOutcome(paused=False, playing=playing)
        try:
            await self._client.pause(record.device_id)
        except SpotifyApiError as err:
            raise speaker_error(err) from err
        return EndOutcome(paused=True, playing=playing)

    async def async_set_volume(self, percent: int) -> None:
        """PUT /me/player/volume on this speaker."""
        try:
            await self._client.set_volume(percent, self._device_id)
        except SpotifyApiError as err:
            raise speaker_error(err) from err

    async def async_transfer(self, request: PlayRequest) -> StartOutcome:
        """PUT /me/player to this speaker, playing; then the request's volume (best effort).

        The moved session's context comes from ``request.resume`` (the caller knows it).
        """
        sent = self._client.requests_sent
        try:
            target, found = await self._transfer(self._device_id)
        except SpotifyApiError as err:
            raise speaker_error(err) from err
        if request.volume is not None:
            await self._best_effort(self._client.set_volume(request.volume, target), "volume")
        context = request.resume.context_uri if request.resume is not None else None
        return StartOutcome(
            owned=True,
            target_id=target,
            context_uri=context,
            found=found,
            requests=self._client.requests_sent - sent,
        )

    async def _transfer(self, device_id: str) -> tuple[str, FoundSpeaker | None]:
        """PUT /me/player; the speaker found again by name after a 404; a lost answer read once.

        Returns the device the music moved to and, when it had a new id, the device found.
        """
        try:
            await self._send_transfer(device_id)
        except SpotifyNotFoundError:
            found = await self._find_speaker()
            if found is None or found.device_id is None or found.device_id == device_id:
                raise
            await self._send_transfer(found.device_id)
            return found.device_id, FoundSpeaker(found.device_id, found.name)
        return device_id, None

    async def _send_transfer(self, device_id: str) -> None:
        """A transfer whose answer was lost (5xx, timeout) worked if the music now plays there.

        Unknown (the read fails too) or still elsewhere: the error stands, and the room the
        music came from keeps its session (and pauses it at its end, if still its own).
        """
        try:
            await self._client.transfer_playback(device_id, play=True)
        except SpotifyConnectionError:
            try:
                state = await self._client.playback()
            except SpotifyApiError:
                state = None
            if (
                state is not None
                and state.is_playing
                and state.device is not None
                and state.device.device_id == device_id
            ):
                _LOGGER.info("Speaker %s: the move worked although its answer was lost", device_id)
                return
            raise

    # ---- starting ------------------------------------------------------------------------------

    async def _start(
        self, request: PlayRequest, reading: Reading | None, before_play: BeforePlay | None
    ) -> StartOutcome:
        state: NowPlaying | None = None
        if reading is not None:
            state = reading.playing
        elif request.check_idle:
            state = _now_playing(await self._client.playback())
        if request.check_idle and state is not None and state.is_playing:
            return StartOutcome(
                owned=False, target_id=state.target_id, context_uri=state.context_uri
            )
        if before_play is not None:
            await before_play()
        context = _context_of(request)
        try:
            adopted = await self._play(request, self._device_id, state)
        except SpotifyNotFoundError:
            found = await self._find_speaker()
            if found is None and self._wake is not None:
                found = await self._wake_speaker()
            if found is None or found.device_id is None:
                raise
            adopted = await self._play(request, found.device_id, None)
            moved = found.device_id != self._device_id
            return StartOutcome(
                owned=True,
                target_id=found.device_id,
                context_uri=context,
                found=FoundSpeaker(found.device_id, found.name) if moved else None,
                adopted=adopted,
            )
        return StartOutcome(
            owned=True, target_id=self._device_id, context_uri=context, adopted=adopted
        )

    async def _play(self, request: PlayRequest, device_id: str, state: NowPlaying | None) -> bool:
        """Play with volume and shuffle around it; True when a lost answer was adopted.

        They go first (only those that differ) when the speaker is Spotify's active device, so
        there is no loud first second; an inactive speaker only accepts them once play woke it.
        """
        active = state is not None and state.target_id == device_id
        settings = self._settings(request, device_id, state if active else None)
        if active:
            await _together(settings)
            return await self._send_play(request, device_id)
        adopted = await self._send_play(request, device_id)
        await _together(settings)
        return adopted

    def _settings(
        self, request: PlayRequest, device_id: str, known: NowPlaying | None
    ) -> list[Callable[[], Awaitable[None]]]:
        """Volume and shuffle calls still needed; `known` is the active speaker's read."""
        client = self._client
        calls: list[Callable[[], Awaitable[None]]] = []
        volume = request.volume
        if volume is not None and (known is None or known.volume != volume):
            calls.append(lambda: self._best_effort(client.set_volume(volume, device_id), "volume"))
        # Shuffle matters only for what we choose; "resume" keeps the listener's own setting.
        shuffle = request.shuffle
        if request.source is not None and (known is None or known.shuffle != shuffle):
            calls.append(
                lambda: self._best_effort(client.set_shuffle(shuffle, device_id), "shuffle")
            )
        return calls

    async def _best_effort(self, call: Awaitable[None], what: str) -> None:
        """A speaker may refuse volume/shuffle (fixed volume: 403; still waking: 404).

        A refusal must neither stop the music from starting nor, once it plays, turn the start
        into a failure: that would leave music playing that no session owns and pauses.
        """
        try:
            await call
        except SpotifyApiError as err:
            _LOGGER.warning("Speaker %s refused %s: %s", self._device_id, what, err.translation_key)

    async def _send_play(self, request: PlayRequest, device_id: str) -> bool:
        """PUT /me/player/play; True when its answer was lost but a read shows it worked."""
        kwargs = _play_arguments(request)
        for attempt in range(1, MAX_PLAY_ATTEMPTS + 1):
            try:
                await self._client.start_playback(device_id, **kwargs)
            except SpotifyConnectionError as err:
                if not err.may_have_acted:
                    raise
                # Spotify may have carried it out (a 502 after acting, a late answer): look.
                ours = await self._plays_ours(request, device_id)
                if ours:
                    _LOGGER.info(
                        "Speaker %s: the play worked although its answer was lost", device_id
                    )
                    return True
                if ours is None or attempt == MAX_PLAY_ATTEMPTS:
                    raise  # unknown (the read failed): a replay could restart the playlist
                continue
            return False
        raise AssertionError("unreachable")  # pragma: no cover

    async def _plays_ours(self, request: PlayRequest, device_id: str) -> bool | None:
        """Read once (the client waits out a rate limit): does our source play on our speaker.

        None when the read itself fails: nobody knows, so nothing may be replayed.
        """
        try:
            state = await self._client.playback()
        except SpotifyApiError:
            return None
        if state is None or not state.is_playing or state.device is None:
            return False
        if state.device.device_id != device_id:
            return False
        context = _context_of(request)
        if context is not None:
            return state.context_uri == context
        wanted = request.resume.item_uri if request.resume is not None else request.source
        return wanted is None or state.item_uri == wanted

    # ---- finding the speaker again -------------------------------------------------------------

    async def async_wake_ahead(self) -> FoundSpeaker | None:
        """Someone is coming: make sure the speaker is in Spotify's list (waking it if not).

        Only for a speaker with a wake entity. Returns where it is listed now (its id may be
        new), or None when it could not be found. One device-list read when it is listed.
        """
        if self._wake is None:
            return None
        try:
            found = await self._find_speaker()
            if found is None:
                found = await self._wake_speaker()
        except SpotifyApiError as err:
            raise speaker_error(err) from err
        if found is None or found.device_id is None:
            return None
        return FoundSpeaker(found.device_id, found.name)

    async def _find_speaker(self) -> SpotifyDevice | None:
        return _match(await self._client.devices(), self._device_id, self._device_name)

    async def _wake_speaker(self) -> SpotifyDevice | None:
        """Turn the wake entity on, then poll the device list (at most 3 times, 10 s in all)."""
        assert self._wake is not None
        _LOGGER.info("Speaker %s is not in Spotify's list; waking it", self._device_name)
        await self._wake()
        for delay in WAKE_POLL_DELAYS:
            await self._client.sleep(delay)
            if (found := await self._find_speaker()) is not None:
                return found
        return None


def _match(devices: list[SpotifyDevice], device_id: str, name: str | None) -> SpotifyDevice | None:
    for device in devices:
        if device.device_id == device_id:
            return device
    wanted = (name or "").casefold()
    for device in devices:
        if wanted and device.name.casefold() == wanted:
            return device
    return None


async def _together(calls: list[Callable[[], Awaitable[None]]]) -> None:
    """Send independent calls at once (each catches its own refusal)."""
    if len(calls) == 1:
        await calls[0]()
    elif calls:
        await asyncio.gather(*(call() for call in calls))


def _with_requests(outcome: StartOutcome, requests: int) -> StartOutcome:
    return StartOutcome(
        owned=outcome.owned,
        target_id=outcome.target_id,
        context_uri=outcome.context_uri,
        found=outcome.found,
        adopted=outcome.adopted,
        requests=requests,
    )


def _play_arguments(request: PlayRequest) -> dict[str, Any]:
    """start_playback's keywords: the source, or a resume point inside it."""
    resume = request.resume
    source = request.source
    kwargs: dict[str, Any] = {}
    context = _context_of(request)
    if context is not None:
        kwargs["context_uri"] = context
        if resume is not None and resume.item_uri is not None:
            kwargs["offset"] = resume.item_uri
    elif resume is not None and resume.item_uri is not None:
        kwargs["uris"] = [resume.item_uri]
    elif source is not None:
        kwargs["uris"] = [source]
    if resume is not None and resume.position_ms > 0 and kwargs:
        kwargs["position_ms"] = resume.position_ms
    return kwargs


def _context_of(request: PlayRequest) -> str | None:
    if request.resume is not None and request.resume.context_uri is not None:
        return request.resume.context_uri
    source = request.source
    return source if source is not None and is_context(source) else None


def _now_playing(state: PlaybackState | None) -> NowPlaying | None:
    if state is None:
        return None
    device = state.device
    return NowPlaying(
        is_playing=state.is_playing,
        target_id=device.device_id if device is not None else None,
        context_uri=state.context_uri,
        item_uri=state.item_uri,
        # Checked at the door with the loader's limits: what is kept can be read back.
        position_ms=position_ms(state.progress_ms),
        volume=volume_percent(device.volume_percent) if device is not None else None,
        shuffle=state.shuffle,
    )
