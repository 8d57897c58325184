"""Follow-me between media player rooms: the music moves from one HA player to another.

Between two Music Assistant players, Music Assistant's own ``transfer_queue`` moves the queue
(it keeps the queue and the position, and stops the old player). Between any other players, the
same content is started on the new player, set to the same position where the player can seek
(``media_seek``), and the old player is paused, but only while it still plays that content.
"""

from __future__ import annotations

from dataclasses import dataclass
import logging
from typing import Final

from homeassistant.components.media_player.const import (
    ATTR_MEDIA_CONTENT_ID,
    ATTR_MEDIA_CONTENT_TYPE,
    ATTR_MEDIA_SEEK_POSITION,
    MediaPlayerEntityFeature,
    MediaPlayerState,
)
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_MEDIA_PAUSE, SERVICE_MEDIA_SEEK
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .speaker import NowPlaying, SpeakerError
from .speaker_media_player import (
    SERVICE_PLAY_MEDIA,
    async_call,
    content_type,
    supported_features,
)

_LOGGER = logging.getLogger(__name__)

MUSIC_ASSISTANT: Final = "music_assistant"
TRANSFER_QUEUE: Final = "transfer_queue"


@dataclass(frozen=True, slots=True)
class Moved:
    """How the music moved, and whether the old player stopped playing it."""

    how: str  # "transfer_queue" or "play_media"
    origin_stopped: bool


def _platform(hass: HomeAssistant, entity_id: str) -> str | None:
    entry = er.async_get(hass).async_get(entity_id)
    return entry.platform if entry is not None else None


def _plays(hass: HomeAssistant, entity_id: str, content_id: str | None) -> bool:
    state = hass.states.get(entity_id)
    return (
        state is not None
        and state.state == MediaPlayerState.PLAYING
        and content_id is not None
        and state.attributes.get(ATTR_MEDIA_CONTENT_ID) == content_id
    )


async def async_move(hass: HomeAssistant, origin: str, target: str, playing: NowPlaying) -> Moved:
    """Move what `origin` plays (`playing`, just read) to `target`.

    Raises SpeakerError when nothing was started on `target` (the caller starts its own music
    then, and leaves `origin` alone). A failed seek or pause afterwards does not undo the move.
    """
    content = playing.context_uri
    if (
        _platform(hass, origin) == MUSIC_ASSISTANT
        and _platform(hass, target) == MUSIC_ASSISTANT
        and hass.services.has_service(MUSIC_ASSISTANT, TRANSFER_QUEUE)
    ):
        await async_call(
            hass,
            TRANSFER_QUEUE,
            {ATTR_ENTITY_ID: target, "source_player": origin, "auto_play": True},
            domain=MUSIC_ASSISTANT,
        )
        return Moved(TRANSFER_QUEUE, origin_stopped=not _plays(hass, origin, content))
    if content is None:
        raise SpeakerError("player_unavailable")  # nothing to start there: not movable
    origin_state = hass.states.get(origin)
    kind = origin_state.attributes.get(ATTR_MEDIA_CONTENT_TYPE) if origin_state else None
    try:
        await async_call(
            hass,
            SERVICE_PLAY_MEDIA,
            {
                ATTR_ENTITY_ID: target,
                ATTR_MEDIA_CONTENT_ID: content,
                ATTR_MEDIA_CONTENT_TYPE: kind if isinstance(kind, str) else content_type(content),
            },
        )
    except SpeakerError:
        if not _plays(hass, target, content):
            raise
        _LOGGER.info("%s plays the moved music although play_media failed", target)
    target_state = hass.states.get(target)
    position = playing.position_ms
    if (
        position
        and target_state is not None
        and MediaPlayerEntityFeature.SEEK in supported_features(target_state)
    ):
        try:
            await async_call(
                hass,
                SERVICE_MEDIA_SEEK,
                {ATTR_ENTITY_ID: target, ATTR_MEDIA_SEEK_POSITION: position / 1000},
            )
        except SpeakerError:
            _LOGGER.info("%s could not seek: the moved music plays from the start", target)
    if _plays(hass, origin, content):
        try:
            await async_call(hass, SERVICE_MEDIA_PAUSE, {ATTR_ENTITY_ID: origin})
        except SpeakerError:
            return Moved(SERVICE_PLAY_MEDIA, origin_stopped=False)
    return Moved(SERVICE_PLAY_MEDIA, origin_stopped=not _plays(hass, origin, content))
