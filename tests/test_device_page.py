"""What a room's device page tells: when the session ends, the snooze, the speaker, the error."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spottypottysense.const import DOMAIN
from tests.conftest import MOTION, SPEAKER_NAME
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance, set_motion

STATUS = "sensor.bathroom_status"


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_session_ends_is_empty_while_someone_is_there_then_the_deadline(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await set_motion(hass, MOTION, "on")
    assert _state(hass, "sensor.bathroom_session_ends") == "unknown"
    await set_motion(hass, MOTION, "off")
    ends = dt_util.parse_datetime(_state(hass, "sensor.bathroom_session_ends"))
    assert ends is not None
    assert abs(ends - dt_util.utcnow() - timedelta(minutes=5)) < timedelta(seconds=1)
    await advance(hass, freezer, timedelta(minutes=5))
    assert _state(hass, "sensor.bathroom_session_ends") == "unknown"


async def test_the_snooze_button_snoozes_for_an_hour(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    assert _state(hass, "sensor.bathroom_snoozed_until") == "unknown"
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.bathroom_snooze"}, blocking=True
    )
    await hass.async_block_till_done()
    assert _state(hass, STATUS) == "snoozed"
    until = dt_util.parse_datetime(_state(hass, "sensor.bathroom_snoozed_until"))
    assert until is not None
    assert abs(until - dt_util.utcnow() - timedelta(hours=1)) < timedelta(seconds=1)
    await set_motion(hass, MOTION, "on")
    assert _state(hass, STATUS) == "snoozed"  # no music while snoozed
    await advance(hass, freezer, timedelta(hours=1))
    assert _state(hass, "sensor.bathroom_snoozed_until") == "unknown"


async def test_the_speaker_is_shown_by_name(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    assert _state(hass, "sensor.bathroom_speaker") == SPEAKER_NAME


async def test_no_reason_means_no_attribute_and_errors_read_as_words(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    state = hass.states.get(STATUS)
    assert state is not None
    assert "last_skip_reason" not in state.attributes  # not "Last skipped because Unknown"
    assert "error" not in state.attributes
    translations = await async_get_translations(hass, "en", "entity", [DOMAIN])
    prefix = f"component.{DOMAIN}.entity.sensor.status.state_attributes.error.state"
    for key in ("cannot_connect", "device_not_found", "player_unavailable", "rate_limited"):
        assert translations[f"{prefix}.{key}"]


async def test_last_motion_is_off_by_default_so_the_logbook_stays_readable(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The motion sensors already show every motion; ours would log it twice per session."""
    entry = er.async_get(hass).async_get("sensor.bathroom_last_motion")
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get("sensor.bathroom_last_motion") is None
