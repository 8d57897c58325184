"""Config flow: sign in to a Spotify account with OAuth2, and add rooms to it."""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any, override

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.core import callback
from homeassistant.helpers import config_entry_oauth2_flow

from .const import DOMAIN, SPOTIFY_PREMIUM_URL, SPOTIFY_SCOPES, SUBENTRY_TYPE_ROOM
from .room_flow import RoomSubentryFlow
from .spotify_api import SpotifyApiError, SpotifyClient, SpotifyForbiddenError


def missing_scopes(token: Mapping[str, Any]) -> list[str]:
    """Return the scopes we need that the token was not granted (Spotify separates by spaces)."""
    granted = set(str(token.get("scope", "")).replace(",", " ").split())
    return [scope for scope in SPOTIFY_SCOPES if scope not in granted]


class SpottyPottySenseFlowHandler(
    config_entry_oauth2_flow.AbstractOAuth2FlowHandler, domain=DOMAIN
):
    """Sign in to Spotify; reauth and reconfigure must keep the same account."""

    DOMAIN = DOMAIN
    VERSION = 1
    MINOR_VERSION = 2  # 1.2: quiet hours stored as the room's quiet time window

    @property
    @override
    def logger(self) -> logging.Logger:
        """Return the flow's logger."""
        return logging.getLogger(__name__)

    @property
    @override
    def extra_authorize_data(self) -> dict[str, Any]:
        """Ask for our scopes, and always show Spotify's dialog so the account can be chosen."""
        return {"scope": " ".join(SPOTIFY_SCOPES), "show_dialog": "true"}

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Each room is a subentry of the account."""
        return {SUBENTRY_TYPE_ROOM: RoomSubentryFlow}

    @override
    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Check the account (Premium, scopes) before creating or updating the entry."""
        token = data["token"]
        if missing := missing_scopes(token):
            return self.async_abort(
                reason="missing_scopes", description_placeholders={"scopes": ", ".join(missing)}
            )

        async def _token(force_refresh: bool) -> str:
            return str(token["access_token"])

        client = SpotifyClient(_token, self.hass.async_add_executor_job)
        try:
            user = await client.current_user()
        except SpotifyForbiddenError:
            return self._abort_not_premium()
        except SpotifyApiError:
            self.logger.exception("Could not read the Spotify account")
            return self.async_abort(reason="connection_error")
        finally:
            await client.close()
        if not user.is_premium:
            return self._abort_not_premium()

        await self.async_set_unique_id(user.user_id)
        if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            self._abort_if_unique_id_mismatch(reason=f"{self.source}_account_mismatch")
            entry = (
                self._get_reauth_entry()
                if self.source == SOURCE_REAUTH
                else self._get_reconfigure_entry()
            )
            if entry.state is not ConfigEntryState.LOADED:
                self.hass.config_entries.async_schedule_reload(entry.entry_id)
            # A loaded entry reads the new token on its next request: no reload needed.
            return self.async_update_and_abort(entry, title=user.display_name, data_updates=data)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(title=user.display_name, data=data)

    def _abort_not_premium(self) -> ConfigFlowResult:
        return self.async_abort(
            reason="user_not_premium", description_placeholders={"url": SPOTIFY_PREMIUM_URL}
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Spotify refused the stored token: sign in again."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm before sending the user to Spotify."""
        entry = self._get_reauth_entry()
        if user_input is None:
            return self.async_show_form(
                step_id="reauth_confirm", description_placeholders={"account": entry.title}
            )
        return await self.async_step_pick_implementation(
            user_input={"implementation": entry.data["auth_implementation"]}
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in again (for example with new scopes or credentials), same account only."""
        entry = self._get_reconfigure_entry()
        return await self.async_step_pick_implementation(
            user_input={"implementation": entry.data["auth_implementation"]}
        )
