"""A large or outdated stored history: read off the loop, pruned, and written back once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spottypottysense.storage import SAVE_DELAY
from tests.conftest import MOTION
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _writes(key: str) -> int:
    write: Any = Store._async_write_data
    return sum(1 for call in write.call_args_list if call.args[0].key == key)


async def test_an_oversized_history_is_pruned_and_written_back_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    freezer.move_to(NOW)
    (room,) = config_entry.subentries
    # 7,000 sessions, one a minute, oldest first: 1,000 beyond the 5,000 kept, and a few
    # from an installation 40 days ago, plus one that cannot be read.
    sessions = [
        {
            "sensor": room,
            "session_id": f"s{i:04d}",
            "started": (NOW - timedelta(minutes=7001 - i)).isoformat(),
            "ended": (NOW - timedelta(minutes=7000 - i)).isoformat(),
            "motion_count": 1,
            "owned": True,
            "reason": "timeout",
        }
        for i in range(7000)
    ]
    old = {**sessions[0], "session_id": "old", "ended": (NOW - timedelta(days=40)).isoformat()}
    key = f"spottypottysense.{config_entry.entry_id}"
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {"sessions": [old, {"sensor": room}, *sessions]},
    }
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert _writes(key) == 0

    await advance(hass, freezer, timedelta(seconds=SAVE_DELAY))
    # The history moved to its own file (a store from before the split held it here).
    assert _writes(f"{key}.history") == 1
    assert "sessions" not in hass_storage[key]["data"]
    stored = hass_storage[f"{key}.history"]["data"]["sessions"]
    assert len(stored) == 5000
    assert stored[0]["session_id"] == "s2000"  # the newest 5,000, oldest first
    assert stored[-1]["session_id"] == "s6999"

    await advance(hass, freezer, timedelta(minutes=5))
    assert _writes(f"{key}.history") == 1  # once


async def test_the_stored_history_kept_between_writes_matches_the_history(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Sessions ending, starting (each start writes at once) and the 5,000 cap cutting the
    front: what is written is always the history itself, oldest first."""
    freezer.move_to(NOW)
    (room,) = config_entry.subentries
    key = f"spottypottysense.{config_entry.entry_id}"
    full = [
        {
            "sensor": room,
            "session_id": f"s{i:04d}",
            "started": (NOW - timedelta(minutes=5001 - i)).isoformat(),
            "ended": (NOW - timedelta(minutes=5000 - i)).isoformat(),
            "motion_count": 1,
            "owned": True,
            "reason": "timeout",
        }
        for i in range(5000)
    ]
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": {"sessions": full}}
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    manager = config_entry.runtime_data.manager
    for _ in range(3):
        hass.states.async_set(MOTION, "on", {"device_class": "motion"})
        await hass.async_block_till_done()
        hass.states.async_set(MOTION, "off", {"device_class": "motion"})
        await advance(hass, freezer, timedelta(minutes=5))
        await advance(hass, freezer, timedelta(minutes=3))  # past the cooldown
    await advance(hass, freezer, timedelta(seconds=SAVE_DELAY))

    stored = hass_storage[f"{key}.history"]["data"]["sessions"]
    expected = [{"sensor": name, **record.to_dict()} for name, record in manager.history.snapshot()]
    assert stored == expected
    assert len(stored) == 5000  # three new ones in, the three oldest out
    assert stored[0]["session_id"] == "s0003"
