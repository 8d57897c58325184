"""Shared fixtures: custom integrations on, the fake Spotify server, credentials and entries."""

from __future__ import annotations

from collections.abc import Generator
import time
from typing import Any
from unittest.mock import AsyncMock, PropertyMock, patch

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.spottypottysense.const import (
    DOMAIN,
    SPOTIFY_SCOPES,
    SUBENTRY_TYPE_ROOM,
)
from tests.fake_spotify import (  # noqa: F401 - the fixtures are used by name
    DEFAULT_TOKEN,
    FakeSpotify,
    fake_spotify,
    spotify_client,
)
from tests.helpers import TEST_TIME_ZONE

CLIENT_ID = "client-id"
CLIENT_SECRET = "client-secret"
USER_ID = "fake-user"
SPEAKER_ID = "bathroom-speaker"
SPEAKER_NAME = "Bathroom speaker"
PLAYLIST = "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"
MOTION = "binary_sensor.bathroom_motion"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Freeze the clock before any other fixture in every test that moves it.

    Set-up schedules timers (midnight, quiet hours, session deadlines) from the clock it sees; a
    test that freezes only after set-up leaves that timeline, so the suite would depend on the
    real date. A test that needs a fixed date says so with `tests.helpers.starts_at`.
    """
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is not None and "freezer" in names:
            names[:] = ["freezer", *(name for name in names if name != "freezer")]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/ in every test."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's own format."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def setup_credentials(hass: HomeAssistant) -> None:
    """Application credentials for the Spotify developer app, as a user would add them."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(CLIENT_ID, CLIENT_SECRET), DOMAIN
    )


def token_data(**overrides: Any) -> dict[str, Any]:
    """A stored OAuth token the fake server accepts."""
    return {
        "access_token": DEFAULT_TOKEN,
        "refresh_token": "refresh-token",
        "token_type": "Bearer",
        "expires_in": 3600,
        "expires_at": time.time() + 3600,
        "scope": " ".join(SPOTIFY_SCOPES),
        **overrides,
    }


def room_data(**overrides: Any) -> dict[str, Any]:
    """A room subentry's data with the defaults a user would get."""
    return {
        "motion_entities": [MOTION],
        "spotify_device_id": SPEAKER_ID,
        "spotify_device_name": SPEAKER_NAME,
        "source": PLAYLIST,
        "shuffle": True,
        "timeout_minutes": 5,
        "cooldown_minutes": 2,
        "min_presence_seconds": 0,
        "max_session_minutes": 180,
        "quiet_hours_enabled": False,
        "quiet_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "quiet_mode": "block",
        "only_when_idle": True,
        **overrides,
    }


@pytest.fixture
def rooms() -> list[dict[str, Any]]:
    """Subentries of the account entry; tests override this to add rooms."""
    return [{"title": "Bathroom", "data": room_data()}]


@pytest.fixture
def config_entry(rooms: list[dict[str, Any]]) -> MockConfigEntry:
    """The Spotify account entry with its rooms."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Fake User",
        unique_id=USER_ID,
        # Valid for a year, so tests that move the clock by days need no token refresh.
        data={"auth_implementation": DOMAIN, "token": token_data(expires_at=time.time() + 3.2e7)},
        subentries_data=[
            {
                "data": room["data"],
                "subentry_type": SUBENTRY_TYPE_ROOM,
                "title": room["title"],
                "unique_id": None,
            }
            for room in rooms
        ],
    )


@pytest.fixture
def speaker(fake_spotify: FakeSpotify) -> FakeSpotify:
    """The fake account with the bathroom speaker listed (idle) and a phone."""
    fake_spotify.add_device(SPEAKER_ID, SPEAKER_NAME)
    fake_spotify.add_device("phone", "Phone", type="Smartphone")
    return fake_spotify


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The account entry set up against the fake server, with the motion entity off."""
    assert hass.config.time_zone == TEST_TIME_ZONE  # what `starts_at` assumes
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


@pytest.fixture(autouse=True)
def instant_backoff() -> Generator[AsyncMock]:
    """The client's backoff waits return at once (their length is tested in the client tests)."""
    with patch("custom_components.spottypottysense.backoff_sleep", new=AsyncMock()) as sleep:
        yield sleep


@pytest.fixture
def events(hass: HomeAssistant) -> dict[str, list[Any]]:
    """Bus events a user's automations would see."""
    return {
        kind: async_capture_events(hass, f"spottypottysense_{kind}")
        for kind in ("session_started", "session_ended", "playback_failed")
    }


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Entities that are off by default (Last motion) are on, as core's fixture does."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield
