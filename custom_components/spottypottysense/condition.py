"""The condition a room offers in HA's condition picker: a session of ours is playing.

It reads the rooms' *Status* sensors, so it targets rooms by device, area or label, and
HA's options apply (any or all of the targeted rooms, and for how long).
"""

from __future__ import annotations

from typing import override

from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.helpers.automation import DomainSpec
from homeassistant.helpers.condition import Condition, EntityStateConditionBase

from .device_automation import room_entities
from .engine import Status


class PlayingCondition(EntityStateConditionBase):
    """True while the targeted rooms play a session of ours (not music someone else started)."""

    _domain_specs = {SENSOR_DOMAIN: DomainSpec()}  # noqa: RUF012
    _states = {Status.PLAYING.value}  # noqa: RUF012

    @override
    def entity_filter(self, entities: set[str]) -> set[str]:
        """Only our rooms' Status sensors."""
        return room_entities(self._hass, super().entity_filter(entities), "status")


CONDITIONS: dict[str, type[Condition]] = {"playing": PlayingCondition}


async def async_get_conditions(hass: HomeAssistant) -> dict[str, type[Condition]]:
    """The room conditions HA's automation editor offers."""
    return CONDITIONS
