"""Announcements give way, with a real HA media_player entity (HA's own platform and actions).

The player is a `MediaPlayerEntity` set up through HA's media_player component, supporting
`MEDIA_ANNOUNCE`; announcements go through HA's own `media_player.play_media` action with
`announce: true`, and the player hands back to what it played, as announcing players do.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.media_player import (
    MediaPlayerEntity,
    MediaPlayerEntityFeature as F,
    MediaPlayerState,
)
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from tests.conftest import MOTION, PLAYLIST
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance, set_motion
from tests.media_players import set_up_real_players
from tests.test_player_border import NOON, PLAYER, TIMEOUT, media_room

TTS = "media-source://tts/cloud?message=The+washing+machine+is+done"

pytestmark = pytest.mark.parametrize("rooms", [media_room()])


class AnnouncingPlayer(MediaPlayerEntity):
    """A player that announces over its music and then hands back to it."""

    _attr_name = "Bathroom sonos"  # media_player.bathroom_sonos
    _attr_supported_features = (
        F.PLAY_MEDIA | F.PLAY | F.PAUSE | F.STOP | F.VOLUME_SET | F.MEDIA_ANNOUNCE
    )
    _attr_state = MediaPlayerState.IDLE
    _attr_volume_level = 0.5

    def __init__(self) -> None:
        self.pauses = 0
        self.plays: list[tuple[str, bool]] = []  # (content id, announce)
        self._before: tuple[MediaPlayerState | None, str | None, str | None] | None = None

    async def async_play_media(self, media_type: str, media_id: str, **kwargs: Any) -> None:
        announce = bool(kwargs.get("announce"))
        self.plays.append((media_id, announce))
        if announce:
            self._before = (
                self._attr_state,
                self._attr_media_content_id,
                self._attr_media_content_type,
            )
            media_type = "music"
        self._attr_state = MediaPlayerState.PLAYING
        self._attr_media_content_id = media_id
        self._attr_media_content_type = media_type
        self.async_write_ha_state()

    def hand_back(self) -> None:
        """The announcement is over: back to what played before."""
        assert self._before is not None
        state, content_id, content_type = self._before
        self._before = None
        self._attr_state = state
        self._attr_media_content_id = content_id
        self._attr_media_content_type = content_type
        self.async_write_ha_state()

    async def async_media_pause(self) -> None:
        self.pauses += 1
        self._attr_state = MediaPlayerState.PAUSED
        self.async_write_ha_state()

    async def async_media_play(self) -> None:
        self._attr_state = MediaPlayerState.PLAYING
        self.async_write_ha_state()

    async def async_media_stop(self) -> None:
        self._attr_state = MediaPlayerState.IDLE
        self.async_write_ha_state()

    async def async_set_volume_level(self, volume: float) -> None:
        self._attr_volume_level = volume
        self.async_write_ha_state()


@pytest.fixture
async def player(hass: HomeAssistant) -> AnnouncingPlayer:
    entity = AnnouncingPlayer()
    await set_up_real_players(hass, {PLAYER: entity})
    return entity


@pytest.fixture
async def room(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    player: AnnouncingPlayer,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    freezer.move_to(NOON)
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


async def announce(hass: HomeAssistant, content_id: str = TTS) -> None:
    """HA's own action, as tts.speak and automations send it."""
    await hass.services.async_call(
        "media_player",
        "play_media",
        {
            "entity_id": PLAYER,
            "media_content_id": content_id,
            "media_content_type": "music",
            "announce": True,
        },
        blocking=True,
    )
    await hass.async_block_till_done()


async def test_announcement_mid_session_then_the_timeout_pauses_once(
    hass: HomeAssistant,
    room: MockConfigEntry,
    player: AnnouncingPlayer,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    assert player.plays == [(PLAYLIST, False)]
    await announce(hass)
    player.hand_back()
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, TIMEOUT)
    assert player.pauses == 1
    assert player.state == MediaPlayerState.PAUSED
    assert events["session_ended"][0].data["reason"] == "timeout"


async def test_the_room_empties_during_the_announcement(
    hass: HomeAssistant,
    room: MockConfigEntry,
    player: AnnouncingPlayer,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, TIMEOUT - timedelta(seconds=3))
    await announce(hass)
    await advance(hass, freezer, timedelta(seconds=3))
    assert player.pauses == 0  # the announcement is not cut off
    assert events["session_ended"][0].data["reason"] == "timeout"
    player.hand_back()  # back to our playlist, in an empty room
    await hass.async_block_till_done()
    assert player.pauses == 1
    assert player.state == MediaPlayerState.PAUSED


async def test_an_announcement_in_an_empty_room_starts_nothing(
    hass: HomeAssistant, room: MockConfigEntry, player: AnnouncingPlayer, speaker: FakeSpotify
) -> None:
    await announce(hass, "http://homeassistant.local:8123/local/doorbell.mp3")
    player.hand_back()
    await hass.async_block_till_done()
    assert player.plays == [("http://homeassistant.local:8123/local/doorbell.mp3", True)]
    assert speaker.requests_to("PUT", "/me/player/play") == []
    state = hass.states.get("sensor.bathroom_status")
    assert state is not None
    assert state.state == "idle"


async def test_user_music_after_the_announcement_is_released(
    hass: HomeAssistant,
    room: MockConfigEntry,
    player: AnnouncingPlayer,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    await announce(hass)
    await hass.services.async_call(
        "media_player",
        "play_media",
        {
            "entity_id": PLAYER,
            "media_content_id": "spotify:album:someoneelses",
            "media_content_type": "album",
        },
        blocking=True,
    )
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, TIMEOUT)
    assert player.pauses == 0
    assert player.state == MediaPlayerState.PLAYING
    assert events["session_ended"][0].data["reason"] == "released"
