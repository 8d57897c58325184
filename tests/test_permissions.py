"""Who may use the actions: the same entity permissions as the rooms' own entities.

A non-admin user whose permissions refuse a room's switch and stop button must not reach the
room through an action either, nor read its history; automations (no user) and admins may.
"""

from __future__ import annotations

from typing import Any

from homeassistant.auth.permissions.const import POLICY_CONTROL, POLICY_READ
from homeassistant.core import Context, HomeAssistant, ServiceResponse
from homeassistant.exceptions import Unauthorized, UnknownUser
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.spottypottysense.const import DOMAIN
from tests.fake_spotify import FakeSpotify
from tests.test_services import (
    KITCHEN_MOTION,
    KITCHEN_SPEAKER,
    TWO_ROOMS,
    pauses,
    plays,
    room,
    status,
)

CONTROL = ["trigger_motion", "start_session", "stop_session", "snooze"]
two_rooms = pytest.mark.parametrize("rooms", [TWO_ROOMS])


async def act(
    hass: HomeAssistant, service: str, user: MockUser | None, rooms: list[str] | None, **data: Any
) -> ServiceResponse:
    """Call an action as `user` (None: an automation), aimed at the rooms' devices."""
    if service == "snooze":
        data.setdefault("duration", "00:30:00")
    if rooms is not None:
        entry = hass.config_entries.async_entries(DOMAIN)[0]
        data["device_id"] = [room(hass, entry, title).id for title in rooms]  # type: ignore[arg-type]
    response = await hass.services.async_call(
        DOMAIN,
        service,
        data,
        blocking=True,
        context=Context(user_id=None if user is None else user.id),
        return_response=service == "get_sessions",
    )
    await hass.async_block_till_done()
    return response


@pytest.fixture
def kitchen(hass: HomeAssistant, speaker: FakeSpotify) -> FakeSpotify:
    """The kitchen's speaker on the fake account, and its motion entity (off)."""
    speaker.add_device(KITCHEN_SPEAKER, "Kitchen speaker")
    hass.states.async_set(KITCHEN_MOTION, "off", {"device_class": "motion"})
    return speaker


@pytest.fixture
def bathroom_user(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> MockUser:
    """A non-admin allowed everything on the bathroom's device, and nothing else."""
    bathroom = room(hass, loaded_entry, "Bathroom").id
    entities = er.async_entries_for_device(er.async_get(hass), bathroom)
    user = MockUser().add_to_hass(hass)
    user.mock_policy({"entities": {"entity_ids": {entity.entity_id: True for entity in entities}}})
    return user


def _rooms(response: ServiceResponse) -> set[str]:
    assert response is not None
    return {item["sensor"] for item in response["sessions"]}  # type: ignore[index, union-attr]


@two_rooms
@pytest.mark.parametrize("service", CONTROL)
async def test_a_user_allowed_on_one_room_controls_only_that_room(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    kitchen: FakeSpotify,
    bathroom_user: MockUser,
    service: str,
) -> None:
    await act(hass, "start_session", None, ["Kitchen"])  # an automation: allowed
    assert plays(kitchen) == [KITCHEN_SPEAKER]
    for rooms in (["Kitchen"], ["Bathroom", "Kitchen"]):
        with pytest.raises(Unauthorized) as refused:
            await act(hass, service, bathroom_user, rooms)
        assert refused.value.permission == POLICY_CONTROL
        assert refused.value.entity_id is not None
        assert refused.value.entity_id.split(".")[1].startswith("kitchen")
    # Nothing happened to either room: the kitchen still plays, the bathroom never started.
    assert plays(kitchen) == [KITCHEN_SPEAKER]
    assert pauses(kitchen) == []
    assert status(hass, "sensor.kitchen_status") == "playing"
    assert status(hass) == "idle"

    await act(hass, service, bathroom_user, ["Bathroom"])


@two_rooms
async def test_a_user_allowed_on_one_room_starts_and_stops_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    kitchen: FakeSpotify,
    bathroom_user: MockUser,
) -> None:
    await act(hass, "start_session", bathroom_user, ["Bathroom"])
    assert status(hass) == "playing"
    await act(hass, "stop_session", bathroom_user, ["Bathroom"])
    assert status(hass) == "cooldown"
    assert len(pauses(kitchen)) == 1


@two_rooms
async def test_a_user_reads_only_the_history_of_rooms_they_may_see(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    kitchen: FakeSpotify,
    bathroom_user: MockUser,
) -> None:
    for title in ("Bathroom", "Kitchen"):
        await act(hass, "start_session", None, [title])
        await act(hass, "stop_session", None, [title])

    assert _rooms(await act(hass, "get_sessions", None, None)) == {"Bathroom", "Kitchen"}
    assert _rooms(await act(hass, "get_sessions", bathroom_user, None)) == {"Bathroom"}
    assert _rooms(await act(hass, "get_sessions", bathroom_user, ["Bathroom"])) == {"Bathroom"}
    with pytest.raises(Unauthorized) as refused:
        await act(hass, "get_sessions", bathroom_user, ["Kitchen"])
    assert refused.value.permission == POLICY_READ

    nobody = MockUser().add_to_hass(hass)
    nobody.mock_policy({})
    assert _rooms(await act(hass, "get_sessions", nobody, None)) == set()


@two_rooms
async def test_a_read_only_user_may_read_but_not_control(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    kitchen: FakeSpotify,
    hass_read_only_user: MockUser,
) -> None:
    await act(hass, "start_session", None, ["Bathroom"])
    await act(hass, "stop_session", None, ["Bathroom"])
    for service in CONTROL:
        with pytest.raises(Unauthorized):
            await act(hass, service, hass_read_only_user, ["Kitchen"])
    assert plays(kitchen) == ["bathroom-speaker"]

    everything = await act(hass, "get_sessions", hass_read_only_user, None)
    assert _rooms(everything) == {"Bathroom"}


@two_rooms
@pytest.mark.parametrize("service", CONTROL)
async def test_an_admin_controls_every_room(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    kitchen: FakeSpotify,
    hass_admin_user: MockUser,
    service: str,
) -> None:
    await act(hass, service, hass_admin_user, ["Bathroom", "Kitchen"])
    if service == "start_session":
        assert sorted(plays(kitchen)) == sorted(["bathroom-speaker", KITCHEN_SPEAKER])


async def test_a_call_from_an_unknown_user_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    ghost = MockUser()  # never added to Home Assistant
    with pytest.raises(UnknownUser):
        await act(hass, "start_session", ghost, ["Bathroom"])
    assert plays(speaker) == []
