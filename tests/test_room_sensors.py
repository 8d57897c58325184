"""What a room's sensors show between and around motion, and when HA's time zone changes.

The clock is frozen before set-up in every test here (see the `frozen_entry` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.spottypottysense.history import SessionHistory
from tests.conftest import MOTION, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance, set_motion

STATUS = "sensor.bathroom_status"
LAST_MOTION = "sensor.bathroom_last_motion"
SESSIONS_TODAY = "sensor.bathroom_sessions_today"
LISTENING = "sensor.bathroom_listening_time_today"
SECOND_MOTION = "binary_sensor.bathroom_radar"
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
async def frozen_entry(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The account set up at START (UTC), with both motion entities off."""
    freezer.move_to(START)
    await hass.config.async_set_time_zone("UTC")
    for entity_id in (MOTION, SECOND_MOTION):
        hass.states.async_set(entity_id, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


# Last motion is off by default (the motion sensors show motion); these tests read it.
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


def state_of(hass: HomeAssistant, entity_id: str) -> State:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def written(changes: list[Any]) -> list[str]:
    """The integration's entities whose state was written."""
    return [
        event.data["entity_id"]
        for event in changes
        if event.data["entity_id"].startswith(("sensor.bathroom_", "switch.bathroom_"))
    ]


TWO_SENSORS = [{"title": "Bathroom", "data": room_data(motion_entities=[MOTION, SECOND_MOTION])}]


# --- stops_at -------------------------------------------------------------------------------


async def test_stops_at_is_empty_while_someone_is_there_and_the_deadline_once_they_left(
    hass: HomeAssistant, frozen_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await set_motion(hass, MOTION, "on")
    assert state_of(hass, STATUS).state == "playing"
    assert state_of(hass, STATUS).attributes["stops_at"] is None
    await advance(hass, freezer, timedelta(minutes=2))
    await set_motion(hass, MOTION, "off")
    assert state_of(hass, STATUS).attributes["stops_at"] == START + timedelta(minutes=7)
    await advance(hass, freezer, timedelta(minutes=1))
    await set_motion(hass, MOTION, "on")
    assert state_of(hass, STATUS).attributes["stops_at"] is None


@pytest.mark.parametrize("rooms", [TWO_SENSORS])
async def test_repeated_motion_writes_no_state_while_nothing_visible_changes(
    hass: HomeAssistant, frozen_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The radar holds presence while the PIR flickers: nothing shown changes."""
    await set_motion(hass, SECOND_MOTION, "on")
    await set_motion(hass, MOTION, "on")
    await advance(hass, freezer, timedelta(milliseconds=100))
    changes = async_capture_events(hass, "state_changed")
    for _ in range(10):
        await set_motion(hass, MOTION, "off")
        await set_motion(hass, MOTION, "on")
        await advance(hass, freezer, timedelta(milliseconds=50))
    assert written(changes) == []
    # A second later "Last motion" moves on (once), and nothing else is written.
    await advance(hass, freezer, timedelta(seconds=1))
    await set_motion(hass, MOTION, "off")
    assert written(changes) == [LAST_MOTION]


# --- last motion ----------------------------------------------------------------------------


@pytest.mark.parametrize("rooms", [TWO_SENSORS])
async def test_last_motion_is_the_last_on_or_off_edge_of_any_sensor(
    hass: HomeAssistant, frozen_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await set_motion(hass, MOTION, "on")
    assert dt_util.parse_datetime(state_of(hass, LAST_MOTION).state) == START
    await advance(hass, freezer, timedelta(minutes=1))
    await set_motion(hass, SECOND_MOTION, "on")
    await advance(hass, freezer, timedelta(minutes=1))
    await set_motion(hass, MOTION, "off")  # still present (the radar): motion was seen now
    last = START + timedelta(minutes=2)
    assert dt_util.parse_datetime(state_of(hass, LAST_MOTION).state) == last
    await advance(hass, freezer, timedelta(minutes=1, microseconds=250))
    await set_motion(hass, SECOND_MOTION, "off")  # the room is empty
    last = START + timedelta(minutes=3)  # shown to the second
    assert dt_util.parse_datetime(state_of(hass, LAST_MOTION).state) == last
    # Going unavailable and coming back is no motion.
    await advance(hass, freezer, timedelta(minutes=1))
    await set_motion(hass, MOTION, "unavailable")
    await set_motion(hass, MOTION, "off")
    assert dt_util.parse_datetime(state_of(hass, LAST_MOTION).state) == last
    # It survives a restart.
    assert await hass.config_entries.async_reload(frozen_entry.entry_id)
    await hass.async_block_till_done()
    assert dt_util.parse_datetime(state_of(hass, LAST_MOTION).state) == last


# --- listening time and sessions today --------------------------------------------------------


async def test_listening_time_includes_the_open_session(
    hass: HomeAssistant, frozen_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await set_motion(hass, MOTION, "on")
    assert state_of(hass, SESSIONS_TODAY).state == "1"
    assert "unit_of_measurement" not in state_of(hass, SESSIONS_TODAY).attributes
    assert float(state_of(hass, LISTENING).state) == 0
    await advance(hass, freezer, timedelta(minutes=2, seconds=30))
    assert float(state_of(hass, LISTENING).state) == 2  # the open session, whole minutes
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, timedelta(minutes=5))
    assert state_of(hass, STATUS).state == "cooldown"
    assert float(state_of(hass, LISTENING).state) == 7.5  # ended: exactly
    assert state_of(hass, SESSIONS_TODAY).state == "1"


async def test_today_counts_cost_the_same_with_a_long_history(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """5,000 stored sessions: today's two are counted, and motion never reads the history."""
    freezer.move_to(START)
    await hass.config.async_set_time_zone("UTC")
    (room,) = config_entry.subentries
    sessions = [
        {
            "sensor": room,
            "session_id": f"s{i}",
            "started": (
                START - timedelta(days=20, minutes=5) + timedelta(minutes=5 * i)
            ).isoformat(),
            "ended": (START - timedelta(days=20) + timedelta(minutes=5 * i)).isoformat(),
            "motion_count": 1,
            "owned": True,
            "reason": "timeout",
        }
        for i in range(4998)
    ]
    today = [START - timedelta(hours=h) for h in (2, 1)]
    sessions += [
        {
            **sessions[0],
            "session_id": f"today{i}",
            "started": (t - timedelta(minutes=10)).isoformat(),
            "ended": t.isoformat(),
        }
        for i, t in enumerate(today)
    ]
    key = f"spottypottysense.{config_entry.entry_id}"
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {"sessions": sessions},
    }
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, SESSIONS_TODAY).state == "2"
    assert float(state_of(hass, LISTENING).state) == 20

    with patch.object(
        SessionHistory, "ended_since", autospec=True, side_effect=SessionHistory.ended_since
    ) as reads:
        for _ in range(5):
            await set_motion(hass, MOTION, "on")
            await set_motion(hass, MOTION, "off")
    assert state_of(hass, SESSIONS_TODAY).state == "3"
    assert reads.call_count == 0


# --- time zone --------------------------------------------------------------------------------

QUIET = [
    {
        "title": "Bathroom",
        "data": room_data(quiet_hours_enabled=True, quiet_start="22:00", quiet_end="07:00"),
    }
]


@pytest.mark.parametrize("rooms", [QUIET])
async def test_a_new_time_zone_applies_to_quiet_hours_at_once(
    hass: HomeAssistant,
    frozen_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    speaker: FakeSpotify,
) -> None:
    await advance(hass, freezer, timedelta(hours=12, minutes=30))  # 21:30 UTC
    assert state_of(hass, STATUS).state == "idle"
    await hass.config.async_update(time_zone="Europe/Berlin")  # 22:30 there
    await hass.async_block_till_done()
    assert state_of(hass, STATUS).state == "quiet_hours"
    await set_motion(hass, MOTION, "on")
    assert speaker.requests_to("PUT", "/me/player/play") == []
    await set_motion(hass, MOTION, "off")
    # 07:00 in Berlin is 06:00 UTC: the window ends on the new zone's clock.
    await advance(hass, freezer, timedelta(hours=8, minutes=30))
    assert state_of(hass, STATUS).state == "idle"


async def test_a_new_time_zone_moves_the_midnight_reset(
    hass: HomeAssistant, frozen_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(datetime(2026, 11, 24, 14, 50, tzinfo=UTC))
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, timedelta(minutes=5))  # ended 14:55 UTC
    await advance(hass, freezer, timedelta(minutes=10))
    assert state_of(hass, SESSIONS_TODAY).state == "1"
    # In Tokyo it is 00:05 on the next day: that session was yesterday.
    await hass.config.async_update(time_zone="Asia/Tokyo")
    await hass.async_block_till_done()
    assert state_of(hass, SESSIONS_TODAY).state == "0"
    assert float(state_of(hass, LISTENING).state) == 0

    # A session late in the Tokyo day; the count drops to 0 at Tokyo's midnight (15:00 UTC).
    freezer.move_to(datetime(2026, 11, 25, 14, 0, tzinfo=UTC))
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, timedelta(minutes=5))
    assert state_of(hass, SESSIONS_TODAY).state == "1"
    await advance(hass, freezer, timedelta(minutes=54, seconds=59))  # 14:59:59 UTC
    assert state_of(hass, SESSIONS_TODAY).state == "1"
    await advance(hass, freezer, timedelta(seconds=1))
    assert state_of(hass, SESSIONS_TODAY).state == "0"
    assert float(state_of(hass, LISTENING).state) == 0


async def test_the_time_zone_listener_is_released_at_unload(
    hass: HomeAssistant, frozen_entry: MockConfigEntry
) -> None:
    manager = frozen_entry.runtime_data.manager
    assert await hass.config_entries.async_unload(frozen_entry.entry_id)
    await hass.config.async_update(time_zone="Asia/Tokyo")
    await hass.async_block_till_done()
    assert manager._time_zone is dt_util.get_time_zone("UTC")


@pytest.mark.parametrize("rooms", [QUIET])
async def test_other_core_config_changes_leave_the_rooms_alone(
    hass: HomeAssistant, frozen_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await advance(hass, freezer, timedelta(hours=13, minutes=30))  # 22:30 UTC: quiet
    assert state_of(hass, STATUS).state == "quiet_hours"
    await hass.config.async_update(latitude=52.5, longitude=13.4)
    await hass.async_block_till_done()
    assert state_of(hass, STATUS).state == "quiet_hours"
    assert frozen_entry.runtime_data.manager._time_zone is dt_util.get_time_zone("UTC")
