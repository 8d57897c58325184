"""Small helpers the HA-level tests share: set a motion entity, move the clock."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed


async def set_motion(hass: HomeAssistant, entity_id: str, state: str) -> None:
    """Set a motion entity's state and let the integration react."""
    hass.states.async_set(entity_id, state, {"device_class": "motion"})
    await hass.async_block_till_done()


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move the clock and fire the timers that fell due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
