"""All rooms of one account: their controllers, the session history and its storage."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
import logging
from typing import Any

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_time_change
from homeassistant.util import dt as dt_util

from .const import CONF_SPOTIFY_DEVICE_ID, CONF_SPOTIFY_DEVICE_NAME, SUBENTRY_TYPE_MOTION_SENSOR
from .controller import SensorController
from .engine import SensorState, SessionRecord
from .history import prune
from .runtime import SpottyPottySenseConfigEntry
from .spotify_api import SpotifyClient
from .storage import SAVE_DELAY, SessionStore

_LOGGER = logging.getLogger(__name__)


class SessionManager:
    """Creates, updates and removes room controllers as subentries come and go, live."""

    def __init__(
        self, hass: HomeAssistant, entry: SpottyPottySenseConfigEntry, client: SpotifyClient
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.client = client
        self.store = SessionStore(hass, entry.entry_id)
        self.controllers: dict[str, SensorController] = {}
        self._records: dict[str, list[SessionRecord]] = {}
        self._stored_states: dict[str, Any] = {}
        self._added_listeners: set[Callable[[SensorController], None]] = set()
        self._unsub_midnight: CALLBACK_TYPE | None = None
        self._unloaded = False
        self._save_pending = False

    async def async_setup(self) -> None:
        """Load the store, create a controller per subentry and follow subentry changes."""
        data = await self.store.async_load_safely()
        self._stored_states = _dict_or_empty(data.get("sensors"), "sensors")
        self._records = self._load_records(data.get("sessions"))
        self._prune()
        for subentry in self.entry.get_subentries_of_type(SUBENTRY_TYPE_MOTION_SENSOR):
            self._create(subentry)
        self.entry.async_on_unload(self.entry.add_update_listener(_async_entry_updated))
        self._unsub_midnight = async_track_time_change(
            self.hass, self._on_midnight, hour=0, minute=0, second=0
        )

    @callback
    def async_start(self) -> None:
        """Start every controller once its entities exist."""
        for controller in self.controllers.values():
            controller.async_start()

    async def async_unload(self) -> None:
        """Stop everything and write the store now (sessions continue after a restart)."""
        for controller in self.controllers.values():
            controller.async_stop()
        await asyncio.gather(*(c.async_drain() for c in self.controllers.values()))
        for controller in self.controllers.values():
            controller.async_stop()  # timers the finished calls armed again
        if self._unsub_midnight is not None:
            self._unsub_midnight()
        # A call that outlasts the drain must not write again later (over a reloaded entry's
        # store, or bringing back the store of a deleted entry).
        self._unloaded = True
        await self.store.async_save(self._data_to_save())

    # ---- subentries -------------------------------------------------------------------------

    def _create(self, subentry: ConfigSubentry) -> SensorController | None:
        state = None
        if (raw := self._stored_states.get(subentry.subentry_id)) is not None:
            try:
                state = SensorState.from_dict(raw)
            except ValueError, KeyError, TypeError, OverflowError:
                _LOGGER.warning("Ignoring the unreadable stored state of %s", subentry.title)
        try:
            controller = SensorController(self.hass, self, subentry, state)
        except ValueError:
            _LOGGER.exception("The options of %s cannot be used; reconfigure it", subentry.title)
            return None
        self.controllers[subentry.subentry_id] = controller
        return controller

    @callback
    def async_reconcile(self) -> None:
        """Follow the entry's subentries: add new rooms, update changed ones, end removed ones."""
        current = {
            subentry.subentry_id: subentry
            for subentry in self.entry.get_subentries_of_type(SUBENTRY_TYPE_MOTION_SENSOR)
        }
        for subentry_id in list(self.controllers):
            if subentry_id not in current:
                self.controllers.pop(subentry_id).async_remove()
                self._stored_states.pop(subentry_id, None)
                self._records.pop(subentry_id, None)
        for subentry_id, subentry in current.items():
            controller = self.controllers.get(subentry_id)
            if controller is None:
                if (controller := self._create(subentry)) is not None:
                    for listener in tuple(self._added_listeners):
                        listener(controller)
                    controller.async_start()
            elif controller.applied != (subentry.title, dict(subentry.data)):
                controller.async_update_subentry(subentry)
                self._update_device_name(controller)
        self.schedule_save()

    def _update_device_name(self, controller: SensorController) -> None:
        if (device_id := controller.device_id) is not None:
            dr.async_get(self.hass).async_update_device(device_id, name=controller.name)

    @callback
    def async_add_sensor_listener(
        self, listener: Callable[[SensorController], None]
    ) -> CALLBACK_TYPE:
        """Platforms add entities for rooms added after setup through this."""
        self._added_listeners.add(listener)
        return lambda: self._added_listeners.discard(listener)

    @callback
    def update_speaker(self, subentry: ConfigSubentry, device_id: str, name: str) -> None:
        """Save a speaker's new Spotify id (found again by its name)."""
        self.hass.config_entries.async_update_subentry(
            self.entry,
            subentry,
            data={
                **subentry.data,
                CONF_SPOTIFY_DEVICE_ID: device_id,
                CONF_SPOTIFY_DEVICE_NAME: name,
            },
        )

    def owned_sessions_elsewhere(
        self, room: SensorController, target_id: str
    ) -> list[SensorController]:
        """Other rooms whose owned session plays on another speaker (follow_me may take one)."""
        return [
            other
            for other in self.controllers.values()
            if other is not room
            and (session := other.session) is not None
            and session.owned is True
            and session.device_id not in (None, target_id)
        ]

    # ---- history and storage ----------------------------------------------------------------

    def records_for(self, subentry_id: str) -> list[SessionRecord]:
        """Ended sessions of one room, oldest first."""
        return self._records.get(subentry_id, [])

    def all_records(self) -> list[tuple[str, SessionRecord]]:
        """Ended sessions of all rooms, oldest first."""
        pairs = [(sid, record) for sid, records in self._records.items() for record in records]
        pairs.sort(key=lambda pair: pair[1].started)
        return pairs

    @callback
    def add_record(self, subentry_id: str, record: SessionRecord) -> None:
        """Keep an ended session (30 days, at most 5,000 per account)."""
        self._records.setdefault(subentry_id, []).append(record)
        self._prune()
        self.schedule_save()

    def _prune(self) -> None:
        now = dt_util.utcnow()
        kept = {
            record.session_id for record in prune([record for _, record in self.all_records()], now)
        }
        self._records = {
            sid: [record for record in records if record.session_id in kept]
            for sid, records in self._records.items()
        }

    @callback
    def schedule_save(self) -> None:
        """Write soon, coalescing bursts; HA also writes pending data at shutdown."""
        if not self._save_pending and not self._unloaded:
            self._save_pending = True
            self.store.async_delay_save(self._data_to_save, SAVE_DELAY)

    def _data_to_save(self) -> dict[str, Any]:
        self._save_pending = False
        states = dict(self._stored_states)
        states.update(
            {sid: controller.engine.state.to_dict() for sid, controller in self.controllers.items()}
        )
        return {
            "sensors": states,
            "sessions": [{"sensor": sid, **record.to_dict()} for sid, record in self.all_records()],
        }

    def _load_records(self, raw: Any) -> dict[str, list[SessionRecord]]:
        records: dict[str, list[SessionRecord]] = {}
        if raw is None:
            return records
        if not isinstance(raw, list):
            _LOGGER.warning("Ignoring malformed stored session history")
            return records
        skipped = 0
        for item in raw:
            try:
                sensor = item["sensor"]
                record = SessionRecord.from_dict({k: v for k, v in item.items() if k != "sensor"})
            except ValueError, KeyError, TypeError, AttributeError, OverflowError:
                skipped += 1
                continue
            records.setdefault(str(sensor), []).append(record)
        if skipped:
            _LOGGER.warning("Skipped %d unreadable stored sessions", skipped)
        return records

    @callback
    def _on_midnight(self, now: datetime) -> None:
        for controller in self.controllers.values():
            controller.notify()

    def diagnostics(self) -> list[dict[str, Any]]:
        """Each room's options, status and open session, by name."""
        return sorted(
            (controller.diagnostics() for controller in self.controllers.values()),
            key=lambda item: str(item["name"]),
        )


def _dict_or_empty(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        _LOGGER.warning("Ignoring malformed stored %s", what)
        return {}
    return value


async def _async_entry_updated(hass: HomeAssistant, entry: SpottyPottySenseConfigEntry) -> None:
    """Subentry added/changed/removed (or a token refresh): apply live, never reload."""
    entry.runtime_data.manager.async_reconcile()
