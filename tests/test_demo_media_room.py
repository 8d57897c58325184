"""The offline demo room (scripts/demo_media_room.py) on HA's own demo media player."""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
import sys
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.demo.media_player import DemoYoutubePlayer
from homeassistant.components.media_player.const import DATA_COMPONENT as MEDIA_PLAYER_COMPONENT
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import MOTION
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance, set_motion

sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
from demo_media_room import BEDROOM, BEDROOM_TITLE, DEMO_ROOM, DEMO_ROOMS, TITLE, add_demo_room

PLAYER = "media_player.living_room"


def test_script_adds_the_room_once(tmp_path: Path) -> None:
    assert "start HA once" in add_demo_room(tmp_path)
    storage = tmp_path / ".storage"
    storage.mkdir()
    path = storage / "core.config_entries"
    path.write_text(json.dumps({"data": {"entries": [{"domain": "demo", "title": "Demo"}]}}))
    assert "add it first" in add_demo_room(tmp_path)
    entries = [{"domain": "spottypottysense", "title": "Fake User", "subentries": []}]
    path.write_text(json.dumps({"data": {"entries": entries}}))
    assert add_demo_room(tmp_path) == f"added {TITLE!r}, {BEDROOM_TITLE!r} to Fake User"
    assert "already there" in add_demo_room(tmp_path)
    (entry,) = json.loads(path.read_text())["data"]["entries"]
    assert {room["title"]: room["data"] for room in entry["subentries"]} == DEMO_ROOMS
    assert {room["subentry_type"] for room in entry["subentries"]} == {"motion_sensor"}


@pytest.mark.parametrize(
    "rooms", [[{"title": TITLE, "data": {**DEMO_ROOM, "motion_entities": [MOTION]}}]]
)
async def test_demo_room_plays_on_the_demo_player(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    events: dict[str, list[Any]],
) -> None:
    # HA demo's own "Living Room" player (the demo integration as a whole needs more than the
    # test environment has), added to the real media_player component.
    assert await async_setup_component(hass, "media_player", {})
    component = hass.data[MEDIA_PLAYER_COMPONENT]
    await component.async_add_entities(
        [DemoYoutubePlayer("Living Room", "eyU3bRy2x44", "Fireplace", 300)]
    )
    await hass.async_block_till_done()
    assert hass.states.get(PLAYER) is not None
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    await set_motion(hass, MOTION, "on")
    state = hass.states.get(PLAYER)
    assert state is not None
    assert state.attributes["media_content_id"] == DEMO_ROOM["source"]
    assert state.attributes["volume_level"] == 0.3
    assert events["session_started"][0].data["owned"] is True

    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, timedelta(minutes=1))
    state = hass.states.get(PLAYER)
    assert state is not None
    assert state.state == "paused"
    assert events["session_ended"][0].data["reason"] == "timeout"


BEDROOM_PLAYER = "media_player.bedroom"
BEDROOM_MOTION = "binary_sensor.bedroom_motion"


@pytest.mark.parametrize(
    "rooms",
    [
        [
            {"title": TITLE, "data": {**DEMO_ROOM, "motion_entities": [MOTION]}},
            {"title": BEDROOM_TITLE, "data": BEDROOM},
        ]
    ],
)
async def test_the_music_follows_from_one_demo_player_to_the_other(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    events: dict[str, list[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """HA demo's own Living Room and Bedroom players: walk from one room into the other."""
    assert await async_setup_component(hass, "media_player", {})
    component = hass.data[MEDIA_PLAYER_COMPONENT]
    await component.async_add_entities(
        [
            DemoYoutubePlayer("Living Room", "eyU3bRy2x44", "Fireplace", 300),
            DemoYoutubePlayer("Bedroom", "kxopViU98Xo", "Epic sax guy 10 hours", 360000),
        ]
    )
    await hass.async_block_till_done()
    for motion in (MOTION, BEDROOM_MOTION):
        hass.states.async_set(motion, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    await set_motion(hass, MOTION, "on")
    await advance(hass, freezer, timedelta(seconds=40))
    await set_motion(hass, BEDROOM_MOTION, "on")
    bedroom = hass.states.get(BEDROOM_PLAYER)
    living = hass.states.get(PLAYER)
    assert bedroom is not None
    assert living is not None
    assert bedroom.state == "playing"
    assert bedroom.attributes["media_content_id"] == DEMO_ROOM["source"]
    # The demo player lists SEEK but its media_seek raises NotImplementedError: the move
    # stands (the music plays on from the player's own position), and is logged once.
    assert "media_seek on media_player.bedroom failed: NotImplementedError" in caplog.text
    assert living.state == "paused"
    (ended,) = events["session_ended"]
    assert (ended.data["room"], ended.data["reason"], ended.data["moved_to"]) == (
        TITLE,
        "moved",
        BEDROOM_TITLE,
    )
