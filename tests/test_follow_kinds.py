"""Follow-me between kinds: a Spotify Connect room and a media player room take each other's music.

Into a media player room: the Spotify room's context starts on the player and the Spotify speaker
is paused (only while it still plays that session). Into a Spotify Connect room: the player's
content starts on the speaker, at the account's item and position when the account plays it
(a player that plays Spotify through the account), and the player is paused.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.media_player.const import MediaPlayerEntityFeature as F
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import set_motion
from tests.media_players import FULL, FakePlayer, FakePlayers

PLAYER = "media_player.kitchen"
KITCHEN_MOTION = "binary_sensor.kitchen_motion"


def spotify_room() -> dict[str, Any]:
    return {
        "title": "Bathroom",
        "data": room_data(follow_me=True, only_when_idle=False, shuffle=False),
    }


def player_room() -> dict[str, Any]:
    data = {
        key: value
        for key, value in room_data(
            motion_entities=[KITCHEN_MOTION], follow_me=True, only_when_idle=False, shuffle=False
        ).items()
        if key not in ("spotify_device_id", "spotify_device_name")
    }
    return {"title": "Kitchen", "data": {**data, "media_player_entity": PLAYER}}


pytestmark = pytest.mark.parametrize("rooms", [[spotify_room(), player_room()]])


@pytest.fixture
def player(hass: HomeAssistant) -> FakePlayer:
    return FakePlayers(hass).add(PLAYER, FULL | F.SEEK)


@pytest.fixture
async def account(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    player: FakePlayer,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    for motion in (MOTION, KITCHEN_MOTION):
        hass.states.async_set(motion, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


async def test_spotify_music_moves_onto_the_player(
    hass: HomeAssistant,
    account: MockConfigEntry,
    speaker: FakeSpotify,
    player: FakePlayer,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    speaker.user_listened(42_000, track=3)
    await set_motion(hass, KITCHEN_MOTION, "on")
    assert [service for service, _ in player.calls] == ["play_media"]  # a playlist: no seek
    assert player.calls[0][1]["media_content_id"] == PLAYLIST
    assert speaker.playback is not None
    assert not speaker.playback.is_playing  # the bathroom speaker was paused
    (ended,) = events["session_ended"]
    assert (ended.data["room"], ended.data["reason"], ended.data["moved_to"]) == (
        "Bathroom",
        "moved",
        "Kitchen",
    )
    assert events["session_started"][-1].data["moved_from"] == "Bathroom"


async def test_player_music_moves_onto_spotify_at_the_accounts_position(
    hass: HomeAssistant,
    account: MockConfigEntry,
    speaker: FakeSpotify,
    player: FakePlayer,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, KITCHEN_MOTION, "on")
    assert player.state == "playing"
    # The kitchen player plays Spotify through the account (a Cast/Sonos Spotify device).
    speaker.add_device("kitchen-cast", "Kitchen cast")
    speaker.user_play(PLAYLIST, "kitchen-cast")
    speaker.user_listened(61_000, track=2)
    await set_motion(hass, MOTION, "on")
    play = speaker.requests_to("PUT", "/me/player/play")[-1]
    assert play.query == {"device_id": SPEAKER_ID}
    assert play.json["context_uri"] == PLAYLIST
    assert play.json["position_ms"] == 61_000
    assert "offset" in play.json
    assert player.state == "paused"
    (ended,) = events["session_ended"]
    assert (ended.data["room"], ended.data["moved_to"]) == ("Kitchen", "Bathroom")


async def test_player_music_that_the_account_does_not_play_starts_afresh(
    hass: HomeAssistant,
    account: MockConfigEntry,
    speaker: FakeSpotify,
    player: FakePlayer,
) -> None:
    await set_motion(hass, KITCHEN_MOTION, "on")
    await set_motion(hass, MOTION, "on")
    play = speaker.requests_to("PUT", "/me/player/play")[-1]
    assert play.json == {"context_uri": PLAYLIST}
    assert player.state == "paused"


async def test_a_spotify_start_that_fails_plays_nothing_and_leaves_the_player(
    hass: HomeAssistant,
    account: MockConfigEntry,
    speaker: FakeSpotify,
    player: FakePlayer,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, KITCHEN_MOTION, "on")
    speaker.fail("PUT", "/me/player/play", 500, times=None)
    await set_motion(hass, MOTION, "on")
    assert player.state == "playing"  # not lost: the kitchen's session goes on
    assert [e.data["room"] for e in events["session_ended"]] == []
