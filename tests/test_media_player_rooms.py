"""Rooms that play on a Home Assistant media player, with every session rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spottypottysense.const import DOMAIN, SUBENTRY_TYPE_ROOM
from custom_components.spottypottysense.records import EndReason, SessionRecord
from custom_components.spottypottysense.speaker import (
    NowPlaying,
    PlayRequest,
    SpeakerError,
    SpeakerKind,
)
from custom_components.spottypottysense.speaker_media_player import (
    MediaPlayerSpeaker,
    content_type,
)
from custom_components.spottypottysense.spotify_api import SpotifyClient
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance, set_motion
from tests.media_players import BASIC, FULL, STOP_ONLY, FakePlayer, FakePlayers

PLAYER = "media_player.bathroom_sonos"
STATUS = "sensor.bathroom_status"
ALBUM = "spotify:album:4aawyAB9vmqN3uQ7FjRGTy"
# A Tuesday noon, far from quiet hours at night.
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=dt_util.UTC)


def media_data(**overrides: Any) -> dict[str, Any]:
    """A room playing on PLAYER (no Spotify Connect device)."""
    data = {
        key: value
        for key, value in room_data(**overrides).items()
        if key not in ("spotify_device_id", "spotify_device_name")
    }
    return {"media_player_entity": PLAYER, **data}


def media_room(**overrides: Any) -> list[dict[str, Any]]:
    return [{"title": "Bathroom", "data": media_data(**overrides)}]


@pytest.fixture
def players(hass: HomeAssistant) -> FakePlayers:
    return FakePlayers(hass)


@pytest.fixture
def features() -> int:
    return FULL


@pytest.fixture
def player(players: FakePlayers, features: int) -> FakePlayer:
    return players.add(PLAYER, features, volume_level=0.5, shuffle=False)


@pytest.fixture
async def room(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    speaker: FakeSpotify,
    player: FakePlayer,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The room set up with the clock frozen first at NOON (the tests move it)."""
    freezer.move_to(NOON)
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def _status(hass: HomeAssistant) -> str:
    state = hass.states.get(STATUS)
    assert state is not None
    return state.state


async def _end_by_timeout(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, timedelta(minutes=5))


