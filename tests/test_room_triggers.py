"""A room in HA 2026's trigger and condition pickers: session started/ended, room is playing."""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import area_registry as ar, condition, device_registry as dr
from homeassistant.helpers.condition import async_get_all_descriptions as condition_descriptions
from homeassistant.helpers.trigger import (
    async_get_all_descriptions as trigger_descriptions,
    descriptions,
)
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.spottypottysense.const import DOMAIN
from custom_components.spottypottysense.records import EndReason
from tests.conftest import MOTION
from tests.helpers import advance, set_motion
from tests.test_device_automation import room_device

SESSION = "event.bathroom_session"


@pytest.fixture
def calls(hass: HomeAssistant) -> list[ServiceCall]:
    return async_mock_service(hass, "test", "automation")


async def _automation(
    hass: HomeAssistant, trigger: dict[str, Any], conditions: list[dict[str, Any]] | None = None
) -> None:
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "triggers": [trigger],
                    "conditions": conditions or [],
                    "actions": {
                        "action": "test.automation",
                        "data": {
                            "room": "{{ trigger.to_state.attributes.room"
                            " if trigger.to_state is defined }}",
                            "reason": "{{ trigger.to_state.attributes.reason | default('')"
                            " if trigger.to_state is defined }}",
                        },
                    },
                }
            ]
        },
    )
    await hass.async_block_till_done()


async def test_the_pickers_list_the_room_triggers_and_condition(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    assert await async_setup_component(hass, automation.DOMAIN, {})
    triggers = await trigger_descriptions(hass)
    assert {"spottypottysense.session_started", "spottypottysense.session_ended"} <= set(triggers)
    ended = triggers["spottypottysense.session_ended"]
    assert ended is not None
    assert "timeout" in ended["fields"]["reason"]["selector"]["select"]["options"]
    conditions = await condition_descriptions(hass)
    assert "spottypottysense.playing" in conditions


async def test_session_started_by_area_runs_with_the_room(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, calls: list[ServiceCall]
) -> None:
    area = ar.async_get(hass).async_create("Bathroom")
    device = room_device(hass, loaded_entry)
    dr.async_get(hass).async_update_device(device.id, area_id=area.id)
    await _automation(
        hass, {"trigger": f"{DOMAIN}.session_started", "target": {"area_id": area.id}}
    )
    await set_motion(hass, MOTION, "on")
    assert [call.data["room"] for call in calls] == ["Bathroom"]


async def test_session_ended_narrowed_to_a_reason(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    calls: list[ServiceCall],
    freezer: FrozenDateTimeFactory,
) -> None:
    device = room_device(hass, loaded_entry)
    await _automation(
        hass,
        {
            "trigger": f"{DOMAIN}.session_ended",
            "target": {"device_id": device.id},
            "options": {"reason": ["manual"]},
        },
    )
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, timedelta(minutes=5))  # ends by timeout: not this trigger
    assert calls == []
    await advance(hass, freezer, timedelta(minutes=3))
    await set_motion(hass, MOTION, "on")
    await hass.services.async_call(DOMAIN, "stop_session", {"device_id": device.id}, blocking=True)
    await hass.async_block_till_done()
    assert [(call.data["room"], call.data["reason"]) for call in calls] == [("Bathroom", "manual")]


async def test_any_session_end_without_a_reason(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, calls: list[ServiceCall]
) -> None:
    device = room_device(hass, loaded_entry)
    await _automation(
        hass, {"trigger": f"{DOMAIN}.session_ended", "target": {"device_id": device.id}}
    )
    await set_motion(hass, MOTION, "on")
    assert calls == []  # a start is not an end
    await hass.services.async_call(DOMAIN, "stop_session", {"device_id": device.id}, blocking=True)
    await hass.async_block_till_done()
    assert [call.data["reason"] for call in calls] == ["manual"]


async def test_another_integrations_event_entity_never_fires_it(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, calls: list[ServiceCall]
) -> None:
    await _automation(
        hass,
        {
            "trigger": f"{DOMAIN}.session_started",
            "target": {"entity_id": [SESSION, "event.doorbell"]},
        },
    )
    hass.states.async_set(
        "event.doorbell", "2026-01-01T00:00:00+00:00", {"event_type": "session_started"}
    )
    await hass.async_block_till_done()
    assert calls == []


async def test_room_is_playing_condition(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, calls: list[ServiceCall]
) -> None:
    device = room_device(hass, loaded_entry)
    await _automation(
        hass,
        {"trigger": "event", "event_type": "check_room"},
        conditions=[{"condition": f"{DOMAIN}.playing", "target": {"device_id": device.id}}],
    )
    hass.bus.async_fire("check_room")
    await hass.async_block_till_done()
    assert calls == []  # idle
    await set_motion(hass, MOTION, "on")
    hass.bus.async_fire("check_room")
    await hass.async_block_till_done()
    assert len(calls) == 1


def test_the_description_files_pass_has_own_schemas() -> None:
    """HA 2026.10's own schemas, since the offline hassfest cannot read these files."""
    root = Path(__file__).parent.parent / "custom_components" / DOMAIN
    triggers = descriptions._TRIGGERS_DESCRIPTION_SCHEMA(load_yaml_dict(root / "triggers.yaml"))
    conditions = condition._CONDITIONS_DESCRIPTION_SCHEMA(load_yaml_dict(root / "conditions.yaml"))
    strings = json.loads((root / "strings.json").read_text())
    icons = json.loads((root / "icons.json").read_text())
    assert set(triggers) == set(strings["triggers"]) == set(icons["triggers"])
    assert set(conditions) == set(strings["conditions"]) == set(icons["conditions"])
    for kind, described in (("triggers", triggers), ("conditions", conditions)):
        for name, description in described.items():
            fields = set((description or {}).get("fields", {}))
            assert fields == set(strings[kind][name].get("fields", {})), (kind, name)
    reasons = triggers["session_ended"]["fields"]["reason"]["selector"]["select"]["options"]
    assert reasons == [str(reason) for reason in EndReason]
