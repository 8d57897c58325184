"""Follow-me into a media player room: the music moves from another room's speaker to it.

Between two Music Assistant players, Music Assistant's own ``transfer_queue`` moves the queue
(it keeps the queue and the position, and stops the old player). Otherwise (another player, or
a Spotify Connect room) the same content is started on the new player, set to the same position
where the player can seek (``media_seek``), and the old speaker is paused, but only while it
still plays that session's music.
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
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_MEDIA_SEEK
from homeassistant.core import HomeAssistant

from .records import SessionRecord
from .speaker import NowPlaying, Speaker, SpeakerError, SpeakerKind, is_ours
from .speaker_media_player import (
    SERVICE_PLAY_MEDIA,
    async_call,
    content_type,
    player_integration,
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


def _plays(hass: HomeAssistant, entity_id: str, content_id: str | None) -> bool:
    state = hass.states.get(entity_id)
    return (
        state is not None
        and state.state == MediaPlayerState.PLAYING
        and content_id is not None
        and state.attributes.get(ATTR_MEDIA_CONTENT_ID) == content_id
    )


async def async_move(
    hass: HomeAssistant,
    origin: Speaker,
    origin_record: SessionRecord,
    target: str,
    playing: NowPlaying,
) -> Moved:
    """Move what `origin` plays (`playing`, just read) to the media player `target`.

    `origin` is the other room's speaker: a media player, or a Spotify Connect device (then
    `playing` is the account's playback). Raises SpeakerError when nothing was started on
    `target` (the caller starts its own music then, and leaves `origin` alone). A failed seek or
    pause afterwards does not undo the move; the old speaker is paused only while it still
    plays the session's music (`origin_record`), whatever the move did to it.
    """
    content = playing.context_uri
    origin_entity = origin.player_entity if origin.kind is SpeakerKind.MEDIA_PLAYER else None
    if (
        origin_entity is not None
        and player_integration(hass, origin_entity) == MUSIC_ASSISTANT
        and player_integration(hass, target) == MUSIC_ASSISTANT
        and hass.services.has_service(MUSIC_ASSISTANT, TRANSFER_QUEUE)
    ):
        await async_call(
            hass,
            TRANSFER_QUEUE,
            {ATTR_ENTITY_ID: target, "source_player": origin_entity, "auto_play": True},
            domain=MUSIC_ASSISTANT,
        )
        return Moved(TRANSFER_QUEUE, origin_stopped=not _plays(hass, origin_entity, content))
    if content is None:
        raise SpeakerError("player_unavailable")  # nothing to start there: not movable
    origin_state = hass.states.get(origin_entity) if origin_entity is not None else None
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
    # A player's position is within what it reports; the account's, within the current item:
    # that only matches the content when the content is that item (a single track).
    position = playing.position_ms
    same_item = origin.kind is SpeakerKind.MEDIA_PLAYER or playing.item_uri == content
    target_state = hass.states.get(target)
    if (
        position
        and same_item
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
    return Moved(SERVICE_PLAY_MEDIA, origin_stopped=await async_stop_origin(origin, origin_record))


async def async_stop_origin(origin: Speaker, record: SessionRecord) -> bool:
    """Pause the old speaker while it still plays the moved session; True once it does not."""
    try:
        outcome = await origin.async_end(record)
    except SpeakerError:
        return False
    return outcome.paused or not is_ours(outcome.playing, record)