# ---- starting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rooms", [media_room(volume=30)])
async def test_start_sets_volume_plays_and_shuffles(
    hass: HomeAssistant,
    room: MockConfigEntry,
    player: FakePlayer,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")

    assert player.since(0) == [
        ("volume_set", {"volume_level": 0.3}),
        ("play_media", {"media_content_id": PLAYLIST, "media_content_type": "playlist"}),
        ("shuffle_set", {"shuffle": True}),
    ]
    assert all(data["entity_id"] == PLAYER for _, data in player.calls)
    assert _status(hass) == "playing"
    (started,) = events["session_started"]
    assert started.data["owned"] is True
    # Spotify itself is only read (only_when_idle), never commanded.
    assert [(r.method, r.path) for r in speaker.requests[1:]] == [("GET", "/me/player")]


@pytest.mark.parametrize("features", [BASIC])
@pytest.mark.parametrize("rooms", [media_room(volume=30)])
async def test_player_without_volume_or_shuffle_gets_only_play_media(
    hass: HomeAssistant, room: MockConfigEntry, player: FakePlayer
) -> None:
    await set_motion(hass, MOTION, "on")
    assert player.since(0) == [
        ("play_media", {"media_content_id": PLAYLIST, "media_content_type": "playlist"}),
    ]


@pytest.mark.parametrize("rooms", [media_room(volume=50, shuffle=False)])
async def test_settings_already_right_are_not_sent(
    hass: HomeAssistant, room: MockConfigEntry, player: FakePlayer
) -> None:
    await set_motion(hass, MOTION, "on")
    assert [service for service, _ in player.calls] == ["play_media"]


@pytest.mark.parametrize("rooms", [media_room(source="")])
async def test_nothing_to_play_resumes_the_player(
    hass: HomeAssistant, room: MockConfigEntry, player: FakePlayer
) -> None:
    await set_motion(hass, MOTION, "on")
    assert player.since(0) == [("media_play", {})]
    assert _status(hass) == "playing"


@pytest.mark.parametrize(
    ("uri", "kind"),
    [
        (PLAYLIST, "playlist"),
        (ALBUM, "album"),
        ("spotify:artist:0OdUWJ0sBjDrqHygGUXeCF", "artist"),
        ("spotify:track:4uLU6hMCjMI75M1A2tKUQC", "track"),
        ("spotify:episode:512ojhOuo1ktJprKbVcKyQ", "episode"),
        ("spotify:show:38bS44xjbVVZ3No3ByF1dJ", "show"),
        ("spotify:user:someone:collection", "playlist"),
    ],
)
def test_content_type_matches_the_uri(uri: str, kind: str) -> None:
    assert content_type(uri) == kind


@pytest.mark.parametrize("rooms", [media_room(source=ALBUM)])
async def test_album_is_played_as_an_album(
    hass: HomeAssistant, room: MockConfigEntry, player: FakePlayer
) -> None:
    await set_motion(hass, MOTION, "on")
    assert ("play_media", {"media_content_id": ALBUM, "media_content_type": "album"}) in (
        player.since(0)
    )


@pytest.mark.parametrize("rooms", [media_room()])
async def test_repeated_motion_makes_no_call(
    hass: HomeAssistant, room: MockConfigEntry, player: FakePlayer
) -> None:
    await set_motion(hass, MOTION, "on")
    mark = len(player.calls)
    for _ in range(5):
        await set_motion(hass, MOTION, "off")
        await set_motion(hass, MOTION, "on")
    assert player.since(mark) == []


# ---- ending and ownership ---------------------------------------------------------------------


@pytest.mark.parametrize("rooms", [media_room()])
async def test_timeout_pauses_with_one_call_then_cooldown(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    room: MockConfigEntry,
    player: FakePlayer,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    await set_motion(hass, MOTION, "off")
    mark = len(player.calls)
    await advance(hass, freezer, timedelta(minutes=4, seconds=59))
    assert player.since(mark) == []
    await advance(hass, freezer, timedelta(seconds=1))

    assert player.since(mark) == [("media_pause", {})]
    assert player.state == "paused"
    (ended,) = events["session_ended"]
    assert ended.data["reason"] == "timeout"
    assert ended.data["owned"] is True
    assert _status(hass) == "cooldown"

    # Motion during the cooldown starts nothing; after it, it does.
    mark = len(player.calls)
    await set_motion(hass, MOTION, "on")
    assert player.since(mark) == []
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, timedelta(minutes=2))
    await set_motion(hass, MOTION, "on")
    # Shuffle is still on from the first session: only the play.
    assert [service for service, _ in player.since(mark)] == ["play_media"]


@pytest.mark.parametrize("features", [STOP_ONLY])
@pytest.mark.parametrize("rooms", [media_room()])
async def test_player_that_cannot_pause_is_stopped(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, room: MockConfigEntry, player: FakePlayer
) -> None:
    await set_motion(hass, MOTION, "on")
    mark = len(player.calls)
    await _end_by_timeout(hass, freezer)
    assert player.since(mark) == [("media_stop", {})]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"state": "playing", "media_content_id": "x-sonos-radio:s1234"}, id="other"),
        pytest.param({"state": "paused"}, id="paused"),
        pytest.param({"state": "off"}, id="off"),
    ],
)
@pytest.mark.parametrize("rooms", [media_room()])
async def test_user_taking_over_releases_without_a_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    room: MockConfigEntry,
    player: FakePlayer,
    events: dict[str, list[Any]],
    change: dict[str, Any],
) -> None:
    await set_motion(hass, MOTION, "on")
    state = change.pop("state")
    player.set(state, **change)
    mark = len(player.calls)
    await _end_by_timeout(hass, freezer)

    assert player.since(mark) == []
    assert player.state == state
    assert events["session_ended"][0].data["reason"] == "released"


@pytest.mark.parametrize("rooms", [media_room()])
async def test_player_reporting_the_track_is_ours_while_spotify_plays_our_playlist(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    room: MockConfigEntry,
    player: FakePlayer,
    speaker: FakeSpotify,
) -> None:
    """Cast and core's Spotify player report the current track, not the playlist we started."""
    await set_motion(hass, MOTION, "on")
    speaker.user_play(PLAYLIST, SPEAKER_ID)  # the account plays our playlist (on the player)
    player.set("playing", media_content_id="spotify:track:4uLU6hMCjMI75M1A2tKUQC")
    mark = len(player.calls)
    await _end_by_timeout(hass, freezer)
    assert player.since(mark) == [("media_pause", {})]


@pytest.mark.parametrize("rooms", [media_room()])
async def test_busy_player_is_only_observed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    room: MockConfigEntry,
    player: FakePlayer,
    events: dict[str, list[Any]],
) -> None:
    player.set("playing", media_content_id="x-sonos-radio:s1234")
    await set_motion(hass, MOTION, "on")
    assert player.calls == []
    assert _status(hass) == "observing"
    await _end_by_timeout(hass, freezer)
    assert player.calls == []
    assert events["session_ended"][0].data["owned"] is False


