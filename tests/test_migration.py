"""A room stored before time windows (entry 1.1, quiet_* keys) loads with the same behaviour.

Its quiet hours become its quiet time window (entry 1.2); blocking still blocks, low volume
still plays quietly, quiet hours that were off stay off, and quiet hours that never parsed
are left as stored (the room reports them as before).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import MOTION, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import set_motion

NIGHT = datetime(2026, 12, 1, 23, 30, tzinfo=dt_util.UTC)  # in quiet hours 22:00-07:00 (UTC)
STATUS = "sensor.bathroom_status"
STORED_QUIET = {
    "quiet_hours_enabled": True,
    "quiet_start": "22:00:00",
    "quiet_end": "07:00:00",
    "quiet_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
}


def stored_room(**quiet: Any) -> list[dict[str, Any]]:
    """Exactly what version 1.1 stored: the flat quiet_* keys, no windows."""
    return [{"title": "Bathroom", "data": room_data(**quiet)}]


@pytest.fixture
async def migrated(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    freezer.move_to(NIGHT)
    await hass.config.async_set_time_zone("UTC")
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    assert config_entry.minor_version == 1
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def _room_data(entry: MockConfigEntry) -> dict[str, Any]:
    (subentry,) = entry.subentries.values()
    return dict(subentry.data)


@pytest.mark.parametrize(
    "rooms", [stored_room(**STORED_QUIET, quiet_mode="block", quiet_volume=None)]
)
async def test_blocking_quiet_hours_still_block(
    hass: HomeAssistant, migrated: MockConfigEntry, speaker: FakeSpotify
) -> None:
    assert migrated.minor_version == 2
    data = _room_data(migrated)
    assert not any(key.startswith("quiet_") for key in data)
    (window,) = data["windows"]
    assert (window["id"], window["mode"], window["start"], window["end"]) == (
        "quiet_hours",
        "block",
        "22:00:00",
        "07:00:00",
    )
    assert hass.states.get(STATUS).state == "quiet_hours"  # type: ignore[union-attr]
    await set_motion(hass, MOTION, "on")
    assert speaker.requests_to("PUT", "/me/player/play") == []


@pytest.mark.parametrize(
    "rooms", [stored_room(**STORED_QUIET, quiet_mode="low_volume", quiet_volume=15)]
)
async def test_low_volume_quiet_hours_still_play_quietly(
    hass: HomeAssistant, migrated: MockConfigEntry, speaker: FakeSpotify
) -> None:
    (window,) = _room_data(migrated)["windows"]
    assert (window["mode"], window["volume"], window["source"]) == ("play", 15, None)
    await set_motion(hass, MOTION, "on")
    (volume,) = speaker.requests_to("PUT", "/me/player/volume")
    assert volume.query["volume_percent"] == "15"
    assert len(speaker.requests_to("PUT", "/me/player/play")) == 1


@pytest.mark.parametrize("rooms", [stored_room()])
async def test_quiet_hours_that_were_off_stay_off(
    hass: HomeAssistant, migrated: MockConfigEntry, speaker: FakeSpotify
) -> None:
    assert _room_data(migrated)["windows"] == []
    await set_motion(hass, MOTION, "on")
    assert len(speaker.requests_to("PUT", "/me/player/play")) == 1


@pytest.mark.parametrize(
    "rooms", [stored_room(quiet_hours_enabled=True, quiet_start="late", quiet_end="07:00")]
)
async def test_quiet_hours_that_never_parsed_are_left_as_stored(
    hass: HomeAssistant, migrated: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    assert migrated.state is ConfigEntryState.LOADED
    assert migrated.minor_version == 2
    data = _room_data(migrated)
    assert data["quiet_start"] == "late"
    assert "windows" not in data
    assert any(
        "its quiet hours could not be read" in record.getMessage()
        for record in caplog.get_records("setup")
    )


async def test_an_entry_from_a_newer_version_is_not_touched(
    hass: HomeAssistant, setup_credentials: None, speaker: FakeSpotify
) -> None:
    entry = MockConfigEntry(domain="spottypottysense", version=2, data={})
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
