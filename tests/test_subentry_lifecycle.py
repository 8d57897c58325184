"""Rooms come and go while the account runs: add, reconfigure and delete apply live, no reload."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.spottypottysense.const import DOMAIN, SUBENTRY_TYPE_ROOM
from custom_components.spottypottysense.room_flow import sectioned
from custom_components.spottypottysense.time_windows import quiet_fields
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance as _advance, set_motion as _set

# Last motion is off by default (the motion sensors show motion); these tests read it.
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

KITCHEN_MOTION = "binary_sensor.kitchen_motion"
KITCHEN_DOOR = "binary_sensor.kitchen_door"
OTHER_PLAYLIST = "spotify:playlist:5ABHKGoOzxkaa28ttQV9sE"
PLAY = ("PUT", "/me/player/play")
PAUSE = ("PUT", "/me/player/pause")
SETUP = ("GET", "/me")  # every setup (and so every reload) of the account reads it
FORM_READS = {("GET", "/me/player/devices"), ("GET", "/me/playlists")}  # to fill the form

BATHROOM_ENTITIES = {
    "switch.bathroom_enabled",
    "sensor.bathroom_status",
    "sensor.bathroom_last_motion",
    "sensor.bathroom_sessions_today",
    "sensor.bathroom_listening_time_today",
    "event.bathroom_session",
    "button.bathroom_stop_session",
    "button.bathroom_snooze",
    "sensor.bathroom_session_ends",
    "sensor.bathroom_snoozed_until",
    "sensor.bathroom_speaker",
    "sensor.bathroom_what_plays",
    "sensor.bathroom_time_window",
}

TWO_ROOMS = [
    {"title": "Bathroom", "data": room_data()},
    {
        "title": "Kitchen",
        "data": room_data(
            motion_entities=[KITCHEN_MOTION], spotify_device_id="phone", spotify_device_name="Phone"
        ),
    },
]


@pytest.fixture
def ended(hass: HomeAssistant) -> list[Any]:
    """spottypottysense_session_ended events, as an automation would see them."""
    return async_capture_events(hass, f"{DOMAIN}_session_ended")


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def _stops_at(hass: HomeAssistant, status_entity: str) -> datetime | None:
    state = hass.states.get(status_entity)
    assert state is not None
    value = state.attributes["stops_at"]
    return None if value is None else dt_util.as_utc(value)


def _player_calls(fake: FakeSpotify, mark: int) -> list[tuple[str, str]]:
    """Requests after `mark`, without the reads that fill the reconfigure form."""
    return [
        (r.method, r.path) for r in fake.requests[mark:] if (r.method, r.path) not in FORM_READS
    ]


def _subentry_id(entry: MockConfigEntry, title: str) -> str:
    return next(
        sub.subentry_id
        for sub in entry.get_subentries_of_type(SUBENTRY_TYPE_ROOM)
        if sub.title == title
    )


def _room_device(hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str) -> dr.DeviceEntry:
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, subentry_id), entry.entry_id
    )
    assert device is not None
    return device


def _room_entities(hass: HomeAssistant, device_id: str) -> dict[str, er.RegistryEntry]:
    return {
        entity.entity_id: entity
        for entity in er.async_entries_for_device(er.async_get(hass), device_id)
    }


async def _reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, title: str, **changes: Any
) -> None:
    """Change a room in its reconfigure form, as a user would."""
    subentry = entry.subentries[_subentry_id(entry, title)]
    result = await entry.start_subentry_reconfigure_flow(hass, subentry.subentry_id)
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "spotify"}
    )
    assert result["type"] is FlowResultType.FORM
    shown = {
        "quiet_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "quiet_mode": "block",
        **subentry.data,
        **quiet_fields(subentry.data),  # what the form shows of the stored quiet window
    }
    del shown["windows"]
    user_input = {
        "name": subentry.title,
        **{key: value for key, value in shown.items() if value is not None},
        **changes,
    }
    del user_input["spotify_device_name"]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], sectioned(user_input)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()


# ---- adding ---------------------------------------------------------------------------------


async def test_added_room_works_at_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    """Add a room through the form: its device and entities appear and motion plays."""
    hass.states.async_set(KITCHEN_MOTION, "off", {"device_class": "motion"})
    manager = loaded_entry.runtime_data.manager
    setups = len(speaker.requests_to(*SETUP))

    result = await hass.config_entries.subentries.async_init(
        (loaded_entry.entry_id, SUBENTRY_TYPE_ROOM), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "spotify"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        sectioned(
            {
                "name": "Kitchen",
                "motion_entities": [KITCHEN_MOTION],
                "spotify_device_id": "phone",
                "source": OTHER_PLAYLIST,
                "shuffle": True,
                "timeout_minutes": 5,
                "cooldown_minutes": 2,
                "min_presence_seconds": 0,
                "max_session_minutes": 180,
                "only_when_idle": True,
                "quiet_hours_enabled": False,
                "quiet_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "quiet_mode": "block",
            }
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    kitchen = _subentry_id(loaded_entry, "Kitchen")

    # A device named after the room, under the account's device, owned by the subentry.
    device = _room_device(hass, loaded_entry, kitchen)
    assert device.name == "Kitchen"
    assert device.via_device_id == loaded_entry.runtime_data.account_device_id
    assert device.config_subentry_id == kitchen
    # Its entities, on that device, with states right away.
    entities = _room_entities(hass, device.id)
    assert set(entities) == {
        entity_id.replace("bathroom", "kitchen") for entity_id in BATHROOM_ENTITIES
    }
    assert all(entity.config_subentry_id == kitchen for entity in entities.values())
    assert all(_state(hass, entity_id) != STATE_UNAVAILABLE for entity_id in entities)
    assert _state(hass, "switch.kitchen_enabled") == "on"
    assert _state(hass, "sensor.kitchen_status") == "idle"
    assert _state(hass, "sensor.kitchen_sessions_today") == "0"

    # The account was not reloaded: the bathroom keeps its controller.
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data.manager is manager
    assert len(speaker.requests_to(*SETUP)) == setups

    await _set(hass, KITCHEN_MOTION, "on")

    assert speaker.playback is not None
    assert speaker.playback.is_playing
    assert speaker.playback.device_id == "phone"
    assert speaker.playback.context_uri == OTHER_PLAYLIST
    assert _state(hass, "sensor.kitchen_status") == "playing"
    assert _state(hass, "sensor.kitchen_sessions_today") == "1"
    assert _state(hass, "sensor.bathroom_status") == "idle"


# ---- reconfiguring --------------------------------------------------------------------------


@pytest.mark.parametrize("rooms", [TWO_ROOMS])
async def test_shorter_timeout_applies_to_the_running_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    ended: list[Any],
) -> None:
    """5 → 1 min while music plays: it keeps playing, and stops 1 min after everyone left."""
    hass.states.async_set(KITCHEN_MOTION, "off", {"device_class": "motion"})
    await _set(hass, MOTION, "on")
    await _set(hass, KITCHEN_MOTION, "on")  # the account already plays: the kitchen observes
    assert _state(hass, "sensor.bathroom_status") == "playing"
    assert _state(hass, "sensor.kitchen_status") == "observing"
    left = dt_util.utcnow()
    await _set(hass, MOTION, "off")
    await _set(hass, KITCHEN_MOTION, "off")
    assert _stops_at(hass, "sensor.bathroom_status") == left + timedelta(minutes=5)
    kitchen_stops_at = _stops_at(hass, "sensor.kitchen_status")
    kitchen_started = hass.states.get("sensor.kitchen_status").attributes["session_started"]
    bathroom_started = hass.states.get("sensor.bathroom_status").attributes["session_started"]
    await _advance(hass, freezer, timedelta(seconds=20))
    mark = len(speaker.requests)

    await _reconfigure(hass, loaded_entry, "Bathroom", timeout_minutes=1)

    # Same session, still playing, nothing sent to Spotify; only the deadline moved.
    assert _player_calls(speaker, mark) == []
    assert _state(hass, "sensor.bathroom_status") == "playing"
    status = hass.states.get("sensor.bathroom_status")
    assert status.attributes["session_started"] == bathroom_started
    assert _stops_at(hass, "sensor.bathroom_status") == left + timedelta(minutes=1)
    # The other room is untouched.
    assert _state(hass, "sensor.kitchen_status") == "observing"
    assert _stops_at(hass, "sensor.kitchen_status") == kitchen_stops_at
    assert hass.states.get("sensor.kitchen_status").attributes["session_started"] == kitchen_started

    await _advance(hass, freezer, timedelta(seconds=39))
    assert _state(hass, "sensor.bathroom_status") == "playing"
    assert ended == []

    await _advance(hass, freezer, timedelta(seconds=1))
    assert _state(hass, "sensor.bathroom_status") == "cooldown"
    assert speaker.playback is not None
    assert not speaker.playback.is_playing
    assert len(speaker.requests_to(*PAUSE)) == 1
    assert [event.data["sensor"] for event in ended] == ["Bathroom"]
    assert ended[0].data["reason"] == "timeout"
    assert ended[0].data["duration"] == 60  # they left at once: the new 1 min timeout
    # The kitchen still runs on its own 5 minutes.
    assert _state(hass, "sensor.kitchen_status") == "observing"
    assert len(speaker.requests_to(*SETUP)) == 1


async def test_new_motion_entities_and_name_apply_live(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    """Swap the room's sensor and rename it: the new sensor plays, the old one no longer does."""
    hass.states.async_set(KITCHEN_DOOR, "off", {"device_class": "door"})
    bathroom = _subentry_id(loaded_entry, "Bathroom")

    await _reconfigure(hass, loaded_entry, "Bathroom", name="Bath", motion_entities=[KITCHEN_DOOR])

    assert _room_device(hass, loaded_entry, bathroom).name == "Bath"
    status = hass.states.get("sensor.bathroom_status")
    assert status is not None
    assert status.attributes["friendly_name"] == "Bath Status"
    await _set(hass, MOTION, "on")
    assert speaker.requests_to(*PLAY) == []
    assert _state(hass, "sensor.bathroom_status") == "idle"

    await _set(hass, KITCHEN_DOOR, "on")
    assert len(speaker.requests_to(*PLAY)) == 1
    assert speaker.playback is not None
    assert speaker.playback.device_id == SPEAKER_ID
    assert speaker.playback.context_uri == PLAYLIST
    assert _state(hass, "sensor.bathroom_status") == "playing"
    assert len(speaker.requests_to(*SETUP)) == 1


