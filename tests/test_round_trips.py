"""A start sends only what the playback read shows is still needed (issue: fewest round trips)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import set_motion

READ = ("GET", "/me/player")
PLAY = ("PUT", "/me/player/play")
VOLUME = ("PUT", "/me/player/volume")
SHUFFLE = ("PUT", "/me/player/shuffle")


@pytest.fixture
async def room(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def _paused_on_speaker(fake: FakeSpotify, *, volume: int, shuffle: bool) -> None:
    """The speaker is Spotify's active device, paused, with this volume and shuffle."""
    fake.user_play(PLAYLIST, SPEAKER_ID)
    fake.user_pause()
    assert fake.playback is not None
    fake.playback.shuffle = shuffle
    device = fake.device(SPEAKER_ID)
    assert device is not None
    device.volume_percent = volume


async def _start(hass: HomeAssistant, fake: FakeSpotify) -> list[tuple[str, str]]:
    mark = len(fake.requests)
    await set_motion(hass, MOTION, "on")
    return [(request.method, request.path) for request in fake.requests[mark:]]


@pytest.mark.parametrize("rooms", [[{"title": "Bathroom", "data": room_data(volume=30)}]])
async def test_speaker_already_set_needs_two_requests(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    _paused_on_speaker(speaker, volume=30, shuffle=True)
    assert await _start(hass, speaker) == [READ, PLAY]
    assert speaker.playback is not None
    assert speaker.playback.is_playing
    assert speaker.playback.context_uri == PLAYLIST


@pytest.mark.parametrize("rooms", [[{"title": "Bathroom", "data": room_data(volume=30)}]])
async def test_only_what_differs_is_sent_before_the_play(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    _paused_on_speaker(speaker, volume=60, shuffle=True)
    assert await _start(hass, speaker) == [READ, VOLUME, PLAY]
    assert speaker.requests_to(*VOLUME)[0].query == {
        "volume_percent": "30",
        "device_id": SPEAKER_ID,
    }


@pytest.mark.parametrize("rooms", [[{"title": "Bathroom", "data": room_data(volume=30)}]])
async def test_both_settings_go_out_together_before_the_play(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    _paused_on_speaker(speaker, volume=60, shuffle=False)
    speaker.delay("PUT", "/me/player/volume", 0.05)
    speaker.delay("PUT", "/me/player/shuffle", 0.05)
    calls = await _start(hass, speaker)
    assert calls[0] == READ
    assert sorted(calls[1:3]) == sorted([VOLUME, SHUFFLE])
    assert calls[3:] == [PLAY]
    volume, shuffle = speaker.requests_to(*VOLUME)[0], speaker.requests_to(*SHUFFLE)[0]
    # Concurrent: the second arrived before the first was answered (each takes 50 ms).
    assert abs(volume.time - shuffle.time) < 0.05
    device = speaker.device(SPEAKER_ID)
    assert device is not None
    assert device.volume_percent == 30
    assert speaker.playback is not None
    assert speaker.playback.shuffle is True


@pytest.mark.parametrize(
    "rooms",
    [[{"title": "Bathroom", "data": room_data(volume=30, only_when_idle=False)}]],
)
async def test_without_idle_check_play_goes_first_then_settings_together(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.delay("PUT", "/me/player/volume", 0.05)
    speaker.delay("PUT", "/me/player/shuffle", 0.05)
    calls = await _start(hass, speaker)
    assert calls[0] == PLAY
    assert sorted(calls[1:]) == sorted([VOLUME, SHUFFLE])
    volume, shuffle = speaker.requests_to(*VOLUME)[0], speaker.requests_to(*SHUFFLE)[0]
    assert abs(volume.time - shuffle.time) < 0.05


@pytest.mark.parametrize(
    ("rooms", "expected"),
    [
        pytest.param(
            [{"title": "Bathroom", "data": room_data()}],
            [READ, PLAY, SHUFFLE],
            id="default-idle-speaker",
        ),
        pytest.param(
            [{"title": "Bathroom", "data": room_data(volume=30)}],
            [READ, PLAY, VOLUME, SHUFFLE],
            id="volume-idle-speaker",
        ),
    ],
)
async def test_speaker_not_active_takes_settings_after_the_play(
    hass: HomeAssistant,
    room: MockConfigEntry,
    speaker: FakeSpotify,
    expected: list[tuple[str, str]],
) -> None:
    calls: list[Any] = await _start(hass, speaker)
    assert calls[:2] == expected[:2]
    assert sorted(calls[2:]) == sorted(expected[2:])
