"""The Spotify Connect speaker through the interface other features build on (fade, resume)."""

from __future__ import annotations

from datetime import UTC, datetime
import socket
from unittest.mock import AsyncMock

from homeassistant.core import HomeAssistant
import pytest

from custom_components.spottypottysense.decisions import StartPlayback
from custom_components.spottypottysense.records import EndReason, SessionRecord
from custom_components.spottypottysense.speaker import (
    NowPlaying,
    PlayRequest,
    ResumePoint,
    SpeakerError,
    SpeakerKind,
    is_ours,
)
from custom_components.spottypottysense.speaker_spotify import SpotifyConnectSpeaker
from custom_components.spottypottysense.spotify_api import SpotifyClient
from tests.fake_spotify import FakeSpotify, FakeTokenProvider, _tracks_for

PLAYLIST = "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"
WHEN = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _record(device_id: str | None = "kitchen", context: str | None = PLAYLIST) -> SessionRecord:
    return SessionRecord("s", WHEN, WHEN, 1, True, EndReason.TIMEOUT, device_id, context)


@pytest.fixture
def kitchen(fake_spotify: FakeSpotify, spotify_client: SpotifyClient) -> SpotifyConnectSpeaker:
    fake_spotify.add_device("kitchen", "Kitchen")
    fake_spotify.add_device("phone", "Phone")
    return SpotifyConnectSpeaker(spotify_client, "kitchen", "Kitchen")


async def test_kind_and_target(kitchen: SpotifyConnectSpeaker) -> None:
    assert kitchen.kind is SpeakerKind.SPOTIFY
    assert kitchen.supports_transfer is True
    assert kitchen.target_id == "kitchen"


async def test_resume_point_plays_the_same_track_at_the_same_place(
    kitchen: SpotifyConnectSpeaker, fake_spotify: FakeSpotify
) -> None:
    track = _tracks_for(PLAYLIST)[4]
    request = PlayRequest(
        source=PLAYLIST,
        volume=None,
        shuffle=False,
        check_idle=False,
        resume=ResumePoint(PLAYLIST, track, 61_000),
    )
    outcome = await kitchen.async_start(request)
    assert outcome.owned
    assert outcome.context_uri == PLAYLIST
    (play,) = fake_spotify.requests_to("PUT", "/me/player/play")
    assert play.json == {"context_uri": PLAYLIST, "offset": {"uri": track}, "position_ms": 61_000}
    assert fake_spotify.playback is not None
    assert fake_spotify.playback.item_uri == track
    assert fake_spotify.playback.progress_ms == 61_000


async def test_resume_of_a_single_track(
    kitchen: SpotifyConnectSpeaker, fake_spotify: FakeSpotify
) -> None:
    track = "spotify:track:4uLU6hMCjMI75M1A2tKUQC"
    request = PlayRequest(track, None, False, False, ResumePoint(None, track, 5_000))
    await kitchen.async_start(request)
    (play,) = fake_spotify.requests_to("PUT", "/me/player/play")
    assert play.json == {"uris": [track], "position_ms": 5_000}


async def test_now_playing_end_with_a_known_read_and_volume(
    kitchen: SpotifyConnectSpeaker, fake_spotify: FakeSpotify
) -> None:
    assert await kitchen.async_now_playing() is None
    fake_spotify.user_play(PLAYLIST, "kitchen")
    playing = await kitchen.async_now_playing()
    assert playing == NowPlaying(
        is_playing=True,
        target_id="kitchen",
        context_uri=PLAYLIST,
        item_uri=_tracks_for(PLAYLIST)[0],
        position_ms=0,
        volume=50,
        shuffle=False,
    )
    await kitchen.async_set_volume(20)
    device = fake_spotify.device("kitchen")
    assert device is not None
    assert device.volume_percent == 20

    mark = len(fake_spotify.requests)
    outcome = await kitchen.async_end(_record(), known=playing)
    assert outcome.paused
    assert outcome.playing == playing
    # The caller's read was used: only the pause went out.
    assert [(r.method, r.path) for r in fake_spotify.requests[mark:]] == [
        ("PUT", "/me/player/pause")
    ]


async def test_end_releases_what_is_not_ours(
    kitchen: SpotifyConnectSpeaker, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.user_play("spotify:album:4aawyAB9vmqN3uQ7FjRGTy", "kitchen")
    outcome = await kitchen.async_end(_record())
    assert not outcome.paused
    assert fake_spotify.requests_to("PUT", "/me/player/pause") == []


async def test_transfer_moves_playback_here_keeping_the_track(
    kitchen: SpotifyConnectSpeaker, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.user_play(PLAYLIST, "phone")
    assert fake_spotify.playback is not None
    fake_spotify.playback.index = 3
    request = PlayRequest(PLAYLIST, 40, True, True, ResumePoint(PLAYLIST, None))
    outcome = await kitchen.async_transfer(request)
    assert outcome.owned
    assert outcome.target_id == "kitchen"
    assert outcome.context_uri == PLAYLIST
    assert outcome.requests == 2
    assert fake_spotify.playback.device_id == "kitchen"
    assert fake_spotify.playback.index == 3
    device = fake_spotify.device("kitchen")
    assert device is not None
    assert device.volume_percent == 40


async def test_errors_become_speaker_errors(
    kitchen: SpotifyConnectSpeaker, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.fail("*", "*", 404, times=None)
    for call in (
        kitchen.async_now_playing(),
        kitchen.async_set_volume(10),
        kitchen.async_transfer(PlayRequest(None, None, False, False)),
    ):
        with pytest.raises(SpeakerError) as info:
            await call
        assert info.value.translation_key == "device_not_found"
        assert info.value.missing
    fake_spotify.clear_faults()
    fake_spotify.user_play(PLAYLIST, "kitchen")
    fake_spotify.fail("PUT", "/me/player/pause", 401, times=None)
    with pytest.raises(SpeakerError) as info:
        await kitchen.async_end(_record())
    assert info.value.auth


def test_is_ours() -> None:
    playing = NowPlaying(True, "kitchen", PLAYLIST)
    assert is_ours(playing, _record())
    assert is_ours(playing, _record(context=None))
    assert not is_ours(None, _record())
    assert not is_ours(NowPlaying(False, "kitchen", PLAYLIST), _record())
    assert not is_ours(playing, _record(device_id=None))
    assert not is_ours(playing, _record(device_id="phone"))
    assert not is_ours(NowPlaying(True, "kitchen", "spotify:album:x"), _record())


def test_play_request_from_the_engine_decision() -> None:
    decision = StartPlayback("s", check_idle=True, volume=30, shuffle=False, source=PLAYLIST)
    assert PlayRequest.from_decision(decision) == PlayRequest(PLAYLIST, 30, False, True)


async def test_transfer_without_a_volume_is_one_request(
    kitchen: SpotifyConnectSpeaker, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.user_play(PLAYLIST, "phone")
    outcome = await kitchen.async_transfer(PlayRequest(PLAYLIST, None, True, True))
    assert outcome.requests == 1
    assert outcome.context_uri is None  # no resume point given: the caller knows the context


async def test_play_that_never_left_fails_without_a_read(
    hass: HomeAssistant, fake_spotify: FakeSpotify
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    client = SpotifyClient(
        FakeTokenProvider(),
        hass.async_add_executor_job,
        api_url=f"http://127.0.0.1:{port}/v1",
        sleep=AsyncMock(),
    )
    try:
        with pytest.raises(SpeakerError, match="cannot_connect"):
            await SpotifyConnectSpeaker(client, "kitchen", None).async_start(
                PlayRequest(PLAYLIST, None, True, False)
            )
        assert client.requests_sent == 3  # retried (it never reached Spotify), never read
    finally:
        await client.close()
