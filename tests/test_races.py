"""Races that would leave our music playing: a room removed, or the entry unloaded, mid-start."""

from __future__ import annotations

import asyncio
from unittest.mock import patch

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import MOTION, SPEAKER_ID, SPEAKER_NAME
from tests.fake_spotify import FakeSpotify

NEW_ID = "bathroom-speaker-after-reset"
PLAY = ("PUT", "/me/player/play")
PAUSE = ("PUT", "/me/player/pause")
DEVICES = ("GET", "/me/player/devices")


async def _until(condition: object, fake: FakeSpotify) -> None:
    """Let the loop run (bounded) until `condition()` holds."""
    for _ in range(200):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.005)
    pytest.fail("the start never got there")


async def test_a_room_removed_while_its_speaker_is_found_again_pauses_on_the_new_id(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The start finishes after the room is gone: its music is paused, and nothing raises."""
    speaker.remove_device(SPEAKER_ID)
    speaker.add_device(NEW_ID, SPEAKER_NAME)
    speaker.delay(*DEVICES, 0.1)
    hass.states.async_set(MOTION, "on", {"device_class": "motion"})
    # The play on the old id failed; the device list (slow) is being read.
    await _until(lambda: len(speaker.requests_to(*PLAY)) == 1, speaker)
    (subentry_id,) = loaded_entry.subentries
    assert hass.config_entries.async_remove_subentry(loaded_entry, subentry_id)
    await hass.async_block_till_done()

    assert [r.query["device_id"] for r in speaker.requests_to(*PLAY)] == [SPEAKER_ID, NEW_ID]
    assert [r.query.get("device_id") for r in speaker.requests_to(*PAUSE)] == [NEW_ID]
    assert speaker.playback is not None
    assert not speaker.playback.is_playing
    assert "Task exception was never retrieved" not in caplog.text
    assert "Error" not in {record.levelname for record in caplog.records}
    assert loaded_entry.subentries == {}


async def test_a_start_that_outlasts_the_unload_is_paused_at_once(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    """Spotify answers slower than the unload waits: what the start then plays is paused.

    The unload waits one request timeout plus a margin (here made tiny), not the start's
    whole chain of requests; the store then says "start in flight", which a reload cannot
    tell from someone else's music, so the late start pauses at once.
    """
    loaded_entry.runtime_data.client.timeout = 0.02
    speaker.delay(*PLAY, 0.3)
    hass.states.async_set(MOTION, "on", {"device_class": "motion"})
    await _until(lambda: len(speaker.requests_to(*PLAY)) == 1, speaker)
    loop = asyncio.get_running_loop()
    began = loop.time()
    with patch("custom_components.spottypottysense.controller.DRAIN_MARGIN", 0.02):
        assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert loop.time() - began < 2
    await hass.async_block_till_done()

    assert speaker.playback is not None
    assert not speaker.playback.is_playing
    assert [r.query.get("device_id") for r in speaker.requests_to(*PAUSE)] == [SPEAKER_ID]

    speaker.delay(*PLAY, 0)
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert not speaker.playback.is_playing


async def test_an_unload_waits_no_longer_than_one_request_timeout_plus_a_margin(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    """A slow Spotify does not hold the unload up: HA's own wait for the entry's tasks is not
    added to the drain's; the start still finishes afterwards and pauses what it played."""
    loaded_entry.runtime_data.client.timeout = 0.05
    speaker.delay(*PLAY, 1.5)
    hass.states.async_set(MOTION, "on", {"device_class": "motion"})
    await _until(lambda: len(speaker.requests_to(*PLAY)) == 1, speaker)
    loop = asyncio.get_running_loop()
    began = loop.time()
    with patch("custom_components.spottypottysense.controller.DRAIN_MARGIN", 0.05):
        assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert loop.time() - began < 1.0  # the play answers only 1.5 s later
    await hass.async_block_till_done()
    assert speaker.playback is not None
    assert not speaker.playback.is_playing
