"""The HA media player speaker: Sonos, Cast, Music Assistant, core's Spotify player...

Every command is a blocking ``media_player`` service call with a timeout, so a player that
hangs never holds a session, and whatever the player's integration raises (any exception, or a
cancellation of its own) becomes a `SpeakerError` here, at our border. Start: at most 3 calls
(volume when supported and different, play_media/media_play, shuffle when supported and
different); a play that fails or times out is checked against the player's state, since it may
have started all the same. End: at most 1 (pause, or stop when the player cannot pause), only
while the player still plays what we started.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import logging
from typing import Any, ClassVar, Final

from homeassistant.components.media_player.const import (
    ATTR_MEDIA_CONTENT_ID,
    ATTR_MEDIA_CONTENT_TYPE,
    ATTR_MEDIA_POSITION,
    ATTR_MEDIA_SHUFFLE,
    ATTR_MEDIA_VOLUME_LEVEL,
    DOMAIN as MEDIA_PLAYER_DOMAIN,
    MediaPlayerEntityFeature,
    MediaPlayerState,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_SUPPORTED_FEATURES,
    SERVICE_MEDIA_PAUSE,
    SERVICE_MEDIA_PLAY,
    SERVICE_MEDIA_STOP,
    SERVICE_SHUFFLE_SET,
    SERVICE_TURN_ON,
    SERVICE_VOLUME_SET,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import entity_sources

from .announcement import is_announcement
from .parsing import position_ms, volume_percent
from .records import Session, SessionRecord
from .speaker import (
    BeforePlay,
    EndOutcome,
    NowPlaying,
    PlayRequest,
    Reading,
    SpeakerError,
    SpeakerKind,
    StartOutcome,
    is_ours,
)
from .spotify_api import SpotifyApiError, SpotifyClient
from .spotify_uri import is_context

_LOGGER = logging.getLogger(__name__)

SERVICE_TIMEOUT: Final = 15.0  # seconds per service call
SERVICE_PLAY_MEDIA: Final = "play_media"
PLAYER_UNAVAILABLE: Final = "player_unavailable"
_OFF_STATES: Final = frozenset({MediaPlayerState.OFF, "standby"})  # STANDBY is deprecated


def content_type(uri: str) -> str:
    """play_media's media_content_type for a Spotify URI: its kind (liked songs: playlist)."""
    parts = uri.split(":")
    if len(parts) == 3:
        return parts[1]
    return "playlist"


def supported_features(state: State) -> MediaPlayerEntityFeature:
    """The player's feature flags (0 when it announces none, or reports something unreadable)."""
    try:
        return MediaPlayerEntityFeature(int(state.attributes.get(ATTR_SUPPORTED_FEATURES) or 0))
    except TypeError, ValueError, OverflowError:
        return MediaPlayerEntityFeature(0)


def player_integration(hass: HomeAssistant, entity_id: str) -> str | None:
    """The integration a player belongs to: its registry platform, else the entity's source.

    An entity without a unique id has no registry entry; HA still knows who added it.
    """
    if (entry := er.async_get(hass).async_get(entity_id)) is not None:
        return entry.platform
    source = entity_sources(hass).get(entity_id)
    return source["domain"] if source is not None else None


class PlayerCancelledError(RuntimeError):
    """The player's own handler was cancelled (not our task): a failure like any other."""


async def async_call(
    hass: HomeAssistant,
    service: str,
    data: Mapping[str, Any],
    *,
    domain: str = MEDIA_PLAYER_DOMAIN,
) -> None:
    """One blocking player service call, bounded; any failure is player_unavailable.

    Another integration's handler may raise anything, hang, or be cancelled by its own code:
    each ends here as a SpeakerError. Only a cancellation of our own task goes on up.
    """
    try:
        async with asyncio.timeout(SERVICE_TIMEOUT):
            try:
                await hass.services.async_call(domain, service, dict(data), blocking=True)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # ours (an unload, or the time limit above)
                raise PlayerCancelledError(f"{domain}.{service} was cancelled") from None
    except Exception as err:
        # Other integrations' handlers raise what they like; none may break the session.
        _LOGGER.warning(
            "%s.%s on %s failed: %s: %s",
            domain,
            service,
            data.get(ATTR_ENTITY_ID),
            type(err).__name__,
            err,
        )
        raise SpeakerError(PLAYER_UNAVAILABLE, missing=True) from err


def player_announcing(hass: HomeAssistant, entity_id: str) -> bool:
    """Whether the player sounds an announcement now (its state, read; no I/O)."""
    state = hass.states.get(entity_id)
    if state is None:
        return False
    return is_announcement(
        state=state.state,
        content_id=state.attributes.get(ATTR_MEDIA_CONTENT_ID),
        content_type=state.attributes.get(ATTR_MEDIA_CONTENT_TYPE),
        supports_announce=MediaPlayerEntityFeature.MEDIA_ANNOUNCE in supported_features(state),
    )