# ---- deleting -------------------------------------------------------------------------------


@pytest.mark.parametrize("rooms", [TWO_ROOMS])
async def test_deleting_a_room_ends_its_session_and_removes_its_device(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify, ended: list[Any]
) -> None:
    bathroom = _subentry_id(loaded_entry, "Bathroom")
    device_id = _room_device(hass, loaded_entry, bathroom).id
    assert set(_room_entities(hass, device_id)) == BATHROOM_ENTITIES
    manager = loaded_entry.runtime_data.manager
    await _set(hass, MOTION, "on")
    assert _state(hass, "sensor.bathroom_status") == "playing"
    mark = len(speaker.requests)

    assert hass.config_entries.async_remove_subentry(loaded_entry, bathroom)
    await hass.async_block_till_done()

    # Our music stops (read, then pause), and automations hear why.
    assert _player_calls(speaker, mark) == [("GET", "/me/player"), PAUSE]
    assert speaker.playback is not None
    assert not speaker.playback.is_playing
    assert len(ended) == 1
    assert ended[0].data["reason"] == "removed"
    assert ended[0].data["sensor"] == "Bathroom"
    assert ended[0].data["owned"] is True
    assert ended[0].data["device_id"] == device_id
    # Its device and entities are gone.
    assert dr.async_get(hass).async_get(device_id) is None
    assert _room_entities(hass, device_id) == {}
    assert all(hass.states.get(entity_id) is None for entity_id in BATHROOM_ENTITIES)
    # Without a reload: the kitchen keeps running.
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data.manager is manager
    assert set(manager.controllers) == {_subentry_id(loaded_entry, "Kitchen")}
    assert len(speaker.requests_to(*SETUP)) == 1
    assert _state(hass, "sensor.kitchen_status") == "idle"

    # Its motion sensor no longer plays anything.
    await _set(hass, MOTION, "off")
    await _set(hass, MOTION, "on")
    assert len(speaker.requests_to(*PLAY)) == 1


async def test_deleting_a_room_leaves_music_the_user_took_over(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify, ended: list[Any]
) -> None:
    await _set(hass, MOTION, "on")
    speaker.user_play(OTHER_PLAYLIST)

    assert hass.config_entries.async_remove_subentry(
        loaded_entry, _subentry_id(loaded_entry, "Bathroom")
    )
    await hass.async_block_till_done()

    assert speaker.requests_to(*PAUSE) == []
    assert speaker.playback is not None
    assert speaker.playback.is_playing
    assert [event.data["reason"] for event in ended] == ["released"]


async def test_deleting_an_idle_room_asks_nothing_of_spotify(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify, ended: list[Any]
) -> None:
    mark = len(speaker.requests)

    assert hass.config_entries.async_remove_subentry(
        loaded_entry, _subentry_id(loaded_entry, "Bathroom")
    )
    await hass.async_block_till_done()

    assert speaker.requests[mark:] == []
    assert ended == []
    assert loaded_entry.runtime_data.manager.controllers == {}
    assert all(hass.states.get(entity_id) is None for entity_id in BATHROOM_ENTITIES)
