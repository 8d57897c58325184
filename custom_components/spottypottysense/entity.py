"""Base entity of a room's device: named by translation, updated by its controller (no polling)."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .controller import RoomController
from .runtime import SpottyPottySenseConfigEntry


class RoomEntity(Entity):
    """An entity on a room's device; the device belongs to the room's subentry."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, controller: RoomController, key: str) -> None:
        self.controller = controller
        self._attr_translation_key = key
        self._attr_unique_id = f"{controller.subentry_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, controller.subentry_id)},
            name=controller.name,
            manufacturer="SpottyPottySense",
            model="Room",
            via_device_id=controller.host.account_device_id,
        )

    _written: object = None

    async def async_added_to_hass(self) -> None:
        """Follow the controller."""
        self.async_on_remove(self.controller.async_add_listener(self._handle_update))

    def _fingerprint(self) -> object:
        """What the entity shows; a state is written only when this changes."""
        raise NotImplementedError

    @callback
    def _handle_update(self) -> None:
        # Repeated motion notifies every entity; most have nothing new to show.
        if (fingerprint := self._fingerprint()) != self._written:
            self._written = fingerprint
            self.async_write_ha_state()


def add_entities_per_room(
    entry: SpottyPottySenseConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    factory: Callable[[RoomController], list[RoomEntity]],
) -> None:
    """Add a platform's entities for every room now and for every room added later."""
    manager = entry.runtime_data.manager

    @callback
    def _add(controller: RoomController) -> None:
        async_add_entities(factory(controller), config_subentry_id=controller.subentry_id)

    for controller in manager.controllers.values():
        _add(controller)
    entry.async_on_unload(manager.async_add_room_listener(_add))
