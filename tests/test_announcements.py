"""Announcements give way: a TTS message or a chime on a room's speaker is not a takeover.

The session stays ours through an announcement, its timers run as usual, and what resumes
afterwards is paused once the room is empty; an announcement never starts music, and music
someone else starts after one is left alone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.media_player.const import MediaPlayerEntityFeature as F
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spottypottysense.player_watch import PlayerWatch
from custom_components.spottypottysense.speaker_spotify import SpotifyConnectSpeaker
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance, set_motion
from tests.media_players import FULL, FakePlayer, FakePlayers
from tests.test_player_border import (  # noqa: F401 - fixtures (room uses this file's player)
    NOON,
    PLAYER,
    TIMEOUT,
    media_room,
    room,
    short_limit,
)

TTS = "media-source://tts/cloud?message=Dinner+is+ready"
WAKE = "media_player.bathroom_cast"


def _pauses(player: FakePlayer) -> int:
    return sum(1 for service, _ in player.calls if service in ("media_pause", "media_stop"))


def _announce(player: FakePlayer, content_id: str = TTS) -> None:
    player.set("playing", media_content_id=content_id, media_content_type="music")


@pytest.fixture
def players(hass: HomeAssistant) -> FakePlayers:
    return FakePlayers(hass)


@pytest.fixture
def player(players: FakePlayers) -> FakePlayer:
    return players.add(PLAYER, FULL | F.MEDIA_ANNOUNCE, volume_level=0.5)


@pytest.mark.parametrize("rooms", [media_room()])
async def test_an_announcement_mid_session_then_the_timeout_pauses_once(
    hass: HomeAssistant,
    player: FakePlayer,
    room: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    assert player.state == "playing"
    _announce(player)
    await hass.async_block_till_done()
    player.set("playing", media_content_id=PLAYLIST)  # the player hands back
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, TIMEOUT)
    assert player.state == "paused"
    assert _pauses(player) == 1
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "timeout"


@pytest.mark.parametrize("rooms", [media_room()])
async def test_the_room_empties_during_an_announcement_then_ours_is_paused(
    hass: HomeAssistant,
    player: FakePlayer,
    room: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, TIMEOUT - timedelta(seconds=5))
    _announce(player)
    await advance(hass, freezer, timedelta(seconds=5))  # the session ends mid-announcement
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "timeout"  # not "someone else took over"
    assert _pauses(player) == 0  # the announcement is not cut off
    player.set("playing", media_position=3)  # the announcement goes on
    await hass.async_block_till_done()
    assert _pauses(player) == 0
    player.set("playing", media_content_id=PLAYLIST)  # hands back to our playlist
    await hass.async_block_till_done()
    assert player.state == "paused"
    assert _pauses(player) == 1
    player.set("playing")  # a later play is the user's: the watch is over
    await hass.async_block_till_done()
    assert _pauses(player) == 1


@pytest.mark.parametrize("rooms", [media_room()])
async def test_an_announcement_in_an_empty_room_never_starts_music(
    hass: HomeAssistant, player: FakePlayer, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    mark = len(speaker.requests)
    _announce(player)
    await hass.async_block_till_done()
    player.set("idle", media_content_id=None)
    await hass.async_block_till_done()
    assert player.calls == []
    assert [r for r in speaker.requests[mark:] if r.method != "GET"] == []
    state = hass.states.get("sensor.bathroom_status")
    assert state is not None
    assert state.state == "idle"


@pytest.mark.parametrize("rooms", [media_room()])
async def test_user_music_after_the_announcement_is_released(
    hass: HomeAssistant,
    player: FakePlayer,
    room: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    _announce(player)
    await hass.async_block_till_done()
    player.set("playing", media_content_id="spotify:album:someoneelses")
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, TIMEOUT)
    assert player.state == "playing"
    assert _pauses(player) == 0
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "released"


@pytest.mark.parametrize("rooms", [media_room()])
async def test_user_music_after_an_announcement_at_the_end_is_left_alone(
    hass: HomeAssistant,
    player: FakePlayer,
    room: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    _announce(player)
    await advance(hass, freezer, TIMEOUT)
    player.set("playing", media_content_id="spotify:album:someoneelses")
    await hass.async_block_till_done()
    player.set("playing", media_content_id=PLAYLIST)  # later, by hand: not ours any more
    await hass.async_block_till_done()
    assert _pauses(player) == 0


@pytest.mark.parametrize("rooms", [media_room()])
async def test_a_chime_on_a_player_that_announces(
    hass: HomeAssistant,
    player: FakePlayer,
    room: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    _announce(player, "http://homeassistant.local:8123/local/doorbell.mp3")
    await advance(hass, freezer, TIMEOUT)
    assert events["session_ended"][0].data["reason"] == "timeout"
    player.set("playing", media_content_id=PLAYLIST)
    await hass.async_block_till_done()
    assert player.state == "paused"


@pytest.mark.parametrize("rooms", [[{"title": "Bathroom", "data": room_data(wake_entity=WAKE)}]])
async def test_spotify_paused_by_an_announcement_on_its_player_is_paused_when_it_resumes(
    hass: HomeAssistant,
    players: FakePlayers,
    room: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    """The speaker's HA player announces; it pauses Spotify meanwhile and resumes it after."""
    cast = players.add(WAKE, FULL | F.MEDIA_ANNOUNCE)
    cast.set("playing", media_content_id="spotify:playlist:x", app_name="Spotify")
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, TIMEOUT - timedelta(seconds=5))
    speaker.user_pause()  # the player pauses Spotify for the announcement
    _announce(cast)
    await advance(hass, freezer, timedelta(seconds=5))
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "timeout"
    pauses = len(speaker.requests_to("PUT", "/me/player/pause"))
    assert pauses == 0

    speaker.user_play(PLAYLIST, SPEAKER_ID)  # the player resumes Spotify: still our playlist
    cast.set("playing", media_content_id="spotify:playlist:x")
    await hass.async_block_till_done()
    assert len(speaker.requests_to("PUT", "/me/player/pause")) == 1
    assert speaker.playback is not None
    assert not speaker.playback.is_playing


