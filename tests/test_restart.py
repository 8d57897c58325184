"""Restart safety: sessions, deadlines, cooldowns, the switch and snooze survive a restart.

A restart is the entry unloading (which writes the store), the clock moving on while Home
Assistant is down, and the entry setting up again from the store.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.spottypottysense.const import DOMAIN
from custom_components.spottypottysense.speaker_spotify import SpotifyConnectSpeaker
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance as _advance, set_motion as _set

STATUS = "sensor.bathroom_status"
SWITCH = "switch.bathroom_enabled"
OTHER_PLAYLIST = "spotify:playlist:0000000000000000000000"
PLAY = ("PUT", "/me/player/play")
READ = ("GET", "/me/player")
PAUSE = ("PUT", "/me/player/pause")


async def _restart(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    downtime: timedelta,
    *,
    motion_state: str | None = None,
) -> None:
    """Unload (writes the store), stay down for `downtime`, set up again from the store.

    `motion_state` is the motion entity's state when HA comes back (unchanged if None).
    """
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    freezer.tick(downtime)
    if motion_state is not None:
        hass.states.async_set(MOTION, motion_state, {"device_class": "motion"})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


def _status(hass: HomeAssistant) -> str:
    state = hass.states.get(STATUS)
    assert state is not None
    return state.state


def _attr(hass: HomeAssistant, name: str) -> Any:
    state = hass.states.get(STATUS)
    assert state is not None
    return state.attributes[name]


def _stops_at(hass: HomeAssistant) -> datetime | None:
    value = _attr(hass, "stops_at")
    return None if value is None else dt_util.as_utc(value)


def _player_calls(fake: FakeSpotify, mark: int = 0) -> list[tuple[str, str]]:
    """Requests after `mark`, without the account read every setup makes (GET /me)."""
    return [(r.method, r.path) for r in fake.requests[mark:] if r.path != "/me"]


def _device_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    subentry_id = next(iter(entry.subentries))
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, subentry_id), entry.entry_id
    )
    assert device is not None
    return device.id


async def _start_and_leave(hass: HomeAssistant, fake: FakeSpotify) -> None:
    """Someone walks in (music starts) and leaves (the timeout starts running)."""
    await _set(hass, MOTION, "on")
    assert _status(hass) == "playing"
    assert fake.playback is not None
    assert fake.playback.is_playing
    await _set(hass, MOTION, "off")


async def test_session_with_deadline_ahead_continues_after_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    await _start_and_leave(hass, speaker)
    left = dt_util.utcnow()
    stops_at = _stops_at(hass)
    assert stops_at == left + timedelta(minutes=5)
    started = _attr(hass, "session_started")

    mark = len(speaker.requests)
    await _restart(hass, loaded_entry, freezer, timedelta(minutes=2))

    # The same session, with the same deadline, and Spotify is not asked anything.
    assert _status(hass) == "playing"
    assert _stops_at(hass) == stops_at
    assert _attr(hass, "session_started") == started
    assert _player_calls(speaker, mark) == []
    assert speaker.playback is not None
    assert speaker.playback.is_playing

    freezer.move_to(stops_at - timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _status(hass) == "playing"
    assert _player_calls(speaker, mark) == []

    await _advance(hass, freezer, timedelta(seconds=1))
    assert _player_calls(speaker, mark) == [READ, PAUSE]
    assert not speaker.playback.is_playing
    assert _status(hass) == "cooldown"
    (started_event,) = events["session_started"]
    (ended,) = events["session_ended"]
    assert ended.data["session_id"] == started_event.data["session_id"]
    assert ended.data["reason"] == "timeout"
    assert ended.data["owned"] is True
    assert dt_util.parse_datetime(ended.data["ended"]) == stops_at


async def test_presence_on_at_restart_keeps_the_session_open(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    """Someone still in the room (sensor on again after the restart): no timeout runs."""
    await _set(hass, MOTION, "on")
    mark = len(speaker.requests)
    # The sensor comes back unavailable and reports on a moment later, as real ones do.
    await _restart(hass, loaded_entry, freezer, timedelta(minutes=1), motion_state="unavailable")
    await _set(hass, MOTION, "on")
    assert _status(hass) == "playing"

    await _advance(hass, freezer, timedelta(minutes=30))
    assert _status(hass) == "playing"
    assert _player_calls(speaker, mark) == []

    await _set(hass, MOTION, "off")
    left = dt_util.utcnow()
    assert _stops_at(hass) == left + timedelta(minutes=5)
    await _advance(hass, freezer, timedelta(minutes=5))
    assert _player_calls(speaker, mark) == [READ, PAUSE]
    assert _status(hass) == "cooldown"


async def test_presence_gone_during_restart_starts_the_timeout(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    """Present at shutdown, nobody there after the restart: the timeout runs from the start."""
    await _set(hass, MOTION, "on")
    await _restart(hass, loaded_entry, freezer, timedelta(minutes=10), motion_state="off")
    back = dt_util.utcnow()
    assert _status(hass) == "playing"
    assert _stops_at(hass) == back + timedelta(minutes=5)
    mark = len(speaker.requests)
    await _advance(hass, freezer, timedelta(minutes=5))
    assert _player_calls(speaker, mark) == [READ, PAUSE]


async def test_deadline_passed_while_down_pauses_what_is_still_ours(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    await _start_and_leave(hass, speaker)
    mark = len(speaker.requests)
    await _restart(hass, loaded_entry, freezer, timedelta(minutes=30))

    # Carried out right after start: one read, then the pause.
    assert _player_calls(speaker, mark) == [READ, PAUSE]
    assert speaker.requests_to(*PAUSE)[-1].query["device_id"] == SPEAKER_ID
    assert speaker.playback is not None
    assert not speaker.playback.is_playing
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "timeout"
    assert ended.data["owned"] is True
    assert _status(hass) == "cooldown"
    assert _stops_at(hass) is None

    # Nothing else happens afterwards: no polling, no second pause.
    await _advance(hass, freezer, timedelta(minutes=30))
    assert _player_calls(speaker, mark) == [READ, PAUSE]
    assert _status(hass) == "idle"


async def test_deadline_passed_while_down_with_spotify_unreachable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    """The ownership check fails: the session still ends, nothing is paused blindly."""
    await _start_and_leave(hass, speaker)
    speaker.fail("GET", "/me/player", 503, times=None)
    mark = len(speaker.requests)
    await _restart(hass, loaded_entry, freezer, timedelta(minutes=30))
    assert PAUSE not in _player_calls(speaker, mark)
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "timeout"
    assert _status(hass) == "cooldown"
    calls = len(speaker.requests)
    await _advance(hass, freezer, timedelta(minutes=30))
    assert len(speaker.requests) == calls


async def test_max_duration_reached_while_down_ends_the_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    """A sensor stuck on through a long restart: the max duration still applies."""
    await _set(hass, MOTION, "on")
    mark = len(speaker.requests)
    await _restart(hass, loaded_entry, freezer, timedelta(hours=4))
    assert _player_calls(speaker, mark) == [READ, PAUSE]
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "max_duration"
    # The sensor is still on, but that is no new entry into the room.
    assert _status(hass) == "cooldown"
    await _advance(hass, freezer, timedelta(minutes=10))
    assert _player_calls(speaker, mark) == [READ, PAUSE]
    assert _status(hass) == "idle"


@pytest.mark.parametrize(
    "user_action",
    [
        pytest.param(lambda fake: fake.user_pause(), id="paused"),
        pytest.param(lambda fake: fake.user_transfer("phone"), id="moved_to_phone"),
        pytest.param(lambda fake: fake.user_play(OTHER_PLAYLIST, SPEAKER_ID), id="other_music"),
        pytest.param(lambda fake: fake.stop_playback(), id="nothing_plays"),
    ],
)
async def test_deadline_passed_while_down_leaves_what_the_user_took_over(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
    user_action: Any,
) -> None:
    await _start_and_leave(hass, speaker)
    assert speaker.playback is not None
    assert speaker.playback.context_uri == PLAYLIST
    user_action(speaker)
    before = speaker.playback
    playing_before = before.is_playing if before is not None else None
    mark = len(speaker.requests)

    await _restart(hass, loaded_entry, freezer, timedelta(minutes=30))

    assert _player_calls(speaker, mark) == [READ]
    assert speaker.playback is before
    assert (before.is_playing if before is not None else None) == playing_before
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "released"
    assert _status(hass) == "cooldown"


async def test_session_whose_start_was_in_flight_at_shutdown_ends_without_a_pause(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    events: dict[str, list[Any]],
) -> None:
    """HA stopped between opening the session and hearing back from Spotify: unknown owner."""
    subentry_id = next(iter(config_entry.subentries))
    now = dt_util.utcnow()
    hass_storage[f"{DOMAIN}.{config_entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{config_entry.entry_id}",
        "data": {
            "sensors": {
                subentry_id: {
                    "session": {
                        "session_id": "in-flight",
                        "started": (now - timedelta(minutes=1)).isoformat(),
                        "owned": None,
                        "motion_count": 1,
                    },
                    "presence": True,
                }
            },
            "sessions": [],
        },
    }
    speaker.user_play(PLAYLIST, SPEAKER_ID)
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert _player_calls(speaker) == []
    assert speaker.playback is not None
    assert speaker.playback.is_playing
    (ended,) = events["session_ended"]
    assert ended.data["session_id"] == "in-flight"
    assert ended.data["reason"] == "released"
    assert ended.data["owned"] is False


async def test_cooldown_survives_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    await _start_and_leave(hass, speaker)
    await _advance(hass, freezer, timedelta(minutes=5))
    assert _status(hass) == "cooldown"
    cooldown_ends = dt_util.utcnow() + timedelta(minutes=2)

    await _restart(hass, loaded_entry, freezer, timedelta(seconds=30))
    assert _status(hass) == "cooldown"
    mark = len(speaker.requests)

    await _advance(hass, freezer, timedelta(seconds=30))
    await _set(hass, MOTION, "on")
    assert _player_calls(speaker, mark) == []
    assert _status(hass) == "cooldown"
    assert _attr(hass, "last_skip_reason") == "cooldown"
    await _set(hass, MOTION, "off")

    freezer.move_to(cooldown_ends)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _status(hass) == "idle"
    await _set(hass, MOTION, "on")
    # The speaker is still Spotify's active device with shuffle on: nothing but the play.
    assert _player_calls(speaker, mark) == [READ, PLAY]
    assert _status(hass) == "playing"


async def test_cooldown_that_ended_while_down_is_over(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    await _start_and_leave(hass, speaker)
    await _advance(hass, freezer, timedelta(minutes=5))
    assert _status(hass) == "cooldown"
    await _restart(hass, loaded_entry, freezer, timedelta(minutes=3))
    assert _status(hass) == "idle"
    await _set(hass, MOTION, "on")
    assert _status(hass) == "playing"


async def test_switched_off_stays_off_after_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert hass.states.get(SWITCH).state == "off"

    await _restart(hass, loaded_entry, freezer, timedelta(hours=1))
    assert hass.states.get(SWITCH).state == "off"
    assert _status(hass) == "disabled"
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")
    await _set(hass, MOTION, "off")
    assert _player_calls(speaker, mark) == []

    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    await _restart(hass, loaded_entry, freezer, timedelta(minutes=1))
    assert hass.states.get(SWITCH).state == "on"
    await _set(hass, MOTION, "on")
    assert _status(hass) == "playing"


async def test_snooze_survives_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    await hass.services.async_call(
        DOMAIN,
        "snooze",
        {ATTR_DEVICE_ID: _device_id(hass, loaded_entry), "duration": {"hours": 1}},
        blocking=True,
    )
    snoozed_until = dt_util.utcnow() + timedelta(hours=1)
    assert _status(hass) == "snoozed"

    await _restart(hass, loaded_entry, freezer, timedelta(minutes=10))
    assert _status(hass) == "snoozed"
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")
    await _set(hass, MOTION, "off")
    assert _player_calls(speaker, mark) == []
    assert _attr(hass, "last_skip_reason") == "snoozed"

    freezer.move_to(snoozed_until)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _status(hass) == "idle"
    await _set(hass, MOTION, "on")
    assert _status(hass) == "playing"


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("setup_credentials")
async def test_motion_entity_on_at_start_never_starts_a_session(
    hass: HomeAssistant, speaker: FakeSpotify, config_entry: MockConfigEntry
) -> None:
    hass.states.async_set(MOTION, "on", {"device_class": "motion"})
    await _set_up(hass, config_entry)
    assert _status(hass) == "idle"
    assert _player_calls(speaker) == []

    # Still on (an attribute update is not an edge) and then off: nothing either.
    hass.states.async_set(MOTION, "on", {"device_class": "motion", "battery": 80})
    await hass.async_block_till_done()
    await _set(hass, MOTION, "off")
    assert _player_calls(speaker) == []

    # The first real entry into the room plays.
    await _set(hass, MOTION, "on")
    assert _player_calls(speaker) == [READ, PLAY, ("PUT", "/me/player/shuffle")]
    assert _status(hass) == "playing"


@pytest.mark.usefixtures("setup_credentials")
@pytest.mark.parametrize("initial", ["unavailable", "unknown", None])
async def test_motion_entity_coming_online_as_on_never_starts_a_session(
    hass: HomeAssistant, speaker: FakeSpotify, config_entry: MockConfigEntry, initial: str | None
) -> None:
    """The sensor's integration loads after ours, or the sensor reconnects: not someone entering."""
    if initial is not None:
        hass.states.async_set(MOTION, initial, {"device_class": "motion"})
    await _set_up(hass, config_entry)
    await _set(hass, MOTION, "on")
    assert _status(hass) == "idle"
    assert _player_calls(speaker) == []

    await _set(hass, MOTION, "off")
    await _set(hass, MOTION, "on")
    assert _status(hass) == "playing"
    assert len(speaker.requests_to(*PLAY)) == 1


async def test_unload_waits_for_a_start_under_way_and_stores_it_as_ours(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    hass_storage: dict[str, Any],
    events: dict[str, list[Any]],
) -> None:
    """A reload while Spotify is still answering the play: after it, the music is still ours."""
    gate = asyncio.Event()
    real_start = SpotifyConnectSpeaker.async_start

    async def slow_start(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await real_start(*args, **kwargs)

    with patch.object(SpotifyConnectSpeaker, "async_start", slow_start):
        hass.states.async_set(MOTION, "on", {"device_class": "motion"})
        for _ in range(5):
            await asyncio.sleep(0)
        unload = hass.async_create_task(hass.config_entries.async_unload(loaded_entry.entry_id))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not unload.done()  # waiting for the play under way
        gate.set()
        assert await unload
    stored = hass_storage[f"{DOMAIN}.{loaded_entry.entry_id}"]["data"]["sensors"]
    (state,) = stored.values()
    assert state["session"]["owned"] is True

    await _set(hass, MOTION, "off")
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    await _advance(hass, freezer, timedelta(minutes=5))
    assert len(speaker.requests_to("PUT", "/me/player/pause")) == 1
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "timeout"
    assert ended.data["owned"] is True
