"""Small helpers the HA-level tests share: set a motion entity, move the clock, start at a date."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

# The zone pytest-homeassistant-custom-component gives `hass` (tests/conftest.py checks it).
TEST_TIME_ZONE = "US/Pacific"


async def set_motion(hass: HomeAssistant, entity_id: str, state: str) -> None:
    """Set a motion entity's state and let the integration react."""
    hass.states.async_set(entity_id, state, {"device_class": "motion"})
    await hass.async_block_till_done()


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move the clock and fire the timers that fell due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def starts_at(*when: int, time_zone: str = TEST_TIME_ZONE) -> pytest.MarkDecorator:
    """Freeze the clock at this local wall time before any fixture runs, set-up included.

    A test that sets up on the real clock and only then moves it to a fixed date moves it
    backwards on any later real date, and the timers set-up scheduled (midnight, quiet hours)
    then never fire; starting the test's whole timeline at the date avoids that.
    """
    return pytest.mark.freeze_time(datetime(*when, tzinfo=ZoneInfo(time_zone)))


async def set_up_with_sensors_off(
    hass: HomeAssistant, entry: MockConfigEntry, motion_entities: tuple[str, ...]
) -> MockConfigEntry:
    """The account entry set up, its rooms' motion entities existing and off."""
    for motion in motion_entities:
        hass.states.async_set(motion, "off", {"device_class": "motion"})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
