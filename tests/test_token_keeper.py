"""The access token is refreshed ahead of its expiry: motion after a quiet hour never waits for it.

The refresh goes to the token endpoint only (no Web API request, no playback polling), through
HA's own OAuth2 session; a failed refresh is retried a minute later; a refused one asks the user
to sign in again.
"""

from __future__ import annotations

from datetime import timedelta
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.spottypottysense.token_keeper import REFRESH_BEFORE, refresh_delay
from tests.conftest import MOTION, token_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance
from tests.test_init import OAUTH2_TOKEN

TEN_MINUTES = timedelta(minutes=10)


@pytest.mark.parametrize(
    ("expires_at", "expected"),
    [
        (1000.0 + 600, 600 - REFRESH_BEFORE),
        (1000 + 5, 0.0),  # about to expire: now
        (900.0, 0.0),  # expired: now
        (None, None),
        ("soon", None),
        (True, None),
    ],
)
def test_refresh_delay(expires_at: object, expected: float | None) -> None:
    assert refresh_delay(expires_at, 1000.0) == expected


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The account loaded with a token that expires in ten minutes."""
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry,
        data={**config_entry.data, "token": token_data(expires_at=time.time() + 600)},
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


async def test_the_token_is_refreshed_before_it_expires_without_the_web_api(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    speaker: FakeSpotify,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    aioclient_mock.post(
        OAUTH2_TOKEN,
        json={"access_token": "fresh-token", "token_type": "Bearer", "expires_in": 3600},
    )
    web_api = len(speaker.requests)
    await advance(hass, freezer, TEN_MINUTES - timedelta(seconds=30))
    assert aioclient_mock.call_count == 0  # not yet
    await advance(hass, freezer, timedelta(seconds=25))
    assert aioclient_mock.call_count == 1
    assert entry.data["token"]["access_token"] == "fresh-token"
    assert len(speaker.requests) == web_api  # nothing asked of the Web API
    # The next one, an hour later.
    await advance(hass, freezer, timedelta(minutes=59))
    assert aioclient_mock.call_count == 1
    await advance(hass, freezer, timedelta(minutes=1))
    assert aioclient_mock.call_count == 2
    assert entry.state is ConfigEntryState.LOADED


async def test_a_failed_refresh_is_retried_a_minute_later(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    aioclient_mock.post(OAUTH2_TOKEN, status=503)
    await advance(hass, freezer, TEN_MINUTES)
    assert aioclient_mock.call_count == 1
    aioclient_mock.clear_requests()
    aioclient_mock.post(
        OAUTH2_TOKEN,
        json={"access_token": "fresh-token", "token_type": "Bearer", "expires_in": 3600},
    )
    await advance(hass, freezer, timedelta(minutes=1))
    assert aioclient_mock.call_count == 1
    assert entry.data["token"]["access_token"] == "fresh-token"


async def test_a_refused_refresh_asks_to_sign_in_again(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    aioclient_mock.post(OAUTH2_TOKEN, status=400, json={"error": "invalid_grant"})
    await advance(hass, freezer, TEN_MINUTES)
    assert aioclient_mock.call_count == 1
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    await advance(hass, freezer, timedelta(minutes=5))
    assert aioclient_mock.call_count == 1  # no retry loop against a refused sign-in


async def test_unload_stops_the_keeper(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await advance(hass, freezer, TEN_MINUTES)
    assert aioclient_mock.call_count == 0