@pytest.mark.parametrize("rooms", [media_room()])
async def test_spotify_account_playing_elsewhere_counts_as_busy(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    room: MockConfigEntry,
    player: FakePlayer,
    speaker: FakeSpotify,
) -> None:
    speaker.user_play(ALBUM, "phone")
    await set_motion(hass, MOTION, "on")
    assert player.calls == []
    assert _status(hass) == "observing"
    await _end_by_timeout(hass, freezer)
    assert player.calls == []
    assert speaker.playback is not None
    assert speaker.playback.is_playing


@pytest.mark.parametrize("rooms", [media_room(only_when_idle=False)])
async def test_without_idle_check_a_busy_player_is_taken_over(
    hass: HomeAssistant, room: MockConfigEntry, player: FakePlayer, speaker: FakeSpotify
) -> None:
    player.set("playing", media_content_id="x-sonos-radio:s1234")
    reads = len(speaker.requests)
    await set_motion(hass, MOTION, "on")
    assert [service for service, _ in player.calls] == ["play_media", "shuffle_set"]
    assert len(speaker.requests) == reads  # no Spotify request at all


# ---- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize("rooms", [media_room()])
async def test_unavailable_player_fails_with_a_repair_until_the_next_good_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    room: MockConfigEntry,
    player: FakePlayer,
    events: dict[str, list[Any]],
    issue_registry: ir.IssueRegistry,
) -> None:
    subentry_id = next(iter(room.subentries))
    player.set("unavailable")
    await set_motion(hass, MOTION, "on")

    assert player.calls == []
    assert _status(hass) == "error"
    (failed,) = events["playback_failed"]
    assert failed.data["error"] == "player_unavailable"
    issue = issue_registry.async_get_issue(DOMAIN, f"speaker_missing_{subentry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"room": "Bathroom", "speaker": PLAYER}

    player.set("idle")
    await set_motion(hass, MOTION, "off")
    await advance(hass, freezer, timedelta(minutes=3))
    await set_motion(hass, MOTION, "on")
    assert _status(hass) == "playing"
    assert issue_registry.async_get_issue(DOMAIN, f"speaker_missing_{subentry_id}") is None


@pytest.mark.parametrize("rooms", [media_room()])
async def test_failing_play_call_is_player_unavailable(
    hass: HomeAssistant,
    room: MockConfigEntry,
    player: FakePlayer,
    events: dict[str, list[Any]],
) -> None:
    player.failing = True
    await set_motion(hass, MOTION, "on")
    assert [service for service, _ in player.calls] == ["play_media"]
    assert _status(hass) == "error"
    assert events["playback_failed"][0].data["error"] == "player_unavailable"


@pytest.mark.parametrize("rooms", [media_room(volume=30)])
async def test_refused_volume_still_plays(
    hass: HomeAssistant, room: MockConfigEntry, players: FakePlayers, player: FakePlayer
) -> None:
    def refuse(data: dict[str, Any]) -> None:
        raise ValueError("fixed volume")

    players.hooks["volume_set"] = refuse
    await set_motion(hass, MOTION, "on")
    assert _status(hass) == "playing"
    assert player.state == "playing"


# ---- quiet hours, restart -----------------------------------------------------------------------


QUIET = {
    "quiet_hours_enabled": True,
    "quiet_start": "22:00:00",
    "quiet_end": "07:00:00",
}


@pytest.mark.parametrize(
    "rooms", [media_room(volume=60, quiet_mode="low_volume", quiet_volume=10, **QUIET)]
)
async def test_quiet_hours_low_volume_on_a_player(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, room: MockConfigEntry, player: FakePlayer
) -> None:
    freezer.move_to(dt_util.as_local(NOON).replace(hour=23))
    await set_motion(hass, MOTION, "on")
    assert player.since(0)[0] == ("volume_set", {"volume_level": 0.1})


@pytest.mark.parametrize("rooms", [media_room(**QUIET)])
async def test_quiet_hours_block_a_player(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, room: MockConfigEntry, player: FakePlayer
) -> None:
    freezer.move_to(dt_util.as_local(NOON).replace(hour=23))
    await advance(hass, freezer, timedelta(seconds=1))
    await set_motion(hass, MOTION, "on")
    assert player.calls == []
    assert _status(hass) == "quiet_hours"


@pytest.mark.parametrize("rooms", [media_room()])
async def test_session_on_a_player_survives_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    room: MockConfigEntry,
    player: FakePlayer,
    events: dict[str, list[Any]],
) -> None:
    await set_motion(hass, MOTION, "on")
    assert await hass.config_entries.async_reload(room.entry_id)
    await hass.async_block_till_done()
    assert _status(hass) == "playing"
    mark = len(player.calls)
    await _end_by_timeout(hass, freezer)
    assert player.since(mark) == [("media_pause", {})]
    assert events["session_ended"][0].data["reason"] == "timeout"


