"""SpottyPottySense: motion in a room starts Spotify, and it stops after everyone has left."""

from __future__ import annotations

from asyncio import sleep as backoff_sleep  # the client's Retry-After/backoff waits
import logging

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.config_entry_oauth2_flow import (
    OAuth2Session,
    async_get_config_entry_implementation,
)
from homeassistant.helpers.typing import ConfigType

from .auth import token_provider
from .config_flow import missing_scopes
from .const import DOMAIN, SPOTIFY_PREMIUM_URL, SUBENTRY_TYPE_ROOM
from .controller import speaker_issue_id
from .manager import SessionManager
from .runtime import SpottyPottySenseConfigEntry, SpottyPottySenseData
from .services import async_setup_services
from .spotify_api import (
    SpotifyApiError,
    SpotifyAuthError,
    SpotifyClient,
    SpotifyForbiddenError,
)
from .storage import HistoryStore, SessionStore
from .time_windows import with_quiet_window
from .token_keeper import TokenKeeper

_LOGGER = logging.getLogger(__name__)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS: list[Platform] = [
    Platform.BUTTON,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.SENSOR,
    Platform.SWITCH,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions once, whatever entries exist."""
    async_setup_services(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: SpottyPottySenseConfigEntry) -> bool:
    """1.1 → 1.2: each room's quiet hours become its quiet time window (same behaviour)."""
    if entry.version > 1:
        return False  # a newer version's entry: HA shows it as a failed migration
    if entry.minor_version < 2:
        for subentry in list(entry.subentries.values()):
            if subentry.subentry_type != SUBENTRY_TYPE_ROOM:
                continue
            try:
                data = with_quiet_window(subentry.data)
            except ValueError:
                # Quiet hours that never worked stay as they are: the room reports them.
                _LOGGER.warning(
                    "%s: its quiet hours could not be read; left as stored", subentry.title
                )
                continue
            hass.config_entries.async_update_subentry(entry, subentry, data=data)
        hass.config_entries.async_update_entry(entry, minor_version=2)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SpottyPottySenseConfigEntry) -> bool:
    """Connect to the Spotify account; fail in the way that lets HA retry or reauthenticate."""
    implementation = await async_get_config_entry_implementation(hass, entry)
    oauth_session = OAuth2Session(hass, entry, implementation)
    provide = token_provider(hass, entry, oauth_session)
    client = SpotifyClient(
        provide,
        hass.async_add_executor_job,
        sleep=backoff_sleep,
    )
    entry.async_on_unload(client.close)

    not_premium_issue = f"user_not_premium_{entry.unique_id}"
    try:
        user = await client.current_user()
    except SpotifyAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="auth_failed"
        ) from err
    except SpotifyForbiddenError as err:
        ir.async_create_issue(
            hass,
            DOMAIN,
            not_premium_issue,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="user_not_premium",
            translation_placeholders={"account": entry.title},
            learn_more_url=SPOTIFY_PREMIUM_URL,
        )
        raise ConfigEntryError(translation_domain=DOMAIN, translation_key="forbidden") from err
    except SpotifyApiError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key=err.translation_key
        ) from err
    ir.async_delete_issue(hass, DOMAIN, not_premium_issue)

    if missing := missing_scopes(entry.data["token"]):
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="missing_scopes",
            translation_placeholders={"scopes": ", ".join(missing)},
        )

    account_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, user.user_id)},
        name=user.display_name,
        manufacturer="Spotify",
        model=f"Spotify {(user.product or 'account').capitalize()}",
        entry_type=dr.DeviceEntryType.SERVICE,
        configuration_url="https://www.spotify.com/account/overview/",
    )
    manager = SessionManager(hass, entry, client, account_device.id)
    entry.runtime_data = SpottyPottySenseData(
        client=client,
        oauth_session=oauth_session,
        user=user,
        account_device_id=account_device.id,
        manager=manager,
    )
    await manager.async_setup()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # The token is refreshed ahead of its expiry: the first motion after a quiet hour does not
    # wait for it.
    manager.async_start(TokenKeeper(hass, lambda: oauth_session.token.get("expires_at"), provide))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SpottyPottySenseConfigEntry) -> bool:
    """Unload platforms and stop the rooms; their open sessions are kept in the store."""
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    await entry.runtime_data.manager.async_unload()
    return True


async def async_remove_entry(hass: HomeAssistant, entry: SpottyPottySenseConfigEntry) -> None:
    """The account was deleted: delete its stored sessions and its rooms' repair issues too."""
    await SessionStore(hass, entry.entry_id).async_remove()
    await HistoryStore(hass, entry.entry_id).async_remove()
    for subentry_id in entry.subentries:
        ir.async_delete_issue(hass, DOMAIN, speaker_issue_id(subentry_id))
