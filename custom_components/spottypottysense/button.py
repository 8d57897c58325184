"""The room's buttons: "Stop session", and "Snooze for an hour"."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

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
        entry,
        async_add_entities,
        lambda c: [StopSessionButton(c, "stop_session"), SnoozeButton(c, "snooze")],
    )


class StopSessionButton(RoomEntity, ButtonEntity):
    """End the room's session now (pausing only music it started)."""

    async def async_added_to_hass(self) -> None:
        """A button shows when it was last pressed: nothing to follow."""

    async def async_press(self) -> None:
        """Stop, and say so when the speaker could not be paused."""
        await self.controller.async_outcome(self.controller.stop_session())


SNOOZE_FOR: Final = timedelta(hours=1)


class SnoozeButton(RoomEntity, ButtonEntity):
    """No new sessions for an hour (the snooze action sets any other length, or cancels)."""

    async def async_added_to_hass(self) -> None:
        """A button shows when it was last pressed: nothing to follow."""

    async def async_press(self) -> None:
        """Snooze the room for SNOOZE_FOR; a session under way plays on."""
        self.controller.snooze(SNOOZE_FOR)
