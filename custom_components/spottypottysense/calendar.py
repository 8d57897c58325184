"""The account's *Sessions* calendar: when music played in which room (read-only).

Each ended session (the stored history, 30 days) and each session under way is an event, so HA's
Calendar panel shows a history a user can read. Updated when a session starts or ends.
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .controller import RoomController
from .manager import SessionManager
from .runtime import SpottyPottySenseConfigEntry
from .session_calendar import NamedSource, SessionEvent, ended_event, open_event, overlapping

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SpottyPottySenseConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One calendar per account, on its service device."""
    async_add_entities([SessionsCalendar(entry)])


class SessionsCalendar(CalendarEntity):
    """The rooms' sessions as calendar events."""

    _attr_has_entity_name = True
    _attr_translation_key = "sessions"
    _attr_should_poll = False

    def __init__(self, entry: SpottyPottySenseConfigEntry) -> None:
        self._manager: SessionManager = entry.runtime_data.manager
        self._attr_unique_id = f"{entry.entry_id}_sessions"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, entry.runtime_data.user.user_id)})
        self._room_unsubs: dict[str, CALLBACK_TYPE] = {}

    async def async_added_to_hass(self) -> None:
        """Follow every room's sessions, also of rooms added later."""
        for controller in self._manager.controllers.values():
            self._follow(controller)
        self.async_on_remove(self._manager.async_add_room_listener(self._room_added))
        self.async_on_remove(self._unfollow_all)

    @callback
    def _room_added(self, controller: RoomController) -> None:
        self._follow(controller)
        self.async_write_ha_state()

    def _follow(self, controller: RoomController) -> None:
        @callback
        def _changed(event_type: str, data: dict[str, object]) -> None:
            self.async_write_ha_state()

        self._room_unsubs[controller.subentry_id] = controller.async_add_event_listener(_changed)

    @callback
    def _unfollow_all(self) -> None:
        for unsub in self._room_unsubs.values():
            unsub()
        self._room_unsubs.clear()

    def _open_events(self, now: datetime) -> list[SessionEvent]:
        events = []
        for controller in self._manager.controllers.values():
            session = controller.session
            if session is not None and session.owned is not None:
                events.append(
                    open_event(
                        controller.name,
                        session,
                        now,
                        controller.stops_at(),
                        _named(controller),
                    )
                )
        return events

    @property
    def event(self) -> CalendarEvent | None:
        """The session under way (the latest to start), if any."""
        events = self._open_events(dt_util.utcnow())
        return _calendar_event(max(events, key=lambda e: e.start)) if events else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """The sessions between two moments: ended ones from the history, and those under way."""
        rooms = self._manager.controllers
        events = [
            ended_event(rooms[room].name, record, _named(rooms[room]))
            for room, record in self._manager.history.snapshot()
            if room in rooms
        ]
        events += self._open_events(dt_util.utcnow())
        return [_calendar_event(event) for event in overlapping(events, start_date, end_date)]


def _named(controller: RoomController) -> NamedSource | None:
    """The room's source with its saved name, if it has both."""
    source = controller.source()
    if source is None or source[1] is None:
        return None
    return source[0], source[1]


def _calendar_event(event: SessionEvent) -> CalendarEvent:
    return CalendarEvent(
        start=dt_util.as_local(event.start),
        end=dt_util.as_local(event.end),
        summary=event.summary,
        description=event.description,
        uid=event.uid,
    )