async def async_turn_on(hass: HomeAssistant, entity_id: str) -> None:
    """Wake a speaker (a Spotify Connect room's wake_entity)."""
    await async_call(hass, SERVICE_TURN_ON, {ATTR_ENTITY_ID: entity_id})


class MediaPlayerSpeaker:
    """A room's Home Assistant media_player entity, playing the room's Spotify URI."""

    kind: ClassVar[SpeakerKind] = SpeakerKind.MEDIA_PLAYER
    supports_transfer: ClassVar[bool] = False

    def __init__(self, hass: HomeAssistant, client: SpotifyClient, entity_id: str) -> None:
        self._hass = hass
        self._client = client  # only to see whether the account already plays (only_when_idle)
        self._entity_id = entity_id

    @property
    def target_id(self) -> str:
        """The entity id sessions record."""
        return self._entity_id

    @property
    def player_entity(self) -> str:
        """The entity itself."""
        return self._entity_id

    async def async_start(
        self,
        request: PlayRequest,
        *,
        reading: Reading | None = None,
        before_play: BeforePlay | None = None,
    ) -> StartOutcome:
        """Play the source on the player, or observe when it or the account already plays."""
        state = self._available_state()
        if request.check_idle:
            if state.state == MediaPlayerState.PLAYING:
                return StartOutcome(
                    owned=False,
                    target_id=self._entity_id,
                    context_uri=_text(state.attributes.get(ATTR_MEDIA_CONTENT_ID)),
                )
            if (account := await self._account_playing()) is not None:
                return account
        if before_play is not None:
            await before_play()
            state = self._available_state()  # the player may have gone meanwhile
        features = supported_features(state)
        calls = 0
        volume = self._volume_call(request, state, features)
        if volume is not None and state.state not in _OFF_STATES:
            await self._best_effort(SERVICE_VOLUME_SET, volume)  # before play: no loud start
            calls, volume = calls + 1, None
        target = {ATTR_ENTITY_ID: self._entity_id}
        adopted = await self._play(request)
        calls += 1
        after: list[dict[str, Any]] = [volume] if volume is not None else []
        if (
            request.source is not None
            and MediaPlayerEntityFeature.SHUFFLE_SET in features
            and state.attributes.get(ATTR_MEDIA_SHUFFLE) != request.shuffle
        ):
            after.append({**target, ATTR_MEDIA_SHUFFLE: request.shuffle})
        for data in after:
            service = SERVICE_VOLUME_SET if ATTR_MEDIA_VOLUME_LEVEL in data else SERVICE_SHUFFLE_SET
            await self._best_effort(service, data)
            calls += 1
        return StartOutcome(
            owned=True,
            target_id=self._entity_id,
            context_uri=request.source,
            adopted=adopted,
            requests=calls,
        )

    async def _play(self, request: PlayRequest) -> bool:
        """play_media (or media_play); True when it failed but the player plays ours anyway.

        A player may start and then raise, or start after our time limit: the state decides.
        Playing our source → the start stands (adopted), so the end will pause it.
        """
        target = {ATTR_ENTITY_ID: self._entity_id}
        try:
            if request.source is None:
                await async_call(self._hass, SERVICE_MEDIA_PLAY, target)
            else:
                await async_call(
                    self._hass,
                    SERVICE_PLAY_MEDIA,
                    {
                        **target,
                        ATTR_MEDIA_CONTENT_ID: request.source,
                        ATTR_MEDIA_CONTENT_TYPE: content_type(request.source),
                    },
                )
        except SpeakerError:
            playing = await self.async_now_playing()
            if (
                request.source is not None
                and playing is not None
                and playing.is_playing
                and playing.context_uri == request.source
            ):
                _LOGGER.info("%s plays our source although play_media failed", self._entity_id)
                return True
            raise
        return False

    def context_for(self, request: PlayRequest) -> str | None:
        """The content id the player will report: the source itself."""
        return request.source

    async def async_still_ours(self, record: SessionRecord | Session) -> bool:
        """The player plays our source (or the account plays our context on it); no I/O else."""
        playing = await self.async_now_playing()
        return is_ours(playing, record) or await self._account_plays_ours(playing, record)

    async def async_now_playing(self) -> NowPlaying | None:
        """What the entity's state shows (no I/O)."""
        state = self._hass.states.get(self._entity_id)
        if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            return None
        attributes = state.attributes
        shuffle = attributes.get(ATTR_MEDIA_SHUFFLE)
        # Another integration's attributes: checked at the door, like Spotify's answers.
        return NowPlaying(
            is_playing=state.state == MediaPlayerState.PLAYING,
            target_id=self._entity_id,
            context_uri=_text(attributes.get(ATTR_MEDIA_CONTENT_ID)),
            position_ms=position_ms(attributes.get(ATTR_MEDIA_POSITION), scale=1000),
            volume=volume_percent(attributes.get(ATTR_MEDIA_VOLUME_LEVEL), scale=100),
            shuffle=shuffle if isinstance(shuffle, bool) else None,
        )

    async def async_end(
        self, record: SessionRecord, *, known: NowPlaying | None = None
    ) -> EndOutcome:
        """Pause (or stop) only while the player still plays what we started."""
        playing = known if known is not None else await self.async_now_playing()
        if not is_ours(playing, record) and not await self._account_plays_ours(playing, record):
            return EndOutcome(paused=False, playing=playing)
        state = self._hass.states.get(self._entity_id)
        features = supported_features(state) if state is not None else MediaPlayerEntityFeature(0)
        pausable = MediaPlayerEntityFeature.PAUSE in features
        stoppable = MediaPlayerEntityFeature.STOP in features
        service = SERVICE_MEDIA_STOP if stoppable and not pausable else SERVICE_MEDIA_PAUSE
        await async_call(self._hass, service, {ATTR_ENTITY_ID: self._entity_id})
        return EndOutcome(paused=True, playing=playing)

    async def async_set_volume(self, percent: int) -> None:
        """volume_set (0-1), when the player supports it."""
        state = self._available_state()
        if MediaPlayerEntityFeature.VOLUME_SET in supported_features(state):
            await async_call(
                self._hass,
                SERVICE_VOLUME_SET,
                {ATTR_ENTITY_ID: self._entity_id, ATTR_MEDIA_VOLUME_LEVEL: percent / 100},
            )

    async def async_transfer(self, request: PlayRequest) -> StartOutcome:
        """Media players cannot take over a Spotify session: the caller starts the source."""
        raise SpeakerError("transfer_unsupported")

    # ---- helpers -------------------------------------------------------------------------------

    def _available_state(self) -> State:
        state = self._hass.states.get(self._entity_id)
        if state is None or state.state == STATE_UNAVAILABLE:
            raise SpeakerError(PLAYER_UNAVAILABLE, missing=True)
        return state

    def _volume_call(
        self, request: PlayRequest, state: State, features: MediaPlayerEntityFeature
    ) -> dict[str, Any] | None:
        if request.volume is None or MediaPlayerEntityFeature.VOLUME_SET not in features:
            return None
        level = request.volume / 100
        current = state.attributes.get(ATTR_MEDIA_VOLUME_LEVEL)
        if isinstance(current, (int, float)) and round(current * 100) == request.volume:
            return None
        return {ATTR_ENTITY_ID: self._entity_id, ATTR_MEDIA_VOLUME_LEVEL: level}

    async def _best_effort(self, service: str, data: dict[str, Any]) -> None:
        """Volume and shuffle: a refusal must not fail a start that plays (nobody would pause)."""
        try:
            await async_call(self._hass, service, data)
        except SpeakerError:
            _LOGGER.warning("%s refused %s; playing anyway", self._entity_id, service)

    async def _account_playing(self) -> StartOutcome | None:
        """only_when_idle: the Spotify account playing anywhere counts as busy too."""
        try:
            account = await self._client.playback()
        except SpotifyApiError as err:
            _LOGGER.debug("Could not read the account's playback: %s", err.translation_key)
            return None
        if account is None or not account.is_playing:
            return None
        return StartOutcome(
            owned=False,
            target_id=account.device.device_id if account.device else None,
            context_uri=account.context_uri,
        )

    async def _account_plays_ours(
        self, playing: NowPlaying | None, record: SessionRecord | Session
    ) -> bool:
        """Players that report the current track (Cast, core Spotify) instead of our playlist.

        Still playing, but under another content id: ours if the Spotify account plays our
        context (or our single item) right now. Never pauses on doubt.
        """
        if (
            playing is None
            or not playing.is_playing
            or record.owned is not True
            or record.context_uri is None
        ):
            return False
        try:
            account = await self._client.playback()
        except SpotifyApiError:
            return False
        if account is None or not account.is_playing:
            return False
        if is_context(record.context_uri):
            return account.context_uri == record.context_uri
        return account.item_uri == record.context_uri


def _text(value: object) -> str | None:
    """A content id as a string (a player may report anything)."""
    return value if isinstance(value, str) else None
