"""Setting up the account entry: success, retry, reauth, not Premium, token refresh, removal."""

from __future__ import annotations

import asyncio
import time
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, get_system_health_info
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.spottypottysense import application_credentials
from custom_components.spottypottysense.const import DOMAIN, OAUTH2_TOKEN
from custom_components.spottypottysense.system_health import system_health_info
from tests.conftest import MOTION, USER_ID, token_data
from tests.fake_spotify import DEFAULT_TOKEN, FakeSpotify


async def test_setup_and_unload(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    assert loaded_entry.state is ConfigEntryState.LOADED
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, USER_ID), loaded_entry.entry_id
    )
    assert device is not None
    assert device.name == "Fake User"
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.model == "Spotify Premium"

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED


@pytest.mark.usefixtures("setup_credentials")
async def test_spotify_unreachable_retries_setup(
    hass: HomeAssistant, fake_spotify: FakeSpotify, config_entry: MockConfigEntry
) -> None:
    fake_spotify.fail("GET", "/me", 503, times=3)
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert len(fake_spotify.requests_to("GET", "/me")) == 3


@pytest.mark.usefixtures("setup_credentials")
async def test_rejected_token_starts_reauth(
    hass: HomeAssistant,
    fake_spotify: FakeSpotify,
    config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """401, then a forced refresh that Spotify also refuses: sign in again."""
    fake_spotify.valid_tokens.clear()
    aioclient_mock.post(OAUTH2_TOKEN, status=400, json={"error": "invalid_grant"})
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("setup_credentials")
async def test_still_rejected_after_refresh_starts_reauth(
    hass: HomeAssistant,
    fake_spotify: FakeSpotify,
    config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    fake_spotify.valid_tokens.clear()
    aioclient_mock.post(
        OAUTH2_TOKEN,
        json={"access_token": "still-bad", "token_type": "Bearer", "expires_in": 3600},
    )
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert config_entry.data["token"]["access_token"] == "still-bad"
    assert any(
        flow["context"]["source"] == SOURCE_REAUTH
        for flow in hass.config_entries.flow.async_progress()
    )


@pytest.mark.usefixtures("setup_credentials")
async def test_token_refresh_failure_is_retried(
    hass: HomeAssistant,
    fake_spotify: FakeSpotify,
    config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Spotify's token endpoint down (5xx): a retry, not a reauth."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, "token": token_data(expires_at=time.time() - 60)}
    )
    aioclient_mock.post(OAUTH2_TOKEN, status=503)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert fake_spotify.requests == []


@pytest.mark.usefixtures("setup_credentials")
async def test_not_premium_raises_a_repair_issue(
    hass: HomeAssistant,
    fake_spotify: FakeSpotify,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    fake_spotify.fail("GET", "/me", 403, reason="PREMIUM_REQUIRED")
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    issue = issue_registry.async_get_issue(DOMAIN, f"user_not_premium_{USER_ID}")
    assert issue is not None
    assert issue.translation_key == "user_not_premium"

    # Once the account works again, the issue goes away.
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, f"user_not_premium_{USER_ID}") is None


@pytest.mark.usefixtures("setup_credentials")
async def test_missing_scopes_start_reauth(
    hass: HomeAssistant, fake_spotify: FakeSpotify, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry,
        data={**config_entry.data, "token": token_data(scope="user-read-private")},
    )
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert hass.config_entries.flow.async_progress()[0]["context"]["source"] == SOURCE_REAUTH


async def test_token_refresh_does_not_reload(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """An hourly token refresh updates the entry; the rooms keep running, nothing reloads."""
    manager = loaded_entry.runtime_data.manager
    hass.config_entries.async_update_entry(
        loaded_entry,
        data={**loaded_entry.data, "token": token_data(expires_at=time.time() - 60)},
    )
    speaker.valid_tokens.add("refreshed-token")
    aioclient_mock.post(
        OAUTH2_TOKEN,
        json={"access_token": "refreshed-token", "token_type": "Bearer", "expires_in": 3600},
    )
    with patch("custom_components.spottypottysense.async_setup_entry", side_effect=AssertionError):
        hass.states.async_set(MOTION, "on")
        await hass.async_block_till_done()
    assert loaded_entry.data["token"]["access_token"] == "refreshed-token"
    assert loaded_entry.runtime_data.manager is manager
    assert loaded_entry.state is ConfigEntryState.LOADED
    (play,) = speaker.requests_to("PUT", "/me/player/play")
    assert play.token == "refreshed-token"


async def test_removing_the_entry_deletes_its_store(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hass_storage: dict
) -> None:
    key = f"{DOMAIN}.{loaded_entry.entry_id}"
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert key in hass_storage
    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


async def test_diagnostics_redact_secrets(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded_entry)
    text = str(diagnostics)
    for secret in (DEFAULT_TOKEN, "refresh-token", USER_ID, "fake.user@example.com"):
        assert secret not in text
    assert diagnostics == snapshot(exclude=lambda prop, path: prop in ("expires_at",))


async def test_system_health(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.get("https://api.spotify.com/v1/", status=401)
    assert await async_setup_component(hass, "system_health", {})
    info = await get_system_health_info(hass, DOMAIN)
    info = {
        key: await value if asyncio.iscoroutine(value) else value for key, value in info.items()
    }
    assert info["accounts"] == 1
    assert info["last_rate_limit_wait"] == "none"
    assert info["api_endpoint_reachable"] == "ok"

    loaded_entry.runtime_data.client.last_rate_limit_wait = 4.0
    info = await system_health_info(hass)
    assert info["last_rate_limit_wait"] == "4.0 s"
    assert await info["api_endpoint_reachable"] == "ok"


async def test_unload_failure_keeps_the_rooms_running(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    with patch.object(hass.config_entries, "async_unload_platforms", return_value=False):
        assert not await hass.config_entries.async_unload(loaded_entry.entry_id)
    manager = loaded_entry.runtime_data.manager
    assert manager.controllers
    await manager.async_unload()  # what a later successful unload does


async def test_credentials_form_explains_the_spotify_app(hass: HomeAssistant) -> None:
    placeholders = await application_credentials.async_get_description_placeholders(hass)
    assert placeholders["redirect_url"] == "https://my.home-assistant.io/redirect/oauth"
    assert placeholders["developer_dashboard_url"].startswith("https://developer.spotify.com")
