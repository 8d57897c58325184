"""Picks a room's speaker backend from its options (the only place that knows both)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant

from .const import (
    CONF_MEDIA_PLAYER_ENTITY,
    CONF_SPOTIFY_DEVICE_ID,
    CONF_SPOTIFY_DEVICE_NAME,
    CONF_WAKE_ENTITY,
)
from .speaker import Speaker, SpeakerKind
from .speaker_media_player import MediaPlayerSpeaker, async_turn_on
from .speaker_spotify import SpotifyConnectSpeaker
from .spotify_api import SpotifyClient

MEDIA_PLAYER_PREFIX = "media_player."


def speaker_kind(data: Mapping[str, Any]) -> SpeakerKind:
    """A room with a media player entity plays there; otherwise on its Spotify Connect device."""
    return SpeakerKind.MEDIA_PLAYER if data.get(CONF_MEDIA_PLAYER_ENTITY) else SpeakerKind.SPOTIFY


def speaker_name(data: Mapping[str, Any]) -> str:
    """How the room's speaker is called in messages and repair issues."""
    if speaker_kind(data) is SpeakerKind.MEDIA_PLAYER:
        return str(data[CONF_MEDIA_PLAYER_ENTITY])
    return str(data.get(CONF_SPOTIFY_DEVICE_NAME) or data.get(CONF_SPOTIFY_DEVICE_ID) or "?")


def create_speaker(hass: HomeAssistant, client: SpotifyClient, data: Mapping[str, Any]) -> Speaker:
    """The backend for a room's current options (built per call: options change live)."""
    if speaker_kind(data) is SpeakerKind.MEDIA_PLAYER:
        return MediaPlayerSpeaker(hass, client, str(data[CONF_MEDIA_PLAYER_ENTITY]))
    wake_entity = data.get(CONF_WAKE_ENTITY)

    async def wake() -> None:
        await async_turn_on(hass, str(wake_entity))

    return SpotifyConnectSpeaker(
        client,
        str(data[CONF_SPOTIFY_DEVICE_ID]),
        data.get(CONF_SPOTIFY_DEVICE_NAME),
        wake=wake if wake_entity else None,
        player_entity=str(wake_entity) if wake_entity else None,
    )


def speaker_for_target(
    hass: HomeAssistant, client: SpotifyClient, data: Mapping[str, Any], target_id: str | None
) -> Speaker:
    """The speaker a session played on, even if the room has switched speakers since.

    Ending a session must pause the speaker it started, not the room's new one.
    """
    current = create_speaker(hass, client, data)
    if target_id is None or target_id == current.target_id:
        return current
    if target_id.startswith(MEDIA_PLAYER_PREFIX):
        return MediaPlayerSpeaker(hass, client, target_id)
    return SpotifyConnectSpeaker(client, target_id, None)
