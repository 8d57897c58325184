"""The session rules through Home Assistant, with the clock fixture and the fake Spotify server."""

from __future__ import annotations

from datetime import datetime, timedelta
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, room_data, token_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance as _advance, set_motion as _set, starts_at

STATUS = "sensor.bathroom_status"
KITCHEN_MOTION = "binary_sensor.kitchen_motion"
DOOR = "binary_sensor.bathroom_door"


def _status(hass: HomeAssistant) -> str:
    state = hass.states.get(STATUS)
    assert state is not None
    return state.state


def _calls(fake: FakeSpotify) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request in fake.requests]


def _spotify_since(fake: FakeSpotify, mark: int) -> list[tuple[str, str]]:
    return _calls(fake)[mark:]


async def test_entry_starts_playback_within_the_request_budget(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify, events: dict
) -> None:
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")

    assert _spotify_since(speaker, mark) == [
        ("GET", "/me/player"),
        ("PUT", "/me/player/play"),
        ("PUT", "/me/player/shuffle"),
    ]
    play = speaker.requests_to("PUT", "/me/player/play")[0]
    assert play.query["device_id"] == SPEAKER_ID
    assert play.json == {"context_uri": PLAYLIST}
    assert speaker.playback is not None
    assert speaker.playback.is_playing
    assert speaker.playback.shuffle is True
    assert _status(hass) == "playing"
    (started,) = events["session_started"]
    assert started.data["owned"] is True
    assert started.data["sensor"] == "Bathroom"
    assert started.data["device_id"] is not None


