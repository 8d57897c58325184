"""A room in the automation editor: device triggers, conditions and actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automation_capabilities,
    async_get_device_automations,
    async_mock_service,
)

from custom_components.spottypottysense.const import DOMAIN
from tests.conftest import MOTION
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance, set_motion

STATUS = "sensor.bathroom_status"


def room_device(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    (subentry_id,) = entry.subentries
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, subentry_id), entry.entry_id
    )
    assert device is not None
    return device


@pytest.fixture
def calls(hass: HomeAssistant) -> list[ServiceCall]:
    return async_mock_service(hass, "test", "automation")


async def _automation(hass: HomeAssistant, trigger: dict[str, Any], **extra: Any) -> None:
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "triggers": [trigger],
                    "actions": {
                        "action": "test.automation",
                        "data": {
                            "room": "{{ trigger.event.data.room }}",
                            "reason": "{{ trigger.event.data.reason | default('') }}",
                        },
                    },
                    **extra,
                }
            ]
        },
    )
    await hass.async_block_till_done()


async def test_a_room_offers_its_triggers_conditions_and_actions(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    device = room_device(hass, loaded_entry)
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device.id)
    assert {t["type"] for t in triggers if t["domain"] == DOMAIN} == {
        "session_started",
        "session_ended",
        "music_moved_here",
        "music_moved_away",
        "playback_failed",
    }
    conditions = await async_get_device_automations(hass, DeviceAutomationType.CONDITION, device.id)
    assert {c["type"] for c in conditions if c["domain"] == DOMAIN} == {
        "is_playing",
        "is_quiet_hours",
        "is_enabled",
    }
    actions = await async_get_device_automations(hass, DeviceAutomationType.ACTION, device.id)
    assert {a["type"] for a in actions if a["domain"] == DOMAIN} == {
        "start_session",
        "stop_session",
        "snooze",
    }
    ended = next(t for t in triggers if t["domain"] == DOMAIN and t["type"] == "session_ended")
    capabilities = await async_get_device_automation_capabilities(
        hass, DeviceAutomationType.TRIGGER, ended
    )
    (reason,) = capabilities["extra_fields"]
    assert reason["name"] == "reason"
    assert "timeout" in reason["selector"]["select"]["options"]
    snooze = next(a for a in actions if a["domain"] == DOMAIN and a["type"] == "snooze")
    capabilities = await async_get_device_automation_capabilities(
        hass, DeviceAutomationType.ACTION, snooze
    )
    assert [field["name"] for field in capabilities["extra_fields"]] == ["duration"]


async def test_the_account_device_offers_none(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    account = loaded_entry.runtime_data.account_device_id
    for kind in DeviceAutomationType:
        found = await async_get_device_automations(hass, kind, account)
        assert [item for item in found if item["domain"] == DOMAIN] == []


async def test_an_automation_runs_on_a_session_start(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, calls: list[ServiceCall]
) -> None:
    device = room_device(hass, loaded_entry)
    await _automation(
        hass,
        {"platform": "device", "domain": DOMAIN, "device_id": device.id, "type": "session_started"},
    )
    await set_motion(hass, MOTION, "on")
    assert [call.data["room"] for call in calls] == ["Bathroom"]


async def test_a_session_ended_trigger_narrowed_to_a_reason(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    calls: list[ServiceCall],
    freezer: FrozenDateTimeFactory,
) -> None:
    device = room_device(hass, loaded_entry)
    base = {"platform": "device", "domain": DOMAIN, "device_id": device.id}
    await _automation(hass, {**base, "type": "session_ended", "reason": "manual"})
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, timedelta(minutes=5))  # ends by timeout: not this trigger
    assert calls == []
    await advance(hass, freezer, timedelta(minutes=3))
    await set_motion(hass, MOTION, "on")
    await hass.services.async_call(DOMAIN, "stop_session", {"device_id": device.id}, blocking=True)
    await hass.async_block_till_done()
    assert [(call.data["room"], call.data["reason"]) for call in calls] == [("Bathroom", "manual")]


async def test_a_failed_start_triggers_playback_failed(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    calls: list[ServiceCall],
) -> None:
    device = room_device(hass, loaded_entry)
    await _automation(
        hass,
        {"platform": "device", "domain": DOMAIN, "device_id": device.id, "type": "playback_failed"},
    )
    speaker.fail("PUT", "/me/player/play", 403, times=None)
    await set_motion(hass, MOTION, "on")
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("kind", "before", "after"),
    [("is_playing", False, True), ("is_enabled", True, True), ("is_quiet_hours", False, False)],
)
async def test_conditions_tell_the_rooms_state(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    calls: list[ServiceCall],
    kind: str,
    before: bool,
    after: bool,
) -> None:
    device = room_device(hass, loaded_entry)
    await _automation(
        hass,
        {"trigger": "event", "event_type": "check_room"},
        conditions=[
            {"condition": "device", "domain": DOMAIN, "device_id": device.id, "type": kind}
        ],
    )
    hass.bus.async_fire("check_room", {"room": "x"})
    await hass.async_block_till_done()
    assert len(calls) == int(before)
    await set_motion(hass, MOTION, "on")
    hass.bus.async_fire("check_room", {"room": "x"})
    await hass.async_block_till_done()
    assert len(calls) == int(before) + int(after)


async def test_device_actions_start_stop_and_snooze_the_room(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    device = room_device(hass, loaded_entry)
    base = {"domain": DOMAIN, "device_id": device.id}
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "start": {"sequence": [{**base, "type": "start_session"}]},
                "stop": {"sequence": [{**base, "type": "stop_session"}]},
                "snooze": {"sequence": [{**base, "type": "snooze", "duration": {"minutes": 30}}]},
            }
        },
    )
    await hass.services.async_call("script", "start", blocking=True)
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "playing"
    await hass.services.async_call("script", "stop", blocking=True)
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "cooldown"
    await hass.services.async_call("script", "snooze", blocking=True)
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "snoozed"
