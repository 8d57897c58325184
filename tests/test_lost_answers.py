"""A play Spotify carried out but whose answer was lost must never leave music playing.

Spotify sometimes acts on a play and then answers 502, or answers after the client has given
up. The room reads the playback once: if our source plays on our speaker the session is ours
and ends (with a pause) like any other; a play is never blindly sent twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spottypottysense.speaker import PlayRequest, SpeakerError
from custom_components.spottypottysense.speaker_spotify import SpotifyConnectSpeaker
from custom_components.spottypottysense.spotify_api import SpotifyClient
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance, set_motion

STATUS = "sensor.bathroom_status"
READ = ("GET", "/me/player")
PLAY = ("PUT", "/me/player/play")
SHUFFLE = ("PUT", "/me/player/shuffle")
PAUSE = ("PUT", "/me/player/pause")


@pytest.fixture(autouse=True)
def short_timeout() -> Generator[None]:
    """The client gives up after 0.3 s (instead of 10 s), so a late answer is quick to test."""
    defaults = SpotifyClient.__init__.__kwdefaults__
    assert defaults is not None
    with patch.dict(defaults, {"timeout": 0.3}):
        yield


@pytest.fixture
async def room(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The bathroom set up with the clock frozen first (the tests move it)."""
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def _since(fake: FakeSpotify, mark: int) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request in fake.requests[mark:]]


def _status(hass: HomeAssistant) -> str:
    state = hass.states.get(STATUS)
    assert state is not None
    return state.state


def _nothing_of_ours_plays(fake: FakeSpotify) -> bool:
    playback = fake.playback
    return playback is None or not playback.is_playing or playback.context_uri != PLAYLIST


async def _leave_and_time_out(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, timedelta(minutes=5))


async def test_502_after_acting_is_adopted_and_paused_at_the_end(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    room: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    speaker.fail("PUT", "/me/player/play", 502, after_acting=True)
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")

    # One play only (a replay would restart the playlist), then one read to find out.
    assert _since(speaker, mark) == [READ, PLAY, READ, SHUFFLE]
    assert _status(hass) == "playing"
    assert events["playback_failed"] == []
    assert events["session_started"][0].data["owned"] is True

    await _leave_and_time_out(hass, freezer)
    assert _since(speaker, mark)[-2:] == [READ, PAUSE]
    assert _nothing_of_ours_plays(speaker)
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "timeout"
    assert ended.data["owned"] is True


async def test_answer_after_the_timeout_is_adopted_and_paused_at_the_end(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    room: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    speaker.answer_late("PUT", "/me/player/play", 30)
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")

    assert _since(speaker, mark) == [READ, PLAY, READ, SHUFFLE]
    assert _status(hass) == "playing"
    assert events["playback_failed"] == []

    await _leave_and_time_out(hass, freezer)
    assert _nothing_of_ours_plays(speaker)
    assert events["session_ended"][0].data["reason"] == "timeout"


async def test_room_emptied_while_the_answer_was_lost_pauses_at_once(
    hass: HomeAssistant,
    room: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    """The session was stopped before the read showed our music: it is paused right away."""
    speaker.answer_late("PUT", "/me/player/play", 30)
    hass.states.async_set(MOTION, "on", {"device_class": "motion"})
    for _ in range(5):
        await asyncio.sleep(0)
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.bathroom_stop_session"}, blocking=True
    )
    await hass.async_block_till_done()

    assert len(speaker.requests_to("PUT", "/me/player/play")) == 1
    assert [r.query.get("device_id") for r in speaker.requests_to(*PAUSE)] == [SPEAKER_ID]
    assert _nothing_of_ours_plays(speaker)
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "manual"


async def test_5xx_that_did_not_act_is_played_once_more_after_the_read(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify, events: dict[str, list[Any]]
) -> None:
    speaker.fail("PUT", "/me/player/play", 503)
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")

    # The read proved nothing of ours plays, so a second play is safe.
    assert _since(speaker, mark) == [READ, PLAY, READ, PLAY, SHUFFLE]
    assert speaker.playback is not None
    assert speaker.playback.is_playing
    assert _status(hass) == "playing"
    assert events["playback_failed"] == []


async def test_play_failing_for_good_fails_and_leaves_nothing_playing(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify, events: dict[str, list[Any]]
) -> None:
    speaker.fail("PUT", "/me/player/play", 502, times=None)
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")

    assert _since(speaker, mark) == [READ, PLAY, READ, PLAY, READ]
    assert _status(hass) == "error"
    (failed,) = events["playback_failed"]
    assert failed.data["error"] == "cannot_connect"
    assert _nothing_of_ours_plays(speaker)


async def test_other_music_after_a_lost_answer_is_not_adopted(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify, events: dict[str, list[Any]]
) -> None:
    """The read shows someone else's music on the phone: not ours, never paused by us."""

    original = speaker._play

    def play_elsewhere(call: Any) -> Any:
        response = original(call)
        speaker.user_play("spotify:album:1ATL5GLyefJaxhQzSPVrLX", "phone")
        return response

    speaker._routes["PUT", "/me/player/play"] = play_elsewhere
    speaker.fail("PUT", "/me/player/play", 502, times=None, after_acting=True)
    await set_motion(hass, MOTION, "on")

    assert _status(hass) == "error"
    assert events["playback_failed"][0].data["error"] == "cannot_connect"
    assert speaker.requests_to(*PAUSE) == []
    assert speaker.playback is not None
    assert speaker.playback.is_playing  # the other music plays on, untouched


async def test_lost_answer_for_a_single_track_is_adopted(
    hass: HomeAssistant, speaker: FakeSpotify, spotify_client: SpotifyClient
) -> None:
    track = "spotify:track:4uLU6hMCjMI75M1A2tKUQC"
    room_speaker = SpotifyConnectSpeaker(spotify_client, SPEAKER_ID, "Bathroom speaker")
    speaker.fail("PUT", "/me/player/play", 502, after_acting=True)
    outcome = await room_speaker.async_start(PlayRequest(track, None, False, False))
    assert outcome.adopted
    assert outcome.context_uri is None


async def test_read_failing_after_a_lost_answer_fails_without_a_replay(
    hass: HomeAssistant, speaker: FakeSpotify, spotify_client: SpotifyClient
) -> None:
    room_speaker = SpotifyConnectSpeaker(spotify_client, SPEAKER_ID, "Bathroom speaker")
    speaker.fail("PUT", "/me/player/play", 502, times=None)
    speaker.fail("GET", "/me/player", 400, times=None)
    with pytest.raises(SpeakerError, match="cannot_connect"):
        await room_speaker.async_start(PlayRequest(PLAYLIST, None, True, False))
    # Whether the play acted is unknown: it is not sent again (it could restart the playlist).
    assert len(speaker.requests_to(*PLAY)) == 1
