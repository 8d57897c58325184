"""Bridge between HA's OAuth2 session and the Spotify client's token provider."""

from __future__ import annotations

from aiohttp import ClientError
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    OAuth2TokenRequestBaseError,
)
from homeassistant.helpers.config_entry_oauth2_flow import OAuth2Session

from .spotify_api import SpotifyAuthError, SpotifyConnectionError, TokenProvider


def token_provider(
    hass: HomeAssistant, entry: ConfigEntry, session: OAuth2Session
) -> TokenProvider:
    """Return a provider that hands the client a valid token, refreshing it when asked.

    Spotify answered 401 → ``force_refresh``: a new token is fetched even if the old one has not
    expired yet. Refresh failures become the client's typed errors so callers see one error family.
    """

    async def _provide(force_refresh: bool) -> str:
        try:
            if force_refresh:
                new_token = await session.implementation.async_refresh_token(session.token)
                hass.config_entries.async_update_entry(
                    entry, data={**entry.data, "token": new_token}
                )
            else:
                await session.async_ensure_token_valid()
        except ConfigEntryAuthFailed as err:
            entry.async_start_reauth(hass)
            raise SpotifyAuthError from err
        except (OAuth2TokenRequestBaseError, ClientError, TimeoutError) as err:
            raise SpotifyConnectionError from err
        return str(session.token["access_token"])

    return _provide
