"""Names instead of URIs: what a room plays, by name, in the form, on the device page, in the
calendar."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.fake_spotify import FakeSpotify
from tests.test_room_flow import (  # noqa: F401 - door and speaker are fixtures
    EVENING_ID,
    door,
    field_options,
    form_input,
    rooms_of,
    speaker,
    start_add,
    start_reconfigure,
    submit,
    suggested,
)

TOP_HITS = "spotify:playlist:37i9dQZF1DX0XUsuxWHRQd"


def _room(entry: MockConfigEntry, title: str = "Kitchen") -> dict[str, object]:
    return dict(next(sub for sub in rooms_of(entry) if sub.title == title).data)


async def test_a_playlist_picked_from_the_list_keeps_its_name(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await start_add(hass, loaded_entry)
    await submit(hass, result, form_input(source=f"spotify:playlist:{EVENING_ID}"))
    assert _room(loaded_entry)["source_name"] == "Evening"


async def test_a_pasted_playlist_is_named_by_spotify_on_save(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.names[TOP_HITS] = "Today's Top Hits"
    result = await start_add(hass, loaded_entry)
    result = await submit(hass, result, form_input(source=TOP_HITS))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert _room(loaded_entry)["source_name"] == "Today's Top Hits"


async def test_an_unreachable_name_still_saves_the_room(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.fail("GET", f"/playlists/{TOP_HITS.split(':')[2]}", 500, times=None)
    result = await start_add(hass, loaded_entry)
    result = await submit(hass, result, form_input(source=TOP_HITS))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert _room(loaded_entry)["source_name"] is None


async def test_reconfigure_lists_the_saved_source_by_its_name(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.names[TOP_HITS] = "Today's Top Hits"
    result = await start_add(hass, loaded_entry)
    await submit(hass, result, form_input(source=TOP_HITS))
    kitchen = next(sub for sub in rooms_of(loaded_entry) if sub.title == "Kitchen")
    result = await start_reconfigure(hass, loaded_entry, kitchen.subentry_id)
    assert suggested(result)["source"] == TOP_HITS
    assert field_options(result, "source")[0] == {
        "value": TOP_HITS,
        "label": "Today's Top Hits (playlist)",
    }


async def test_the_device_page_and_the_calendar_name_what_plays(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    speaker.names[TOP_HITS] = "Today's Top Hits"
    result = await start_add(hass, loaded_entry)
    await submit(
        hass,
        result,
        form_input(
            source=TOP_HITS,
            only_when_idle=False,
            quiet_hours_enabled=False,
            min_presence_seconds=0.0,
        ),
    )
    await hass.async_block_till_done()
    state = hass.states.get("sensor.kitchen_what_plays")
    assert state is not None
    assert state.state == "Today's Top Hits (playlist)"
    hass.states.async_set("binary_sensor.bathroom_door", "on", {"device_class": "door"})
    await hass.async_block_till_done()
    assert hass.states.get("sensor.kitchen_status").state == "playing"  # type: ignore[union-attr]
    calendar = hass.states.get("calendar.fake_user_sessions")
    assert calendar is not None
    assert calendar.attributes["message"] == "Kitchen · Today's Top Hits"
