"""A crash at any step of a session leaves no music of ours playing past its deadline.

A crash is HA killed between two steps: what is on disk at that instant is all a restart finds.
Each test takes the store as it is when a request reaches Spotify (the fake's request hook),
lets the rest of the step happen at Spotify (music plays, the volume is lowered, the music
moves), then drops HA's entry, puts the store back as it was at the crash and sets HA up again.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spottypottysense.const import DOMAIN
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, room_data
from tests.fake_spotify import FakeDevice, FakeSpotify, RecordedRequest
from tests.helpers import advance, set_motion
from tests.two_rooms import (  # noqa: F401 - the fixtures are used by name
    KITCHEN_MOTION,
    KITCHEN_SPEAKER,
    clock,
    kitchen,
    loaded_entry,
)

TIMEOUT = timedelta(minutes=5)


class Disk:
    """The store as it was when a given request reached Spotify: the disk at the crash."""

    def __init__(self, hass_storage: dict[str, Any], entry: MockConfigEntry) -> None:
        self._storage = hass_storage
        self._key = f"{DOMAIN}.{entry.entry_id}"
        self.at_crash: dict[str, Any] | None = None

    def crash_at(self, fake: FakeSpotify, method: str, path: str) -> None:
        """Take the disk's contents when the first such request arrives (before Spotify acts)."""

        def hook(request: RecordedRequest) -> None:
            if self.at_crash is None and (request.method, request.path) == (method, path):
                self.at_crash = copy.deepcopy(self._storage.get(self._key))

        fake.on_request.append(hook)

    async def restart(self, hass: HomeAssistant, entry: MockConfigEntry) -> None:
        """Drop the running entry as a kill would (nothing more reaches Spotify), then restart.

        The unload writes the store; the crash never did: the disk is put back as it was.
        """
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        if self.at_crash is None:
            self._storage.pop(self._key, None)
        else:
            self._storage[self._key] = copy.deepcopy(self.at_crash)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


def _ours_plays(fake: FakeSpotify, device: str = SPEAKER_ID) -> bool:
    playback = fake.playback
    return (
        playback is not None
        and playback.is_playing
        and playback.device_id == device
        and playback.context_uri == PLAYLIST
    )


def _status(hass: HomeAssistant, room: str = "bathroom") -> str:
    state = hass.states.get(f"sensor.{room}_status")
    assert state is not None
    return state.state


