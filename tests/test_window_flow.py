"""The room's Time windows, from Reconfigure: add, change, remove; overlaps refused; used live."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spottypottysense.time_windows import TimeWindow
from custom_components.spottypottysense.window_flow import validate_window_input
from tests.conftest import MOTION, PLAYLIST, room_data
from tests.fake_spotify import FakePlaylist, FakeSpotify
from tests.helpers import set_motion
from tests.test_room_flow import (
    ALL_DAYS,
    errors_of,
    start_reconfigure,
    subentry_id,
    submit,
    suggested,
)

NEWS_ID = "37i9dQZF1DX4sWSpwq3LiO"
NEWS = f"spotify:playlist:{NEWS_ID}"
MORNING = {
    "name": "Morning news",
    "start": "07:00",
    "end": "09:00",
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "mode": "play",
    "source": NEWS,
    "volume": 25,
    "shuffle": "off",
}
QUIET = {
    "quiet_hours_enabled": True,
    "quiet_start": "22:00:00",
    "quiet_end": "06:00:00",
    "quiet_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "quiet_mode": "block",
}


async def open_windows(hass: HomeAssistant, entry: MockConfigEntry) -> FlowResult:
    """Reconfigure on the room, then Time windows in its menu."""
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id(entry, "Bathroom"))
    assert result["type"] is FlowResultType.MENU
    assert "windows" in result["menu_options"]
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "windows"}
    )


async def step(hass: HomeAssistant, result: FlowResult, user_input: dict[str, Any]) -> FlowResult:
    return await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)


async def add(hass: HomeAssistant, entry: MockConfigEntry, window: dict[str, Any]) -> FlowResult:
    result = await open_windows(hass, entry)
    result = await step(hass, result, {"next_step_id": "add_window"})
    assert result["type"] is FlowResultType.FORM
    return await step(hass, result, window)


@pytest.fixture(autouse=True)
def news_playlist(fake_spotify: FakeSpotify) -> None:
    """One of the user's playlists, with a real-looking id."""
    fake_spotify.playlists.append(FakePlaylist(NEWS_ID, "Morning News Mix"))


def windows_of(entry: MockConfigEntry) -> list[dict[str, Any]]:
    return list(entry.subentries[subentry_id(entry, "Bathroom")].data["windows"])


async def test_a_room_without_windows_offers_to_add_one(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await open_windows(hass, loaded_entry)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["add_window"]
    assert result["description_placeholders"] == {"windows": "—"}


async def test_add_a_window_saves_it_with_its_sources_name(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await add(hass, loaded_entry, MORNING)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    (saved,) = windows_of(loaded_entry)
    assert {key: value for key, value in saved.items() if key != "id"} == {
        "name": "Morning news",
        "start": "07:00:00",
        "end": "09:00:00",
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "mode": "play",
        "source": NEWS,
        "source_name": "Morning News Mix",  # resolved once, on save
        "volume": 25,
        "shuffle": False,
    }
    assert loaded_entry.state is ConfigEntryState.LOADED

    result = await open_windows(hass, loaded_entry)
    assert result["menu_options"] == ["add_window", "edit_window"]
    assert result["description_placeholders"] == {
        "windows": "- Morning news · 07:00-09:00 · Mon, Tue, Wed, Thu, Fri"
    }


async def test_a_block_window_keeps_no_music_settings(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await add(hass, loaded_entry, {**MORNING, "name": "Nap", "mode": "block"})
    (saved,) = windows_of(loaded_entry)
    assert (saved["mode"], saved["source"], saved["volume"], saved["shuffle"]) == (
        "block",
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"name": "  "}, {"name": "window_name_required"}),
        ({"name": "none"}, {"name": "window_name_taken"}),
        ({"days": []}, {"days": "window_days_required"}),
        ({"volume": 150}, {"volume": "volume_out_of_range"}),
        ({"source": "https://example.com/x"}, {"source": "invalid_source"}),
    ],
)
async def test_bad_windows_are_refused_on_their_field(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, change: dict[str, Any], errors: Any
) -> None:
    result = await add(hass, loaded_entry, {**MORNING, **change})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert windows_of_or_none(loaded_entry) == []


def windows_of_or_none(entry: MockConfigEntry) -> list[Any]:
    return list(entry.subentries[subentry_id(entry, "Bathroom")].data.get("windows") or [])


