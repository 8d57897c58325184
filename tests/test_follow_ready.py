"""Follow-me's approach for free: the room you leave is where you come from.

When nobody is left in a room whose owned session plays, the rooms that follow music (move or
join) read the playback ahead, as an approach sensor would make them: motion there within the
approach window sends only the request that moves the music.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import MOTION, SPEAKER_ID
from tests.fake_spotify import FakeSpotify
from tests.helpers import set_motion
from tests.test_approach import READ, sent
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


@pytest.mark.parametrize("rooms", [[bathroom(), kitchen(follow_mode="move")]])
async def test_leaving_a_playing_room_gets_the_follow_me_room_ready(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
) -> None:
    """No approach sensor: the bathroom you leave is the kitchen's approach."""
    await set_motion(hass, MOTION, "on")
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "off")  # the bathroom empties; its music plays on
    assert sent(speaker, mark) == [READ]  # the kitchen reads ahead, once
    clock.tick(timedelta(seconds=10))
    mark = len(speaker.requests)
    await set_motion(hass, KITCHEN_MOTION, "on")
    # The music moves with the one request that moves it: no read before it.
    assert calls(speaker, mark)[0] == ("PUT", "/me/player")
    assert READ not in calls(speaker, mark)
    assert speaker.playback is not None
    assert speaker.playback.device_id == KITCHEN_SPEAKER


@pytest.mark.parametrize("rooms", [[bathroom(), kitchen()]])
async def test_a_room_that_does_not_follow_reads_nothing_when_a_neighbour_empties(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    await set_motion(hass, MOTION, "on")
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "off")
    assert sent(speaker, mark) == []


@pytest.mark.parametrize("rooms", [[bathroom(), kitchen(follow_mode="move")]])
async def test_leaving_a_room_whose_music_is_not_ours_gets_nobody_ready(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    """Someone's own music plays in the bathroom (observed): it does not follow anybody."""
    speaker.user_play("spotify:album:someoneelses", device_id=SPEAKER_ID)
    await set_motion(hass, MOTION, "on")
    assert status(hass, "bathroom") == "observing"
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "off")
    assert sent(speaker, mark) == []


LIVING_MOTION = "binary_sensor.living_room_motion"


@pytest.mark.parametrize(
    "rooms",
    [
        [
            bathroom(),
            kitchen(follow_mode="move"),
            {
                "title": "Living room",
                "data": {
                    **kitchen(follow_mode="join")["data"],
                    "motion_entities": [LIVING_MOTION],
                    "spotify_device_id": "living-room-speaker",
                    "spotify_device_name": "Living room speaker",
                },
            },
        ]
    ],
)
async def test_the_rooms_that_follow_share_one_read(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    """Two rooms get ready for whoever left the bathroom: the account's playback is read once."""
    speaker.add_device("living-room-speaker", "Living room speaker")
    await set_motion(hass, MOTION, "on")
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "off")
    assert sent(speaker, mark) == [READ]
    await set_motion(hass, KITCHEN_MOTION, "on")  # the kitchen uses it: the music moves
    assert speaker.playback is not None
    assert speaker.playback.device_id == KITCHEN_SPEAKER
