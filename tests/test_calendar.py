"""The Sessions calendar: when music played in which room, in HA's Calendar panel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spottypottysense.records import EndReason, SessionRecord
from custom_components.spottypottysense.session_calendar import ended_event, source_label
from tests.conftest import MOTION, PLAYLIST
from tests.helpers import advance, set_motion, starts_at

CALENDAR = "calendar.fake_user_sessions"


async def _events(hass: HomeAssistant, start: datetime, end: datetime) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": CALENDAR, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    events: list[dict[str, Any]] = response[CALENDAR]["events"]  # type: ignore[index,assignment]
    return events


@starts_at(2026, 11, 24, 8, 0)
async def test_a_finished_session_is_an_event_with_its_room_and_reason(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    started = dt_util.now()
    await set_motion(hass, MOTION, "on")
    state = hass.states.get(CALENDAR)
    assert state is not None
    assert state.state == "on"  # a session is under way
    assert state.attributes["message"] == "Bathroom · Spotify playlist"

    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, timedelta(minutes=5))
    state = hass.states.get(CALENDAR)
    assert state is not None
    assert state.state == "off"

    (event,) = await _events(hass, started - timedelta(hours=1), started + timedelta(hours=1))
    assert event["summary"] == "Bathroom · Spotify playlist"
    assert dt_util.parse_datetime(event["start"]) == started
    assert dt_util.parse_datetime(event["end"]) == started + timedelta(minutes=5)
    assert "nobody was there any more" in event["description"]
    assert PLAYLIST in event["description"]


@starts_at(2026, 11, 24, 8, 0)
async def test_only_the_asked_range_is_returned(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, timedelta(minutes=5))
    later = dt_util.now() + timedelta(hours=2)
    assert await _events(hass, later, later + timedelta(hours=1)) == []


def test_what_played_in_words() -> None:
    assert source_label("spotify:album:4aawyAB9vmqN3uQ7FjRGTy") == "Spotify album"
    assert source_label("spotify:user:me:collection") == "liked songs"
    assert source_label(None) == "music"
    assert source_label("nonsense") == "music"


def test_an_observed_or_moved_session_says_so() -> None:
    start = datetime(2026, 11, 24, 8, 0, tzinfo=dt_util.UTC)
    moved = SessionRecord(
        "s1",
        start,
        start + timedelta(minutes=3),
        1,
        owned=True,
        reason=EndReason.MOVED,
        moved_to="Kitchen",
    )
    assert "moved to Kitchen" in ended_event("Bathroom", moved).description
    observed = SessionRecord("s2", start, start, 1, owned=False, reason=EndReason.TIMEOUT)
    event = ended_event("Bathroom", observed)
    assert "only watched" in event.description
    assert event.end > event.start  # a calendar event needs some length
