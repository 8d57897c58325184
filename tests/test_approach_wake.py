"""An approach wakes a sleeping Spotify Connect speaker ahead (through its wake entity).

When someone is seen coming and the room's speaker is not in Spotify's list, it is woken then,
so motion in the room sends only the play; a speaker that is listed costs one device-list read.
"""

from __future__ import annotations

from unittest.mock import AsyncMock

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import MOTION, SPEAKER_ID, SPEAKER_NAME, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import set_motion
from tests.media_players import FakePlayers
from tests.test_approach import room  # noqa: F401 - a fixture

HALL = "binary_sensor.hallway_motion"
WAKE = "media_player.bathroom_cast"
READ = ("GET", "/me/player")
DEVICES = ("GET", "/me/player/devices")
PLAY = ("PUT", "/me/player/play")

pytestmark = pytest.mark.parametrize(
    "rooms",
    [[{"title": "Bathroom", "data": room_data(wake_entity=WAKE, approach_entities=[HALL])}]],
)


@pytest.fixture
def players(hass: HomeAssistant) -> FakePlayers:
    players = FakePlayers(hass)
    players.add(WAKE).set("off")
    return players


def sent(fake: FakeSpotify, mark: int) -> list[tuple[str, str]]:
    return [
        (r.method, r.path)
        for r in fake.requests[mark:]
        if (r.method, r.path) in (READ, DEVICES, PLAY)
    ]


async def test_a_sleeping_speaker_is_woken_when_someone_comes(
    hass: HomeAssistant,
    room: MockConfigEntry,
    players: FakePlayers,
    speaker: FakeSpotify,
    instant_backoff: AsyncMock,
) -> None:
    speaker.remove_device(SPEAKER_ID)
    players.hooks["turn_on"] = lambda data: speaker.add_device(SPEAKER_ID, SPEAKER_NAME)
    mark = len(speaker.requests)
    await set_motion(hass, HALL, "on")
    assert players.players[WAKE].since(0) == [("turn_on", {})]
    assert sent(speaker, mark) == [READ, DEVICES, DEVICES]  # read, not listed, woken, listed
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")
    assert sent(speaker, mark) == [PLAY]  # no 404, no wake on the way in


async def test_a_listed_speaker_costs_one_device_read(
    hass: HomeAssistant, room: MockConfigEntry, players: FakePlayers, speaker: FakeSpotify
) -> None:
    mark = len(speaker.requests)
    await set_motion(hass, HALL, "on")
    assert sent(speaker, mark) == [READ, DEVICES]
    assert players.players[WAKE].since(0) == []
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")
    assert sent(speaker, mark) == [PLAY]


async def test_a_renumbered_speaker_is_saved_at_the_approach(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.remove_device(SPEAKER_ID)
    speaker.add_device("new-id", SPEAKER_NAME)
    await set_motion(hass, HALL, "on")
    (subentry,) = room.subentries.values()
    assert subentry.data["spotify_device_id"] == "new-id"
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")
    assert sent(speaker, mark) == [PLAY]
    assert speaker.requests_to(*PLAY)[-1].query == {"device_id": "new-id"}


async def test_the_device_list_failing_costs_nothing_more(
    hass: HomeAssistant, room: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.fail(*DEVICES, 500, times=None)
    await set_motion(hass, HALL, "on")
    speaker.clear_faults()
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "on")
    assert sent(speaker, mark) == [READ, PLAY]  # the start reads for itself
