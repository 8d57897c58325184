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
from demo_media_room import DEMO_ROOM, TITLE, add_demo_room

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
    assert add_demo_room(tmp_path) == f"added {TITLE!r} to Fake User"
    assert "already there" in add_demo_room(tmp_path)
    (entry,) = json.loads(path.read_text())["data"]["entries"]
    (room,) = entry["subentries"]
    assert room["data"] == DEMO_ROOM
    assert room["subentry_type"] == "motion_sensor"


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
