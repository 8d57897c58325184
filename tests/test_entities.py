"""A room's device and entities as a user sees them, and the Spotify requests they cost."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import ATTR_OPTIONS, ATTR_STATE_CLASS
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_FRIENDLY_NAME,
    ATTR_UNIT_OF_MEASUREMENT,
    EntityCategory,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.spottypottysense.const import DOMAIN
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, USER_ID, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import starts_at

# Last motion is off by default (the motion sensors show motion); these tests read it.
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

STATUS = "sensor.bathroom_status"
LAST_MOTION = "sensor.bathroom_last_motion"
SESSIONS_TODAY = "sensor.bathroom_sessions_today"
LISTENING = "sensor.bathroom_listening_time_today"
SWITCH = "switch.bathroom_enabled"
EVENT = "event.bathroom_session"
BUTTON = "button.bathroom_stop_session"


async def set_motion(hass: HomeAssistant, state: str, entity_id: str = MOTION) -> None:
    hass.states.async_set(entity_id, state, {"device_class": "motion"})
    await hass.async_block_till_done()


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def move_to(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime) -> None:
    freezer.move_to(when)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=dt_util.get_default_time_zone())


def state_of(hass: HomeAssistant, entity_id: str) -> State:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def calls(fake: FakeSpotify, since: int = 0) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request in fake.requests[since:]]


def subentry_id(entry: MockConfigEntry) -> str:
    (subentry,) = entry.subentries.values()
    return subentry.subentry_id


# --- device and entities ------------------------------------------------------------------------


async def test_each_room_is_a_device_with_its_entities(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    room_id = subentry_id(loaded_entry)
    devices = dr.async_get(hass)
    device = devices.async_get_device_by_identifier((DOMAIN, room_id), loaded_entry.entry_id)
    account = devices.async_get_device_by_identifier((DOMAIN, USER_ID), loaded_entry.entry_id)
    assert device is not None
    assert account is not None
    assert device.name == "Bathroom"
    assert device.manufacturer == "SpottyPottySense"
    assert device.model == "Room"
    assert device.via_device_id == account.id
    assert device.config_subentry_id == room_id

    entities = er.async_get(hass)
    found = {
        entity.entity_id: entity for entity in er.async_entries_for_device(entities, device.id)
    }
    expected = {
        SWITCH: ("enabled", "Bathroom Enabled"),
        STATUS: ("status", "Bathroom Status"),
        LAST_MOTION: ("last_motion", "Bathroom Last motion"),
        SESSIONS_TODAY: ("sessions_today", "Bathroom Sessions today"),
        LISTENING: ("listening_time_today", "Bathroom Listening time today"),
        EVENT: ("session", "Bathroom Session"),
        BUTTON: ("stop_session", "Bathroom Stop session"),
        "button.bathroom_snooze": ("snooze", "Bathroom Snooze"),
        "sensor.bathroom_session_ends": ("session_ends", "Bathroom Session ends"),
        "sensor.bathroom_snoozed_until": ("snoozed_until", "Bathroom Snoozed until"),
        "sensor.bathroom_speaker": ("speaker", "Bathroom Speaker"),
        "sensor.bathroom_what_plays": ("source", "Bathroom What plays"),
        "sensor.bathroom_time_window": ("time_window", "Bathroom Time window"),
    }
    assert set(found) == set(expected)
    for entity_id, (key, friendly_name) in expected.items():
        entity = found[entity_id]
        assert entity.unique_id == f"{room_id}_{key}"
        assert entity.translation_key == key
        assert entity.has_entity_name
        assert entity.config_subentry_id == room_id
        assert state_of(hass, entity_id).attributes[ATTR_FRIENDLY_NAME] == friendly_name
    assert found[SWITCH].entity_category is EntityCategory.CONFIG


async def test_sensor_metadata(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    status = state_of(hass, STATUS)
    assert status.attributes[ATTR_DEVICE_CLASS] == "enum"
    assert status.attributes[ATTR_OPTIONS] == [
        "idle",
        "starting",
        "playing",
        "observing",
        "cooldown",
        "quiet_hours",
        "snoozed",
        "disabled",
        "error",
    ]
    assert state_of(hass, LAST_MOTION).attributes[ATTR_DEVICE_CLASS] == "timestamp"
    sessions = state_of(hass, SESSIONS_TODAY)
    assert sessions.attributes[ATTR_STATE_CLASS] == "total_increasing"
    # A count with a translated name ("Sessions today"): no unit that reads "1 sessions".
    assert ATTR_UNIT_OF_MEASUREMENT not in sessions.attributes
    listening = state_of(hass, LISTENING)
    assert listening.attributes[ATTR_DEVICE_CLASS] == "duration"
    assert listening.attributes[ATTR_STATE_CLASS] == "total_increasing"
    assert listening.attributes[ATTR_UNIT_OF_MEASUREMENT] == "min"
    event = state_of(hass, EVENT)
    assert event.attributes["event_types"] == [
        "session_started",
        "session_ended",
        "playback_failed",
    ]


# --- status -------------------------------------------------------------------------------------


@starts_at(2026, 11, 24, 9, 0)
async def test_status_and_its_attributes_follow_the_session(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    status = state_of(hass, STATUS)
    assert status.state == "idle"
    assert status.attributes["session_started"] is None
    assert status.attributes["stops_at"] is None

    await set_motion(hass, "on")
    status = state_of(hass, STATUS)
    assert status.state == "playing"
    assert status.attributes["session_started"] == dt_util.utcnow()
    # While someone is there the session does not expire: no deadline to show.
    assert status.attributes["stops_at"] is None

    await advance(hass, freezer, timedelta(minutes=3))
    await set_motion(hass, "off")
    status = state_of(hass, STATUS)
    assert status.attributes["session_started"] == local(2026, 11, 24, 9, 0)
    assert status.attributes["stops_at"] == local(2026, 11, 24, 9, 8)

    await move_to(hass, freezer, local(2026, 11, 24, 9, 8))
    status = state_of(hass, STATUS)
    assert status.state == "cooldown"
    assert status.attributes["session_started"] is None
    assert status.attributes["stops_at"] is None
    await advance(hass, freezer, timedelta(minutes=2))
    assert state_of(hass, STATUS).state == "idle"


async def test_status_observing_when_the_account_already_plays(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.user_play("spotify:album:theirs", "phone")
    await set_motion(hass, "on")
    assert state_of(hass, STATUS).state == "observing"


async def test_status_error_when_the_speaker_is_gone(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.remove_device(SPEAKER_ID)
    await set_motion(hass, "on")
    status = state_of(hass, STATUS)
    assert status.state == "error"
    assert status.attributes["error"] == "device_not_found"
    assert status.attributes["session_started"] is None


@starts_at(2026, 11, 24, 7, 30)
async def test_last_motion_is_a_timestamp(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    assert state_of(hass, LAST_MOTION).state == "unknown"
    await set_motion(hass, "on")
    assert dt_util.parse_datetime(state_of(hass, LAST_MOTION).state) == local(2026, 11, 24, 7, 30)
    await advance(hass, freezer, timedelta(minutes=1))
    await set_motion(hass, "off")
    await advance(hass, freezer, timedelta(minutes=1))
    await set_motion(hass, "on")
    assert dt_util.parse_datetime(state_of(hass, LAST_MOTION).state) == local(2026, 11, 24, 7, 32)


# --- today's sessions and listening time --------------------------------------------------------


def _values(changes: list[Any], entity_id: str) -> list[float]:
    values = []
    for event in changes:
        new = event.data["new_state"]
        if event.data["entity_id"] == entity_id and new is not None:
            values.append(float(new.state))
    return values


def _never_decrease(values: list[float]) -> bool:
    return all(later >= earlier for earlier, later in pairwise(values))


@starts_at(2026, 11, 24, 23, 30, time_zone="Europe/Berlin")
async def test_sessions_and_listening_time_today_count_and_reset_at_midnight(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("Europe/Berlin")
    await move_to(hass, freezer, local(2026, 11, 24, 23, 30))
    changes = async_capture_events(hass, "state_changed")
    assert state_of(hass, SESSIONS_TODAY).state == "0"
    assert float(state_of(hass, LISTENING).state) == 0

    # 23:40-23:50: someone in for five minutes, then the five-minute timeout.
    await move_to(hass, freezer, local(2026, 11, 24, 23, 40))
    await set_motion(hass, "on")
    assert state_of(hass, SESSIONS_TODAY).state == "1"
    await advance(hass, freezer, timedelta(minutes=5))
    assert float(state_of(hass, LISTENING).state) == 5
    await set_motion(hass, "off")
    await advance(hass, freezer, timedelta(minutes=5))
    assert state_of(hass, STATUS).state == "cooldown"
    assert state_of(hass, SESSIONS_TODAY).state == "1"
    assert float(state_of(hass, LISTENING).state) == 10

    # 23:55: a second session runs into the next day.
    await move_to(hass, freezer, local(2026, 11, 24, 23, 55))
    await set_motion(hass, "on")
    assert state_of(hass, SESSIONS_TODAY).state == "2"
    await move_to(hass, freezer, local(2026, 11, 24, 23, 59))
    assert float(state_of(hass, LISTENING).state) == 14
    day_one = [
        _values(changes, SESSIONS_TODAY),
        _values(changes, LISTENING),
    ]
    assert all(_never_decrease(values) for values in day_one), day_one

    changes.clear()
    await move_to(hass, freezer, local(2026, 11, 25, 0, 0))
    # A new day: nothing started today yet, and no time listened today.
    assert state_of(hass, SESSIONS_TODAY).state == "0"
    assert float(state_of(hass, LISTENING).state) == 0
    await advance(hass, freezer, timedelta(minutes=2))
    assert float(state_of(hass, LISTENING).state) == 2
    await set_motion(hass, "off")
    await advance(hass, freezer, timedelta(minutes=5))
    assert state_of(hass, STATUS).state == "cooldown"
    assert float(state_of(hass, LISTENING).state) == 7
    await advance(hass, freezer, timedelta(minutes=5))
    await set_motion(hass, "on")
    assert state_of(hass, SESSIONS_TODAY).state == "1"
    day_two = [_values(changes, SESSIONS_TODAY), _values(changes, LISTENING)]
    assert all(_never_decrease(values) for values in day_two), day_two


@starts_at(2026, 11, 24, 21, 0)
async def test_counts_reset_at_midnight_with_no_session_open(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await set_motion(hass, "on")
    await set_motion(hass, "off")
    await advance(hass, freezer, timedelta(minutes=5))
    assert state_of(hass, SESSIONS_TODAY).state == "1"
    assert float(state_of(hass, LISTENING).state) == 5
    await move_to(hass, freezer, local(2026, 11, 24, 23, 59, 59))
    assert state_of(hass, SESSIONS_TODAY).state == "1"
    await move_to(hass, freezer, local(2026, 11, 25, 0, 0))
    assert state_of(hass, SESSIONS_TODAY).state == "0"
    assert float(state_of(hass, LISTENING).state) == 0


async def test_a_start_that_fails_is_not_counted(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    changes = async_capture_events(hass, "state_changed")
    speaker.fail("PUT", "/me/player/play", 503, times=3)
    await set_motion(hass, "on")
    assert state_of(hass, STATUS).state == "error"
    # Not even for a moment: a total_increasing sensor that drops looks like a meter reset.
    assert set(_values(changes, SESSIONS_TODAY)) <= {0.0}
    assert state_of(hass, SESSIONS_TODAY).state == "0"
    await set_motion(hass, "off")
    await set_motion(hass, "on")
    assert state_of(hass, STATUS).state == "playing"
    assert state_of(hass, SESSIONS_TODAY).state == "1"
    assert _never_decrease(_values(changes, SESSIONS_TODAY))


@starts_at(2026, 11, 24, 10, 0)
async def test_today_counts_are_kept_across_a_restart(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await set_motion(hass, "on")
    await advance(hass, freezer, timedelta(minutes=3))
    await set_motion(hass, "off")
    await advance(hass, freezer, timedelta(minutes=5))
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, SESSIONS_TODAY).state == "1"
    assert float(state_of(hass, LISTENING).state) == 8


# --- switch and button --------------------------------------------------------------------------


async def test_switching_a_room_off_ends_its_session_and_blocks_new_ones(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    ended = async_capture_events(hass, f"{DOMAIN}_session_ended")
    await set_motion(hass, "on")
    await hass.services.async_call("switch", "turn_off", {"entity_id": SWITCH}, blocking=True)
    await hass.async_block_till_done()

    assert state_of(hass, SWITCH).state == "off"
    assert state_of(hass, STATUS).state == "disabled"
    (event,) = ended
    assert event.data["reason"] == "disabled"
    assert [r.query["device_id"] for r in speaker.requests_to("PUT", "/me/player/pause")] == [
        SPEAKER_ID
    ]
    mark = len(speaker.requests)
    await set_motion(hass, "off")
    await set_motion(hass, "on")
    assert calls(speaker, mark) == []

    # Off survives a restart.
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, SWITCH).state == "off"
    mark = len(speaker.requests)
    await set_motion(hass, "off")
    await set_motion(hass, "on")
    assert calls(speaker, mark) == []

    await hass.services.async_call("switch", "turn_on", {"entity_id": SWITCH}, blocking=True)
    await hass.async_block_till_done()
    assert state_of(hass, SWITCH).state == "on"
    assert state_of(hass, STATUS).state in ("idle", "cooldown")


async def test_switching_off_without_a_session_costs_no_request(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    mark = len(speaker.requests)
    await hass.services.async_call("switch", "turn_off", {"entity_id": SWITCH}, blocking=True)
    await hass.async_block_till_done()
    assert calls(speaker, mark) == []


async def test_the_stop_button_ends_the_session(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    ended = async_capture_events(hass, f"{DOMAIN}_session_ended")
    await set_motion(hass, "on")
    mark = len(speaker.requests)
    await hass.services.async_call("button", "press", {"entity_id": BUTTON}, blocking=True)
    await hass.async_block_till_done()
    assert calls(speaker, mark) == [("GET", "/me/player"), ("PUT", "/me/player/pause")]
    (event,) = ended
    assert event.data["reason"] == "manual"
    assert state_of(hass, STATUS).state == "cooldown"

    # Pressed again with no session: nothing happens.
    mark = len(speaker.requests)
    await hass.services.async_call("button", "press", {"entity_id": BUTTON}, blocking=True)
    await hass.async_block_till_done()
    assert calls(speaker, mark) == []
    assert len(ended) == 1


# --- events -------------------------------------------------------------------------------------


@starts_at(2026, 11, 24, 20, 0)
async def test_bus_events_and_the_event_entity_tell_the_session_story(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
) -> None:
    bus = {
        kind: async_capture_events(hass, f"{DOMAIN}_{kind}")
        for kind in ("session_started", "session_ended", "playback_failed")
    }
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, subentry_id(loaded_entry)), loaded_entry.entry_id
    )
    assert device is not None
    await set_motion(hass, "on")

    (started,) = bus["session_started"]
    session_id = started.data["session_id"]
    assert started.data == {
        "device_id": device.id,
        "room": "Bathroom",
        "sensor": "Bathroom",
        "session_id": session_id,
        "started": local(2026, 11, 24, 20, 0).astimezone(dt_util.UTC).isoformat(),
        "owned": True,
        "moved": False,
        "joined": False,
    }
    event = state_of(hass, EVENT)
    assert event.attributes["event_type"] == "session_started"
    assert event.attributes["session_id"] == session_id
    assert event.attributes["owned"] is True
    assert "device_id" not in event.attributes
    assert dt_util.parse_datetime(event.state) == local(2026, 11, 24, 20, 0)

    await advance(hass, freezer, timedelta(minutes=1))
    await set_motion(hass, "off")
    await advance(hass, freezer, timedelta(seconds=30))
    await set_motion(hass, "on")
    await set_motion(hass, "off")
    await advance(hass, freezer, timedelta(minutes=5))
    (ended,) = bus["session_ended"]
    assert ended.data == {
        "device_id": device.id,
        "room": "Bathroom",
        "sensor": "Bathroom",
        "session_id": session_id,
        "started": local(2026, 11, 24, 20, 0).astimezone(dt_util.UTC).isoformat(),
        "ended": local(2026, 11, 24, 20, 6, 30).astimezone(dt_util.UTC).isoformat(),
        "duration": 390,
        "motion_count": 2,
        "owned": True,
        "reason": "timeout",
        "left_group": False,
    }
    event = state_of(hass, EVENT)
    assert event.attributes["event_type"] == "session_ended"
    assert event.attributes["reason"] == "timeout"
    assert event.attributes["duration"] == 390
    assert event.attributes["motion_count"] == 2

    # The speaker has vanished for good: the next start fails.
    speaker.remove_device(SPEAKER_ID)
    await advance(hass, freezer, timedelta(minutes=2))
    await set_motion(hass, "off")
    await set_motion(hass, "on")
    (failed,) = bus["playback_failed"]
    assert failed.data["device_id"] == device.id
    assert failed.data["sensor"] == "Bathroom"
    assert failed.data["error"] == "device_not_found"
    assert failed.data["session_id"]
    event = state_of(hass, EVENT)
    assert event.attributes["event_type"] == "playback_failed"
    assert event.attributes["error"] == "device_not_found"
    assert len(bus["session_started"]) == 1
    assert len(bus["session_ended"]) == 1

    # The last event is still shown after a restart.
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    restored = state_of(hass, EVENT)
    assert restored.state == event.state
    assert restored.attributes["event_type"] == "playback_failed"


async def test_an_observed_session_is_announced_as_not_owned(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    started = async_capture_events(hass, f"{DOMAIN}_session_started")
    ended = async_capture_events(hass, f"{DOMAIN}_session_ended")
    speaker.user_play(PLAYLIST, "phone")
    await set_motion(hass, "on")
    await hass.services.async_call("button", "press", {"entity_id": BUTTON}, blocking=True)
    await hass.async_block_till_done()
    assert started[0].data["owned"] is False
    assert ended[0].data["owned"] is False
    assert ended[0].data["reason"] == "manual"
    assert speaker.requests_to("PUT", "/me/player/pause") == []


# --- Spotify call budget ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rooms", "expected"),
    [
        pytest.param(
            [{"title": "Bathroom", "data": room_data(volume=30)}],
            [
                ("GET", "/me/player"),
                ("PUT", "/me/player/play"),
                ("PUT", "/me/player/volume"),
                ("PUT", "/me/player/shuffle"),
            ],
            id="idle-check-volume-shuffle",
        ),
        pytest.param(
            [{"title": "Bathroom", "data": room_data(only_when_idle=False)}],
            [("PUT", "/me/player/play"), ("PUT", "/me/player/shuffle")],
            id="no-idle-check",
        ),
        pytest.param(
            [{"title": "Bathroom", "data": room_data(only_when_idle=False, source=None)}],
            [("PUT", "/me/player/play")],
            id="resume",
        ),
    ],
)
async def test_request_budget_of_a_whole_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    speaker: FakeSpotify,
    loaded_entry: MockConfigEntry,
    expected: list[tuple[str, str]],
) -> None:
    mark = len(speaker.requests)
    await set_motion(hass, "on")
    start = calls(speaker, mark)
    # Volume and shuffle after the play go out together: their order is not fixed.
    assert start[:2] == expected[:2]
    assert sorted(start[2:]) == sorted(expected[2:])
    assert len(start) <= 4

    # An hour of coming and going, and of being there: no request at all.
    mark = len(speaker.requests)
    for _ in range(20):
        await set_motion(hass, "off")
        await advance(hass, freezer, timedelta(minutes=1))
        await set_motion(hass, "on")
        await advance(hass, freezer, timedelta(minutes=2))
    assert calls(speaker, mark) == []

    await set_motion(hass, "off")
    await advance(hass, freezer, timedelta(minutes=5))
    assert calls(speaker, mark) == [("GET", "/me/player"), ("PUT", "/me/player/pause")]

    # Then hours without anyone: nothing is polled.
    mark = len(speaker.requests)
    for _ in range(12):
        await advance(hass, freezer, timedelta(hours=1))
    assert calls(speaker, mark) == []


@pytest.mark.parametrize(
    "rooms",
    [[{"title": "Bathroom", "data": room_data(min_presence_seconds=30)}]],
)
async def test_a_walk_by_costs_no_request(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
) -> None:
    mark = len(speaker.requests)
    await set_motion(hass, "on")
    await advance(hass, freezer, timedelta(seconds=10))
    await set_motion(hass, "off")
    await advance(hass, freezer, timedelta(hours=2))
    assert calls(speaker, mark) == []
    assert state_of(hass, STATUS).state == "idle"
