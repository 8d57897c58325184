"""Approach sensors: someone seen coming is read ahead, so motion in the room sends only the play.

An approach not followed by motion costs one read and nothing else; a read older than the
approach window is not used; a busy account at the read still means *observed*.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spottypottysense.engine import RoomEngine
from custom_components.spottypottysense.options import RoomOptions
from custom_components.spottypottysense.records import RoomState
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance, set_motion

HALL = "binary_sensor.hallway_motion"
READ = ("GET", "/me/player")
PLAY = ("PUT", "/me/player/play")
T0 = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def approaching(**options: Any) -> list[dict[str, Any]]:
    return [{"title": "Bathroom", "data": room_data(approach_entities=[HALL], **options)}]


@pytest.fixture
async def room(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The room, set up on the real clock: tests that move time take the clock fixture."""
    for entity_id in (MOTION, HALL):
        hass.states.async_set(entity_id, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def sent(fake: FakeSpotify, mark: int) -> list[tuple[str, str]]:
    """The reads and plays since `mark` (volume and shuffle follow the play: music is on)."""
    return [(r.method, r.path) for r in fake.requests[mark:] if (r.method, r.path) in (READ, PLAY)]


@pytest.mark.parametrize("rooms", [approaching()])
async def test_motion_after_an_approach_sends_only_the_play(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify, freezer: FrozenDateTimeFactory
) -> None:
    mark = len(speaker.requests)
    await set_motion(hass, HALL, "on")
    assert sent(speaker, mark) == [READ]  # read ahead, while they are in the hallway
    freezer.tick(timedelta(seconds=10))
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")
    assert sent(speaker, mark) == [PLAY]  # one round trip
    assert speaker.requests_to(*PLAY)[-1].json["context_uri"] == PLAYLIST


@pytest.mark.parametrize("rooms", [approaching()])
async def test_an_approach_not_followed_by_motion_costs_one_read(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify, freezer: FrozenDateTimeFactory
) -> None:
    mark = len(speaker.requests)
    await set_motion(hass, HALL, "on")
    await set_motion(hass, HALL, "off")
    await advance(hass, freezer, timedelta(minutes=10))
    assert [(r.method, r.path) for r in speaker.requests[mark:]] == [READ]


@pytest.mark.parametrize("rooms", [approaching()])
async def test_a_stale_approach_read_is_not_used(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify, freezer: FrozenDateTimeFactory
) -> None:
    await set_motion(hass, HALL, "on")
    freezer.tick(timedelta(seconds=31))  # past the 30 s default
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")
    assert sent(speaker, mark) == [READ, PLAY]


@pytest.mark.parametrize("rooms", [approaching(approach_window_seconds=60)])
async def test_the_approach_window_is_an_option(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify, freezer: FrozenDateTimeFactory
) -> None:
    await set_motion(hass, HALL, "on")
    freezer.tick(timedelta(seconds=45))
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")
    assert sent(speaker, mark) == [PLAY]


@pytest.mark.parametrize("rooms", [approaching()])
async def test_a_busy_account_at_the_read_still_means_observed(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.user_play("spotify:album:someoneelses", "phone")
    await set_motion(hass, HALL, "on")
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")
    assert sent(speaker, mark) == []  # nothing sent: the music someone plays is left alone
    state = hass.states.get("sensor.bathroom_status")
    assert state is not None
    assert state.state == "observing"


@pytest.mark.parametrize("rooms", [approaching()])
async def test_motion_during_the_approach_read_waits_for_it(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.delay(*READ, 0.2)
    mark = len(speaker.requests)
    hass.states.async_set(HALL, "on", {"device_class": "motion"})
    await asyncio.sleep(0)
    hass.states.async_set(MOTION, "on", {"device_class": "motion"})
    await hass.async_block_till_done()
    assert sent(speaker, mark) == [READ, PLAY]  # one read for both


@pytest.mark.parametrize(
    "rooms",
    [
        approaching(only_when_idle=False),  # a start that reads nothing: nothing to prepare
    ],
)
async def test_no_read_when_the_start_would_not_read(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    mark = len(speaker.requests)
    await set_motion(hass, HALL, "on")
    assert sent(speaker, mark) == []
    await set_motion(hass, MOTION, "on")
    assert sent(speaker, mark) == [PLAY]


@pytest.mark.parametrize("rooms", [approaching()])
async def test_no_read_in_session_or_from_a_reconnect(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    await set_motion(hass, MOTION, "on")  # in session now
    mark = len(speaker.requests)
    await set_motion(hass, HALL, "on")
    await set_motion(hass, HALL, "unavailable")
    await set_motion(hass, HALL, "on")  # unavailable → on: a reconnect, nobody coming
    assert sent(speaker, mark) == []


@pytest.mark.parametrize("rooms", [approaching()])
async def test_a_failed_approach_read_costs_nothing_more(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.fail(*READ, 500, times=None)
    await set_motion(hass, HALL, "on")
    speaker.clear_faults()
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")
    assert sent(speaker, mark) == [READ, PLAY]  # the start reads for itself


@pytest.mark.parametrize("rooms", [approaching()])
async def test_unload_drops_a_read_under_way(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.delay(*READ, 0.2)
    hass.states.async_set(HALL, "on", {"device_class": "motion"})
    await asyncio.sleep(0)
    assert await hass.config_entries.async_unload(room.entry_id)
    await hass.async_block_till_done()


def test_the_engine_reads_ahead_only_when_a_start_would_read() -> None:
    now = T0
    engine = RoomEngine(RoomOptions(), RoomState(), new_id=lambda: "s1")
    assert engine.wants_preparation(now)
    engine.presence_changed(now, True)
    assert not engine.wants_preparation(now)  # in session
    idle_off = RoomEngine(RoomOptions(only_when_idle=False), RoomState(), new_id=lambda: "s")
    assert not idle_off.wants_preparation(now)
    follow = RoomEngine(
        RoomOptions(only_when_idle=False, follow_me=True), RoomState(), new_id=lambda: "s"
    )
    assert follow.wants_preparation(now)
    off = RoomEngine(RoomOptions(), RoomState(enabled=False), new_id=lambda: "s")
    assert not off.wants_preparation(now)
    assert SPEAKER_ID


@pytest.mark.parametrize("rooms", [approaching()])
async def test_a_second_approach_during_the_read_reads_nothing_more(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.delay(*READ, 0.2)
    mark = len(speaker.requests)
    hass.states.async_set(HALL, "on", {"device_class": "motion"})
    await asyncio.sleep(0)
    hass.states.async_set(HALL, "off", {"device_class": "motion"})
    hass.states.async_set(HALL, "on", {"device_class": "motion"})
    await hass.async_block_till_done()
    assert sent(speaker, mark) == [READ]


MEDIA_ROOM = {
    key: value
    for key, value in room_data(approach_entities=[HALL]).items()
    if key not in ("spotify_device_id", "spotify_device_name")
}


@pytest.mark.parametrize(
    "rooms",
    [[{"title": "Bathroom", "data": {**MEDIA_ROOM, "media_player_entity": "media_player.tv"}}]],
)
async def test_a_media_player_room_reads_nothing_ahead(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    mark = len(speaker.requests)
    await set_motion(hass, HALL, "on")
    assert sent(speaker, mark) == []