# ---- switching kinds live -----------------------------------------------------------------------


async def test_switching_a_room_between_kinds_live(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    room: MockConfigEntry,
    player: FakePlayer,
    speaker: FakeSpotify,
) -> None:
    """A Spotify room playing becomes a media player room: the old speaker is paused at the end."""
    await set_motion(hass, MOTION, "on")
    assert speaker.playback is not None
    assert speaker.playback.device_id == SPEAKER_ID
    (subentry,) = room.get_subentries_of_type(SUBENTRY_TYPE_ROOM)
    hass.config_entries.async_update_subentry(room, subentry, data=media_data())
    await hass.async_block_till_done()
    assert _status(hass) == "playing"  # the session goes on

    await _end_by_timeout(hass, freezer)
    assert [r.query.get("device_id") for r in speaker.requests_to("PUT", "/me/player/pause")] == [
        SPEAKER_ID
    ]
    assert player.calls == []

    await advance(hass, freezer, timedelta(minutes=2))
    await set_motion(hass, MOTION, "on")
    assert [service for service, _ in player.calls] == ["play_media", "shuffle_set"]

    # And back: the player's session is paused on the player.
    hass.config_entries.async_update_subentry(room, subentry, data=room_data())
    await hass.async_block_till_done()
    mark = len(player.calls)
    await _end_by_timeout(hass, freezer)
    assert player.since(mark) == [("media_pause", {})]


# ---- the interface directly ---------------------------------------------------------------------


async def test_media_player_speaker_interface(
    hass: HomeAssistant,
    players: FakePlayers,
    fake_spotify: FakeSpotify,
    spotify_client: SpotifyClient,
) -> None:
    player = players.add(PLAYER, FULL, volume_level=0.25, media_position=12.5, shuffle=True)
    mp = MediaPlayerSpeaker(hass, spotify_client, PLAYER)
    assert mp.kind is SpeakerKind.MEDIA_PLAYER
    assert mp.supports_transfer is False
    assert mp.target_id == PLAYER
    player.set("playing", media_content_id=PLAYLIST)
    assert await mp.async_now_playing() == NowPlaying(
        is_playing=True,
        target_id=PLAYER,
        context_uri=PLAYLIST,
        position_ms=12_500,
        volume=25,
        shuffle=True,
    )
    await mp.async_set_volume(70)
    assert player.calls[-1] == ("volume_set", {"entity_id": PLAYER, "volume_level": 0.7})
    with pytest.raises(SpeakerError, match="transfer_unsupported"):
        await mp.async_transfer(PlayRequest(PLAYLIST, None, True, False))
    player.set("unavailable")
    assert await mp.async_now_playing() is None
    with pytest.raises(SpeakerError, match="player_unavailable"):
        await mp.async_set_volume(10)


async def test_media_player_with_spotify_unreachable(
    hass: HomeAssistant,
    players: FakePlayers,
    fake_spotify: FakeSpotify,
    spotify_client: SpotifyClient,
) -> None:
    """The account read failing never blocks a media player room, and never pauses on doubt."""
    player = players.add(PLAYER, FULL, shuffle=True)
    mp = MediaPlayerSpeaker(hass, spotify_client, PLAYER)
    fake_spotify.fail("GET", "/me/player", 400, times=None)
    outcome = await mp.async_start(PlayRequest(PLAYLIST, None, True, True))
    assert outcome.owned
    assert outcome.requests == 1  # shuffle was on already
    player.set("playing", media_content_id="spotify:track:4uLU6hMCjMI75M1A2tKUQC")
    record = SessionRecord("s", NOON, NOON, 1, True, EndReason.TIMEOUT, PLAYER, PLAYLIST)
    assert not (await mp.async_end(record)).paused


async def test_media_player_single_track_ownership_through_the_account(
    hass: HomeAssistant,
    players: FakePlayers,
    speaker: FakeSpotify,
    spotify_client: SpotifyClient,
) -> None:
    track = "spotify:track:4uLU6hMCjMI75M1A2tKUQC"
    player = players.add(PLAYER, FULL)
    player.set("playing", media_content_id="x-sonos-spotify:spotify%3atrack")
    speaker.playback = None
    speaker._start(  # the account plays our single track on the player
        speaker.devices[0], context_uri=None, uris=[track], offset=None, position_ms=None
    )
    mp = MediaPlayerSpeaker(hass, spotify_client, PLAYER)
    record = SessionRecord("s", NOON, NOON, 1, True, EndReason.TIMEOUT, PLAYER, track)
    assert (await mp.async_end(record)).paused
    assert player.state == "paused"
