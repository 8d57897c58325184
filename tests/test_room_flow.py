"""Adding and reconfiguring a room ("Add motion sensor" on the account): the form and its errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, section
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.spottypottysense.const import DOMAIN, SUBENTRY_TYPE_ROOM
from custom_components.spottypottysense.room_flow import (
    NUMBER_BOUNDS,
    SECTIONS,
    HourMinuteSelector,
    errors_by_section,
    flattened,
    sectioned,
)
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, SPEAKER_NAME, room_data
from tests.fake_spotify import FakePlaylist, FakeSpotify

MORNING_ID = "37i9dQZF1DXcBWIGoYBM5M"
EVENING_ID = "5ABHKGoOzxkaa28ttQV9sE"
ALBUM_ID = "4aawyAB9vmqN3uQ7FjRGTy"
DOOR = "binary_sensor.bathroom_door"

# Every key of a motion sensor's subentry.data (the public contract).
CONTRACT_KEYS = {
    "area_id",
    "source_name",
    "motion_entities",
    "spotify_device_id",
    "spotify_device_name",
    "wake_entity",
    "source",
    "volume",
    "shuffle",
    "timeout_minutes",
    "cooldown_minutes",
    "min_presence_seconds",
    "max_session_minutes",
    "windows",  # quiet hours are stored as the quiet time window
    "approach_entities",
    "approach_window_seconds",
    "only_when_idle",
    "follow_mode",
    "resume_minutes",
    "fade_out_seconds",
}
# Options added after the first release: rooms saved before them take these defaults.
LATER_DEFAULTS = {
    "follow_mode": "own",
    "resume_minutes": 0,
    "fade_out_seconds": 0,
    "approach_entities": [],
    "approach_window_seconds": 30,
}
ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def without_quiet(data: dict[str, Any]) -> dict[str, Any]:
    """Room data as stored since time windows: no quiet_* keys (quiet hours are a window)."""
    return {key: value for key, value in data.items() if not key.startswith("quiet_")}


STRINGS = Path(__file__).parent.parent / "custom_components/spottypottysense/strings.json"


@pytest.fixture(autouse=True)
def door(hass: HomeAssistant) -> None:
    """The bathroom's door contact, a second sensor the forms below choose."""
    hass.states.async_set(DOOR, "off", {"device_class": "door"})


@pytest.fixture
def speaker(speaker: FakeSpotify) -> FakeSpotify:
    """The account with two playlists that have real (22 character) Spotify ids."""
    speaker.playlists = [FakePlaylist(MORNING_ID, "Morning"), FakePlaylist(EVENING_ID, "Evening")]
    return speaker


def form_input(**overrides: Any) -> dict[str, Any]:
    """What a user submits when adding the kitchen: every field filled in."""
    return {
        "name": "Kitchen",
        "motion_entities": [MOTION, DOOR],
        "spotify_device_id": "phone",
        "source": f"https://open.spotify.com/intl-de/album/{ALBUM_ID}?si=0123abcd",
        "volume": 35.0,
        "shuffle": False,
        "timeout_minutes": 10.0,
        "cooldown_minutes": 0.0,
        "min_presence_seconds": 15.0,
        "max_session_minutes": 90.0,
        "only_when_idle": False,
        "follow_mode": "move",
        "resume_minutes": 10.0,
        "fade_out_seconds": 5.0,
        "approach_entities": [DOOR],
        "approach_window_seconds": 45.0,
        "quiet_hours_enabled": True,
        "quiet_start": "22:30",
        "quiet_end": "06:15:00",
        "quiet_days": ["fri", "sat"],
        "quiet_mode": "low_volume",
        "quiet_volume": 10.0,
        **overrides,
    }


