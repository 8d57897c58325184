"""The room form's speaker part: a Spotify Connect device or a Home Assistant media player."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, SPEAKER_NAME
from tests.fake_spotify import FakeSpotify
from tests.media_players import BASIC, FakePlayers
from tests.test_room_flow import (
    errors_of,
    fields,
    selector_config,
    start_add,
    start_reconfigure,
    subentry_id,
    submit,
    suggested,
)

PLAYER = "media_player.kitchen_sonos"
TV = "media_player.tv_without_play_media"


@pytest.fixture
def players(hass: HomeAssistant) -> FakePlayers:
    players = FakePlayers(hass)
    players.add(PLAYER, BASIC)
    players.add(TV, 0)
    return players


def media_input(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Kitchen",
        "motion_entities": [MOTION],
        "media_player_entity": PLAYER,
        "source": PLAYLIST,
        "shuffle": True,
        "timeout_minutes": 5,
        "cooldown_minutes": 2,
        "min_presence_seconds": 0,
        "max_session_minutes": 180,
        "only_when_idle": True,
        "quiet_hours_enabled": False,
        "quiet_days": ["mon"],
        "quiet_mode": "block",
        **overrides,
    }


async def test_add_a_media_player_room(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify, players: FakePlayers
) -> None:
    devices = len(speaker.requests_to("GET", "/me/player/devices"))
    result = await start_add(hass, loaded_entry, "media_player")
    assert result["step_id"] == "media_player"
    names = fields(result)
    assert "media_player_entity" in names
    assert not names & {"spotify_device_id", "wake_entity"}
    assert selector_config(result, "media_player_entity")["filter"] == [
        {
            "domain": ["media_player"],
            "supported_features": [512],  # PLAY_MEDIA
        }
    ]
    # No Spotify device list is needed for a media player room.
    assert len(speaker.requests_to("GET", "/me/player/devices")) == devices

    result = await submit(hass, result, media_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["media_player_entity"] == PLAYER
    assert not set(result["data"]) & {"spotify_device_id", "spotify_device_name", "wake_entity"}


@pytest.mark.parametrize(
    ("entity", "error"),
    [
        ("media_player.nowhere", "player_not_found"),
        ("light.kitchen", "player_not_found"),
        (TV, "player_cannot_play_media"),
    ],
)
async def test_media_player_must_exist_and_play_media(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    players: FakePlayers,
    entity: str,
    error: str,
) -> None:
    hass.states.async_set("light.kitchen", "on")
    result = await start_add(hass, loaded_entry, "media_player")
    result = await submit(hass, result, media_input(media_player_entity=entity))
    assert errors_of(result) == {"media_player_entity": error}


async def test_wake_entity_must_be_a_media_player(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, players: FakePlayers
) -> None:
    user_input = {
        **media_input(),
        "spotify_device_id": SPEAKER_ID,
        "wake_entity": "media_player.nowhere",
    }
    del user_input["media_player_entity"]
    result = await start_add(hass, loaded_entry)
    result = await submit(hass, result, user_input)
    assert errors_of(result) == {"wake_entity": "player_not_found"}

    result = await submit(hass, result, {**user_input, "wake_entity": PLAYER})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["wake_entity"] == PLAYER
    assert result["data"]["spotify_device_name"] == SPEAKER_NAME


async def test_reconfigure_switches_kinds_both_ways(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, players: FakePlayers
) -> None:
    bathroom = subentry_id(loaded_entry, "Bathroom")
    result = await start_reconfigure(hass, loaded_entry, bathroom, "media_player")
    assert result["step_id"] == "media_player"
    assert "spotify_device_id" not in suggested(result)
    result = await submit(hass, result, {**suggested(result), **media_input(name="Bathroom")})
    assert result["reason"] == "reconfigure_successful"
    data = dict(loaded_entry.subentries[bathroom].data)
    assert data["media_player_entity"] == PLAYER
    assert "spotify_device_id" not in data

    result = await start_reconfigure(hass, loaded_entry, bathroom, "spotify")
    assert "media_player_entity" not in suggested(result)
    user_input = {**suggested(result), "spotify_device_id": SPEAKER_ID}
    result = await submit(hass, result, user_input)
    assert result["reason"] == "reconfigure_successful"
    data = dict(loaded_entry.subentries[bathroom].data)
    assert data["spotify_device_id"] == SPEAKER_ID
    assert "media_player_entity" not in data


async def test_menu_aborts_when_the_account_is_not_loaded(
    hass: HomeAssistant, setup_credentials: None, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await start_add(hass, config_entry, "media_player")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"
