"""The session store: written at unload and after a delay, migrated, pruned, corrupt, removed."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
import logging
from typing import Any
from unittest.mock import ANY, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.spottypottysense.const import DOMAIN
from custom_components.spottypottysense.storage import (
    SAVE_DELAY,
    STORAGE_MINOR_VERSION,
    STORAGE_VERSION,
    SessionStore,
)
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance as _advance, set_motion as _set

SWITCH = "switch.bathroom_enabled"
KITCHEN_SWITCH = "switch.kitchen_enabled"
STATUS = "sensor.bathroom_status"


def _key(entry: MockConfigEntry) -> str:
    return f"{DOMAIN}.{entry.entry_id}"


def _subentry_id(entry: MockConfigEntry, title: str = "Bathroom") -> str:
    return next(sid for sid, sub in entry.subentries.items() if sub.title == title)


def _store(
    hass_storage: dict[str, Any],
    entry: MockConfigEntry,
    data: Any,
    *,
    version: int = STORAGE_VERSION,
    minor_version: int = STORAGE_MINOR_VERSION,
) -> None:
    """What .storage/spottypottysense.<entry_id> holds before HA starts."""
    hass_storage[_key(entry)] = {
        "version": version,
        "minor_version": minor_version,
        "key": _key(entry),
        "data": data,
    }


def _record(sensor: str, session_id: str, ended: datetime, **overrides: Any) -> dict[str, Any]:
    """A stored ended session, as the integration writes them."""
    return {
        "sensor": sensor,
        "session_id": session_id,
        "started": (ended - timedelta(minutes=10)).isoformat(),
        "ended": ended.isoformat(),
        "motion_count": 3,
        "owned": True,
        "reason": "timeout",
        "device_id": SPEAKER_ID,
        "context_uri": PLAYLIST,
        **overrides,
    }


def _writes(entry: MockConfigEntry) -> int:
    """How often the store of `entry` was written (the storage mock records each write)."""
    write: Any = Store._async_write_data
    return sum(1 for call in write.call_args_list if call.args[0].key == _key(entry))


def _written_history(hass_storage: dict[str, Any], entry: MockConfigEntry) -> list[Any]:
    """The ended sessions as written: in their own file since the states are written ahead."""
    stored = hass_storage[f"{_key(entry)}.history"]
    assert stored["version"] == STORAGE_VERSION
    sessions: list[Any] = stored["data"]["sessions"]
    return sessions


def _written(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any]:
    stored = hass_storage[_key(entry)]
    assert stored["version"] == STORAGE_VERSION
    assert stored["minor_version"] == STORAGE_MINOR_VERSION
    data: dict[str, Any] = stored["data"]
    return data


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def _session_ids(hass: HomeAssistant) -> list[str]:
    """The stored sessions as the get_sessions action returns them to a user."""
    response = await hass.services.async_call(
        DOMAIN, "get_sessions", {}, blocking=True, return_response=True
    )
    assert response is not None
    sessions: list[dict[str, Any]] = response["sessions"]  # type: ignore[assignment]
    return [session["session_id"] for session in sessions]


async def _one_session(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Someone comes in and leaves; the session ends after the timeout and is recorded."""
    await _set(hass, MOTION, "on")
    await _set(hass, MOTION, "off")
    await _advance(hass, freezer, timedelta(minutes=5))
    state = hass.states.get(STATUS)
    assert state is not None
    assert state.state == "cooldown"


# --- writing ----------------------------------------------------------------------------------


