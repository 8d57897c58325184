"""The room's sensors: status, last motion, and today's sessions and listening time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .controller import NO_WINDOW, RoomController
from .engine import Status
from .entity import RoomEntity, add_entities_per_room
from .runtime import SpottyPottySenseConfigEntry

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class RoomSensorDescription(SensorEntityDescription):
    """How a room sensor reads its value from the controller."""

    value: Callable[[RoomController], str | int | float | datetime | None]


def _session_started(controller: RoomController) -> datetime | None:
    session = controller.session
    return session.started if session is not None else None


def _snoozed_until(controller: RoomController) -> datetime | None:
    until = controller.engine.state.snoozed_until
    return until if until is not None and until > dt_util.utcnow() else None


SENSORS: tuple[RoomSensorDescription, ...] = (
    RoomSensorDescription(
        key="status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in Status],
        value=lambda c: c.status().value,
    ),
    RoomSensorDescription(
        key="last_motion",
        device_class=SensorDeviceClass.TIMESTAMP,
        # Off by default: the motion sensors already show (and log) every motion; this one
        # wrote two logbook lines per session.
        entity_registry_enabled_default=False,
        value=lambda c: c.last_motion(),
    ),
    RoomSensorDescription(
        key="session_ends",
        device_class=SensorDeviceClass.TIMESTAMP,
        # Empty while someone is there: the session does not time out then.
        value=lambda c: c.stops_at(),
    ),
    RoomSensorDescription(
        key="snoozed_until",
        device_class=SensorDeviceClass.TIMESTAMP,
        value=_snoozed_until,
    ),
    RoomSensorDescription(
        key="source",
        value=lambda c: c.source_title(),
    ),
    RoomSensorDescription(
        key="speaker",
        value=lambda c: c.speaker_label(),
    ),
    RoomSensorDescription(
        key="time_window",
        device_class=SensorDeviceClass.ENUM,
        # The room's own windows by name, and "none" (translated) outside every window.
        value=lambda c: c.window_name(),
    ),
    RoomSensorDescription(
        key="sessions_today",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value=lambda c: c.today()[0],
    ),
    RoomSensorDescription(
        key="listening_time_today",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        value=lambda c: round(c.today()[1], 1),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SpottyPottySenseConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The room's sensors."""
    add_entities_per_room(
        entry,
        async_add_entities,
        lambda c: [RoomSensor(c, description) for description in SENSORS],
    )


class RoomSensor(RoomEntity, SensorEntity):
    """A value read from the room's controller whenever it changes."""

    entity_description: RoomSensorDescription

    def __init__(self, controller: RoomController, description: RoomSensorDescription) -> None:
        super().__init__(controller, description.key)
        self.entity_description = description

    def _fingerprint(self) -> object:
        attributes = self.extra_state_attributes
        return (
            self.native_value,
            tuple(attributes.values()) if attributes else None,
            tuple(self.options or ()),
        )

    @property
    def options(self) -> list[str] | None:
        """The time window sensor's states are the room's window names (they change live)."""
        if self.entity_description.key == "time_window":
            return [*self.controller.window_names(), NO_WINDOW]
        return self.entity_description.options

    @property
    def native_value(self) -> str | int | float | datetime | None:
        """Read from the controller."""
        return self.entity_description.value(self.controller)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The status sensor tells when the session started and when it will stop."""
        if self.entity_description.key != "status":
            return None
        skip = self.controller.engine.state.last_skip_reason
        attributes = {
            "session_started": _session_started(self.controller),
            "stops_at": self.controller.stops_at(),
            "last_skip_reason": skip.value if skip is not None else None,
            "error": self.controller.engine.state.error,
        }
        # Unset reasons are left out: the device page would read "Last skipped because Unknown".
        for key in ("last_skip_reason", "error"):
            if attributes[key] is None:
                del attributes[key]
        return attributes
