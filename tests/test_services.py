"""The actions: what each does to a room, how rooms are targeted, and bad input."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import area_registry as ar, device_registry as dr, entity_registry as er
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
import voluptuous as vol

from custom_components.spottypottysense.const import DOMAIN
from custom_components.spottypottysense.speaker_spotify import SpotifyConnectSpeaker
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, USER_ID, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import starts_at

KITCHEN_MOTION = "binary_sensor.kitchen_motion"
KITCHEN_SPEAKER = "kitchen-speaker"
STATUS = "sensor.bathroom_status"
KITCHEN_STATUS = "sensor.kitchen_status"

# Two rooms on one account, each on its own motion entity and speaker. They never check whether
# the account already plays, so one room's music does not turn the other's into an observer.
TWO_ROOMS = [
    {"title": "Bathroom", "data": room_data(only_when_idle=False)},
    {
        "title": "Kitchen",
        "data": room_data(
            motion_entities=[KITCHEN_MOTION],
            spotify_device_id=KITCHEN_SPEAKER,
            spotify_device_name="Kitchen speaker",
            only_when_idle=False,
        ),
    },
]
two_rooms = pytest.mark.parametrize("rooms", [TWO_ROOMS])
QUIET_NIGHTS = [
    {
        "title": "Bathroom",
        "data": room_data(
            quiet_hours_enabled=True,
            quiet_start="22:00:00",
            quiet_end="07:00:00",
            quiet_mode="block",
        ),
    }
]
TARGET_KINDS = ["device", "entity", "area"]


@pytest.fixture
def kitchen(hass: HomeAssistant, speaker: FakeSpotify) -> FakeSpotify:
    """The kitchen's speaker on the fake account, and its motion entity (off)."""
    speaker.add_device(KITCHEN_SPEAKER, "Kitchen speaker")
    hass.states.async_set(KITCHEN_MOTION, "off", {"device_class": "motion"})
    return speaker


@pytest.fixture
def events(hass: HomeAssistant) -> dict[str, list[Any]]:
    """The bus events an automation would see."""
    return {
        kind: async_capture_events(hass, f"{DOMAIN}_{kind}")
        for kind in ("session_started", "session_ended", "playback_failed")
    }


# --- helpers ------------------------------------------------------------------------------------


def room(hass: HomeAssistant, entry: MockConfigEntry, title: str) -> dr.DeviceEntry:
    """The HA device of the room called `title`."""
    subentry_id = next(s.subentry_id for s in entry.subentries.values() if s.title == title)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, subentry_id), entry.entry_id
    )
    assert device is not None
    return device


def target(hass: HomeAssistant, entry: MockConfigEntry, kind: str, *titles: str) -> dict[str, Any]:
    """Target the rooms called `titles` by their device, one of their entities, or their area."""
    devices = [room(hass, entry, title) for title in titles]
    if kind == "device":
        return {"device_id": [device.id for device in devices]}
    if kind == "entity":
        registry = er.async_get(hass)
        return {
            "entity_id": [
                entity.entity_id
                for device in devices
                for entity in er.async_entries_for_device(registry, device.id)
                if entity.domain == "button"
            ]
        }
    area = ar.async_get(hass).async_get_or_create("Upstairs")
    for device in devices:
        dr.async_get(hass).async_update_device(device.id, area_id=area.id)
    return {"area_id": area.id}


async def call(
    hass: HomeAssistant, service: str, target: dict[str, Any] | None = None, **data: Any
) -> ServiceResponse:
    """Call one of the integration's actions and wait for what it set off."""
    response = await hass.services.async_call(
        DOMAIN,
        service,
        data,
        target=target,
        blocking=True,
        return_response=service == "get_sessions",
    )
    await hass.async_block_till_done()
    return response


async def set_state(hass: HomeAssistant, entity_id: str, state: str) -> None:
    hass.states.async_set(entity_id, state, {"device_class": "motion"})
    await hass.async_block_till_done()


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def plays(fake: FakeSpotify) -> list[str]:
    """The speakers play requests went to, in order."""
    return [request.query["device_id"] for request in fake.requests_to("PUT", "/me/player/play")]


def pauses(fake: FakeSpotify) -> list[str]:
    return [request.query["device_id"] for request in fake.requests_to("PUT", "/me/player/pause")]


def status(hass: HomeAssistant, entity_id: str = STATUS) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=dt_util.get_default_time_zone())


