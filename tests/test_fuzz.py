"""Fuzzed room forms and action payloads: every one gets an answer, never a traceback.

A user (or a script driving the API) may send anything. The room form must answer with its
schema's refusal or a form error, or store a room that then works; an action must refuse with a
validation error or do its job. Anything else (an exception from our code, or one a background
task raises later, which fails the test through the `hass` fixture) is a bug.

The number of examples is small and fixed so the suite stays fast; the examples reuse one Home
Assistant (function-scoped fixtures), which is what a user's instance would see too.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from hypothesis import HealthCheck, event, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.spottypottysense.const import DOMAIN, SUBENTRY_TYPE_ROOM
from custom_components.spottypottysense.room_flow import sectioned
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID

DOOR = "binary_sensor.bathroom_door"
FUZZ = settings(
    max_examples=60,  # about 4 s a test on 2 cores
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Anything JSON can carry, plus the floats JSON cannot (the flow API takes Python values too).
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.text(max_size=6), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)


def mostly(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Valid values three times in four, so most examples get past the schema to our checks.

    (Not `st.one_of(valid, valid, valid, odd)`: one_of flattens nested one_ofs, and junk's seven
    branches would outweigh the valid ones.)
    """
    return st.integers(0, 3).flatmap(lambda pick: odd if pick == 0 else valid)


def number(low: int, high: int) -> tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]:
    """A number field: in range as the form sends it (floats); NaN, or over the edges."""
    return st.floats(min_value=low, max_value=high), st.sampled_from(
        [float("nan"), "NaN", float("inf"), float("-inf"), low - 1, high + 1, 2**64, ""]
    )


ENTITIES = [
    MOTION,
    DOOR,
    "light.kitchen",  # exists, not a binary sensor
    "binary_sensor.ghost",  # does not exist
    "0123456789abcdef0123456789abcdef",  # a registry id no entity has
]
TIME = st.times().map(lambda value: value.isoformat(timespec="seconds"))

# Each field: (what the form sends, what else the API could send).
ROOM_FIELDS: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]] = {
    "name": (st.text(min_size=1, max_size=20), st.sampled_from(["", "  "])),
    "motion_entities": (
        st.lists(st.sampled_from(ENTITIES[:2]), min_size=1, max_size=2),
        st.lists(st.sampled_from(ENTITIES), max_size=3)
        | st.sampled_from([["not an entity"], [MOTION, MOTION]]),
    ),
    "spotify_device_id": (st.sampled_from([SPEAKER_ID, "phone"]), st.just("asleep")),
    "source": (
        st.sampled_from([PLAYLIST, "", "spotify:album:4aawyAB9vmqN3uQ7FjRGTy"]),
        st.text(max_size=30) | st.just("https://open.spotify.com/x"),
    ),
    "volume": number(0, 100),
    "shuffle": (st.booleans(), junk),
    "timeout_minutes": number(1, 120),
    "cooldown_minutes": number(0, 60),
    "min_presence_seconds": number(0, 300),
    "max_session_minutes": number(5, 600),
    "only_when_idle": (st.booleans(), junk),
    "quiet_hours_enabled": (st.booleans(), junk),
    "quiet_start": (TIME, st.sampled_from(["25:00", "", "noon", "7"])),
    "quiet_end": (TIME, st.sampled_from(["25:00", "", "noon", "7"])),
    "quiet_days": (
        st.lists(st.sampled_from(["mon", "tue", "sat", "sun"]), max_size=3, unique=True),
        st.just(["funday"]),
    ),
    "quiet_mode": (st.sampled_from(["block", "low_volume"]), st.just("loud")),
    "quiet_volume": number(0, 100),
}


@st.composite
def room_forms(draw: st.DrawFn) -> dict[str, Any]:
    """A submitted room form: every field as the form sends it, up to three of them not."""
    form = {field: draw(usual) for field, (usual, _) in ROOM_FIELDS.items()}
    for field in draw(st.lists(st.sampled_from(list(ROOM_FIELDS)), max_size=3, unique=True)):
        how = draw(st.sampled_from(["odd", "odd", "junk", "left out"]))
        if how == "left out":
            del form[field]
        else:
            form[field] = draw(ROOM_FIELDS[field][1] if how == "odd" else junk)
    return form


@pytest.fixture
def sensors_in_house(hass: HomeAssistant) -> None:
    """A door contact and a light, so the form can name entities that exist."""
    hass.states.async_set(DOOR, "unavailable", {"device_class": "door"})
    hass.states.async_set("light.kitchen", "on")


def _rooms(entry: MockConfigEntry) -> list[str]:
    return [sub.subentry_id for sub in entry.get_subentries_of_type(SUBENTRY_TYPE_ROOM)]