async def test_a_start_is_written_before_the_play_and_again_with_its_outcome(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Write before you act: a crash right after the play finds the session on disk."""
    assert _writes(loaded_entry) == 0
    await _set(hass, MOTION, "on")
    # One write before the play (start in flight, with its speaker and source), one with the
    # outcome; not the 10 s delayed write a crash would lose.
    assert _writes(loaded_entry) == 2
    session = _written(hass_storage, loaded_entry)["sensors"][_subentry_id(loaded_entry)]["session"]
    assert session["owned"] is True
    assert session["device_id"] == SPEAKER_ID
    assert session["context_uri"] == PLAYLIST


async def test_open_session_is_written_at_unload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    await _set(hass, MOTION, "on")
    await _set(hass, MOTION, "off")
    await _set(hass, MOTION, "on")
    written = _writes(loaded_entry)  # the start's own writes; the motion waits for the delay

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)

    assert _writes(loaded_entry) == written + 1
    state = _written(hass_storage, loaded_entry)["sensors"][_subentry_id(loaded_entry)]
    assert state["enabled"] is True
    assert state["presence"] is True
    assert state["session"]["owned"] is True
    assert state["session"]["motion_count"] == 2
    assert state["session"]["device_id"] == SPEAKER_ID
    assert state["session"]["context_uri"] == PLAYLIST


async def test_bursts_of_motion_are_written_once_after_the_delay(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    await _set(hass, MOTION, "on")
    await _set(hass, MOTION, "off")
    started = _writes(loaded_entry)  # the start writes at once (before and after its play)
    for _ in range(9):
        await _set(hass, MOTION, "on")
        await _set(hass, MOTION, "off")
        await _advance(hass, freezer, timedelta(milliseconds=500))
    assert _writes(loaded_entry) == started

    await _advance(hass, freezer, timedelta(seconds=SAVE_DELAY))
    assert _writes(loaded_entry) == started + 1
    session = _written(hass_storage, loaded_entry)["sensors"][_subentry_id(loaded_entry)]["session"]
    assert session["motion_count"] == 10

    # Nothing changes while the session waits for its deadline: no further writes.
    await _advance(hass, freezer, timedelta(minutes=2))
    assert _writes(loaded_entry) == started + 1


async def test_pending_changes_are_written_when_home_assistant_stops(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """HA does not unload entries when it stops; its final write saves what is pending."""
    await _set(hass, MOTION, "on")
    await _set(hass, MOTION, "off")
    await _set(hass, MOTION, "on")
    session = _written(hass_storage, loaded_entry)["sensors"][_subentry_id(loaded_entry)]["session"]
    assert session["motion_count"] == 1  # the second motion waits for the delayed write
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    session = _written(hass_storage, loaded_entry)["sensors"][_subentry_id(loaded_entry)]["session"]
    assert session["owned"] is True
    assert session["motion_count"] == 2


async def test_ended_session_is_written(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    await _one_session(hass, freezer)
    await _advance(hass, freezer, timedelta(seconds=SAVE_DELAY))
    (record,) = _written_history(hass_storage, loaded_entry)
    assert record["sensor"] == _subentry_id(loaded_entry)
    assert record["reason"] == "timeout"
    assert record["owned"] is True
    data = _written(hass_storage, loaded_entry)
    assert data["sensors"][_subentry_id(loaded_entry)]["session"] is None
    assert data["sensors"][_subentry_id(loaded_entry)]["cooldown_until"] is not None


async def test_store_is_deleted_with_the_entry(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    await _one_session(hass, freezer)
    await _advance(hass, freezer, timedelta(seconds=SAVE_DELAY))
    assert _key(loaded_entry) in hass_storage
    assert f"{_key(loaded_entry)}.history" in hass_storage
    await _set(hass, MOTION, "on")  # a write is pending when the entry goes

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert _key(loaded_entry) not in hass_storage
    assert f"{_key(loaded_entry)}.history" not in hass_storage

    # Nothing brings either back later.
    await _advance(hass, freezer, timedelta(minutes=10))
    assert _key(loaded_entry) not in hass_storage
    assert f"{_key(loaded_entry)}.history" not in hass_storage


async def test_spotify_answer_arriving_after_removal_does_not_bring_the_store_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    hass_storage: dict[str, Any],
) -> None:
    """The account is deleted while a session's end is still waiting for Spotify."""
    await _set(hass, MOTION, "on")
    client = loaded_entry.runtime_data.client
    spotify_answers = asyncio.Event()
    read_playback = client.playback

    async def slow_playback() -> Any:
        await spotify_answers.wait()
        return await read_playback()

    controller = next(iter(loaded_entry.runtime_data.manager.controllers.values()))
    with patch.object(client, "playback", slow_playback):
        controller.stop_session()
        removal = hass.async_create_task(hass.config_entries.async_remove(loaded_entry.entry_id))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not removal.done()  # unloading waits for the end in flight
        spotify_answers.set()
        await removal
    await hass.async_block_till_done()
    assert speaker.requests_to("PUT", "/me/player/pause")  # the end was carried out
    assert _key(loaded_entry) not in hass_storage

    await _advance(hass, freezer, timedelta(seconds=SAVE_DELAY * 3))
    assert _key(loaded_entry) not in hass_storage


# --- versions and migration -------------------------------------------------------------------


@pytest.mark.parametrize("minor_version", [0, STORAGE_MINOR_VERSION + 1])
async def test_other_minor_version_loads_unchanged(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    minor_version: int,
) -> None:
    sid = _subentry_id(config_entry)
    now = dt_util.utcnow()
    data = {
        "sensors": {sid: {"enabled": False, "last_motion": now.isoformat()}},
        "sessions": [_record(sid, "kept", now - timedelta(hours=1))],
    }
    _store(hass_storage, config_entry, data, minor_version=minor_version)

    await _set_up(hass, config_entry)

    assert hass.states.get(SWITCH).state == "off"
    assert await _session_ids(hass) == ["kept"]
    # Migrated to the current version on load, content untouched.
    assert hass_storage[_key(config_entry)]["minor_version"] == STORAGE_MINOR_VERSION
    assert hass_storage[_key(config_entry)]["data"] == data


async def test_migration_hook_passes_data_through(hass: HomeAssistant) -> None:
    store = SessionStore(hass, "entry")
    data = {"sensors": {}, "sessions": []}
    assert await store._async_migrate_func(1, 0, data) is data


# --- corrupt and unreadable stores ------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "warning"),
    [
        pytest.param({"version": 1}, "Could not read", id="no_data"),
        pytest.param(
            {"version": STORAGE_VERSION + 1, "minor_version": 1, "data": {}},
            "Could not read",
            id="newer_major_version",
        ),
        pytest.param(
            {"version": 1, "minor_version": 1, "data": ["not", "a", "dict"]},
            "Ignoring malformed",
            id="data_is_a_list",
        ),
        pytest.param(
            {"version": 1, "minor_version": 1, "data": "garbage"},
            "Ignoring malformed",
            id="data_is_a_string",
        ),
    ],
)
async def test_unreadable_store_gives_an_empty_start(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    stored: dict[str, Any],
    warning: str,
) -> None:
    hass_storage[_key(config_entry)] = {"key": _key(config_entry), **stored}
    with caplog.at_level(logging.WARNING):
        await _set_up(hass, config_entry)
    assert any(
        record.levelno == logging.WARNING and warning in record.getMessage()
        for record in caplog.records
    )
    assert hass.states.get(STATUS).state == "idle"
    assert hass.states.get(SWITCH).state == "on"
    assert await _session_ids(hass) == []

    # The room works, and the next write replaces the bad file with good data.
    await _set(hass, MOTION, "on")
    assert hass.states.get(STATUS).state == "playing"
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert _written(hass_storage, config_entry)["sensors"][_subentry_id(config_entry)]["session"]