# --- trigger_motion -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TARGET_KINDS)
async def test_trigger_motion_starts_a_session_once(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
    kind: str,
) -> None:
    aim = target(hass, loaded_entry, kind, "Bathroom")
    await call(hass, "trigger_motion", aim)

    assert plays(speaker) == [SPEAKER_ID]
    assert speaker.requests_to("PUT", "/me/player/play")[0].json == {"context_uri": PLAYLIST}
    assert status(hass) == "playing"
    (started,) = events["session_started"]
    assert started.data["device_id"] == room(hass, loaded_entry, "Bathroom").id

    # A second pulse keeps the session alive and costs no Spotify request.
    mark = len(speaker.requests)
    await call(hass, "trigger_motion", aim)
    assert speaker.requests[mark:] == []
    assert len(events["session_started"]) == 1


async def test_a_triggered_session_times_out_after_the_last_pulse(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    aim = target(hass, loaded_entry, "device", "Bathroom")
    await call(hass, "trigger_motion", aim)
    await advance(hass, freezer, timedelta(minutes=4))
    await call(hass, "trigger_motion", aim)
    await advance(hass, freezer, timedelta(minutes=4))
    assert status(hass) == "playing"
    await advance(hass, freezer, timedelta(minutes=1))

    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "timeout"
    assert ended.data["motion_count"] == 2
    assert ended.data["duration"] == 9 * 60
    assert pauses(speaker) == [SPEAKER_ID]
    assert status(hass) == "cooldown"


@two_rooms
@pytest.mark.parametrize("kind", TARGET_KINDS)
async def test_trigger_motion_in_two_rooms(
    hass: HomeAssistant,
    kitchen: FakeSpotify,
    loaded_entry: MockConfigEntry,
    events: dict[str, list[Any]],
    kind: str,
) -> None:
    aim = target(hass, loaded_entry, kind, "Bathroom", "Kitchen")
    await call(hass, "trigger_motion", aim)

    assert sorted(plays(kitchen)) == [SPEAKER_ID, KITCHEN_SPEAKER]
    assert sorted(event.data["sensor"] for event in events["session_started"]) == [
        "Bathroom",
        "Kitchen",
    ]
    assert status(hass) == status(hass, KITCHEN_STATUS) == "playing"
    mark = len(kitchen.requests)
    await call(hass, "trigger_motion", aim)
    assert kitchen.requests[mark:] == []


@two_rooms
async def test_an_action_leaves_rooms_it_does_not_target_alone(
    hass: HomeAssistant, kitchen: FakeSpotify, loaded_entry: MockConfigEntry
) -> None:
    await call(hass, "trigger_motion", target(hass, loaded_entry, "device", "Kitchen"))
    assert plays(kitchen) == [KITCHEN_SPEAKER]
    assert status(hass) == "idle"
    assert status(hass, KITCHEN_STATUS) == "playing"


async def test_trigger_motion_follows_the_rules(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unlike start_session, a motion pulse respects cooldown and the room's switch."""
    aim = target(hass, loaded_entry, "device", "Bathroom")
    await call(hass, "trigger_motion", aim)
    await call(hass, "stop_session", aim)
    assert status(hass) == "cooldown"
    await call(hass, "trigger_motion", aim)
    assert plays(speaker) == [SPEAKER_ID]

    await advance(hass, freezer, timedelta(minutes=2))
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.bathroom_enabled"}, blocking=True
    )
    await call(hass, "trigger_motion", aim)
    assert plays(speaker) == [SPEAKER_ID]
    assert status(hass) == "disabled"


# --- start_session ------------------------------------------------------------------------------


@pytest.mark.parametrize("rooms", [QUIET_NIGHTS])
@pytest.mark.parametrize("kind", TARGET_KINDS)
@starts_at(2026, 11, 25, 3, 0)
async def test_start_session_ignores_quiet_hours(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
    kind: str,
) -> None:
    assert status(hass) == "quiet_hours"
    aim = target(hass, loaded_entry, kind, "Bathroom")
    await call(hass, "trigger_motion", aim)
    assert plays(speaker) == []

    await call(hass, "start_session", aim)
    assert plays(speaker) == [SPEAKER_ID]
    assert status(hass) == "playing"


async def test_start_session_ignores_cooldown_and_snooze(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    aim = target(hass, loaded_entry, "device", "Bathroom")
    await call(hass, "start_session", aim)
    await call(hass, "stop_session", aim)
    assert status(hass) == "cooldown"
    await call(hass, "start_session", aim)
    assert plays(speaker) == [SPEAKER_ID, SPEAKER_ID]
    await call(hass, "stop_session", aim)

    await call(hass, "snooze", aim, duration={"hours": 1})
    await call(hass, "start_session", aim)
    assert plays(speaker) == [SPEAKER_ID] * 3


async def test_start_session_during_a_session_changes_nothing(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    aim = target(hass, loaded_entry, "device", "Bathroom")
    await call(hass, "start_session", aim)
    mark = len(speaker.requests)
    await call(hass, "start_session", aim)
    assert speaker.requests[mark:] == [], [(r.method, r.path, r.status) for r in speaker.requests]


@two_rooms
@pytest.mark.parametrize("kind", TARGET_KINDS)
async def test_start_session_in_two_rooms(
    hass: HomeAssistant, kitchen: FakeSpotify, loaded_entry: MockConfigEntry, kind: str
) -> None:
    await call(hass, "start_session", target(hass, loaded_entry, kind, "Bathroom", "Kitchen"))
    assert sorted(plays(kitchen)) == [SPEAKER_ID, KITCHEN_SPEAKER]


@two_rooms
async def test_start_session_on_a_switched_off_room_is_refused(
    hass: HomeAssistant, kitchen: FakeSpotify, loaded_entry: MockConfigEntry
) -> None:
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.kitchen_enabled"}, blocking=True
    )
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, "start_session", target(hass, loaded_entry, "device", "Bathroom", "Kitchen")
        )
    assert err.value.translation_key == "room_disabled"
    assert err.value.translation_placeholders == {"rooms": "Kitchen"}
    assert str(err.value) == "Switch on these rooms first: Kitchen"
    # Nothing started, not even in the room that was on.
    assert plays(kitchen) == []


# --- stop_session -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TARGET_KINDS)
async def test_stop_session_pauses_what_it_started(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
    kind: str,
) -> None:
    aim = target(hass, loaded_entry, kind, "Bathroom")
    await set_state(hass, MOTION, "on")
    mark = len(speaker.requests)
    await call(hass, "stop_session", aim)

    calls = [(request.method, request.path) for request in speaker.requests[mark:]]
    assert calls == [("GET", "/me/player"), ("PUT", "/me/player/pause")]
    assert speaker.playback is not None
    assert not speaker.playback.is_playing
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "manual"
    assert ended.data["owned"] is True
    assert status(hass) == "cooldown"


@pytest.mark.parametrize(
    "take_over",
    [
        pytest.param(lambda fake: fake.user_pause(), id="paused"),
        pytest.param(lambda fake: fake.user_play("spotify:album:other"), id="other-music"),
        pytest.param(lambda fake: fake.user_transfer("phone"), id="other-device"),
    ],
)
async def test_stop_session_leaves_music_the_user_took_over(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
    take_over: Any,
) -> None:
    aim = target(hass, loaded_entry, "device", "Bathroom")
    await call(hass, "trigger_motion", aim)
    take_over(speaker)
    await call(hass, "stop_session", aim)
    assert pauses(speaker) == []
    assert events["session_ended"][0].data["reason"] == "released"


async def test_stop_session_never_pauses_music_it_only_observed(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    speaker.user_play(PLAYLIST, SPEAKER_ID)
    aim = target(hass, loaded_entry, "device", "Bathroom")
    await call(hass, "trigger_motion", aim)
    assert status(hass) == "observing"
    mark = len(speaker.requests)
    await call(hass, "stop_session", aim)
    assert speaker.requests[mark:] == []
    assert events["session_ended"][0].data["owned"] is False
    assert speaker.playback is not None
    assert speaker.playback.is_playing


async def test_stop_session_without_a_session_does_nothing(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    mark = len(speaker.requests)
    await call(hass, "stop_session", target(hass, loaded_entry, "device", "Bathroom"))
    assert speaker.requests[mark:] == []
    assert events["session_ended"] == []
    assert status(hass) == "idle"


@two_rooms
@pytest.mark.parametrize("kind", TARGET_KINDS)
async def test_stop_session_in_two_rooms(
    hass: HomeAssistant,
    kitchen: FakeSpotify,
    loaded_entry: MockConfigEntry,
    events: dict[str, list[Any]],
    kind: str,
) -> None:
    # Play in the kitchen last, so the kitchen speaker is what the account plays on.
    await call(hass, "start_session", target(hass, loaded_entry, "device", "Bathroom"))
    await call(hass, "start_session", target(hass, loaded_entry, "device", "Kitchen"))
    await call(hass, "stop_session", target(hass, loaded_entry, kind, "Bathroom", "Kitchen"))
    assert sorted(event.data["sensor"] for event in events["session_ended"]) == [
        "Bathroom",
        "Kitchen",
    ]
    assert status(hass) == status(hass, KITCHEN_STATUS) == "cooldown"
    # Only the kitchen still played what it started; the bathroom's music had moved on.
    assert pauses(kitchen) == [KITCHEN_SPEAKER]
    reasons = {event.data["sensor"]: event.data["reason"] for event in events["session_ended"]}
    assert reasons == {"Bathroom": "released", "Kitchen": "manual"}


async def test_stop_session_while_the_start_is_in_flight(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    """Stopped before Spotify answered: the music that then starts is paused, announced once."""
    gate = asyncio.Event()
    real_start = SpotifyConnectSpeaker.async_start

    async def held_start(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await real_start(*args, **kwargs)

    aim = target(hass, loaded_entry, "device", "Bathroom")
    with patch.object(SpotifyConnectSpeaker, "async_start", held_start):
        hass.states.async_set(MOTION, "on", {"device_class": "motion"})
        await hass.services.async_call(DOMAIN, "stop_session", target=aim, blocking=True)
        gate.set()
        await hass.async_block_till_done()

    assert plays(speaker) == [SPEAKER_ID]
    assert pauses(speaker) == [SPEAKER_ID]
    assert speaker.playback is not None
    assert not speaker.playback.is_playing
    assert events["session_started"] == []
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "manual"
    response = await call(hass, "get_sessions", aim)
    assert response is not None
    assert len(response["sessions"]) == 1
    assert status(hass) == "cooldown"


# --- snooze -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TARGET_KINDS)
async def test_snooze_blocks_motion_until_it_expires(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
    kind: str,
) -> None:
    await call(hass, "snooze", target(hass, loaded_entry, kind, "Bathroom"), duration="00:30:00")
    assert status(hass) == "snoozed"
    await set_state(hass, MOTION, "on")
    await set_state(hass, MOTION, "off")
    assert plays(speaker) == []
    assert hass.states.get(STATUS).attributes["last_skip_reason"] == "snoozed"

    await advance(hass, freezer, timedelta(minutes=29))
    assert status(hass) == "snoozed"
    await advance(hass, freezer, timedelta(minutes=1))
    assert status(hass) == "idle"
    await set_state(hass, MOTION, "on")
    assert plays(speaker) == [SPEAKER_ID]


async def test_snooze_zero_cancels_it(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    aim = target(hass, loaded_entry, "device", "Bathroom")
    await call(hass, "snooze", aim, duration={"hours": 8})
    assert status(hass) == "snoozed"
    await call(hass, "snooze", aim, duration=0)
    assert status(hass) == "idle"
    await set_state(hass, MOTION, "on")
    assert plays(speaker) == [SPEAKER_ID]


async def test_snooze_lets_the_running_session_play_on(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    await set_state(hass, MOTION, "on")
    await call(hass, "snooze", target(hass, loaded_entry, "device", "Bathroom"), duration=3600)
    assert status(hass) == "playing"
    assert pauses(speaker) == []
    await set_state(hass, MOTION, "off")
    await advance(hass, freezer, timedelta(minutes=5))
    assert events["session_ended"][0].data["reason"] == "timeout"
    assert status(hass) == "snoozed"


async def test_snooze_survives_a_restart(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    await call(
        hass, "snooze", target(hass, loaded_entry, "device", "Bathroom"), duration={"days": 1}
    )
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert status(hass) == "snoozed"
    await set_state(hass, MOTION, "on")
    assert plays(speaker) == []


@two_rooms
@pytest.mark.parametrize("kind", TARGET_KINDS)
async def test_snooze_two_rooms(
    hass: HomeAssistant, kitchen: FakeSpotify, loaded_entry: MockConfigEntry, kind: str
) -> None:
    aim = target(hass, loaded_entry, kind, "Bathroom", "Kitchen")
    await call(hass, "snooze", aim, duration={"minutes": 10})
    assert status(hass) == status(hass, KITCHEN_STATUS) == "snoozed"
    await set_state(hass, MOTION, "on")
    await set_state(hass, KITCHEN_MOTION, "on")
    assert plays(kitchen) == []


@pytest.mark.parametrize(
    "duration",
    [
        pytest.param("-00:01:00", id="negative"),
        pytest.param({"days": 7, "seconds": 1}, id="over-a-week"),
        pytest.param("soon", id="not-a-duration"),
        # Too long for Python's timedelta: HA's validator overflows (found by tests/test_fuzz.py).
        pytest.param({"days": 10**10}, id="overflows"),
        pytest.param(-(10**14), id="overflows-in-seconds"),
    ],
)
async def test_snooze_duration_is_validated(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, duration: Any
) -> None:
    with pytest.raises(vol.Invalid):
        await call(
            hass, "snooze", target(hass, loaded_entry, "device", "Bathroom"), duration=duration
        )
    assert status(hass) == "idle"


@pytest.mark.parametrize("service", ["trigger_motion", "start_session", "stop_session"])
async def test_a_target_that_is_not_a_list_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify, service: str
) -> None:
    """`entity_id: false` crashes HA's target validator; the caller gets "invalid data"."""
    with pytest.raises(vol.Invalid):
        await call(hass, service, {"entity_id": False})
    assert plays(speaker) == []
    assert status(hass) == "idle"


async def test_snooze_for_a_whole_week_is_allowed(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await call(
        hass, "snooze", target(hass, loaded_entry, "device", "Bathroom"), duration={"days": 7}
    )
    await advance(hass, freezer, timedelta(days=7) - timedelta(seconds=1))
    assert status(hass) == "snoozed"
    await advance(hass, freezer, timedelta(seconds=1))
    assert status(hass) == "idle"


# --- get_sessions -------------------------------------------------------------------------------


async def _three_sessions(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Bathroom 08:00-08:05 (timeout), kitchen 12:00-12:02 (stopped), bathroom 18:00-18:03."""
    bathroom = target(hass, entry, "device", "Bathroom")
    kitchen = target(hass, entry, "device", "Kitchen")
    freezer.move_to(local(2026, 11, 24, 8, 0))
    await call(hass, "trigger_motion", bathroom)
    await advance(hass, freezer, timedelta(minutes=5))
    freezer.move_to(local(2026, 11, 24, 12, 0))
    await call(hass, "trigger_motion", kitchen)
    await call(hass, "trigger_motion", kitchen)
    await advance(hass, freezer, timedelta(minutes=2))
    await call(hass, "stop_session", kitchen)
    freezer.move_to(local(2026, 11, 24, 18, 0))
    await call(hass, "start_session", bathroom)
    await advance(hass, freezer, timedelta(minutes=3))
    await call(hass, "stop_session", bathroom)


@two_rooms
@starts_at(2026, 11, 24, 7, 0)
async def test_get_sessions_returns_the_stored_sessions(
    hass: HomeAssistant,
    kitchen: FakeSpotify,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    await _three_sessions(hass, loaded_entry, freezer)
    response = await call(hass, "get_sessions")
    assert response is not None
    sessions = response["sessions"]
    assert isinstance(sessions, list)
    bathroom = room(hass, loaded_entry, "Bathroom").id
    kitchen_id = room(hass, loaded_entry, "Kitchen").id
    utc = dt_util.UTC
    assert sessions == [
        {
            "device_id": bathroom,
            "room": "Bathroom",
            "sensor": "Bathroom",
            "session_id": events["session_ended"][0].data["session_id"],
            "started": local(2026, 11, 24, 8, 0).astimezone(utc).isoformat(),
            "ended": local(2026, 11, 24, 8, 5).astimezone(utc).isoformat(),
            "duration": 300,
            "motion_count": 1,
            "owned": True,
            "reason": "timeout",
            "spotify_device_id": SPEAKER_ID,
            "context_uri": PLAYLIST,
        },
        {
            "device_id": kitchen_id,
            "room": "Kitchen",
            "sensor": "Kitchen",
            "session_id": events["session_ended"][1].data["session_id"],
            "started": local(2026, 11, 24, 12, 0).astimezone(utc).isoformat(),
            "ended": local(2026, 11, 24, 12, 2).astimezone(utc).isoformat(),
            "duration": 120,
            "motion_count": 2,
            "owned": True,
            "reason": "manual",
            "spotify_device_id": KITCHEN_SPEAKER,
            "context_uri": PLAYLIST,
        },
        {
            "device_id": bathroom,
            "room": "Bathroom",
            "sensor": "Bathroom",
            "session_id": events["session_ended"][2].data["session_id"],
            "started": local(2026, 11, 24, 18, 0).astimezone(utc).isoformat(),
            "ended": local(2026, 11, 24, 18, 3).astimezone(utc).isoformat(),
            "duration": 180,
            "motion_count": 0,
            "owned": True,
            "reason": "manual",
            "spotify_device_id": SPEAKER_ID,
            "context_uri": PLAYLIST,
        },
    ]
    # The session ids are those the session_ended events announced.
    assert [event.data["sensor"] for event in events["session_ended"]] == [
        "Bathroom",
        "Kitchen",
        "Bathroom",
    ]


def _started(response: ServiceResponse) -> list[str]:
    assert response is not None
    sessions = response["sessions"]
    assert isinstance(sessions, list)
    return [
        dt_util.as_local(datetime.fromisoformat(item["started"])).strftime("%H:%M")
        for item in sessions
    ]


@two_rooms
@pytest.mark.parametrize(
    ("kind", "titles", "expected"),
    [
        ("device", ("Bathroom",), ["08:00", "18:00"]),
        ("device", ("Kitchen",), ["12:00"]),
        ("device", ("Bathroom", "Kitchen"), ["08:00", "12:00", "18:00"]),
        ("entity", ("Kitchen",), ["12:00"]),
        ("area", ("Bathroom",), ["08:00", "18:00"]),
    ],
)
@starts_at(2026, 11, 24, 7, 0)
async def test_get_sessions_of_some_rooms(
    hass: HomeAssistant,
    kitchen: FakeSpotify,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    kind: str,
    titles: tuple[str, ...],
    expected: list[str],
) -> None:
    await _three_sessions(hass, loaded_entry, freezer)
    response = await call(hass, "get_sessions", target(hass, loaded_entry, kind, *titles))
    assert _started(response) == expected


@two_rooms
@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ({"start": "2026-11-24 11:00:00"}, ["12:00", "18:00"]),
        ({"end": "2026-11-24 13:00:00"}, ["08:00", "12:00"]),
        ({"start": "2026-11-24 11:00:00", "end": "2026-11-24 13:00:00"}, ["12:00"]),
        # Bounds are inclusive: a session that ended exactly at the start is in.
        ({"start": "2026-11-24 08:05:00", "end": "2026-11-24 08:05:00"}, ["08:00"]),
        ({"start": "2026-11-24 08:06:00", "end": "2026-11-24 11:59:00"}, []),
        # With a time zone, in another one than HA's.
        ({"start": "2026-11-24T17:02:00+00:00"}, ["18:00"]),
    ],
)
@starts_at(2026, 11, 24, 7, 0)
async def test_get_sessions_in_a_time_window(
    hass: HomeAssistant,
    kitchen: FakeSpotify,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    window: dict[str, str],
    expected: list[str],
) -> None:
    await hass.config.async_set_time_zone("Europe/Berlin")
    await _three_sessions(hass, loaded_entry, freezer)
    assert _started(await call(hass, "get_sessions", **window)) == expected


async def test_get_sessions_without_any_session(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    assert await call(hass, "get_sessions") == {"sessions": []}
    aim = target(hass, loaded_entry, "device", "Bathroom")
    assert await call(hass, "get_sessions", aim) == {"sessions": []}


async def test_get_sessions_end_before_start_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "get_sessions", start="2026-11-24 12:00:00", end="2026-11-24 11:00:00")
    assert err.value.translation_key == "invalid_time_range"
    assert str(err.value) == "The end must not be before the start"


async def test_get_sessions_needs_a_response(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(DOMAIN, "get_sessions", {}, blocking=True)


# --- bad targets --------------------------------------------------------------------------------


ACTIONS = [
    ("trigger_motion", {}),
    ("start_session", {}),
    ("stop_session", {}),
    ("snooze", {"duration": "00:10:00"}),
]


@pytest.mark.parametrize(("service", "data"), ACTIONS)
async def test_an_action_needs_a_target(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, service: str, data: dict[str, Any]
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, None, **data)
    assert err.value.translation_key == "no_room_targeted"
    assert str(err.value) == "No SpottyPottySense room matches the target (nothing)"


@pytest.mark.parametrize(("service", "data"), [*ACTIONS, ("get_sessions", {})])
@pytest.mark.parametrize(
    "aim", ["account", "other-integration", "other-subentry", "unknown-device", "entity"]
)
async def test_targets_that_are_no_room_are_refused(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    service: str,
    data: dict[str, Any],
    aim: str,
) -> None:
    devices = dr.async_get(hass)
    if aim == "account":
        account = devices.async_get_device_by_identifier((DOMAIN, USER_ID), loaded_entry.entry_id)
        assert account is not None
        # The rooms hang off the account device; targeting it must not mean "every room".
        aim_target: dict[str, Any] = {"device_id": account.id}
    elif aim == "other-integration":
        other = MockConfigEntry(domain="zha")
        other.add_to_hass(hass)
        sensor = devices.async_get_or_create(
            config_entry_id=other.entry_id, identifiers={("zha", "motion")}, name="Bathroom PIR"
        )
        aim_target = {"device_id": sensor.id}
    elif aim == "other-subentry":
        # A device of another integration's subentry looks like a room but is none of ours.
        other = MockConfigEntry(
            domain="mqtt",
            subentries_data=[
                {"data": {}, "subentry_type": "device", "title": "Hall", "unique_id": None}
            ],
        )
        other.add_to_hass(hass)
        (subentry,) = other.subentries.values()
        hall = devices.async_get_or_create(
            config_entry_id=other.entry_id,
            config_subentry_id=subentry.subentry_id,
            identifiers={("mqtt", "hall")},
            name="Hall",
        )
        aim_target = {"device_id": hall.id}
    elif aim == "unknown-device":
        aim_target = {"device_id": "0123456789abcdef"}
    else:
        aim_target = {"entity_id": MOTION}
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, aim_target, **data)
    assert err.value.translation_key == "no_room_targeted"
    assert speaker.requests_to("PUT", "/me/player/play") == []
    assert status(hass) == "idle"


async def test_a_room_together_with_another_device_is_fine(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    account = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, USER_ID), loaded_entry.entry_id
    )
    assert account is not None
    bathroom = room(hass, loaded_entry, "Bathroom")
    await call(hass, "trigger_motion", {"device_id": [account.id, bathroom.id]})
    assert plays(speaker) == [SPEAKER_ID]


@pytest.mark.parametrize(("service", "data"), [*ACTIONS, ("get_sessions", {})])
async def test_a_room_of_an_unloaded_account_is_refused(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    service: str,
    data: dict[str, Any],
) -> None:
    aim = target(hass, loaded_entry, "device", "Bathroom")
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, aim, **data)
    assert err.value.translation_key == "entry_not_loaded"
    assert err.value.translation_placeholders == {"account": "Fake User"}
    assert str(err.value) == "The Spotify account Fake User is not loaded"


async def test_get_sessions_of_all_rooms_skips_unloaded_accounts(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert await call(hass, "get_sessions") == {"sessions": []}


# --- descriptions -------------------------------------------------------------------------------


async def test_actions_are_described_and_translated(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    services = {"trigger_motion", "start_session", "stop_session", "snooze", "get_sessions"}
    assert set(descriptions) == services
    for description in descriptions.values():
        assert description["target"] == {"device": [{"integration": DOMAIN, "model": "Room"}]}
    assert descriptions["snooze"]["fields"]["duration"]["required"] is True
    assert descriptions["snooze"]["fields"]["duration"]["selector"] == {
        "duration": {"enable_second": True}
    }
    assert set(descriptions["get_sessions"]["fields"]) == {"start", "end"}
    assert descriptions["get_sessions"]["response"] == {"optional": False}

    strings = await async_get_translations(hass, "en", "services", [DOMAIN])
    prefix = f"component.{DOMAIN}.services"
    for service in services:
        assert strings[f"{prefix}.{service}.name"]
        assert strings[f"{prefix}.{service}.description"]
    assert strings[f"{prefix}.snooze.fields.duration.name"] == "Duration"
    assert strings[f"{prefix}.get_sessions.fields.start.name"] == "Start"
    assert strings[f"{prefix}.get_sessions.fields.end.name"] == "End"
