"""Follow-me at its border: lost transfer answers, a renumbered speaker, one read, time limits."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.spottypottysense.const import DOMAIN
from custom_components.spottypottysense.spotify_api import SpotifyClient
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance, set_motion
from tests.two_rooms import (  # noqa: F401 - the fixtures are used by name
    KITCHEN_MOTION,
    KITCHEN_SPEAKER,
    bathroom,
    calls,
    clock,
    kitchen,
    loaded_entry,
    status,
)

TIMEOUT = timedelta(minutes=5)
FOLLOWING = [[bathroom(), kitchen(follow_me=True, only_when_idle=False)]]
TRANSFER = ("PUT", "/me/player")


@pytest.fixture(autouse=True)
def short_timeout() -> Generator[None]:
    """The client gives up after 0.3 s (instead of 10 s), so a late answer is quick to test."""
    defaults = SpotifyClient.__init__.__kwdefaults__
    assert defaults is not None
    with patch.dict(defaults, {"timeout": 0.3}):
        yield


async def _bathroom_plays_then_kitchen(hass: HomeAssistant) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    await set_motion(hass, KITCHEN_MOTION, "on")
    await set_motion(hass, KITCHEN_MOTION, "off")


def _plays_on(fake: FakeSpotify, device: str) -> bool:
    playback = fake.playback
    return playback is not None and playback.is_playing and playback.device_id == device


@pytest.mark.parametrize("rooms", FOLLOWING)
async def test_a_transfer_done_but_answered_with_502_is_settled_by_one_read(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    speaker.fail(*TRANSFER, 502, after_acting=True, times=None)
    await _bathroom_plays_then_kitchen(hass)

    # The music moved (Spotify did it); the kitchen owns it and the bathroom ended as moved.
    assert _plays_on(speaker, KITCHEN_SPEAKER)
    assert status(hass, "kitchen") == "playing"
    assert events["session_ended"][0].data["reason"] == "moved"
    started = events["session_started"][-1].data
    assert (started["room"], started["moved"], started["moved_from"]) == (
        "Kitchen",
        True,
        "Bathroom",
    )
    assert events["playback_failed"] == []
    await advance(hass, clock, TIMEOUT)
    assert not _plays_on(speaker, KITCHEN_SPEAKER)


@pytest.mark.parametrize("rooms", FOLLOWING)
async def test_a_transfer_answered_too_late_is_settled_by_one_read(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
) -> None:
    speaker.answer_late(*TRANSFER, 1.0, times=None)
    await _bathroom_plays_then_kitchen(hass)
    assert _plays_on(speaker, KITCHEN_SPEAKER)
    assert status(hass, "kitchen") == "playing"
    await advance(hass, clock, TIMEOUT)
    assert not _plays_on(speaker, KITCHEN_SPEAKER)


@pytest.mark.parametrize("rooms", FOLLOWING)
async def test_a_transfer_that_failed_leaves_the_music_to_its_room(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    """Not carried out: the bathroom keeps its session and pauses it at its own deadline."""
    speaker.fail(*TRANSFER, 502, times=None)
    await _bathroom_plays_then_kitchen(hass)
    assert _plays_on(speaker, SPEAKER_ID)
    assert status(hass, "bathroom") == "playing"
    assert len(events["playback_failed"]) == 1
    await advance(hass, clock, TIMEOUT)
    assert not _plays_on(speaker, SPEAKER_ID)
    assert not _plays_on(speaker, KITCHEN_SPEAKER)


@pytest.mark.parametrize("rooms", FOLLOWING)
async def test_a_follow_into_a_renumbered_speaker_finds_it_by_name(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    speaker.remove_device(KITCHEN_SPEAKER)
    speaker.add_device("kitchen-speaker-2", "Kitchen speaker")

    await set_motion(hass, KITCHEN_MOTION, "on")
    assert _plays_on(speaker, "kitchen-speaker-2")
    assert status(hass, "kitchen") == "playing"
    kitchen_room = next(sub for sub in loaded_entry.subentries.values() if sub.title == "Kitchen")
    assert kitchen_room.data["spotify_device_id"] == "kitchen-speaker-2"
    await set_motion(hass, KITCHEN_MOTION, "off")
    await advance(hass, clock, TIMEOUT)
    assert not _plays_on(speaker, "kitchen-speaker-2")


@pytest.mark.parametrize("rooms", [[bathroom(), kitchen(follow_me=True)]])
async def test_a_follow_me_room_reads_once_when_nothing_moves(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    """The bathroom's music was paused by hand: the one read serves follow-me and idle alike."""
    await set_motion(hass, MOTION, "on")
    speaker.user_pause()
    mark = len(speaker.requests)
    await set_motion(hass, KITCHEN_MOTION, "on")
    sent = calls(speaker, mark)
    assert sent.count(("GET", "/me/player")) == 1
    assert sent.count(("PUT", "/me/player/play")) == 1
    assert len(sent) <= 4  # the README's promise: at most 4 requests to start
    assert speaker.playback is not None
    assert (speaker.playback.device_id, speaker.playback.context_uri) == (
        KITCHEN_SPEAKER,
        PLAYLIST,
    )


@pytest.mark.parametrize("rooms", [[bathroom(), kitchen(follow_me=True)]])
async def test_a_follow_me_room_observes_other_music_with_its_one_read(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
) -> None:
    await set_motion(hass, MOTION, "on")
    speaker.user_play("spotify:album:someoneelses", device_id=SPEAKER_ID)
    mark = len(speaker.requests)
    await set_motion(hass, KITCHEN_MOTION, "on")
    assert calls(speaker, mark) == [("GET", "/me/player")]
    assert status(hass, "kitchen") == "observing"


@pytest.mark.parametrize("rooms", FOLLOWING)
async def test_device_triggers_see_the_music_move(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    calls = async_mock_service(hass, "test", "automation")
    devices = {
        sub.title: dr.async_get(hass).async_get_device_by_identifier(
            (DOMAIN, sub.subentry_id), loaded_entry.entry_id
        )
        for sub in loaded_entry.subentries.values()
    }
    automations = [
        {
            "triggers": [
                {
                    "platform": "device",
                    "domain": DOMAIN,
                    "device_id": devices[room].id,  # type: ignore[union-attr]
                    "type": kind,
                }
            ],
            "actions": {"action": "test.automation", "data": {"what": f"{room} {kind}"}},
        }
        for room, kind in (("Kitchen", "music_moved_here"), ("Bathroom", "music_moved_away"))
    ]
    assert await async_setup_component(hass, "automation", {"automation": automations})
    await set_motion(hass, MOTION, "on")
    assert calls == []  # an ordinary start is not a move
    await _bathroom_plays_then_kitchen(hass)
    assert sorted(call.data["what"] for call in calls) == [
        "Bathroom music_moved_away",
        "Kitchen music_moved_here",
    ]