async def test_store_that_cannot_be_read_gives_an_empty_start(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A file the OS refuses to read (permissions, I/O error)."""
    with patch.object(SessionStore, "async_load", side_effect=OSError("I/O error")):
        await _set_up(hass, config_entry)
    assert "Could not read" in caplog.text
    assert hass.states.get(STATUS).state == "idle"


@pytest.mark.parametrize(
    "rooms",
    [
        [
            {"title": "Bathroom", "data": room_data()},
            {
                "title": "Kitchen",
                "data": room_data(motion_entities=["binary_sensor.kitchen_motion"]),
            },
        ]
    ],
)
@pytest.mark.parametrize(
    ("bad_state", "warning", "switch"),
    [
        pytest.param({"enabled": "no"}, "fields: enabled", "on", id="bad_bool"),
        pytest.param(
            {"enabled": False, "cooldown_until": "yesterday"},
            "fields: cooldown_until",
            "off",
            id="bad_time",
        ),
        pytest.param(
            {"enabled": False, "cooldown_until": "2026-01-01T10:00:00"},
            "fields: cooldown_until",
            "off",
            id="naive_time",
        ),
        pytest.param(
            {"enabled": False, "session": {"session_id": 7}},
            "fields: session",
            "off",
            id="bad_session",
        ),
        pytest.param(
            {"enabled": False, "session": ["x"]}, "fields: session", "off", id="session_not_a_dict"
        ),
        pytest.param(
            {"enabled": False, "last_skip_reason": "bored"},
            "fields: last_skip_reason",
            "off",
            id="unknown_enum",
        ),
        pytest.param(
            {"enabled": False, "last_motion": "9999-12-31T23:00:00-05:00"},
            "fields: last_motion",
            "off",
            id="out_of_range_time",
        ),
        pytest.param(
            {
                "enabled": False,
                "session": {
                    "session_id": "s",
                    "started": "2026-11-24T10:00:00+00:00",
                    "motion_count": 2**64 - 1,  # would fail a later save (64-bit JSON limit)
                },
            },
            "fields: session.motion_count",
            "off",
            id="huge_count",
        ),
        pytest.param("on", "unreadable stored state of Bathroom", "on", id="state_not_a_dict"),
    ],
)
async def test_a_bad_stored_field_costs_that_field_only(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    bad_state: Any,
    warning: str,
    switch: str,
) -> None:
    bathroom, kitchen = _subentry_id(config_entry), _subentry_id(config_entry, "Kitchen")
    now = dt_util.utcnow()
    _store(
        hass_storage,
        config_entry,
        {
            "sensors": {bathroom: bad_state, kitchen: {"enabled": False}},
            "sessions": [_record(bathroom, "good", now - timedelta(hours=1))],
        },
    )
    await _set_up(hass, config_entry)
    assert warning in caplog.text
    # The bad field takes its default; the room's other fields, the other room and the
    # history are kept.
    assert hass.states.get(SWITCH).state == switch
    assert hass.states.get(KITCHEN_SWITCH).state == "off"
    assert "good" in await _session_ids(hass)  # (a kept open session ends and joins it)


async def test_room_states_not_a_mapping_keep_the_history(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sid = _subentry_id(config_entry)
    now = dt_util.utcnow()
    _store(
        hass_storage,
        config_entry,
        {"sensors": [sid], "sessions": [_record(sid, "good", now - timedelta(hours=1))]},
    )
    await _set_up(hass, config_entry)
    assert "Ignoring malformed stored room states" in caplog.text
    assert hass.states.get(STATUS).state == "idle"
    assert await _session_ids(hass) == ["good"]


async def test_history_not_a_list_keeps_the_room_state(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sid = _subentry_id(config_entry)
    _store(
        hass_storage,
        config_entry,
        {"sensors": {sid: {"enabled": False}}, "sessions": {"good": "no"}},
    )
    await _set_up(hass, config_entry)
    assert "Ignoring malformed stored session history" in caplog.text
    assert hass.states.get(SWITCH).state == "off"
    assert await _session_ids(hass) == []


async def test_bad_sessions_are_skipped_and_good_ones_kept(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sid = _subentry_id(config_entry)
    now = dt_util.utcnow()
    ended = now - timedelta(hours=2)
    bad: list[Any] = [
        "junk",
        None,
        17,
        ["a", "list"],
        {"session_id": "no-sensor"},
        {"sensor": sid, "session_id": "missing-fields"},
        _record(sid, "bad-reason", ended, reason="bored"),
        _record(sid, "bad-count", ended, motion_count=-1),
        _record(sid, "huge-count", ended, motion_count=2**64 - 1),
        _record(sid, "bad-owned", ended, owned="yes"),
        {**_record(sid, "naive", ended), "ended": "2026-01-01T10:00:00"},
        _record(sid, "not-a-time", ended, started="yesterday"),
        {**_record(sid, "out-of-range", ended), "ended": "9999-12-31T23:00:00-05:00"},
    ]
    good = [
        _record(sid, "first", now - timedelta(hours=3)),
        _record(sid, "second", now - timedelta(hours=1), device_id=None, context_uri=None),
    ]
    _store(
        hass_storage,
        config_entry,
        {"sensors": {sid: {"enabled": False}}, "sessions": [good[0], *bad, good[1]]},
    )
    await _set_up(hass, config_entry)

    assert f"Skipped {len(bad)} unreadable stored sessions" in caplog.text
    assert await _session_ids(hass) == ["first", "second"]
    assert hass.states.get(SWITCH).state == "off"
    assert hass.states.get("sensor.bathroom_sessions_today").state in ("0", "1", "2")

    # The next write keeps only what could be read.
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert [s["session_id"] for s in _written_history(hass_storage, config_entry)] == [
        "first",
        "second",
    ]


# --- history retention ------------------------------------------------------------------------


async def test_sessions_older_than_30_days_are_dropped_on_load(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    sid = _subentry_id(config_entry)
    now = dt_util.utcnow()
    _store(
        hass_storage,
        config_entry,
        {
            "sensors": {},
            "sessions": [
                _record(sid, "40-days", now - timedelta(days=40)),
                _record(sid, "30-days-and-a-minute", now - timedelta(days=30, minutes=1)),
                _record(sid, "29-days", now - timedelta(days=29)),
                _record(sid, "an-hour", now - timedelta(hours=1)),
            ],
        },
    )
    await _set_up(hass, config_entry)
    assert await _session_ids(hass) == ["29-days", "an-hour"]
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert [s["session_id"] for s in _written_history(hass_storage, config_entry)] == [
        "29-days",
        "an-hour",
    ]


async def test_sessions_older_than_30_days_are_dropped_on_append(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    sid = _subentry_id(config_entry)
    now = dt_util.utcnow()
    _store(
        hass_storage,
        config_entry,
        {
            "sensors": {},
            "sessions": [
                _record(sid, "almost-30-days", now - timedelta(days=30) + timedelta(minutes=1)),
                _record(sid, "a-week", now - timedelta(days=7)),
            ],
        },
    )
    await _set_up(hass, config_entry)
    assert await _session_ids(hass) == ["almost-30-days", "a-week"]

    await _one_session(hass, freezer)  # ends 5 minutes later: the first one is now too old
    ids = await _session_ids(hass)
    assert ids[0] == "a-week"
    assert len(ids) == 2


async def test_at_most_5000_sessions_are_kept(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    sid = _subentry_id(config_entry)
    now = dt_util.utcnow()
    _store(
        hass_storage,
        config_entry,
        {
            "sensors": {},
            "sessions": [
                _record(sid, f"old-{i:04d}", now - timedelta(days=20) + timedelta(minutes=i))
                for i in range(5000)
            ],
        },
    )
    await _set_up(hass, config_entry)
    ids = await _session_ids(hass)
    assert len(ids) == 5000

    await _one_session(hass, freezer)
    ids = await _session_ids(hass)
    assert len(ids) == 5000
    assert "old-0000" not in ids  # the oldest made room
    assert ids[0] == "old-0001"
    assert not ids[-1].startswith("old-")  # the new one

    await _advance(hass, freezer, timedelta(seconds=SAVE_DELAY))
    assert len(_written_history(hass_storage, config_entry)) == 5000


async def test_sessions_of_a_deleted_room_are_dropped(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    sid = _subentry_id(loaded_entry)
    await _one_session(hass, freezer)
    assert len(await _session_ids(hass)) == 1
    hass.config_entries.async_remove_subentry(loaded_entry, sid)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert _written_history(hass_storage, loaded_entry) == []
    assert sid not in _written(hass_storage, loaded_entry)["sensors"]


async def test_a_bad_field_never_costs_the_open_session_snooze_or_cooldown(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A resume position Spotify once reported as 2,000,000,000 ms, from an older version."""
    bathroom = _subentry_id(config_entry)
    now = dt_util.utcnow()
    speaker.user_play(PLAYLIST, device_id=SPEAKER_ID)
    _store(
        hass_storage,
        config_entry,
        {
            "sensors": {
                bathroom: {
                    "snoozed_until": (now + timedelta(hours=1)).isoformat(),
                    "session": {
                        "session_id": "open",
                        "started": (now - timedelta(minutes=1)).isoformat(),
                        "owned": True,
                        "device_id": SPEAKER_ID,
                        "context_uri": PLAYLIST,
                        "presence_ended": now.isoformat(),
                    },
                    "resume": {
                        "session_id": "old",
                        "ended": now.isoformat(),
                        "source": PLAYLIST,
                        "item_uri": "spotify:track:x",
                        "position_ms": 2_000_000_000,
                    },
                }
            },
            "sessions": [],
        },
    )
    await _set_up(hass, config_entry)
    assert "fields: resume" in caplog.text
    # The open session is still ours: it ends (and pauses) at its own deadline.
    assert hass.states.get(STATUS).state == "playing"
    assert speaker.playback is not None
    assert speaker.playback.is_playing


@pytest.mark.parametrize("rooms", [[{"title": "Bathroom", "data": room_data(resume_minutes=10)}]])
async def test_a_position_spotify_reports_out_of_range_is_checked_at_the_door(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What we write we can read back: the room keeps its snooze across the reload."""
    await _set(hass, MOTION, "on")
    await _set(hass, MOTION, "off")
    speaker.user_listened(2_000_000_000)
    await _advance(hass, freezer, timedelta(minutes=5))
    (controller,) = loaded_entry.runtime_data.manager.controllers.values()
    controller.snooze(timedelta(hours=1))
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert "unreadable" not in caplog.text
    assert hass.states.get(STATUS).state == "snoozed"


async def test_a_store_from_before_the_split_moves_its_history_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """An install updated from a version that kept the history beside the states."""
    sid = _subentry_id(config_entry)
    now = dt_util.utcnow()
    _store(
        hass_storage,
        config_entry,
        {
            "sensors": {sid: {"enabled": False}},
            "sessions": [_record(sid, "kept", now - timedelta(hours=1))],
        },
    )
    await _set_up(hass, config_entry)
    assert await _session_ids(hass) == ["kept"]
    assert hass.states.get(SWITCH).state == "off"
    await _advance(hass, freezer, timedelta(seconds=SAVE_DELAY))
    assert [s["session_id"] for s in _written_history(hass_storage, config_entry)] == ["kept"]
    assert _written(hass_storage, config_entry) == {"sensors": {sid: ANY}}
    # From now on the history file is what is read.
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert await _session_ids(hass) == ["kept"]
