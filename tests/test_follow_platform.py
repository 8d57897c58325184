"""Follow-me between two real HA media_player entities (HA's own platform and actions).

Both players are `MediaPlayerEntity`s set up through HA's media_player component, supporting
`SEEK`; the move goes through HA's own play_media, media_seek and media_pause actions. Players of
a (test) `music_assistant` platform move with its `transfer_queue` action instead.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.media_player import (
    MediaPlayerEntity,
    MediaPlayerEntityFeature as F,
    MediaPlayerState,
)
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockPlatform,
    mock_platform,
)

from tests.conftest import PLAYLIST
from tests.fake_spotify import FakeSpotify
from tests.helpers import set_motion, set_up_with_sensors_off
from tests.media_players import set_up_real_players
from tests.test_follow_players import (
    BATHROOM,
    BATHROOM_MOTION,
    KITCHEN,
    KITCHEN_MOTION,
    media_room,
)

pytestmark = pytest.mark.parametrize(
    "rooms",
    [
        [
            media_room("Kitchen", KITCHEN, KITCHEN_MOTION),
            media_room("Bathroom", BATHROOM, BATHROOM_MOTION),
        ]
    ],
)


class SeekingPlayer(MediaPlayerEntity):
    """A player that plays content, seeks and pauses, and records what it was asked."""

    _attr_supported_features = F.PLAY_MEDIA | F.PLAY | F.PAUSE | F.SEEK | F.SHUFFLE_SET
    _attr_state = MediaPlayerState.IDLE

    def __init__(self, name: str) -> None:
        self._attr_name = name
        self.asked: list[tuple[str, Any]] = []

    async def async_play_media(self, media_type: str, media_id: str, **kwargs: Any) -> None:
        self.asked.append(("play_media", media_id))
        self._attr_state = MediaPlayerState.PLAYING
        self._attr_media_content_id = media_id
        self._attr_media_content_type = media_type
        self._attr_media_position = 0
        self.async_write_ha_state()

    async def async_media_seek(self, position: float) -> None:
        self.asked.append(("media_seek", position))
        self._attr_media_position = int(position)
        self.async_write_ha_state()

    async def async_media_pause(self) -> None:
        self.asked.append(("media_pause", None))
        self._attr_state = MediaPlayerState.PAUSED
        self.async_write_ha_state()

    async def async_set_shuffle(self, shuffle: bool) -> None:
        self._attr_shuffle = shuffle
        self.async_write_ha_state()

    def listened(self, seconds: int) -> None:
        self._attr_media_position = seconds
        self.async_write_ha_state()


@pytest.fixture
async def players(hass: HomeAssistant) -> tuple[SeekingPlayer, SeekingPlayer]:
    kitchen, bathroom = SeekingPlayer("Kitchen"), SeekingPlayer("Bathroom")
    await set_up_real_players(hass, {KITCHEN: kitchen, BATHROOM: bathroom})
    return kitchen, bathroom


@pytest.fixture
async def account(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    players: tuple[SeekingPlayer, SeekingPlayer],
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    return await set_up_with_sensors_off(hass, config_entry, (KITCHEN_MOTION, BATHROOM_MOTION))


async def test_the_music_walks_from_the_kitchen_to_the_bathroom(
    hass: HomeAssistant,
    account: MockConfigEntry,
    players: tuple[SeekingPlayer, SeekingPlayer],
    events: dict[str, list[Any]],
) -> None:
    kitchen, bathroom = players
    await set_motion(hass, KITCHEN_MOTION, "on")
    assert kitchen.state == MediaPlayerState.PLAYING
    kitchen.listened(130)
    await set_motion(hass, BATHROOM_MOTION, "on")
    assert bathroom.asked == [("play_media", PLAYLIST), ("media_seek", 130)]
    assert bathroom.state == MediaPlayerState.PLAYING
    assert kitchen.asked[-1] == ("media_pause", None)
    assert kitchen.state == MediaPlayerState.PAUSED
    (ended,) = events["session_ended"]
    assert (ended.data["room"], ended.data["reason"], ended.data["moved_to"]) == (
        "Kitchen",
        "moved",
        "Bathroom",
    )


# --- Music Assistant players: the queue moves with Music Assistant's own action -------------


@pytest.fixture
async def ma_players(hass: HomeAssistant) -> tuple[SeekingPlayer, SeekingPlayer]:
    """Two players of a (test) Music Assistant integration, and its transfer_queue action."""
    kitchen, bathroom = SeekingPlayer("Kitchen"), SeekingPlayer("Bathroom")
    kitchen._attr_unique_id, bathroom._attr_unique_id = "ma-kitchen", "ma-bathroom"
    by_id = {KITCHEN: kitchen, BATHROOM: bathroom}

    async def setup_players(
        hass: HomeAssistant,
        config: ConfigType,
        add: AddEntitiesCallback,
        discovery_info: DiscoveryInfoType | None = None,
    ) -> None:
        add([kitchen, bathroom])

    async def transfer_queue(call: ServiceCall) -> None:
        """Music Assistant's move: the queue and its position go over; the source stops."""
        target, source = by_id[call.data["entity_id"]], by_id[call.data["source_player"]]
        target.asked.append(("transfer_queue", source.entity_id))
        await target.async_play_media("playlist", str(source.media_content_id))
        target.asked.pop()  # the queue came over: nobody asked the player to play it
        target.listened(int(source.media_position or 0))
        source._attr_state = MediaPlayerState.IDLE
        source.async_write_ha_state()

    mock_platform(
        hass, "music_assistant.media_player", MockPlatform(async_setup_platform=setup_players)
    )
    hass.services.async_register("music_assistant", "transfer_queue", transfer_queue)
    assert await async_setup_component(
        hass, "media_player", {"media_player": {"platform": "music_assistant"}}
    )
    await hass.async_block_till_done()
    assert (kitchen.entity_id, bathroom.entity_id) == (KITCHEN, BATHROOM)
    return kitchen, bathroom


async def test_music_assistant_moves_its_queue_between_its_players(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    ma_players: tuple[SeekingPlayer, SeekingPlayer],
    config_entry: MockConfigEntry,
    events: dict[str, list[Any]],
) -> None:
    kitchen, bathroom = ma_players
    await set_up_with_sensors_off(hass, config_entry, (KITCHEN_MOTION, BATHROOM_MOTION))

    await set_motion(hass, KITCHEN_MOTION, "on")
    kitchen.listened(95)
    await set_motion(hass, BATHROOM_MOTION, "on")
    # One action of Music Assistant's moved the queue and its position; nothing else was sent.
    assert bathroom.asked == [("transfer_queue", KITCHEN)]
    assert bathroom.state == MediaPlayerState.PLAYING
    assert bathroom.media_position == 95
    assert kitchen.state == MediaPlayerState.IDLE
    assert ("media_pause", None) not in kitchen.asked
    (ended,) = events["session_ended"]
    assert (ended.data["room"], ended.data["reason"], ended.data["moved_to"]) == (
        "Kitchen",
        "moved",
        "Bathroom",
    )
    assert events["session_started"][-1].data["moved_from"] == "Kitchen"
