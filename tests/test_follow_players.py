"""Follow-me between media player rooms: the music moves from one HA player to the next.

Music Assistant players hand the queue over with Music Assistant's own ``transfer_queue``;
other players start the same content at the same position (``media_seek`` where supported) and
the old player is paused. A move that fails starts the new room's own music and leaves the old
room's session to its own rules; music someone else started is never moved.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.media_player.const import MediaPlayerEntityFeature as F
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spottypottysense.player_move import async_move
from custom_components.spottypottysense.records import EndReason, SessionRecord
from custom_components.spottypottysense.speaker import NowPlaying, SpeakerError
from custom_components.spottypottysense.speaker_media_player import MediaPlayerSpeaker
from tests.conftest import PLAYLIST, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import set_motion, set_up_with_sensors_off
from tests.media_players import FULL, FakePlayer, FakePlayers

KITCHEN, BATHROOM = "media_player.kitchen", "media_player.bathroom"
KITCHEN_MOTION, BATHROOM_MOTION = "binary_sensor.kitchen_motion", "binary_sensor.bathroom_motion"


def media_room(title: str, player: str, motion: str) -> dict[str, Any]:
    data = {
        key: value
        for key, value in room_data(
            motion_entities=[motion], follow_me=True, only_when_idle=False
        ).items()
        if key not in ("spotify_device_id", "spotify_device_name")
    }
    return {"title": title, "data": {**data, "media_player_entity": player}}


pytestmark = pytest.mark.parametrize(
    "rooms",
    [
        [
            media_room("Kitchen", KITCHEN, KITCHEN_MOTION),
            media_room("Bathroom", BATHROOM, BATHROOM_MOTION),
        ]
    ],
)


@pytest.fixture
def players(hass: HomeAssistant) -> FakePlayers:
    return FakePlayers(hass)


@pytest.fixture
def kitchen(players: FakePlayers) -> FakePlayer:
    return players.add(KITCHEN, FULL | F.SEEK)


@pytest.fixture
def bathroom(players: FakePlayers) -> FakePlayer:
    return players.add(BATHROOM, FULL | F.SEEK)


@pytest.fixture
async def account(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    kitchen: FakePlayer,
    bathroom: FakePlayer,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    return await set_up_with_sensors_off(hass, config_entry, (KITCHEN_MOTION, BATHROOM_MOTION))


async def _kitchen_playing(hass: HomeAssistant, kitchen: FakePlayer) -> None:
    await set_motion(hass, KITCHEN_MOTION, "on")
    assert kitchen.state == "playing"
    kitchen.set("playing", media_position=95, media_content_type="playlist")  # 1 min 35 s in


async def test_the_music_moves_to_the_same_position_and_the_old_player_pauses(
    hass: HomeAssistant,
    account: MockConfigEntry,
    kitchen: FakePlayer,
    bathroom: FakePlayer,
    events: dict[str, list[Any]],
) -> None:
    await _kitchen_playing(hass, kitchen)
    await set_motion(hass, BATHROOM_MOTION, "on")
    assert [service for service, _ in bathroom.calls] == ["play_media", "media_seek"]
    assert bathroom.calls[0][1]["media_content_id"] == PLAYLIST
    assert bathroom.calls[0][1]["media_content_type"] == "playlist"
    assert bathroom.calls[1][1]["seek_position"] == 95
    assert kitchen.state == "paused"
    (ended,) = events["session_ended"]
    assert (ended.data["room"], ended.data["reason"], ended.data["moved_to"]) == (
        "Kitchen",
        "moved",
        "Bathroom",
    )
    started = events["session_started"][-1]
    assert (started.data["room"], started.data["moved"], started.data["moved_from"]) == (
        "Bathroom",
        True,
        "Kitchen",
    )


async def test_music_assistant_players_hand_the_queue_over(
    hass: HomeAssistant,
    account: MockConfigEntry,
    kitchen: FakePlayer,
    bathroom: FakePlayer,
) -> None:
    registry = er.async_get(hass)
    for player in (kitchen, bathroom):
        hass.states.async_remove(player.entity_id)  # the registry gives the id only when free
        entry = registry.async_get_or_create(
            "media_player",
            "music_assistant",
            player.entity_id,
            suggested_object_id=player.entity_id.removeprefix("media_player."),
        )
        assert entry.entity_id == player.entity_id
        player.write()
    transfers: list[dict[str, Any]] = []

    async def transfer_queue(call: ServiceCall) -> None:
        transfers.append(dict(call.data))
        bathroom.set("playing", media_content_id=PLAYLIST)
        kitchen.set("idle")

    hass.services.async_register("music_assistant", "transfer_queue", transfer_queue)
    await _kitchen_playing(hass, kitchen)
    await set_motion(hass, BATHROOM_MOTION, "on")
    assert transfers == [{"entity_id": BATHROOM, "source_player": KITCHEN, "auto_play": True}]
    assert bathroom.calls == []  # no play_media: Music Assistant moved its queue
    assert kitchen.state == "idle"


async def test_a_move_that_fails_plays_the_rooms_own_music_and_leaves_the_other(
    hass: HomeAssistant,
    account: MockConfigEntry,
    players: FakePlayers,
    kitchen: FakePlayer,
    bathroom: FakePlayer,
    events: dict[str, list[Any]],
) -> None:
    await _kitchen_playing(hass, kitchen)
    tries = 0

    async def refuse_once(player: FakePlayer, data: dict[str, Any]) -> None:
        nonlocal tries
        tries += 1
        if tries == 1:
            raise HomeAssistantError("busy")
        player.handle("play_media", data)

    players.misbehave["play_media"] = refuse_once
    await set_motion(hass, BATHROOM_MOTION, "on")
    assert tries == 2  # the move, then the room's own start
    assert bathroom.state == "playing"
    assert kitchen.state == "playing"  # not lost: the kitchen's session goes on
    assert events["session_ended"] == []
    assert events["session_started"][-1].data["moved"] is False


async def test_a_pause_that_fails_leaves_the_old_rooms_session_to_its_timeout(
    hass: HomeAssistant,
    account: MockConfigEntry,
    players: FakePlayers,
    kitchen: FakePlayer,
    bathroom: FakePlayer,
    events: dict[str, list[Any]],
) -> None:
    await _kitchen_playing(hass, kitchen)

    async def refuse(player: FakePlayer, data: dict[str, Any]) -> None:
        raise HomeAssistantError("no")

    players.misbehave["media_pause"] = refuse
    await set_motion(hass, BATHROOM_MOTION, "on")
    assert bathroom.state == "playing"
    assert events["session_ended"] == []  # the kitchen still owns what plays there


async def test_music_someone_else_put_on_is_not_moved(
    hass: HomeAssistant,
    account: MockConfigEntry,
    kitchen: FakePlayer,
    bathroom: FakePlayer,
) -> None:
    await _kitchen_playing(hass, kitchen)
    kitchen.set("playing", media_content_id="spotify:album:someoneelses")
    await set_motion(hass, BATHROOM_MOTION, "on")
    assert bathroom.calls[0][1]["media_content_id"] == PLAYLIST  # its own source
    assert [service for service, _ in bathroom.calls] == ["play_media", "shuffle_set"]
    assert kitchen.state == "playing"


async def test_a_seek_that_fails_still_moves_the_music(
    hass: HomeAssistant,
    account: MockConfigEntry,
    players: FakePlayers,
    kitchen: FakePlayer,
    bathroom: FakePlayer,
    events: dict[str, list[Any]],
) -> None:
    await _kitchen_playing(hass, kitchen)

    async def refuse(player: FakePlayer, data: dict[str, Any]) -> None:
        raise HomeAssistantError("cannot seek now")

    players.misbehave["media_seek"] = refuse
    await set_motion(hass, BATHROOM_MOTION, "on")
    assert bathroom.state == "playing"  # from the start of the track
    assert kitchen.state == "paused"
    assert events["session_ended"][0].data["reason"] == "moved"


async def test_play_media_that_raises_but_plays_counts_as_moved(
    hass: HomeAssistant,
    account: MockConfigEntry,
    players: FakePlayers,
    kitchen: FakePlayer,
    bathroom: FakePlayer,
) -> None:
    await _kitchen_playing(hass, kitchen)

    async def play_then_raise(player: FakePlayer, data: dict[str, Any]) -> None:
        player.set("playing", media_content_id=data["media_content_id"])
        raise HomeAssistantError("timeout talking to the speaker")

    players.misbehave["play_media"] = play_then_raise
    await set_motion(hass, BATHROOM_MOTION, "on")
    assert [service for service, _ in bathroom.calls] == ["play_media", "media_seek"]
    assert kitchen.state == "paused"


async def test_a_player_that_cannot_seek_starts_the_content_from_the_top(
    hass: HomeAssistant,
    account: MockConfigEntry,
    kitchen: FakePlayer,
    bathroom: FakePlayer,
) -> None:
    bathroom.features = FULL  # no SEEK
    bathroom.write()
    await _kitchen_playing(hass, kitchen)
    await set_motion(hass, BATHROOM_MOTION, "on")
    assert [service for service, _ in bathroom.calls] == ["play_media"]
    assert kitchen.state == "paused"


async def test_nothing_to_move_without_content(
    hass: HomeAssistant, account: MockConfigEntry
) -> None:
    origin = MediaPlayerSpeaker(hass, account.runtime_data.client, KITCHEN)
    now = dt_util.utcnow()
    record = SessionRecord("s", now, now, 1, True, EndReason.MOVED, KITCHEN, None)
    with pytest.raises(SpeakerError):
        await async_move(
            hass,
            origin,
            record,
            BATHROOM,
            NowPlaying(is_playing=True, target_id=KITCHEN, context_uri=None),
        )
