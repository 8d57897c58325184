"""All rooms of one account: their controllers, the session history and its storage."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE, EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_call_later, async_track_time_change
from homeassistant.util import dt as dt_util

from .const import CONF_SPOTIFY_DEVICE_ID, CONF_SPOTIFY_DEVICE_NAME, SUBENTRY_TYPE_ROOM
from .controller import RoomController
from .history import SessionHistory, history_from_stored, history_to_stored
from .records import RoomState, SessionRecord
from .room_host import MovableRoom
from .spotify_api import SpotifyClient
from .storage import SAVE_DELAY, HistoryStore, SessionStore
from .token_keeper import TokenKeeper

_LOGGER = logging.getLogger(__name__)


class SessionManager:
    """Creates, updates and removes room controllers as subentries come and go, live."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: SpotifyClient,
        account_device_id: str,
    ) -> None:
        self.hass = hass
        self.entry = entry
        self._client = client
        self._account_device_id = account_device_id
        self.store = SessionStore(hass, entry.entry_id)
        self.history_store = HistoryStore(hass, entry.entry_id)
        self._history_written: int | None = None  # history.changes when last written
        self.controllers: dict[str, RoomController] = {}
        self.history = SessionHistory()
        self._stored_states: dict[str, Any] = {}
        self._added_listeners: set[Callable[[RoomController], None]] = set()
        self._unsub_midnight: CALLBACK_TYPE | None = None
        self._keeper: TokenKeeper | None = None  # the account token's refresh timer
        self._unsub_save: CALLBACK_TYPE | None = None
        self._write_lock = asyncio.Lock()
        self._time_zone = dt_util.get_default_time_zone()
        self._unloaded = False

    async def async_setup(self) -> None:
        """Load the store, create a controller per subentry and follow subentry changes."""
        data = await self.store.async_load_safely()
        # The store keeps the rooms' states under "sensors" (its layout predates "room").
        self._stored_states = _dict_or_empty(data.get("sensors"), "room states")
        history = await self.history_store.async_load_safely()
        # A store from before the split kept the history beside the states: moved once.
        moved = "sessions" not in history and "sessions" in data
        raw = [history.pop("sessions", None) if not moved else data.pop("sessions", None)]
        del data, history
        if raw[0] is not None and not isinstance(raw[0], list):
            _LOGGER.warning("Ignoring malformed stored session history")
        # Parsing, pruning and freeing a large history (an old or copied file) stay off the
        # loop: freeing 100,000 parsed records alone takes tens of milliseconds.
        self.history, skipped, pruned = await self.hass.async_add_executor_job(
            _parse_history, raw, dt_util.utcnow()
        )
        if skipped:
            _LOGGER.warning("Skipped %d unreadable stored sessions", skipped)
        for subentry in self.entry.get_subentries_of_type(SUBENTRY_TYPE_ROOM):
            self._create(subentry)
        if skipped or pruned or moved:
            self.schedule_save()  # write the smaller (or moved) history back, once
        else:
            self._history_written = self.history.changes
        self.entry.async_on_unload(self.entry.add_update_listener(self._async_entry_updated))
        self._track_midnight()
        self.entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, self._on_core_config_update)
        )
        self.entry.async_on_unload(
            self.hass.bus.async_listen_once(EVENT_HOMEASSISTANT_FINAL_WRITE, self._on_final_write)
        )

    def _track_midnight(self) -> None:
        if self._unsub_midnight is not None:
            self._unsub_midnight()
        # Scheduled in the time zone of now; a change of zone schedules it again.
        self._unsub_midnight = async_track_time_change(
            self.hass, self._on_midnight, hour=0, minute=0, second=0
        )

    @callback
    def _on_core_config_update(self, event: Event[Any]) -> None:
        """HA's time zone changed: midnight and every room's quiet hours follow at once."""
        time_zone = dt_util.get_default_time_zone()
        if time_zone is self._time_zone or self._unloaded:
            return
        self._time_zone = time_zone
        self._track_midnight()
        for controller in self.controllers.values():
            controller.time_zone_changed()

    @callback
    def async_start(self, keeper: TokenKeeper | None = None) -> None:
        """Start every controller once its entities exist, and the account's token keeper."""
        for controller in self.controllers.values():
            controller.async_start()
        if keeper is not None:
            self._keeper = keeper
            keeper.start()

    async def _async_entry_updated(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Subentry added/changed/removed (or a token refresh): apply live, never reload."""
        self.async_reconcile()

    # ---- what a room asks of its account (RoomHost) -------------------------------------------

    @property
    def entry_id(self) -> str:
        """The account's config entry id."""
        return self.entry.entry_id

    @property
    def client(self) -> SpotifyClient:
        """The account's Spotify Web API client."""
        return self._client

    @property
    def account_device_id(self) -> str:
        """The account's service device, which the rooms' devices hang off."""
        return self._account_device_id

    def start_reauth(self) -> None:
        """The account needs signing in again."""
        self.entry.async_start_reauth(self.hass)

    def ended_since(self, room_id: str, since: datetime) -> list[SessionRecord]:
        """Sessions of `room_id` that ended at or after `since`."""
        return self.history.ended_since(room_id, since)

    @property
    def unloaded(self) -> bool:
        """The entry unloaded: the store is written for good, nothing is saved any more."""
        return self._unloaded

    async def async_unload(self) -> None:
        """Stop everything and write the store now (sessions continue after a restart)."""
        for controller in self.controllers.values():
            controller.async_stop()
        await asyncio.gather(*(c.async_drain() for c in self.controllers.values()))
        for controller in self.controllers.values():
            controller.async_stop()  # timers the finished calls armed again
        if self._unsub_midnight is not None:
            self._unsub_midnight()
            self._unsub_midnight = None
        if self._keeper is not None:
            self._keeper.stop()
        self._cancel_save()
        # A call that outlasts the drain must not write again later (over a reloaded entry's
        # store, or bringing back the store of a deleted entry).
        self._unloaded = True
        await self._async_write()

    # ---- subentries -------------------------------------------------------------------------

    def _create(self, subentry: ConfigSubentry) -> RoomController | None:
        state = None
        if (raw := self._stored_states.get(subentry.subentry_id)) is not None:
            try:
                state, problems = RoomState.load(raw)
            except ValueError:
                _LOGGER.warning("Ignoring the unreadable stored state of %s", subentry.title)
            else:
                if problems:
                    # One bad field costs that field only: the session, snooze and cooldown stay.
                    _LOGGER.warning(
                        "%s: ignored unreadable stored fields: %s",
                        subentry.title,
                        ", ".join(problems),
                    )
        try:
            controller = RoomController(self.hass, self, subentry, state)
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
            for subentry in self.entry.get_subentries_of_type(SUBENTRY_TYPE_ROOM)
        }
        for subentry_id in list(self.controllers):
            if subentry_id not in current:
                self.controllers.pop(subentry_id).async_remove()
                self._stored_states.pop(subentry_id, None)
                self.history.remove_room(subentry_id)
        for subentry_id, subentry in current.items():
            controller = self.controllers.get(subentry_id)
            if controller is None:
                if (controller := self._create(subentry)) is not None:
                    for listener in tuple(self._added_listeners):
                        listener(controller)
                    controller.place_in_area()
                    controller.async_start()
            elif controller.applied != (subentry.title, dict(subentry.data)):
                controller.async_update_subentry(subentry)
                self._update_device_name(controller)
        self.schedule_save()

    def _update_device_name(self, controller: RoomController) -> None:
        if (device_id := controller.device_id) is not None:
            dr.async_get(self.hass).async_update_device(device_id, name=controller.name)

    @callback
    def async_add_room_listener(self, listener: Callable[[RoomController], None]) -> CALLBACK_TYPE:
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

    def owned_sessions_elsewhere(self, room: object, target_id: str) -> list[MovableRoom]:
        """Other rooms whose owned session plays on another speaker (follow_me may take one)."""
        return [
            other
            for other in self.controllers.values()
            if other is not room
            and (session := other.session) is not None
            and session.owned is True
            and session.device_id not in (None, target_id)
        ]

    @callback
    def neighbour_left(self, room: object) -> None:
        """Someone left a room whose owned session plays: every room that follows reads ahead.

        Follow-me's approach for free: the room you leave is where you come from. The rooms
        share one read of the account's playback (made only if a start there would read, as
        for an approach sensor); each still makes sure of its own speaker.
        """
        shared = None  # one playback read serves every room of the account
        for other in self.controllers.values():
            if other is not room and other.follows_music:
                shared = other.prepare(shared) or shared

    # ---- history and storage ----------------------------------------------------------------

    def records_for(self, room_id: str) -> list[SessionRecord]:
        """Ended sessions of one room, oldest end first."""
        return self.history.records_of(room_id)

    @callback
    def add_record(self, room_id: str, record: SessionRecord) -> None:
        """Keep an ended session (30 days, at most 5,000 per account)."""
        self.history.add(room_id, record)
        self.history.prune(dt_util.utcnow())
        self.schedule_save()

    @callback
    def schedule_save(self) -> None:
        """Write soon, coalescing bursts; HA's final write saves what is pending at shutdown."""
        if self._unsub_save is None and not self._unloaded:
            self._unsub_save = async_call_later(self.hass, SAVE_DELAY, self._on_save_due)

    async def async_save_now(self) -> None:
        """Write the rooms' states now: what a start must find after a crash.

        Only the small states file: the history waits for its delayed save (still pending).
        """
        if self._unloaded:
            return
        await self._async_write(history=False)

    def _cancel_save(self) -> None:
        if self._unsub_save is not None:
            self._unsub_save()
            self._unsub_save = None

    async def _on_save_due(self, _now: datetime) -> None:
        self._unsub_save = None
        if not self._unloaded:
            await self._async_write()

    async def _on_final_write(self, _event: Event[Any]) -> None:
        if self._unsub_save is not None and not self._unloaded:
            self._cancel_save()
            await self._async_write()

    async def _async_write(self, *, history: bool = True) -> None:
        """Write a snapshot taken now, off the loop: the states, then the history if it changed.

        The states file is small: one executor job encodes and writes it. A start waits for
        that before its play, so it stays short whatever the history holds.
        """
        async with self._write_lock:  # snapshots are written in the order they were taken
            await self.store.async_save({"sensors": self._states_snapshot()})
            changes = self.history.changes
            if history and changes != self._history_written:
                # Records become JSON in the executor; only a changed history is written.
                sessions = await self.hass.async_add_executor_job(
                    history_to_stored, self.history.snapshot()
                )
                written = [{"sessions": sessions}]
                del sessions
                await self.history_store.async_save(written[0])
                # Freeing thousands of dicts takes about a millisecond: off the loop too.
                await self.hass.async_add_executor_job(written.clear)
                self._history_written = changes

    def _states_snapshot(self) -> dict[str, Any]:
        """The rooms' states as fresh dicts nobody changes later."""
        states = dict(self._stored_states)
        states.update(
            {sid: controller.engine.state.to_dict() for sid, controller in self.controllers.items()}
        )
        return states

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


def _parse_history(raw: list[Any], now: datetime) -> tuple[SessionHistory, int, int]:
    """In the executor: parse and prune the stored sessions, then let go of them here."""
    try:
        return history_from_stored(raw[0], now)
    finally:
        raw.clear()


def _dict_or_empty(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        _LOGGER.warning("Ignoring malformed stored %s", what)
        return {}
    return value
