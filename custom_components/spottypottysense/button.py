"""The room's "Stop session" button."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
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
    """One button per room."""
    add_entities_per_room(
        entry, async_add_entities, lambda c: [StopSessionButton(c, "stop_session")]
    )


class StopSessionButton(RoomEntity, ButtonEntity):
    """End the room's session now (pausing only music it started)."""

    async def async_added_to_hass(self) -> None:
        """A button shows when it was last pressed: nothing to follow."""

    async def async_press(self) -> None:
        """Stop, and say so when the speaker could not be paused."""
        await self.controller.async_outcome(self.controller.stop_session())
