"""The logbook describes the session events in words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.components.recorder import Recorder
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.spottypottysense.const import DOMAIN
from custom_components.spottypottysense.logbook import async_describe_events, describe
from tests.conftest import MOTION, SPEAKER_ID
from tests.fake_spotify import FakeSpotify

STARTED = f"{DOMAIN}_session_started"
ENDED = f"{DOMAIN}_session_ended"
FAILED = f"{DOMAIN}_playback_failed"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The logbook needs the recorder, and the recorder must start before hass is set up."""


def _describers(hass: HomeAssistant) -> dict[str, tuple[str, Callable[[Event], dict[str, str]]]]:
    collected: dict[str, tuple[str, Callable[[Event], dict[str, str]]]] = {}

    def collect(domain: str, event_type: str, describe: Callable[[Event], dict[str, str]]) -> None:
        collected[event_type] = (domain, describe)

    async_describe_events(hass, collect)
    return collected


def _line(hass: HomeAssistant, event_type: str, data: dict[str, Any]) -> tuple[str, str]:
    _, describe = _describers(hass)[event_type]
    entry = describe(Event(event_type, data))
    return entry[LOGBOOK_ENTRY_NAME], entry[LOGBOOK_ENTRY_MESSAGE]


async def test_the_three_events_are_described(hass: HomeAssistant) -> None:
    describers = _describers(hass)
    assert set(describers) == {STARTED, ENDED, FAILED}
    assert {domain for domain, _ in describers.values()} == {DOMAIN}


@pytest.mark.parametrize(
    ("event_type", "data", "message"),
    [
        (STARTED, {"owned": True}, "started playing Spotify"),
        (
            STARTED,
            {"owned": True, "joined": True, "joined_from": "Kitchen"},
            "joined the music of Kitchen (both play in sync)",
        ),
        (
            STARTED,
            {"owned": True, "moved": True, "moved_from": "Kitchen"},
            "took over the music of Kitchen",
        ),
        (
            ENDED,
            {"duration": 390, "reason": "timeout", "left_group": True},
            "ended the session after 6 min because nobody was there any more; it left the "
            "player group and the other room plays on",
        ),
        (
            STARTED,
            {"owned": False},
            "started a session; Spotify was already playing, so it was left alone",
        ),
        (
            ENDED,
            {"duration": 390, "reason": "timeout"},
            "ended the session after 6 min because nobody was there any more",
        ),
        (
            ENDED,
            {"duration": 12, "reason": "manual"},
            "ended the session after under a minute because it was stopped by hand",
        ),
        (
            ENDED,
            {"duration": 3 * 3600, "reason": "max_duration"},
            "ended the session after 3 h because it reached its maximum length",
        ),
        (
            ENDED,
            {"duration": 3900, "reason": "disabled"},
            "ended the session after 1 h 5 min because the room was switched off",
        ),
        (
            ENDED,
            {"duration": 60, "reason": "released"},
            "ended the session after 1 min because someone else took over playback",
        ),
        (
            ENDED,
            {"duration": 600, "reason": "removed"},
            "ended the session after 10 min because the room was removed",
        ),
        (
            ENDED,
            {"duration": 240, "reason": "moved", "moved_to": "Kitchen"},
            "ended the session after 4 min because the music moved to Kitchen",
        ),
        (
            ENDED,
            {"duration": 240, "reason": "moved"},
            "ended the session after 4 min because the music moved to another room",
        ),
        # Hand-made events (fired by an automation) must not break the logbook.
        (ENDED, {"reason": "timeout"}, "ended the session because nobody was there any more"),
        (ENDED, {"duration": "soon", "reason": "mystery"}, "ended the session because mystery"),
        (
            FAILED,
            {"error": "device_not_found"},
            "could not start Spotify: the speaker was not found",
        ),
        (
            FAILED,
            {"error": "cannot_connect"},
            "could not start Spotify: Spotify could not be reached",
        ),
        (FAILED, {"error": "teapot"}, "could not start Spotify: teapot"),
    ],
)
async def test_messages(
    hass: HomeAssistant, event_type: str, data: dict[str, Any], message: str
) -> None:
    assert _line(hass, event_type, {"sensor": "Bathroom", **data}) == ("Bathroom", message)


async def test_an_event_without_a_sensor_name(hass: HomeAssistant) -> None:
    assert _line(hass, STARTED, {"owned": True})[0] == "SpottyPottySense"


async def test_the_logbook_shows_a_real_session(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    await hass.async_block_till_done()
    start = dt_util.utcnow()
    (subentry,) = loaded_entry.subentries.values()
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, subentry.subentry_id), loaded_entry.entry_id
    )
    assert device is not None

    hass.states.async_set(MOTION, "on", {"device_class": "motion"})
    await hass.async_block_till_done()
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.bathroom_stop_session"}, blocking=True
    )
    await hass.async_block_till_done()
    speaker.remove_device(SPEAKER_ID)
    with pytest.raises(HomeAssistantError):  # the action says the speaker could not start
        await hass.services.async_call(
            DOMAIN, "start_session", target={"device_id": device.id}, blocking=True
        )
    await async_wait_recording_done(hass)

    client = await hass_ws_client(hass)
    # The room's own logbook (filtered by its device) tells the story in words.
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": start.isoformat(),
            "device_ids": [device.id],
        }
    )
    response = await client.receive_json()
    assert response["success"], response
    lines = [
        (entry["name"], entry["message"])
        for entry in response["result"]
        if entry.get("domain") == DOMAIN
    ]
    assert lines == [
        ("Bathroom", "started playing Spotify"),
        ("Bathroom", "ended the session after under a minute because it was stopped by hand"),
        ("Bathroom", "could not start Spotify: the speaker was not found"),
    ]


def test_the_room_key_names_the_room_and_sensor_is_its_alias() -> None:
    event = "spottypottysense_session_started"
    assert describe(event, {"room": "Bathroom", "owned": True})[0] == "Bathroom"
    assert describe(event, {"sensor": "Bathroom", "owned": True})[0] == "Bathroom"


async def test_the_readmes_logbook_exclude_leaves_one_line_per_start_and_end(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    """HA lists our entities' state changes too; the README's exclude leaves our two lines."""
    config = {
        "logbook": {
            "exclude": {
                "entities": [
                    "sensor.bathroom_status",
                    "sensor.bathroom_session_ends",
                    "event.bathroom_session",
                    "calendar.fake_user_sessions",
                ]
            }
        }
    }
    assert await async_setup_component(hass, "logbook", config)
    await hass.async_block_till_done()
    start = dt_util.utcnow()
    hass.states.async_set(MOTION, "on", {"device_class": "motion"})
    await hass.async_block_till_done()
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.bathroom_stop_session"}, blocking=True
    )
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "logbook/get_events", "start_time": start.isoformat()})
    response = await client.receive_json()
    assert response["success"], response
    # Besides the motion sensor and the button the user pressed, only our own lines remain.
    lines = [
        (entry.get("entity_id"), entry.get("message"))
        for entry in response["result"]
        if entry.get("entity_id") not in (MOTION, "button.bathroom_stop_session")
    ]
    assert lines == [
        (None, "started playing Spotify"),
        (None, "ended the session after under a minute because it was stopped by hand"),
    ]
