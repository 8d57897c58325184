"""Another integration's media player can do anything; our rooms hold at the border.

Each test lets HA's own media_player actions misbehave (tests/media_players.py): raise any
exception, be cancelled, play and then raise, hang, never reach *playing*, vanish and come
back. Whatever it does: no task exception reaches HA's log, the status and events say what
happened, and no music we started plays to an empty room for longer than one time limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.spottypottysense.player_watch import WATCH_WINDOW
from tests.conftest import MOTION, PLAYLIST, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance, set_motion
from tests.media_players import FULL, FakePlayer, FakePlayers

PLAYER = "media_player.bathroom_sonos"
STATUS = "sensor.bathroom_status"
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=dt_util.UTC)
TIMEOUT = timedelta(minutes=5)
LIMIT = 0.05  # the service calls' time limit in these tests (15 s in use)


def media_room(**overrides: Any) -> list[dict[str, Any]]:
    data = {
        key: value
        for key, value in room_data(only_when_idle=False, **overrides).items()
        if key not in ("spotify_device_id", "spotify_device_name")
    }
    return [{"title": "Bathroom", "data": {"media_player_entity": PLAYER, **data}}]


pytestmark = pytest.mark.parametrize("rooms", [media_room()])


@pytest.fixture(autouse=True)
def short_limit() -> Generator[None]:
    with patch("custom_components.spottypottysense.speaker_media_player.SERVICE_TIMEOUT", LIMIT):
        yield


@pytest.fixture
def players(hass: HomeAssistant) -> FakePlayers:
    return FakePlayers(hass)


@pytest.fixture
def player(players: FakePlayers) -> FakePlayer:
    return players.add(PLAYER, FULL, volume_level=0.5, shuffle=True)


@pytest.fixture
async def room(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    player: FakePlayer,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    freezer.move_to(NOON)
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def _status(hass: HomeAssistant) -> str:
    state = hass.states.get(STATUS)
    assert state is not None
    return state.state


def _nothing_unhandled(caplog: pytest.LogCaptureFixture) -> None:
    """No task exception, no traceback: every failure was handled at our border."""
    assert "Traceback" not in caplog.text
    assert "exception was never retrieved" not in caplog.text
    assert "Error doing job" not in caplog.text


def _raises(error: BaseException) -> Any:
    async def misbehave(player: FakePlayer, data: dict[str, Any]) -> None:
        raise error

    return misbehave


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("boom"),
        TypeError("bad argument"),
        OSError("connection reset"),
        AttributeError("'NoneType' object has no attribute 'play'"),
        asyncio.CancelledError(),
    ],
    ids=["RuntimeError", "TypeError", "OSError", "AttributeError", "cancelled"],
)
async def test_play_media_raising_anything_fails_the_start_cleanly(
    hass: HomeAssistant,
    room: MockConfigEntry,
    players: FakePlayers,
    player: FakePlayer,
    events: dict[str, list[Any]],
    caplog: pytest.LogCaptureFixture,
    error: BaseException,
) -> None:
    players.misbehave["play_media"] = _raises(error)
    await set_motion(hass, MOTION, "on")

    assert _status(hass) == "error"
    (failed,) = events["playback_failed"]
    assert failed.data["error"] == "player_unavailable"
    assert player.state == "idle"
    _nothing_unhandled(caplog)


async def test_play_media_that_plays_and_then_raises_is_ours_and_paused(
    hass: HomeAssistant,
    room: MockConfigEntry,
    players: FakePlayers,
    player: FakePlayer,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def plays_then_raises(player: FakePlayer, data: dict[str, Any]) -> None:
        player.set("playing", media_content_id=data["media_content_id"])
        raise RuntimeError("lost the connection after starting")

    players.misbehave["play_media"] = plays_then_raises
    await set_motion(hass, MOTION, "on")
    assert _status(hass) == "playing"
    assert events["playback_failed"] == []

    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, TIMEOUT)
    assert player.state == "paused"
    _nothing_unhandled(caplog)


async def _motion_then_past_the_limit(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Motion, then the clock past the call's time limit (a hung call blocks no wait here)."""
    hass.states.async_set(MOTION, "on", {"device_class": "motion"})
    await asyncio.sleep(0)
    freezer.tick(timedelta(seconds=LIMIT * 3))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_a_call_that_hangs_past_its_limit_fails_and_plays_nothing(
    hass: HomeAssistant,
    room: MockConfigEntry,
    players: FakePlayers,
    player: FakePlayer,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def hangs(player: FakePlayer, data: dict[str, Any]) -> None:
        await asyncio.Event().wait()

    players.misbehave["play_media"] = hangs
    await _motion_then_past_the_limit(hass, freezer)

    assert _status(hass) == "error"
    assert len(events["playback_failed"]) == 1
    assert player.state == "idle"
    _nothing_unhandled(caplog)


async def test_a_call_that_plays_then_hangs_is_ours_and_paused(
    hass: HomeAssistant,
    room: MockConfigEntry,
    players: FakePlayers,
    player: FakePlayer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def plays_then_hangs(player: FakePlayer, data: dict[str, Any]) -> None:
        player.set("playing", media_content_id=data["media_content_id"])
        await asyncio.Event().wait()

    players.misbehave["play_media"] = plays_then_hangs
    await _motion_then_past_the_limit(hass, freezer)
    assert _status(hass) == "playing"

    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, TIMEOUT)
    assert player.state == "paused"
    _nothing_unhandled(caplog)


@pytest.mark.parametrize("stuck", ["buffering", "idle", "on"])
async def test_a_player_reaching_playing_after_the_end_is_paused_then(
    hass: HomeAssistant,
    room: MockConfigEntry,
    players: FakePlayers,
    player: FakePlayer,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
    caplog: pytest.LogCaptureFixture,
    stuck: str,
) -> None:
    async def slow_to_start(player: FakePlayer, data: dict[str, Any]) -> None:
        player.set(stuck, media_content_id=data["media_content_id"])

    players.misbehave["play_media"] = slow_to_start
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, TIMEOUT)
    (ended,) = events["session_ended"]  # the end could not pause what was not playing yet
    assert ended.data["reason"] == "released"

    await advance(hass, freezer, timedelta(minutes=1))
    player.set("playing")  # our source, at last
    await hass.async_block_till_done()
    assert player.state == "paused"
    _nothing_unhandled(caplog)