async def test_overlapping_windows_are_refused_naming_the_other(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await add(hass, loaded_entry, MORNING)
    result = await add(
        hass, loaded_entry, {**MORNING, "name": "Coffee", "start": "08:30", "end": "10:00"}
    )
    assert result["errors"] == {"start": "window_overlap"}
    assert result["description_placeholders"] == {"window": "Morning news"}
    result = await step(
        hass, result, {**MORNING, "name": "Coffee", "start": "09:00", "end": "10:00"}
    )
    assert result["type"] is FlowResultType.ABORT  # back to back is fine
    assert [w["name"] for w in windows_of(loaded_entry)] == ["Morning news", "Coffee"]
    result = await add(hass, loaded_entry, {**MORNING, "name": "Coffee"})
    assert result["errors"] == {"name": "window_name_taken"}


@pytest.mark.parametrize("rooms", [[{"title": "Bathroom", "data": room_data(**QUIET)}]])
async def test_quiet_hours_are_a_window_others_may_not_overlap(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await add(
        hass, loaded_entry, {**MORNING, "name": "Early", "start": "05:00", "end": "07:00"}
    )
    assert result["errors"] == {"start": "window_overlap"}
    assert result["description_placeholders"] == {"window": "Quiet hours"}
    # The quiet window is edited in the room form, so the windows menu does not list it.
    result = await open_windows(hass, loaded_entry)
    assert result["menu_options"] == ["add_window"]


async def test_change_a_window_then_remove_it(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await add(hass, loaded_entry, MORNING)
    (saved,) = windows_of(loaded_entry)
    result = await open_windows(hass, loaded_entry)
    result = await step(hass, result, {"next_step_id": "edit_window"})
    assert result["step_id"] == "edit_window"
    result = await step(hass, result, {"window": saved["id"]})
    assert result["step_id"] == "window"
    shown = suggested(result)
    assert (shown["name"], shown["start"], shown["shuffle"], shown["volume"]) == (
        "Morning news",
        "07:00:00",
        "off",
        25,
    )
    result = await step(hass, result, {**shown, "end": "10:00", "remove": False})
    assert result["type"] is FlowResultType.ABORT
    (changed,) = windows_of(loaded_entry)
    assert (changed["id"], changed["end"], changed["source_name"]) == (
        saved["id"],
        "10:00:00",
        "Morning News Mix",  # the same source: its name is kept, not asked again
    )

    result = await open_windows(hass, loaded_entry)
    result = await step(hass, result, {"next_step_id": "edit_window"})
    result = await step(hass, result, {"window": saved["id"]})
    result = await step(hass, result, {**suggested(result), "remove": True})
    assert result["type"] is FlowResultType.ABORT
    assert windows_of(loaded_entry) == []


async def test_an_unknown_window_choice_asks_again(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await add(hass, loaded_entry, MORNING)
    result = await open_windows(hass, loaded_entry)
    result = await step(hass, result, {"next_step_id": "edit_window"})
    with pytest.raises(Exception):  # noqa: B017 - not one of the listed choices
        await step(hass, result, {"window": "gone"})


async def test_a_window_plays_its_music_at_once(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Saved while the room is loaded: the next session in the window plays its music."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(datetime(2026, 12, 1, 7, 30, tzinfo=dt_util.UTC))  # a Tuesday morning
    await add(hass, loaded_entry, MORNING)
    await hass.async_block_till_done()
    state = hass.states.get("sensor.bathroom_time_window")
    assert state is not None
    assert state.state == "Morning news"
    assert state.attributes["options"] == ["Morning news", "none"]
    await set_motion(hass, MOTION, "on")
    (play,) = speaker.requests_to("PUT", "/me/player/play")
    assert play.json["context_uri"] == NEWS
    (volume,) = speaker.requests_to("PUT", "/me/player/volume")
    assert volume.query["volume_percent"] == "25"
    what = hass.states.get("sensor.bathroom_what_plays")
    assert what is not None
    assert what.state == "Morning News Mix (playlist)"


async def test_the_time_window_sensor_outside_every_window(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    state = hass.states.get("sensor.bathroom_time_window")
    assert state is not None
    assert state.state == "none"
    assert PLAYLIST  # the room's own source plays then


@pytest.mark.parametrize(
    "rooms",
    [[{"title": "Bathroom", "data": {**room_data(), "windows": [{"id": "x", "name": ""}]}}]],
)
async def test_unreadable_stored_windows_abort_the_menu(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
) -> None:
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    result = await open_windows(hass, config_entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "windows_unreadable"


async def test_spotify_unreachable_aborts_the_window_form(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    result = await open_windows(hass, loaded_entry)
    speaker.fail("GET", "/me/playlists", 500, times=None)
    result = await step(hass, result, {"next_step_id": "add_window"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


def test_window_round_trip_through_its_stored_form() -> None:
    assert (
        TimeWindow.from_data({"id": "a", "name": "A", "start": "07:00", "end": "08:00"}).to_data()[
            "start"
        ]
        == "07:00:00"
    )


def test_a_window_without_times_is_refused() -> None:
    """HA's time selector sends a time; an API client might not."""
    window, errors, _ = validate_window_input({**MORNING, "start": None}, [], None)
    assert window is None
    assert errors == {"start": "window_times_required"}


async def test_the_account_unloaded_while_the_menu_was_open(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The account went away between two clicks: say so instead of a form that cannot save."""
    menu = await loaded_entry.start_subentry_reconfigure_flow(
        hass, subentry_id(loaded_entry, "Bathroom")
    )
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    result = await step(hass, menu, {"next_step_id": "windows"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    windows = await open_windows(hass, loaded_entry)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    result = await step(hass, windows, {"next_step_id": "add_window"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_an_every_day_window_is_listed_so(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await add(hass, loaded_entry, {**MORNING, "days": list(ALL_DAYS)})
    result = await open_windows(hass, loaded_entry)
    assert result["description_placeholders"] == {
        "windows": "- Morning news · 07:00-09:00 · every day"
    }


async def test_quiet_hours_overlapping_a_window_are_refused_in_the_room_form(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await add(hass, loaded_entry, MORNING)
    result = await start_reconfigure(hass, loaded_entry, subentry_id(loaded_entry, "Bathroom"))
    user_input = {**suggested(result), **QUIET, "quiet_start": "06:00:00", "quiet_end": "08:00:00"}
    result = await submit(hass, result, user_input)
    assert errors_of(result) == {"quiet_start": "quiet_overlaps_window"}
    assert result["description_placeholders"]["window"] == "Morning news"
    result = await submit(hass, result, {**user_input, "quiet_end": "07:00:00"})
    assert result["type"] is FlowResultType.ABORT
    assert [w["name"] for w in windows_of(loaded_entry)] == ["Morning news", "Quiet hours"]
    # The room form shows the quiet window as its Quiet hours fields.
    result = await start_reconfigure(hass, loaded_entry, subentry_id(loaded_entry, "Bathroom"))
    shown = suggested(result)
    assert (shown["quiet_hours_enabled"], shown["quiet_start"], shown["quiet_end"]) == (
        True,
        "06:00:00",
        "07:00:00",
    )
