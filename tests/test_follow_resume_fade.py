"""Music that follows you, resume where you left off, and a gentle end, through Home Assistant.

Every test freezes the clock before set-up; requests are asserted in order against the fake.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance, set_motion
from tests.two_rooms import (  # noqa: F401 - clock and loaded_entry are fixtures
    KITCHEN_MOTION,
    KITCHEN_SPEAKER,
    bathroom,
    calls,
    clock,
    loaded_entry,
    status,
)

KITCHEN_PLAYLIST = "spotify:playlist:5ABHKGoOzxkaa28ttQV9sE"


def kitchen(**options: Any) -> dict[str, Any]:
    return {
        "title": "Kitchen",
        "data": room_data(
            motion_entities=[KITCHEN_MOTION],
            spotify_device_id=KITCHEN_SPEAKER,
            spotify_device_name="Kitchen speaker",
            source=KITCHEN_PLAYLIST,
            **options,
        ),
    }


def volumes(fake: FakeSpotify, mark: int) -> list[int]:
    return [
        int(request.query["volume_percent"])
        for request in fake.requests[mark:]
        if (request.method, request.path) == ("PUT", "/me/player/volume")
    ]


# --- music follows you -----------------------------------------------------------------------


@pytest.mark.parametrize("rooms", [[bathroom(), kitchen(follow_me=True, volume=30)]])
async def test_music_follows_into_the_next_room(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    mark = len(speaker.requests)
    await set_motion(hass, MOTION, "off")
    # Leaving the bathroom: the kitchen (music follows) reads ahead, once.
    assert calls(speaker, mark) == [("GET", "/me/player")]
    speaker.user_listened(83_000, track=3)
    track = speaker.playback.item_uri  # type: ignore[union-attr]

    mark = len(speaker.requests)
    await set_motion(hass, KITCHEN_MOTION, "on")

    # That read proved the bathroom's session plays; the move keeps track and position.
    assert calls(speaker, mark) == [
        ("PUT", "/me/player"),
        ("PUT", "/me/player/volume"),
    ]
    transfer = speaker.requests_to("PUT", "/me/player")[0]
    assert transfer.json == {"device_ids": [KITCHEN_SPEAKER], "play": True}
    assert volumes(speaker, mark) == [30]
    assert speaker.requests_to("PUT", "/me/player/volume")[0].query["device_id"] == KITCHEN_SPEAKER
    playback = speaker.playback
    assert playback is not None
    assert (playback.device_id, playback.context_uri, playback.item_uri) == (
        KITCHEN_SPEAKER,
        PLAYLIST,
        track,
    )
    assert playback.progress_ms == 83_000
    assert playback.is_playing
    # The bathroom's session moved: no pause, no cooldown; the kitchen owns the music now.
    (ended,) = events["session_ended"]
    assert ended.data["sensor"] == "Bathroom"
    assert ended.data["reason"] == "moved"
    assert ended.data["moved_to"] == "Kitchen"
    assert ended.data["owned"] is True
    assert speaker.requests_to("PUT", "/me/player/pause") == []
    assert status(hass, "bathroom") == "idle"
    assert status(hass, "kitchen") == "playing"
    started = events["session_started"][-1]
    assert (started.data["sensor"], started.data["owned"]) == ("Kitchen", True)

    # The kitchen's own end pauses the kitchen speaker: the music is its own now.
    await set_motion(hass, KITCHEN_MOTION, "off")
    mark = len(speaker.requests)
    await advance(hass, clock, timedelta(minutes=5))
    assert calls(speaker, mark) == [("GET", "/me/player"), ("PUT", "/me/player/pause")]
    assert speaker.requests_to("PUT", "/me/player/pause")[0].query["device_id"] == KITCHEN_SPEAKER
    assert events["session_ended"][-1].data["reason"] == "timeout"


@pytest.mark.parametrize("rooms", [[bathroom(), kitchen(follow_me=True)]])
async def test_observed_music_never_moves(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    speaker.user_play(PLAYLIST, SPEAKER_ID)  # the user plays in the bathroom by hand
    await set_motion(hass, MOTION, "on")
    assert status(hass, "bathroom") == "observing"

    mark = len(speaker.requests)
    await set_motion(hass, KITCHEN_MOTION, "on")
    assert calls(speaker, mark) == [("GET", "/me/player")]
    assert status(hass, "kitchen") == "observing"
    assert status(hass, "bathroom") == "observing"
    assert speaker.playback is not None
    assert speaker.playback.device_id == SPEAKER_ID


@pytest.mark.parametrize("rooms", [[bathroom(), kitchen(follow_me=True)]])
async def test_music_the_user_took_over_does_not_move(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    await set_motion(hass, MOTION, "on")
    speaker.user_play("spotify:album:4aawyAB9vmqN3uQ7FjRGTy", SPEAKER_ID)  # not ours any more

    mark = len(speaker.requests)
    await set_motion(hass, KITCHEN_MOTION, "on")
    assert ("PUT", "/me/player") not in calls(speaker, mark)
    assert status(hass, "kitchen") == "observing"  # only_when_idle: the account is busy
    assert status(hass, "bathroom") == "playing"


@pytest.mark.parametrize("rooms", [[bathroom(), kitchen(only_when_idle=False)]])
async def test_without_follow_me_each_room_starts_its_own(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    mark = len(speaker.requests)
    await set_motion(hass, KITCHEN_MOTION, "on")
    assert ("PUT", "/me/player") not in calls(speaker, mark)
    play = speaker.requests_to("PUT", "/me/player/play")[-1]
    assert play.json == {"context_uri": KITCHEN_PLAYLIST}
    assert events["session_ended"] == []


@pytest.mark.parametrize("rooms", [[kitchen(follow_me=True, only_when_idle=True)]])
async def test_follow_me_alone_starts_normally(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    mark = len(speaker.requests)
    await set_motion(hass, KITCHEN_MOTION, "on")
    assert calls(speaker, mark) == [
        ("GET", "/me/player"),
        ("PUT", "/me/player/play"),
        ("PUT", "/me/player/shuffle"),
    ]


# --- resume where you left off ---------------------------------------------------------------


@pytest.mark.parametrize("rooms", [[bathroom(resume_minutes=10, cooldown_minutes=0)]])
async def test_resume_within_the_window(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    speaker.user_listened(65_000, track=4)
    track = speaker.playback.item_uri  # type: ignore[union-attr]
    await advance(hass, clock, timedelta(minutes=5))  # timeout: read (the position), pause
    assert speaker.playback is not None
    assert not speaker.playback.is_playing
    speaker.stop_playback()  # something else played meanwhile, then nothing

    await advance(hass, clock, timedelta(minutes=10))  # exactly at the window's edge
    await set_motion(hass, MOTION, "on")
    play = speaker.requests_to("PUT", "/me/player/play")[-1]
    assert play.json == {"context_uri": PLAYLIST, "offset": {"uri": track}, "position_ms": 65_000}
    assert speaker.playback is not None
    assert (speaker.playback.item_uri, speaker.playback.progress_ms) == (track, 65_000)


@pytest.mark.parametrize("rooms", [[bathroom(resume_minutes=10, cooldown_minutes=0)]])
async def test_no_resume_after_the_window(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    speaker.user_listened(65_000, track=4)
    await advance(hass, clock, timedelta(minutes=5))
    await advance(hass, clock, timedelta(minutes=10, seconds=1))
    await set_motion(hass, MOTION, "on")
    assert speaker.requests_to("PUT", "/me/player/play")[-1].json == {"context_uri": PLAYLIST}


@pytest.mark.parametrize("rooms", [[bathroom(resume_minutes=10, cooldown_minutes=0)]])
async def test_no_resume_when_the_user_took_over(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    speaker.user_pause()  # released: nothing of ours to resume
    await advance(hass, clock, timedelta(minutes=5))
    await set_motion(hass, MOTION, "on")
    assert speaker.requests_to("PUT", "/me/player/play")[-1].json == {"context_uri": PLAYLIST}


# --- a gentle end ----------------------------------------------------------------------------


async def fading(hass: HomeAssistant, speaker: FakeSpotify, clock: FrozenDateTimeFactory) -> int:
    """Start, leave, and let the timeout begin the 9 s fade; return the request mark."""
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    mark = len(speaker.requests)
    await advance(hass, clock, timedelta(minutes=5))
    return mark


@pytest.mark.parametrize("rooms", [[bathroom(fade_out_seconds=9)]])
async def test_fade_out_then_pause_and_restore(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    device = speaker.device(SPEAKER_ID)
    assert device is not None
    device.volume_percent = 60
    mark = await fading(hass, speaker, clock)
    assert calls(speaker, mark) == [("GET", "/me/player"), ("PUT", "/me/player/volume")]
    assert status(hass, "bathroom") == "playing"
    await advance(hass, clock, timedelta(seconds=3))
    await advance(hass, clock, timedelta(seconds=3))
    assert volumes(speaker, mark) == [45, 30, 15]
    assert events["session_ended"] == []
    await advance(hass, clock, timedelta(seconds=3))

    assert calls(speaker, mark) == [
        ("GET", "/me/player"),
        ("PUT", "/me/player/volume"),
        ("PUT", "/me/player/volume"),
        ("PUT", "/me/player/volume"),
        ("GET", "/me/player"),
        ("PUT", "/me/player/pause"),
        ("PUT", "/me/player/volume"),
    ]
    assert len(calls(speaker, mark)) <= 2 + 5
    assert volumes(speaker, mark)[-1] == 60
    assert device.volume_percent == 60  # the next manual use is not silent
    assert speaker.playback is not None
    assert not speaker.playback.is_playing
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "timeout"
    assert status(hass, "bathroom") == "cooldown"


@pytest.mark.parametrize("rooms", [[bathroom(fade_out_seconds=9)]])
async def test_motion_during_the_fade_keeps_the_music(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    mark = await fading(hass, speaker, clock)
    await advance(hass, clock, timedelta(seconds=3))
    assert volumes(speaker, mark) == [37, 25]
    await set_motion(hass, MOTION, "on")

    # The volume goes back at once, and no further step or pause follows.
    assert volumes(speaker, mark) == [37, 25, 50]
    later = len(speaker.requests)
    await advance(hass, clock, timedelta(seconds=30))
    assert calls(speaker, later) == []
    assert speaker.playback is not None
    assert speaker.playback.is_playing
    assert status(hass, "bathroom") == "playing"
    assert events["session_ended"] == []


@pytest.mark.parametrize("rooms", [[bathroom(fade_out_seconds=9)]])
async def test_stop_during_the_fade_pauses_at_once(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    mark = await fading(hass, speaker, clock)
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.bathroom_stop_session"}, blocking=True
    )
    await hass.async_block_till_done()
    assert calls(speaker, mark)[-3:] == [
        ("GET", "/me/player"),
        ("PUT", "/me/player/pause"),
        ("PUT", "/me/player/volume"),
    ]
    assert volumes(speaker, mark) == [37, 50]
    later = len(speaker.requests)
    await advance(hass, clock, timedelta(seconds=30))
    assert calls(speaker, later) == []
    assert events["session_ended"][-1].data["reason"] == "manual"


@pytest.mark.parametrize("rooms", [[bathroom(fade_out_seconds=9)]])
async def test_no_fade_for_music_the_user_took_over(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    speaker.user_transfer("phone")
    mark = len(speaker.requests)
    await advance(hass, clock, timedelta(minutes=5))
    await advance(hass, clock, timedelta(seconds=9))
    assert calls(speaker, mark) == [("GET", "/me/player"), ("GET", "/me/player")]
    assert events["session_ended"][-1].data["reason"] == "released"


# --- the less common paths -------------------------------------------------------------------

TRACK = "spotify:track:4uLU6hMCjMI75M1A2tKUQC"
ARTIST = "spotify:artist:0OdUWJ0sBjDrqHygGUXeCF"


RESUMING = {"resume_minutes": 10, "cooldown_minutes": 0}


@pytest.mark.parametrize(
    ("rooms", "body"),
    [
        # A track resumes at its position.
        ([bathroom(source=TRACK, **RESUMING)], {"uris": [TRACK], "position_ms": 65_000}),
        # An artist cannot start at one of its tracks: from the top.
        ([bathroom(source=ARTIST, **RESUMING)], {"context_uri": ARTIST}),
    ],
    ids=["track", "artist"],
)
async def test_resume_by_kind_of_source(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    body: dict[str, Any],
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    speaker.user_listened(65_000)
    await advance(hass, clock, timedelta(minutes=5))
    await set_motion(hass, MOTION, "on")
    assert speaker.requests_to("PUT", "/me/player/play")[-1].json == body


@pytest.mark.parametrize("rooms", [[bathroom(fade_out_seconds=9)]])
async def test_a_speaker_refusing_the_fade_still_pauses(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    speaker.fail("PUT", "/me/player/volume", 403, times=None, reason="VOLUME_CONTROL_DISALLOW")
    mark = await fading(hass, speaker, clock)
    await advance(hass, clock, timedelta(seconds=9))
    assert calls(speaker, mark) == [
        ("GET", "/me/player"),
        ("PUT", "/me/player/volume"),  # refused: no more steps, nothing to put back
        ("GET", "/me/player"),
        ("PUT", "/me/player/pause"),
    ]
    assert events["session_ended"][-1].data["reason"] == "timeout"


@pytest.mark.parametrize("rooms", [[bathroom(fade_out_seconds=9)]])
async def test_a_failed_fade_read_still_pauses(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    speaker.fail("GET", "/me/player", 503, times=3)
    mark = len(speaker.requests)
    await advance(hass, clock, timedelta(minutes=5))
    assert volumes(speaker, mark) == []
    await advance(hass, clock, timedelta(seconds=9))
    assert calls(speaker, mark)[-2:] == [("GET", "/me/player"), ("PUT", "/me/player/pause")]
    assert volumes(speaker, mark) == []
    assert events["session_ended"][-1].data["reason"] == "timeout"


@pytest.mark.parametrize("rooms", [[bathroom(fade_out_seconds=9)]])
async def test_a_refused_restore_is_only_logged(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mark = await fading(hass, speaker, clock)
    assert volumes(speaker, mark) == [37]
    speaker.fail("PUT", "/me/player/volume", 403, times=None)
    await set_motion(hass, MOTION, "on")
    assert "Could not restore the volume" in caplog.text
    assert status(hass, "bathroom") == "playing"


@pytest.mark.parametrize("rooms", [[bathroom(fade_out_seconds=9)]])
async def test_unloading_during_a_fade_sends_no_more_steps(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
) -> None:
    mark = await fading(hass, speaker, clock)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    later = len(speaker.requests)
    await advance(hass, clock, timedelta(seconds=9))
    assert calls(speaker, later) == []
    assert volumes(speaker, mark) == [37]


@pytest.mark.parametrize("rooms", [[bathroom(fade_out_seconds=9), kitchen(follow_me=True)]])
async def test_music_moving_during_a_fade_gets_its_old_speaker_volume_back(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
    events: dict[str, list[Any]],
) -> None:
    mark = await fading(hass, speaker, clock)
    await set_motion(hass, KITCHEN_MOTION, "on")
    assert calls(speaker, mark) == [
        ("GET", "/me/player"),
        ("PUT", "/me/player/volume"),  # the fade's first step in the bathroom
        ("GET", "/me/player"),
        ("PUT", "/me/player"),  # the music moves to the kitchen
        ("PUT", "/me/player/volume"),  # the bathroom speaker's volume back (no pause)
    ]
    assert speaker.requests_to("PUT", "/me/player/volume")[-1].query == {
        "volume_percent": "50",
        "device_id": SPEAKER_ID,
    }
    assert events["session_ended"][-1].data["reason"] == "moved"
    assert speaker.requests_to("PUT", "/me/player/pause") == []


# --- rooms that play on a Home Assistant media player ---------------------------------------

PLAYER = "media_player.kitchen"
PLAYER_FEATURES = 0x0001 | 0x0004 | 0x0200 | 0x4000 | 0x8000  # pause, volume, play_media, ...


def player_room(**options: Any) -> dict[str, Any]:
    room = kitchen(**options)
    room["data"] = {**room["data"], "media_player_entity": PLAYER}
    return room


def set_player(hass: HomeAssistant, state: str, **attributes: Any) -> None:
    hass.states.async_set(
        PLAYER, state, {"supported_features": PLAYER_FEATURES, "volume_level": 0.6, **attributes}
    )


@pytest.mark.parametrize("rooms", [[bathroom(), player_room(follow_me=True, only_when_idle=False)]])
async def test_a_media_player_room_takes_a_spotify_rooms_music(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    """Between kinds: the bathroom's Spotify music starts on the kitchen's player, and the
    bathroom speaker is paused (it still played the bathroom's session)."""
    set_player(hass, "idle")
    play_media = async_mock_service(hass, "media_player", "play_media")
    await set_motion(hass, MOTION, "on")
    mark = len(speaker.requests)

    await set_motion(hass, KITCHEN_MOTION, "on")
    assert [call.data["media_content_id"] for call in play_media] == [PLAYLIST]
    assert ("PUT", "/me/player") not in calls(speaker, mark)  # no Spotify transfer
    assert speaker.requests_to("PUT", "/me/player/pause")[-1].query == {"device_id": SPEAKER_ID}
    (ended,) = events["session_ended"]
    assert (ended.data["reason"], ended.data["moved_to"]) == ("moved", "Kitchen")


@pytest.mark.parametrize(
    "rooms", [[player_room(fade_out_seconds=9, only_when_idle=False, resume_minutes=5)]]
)
async def test_a_media_player_fades_with_volume_set(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    clock: FrozenDateTimeFactory,
) -> None:
    set_player(hass, "idle")
    async_mock_service(hass, "media_player", "play_media")
    async_mock_service(hass, "media_player", "shuffle_set")
    volume_set = async_mock_service(hass, "media_player", "volume_set")
    pause = async_mock_service(hass, "media_player", "media_pause")
    await set_motion(hass, KITCHEN_MOTION, "on")
    set_player(hass, "playing", media_content_id=KITCHEN_PLAYLIST)
    await set_motion(hass, KITCHEN_MOTION, "off")
    await advance(hass, clock, timedelta(minutes=5))
    await advance(hass, clock, timedelta(seconds=3))
    await advance(hass, clock, timedelta(seconds=3))
    assert [call.data["volume_level"] for call in volume_set] == [0.45, 0.3, 0.15]
    assert pause == []
    await advance(hass, clock, timedelta(seconds=3))
    assert len(pause) == 1
    assert volume_set[-1].data["volume_level"] == 0.6
    assert status(hass, "kitchen") == "cooldown"


@pytest.mark.parametrize("rooms", [[bathroom(follow_me=True), kitchen(follow_me=True)]])
async def test_walking_back_brings_the_music_back(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    await set_motion(hass, KITCHEN_MOTION, "on")
    await set_motion(hass, KITCHEN_MOTION, "off")
    speaker.user_listened(120_000)
    await set_motion(hass, MOTION, "on")  # no cooldown after a move: back it comes

    transfers = speaker.requests_to("PUT", "/me/player")
    assert [request.json["device_ids"] for request in transfers] == [
        [KITCHEN_SPEAKER],
        [SPEAKER_ID],
    ]
    assert speaker.playback is not None
    assert (speaker.playback.device_id, speaker.playback.progress_ms) == (SPEAKER_ID, 120_000)
    assert [(e.data["sensor"], e.data["moved_to"]) for e in events["session_ended"]] == [
        ("Bathroom", "Kitchen"),
        ("Kitchen", "Bathroom"),
    ]
    assert len(speaker.requests_to("PUT", "/me/player/play")) == 1
    assert speaker.requests_to("PUT", "/me/player/pause") == []
    assert (status(hass, "bathroom"), status(hass, "kitchen")) == ("playing", "idle")