async def start_add(
    hass: HomeAssistant, entry: MockConfigEntry, kind: str = "spotify"
) -> FlowResult:
    """Click "Add motion sensor" on the account, then the kind of speaker."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_ROOM), context={"source": "user"}
    )
    return await choose(hass, result, kind)


async def start_reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, sub_id: str, kind: str = "spotify"
) -> FlowResult:
    """Click "Reconfigure" on a room, then the kind of speaker."""
    return await choose(hass, await entry.start_subentry_reconfigure_flow(hass, sub_id), kind)


async def choose(hass: HomeAssistant, result: FlowResult, kind: str) -> FlowResult:
    """Pick the kind of speaker in the menu (aborts are passed on)."""
    if result["type"] is not FlowResultType.MENU:
        return result
    expected = ["spotify", "media_player"]
    if result["step_id"] == "reconfigure":
        expected.append("windows")  # the room's time windows, only when it exists
    assert result["menu_options"] == expected
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": kind}
    )


async def submit(hass: HomeAssistant, result: FlowResult, user_input: dict[str, Any]) -> FlowResult:
    """Send the form, each field in its section as the frontend sends it."""
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], sectioned(user_input)
    )


def form_keys(result: FlowResult) -> list[tuple[Any, Any]]:
    """The form's fields (markers and selectors), those inside its sections included."""
    keys: list[tuple[Any, Any]] = []
    for key, value in result["data_schema"].schema.items():
        if isinstance(value, section):
            keys.extend(value.schema.schema.items())
        else:
            keys.append((key, value))
    return keys


def fields(result: FlowResult) -> set[str]:
    """The names of the form's fields, flat."""
    return {key.schema for key, _ in form_keys(result)}


def field_options(result: FlowResult, field: str) -> list[dict[str, str]]:
    """The choices a dropdown of the form offers (the speaker's after its empty first entry)."""
    options: list[dict[str, str]] = selector_config(result, field)["options"]
    if field == "spotify_device_id":
        assert options[0] == {"value": "", "label": "—"}
        return options[1:]
    return options


def selector_config(result: FlowResult, field: str) -> dict[str, Any]:
    """The selector configuration of one field of the form."""
    return next(value.config for key, value in form_keys(result) if key.schema == field)


def suggested(result: FlowResult) -> dict[str, Any]:
    """The values the form is filled in with."""
    return {
        key.schema: key.description["suggested_value"]
        for key, _ in form_keys(result)
        if key.description and "suggested_value" in key.description
    }


def errors_of(result: FlowResult) -> dict[str, str]:
    """The inline errors, by field (without the copies shown above each section)."""
    assert result["type"] is FlowResultType.FORM
    return {key: error for key, error in (result["errors"] or {}).items() if key not in SECTIONS}


def rooms_of(entry: MockConfigEntry) -> list[ConfigSubentry]:
    """The rooms of the account."""
    return list(entry.get_subentries_of_type(SUBENTRY_TYPE_ROOM))


def subentry_id(entry: MockConfigEntry, title: str) -> str:
    """The id of the room with this name."""
    return next(sub.subentry_id for sub in rooms_of(entry) if sub.title == title)


# ---- adding a room ----------------------------------------------------------------------------