@pytest.mark.parametrize("rooms", [[{"title": "Bathroom", "data": room_data(wake_entity=WAKE)}]])
async def test_spotify_room_without_an_announcement_is_released_as_before(
    hass: HomeAssistant,
    players: FakePlayers,
    room: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    cast = players.add(WAKE, FULL | F.MEDIA_ANNOUNCE)
    cast.set("idle")
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    speaker.user_play("spotify:album:someoneelses", SPEAKER_ID)
    await advance(hass, freezer, TIMEOUT)
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "released"
    cast.set("playing")
    await hass.async_block_till_done()
    assert speaker.requests_to("PUT", "/me/player/pause") == []


@pytest.mark.parametrize("rooms", [media_room()])
async def test_a_pause_that_fails_after_the_announcement_is_logged_once(
    hass: HomeAssistant,
    players: FakePlayers,
    player: FakePlayer,
    room: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    _announce(player)
    await advance(hass, freezer, TIMEOUT)

    async def refuse(player: FakePlayer, data: dict[str, Any]) -> None:
        raise RuntimeError("the player refused")

    players.misbehave["media_pause"] = refuse
    player.set("playing", media_content_id=PLAYLIST)
    await hass.async_block_till_done()
    assert "came back but could not be paused" in caplog.text
    player.set("playing", media_content_id=PLAYLIST, media_position=5)
    await hass.async_block_till_done()
    assert caplog.text.count("came back but could not be paused") == 1  # the watch is over


def test_a_speaker_without_an_ha_player_is_not_watched(hass: HomeAssistant) -> None:
    watch = PlayerWatch(hass, lambda coro, name: coro.close(), lambda: True)
    speaker = SpotifyConnectSpeaker(None, "device", None)  # type: ignore[arg-type]
    watch.watch(speaker, None)  # type: ignore[arg-type]
    assert not watch.watching
