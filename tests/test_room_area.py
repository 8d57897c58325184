"""A room in its area: picked in the form, or the area its motion sensors share."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spottypottysense.const import DOMAIN
from tests.test_room_flow import (
    form_input,
    rooms_of,
    start_add,
    start_reconfigure,
    submit,
    suggested,
)


def _device_of(hass: HomeAssistant, entry: MockConfigEntry, title: str) -> dr.DeviceEntry:
    sub = next(sub for sub in rooms_of(entry) if sub.title == title)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, sub.subentry_id), entry.entry_id
    )
    assert device is not None
    return device


async def _add_kitchen(hass: HomeAssistant, entry: MockConfigEntry, **fields: Any) -> None:
    result = await start_add(hass, entry)
    result = await submit(
        hass, result, form_input(motion_entities=[MOTION, DOOR], approach_entities=[], **fields)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


MOTION = "binary_sensor.kitchen_motion"
DOOR = "binary_sensor.kitchen_door"


@pytest.fixture(autouse=True)
def kitchen_sensors(hass: HomeAssistant) -> None:
    """Two registered sensors (a registry entry is what can have an area)."""
    registry = er.async_get(hass)
    for entity_id, device_class in ((MOTION, "motion"), (DOOR, "door")):
        object_id = entity_id.split(".")[1]
        entry = registry.async_get_or_create(
            "binary_sensor", "test", object_id, suggested_object_id=object_id
        )
        assert entry.entity_id == entity_id
        hass.states.async_set(entity_id, "off", {"device_class": device_class})


def _place_in(hass: HomeAssistant, entity_id: str, area_id: str) -> None:
    """Give a motion sensor an area (as the user does on its entity page)."""
    er.async_get(hass).async_update_entity(entity_id, area_id=area_id)


async def test_a_room_goes_in_the_area_picked_in_the_form(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    kitchen = ar.async_get(hass).async_create("Kitchen")
    await _add_kitchen(hass, loaded_entry, area_id=kitchen.id)
    assert _device_of(hass, loaded_entry, "Kitchen").area_id == kitchen.id


async def test_a_room_goes_in_the_area_its_motion_sensors_share(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    kitchen = ar.async_get(hass).async_create("Kitchen")
    _place_in(hass, MOTION, kitchen.id)
    _place_in(hass, DOOR, kitchen.id)
    await _add_kitchen(hass, loaded_entry)
    assert _device_of(hass, loaded_entry, "Kitchen").area_id == kitchen.id
    room = next(sub for sub in rooms_of(loaded_entry) if sub.title == "Kitchen")
    assert room.data["area_id"] == kitchen.id


async def test_motion_sensors_in_different_areas_give_no_area(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    areas = ar.async_get(hass)
    _place_in(hass, MOTION, areas.async_create("Kitchen").id)
    _place_in(hass, DOOR, areas.async_create("Hall").id)
    await _add_kitchen(hass, loaded_entry)
    assert _device_of(hass, loaded_entry, "Kitchen").area_id is None


async def test_reconfigure_moves_the_room_to_another_area(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    areas = ar.async_get(hass)
    kitchen, hall = areas.async_create("Kitchen"), areas.async_create("Hall")
    await _add_kitchen(hass, loaded_entry, area_id=kitchen.id)
    sub = next(sub for sub in rooms_of(loaded_entry) if sub.title == "Kitchen")
    result = await start_reconfigure(hass, loaded_entry, sub.subentry_id)
    assert suggested(result)["area_id"] == kitchen.id
    result = await submit(hass, result, {**suggested(result), "area_id": hall.id})
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert _device_of(hass, loaded_entry, "Kitchen").area_id == hall.id


async def test_an_area_the_user_chose_on_the_device_page_is_kept(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    areas = ar.async_get(hass)
    kitchen, hall, attic = (areas.async_create(n) for n in ("Kitchen", "Hall", "Attic"))
    await _add_kitchen(hass, loaded_entry, area_id=kitchen.id)
    device = _device_of(hass, loaded_entry, "Kitchen")
    dr.async_get(hass).async_update_device(device.id, area_id=attic.id)  # on the device page
    sub = next(sub for sub in rooms_of(loaded_entry) if sub.title == "Kitchen")
    result = await start_reconfigure(hass, loaded_entry, sub.subentry_id)
    result = await submit(hass, result, {**suggested(result), "area_id": hall.id})
    await hass.async_block_till_done()
    assert _device_of(hass, loaded_entry, "Kitchen").area_id == attic.id


async def test_an_area_that_does_not_exist_is_a_form_error(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await start_add(hass, loaded_entry)
    result = await submit(
        hass, result, form_input(motion_entities=[MOTION], approach_entities=[], area_id="gone")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"area_id": "area_not_found"}


async def test_the_account_is_a_service_with_no_area(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """No area is offered for the Spotify account, a cloud service."""
    account = loaded_entry.runtime_data.account_device_id
    device = dr.async_get(hass).async_get(account)
    assert device is not None
    assert device.entry_type is dr.DeviceEntryType.SERVICE
