"""What the room automations share: which room a device is, its controller, its entities."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

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


def room_entities(
    hass: HomeAssistant, entity_ids: set[str], translation_key: str | None = None
) -> set[str]:
    """Of `entity_ids`, our rooms' entities (of one kind, by translation key, if given).

    A target by area or label also holds other integrations' entities of the same domain.
    """
    registry = er.async_get(hass)
    return {
        entity_id
        for entity_id in entity_ids
        if (entry := registry.async_get(entity_id)) is not None
        and entry.platform == DOMAIN
        and (translation_key is None or entry.translation_key == translation_key)
    }


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
