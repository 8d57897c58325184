"""The account flow: the OAuth dance as HA core tests it, every abort, reauth and reconfigure."""

from __future__ import annotations

import logging
from typing import Any
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import config_entry_oauth2_flow
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.spottypottysense.const import (
    DOMAIN,
    OAUTH2_AUTHORIZE,
    OAUTH2_TOKEN,
    SPOTIFY_SCOPES,
)
from tests.conftest import CLIENT_ID, CLIENT_SECRET, USER_ID
from tests.fake_spotify import DEFAULT_TOKEN, FakeSpotify

REDIRECT = "https://example.com/auth/external/callback"

pytestmark = pytest.mark.usefixtures("current_request_with_host", "setup_credentials")


async def _oauth_dance(
    hass: HomeAssistant,
    result: dict[str, Any],
    client_factory: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    *,
    scope: str = " ".join(SPOTIFY_SCOPES),
) -> dict[str, Any]:
    """Follow the external step: Spotify's consent page, the callback, the token exchange."""
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    state = config_entry_oauth2_flow._encode_jwt(
        hass, {"flow_id": result["flow_id"], "redirect_uri": REDIRECT}
    )
    url = urlsplit(result["url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == OAUTH2_AUTHORIZE
    query = parse_qs(url.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [REDIRECT]
    assert query["state"] == [state]
    assert query["show_dialog"] == ["true"]
    assert set(query["scope"][0].split(" ")) == set(SPOTIFY_SCOPES)

    client = await client_factory()
    response = await client.get(f"/auth/external/callback?code=abcd&state={state}")
    assert response.status == 200
    aioclient_mock.clear_requests()
    aioclient_mock.post(
        OAUTH2_TOKEN,
        json={
            "refresh_token": "new-refresh-token",
            "access_token": DEFAULT_TOKEN,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": scope,
        },
    )
    with patch(
        "custom_components.spottypottysense.async_setup_entry", return_value=True
    ) as mock_setup:
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
        await hass.async_block_till_done()
    result["setup_calls"] = len(mock_setup.mock_calls)
    return result


async def test_full_flow_creates_the_account_entry(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    fake_spotify: FakeSpotify,
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await _oauth_dance(hass, result, hass_client_no_auth, aioclient_mock)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Fake User"
    assert result["result"].unique_id == USER_ID
    token = result["data"]["token"]
    token.pop("expires_at")
    assert token["access_token"] == DEFAULT_TOKEN
    assert token["refresh_token"] == "new-refresh-token"
    assert result["data"]["auth_implementation"] == DOMAIN
    assert result["setup_calls"] == 1
    # Test before configure: the account was read once, with the new token.
    (request,) = fake_spotify.requests_to("GET", "/me")
    assert request.token == DEFAULT_TOKEN


async def test_sign_in_at_debug_logs_no_secret_and_no_e_mail(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    fake_spotify: FakeSpotify,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A user asked to share a debug log must not share their secrets with it."""
    caplog.set_level(logging.DEBUG)  # every logger: HA's, spotipy's, urllib3's and ours
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await _oauth_dance(hass, result, hass_client_no_auth, aioclient_mock)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert fake_spotify.requests_to("GET", "/me")  # the account was read (and logged) ...
    assert "RESULTS: **REDACTED**" in caplog.text
    for secret in (CLIENT_SECRET, DEFAULT_TOKEN, "new-refresh-token", fake_spotify.user.email):
        assert secret
        assert secret not in caplog.text  # ... without what identifies or unlocks it


async def test_same_account_twice_aborts(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    fake_spotify: FakeSpotify,
    config_entry: MockConfigEntry,
) -> None:
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await _oauth_dance(hass, result, hass_client_no_auth, aioclient_mock)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_free_account_aborts_not_premium(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    fake_spotify: FakeSpotify,
) -> None:
    fake_spotify.set_premium(False)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await _oauth_dance(hass, result, hass_client_no_auth, aioclient_mock)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "user_not_premium"
    assert "developer.spotify.com" in result["description_placeholders"]["url"]


async def test_forbidden_app_aborts_not_premium(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    fake_spotify: FakeSpotify,
) -> None:
    """Spotify's 2026 policy: an app whose owner lacks Premium gets 403 on every call."""
    fake_spotify.fail("GET", "/me", 403)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await _oauth_dance(hass, result, hass_client_no_auth, aioclient_mock)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "user_not_premium"


async def test_spotify_error_aborts_connection_error(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    fake_spotify: FakeSpotify,
) -> None:
    fake_spotify.fail("GET", "/me", 404)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await _oauth_dance(hass, result, hass_client_no_auth, aioclient_mock)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "connection_error"
    assert result["setup_calls"] == 0


async def test_missing_scopes_abort_before_any_request(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    fake_spotify: FakeSpotify,
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await _oauth_dance(
        hass,
        result,
        hass_client_no_auth,
        aioclient_mock,
        scope="user-read-playback-state user-read-private",
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_scopes"
    assert "user-modify-playback-state" in result["description_placeholders"]["scopes"]
    assert fake_spotify.requests == []


@pytest.mark.parametrize("loaded", [False, True])
async def test_reauth_same_account_updates_the_token(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    fake_spotify: FakeSpotify,
    config_entry: MockConfigEntry,
    loaded: bool,
) -> None:
    config_entry.add_to_hass(hass)
    if loaded:
        config_entry.mock_state(hass, ConfigEntryState.LOADED)
    result = await config_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["account"] == "Fake User"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await _oauth_dance(hass, result, hass_client_no_auth, aioclient_mock)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data["token"]["refresh_token"] == "new-refresh-token"
    # A loaded entry just uses the new token; one that failed to set up is set up again.
    assert result["setup_calls"] == (0 if loaded else 1)


async def test_reauth_with_another_account_aborts(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    fake_spotify: FakeSpotify,
    config_entry: MockConfigEntry,
) -> None:
    config_entry.add_to_hass(hass)
    fake_spotify.user.id = "someone-else"
    result = await config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await _oauth_dance(hass, result, hass_client_no_auth, aioclient_mock)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_account_mismatch"
    assert config_entry.data["token"]["refresh_token"] == "refresh-token"


async def test_reconfigure_same_account(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    fake_spotify: FakeSpotify,
    config_entry: MockConfigEntry,
) -> None:
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    result = await _oauth_dance(hass, result, hass_client_no_auth, aioclient_mock)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data["token"]["refresh_token"] == "new-refresh-token"


async def test_reconfigure_with_another_account_aborts(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    fake_spotify: FakeSpotify,
    config_entry: MockConfigEntry,
) -> None:
    config_entry.add_to_hass(hass)
    fake_spotify.user.id = "someone-else"
    result = await config_entry.start_reconfigure_flow(hass)
    result = await _oauth_dance(hass, result, hass_client_no_auth, aioclient_mock)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_account_mismatch"


async def test_motion_sensor_subentry_type_is_offered(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    assert "motion_sensor" in config_entry.supported_subentry_types
    assert config_entry.supported_subentry_types["motion_sensor"]["supports_reconfigure"]