async def test_a_crash_right_after_the_play_is_settled_and_paused_at_the_timeout(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Killed within the first seconds (before any delayed save): the session is on disk."""
    disk = Disk(hass_storage, loaded_entry)
    disk.crash_at(speaker, "PUT", "/me/player/play")
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    assert _ours_plays(speaker)
    assert disk.at_crash is not None  # the session was written before the play went out

    await disk.restart(hass, loaded_entry)
    # One read settled it: still ours, so it goes on, with its timeout from the restart.
    assert _status(hass) == "playing"
    await advance(hass, clock, TIMEOUT - timedelta(seconds=1))
    assert _ours_plays(speaker)
    await advance(hass, clock, timedelta(seconds=1))
    assert not _ours_plays(speaker)
    assert speaker.playback is not None
    assert speaker.playback.device_id == SPEAKER_ID
    assert _status(hass) == "cooldown"


async def test_a_crash_before_the_play_left_nothing_to_pause(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """The play never reached Spotify: the settling read finds nothing of ours; released."""
    disk = Disk(hass_storage, loaded_entry)
    disk.crash_at(speaker, "PUT", "/me/player/play")
    speaker.fail("PUT", "/me/player/play", 400)  # as if it never arrived: nothing plays
    await set_motion(hass, MOTION, "on")
    assert not _ours_plays(speaker)

    mark = len(speaker.requests)
    await disk.restart(hass, loaded_entry)
    assert [(r.method, r.path) for r in speaker.requests[mark:]][-1] == ("GET", "/me/player")
    assert _status(hass) in ("idle", "cooldown")
    await advance(hass, clock, TIMEOUT * 2)
    assert speaker.requests_to("PUT", "/me/player/pause") == []
    assert not _ours_plays(speaker)


async def test_a_crash_long_after_the_deadline_pauses_at_once(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """HA stayed down past the session's longest length: the restart pauses our music."""
    disk = Disk(hass_storage, loaded_entry)
    disk.crash_at(speaker, "PUT", "/me/player/play")
    await set_motion(hass, MOTION, "on")
    assert _ours_plays(speaker)
    clock.tick(timedelta(hours=4))  # longer than the longest session (3 h)

    await disk.restart(hass, loaded_entry)
    assert not _ours_plays(speaker)
    assert len(speaker.requests_to("PUT", "/me/player/pause")) == 1


async def test_music_the_user_started_meanwhile_is_not_ours_to_pause(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    disk = Disk(hass_storage, loaded_entry)
    disk.crash_at(speaker, "PUT", "/me/player/play")
    await set_motion(hass, MOTION, "on")
    speaker.user_play("spotify:album:someoneelses", device_id=SPEAKER_ID)

    await disk.restart(hass, loaded_entry)
    await advance(hass, clock, TIMEOUT * 2)
    assert speaker.requests_to("PUT", "/me/player/pause") == []
    assert speaker.playback is not None
    assert speaker.playback.is_playing


FADING = pytest.mark.parametrize(
    "rooms", [[{"title": "Bathroom", "data": room_data(fade_out_seconds=9)}]]
)


async def _start_fading(
    hass: HomeAssistant, speaker: FakeSpotify, clock: FrozenDateTimeFactory
) -> FakeDevice:
    """A session at volume 60 whose timeout has just come: the fade begins (60 → 45)."""
    device = speaker.device(SPEAKER_ID)
    assert device is not None
    device.volume_percent = 60
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    await advance(hass, clock, TIMEOUT)
    return device


async def _reload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


@FADING
async def test_a_crash_mid_fade_pauses_and_puts_the_volume_back(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    disk = Disk(hass_storage, loaded_entry)
    disk.crash_at(speaker, "PUT", "/me/player/volume")
    device = await _start_fading(hass, speaker, clock)
    assert device.volume_percent == 45
    assert disk.at_crash is not None

    await disk.restart(hass, loaded_entry)
    await advance(hass, clock, timedelta(seconds=9))
    # Ended on time, paused, and the volume the fade started from is back for the next use.
    assert not _ours_plays(speaker)
    assert device.volume_percent == 60


@FADING
async def test_an_unload_mid_fade_puts_the_volume_back_at_the_end(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
) -> None:
    """A reload (or restart) during the fade: the next session does not start at 45 %."""
    device = await _start_fading(hass, speaker, clock)
    await advance(hass, clock, timedelta(seconds=3))
    assert device.volume_percent == 30
    await _reload(hass, loaded_entry)
    await advance(hass, clock, timedelta(seconds=6))
    assert not _ours_plays(speaker)
    assert device.volume_percent == 60


@FADING
async def test_a_volume_changed_by_hand_after_the_fade_is_left_alone(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
) -> None:
    device = await _start_fading(hass, speaker, clock)
    await _reload(hass, loaded_entry)
    device.volume_percent = 52  # someone turned it up meanwhile
    await advance(hass, clock, timedelta(seconds=9))
    assert device.volume_percent == 52


@FADING
async def test_motion_after_a_restart_mid_fade_puts_the_volume_back(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
) -> None:
    device = await _start_fading(hass, speaker, clock)
    assert device.volume_percent == 45
    await _reload(hass, loaded_entry)
    await set_motion(hass, MOTION, "on")
    assert device.volume_percent == 60
    assert _ours_plays(speaker)


@pytest.mark.parametrize(
    "rooms",
    [[{"title": "Bathroom", "data": room_data()}, kitchen(follow_me=True, only_when_idle=False)]],
)
async def test_a_crash_mid_move_leaves_no_music_past_the_deadline(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Killed as the music moved to the kitchen: the kitchen settles it and pauses it."""
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    disk = Disk(hass_storage, loaded_entry)
    disk.crash_at(speaker, "PUT", "/me/player")
    await set_motion(hass, KITCHEN_MOTION, "on")
    await set_motion(hass, KITCHEN_MOTION, "off")
    assert _ours_plays(speaker, KITCHEN_SPEAKER)
    assert disk.at_crash is not None

    await disk.restart(hass, loaded_entry)
    assert _status(hass, "kitchen") == "playing"
    await advance(hass, clock, TIMEOUT)
    # Both rooms' deadlines have passed: nothing of ours plays anywhere.
    assert not _ours_plays(speaker, KITCHEN_SPEAKER)
    assert not _ours_plays(speaker, SPEAKER_ID)
    assert speaker.playback is not None
    assert speaker.playback.device_id == KITCHEN_SPEAKER