async def test_a_player_unavailable_at_the_end_is_paused_when_it_comes_back(
    hass: HomeAssistant,
    room: MockConfigEntry,
    player: FakePlayer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await set_motion(hass, MOTION, "on")
    assert player.state == "playing"
    await set_motion(hass, MOTION, "off")
    player.set("unavailable")
    await advance(hass, freezer, TIMEOUT)

    await advance(hass, freezer, timedelta(minutes=1))
    player.set("playing", media_content_id=PLAYLIST)  # back, and still on our playlist
    await hass.async_block_till_done()
    assert player.state == "paused"
    _nothing_unhandled(caplog)


async def test_a_player_coming_back_with_someone_in_the_room_is_left_playing(
    hass: HomeAssistant,
    room: MockConfigEntry,
    player: FakePlayer,
    freezer: FrozenDateTimeFactory,
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    player.set("unavailable")
    await advance(hass, freezer, TIMEOUT)
    # Cooldown: someone is back but no session starts yet; the room is not empty.
    hass.states.async_set(MOTION, "on", {"device_class": "motion"})
    await hass.async_block_till_done()
    player.set("playing", media_content_id=PLAYLIST)
    await hass.async_block_till_done()
    assert player.state == "playing"


async def test_the_watch_ends_after_its_window(
    hass: HomeAssistant,
    room: MockConfigEntry,
    player: FakePlayer,
    freezer: FrozenDateTimeFactory,
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    player.set("unavailable")
    await advance(hass, freezer, TIMEOUT)
    await advance(hass, freezer, WATCH_WINDOW)
    player.set("playing", media_content_id=PLAYLIST)
    await hass.async_block_till_done()
    assert player.state == "playing"  # long after: whoever plays it now, it is not our session


async def test_other_music_on_the_player_after_the_end_is_left_alone(
    hass: HomeAssistant,
    room: MockConfigEntry,
    player: FakePlayer,
    freezer: FrozenDateTimeFactory,
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    player.set("unavailable")
    await advance(hass, freezer, TIMEOUT)
    player.set("playing", media_content_id="spotify:album:someoneelses")
    await hass.async_block_till_done()
    assert player.state == "playing"


async def test_unload_stops_the_watch(
    hass: HomeAssistant,
    room: MockConfigEntry,
    player: FakePlayer,
    freezer: FrozenDateTimeFactory,
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    player.set("unavailable")
    await advance(hass, freezer, TIMEOUT)
    assert await hass.config_entries.async_unload(room.entry_id)
    player.set("playing", media_content_id=PLAYLIST)
    await hass.async_block_till_done()
    assert player.state == "playing"