@pytest.mark.parametrize("rooms", [[{"title": "Bathroom", "data": room_data(volume=35)}]])
async def test_volume_is_set_when_configured(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")
    calls = _spotify_since(speaker, mark)
    assert len(calls) == 4
    assert ("PUT", "/me/player/volume") in calls
    assert speaker.requests_to("PUT", "/me/player/volume")[0].query["volume_percent"] == "35"


async def test_repeated_motion_makes_no_spotify_call(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    await _set(hass, MOTION, "on")
    mark = len(speaker.requests)
    for _ in range(5):
        await _set(hass, MOTION, "off")
        await _set(hass, MOTION, "on")
    assert _spotify_since(speaker, mark) == []
    assert len(speaker.requests_to("PUT", "/me/player/play")) == 1


async def test_stops_timeout_after_the_last_motion_then_cools_down(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
    events: dict,
) -> None:
    await _set(hass, MOTION, "on")
    await _advance(hass, freezer, timedelta(minutes=20))  # present: never expires
    assert _status(hass) == "playing"
    await _set(hass, MOTION, "off")
    off_at = dt_util.utcnow()
    stops_at = hass.states.get(STATUS).attributes["stops_at"]
    assert stops_at == off_at + timedelta(minutes=5)

    mark = len(speaker.requests)
    await _advance(hass, freezer, timedelta(minutes=4, seconds=59))
    assert _status(hass) == "playing"
    assert _spotify_since(speaker, mark) == []

    await _advance(hass, freezer, timedelta(seconds=1))
    assert _spotify_since(speaker, mark) == [("GET", "/me/player"), ("PUT", "/me/player/pause")]
    assert not speaker.playback.is_playing
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "timeout"
    assert ended.data["owned"] is True
    assert ended.data["motion_count"] == 1
    assert ended.data["duration"] == 25 * 60
    assert _status(hass) == "cooldown"

    # Motion during the cooldown starts nothing; after it, it does.
    await _set(hass, MOTION, "on")
    await _set(hass, MOTION, "off")
    assert len(speaker.requests_to("PUT", "/me/player/play")) == 1
    await _advance(hass, freezer, timedelta(minutes=2))
    assert _status(hass) == "idle"
    await _set(hass, MOTION, "on")
    assert len(speaker.requests_to("PUT", "/me/player/play")) == 2


async def test_new_motion_cancels_the_deadline(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _set(hass, MOTION, "on")
    await _set(hass, MOTION, "off")
    await _advance(hass, freezer, timedelta(minutes=4))
    await _set(hass, MOTION, "on")
    await _advance(hass, freezer, timedelta(minutes=10))
    assert _status(hass) == "playing"
    assert hass.states.get(STATUS).attributes["stops_at"] is None  # someone is there
    assert speaker.requests_to("PUT", "/me/player/pause") == []


@pytest.mark.parametrize("previous", ["unavailable", "unknown"])
async def test_reconnecting_sensor_never_starts_a_session(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify, previous: str
) -> None:
    await _set(hass, MOTION, previous)
    await _set(hass, MOTION, "on")
    assert speaker.requests_to("PUT", "/me/player/play") == []
    assert _status(hass) == "idle"
    # The next real entry does start.
    await _set(hass, MOTION, "off")
    await _set(hass, MOTION, "on")
    assert len(speaker.requests_to("PUT", "/me/player/play")) == 1


async def test_unavailable_counts_as_no_presence(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _set(hass, MOTION, "on")
    await _set(hass, MOTION, "unavailable")
    await _advance(hass, freezer, timedelta(minutes=5))
    assert len(speaker.requests_to("PUT", "/me/player/pause")) == 1


@pytest.mark.parametrize(
    "rooms", [[{"title": "Bathroom", "data": room_data(motion_entities=[MOTION, DOOR])}]]
)
async def test_any_of_two_entities_keeps_the_room_occupied(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
    events: dict,
) -> None:
    await _set(hass, DOOR, "off")
    await _set(hass, MOTION, "on")
    await _set(hass, DOOR, "on")  # a second entity's edge: a motion, no Spotify call
    await _set(hass, MOTION, "off")
    await _advance(hass, freezer, timedelta(minutes=30))
    assert _status(hass) == "playing"
    await _set(hass, DOOR, "off")
    await _advance(hass, freezer, timedelta(minutes=5))
    assert len(speaker.requests_to("PUT", "/me/player/play")) == 1
    (ended,) = events["session_ended"]
    assert ended.data["motion_count"] == 2
    assert ended.data["reason"] == "timeout"


@pytest.mark.parametrize(
    "rooms", [[{"title": "Bathroom", "data": room_data(min_presence_seconds=20)}]]
)
async def test_walk_bys_do_not_start_music(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _set(hass, MOTION, "on")
    await _advance(hass, freezer, timedelta(seconds=10))
    await _set(hass, MOTION, "off")
    await _advance(hass, freezer, timedelta(seconds=30))
    assert speaker.requests_to("PUT", "/me/player/play") == []
    assert hass.states.get(STATUS).attributes["last_skip_reason"] == "waiting_for_presence"

    await _set(hass, MOTION, "on")
    await _advance(hass, freezer, timedelta(seconds=19))
    assert speaker.requests_to("PUT", "/me/player/play") == []
    await _advance(hass, freezer, timedelta(seconds=1))
    assert len(speaker.requests_to("PUT", "/me/player/play")) == 1


@pytest.mark.parametrize(
    "rooms", [[{"title": "Bathroom", "data": room_data(max_session_minutes=30)}]]
)
async def test_a_stuck_sensor_cannot_play_forever(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
    events: dict,
) -> None:
    await _set(hass, MOTION, "on")
    await _advance(hass, freezer, timedelta(minutes=29, seconds=59))
    assert _status(hass) == "playing"
    await _advance(hass, freezer, timedelta(seconds=1))
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "max_duration"
    assert len(speaker.requests_to("PUT", "/me/player/pause")) == 1
    # Still "on": no new session until a new entry after the cooldown.
    await _advance(hass, freezer, timedelta(hours=1))
    assert len(speaker.requests_to("PUT", "/me/player/play")) == 1


async def test_music_already_playing_is_observed_and_never_paused(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
    events: dict,
) -> None:
    speaker.user_play("spotify:album:4aawyAB9vmqN3uQ7FjRGTy", "phone")
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")
    assert _spotify_since(speaker, mark) == [("GET", "/me/player")]
    assert _status(hass) == "observing"
    assert events["session_started"][0].data["owned"] is False

    await _set(hass, MOTION, "off")
    await _advance(hass, freezer, timedelta(minutes=5))
    assert _spotify_since(speaker, mark) == [("GET", "/me/player")]
    assert speaker.playback.is_playing
    (ended,) = events["session_ended"]
    assert ended.data["owned"] is False
    assert ended.data["reason"] == "timeout"


@pytest.mark.parametrize(
    "rooms", [[{"title": "Bathroom", "data": room_data(only_when_idle=False)}]]
)
async def test_take_over_when_allowed(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.user_play("spotify:album:4aawyAB9vmqN3uQ7FjRGTy", "phone")
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")
    assert _spotify_since(speaker, mark) == [
        ("PUT", "/me/player/play"),
        ("PUT", "/me/player/shuffle"),
    ]
    assert speaker.playback.device_id == SPEAKER_ID
    assert _status(hass) == "playing"


@pytest.mark.parametrize(
    "user_action",
    [
        pytest.param(lambda fake: fake.user_pause(), id="paused"),
        pytest.param(lambda fake: fake.user_transfer("phone"), id="moved"),
        pytest.param(
            lambda fake: fake.user_play("spotify:album:4aawyAB9vmqN3uQ7FjRGTy", SPEAKER_ID),
            id="changed",
        ),
    ],
)
async def test_music_the_user_took_over_is_left_alone(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
    events: dict,
    user_action: Any,
) -> None:
    await _set(hass, MOTION, "on")
    await _set(hass, MOTION, "off")
    user_action(speaker)
    mark = len(speaker.requests)
    await _advance(hass, freezer, timedelta(minutes=5))
    assert _spotify_since(speaker, mark) == [("GET", "/me/player")]
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "released"


async def test_several_rooms_on_one_account_are_independent(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
    events: dict,
) -> None:
    speaker.add_device("kitchen-speaker", "Kitchen speaker")
    entry = MockConfigEntry(
        domain="spottypottysense",
        unique_id="fake-user",
        title="Fake User",
        data={"auth_implementation": "spottypottysense", "token": _token()},
        subentries_data=[
            {
                "data": room_data(only_when_idle=False),
                "subentry_type": "motion_sensor",
                "title": "Bathroom",
                "unique_id": None,
            },
            {
                "data": room_data(
                    motion_entities=[KITCHEN_MOTION],
                    spotify_device_id="kitchen-speaker",
                    spotify_device_name="Kitchen speaker",
                    timeout_minutes=1,
                    only_when_idle=False,
                ),
                "subentry_type": "motion_sensor",
                "title": "Kitchen",
                "unique_id": None,
            },
        ],
    )
    await _set(hass, MOTION, "off")
    await _set(hass, KITCHEN_MOTION, "off")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    await _set(hass, MOTION, "on")
    await _set(hass, KITCHEN_MOTION, "on")
    await _set(hass, KITCHEN_MOTION, "off")
    await _advance(hass, freezer, timedelta(minutes=1))
    assert hass.states.get("sensor.kitchen_status").state == "cooldown"
    assert hass.states.get(STATUS).state == "playing"
    assert [event.data["sensor"] for event in events["session_ended"]] == ["Kitchen"]
    plays = [
        request.query["device_id"] for request in speaker.requests_to("PUT", "/me/player/play")
    ]
    assert plays == [SPEAKER_ID, "kitchen-speaker"]


def _token() -> dict[str, Any]:
    return token_data(expires_at=time.time() + 3.2e7)


@pytest.mark.parametrize(
    "rooms",
    [
        [
            {
                "title": "Bathroom",
                "data": room_data(
                    quiet_hours_enabled=True, quiet_start="22:00:00", quiet_end="07:00:00"
                ),
            }
        ]
    ],
)
@starts_at(2026, 11, 25, 3, 0)
async def test_quiet_hours_block_new_sessions_at_night(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
) -> None:
    tz = dt_util.get_default_time_zone()
    assert _status(hass) == "quiet_hours"
    await _set(hass, MOTION, "on")
    await _set(hass, MOTION, "off")
    assert speaker.requests_to("PUT", "/me/player/play") == []
    assert hass.states.get(STATUS).attributes["last_skip_reason"] == "quiet_hours"

    # At 07:00 the status changes by itself (no polling), and motion plays again.
    freezer.move_to(datetime(2026, 11, 25, 7, 0, 1, tzinfo=tz))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _status(hass) == "idle"
    await _set(hass, MOTION, "on")
    assert len(speaker.requests_to("PUT", "/me/player/play")) == 1


@pytest.mark.parametrize(
    "rooms",
    [
        [
            {
                "title": "Bathroom",
                "data": room_data(
                    volume=70,
                    quiet_hours_enabled=True,
                    quiet_start="22:00:00",
                    quiet_end="07:00:00",
                    quiet_mode="low_volume",
                    quiet_volume=15,
                ),
            }
        ]
    ],
)
@starts_at(2026, 11, 25, 23, 30)
async def test_low_volume_quiet_hours_play_quietly(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _set(hass, MOTION, "on")
    (volume,) = speaker.requests_to("PUT", "/me/player/volume")
    assert volume.query["volume_percent"] == "15"
    assert _status(hass) == "playing"


@pytest.mark.parametrize(
    "rooms",
    [
        [
            {
                "title": "Bathroom",
                "data": room_data(
                    quiet_hours_enabled=True, quiet_start="22:00:00", quiet_end="07:00:00"
                ),
            }
        ]
    ],
)
@starts_at(2026, 11, 25, 21, 58)
async def test_a_session_running_into_quiet_hours_ends_normally(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
    events: dict,
) -> None:
    await _set(hass, MOTION, "on")
    await _advance(hass, freezer, timedelta(minutes=10))
    assert _status(hass) == "playing"
    await _set(hass, MOTION, "off")
    await _advance(hass, freezer, timedelta(minutes=5))
    assert events["session_ended"][0].data["reason"] == "timeout"
    assert len(speaker.requests_to("PUT", "/me/player/pause")) == 1


async def test_switching_off_ends_the_session_and_blocks_new_ones(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify, events: dict
) -> None:
    await _set(hass, MOTION, "on")
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.bathroom_enabled"}, blocking=True
    )
    await hass.async_block_till_done()
    assert events["session_ended"][0].data["reason"] == "disabled"
    assert len(speaker.requests_to("PUT", "/me/player/pause")) == 1
    assert _status(hass) == "disabled"
    await _set(hass, MOTION, "off")
    await _set(hass, MOTION, "on")
    assert len(speaker.requests_to("PUT", "/me/player/play")) == 1

    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.bathroom_enabled"}, blocking=True
    )
    assert hass.states.get("switch.bathroom_enabled").state == "on"


async def test_no_spotify_request_while_no_session_is_open(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    freezer: FrozenDateTimeFactory,
) -> None:
    mark = len(speaker.requests)
    for _ in range(24):
        await _advance(hass, freezer, timedelta(hours=1))
    assert _spotify_since(speaker, mark) == []


async def test_a_start_that_fails_leaves_no_session_behind(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify, events: dict
) -> None:
    speaker.fail("PUT", "/me/player/play", 503, times=3)
    await _set(hass, MOTION, "on")
    assert _status(hass) == "error"
    assert events["playback_failed"][0].data["error"] == "cannot_connect"
    assert events["session_started"] == []
    assert events["session_ended"] == []
    assert speaker.requests_to("PUT", "/me/player/pause") == []
    # The next entry tries again and clears the error.
    await _set(hass, MOTION, "off")
    await _set(hass, MOTION, "on")
    assert _status(hass) == "playing"
