"""The room's on/off switch: off ends the running session and starts no new ones."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import RoomEntity, add_entities_per_room
from .runtime import SpottyPottySenseConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SpottyPottySenseConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One switch per room."""
    add_entities_per_room(entry, async_add_entities, lambda c: [EnabledSwitch(c, "enabled")])


class EnabledSwitch(RoomEntity, SwitchEntity):
    """Whether motion in this room may start music (kept across restarts in the store)."""

    _attr_entity_category = EntityCategory.CONFIG

    def _fingerprint(self) -> object:
        return self.is_on

    @property
    def is_on(self) -> bool:
        """Enabled."""
        return self.controller.engine.state.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Let motion start music again."""
        await self.controller.async_outcome(self.controller.set_enabled(True))

    async def async_turn_off(self, **kwargs: Any) -> None:
        """End the session (pausing what we play) and start no new ones."""
        await self.controller.async_outcome(self.controller.set_enabled(False))
