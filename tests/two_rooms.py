"""Two Spotify Connect rooms (bathroom and kitchen) under a frozen clock, for move tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import MOTION, room_data
from tests.fake_spotify import FakeSpotify

START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
KITCHEN_MOTION = "binary_sensor.kitchen_motion"
KITCHEN_SPEAKER = "kitchen-speaker"


@pytest.fixture
def clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """The clock, frozen before anything is set up."""
    freezer.move_to(START)
    return freezer


@pytest.fixture
async def loaded_entry(
    clock: FrozenDateTimeFactory,
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The account with its rooms, set up under the frozen clock; every motion entity off."""
    speaker.add_device(KITCHEN_SPEAKER, "Kitchen speaker")
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    hass.states.async_set(KITCHEN_MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def kitchen(**options: Any) -> dict[str, Any]:
    """The kitchen: its own motion sensor and speaker."""
    return {
        "title": "Kitchen",
        "data": room_data(
            motion_entities=[KITCHEN_MOTION],
            spotify_device_id=KITCHEN_SPEAKER,
            spotify_device_name="Kitchen speaker",
            **options,
        ),
    }


def calls(fake: FakeSpotify, mark: int) -> list[tuple[str, str]]:
    """The requests the fake got after `mark` (a len(fake.requests) taken earlier)."""
    return [(request.method, request.path) for request in fake.requests[mark:]]


def status(hass: HomeAssistant, room: str) -> str:
    """A room's status, as its sensor shows it."""
    state = hass.states.get(f"sensor.{room}_status")
    assert state is not None
    return state.state


def bathroom(**options: Any) -> dict[str, Any]:
    """The bathroom, with the default speaker and playlist."""
    return {"title": "Bathroom", "data": room_data(**options)}
