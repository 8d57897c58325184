"""The room's session event entity: session_started, session_ended, playback_failed."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_PLAYBACK_FAILED, EVENT_SESSION_ENDED, EVENT_SESSION_STARTED
from .entity import RoomEntity, add_entities_per_room
from .runtime import SpottyPottySenseConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SpottyPottySenseConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One event entity per room."""
    add_entities_per_room(entry, async_add_entities, lambda c: [SessionEvent(c, "session")])


class SessionEvent(RoomEntity, EventEntity):
    """Fires when a session starts or ends, or when Spotify could not be started."""

    _attr_event_types = [EVENT_SESSION_STARTED, EVENT_SESSION_ENDED, EVENT_PLAYBACK_FAILED]  # noqa: RUF012

    async def async_added_to_hass(self) -> None:
        """Follow the controller's events (not its general updates)."""
        self.async_on_remove(self.controller.async_add_event_listener(self._handle_event))

    @callback
    def _handle_event(self, event_type: str, data: dict[str, Any]) -> None:
        attributes = {key: value for key, value in data.items() if key not in ("device_id",)}
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()
