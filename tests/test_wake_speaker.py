"""A Spotify Connect speaker that fell asleep is woken through its wake_entity, then played on."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock, call

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spottypottysense.const import DOMAIN
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, SPEAKER_NAME, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import set_motion
from tests.media_players import FakePlayers

WAKE = "media_player.bathroom_cast"
DEVICES = ("GET", "/me/player/devices")
PLAY = ("PUT", "/me/player/play")

pytestmark = pytest.mark.parametrize(
    "rooms", [[{"title": "Bathroom", "data": room_data(wake_entity=WAKE)}]]
)


@pytest.fixture
def players(hass: HomeAssistant) -> FakePlayers:
    players = FakePlayers(hass)
    players.add(WAKE).set("off")
    return players


@pytest.fixture
async def asleep(
    hass: HomeAssistant,
    players: FakePlayers,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The room set up while its speaker has dropped off Spotify's device list."""
    speaker.remove_device(SPEAKER_ID)
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def _since(fake: FakeSpotify, mark: int) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request in fake.requests[mark:]]


async def test_speaker_appears_after_turn_on_and_plays(
    hass: HomeAssistant,
    asleep: MockConfigEntry,
    players: FakePlayers,
    speaker: FakeSpotify,
    instant_backoff: AsyncMock,
    events: dict[str, list[Any]],
) -> None:
    players.hooks["turn_on"] = lambda data: speaker.add_device(SPEAKER_ID, SPEAKER_NAME)
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")

    assert players.players[WAKE].since(0) == [("turn_on", {})]
    assert _since(speaker, mark)[:5] == [("GET", "/me/player"), PLAY, DEVICES, DEVICES, PLAY]
    assert instant_backoff.await_args_list == [call(2.0)]  # one poll was enough
    assert speaker.playback is not None
    assert speaker.playback.device_id == SPEAKER_ID
    assert speaker.playback.context_uri == PLAYLIST
    assert events["session_started"][0].data["owned"] is True


async def test_speaker_never_appears_bounded_wait_then_device_not_found(
    hass: HomeAssistant,
    asleep: MockConfigEntry,
    players: FakePlayers,
    speaker: FakeSpotify,
    instant_backoff: AsyncMock,
    events: dict[str, list[Any]],
    issue_registry: ir.IssueRegistry,
) -> None:
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")

    assert players.players[WAKE].since(0) == [("turn_on", {})]
    calls = _since(speaker, mark)
    assert calls.count(DEVICES) == 1 + 3  # the name lookup, then at most 3 polls
    assert calls.count(PLAY) == 1
    waits = [args.args[0] for args in instant_backoff.await_args_list]
    assert len(waits) == 3
    assert sum(waits) <= 10
    assert events["playback_failed"][0].data["error"] == "device_not_found"
    subentry_id = next(iter(asleep.subentries))
    assert issue_registry.async_get_issue(DOMAIN, f"speaker_missing_{subentry_id}") is not None
