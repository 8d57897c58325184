"""What the device automations share: which room a device is, and the room's controller."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN
from .controller import RoomController
from .runtime import SpottyPottySenseConfigEntry


def is_room(hass: HomeAssistant, device_id: str) -> bool:
    """Whether the device is one of our rooms (not the account's service device)."""
    device = dr.async_get(hass).async_get(device_id)
    return (
        device is not None
        and device.config_subentry_id is not None
        and any(identifier[0] == DOMAIN for identifier in device.identifiers)
    )


def room_controller(hass: HomeAssistant, device_id: str) -> RoomController | None:
    """The loaded room behind a device, or None (unknown device, account not loaded)."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None or device.config_subentry_id is None or device.config_entry_id is None:
        return None
    entry = hass.config_entries.async_get_entry(device.config_entry_id)
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        return None
    typed: SpottyPottySenseConfigEntry = entry
    return typed.runtime_data.manager.controllers.get(device.config_subentry_id)