@FUZZ
@given(form=room_forms(), reconfigure=st.booleans())
async def test_fuzzed_room_forms_get_an_answer(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sensors_in_house: None,
    form: dict[str, Any],
    reconfigure: bool,
) -> None:
    bathroom = _rooms(loaded_entry)[0]
    context: dict[str, Any] = {"source": "user"}
    if reconfigure:
        context = {"source": "reconfigure", "subentry_id": bathroom}
    flows = hass.config_entries.subentries
    result = await flows.async_init((loaded_entry.entry_id, SUBENTRY_TYPE_ROOM), context=context)
    try:
        result = await flows.async_configure(result["flow_id"], sectioned(form))
    except InvalidData:  # the schema refused a field: shown on that field
        event("refused by the schema")
        flows.async_abort(result["flow_id"])
        return
    await hass.async_block_till_done()

    event(f"answered {result['type']}")
    if result["type"] is FlowResultType.FORM:
        assert result["errors"], "a form shown again says what is wrong"
        event(f"form errors on {sorted(result['errors'])}")
        flows.async_abort(result["flow_id"])
        return
    # Stored: the account still runs, with one device per room.
    assert result["type"] in (FlowResultType.CREATE_ENTRY, FlowResultType.ABORT)
    assert loaded_entry.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), loaded_entry.entry_id)
    rooms = [device for device in devices if device.config_subentry_id is not None]
    assert len(rooms) == len(_rooms(loaded_entry))
    for extra in _rooms(loaded_entry)[1:]:  # keep the instance small for the next example
        hass.config_entries.async_remove_subentry(loaded_entry, extra)
    await hass.async_block_till_done()


# ---- actions ----------------------------------------------------------------------------------


def _ids(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, list[str]]:
    """Real ids a payload may aim at, next to made-up ones."""
    device = next(
        device
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if device.config_subentry_id is not None  # the room, not the account
    )
    entities = er.async_entries_for_device(er.async_get(hass), device.id)
    return {
        "device_id": [device.id, "not-a-device"],
        "entity_id": [entities[0].entity_id, "switch.nope", "nonsense"],
        "area_id": ["kitchen", ""],
        "floor_id": ["upstairs"],
        "label_id": ["music"],
    }


def _target_value(choices: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(choices), st.lists(st.sampled_from(choices), max_size=3), junk)


durations = st.one_of(
    st.sampled_from(["00:30:00", "0", "-01:00:00", "200:00:00", "7 days", "P1D"]),
    st.dictionaries(
        st.sampled_from(["days", "hours", "minutes", "seconds"]),
        st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.floats()),
        max_size=2,
    ),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    junk,
)
moments = st.one_of(
    st.sampled_from(["2026-11-24 08:00:00", "2026-11-24T08:00:00+09:00", "yesterday", ""]),
    st.datetimes(timezones=st.none() | st.timezones()),
    junk,
)
FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "trigger_motion": {},
    "start_session": {},
    "stop_session": {},
    "snooze": {"duration": durations},
    "get_sessions": {"start": moments, "end": moments},
}


@st.composite
def payloads(draw: st.DrawFn, ids: dict[str, list[str]]) -> tuple[str, dict[str, Any]]:
    """An action and its data: mostly aimed at the room, its fields (or junk), odd keys."""
    service = draw(st.sampled_from(list(FIELDS)))
    data: dict[str, Any] = {}
    if draw(st.integers(0, 4)) > 1:  # three in five aim at the room, by device or entity
        key = draw(st.sampled_from(["device_id", "entity_id"]))
        data[key] = draw(st.just(ids[key][0]) | st.just([ids[key][0]]))
    if draw(st.booleans()):  # another target key, maybe one naming nothing of ours
        key = draw(st.sampled_from(list(ids)))
        data[key] = draw(_target_value(ids[key]))
    for key, values in FIELDS[service].items():
        if draw(st.integers(0, 3)) > 0:
            data[key] = draw(values)
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.text(max_size=8))] = draw(junk)
    return service, data


@settings(FUZZ, max_examples=100)  # cheaper than a form; a third of them reach the handlers
@given(data=st.data())
async def test_fuzzed_action_payloads_get_an_answer(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, data: st.DataObject
) -> None:
    service, payload = data.draw(payloads(_ids(hass, loaded_entry)))
    try:
        response = await hass.services.async_call(
            DOMAIN,
            service,
            payload,
            blocking=True,
            return_response=service == "get_sessions",
        )
    except (ServiceValidationError, vol.Invalid) as err:  # said what is wrong
        event(f"{service} refused: {type(err).__name__}")
        return
    finally:
        await hass.async_block_till_done()
    event(f"{service} done")
    if service == "get_sessions":
        assert response is not None
        assert isinstance(response["sessions"], list)
    assert loaded_entry.state is ConfigEntryState.LOADED
