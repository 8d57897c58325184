"""Keeps the account's access token fresh ahead of its expiry, so motion never waits for it.

Spotify's access tokens last an hour. After an hour with nobody in any room, the first motion
would pay for a token refresh before its first request. The keeper refreshes the token a few
seconds before it expires instead, through HA's own OAuth2 session (its lock, its margin),
asking nothing of the Web API: no playback polling, only the token endpoint once an hour.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
import logging
import time
from typing import Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.config_entry_oauth2_flow import CLOCK_OUT_OF_SYNC_MAX_SEC
from homeassistant.helpers.event import async_call_later

from .spotify_api import SpotifyApiError, SpotifyAuthError, TokenProvider

_LOGGER = logging.getLogger(__name__)

# Refresh this long before expiry: inside HA's own "about to expire" margin (20 s), so the
# session's ensure-valid call refreshes it, and well before Spotify refuses it.
REFRESH_BEFORE: Final = CLOCK_OUT_OF_SYNC_MAX_SEC / 2
RETRY_AFTER: Final = 60.0  # the token endpoint failed: try again a minute later


def refresh_delay(expires_at: object, now: float) -> float | None:
    """Seconds until the keeper should refresh (0: now); None for a token without an expiry."""
    if isinstance(expires_at, bool) or not isinstance(expires_at, (int, float)):
        return None
    return max(0.0, float(expires_at) - REFRESH_BEFORE - now)


class TokenKeeper:
    """One account's timer: refresh the token shortly before it expires, then again."""

    def __init__(
        self,
        hass: HomeAssistant,
        expires_at: Callable[[], object],
        provide: TokenProvider,
    ) -> None:
        self._hass = hass
        self._expires_at = expires_at
        self._provide = provide
        self._unsub: CALLBACK_TYPE | None = None

    @callback
    def start(self) -> None:
        """Schedule the next refresh from the current token's expiry."""
        self.stop()
        delay = refresh_delay(self._expires_at(), time.time())
        if delay is not None:
            self._schedule(delay)

    @callback
    def stop(self) -> None:
        """Cancel the timer (the entry unloads)."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None

    def _schedule(self, delay: float) -> None:
        self._unsub = async_call_later(self._hass, delay, self._fire)

    async def _fire(self, _now: datetime) -> None:
        self._unsub = None
        try:
            await self._provide(False)  # HA's session refreshes a token about to expire
        except SpotifyAuthError:
            return  # the provider started a reauth: the new sign-in brings a new token
        except SpotifyApiError as err:
            _LOGGER.debug("Token refresh ahead of expiry failed (%s); retrying", type(err).__name__)
            self._schedule(RETRY_AFTER)
            return
        self.start()
