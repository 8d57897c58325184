"""Persistence through HA's Store helper: the rooms' states, and the session history apart.

Two files per account: `.storage/spottypottysense.<entry_id>` keeps the rooms' states (open
sessions, deadlines, cooldowns, snoozes, switches): small, and written before every start's
play (write before you act). `.storage/spottypottysense.<entry_id>.history` keeps the ended
sessions (up to 5,000): larger, written with a delay. Stores written before the split kept the
history in the first file under "sessions"; it is read from there once and moved.
"""

from __future__ import annotations

import logging
from typing import Any, override

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION = 1
STORAGE_MINOR_VERSION = 1
SAVE_DELAY = 10  # seconds: coalesce bursts of motion into one write; HA writes on shutdown too


class SessionStore(Store[dict[str, Any]]):
    """The rooms' states of one account (`.storage/spottypottysense.<entry_id>`)."""

    def __init__(self, hass: HomeAssistant, entry_id: str, *, suffix: str = "") -> None:
        super().__init__(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}{suffix}",
            minor_version=STORAGE_MINOR_VERSION,
            # Thousands of sessions take milliseconds to encode: do it in the executor. The
            # manager hands over a snapshot (fresh dicts and lists), never live objects.
            serialize_in_event_loop=False,
        )

    @override
    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        """Migrate older layouts; version 1 is the first, so only minor bumps pass through."""
        if old_major_version > STORAGE_VERSION:  # pragma: no cover - guarded by Store itself
            raise NotImplementedError
        return old_data

    async def async_load_safely(self) -> dict[str, Any]:
        """Load the stored data; anything unreadable gives a warning and an empty start."""
        try:
            data: Any = await self.async_load()
        except Exception:  # a bad file must never fail the setup
            _LOGGER.warning("Could not read %s; starting with no stored sessions", self.path)
            return {}
        if data is None:
            return {}
        if not isinstance(data, dict):
            _LOGGER.warning("Ignoring malformed %s; starting with no stored sessions", self.path)
            return {}
        return data


class HistoryStore(SessionStore):
    """The account's ended sessions (`.storage/spottypottysense.<entry_id>.history`)."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        super().__init__(hass, entry_id, suffix=".history")
