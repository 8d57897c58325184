"""Actions and controls wait for the speaker and say when it failed; the status shows starting."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spottypottysense.const import DOMAIN
from custom_components.spottypottysense.controller import RoomController
from tests.conftest import MOTION, SPEAKER_ID, room_data
from tests.fake_spotify import FakeSpotify

STATUS = "sensor.bathroom_status"
BUTTON = "button.bathroom_stop_session"
SWITCH = "switch.bathroom_enabled"


def status(hass: HomeAssistant) -> str:
    state = hass.states.get(STATUS)
    assert state is not None
    return state.state


def bathroom(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    (subentry_id,) = entry.subentries
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, subentry_id), entry.entry_id
    )
    assert device is not None
    return {"device_id": device.id}


async def act(hass: HomeAssistant, domain: str, service: str, **kwargs: Any) -> None:
    """Call an action the way the UI does: blocking, and nothing awaited after it."""
    await hass.services.async_call(domain, service, blocking=True, **kwargs)


async def start(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await act(hass, DOMAIN, "start_session", target=bathroom(hass, entry))


def played(fake: FakeSpotify) -> int:
    return len(fake.requests_to("PUT", "/me/player/play"))


async def test_start_session_returns_once_the_music_plays(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    await start(hass, loaded_entry)
    # No waiting after the call: the action itself waited for Spotify.
    assert played(speaker) == 1
    assert speaker.playback is not None
    assert speaker.playback.is_playing
    assert status(hass) == "playing"


async def test_start_session_with_spotify_down_raises_and_shows_the_error(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.fail("*", "*", 503, times=None)
    with pytest.raises(HomeAssistantError) as err:
        await start(hass, loaded_entry)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "start_failed"
    assert str(err.value) == "Bathroom: the music did not start: Could not reach Spotify"
    assert status(hass) == "error"


async def test_the_status_shows_starting_until_spotify_answered(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.delay("PUT", "/me/player/play", 0.2)
    call = hass.async_create_task(start(hass, loaded_entry))
    for _ in range(100):  # until the action opened the session (a few loop turns)
        if status(hass) != "idle":
            break
        await asyncio.sleep(0.01)
    assert status(hass) == "starting"
    assert not call.done()
    await call
    assert status(hass) == "playing"


async def test_a_motion_start_stays_in_the_background(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.delay("PUT", "/me/player/play", 0.05)
    hass.states.async_set(MOTION, "on", {"device_class": "motion"})
    await asyncio.sleep(0)
    assert status(hass) == "starting"
    await hass.async_block_till_done()
    assert status(hass) == "playing"


async def test_a_slow_speaker_is_reported_and_the_start_goes_on(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.delay("PUT", "/me/player/play", 0.3)
    with (
        patch.object(RoomController, "action_timeout", return_value=0.05),
        pytest.raises(HomeAssistantError) as err,
    ):
        await start(hass, loaded_entry)
    assert err.value.translation_key == "speaker_slow"
    assert "0.05 s" in str(err.value)
    await hass.async_block_till_done()
    assert status(hass) == "playing"


@pytest.mark.parametrize(
    ("domain", "service", "target"),
    [
        (DOMAIN, "stop_session", None),
        ("button", "press", {"entity_id": BUTTON}),
        ("switch", "turn_off", {"entity_id": SWITCH}),
    ],
    ids=["stop_session", "stop button", "enabled switch off"],
)
async def test_a_pause_that_failed_is_reported(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    domain: str,
    service: str,
    target: dict[str, Any] | None,
) -> None:
    await start(hass, loaded_entry)
    speaker.fail("PUT", "/me/player/pause", 503, times=None)
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, domain, service, target=target or bathroom(hass, loaded_entry))
    assert err.value.translation_key == "stop_failed"
    assert str(err.value) == "Bathroom: the music could not be paused: Could not reach Spotify"


@pytest.mark.parametrize(
    ("domain", "service", "target"),
    [
        (DOMAIN, "stop_session", None),
        ("button", "press", {"entity_id": BUTTON}),
        ("switch", "turn_off", {"entity_id": SWITCH}),
    ],
    ids=["stop_session", "stop button", "enabled switch off"],
)
async def test_a_stop_returns_once_the_music_is_paused(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    domain: str,
    service: str,
    target: dict[str, Any] | None,
) -> None:
    await start(hass, loaded_entry)
    await act(hass, domain, service, target=target or bathroom(hass, loaded_entry))
    assert [r.query["device_id"] for r in speaker.requests_to("PUT", "/me/player/pause")] == [
        SPEAKER_ID
    ]
    assert speaker.playback is not None
    assert not speaker.playback.is_playing


async def test_switching_a_room_on_again_needs_no_speaker(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    await act(hass, "switch", "turn_off", target={"entity_id": SWITCH})
    speaker.fail("*", "*", 503, times=None)
    await act(hass, "switch", "turn_on", target={"entity_id": SWITCH})
    assert status(hass) == "idle"


@pytest.mark.parametrize(
    ("rooms", "limit"),
    [
        ([{"title": "Bathroom", "data": room_data()}], 30.0),
        (
            [
                {
                    "title": "Bathroom",
                    "data": {
                        **{
                            key: value
                            for key, value in room_data().items()
                            if key not in ("spotify_device_id", "spotify_device_name")
                        },
                        "media_player_entity": "media_player.bathroom_sonos",
                    },
                }
            ],
            45.0,
        ),
    ],
    ids=["spotify", "media_player"],
)
async def test_an_action_waits_as_long_as_the_readme_promises_per_speaker_kind(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, limit: float
) -> None:
    """At most 30 s for a Spotify Connect room (three requests), 45 s for a media player."""
    (controller,) = loaded_entry.runtime_data.manager.controllers.values()
    assert controller.action_timeout() == limit