async def test_form_offers_live_speakers_and_playlists(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.add_device(None, "Restricted TV", type="TV", is_restricted=True)

    result = await start_add(hass, loaded_entry)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "spotify"
    assert errors_of(result) == {}
    # Speakers as "Name (Type)"; a device without an id cannot be played on, so it is not offered.
    assert field_options(result, "spotify_device_id") == [
        {"value": SPEAKER_ID, "label": f"{SPEAKER_NAME} (Speaker)"},
        {"value": "phone", "label": "Phone (Smartphone)"},
    ]
    # The user's playlists to pick from, and any URI or link may be typed instead.
    assert field_options(result, "source") == [
        {"value": f"spotify:playlist:{MORNING_ID}", "label": "Morning"},
        {"value": f"spotify:playlist:{EVENING_ID}", "label": "Evening"},
    ]
    assert selector_config(result, "source")["custom_value"] is True
    # Only binary sensors, of the kinds that tell presence.
    assert selector_config(result, "motion_entities")["multiple"] is True
    assert selector_config(result, "motion_entities")["filter"] == [
        {
            "domain": ["binary_sensor"],
            "device_class": ["motion", "occupancy", "presence", "moving", "door"],
        }
    ]
    # The documented defaults are filled in.
    assert suggested(result) == {
        "name": "",
        "shuffle": True,
        "timeout_minutes": 5,
        "cooldown_minutes": 2,
        "min_presence_seconds": 0,
        "max_session_minutes": 180,
        "quiet_hours_enabled": False,
        "quiet_days": ALL_DAYS,
        "quiet_mode": "block",
        "only_when_idle": True,
        **LATER_DEFAULTS,
    }


async def test_add_room_with_every_option(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await start_add(hass, loaded_entry)
    result = await submit(hass, result, form_input())

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kitchen"
    kitchen = next(sub for sub in rooms_of(loaded_entry) if sub.title == "Kitchen")
    assert kitchen.subentry_type == SUBENTRY_TYPE_ROOM
    assert dict(kitchen.data) == {
        "motion_entities": [MOTION, DOOR],
        "spotify_device_id": "phone",
        "spotify_device_name": "Phone",
        "source": f"spotify:album:{ALBUM_ID}",  # the shared link, saved as a URI
        "volume": 35,
        "shuffle": False,
        "timeout_minutes": 10,
        "cooldown_minutes": 0,
        "min_presence_seconds": 15,
        "max_session_minutes": 90,
        "only_when_idle": False,
        "follow_mode": "move",
        "resume_minutes": 10,
        "fade_out_seconds": 5,
        "approach_entities": [DOOR],
        "approach_window_seconds": 45,
        "windows": [
            {
                "id": "quiet_hours",
                "name": "Quiet hours",
                "start": "22:30:00",
                "end": "06:15:00",
                "days": ["fri", "sat"],
                "mode": "play",  # low volume: the room's music, quieter
                "source": None,
                "source_name": None,
                "volume": 10,
                "shuffle": None,
            }
        ],
        "wake_entity": None,
        "area_id": None,
        "source_name": None,
    }
    assert set(kitchen.data) == CONTRACT_KEYS
    # Whole numbers, as the contract documents them (the form sends floats).
    assert all(
        type(kitchen.data[key]) is int
        for key in ("volume", "timeout_minutes", "resume_minutes", "fade_out_seconds")
    )


async def test_add_room_with_only_what_is_required(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Nothing to play means "resume what played last"; unset options are stored as None."""
    result = await start_add(hass, loaded_entry)
    result = await submit(
        hass,
        result,
        {
            "name": "Hall",
            "motion_entities": [DOOR],
            "spotify_device_id": SPEAKER_ID,
            "shuffle": True,
            "timeout_minutes": 5,
            "cooldown_minutes": 2,
            "min_presence_seconds": 0,
            "max_session_minutes": 180,
            "only_when_idle": True,
            "quiet_hours_enabled": False,
            "quiet_days": ALL_DAYS,
            "quiet_mode": "block",
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Hall"
    assert result["data"] == {
        **without_quiet(room_data(motion_entities=[DOOR], source="")),
        **LATER_DEFAULTS,
        "wake_entity": None,
        "area_id": None,
        "source_name": None,
        "volume": None,
        "windows": [],  # quiet hours off: no quiet window
    }
    assert set(result["data"]) == CONTRACT_KEYS


async def test_playlist_picked_from_the_list(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await start_add(hass, loaded_entry)
    result = await submit(hass, result, form_input(source=f"spotify:playlist:{EVENING_ID}"))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["source"] == f"spotify:playlist:{EVENING_ID}"


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"motion_entities": []}, {"motion_entities": "no_entities"}),
        ({"name": ""}, {"name": "name_required"}),
        ({"name": "   "}, {"name": "name_required"}),
        (
            {"source": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
            {"source": "invalid_source"},
        ),
        ({"source": "https://open.spotify.com/user/fake-user"}, {"source": "invalid_source"}),
        ({"source": "spotify:playlist:tooshort"}, {"source": "invalid_source"}),
        ({"quiet_start": None}, {"quiet_start": "quiet_times_required"}),
        ({"quiet_end": None}, {"quiet_end": "quiet_times_required"}),
        (
            {"quiet_start": None, "quiet_end": None},
            {"quiet_start": "quiet_times_required", "quiet_end": "quiet_times_required"},
        ),
        ({"quiet_volume": None}, {"quiet_volume": "quiet_volume_required"}),
        (
            {"motion_entities": [MOTION, "binary_sensor.ghost"]},
            {"motion_entities": "entity_not_found"},
        ),
        ({"motion_entities": ["light.kitchen"]}, {"motion_entities": "not_a_binary_sensor"}),
        # A registry id (the selector may send one) that no entity has.
        (
            {"motion_entities": ["0123456789abcdef0123456789abcdef"]},
            {"motion_entities": "entity_not_found"},
        ),
        (
            {"motion_entities": [], "source": "nope", "quiet_volume": None},
            {
                "motion_entities": "no_entities",
                "source": "invalid_source",
                "quiet_volume": "quiet_volume_required",
            },
        ),
    ],
)
async def test_invalid_input_is_shown_on_its_field(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    overrides: dict[str, Any],
    errors: dict[str, str],
) -> None:
    user_input = {key: value for key, value in form_input(**overrides).items() if value is not None}
    result = await start_add(hass, loaded_entry)
    result = await submit(hass, result, user_input)

    assert errors_of(result) == errors
    assert result["step_id"] == "spotify"
    assert [sub.title for sub in rooms_of(loaded_entry)] == ["Bathroom"]
    # The form comes back as the user filled it in, and can be corrected.
    assert suggested(result) == user_input
    result = await submit(hass, result, form_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [sub.title for sub in rooms_of(loaded_entry)] == ["Bathroom", "Kitchen"]


NUMBER_FIELDS = [
    "volume",
    "quiet_volume",
    "timeout_minutes",
    "cooldown_minutes",
    "min_presence_seconds",
    "max_session_minutes",
]


@pytest.mark.parametrize("field", NUMBER_FIELDS)
async def test_nan_in_a_number_field_is_shown_on_it(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, field: str
) -> None:
    result = await start_add(hass, loaded_entry)
    result = await submit(hass, result, form_input(**{field: float("nan")}))
    assert errors_of(result) == {field: f"{field}_out_of_range"}
    result = await submit(hass, result, form_input(**{field: "NaN"}))  # as the API may send it

    assert errors_of(result) == {field: f"{field}_out_of_range"}
    assert [sub.title for sub in rooms_of(loaded_entry)] == ["Bathroom"]
    result = await submit(hass, result, form_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize("field", NUMBER_FIELDS)
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), 1e300])
async def test_infinite_or_huge_numbers_are_refused_on_their_field(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, field: str, value: float
) -> None:
    """Our own check refuses them on their field, translated; nothing is stored."""
    result = await start_add(hass, loaded_entry)
    result = await submit(hass, result, form_input(**{field: value}))

    assert errors_of(result) == {field: f"{field}_out_of_range"}
    assert [sub.title for sub in rooms_of(loaded_entry)] == ["Bathroom"]
    result = await submit(hass, result, form_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_an_unavailable_sensor_or_its_registry_id_is_accepted(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A sensor that is offline right now is still a sensor; the selector may send its id."""
    hass.states.async_set(DOOR, STATE_UNAVAILABLE)
    hall = er.async_get(hass).async_get_or_create(
        "binary_sensor", "zigbee", "hall-pir", suggested_object_id="hall_motion"
    )
    assert hass.states.get(hall.entity_id) is None  # registered, its integration not loaded

    result = await start_add(hass, loaded_entry)
    result = await submit(hass, result, form_input(motion_entities=[DOOR, hall.id]))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["motion_entities"] == [DOOR, "binary_sensor.hall_motion"]


@pytest.mark.parametrize(
    "user_input",
    [
        # Quiet hours off: their fields may stay empty, whatever the mode says.
        form_input(quiet_hours_enabled=False, quiet_start=None, quiet_end=None, quiet_volume=None),
        # Block mode needs no quiet volume.
        form_input(quiet_mode="block", quiet_volume=None),
    ],
    ids=["quiet_hours_off", "block_mode"],
)
async def test_quiet_fields_only_required_when_used(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, user_input: dict[str, Any]
) -> None:
    result = await start_add(hass, loaded_entry)
    result = await submit(
        hass, result, {key: value for key, value in user_input.items() if value is not None}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert set(result["data"]) == CONTRACT_KEYS


async def test_speaker_gone_before_submitting(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    """The phone was listed when the form opened and is switched off before it is sent."""
    result = await start_add(hass, loaded_entry)
    speaker.remove_device("phone")

    result = await submit(hass, result, form_input())

    assert errors_of(result) == {"spotify_device_id": "device_missing"}
    assert [sub.title for sub in rooms_of(loaded_entry)] == ["Bathroom"]
    assert field_options(result, "spotify_device_id") == [
        {"value": SPEAKER_ID, "label": f"{SPEAKER_NAME} (Speaker)"}
    ]
    result = await submit(hass, result, form_input(spotify_device_id=SPEAKER_ID))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["spotify_device_name"] == SPEAKER_NAME


async def test_account_not_loaded(
    hass: HomeAssistant, setup_credentials: None, config_entry: MockConfigEntry
) -> None:
    """Nothing can be listed without a working account: say so instead of an empty form."""
    config_entry.add_to_hass(hass)
    assert config_entry.state is ConfigEntryState.NOT_LOADED

    result = await start_add(hass, config_entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"

    result = await start_reconfigure(hass, config_entry, subentry_id(config_entry, "Bathroom"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


@pytest.mark.parametrize("path", ["/me/player/devices", "/me/playlists"])
async def test_spotify_unreachable(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify, path: str
) -> None:
    speaker.fail("GET", path, 503, times=None)

    result = await start_add(hass, loaded_entry)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
    assert [sub.title for sub in rooms_of(loaded_entry)] == ["Bathroom"]


async def test_spotify_unreachable_when_submitting(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    result = await start_add(hass, loaded_entry)
    speaker.fail("GET", "/me/player/devices", 503, times=None)

    result = await submit(hass, result, form_input())

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
    assert [sub.title for sub in rooms_of(loaded_entry)] == ["Bathroom"]


# ---- reconfiguring a room ---------------------------------------------------------------------


async def test_reconfigure_form_shows_saved_options(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await start_reconfigure(hass, loaded_entry, subentry_id(loaded_entry, "Bathroom"))

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "spotify"
    saved = {**room_data(), **LATER_DEFAULTS}
    del saved["spotify_device_name"]  # not a field: it follows the chosen speaker
    assert suggested(result) == {"name": "Bathroom", **saved}
    # The saved speaker is online: listed once, by its live name.
    assert field_options(result, "spotify_device_id") == [
        {"value": SPEAKER_ID, "label": f"{SPEAKER_NAME} (Speaker)"},
        {"value": "phone", "label": "Phone (Smartphone)"},
    ]


async def test_the_follow_mode_is_one_choice_of_three(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await start_add(hass, loaded_entry)
    config = selector_config(result, "follow_mode")
    assert config["options"] == ["own", "move", "join"]
    assert config["translation_key"] == "follow_mode"
    result = await submit(hass, result, form_input(follow_mode="join"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["follow_mode"] == "join"
    assert "follow_me" not in result["data"]


@pytest.mark.parametrize(
    ("stored", "shown"),
    [({"follow_me": True}, "move"), ({"follow_me": False}, "own")],
)
async def test_a_room_saved_with_the_follow_switch_shows_its_mode(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, stored: dict[str, Any], shown: str
) -> None:
    """Rooms saved before the follow mode had "Music follows you": on reads as "move it here"."""
    (room,) = rooms_of(loaded_entry)
    hass.config_entries.async_update_subentry(loaded_entry, room, data={**room.data, **stored})
    result = await start_reconfigure(hass, loaded_entry, room.subentry_id)
    assert suggested(result)["follow_mode"] == shown


@pytest.mark.parametrize(
    "rooms", [[{"title": "Bathroom", "data": room_data(follow_mode="follow")}]]
)
async def test_a_room_with_an_unreadable_follow_mode_can_be_reconfigured(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Its options could not be used ("reconfigure it"): the form offers the default."""
    (room,) = rooms_of(loaded_entry)
    result = await start_reconfigure(hass, loaded_entry, room.subentry_id)
    assert suggested(result)["follow_mode"] == "own"
    result = await submit(hass, result, form_input(name="Bathroom", follow_mode="move"))
    assert result["type"] is FlowResultType.ABORT
    assert rooms_of(loaded_entry)[0].data["follow_mode"] == "move"


async def test_reconfigure_keeps_an_offline_speaker(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    """A sleeping speaker stays selectable; changing the rest must not force picking another."""
    speaker.remove_device(SPEAKER_ID)
    bathroom = subentry_id(loaded_entry, "Bathroom")
    manager = loaded_entry.runtime_data.manager

    result = await start_reconfigure(hass, loaded_entry, bathroom)
    assert field_options(result, "spotify_device_id") == [
        {"value": "phone", "label": "Phone (Smartphone)"},
        {"value": SPEAKER_ID, "label": f"{SPEAKER_NAME} (offline)"},
    ]
    assert suggested(result)["spotify_device_id"] == SPEAKER_ID

    result = await submit(
        hass,
        result,
        {**suggested(result), "name": "Guest bathroom", "timeout_minutes": 1.0, "volume": 20.0},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = loaded_entry.subentries[bathroom]
    assert subentry.title == "Guest bathroom"
    assert dict(subentry.data) == {
        **without_quiet(room_data(timeout_minutes=1, volume=20)),
        **LATER_DEFAULTS,
        "wake_entity": None,
        "area_id": None,
        "source_name": None,
        "windows": [],
    }
    # Applied live, without reloading the account.
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data.manager is manager
    assert manager.controllers[bathroom].name == "Guest bathroom"


async def test_reconfigure_to_another_speaker(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    bathroom = subentry_id(loaded_entry, "Bathroom")
    result = await start_reconfigure(hass, loaded_entry, bathroom)

    result = await submit(hass, result, {**suggested(result), "spotify_device_id": "phone"})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    data = loaded_entry.subentries[bathroom].data
    assert (data["spotify_device_id"], data["spotify_device_name"]) == ("phone", "Phone")


async def test_reconfigure_error_keeps_what_the_user_changed(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    """Cleared fields stay cleared when the form comes back with an error elsewhere."""
    speaker.remove_device(SPEAKER_ID)
    bathroom = subentry_id(loaded_entry, "Bathroom")
    result = await start_reconfigure(hass, loaded_entry, bathroom)
    user_input = {**suggested(result), "name": "Bath", "quiet_hours_enabled": True}
    del user_input["source"]  # the user empties "What to play"

    result = await submit(hass, result, user_input)

    assert errors_of(result) == {
        "quiet_start": "quiet_times_required",
        "quiet_end": "quiet_times_required",
    }
    assert result["step_id"] == "spotify"
    assert suggested(result) == user_input
    assert "source" not in suggested(result)
    # The offline speaker is still offered while the error is fixed.
    assert {"value": SPEAKER_ID, "label": f"{SPEAKER_NAME} (offline)"} in field_options(
        result, "spotify_device_id"
    )
    assert loaded_entry.subentries[bathroom].title == "Bathroom"
    assert loaded_entry.subentries[bathroom].data["source"] == PLAYLIST

    result = await submit(
        hass, result, {**user_input, "quiet_start": "23:00:00", "quiet_end": "07:00:00"}
    )
    assert result["type"] is FlowResultType.ABORT
    subentry = loaded_entry.subentries[bathroom]
    assert subentry.title == "Bath"
    assert subentry.data["source"] == ""
    assert subentry.data["spotify_device_name"] == SPEAKER_NAME
    (quiet,) = subentry.data["windows"]
    assert (quiet["id"], quiet["start"], quiet["end"]) == ("quiet_hours", "23:00:00", "07:00:00")


async def test_reconfigure_cannot_pick_a_speaker_that_went_away(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    bathroom = subentry_id(loaded_entry, "Bathroom")
    result = await start_reconfigure(hass, loaded_entry, bathroom)
    speaker.remove_device("phone")

    result = await submit(hass, result, {**suggested(result), "spotify_device_id": "phone"})

    assert errors_of(result) == {"spotify_device_id": "device_missing"}
    assert loaded_entry.subentries[bathroom].data["spotify_device_id"] == SPEAKER_ID


async def test_reconfigure_spotify_unreachable(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.fail("GET", "/me/player/devices", 500, times=None)

    result = await start_reconfigure(hass, loaded_entry, subentry_id(loaded_entry, "Bathroom"))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_every_field_and_message_is_translated(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Both steps label every field; every error and abort of this file's flows has a text."""
    texts = json.loads(STRINGS.read_text(encoding="utf-8"))["config_subentries"]["motion_sensor"]
    result = await start_add(hass, loaded_entry)
    names = fields(result)

    assert set(texts["step"]["user"]["menu_options"]) == {"spotify", "media_player"}
    assert set(texts["step"]["reconfigure"]["menu_options"]) == {
        "spotify",
        "media_player",
        "windows",
    }
    for step, shown in (
        ("spotify", result),
        ("media_player", await start_add(hass, loaded_entry, "media_player")),
    ):
        texts_of = texts["step"][step]
        # The top fields, then each section's own name, description, labels and descriptions.
        for key, value in shown["data_schema"].schema.items():
            if isinstance(value, section):
                text = texts_of["sections"][key.schema]
                assert text["name"]
                assert text["description"]
                inner = {marker.schema for marker in value.schema.schema}
                assert set(text["data"]) == inner
                assert set(text["data_description"]) == inner
            else:
                assert key.schema in texts_of["data"]
                assert key.schema in texts_of["data_description"]
    assert names == {"name", "motion_entities", "area_id"} | {
        field for part in texts["step"]["spotify"]["sections"].values() for field in part["data"]
    }
    assert set(texts["error"]) == {
        "no_entities",
        "invalid_source",
        "device_missing",
        "device_required",
        "quiet_times_required",
        "quiet_overlaps_window",
        "quiet_volume_required",
        "entity_not_found",
        "not_a_binary_sensor",
        *(f"{field}_out_of_range" for field in NUMBER_BOUNDS),
        "name_required",
        "player_not_found",
        "player_cannot_play_media",
        "area_not_found",
        # the time windows' forms (tests/test_window_flow.py)
        "window_name_required",
        "window_name_taken",
        "window_days_required",
        "window_times_required",
        "window_overlap",
    }
    assert {"entry_not_loaded", "cannot_connect"} <= set(texts["abort"])
    assert texts["initiate_flow"]["user"] == "Add room"


# ---- the form's layout ------------------------------------------------------------------------


def sections_of(result: FlowResult) -> dict[str, section]:
    """The form's sections by name."""
    return {
        key.schema: value
        for key, value in result["data_schema"].schema.items()
        if isinstance(value, section)
    }


async def test_the_form_is_in_sections_and_quiet_hours_fold_away_when_off(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await start_add(hass, loaded_entry)
    parts = sections_of(result)
    assert list(parts) == ["speaker", "timing", "quiet_hours"]
    assert [key.schema for key in result["data_schema"].schema][:2] == ["name", "motion_entities"]
    assert not parts["speaker"].options["collapsed"]
    assert not parts["timing"].options["collapsed"]
    assert parts["quiet_hours"].options["collapsed"]  # off by default
    # Shown again with quiet hours switched on (an error elsewhere): the section is open.
    result = await submit(hass, result, form_input(name=""))
    assert errors_of(result) == {"name": "name_required"}
    assert not sections_of(result)["quiet_hours"].options["collapsed"]


async def test_reconfigure_fills_each_section_with_its_saved_values(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await start_reconfigure(hass, loaded_entry, subentry_id(loaded_entry, "Bathroom"))
    parts = sections_of(result)
    speaker_keys = {key.schema: key for key in parts["speaker"].schema.schema}
    assert speaker_keys["spotify_device_id"].description == {"suggested_value": SPEAKER_ID}
    timing_keys = {key.schema: key for key in parts["timing"].schema.schema}
    assert timing_keys["timeout_minutes"].description == {"suggested_value": 5}


async def test_the_speaker_is_not_chosen_for_the_user(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Marked required, yet no speaker is preselected: the dropdown starts on an empty entry."""
    result = await start_add(hass, loaded_entry)
    device = next(key for key, _ in form_keys(result) if key.schema == "spotify_device_id")
    assert isinstance(device, vol.Required)
    assert device.default() == ""
    assert "spotify_device_id" not in suggested(result)
    for left_empty in ("", None):
        user_input = form_input()
        if left_empty is None:
            del user_input["spotify_device_id"]
        else:
            user_input["spotify_device_id"] = left_empty
        result = await submit(hass, result, user_input)
        assert errors_of(result) == {"spotify_device_id": "device_required"}
    assert [sub.title for sub in rooms_of(loaded_entry)] == ["Bathroom"]


async def test_volumes_are_boxes_that_may_stay_empty(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """An empty slider would read as 0 (mute); an empty box reads as "keep the volume"."""
    result = await start_add(hass, loaded_entry)
    for field in ("volume", "quiet_volume"):
        assert selector_config(result, field)["mode"] == "box"
    user_input = form_input(quiet_hours_enabled=False)
    del user_input["volume"]
    result = await submit(hass, result, user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["volume"] is None


def test_flattening_ignores_a_section_that_is_not_a_mapping() -> None:
    """An API client may send anything: a malformed section adds nothing."""
    assert flattened({"name": "Hall", "speaker": "loud", "timing": {"cooldown_minutes": 1}}) == {
        "name": "Hall",
        "cooldown_minutes": 1,
    }


def test_field_errors_are_shown_above_their_section() -> None:
    """HA's frontend shows errors only for top-level items: each section repeats its fields'."""
    shown = errors_by_section(
        {"name": "name_required", "source": "invalid_source", "volume": "volume_out_of_range"}
    )
    assert shown["name"] == "name_required"  # a top-level field: shown above it
    assert shown["source"] == "invalid_source"  # kept for API clients
    assert shown["speaker"] == ["invalid_source", "volume_out_of_range"]  # each translated
    assert "timing" not in shown
    assert (
        errors_by_section({"timeout_minutes": "timeout_minutes_out_of_range"})["timing"]
        == "timeout_minutes_out_of_range"
    )


def test_quiet_hours_are_picked_without_seconds() -> None:
    """The time pickers of quiet hours show hours and minutes only (HA's no_second option)."""
    assert HourMinuteSelector().serialize() == {"selector": {"time": {"no_second": True}}}
    assert HourMinuteSelector()("22:30") == "22:30"


@pytest.mark.parametrize(
    ("field", "value"),
    [("volume", 150.0), ("volume", -1.0), ("timeout_minutes", 0.0), ("fade_out_seconds", 2.5)],
)
async def test_a_number_out_of_range_is_our_translated_error_on_its_field(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, field: str, value: float
) -> None:
    """Not HA's raw "Value 150.0 is too large at 'speaker.volume'" at the top of the form."""
    result = await start_add(hass, loaded_entry)
    result = await submit(hass, result, form_input(**{field: value}))
    assert result["type"] is FlowResultType.FORM
    assert errors_of(result) == {field: f"{field}_out_of_range"}
    section = next(name for name, keys in SECTIONS.items() if field in keys)
    assert result["errors"][section] == f"{field}_out_of_range"  # shown above its section
    translations = await async_get_translations(hass, "en", "config_subentries", [DOMAIN])
    text = translations[
        f"component.{DOMAIN}.config_subentries.motion_sensor.error.{field}_out_of_range"
    ]
    low, high = NUMBER_BOUNDS[field]
    assert f"from {low} to {high}" in text


async def test_quiet_hours_without_times_say_so_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await start_add(hass, loaded_entry)
    answer = form_input(quiet_mode="block")
    del answer["quiet_start"], answer["quiet_end"]
    result = await submit(hass, result, answer)
    assert errors_of(result) == {
        "quiet_start": "quiet_times_required",
        "quiet_end": "quiet_times_required",
    }
    assert result["errors"]["quiet_hours"] == "quiet_times_required"  # one message, not two
