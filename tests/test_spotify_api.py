"""The Spotify client against the fake Web API over real HTTP, on Home Assistant's executor."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
import socket
import threading
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
import requests

from custom_components.spottypottysense import spotify_api
from custom_components.spottypottysense.spotify_api import (
    PlaybackState,
    Playlist,
    SpotifyApiError,
    SpotifyAuthError,
    SpotifyClient,
    SpotifyConnectionError,
    SpotifyDevice,
    SpotifyForbiddenError,
    SpotifyNotFoundError,
    SpotifyRateLimitError,
    SpotifyResponseError,
    SpotifyUser,
)

from .fake_spotify import (
    DEFAULT_TOKEN,
    FakePlaylist,
    FakeSpotify,
    FakeTokenProvider,
    fake_spotify as fake_spotify,  # noqa: PLC0414 - the fixture
    make_client,
    spotify_client as spotify_client,  # noqa: PLC0414 - the fixture
)

CONTEXT = "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"


class FakeClock:
    """Test clock for the client's ``sleep``/``monotonic``: no real time passes.

    ``auto`` clocks jump forward on every sleep; manual ones hold sleepers until ``advance``.
    """

    def __init__(self, *, auto: bool = True) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self.auto = auto
        self.sleepers: list[tuple[float, asyncio.Future[None]]] = []
        self._new_sleeper = asyncio.Event()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.auto:
            self.now += seconds
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sleepers.append((self.now + seconds, future))
        self._new_sleeper.set()
        await future

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for entry in list(self.sleepers):
            if entry[0] <= self.now:
                self.sleepers.remove(entry)
                entry[1].set_result(None)

    async def wait_for_sleepers(self, count: int) -> None:
        """Let the loop run (executor I/O included) until ``count`` calls sleep."""
        async with asyncio.timeout(5):
            while len(self.sleepers) < count:
                self._new_sleeper.clear()
                await self._new_sleeper.wait()


@pytest.fixture
def clock(fake_spotify: FakeSpotify) -> FakeClock:
    clock = FakeClock()
    fake_spotify.clock = clock.monotonic
    return clock


@pytest.fixture
async def client(hass: HomeAssistant, fake_spotify: FakeSpotify, clock: FakeClock) -> Any:
    """Client on the test clock, with jitter fixed at its maximum."""
    client = make_client(
        hass, fake_spotify, sleep=clock.sleep, monotonic=clock.monotonic, random=lambda: 1.0
    )
    yield client
    await client.close()


@pytest.fixture
def speakers(fake_spotify: FakeSpotify) -> FakeSpotify:
    fake_spotify.add_device("kitchen-id", "Kitchen", is_active=True, volume_percent=40)
    fake_spotify.add_device(
        "bath-id", "Bathroom", type="Smartphone", volume_percent=None, supports_volume=False
    )
    fake_spotify.add_device("tv-id", "TV", type="TV", is_restricted=True)
    return fake_spotify


# --- typed results --------------------------------------------------------------------------------


async def test_current_user(client: SpotifyClient, fake_spotify: FakeSpotify) -> None:
    user = await client.current_user()
    assert user == SpotifyUser(
        user_id="fake-user",
        display_name="Fake User",
        email="fake.user@example.com",
        product="premium",
        country="SE",
    )
    assert user.is_premium
    assert fake_spotify.requests[-1].path == "/me"  # not spotipy's "me/"

    fake_spotify.set_premium(False)
    fake_spotify.user.display_name = None
    fake_spotify.user.email = None
    user = await client.current_user()
    assert not user.is_premium
    assert user.display_name == "fake-user"
    assert user.email is None
    assert client.requests_sent == 2


async def test_devices(client: SpotifyClient, speakers: FakeSpotify) -> None:
    devices = await client.devices()
    assert devices == [
        SpotifyDevice("kitchen-id", "Kitchen", "Speaker", True, False, 40, True),
        SpotifyDevice("bath-id", "Bathroom", "Smartphone", False, False, None, False),
        SpotifyDevice("tv-id", "TV", "TV", False, True, 50, True),
    ]
    speakers.remove_device("tv-id")
    assert [d.device_id for d in await client.devices()] == ["kitchen-id", "bath-id"]


async def test_playback(client: SpotifyClient, speakers: FakeSpotify) -> None:
    assert await client.playback() is None  # 204
    speakers.user_play(CONTEXT, "kitchen-id")
    state = await client.playback()
    assert isinstance(state, PlaybackState)
    assert state.is_playing
    assert state.device is not None
    assert state.device.device_id == "kitchen-id"
    assert state.context_uri == CONTEXT
    assert state.item_uri is not None
    assert state.item_uri.startswith("spotify:track:")
    assert state.item_name == "Track 1"
    assert (state.shuffle, state.repeat, state.progress_ms) == (False, "off", 0)
    assert speakers.requests[-1].query == {"additional_types": "track,episode"}

    speakers.user_pause()
    speakers.user_transfer("bath-id")
    state = await client.playback()
    assert state is not None
    assert not state.is_playing
    assert state.device is not None
    assert state.device.device_id == "bath-id"


async def test_playback_with_nulls(client: SpotifyClient, fake_spotify: FakeSpotify) -> None:
    """Real Spotify sends null where the contract just leaves keys out; both parse."""
    fake_spotify.respond(
        "GET",
        "/me/player",
        {
            "is_playing": False,
            "device": None,
            "context": None,
            "item": None,
            "progress_ms": None,
            "repeat_state": None,
            "shuffle_state": None,
        },
    )
    state = await client.playback()
    assert state == PlaybackState(False, None, None, None, None, False, "off", None)


async def test_playlists_paged_and_bounded(
    client: SpotifyClient, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.playlists = [FakePlaylist(f"id{i}", f"List {i}") for i in range(120)]
    fake_spotify.playlists[1].owner_name = None

    playlists = await client.playlists()
    assert len(playlists) == 120
    assert playlists[0] == Playlist("spotify:playlist:id0", "List 0", "Fake User")
    assert playlists[1].owner == "fake-user"  # no display name: the owner's id
    pages = fake_spotify.requests_to("GET", "/me/playlists")
    assert [r.query for r in pages] == [
        {"limit": "50", "offset": "0"},
        {"limit": "50", "offset": "50"},
        {"limit": "50", "offset": "100"},
    ]

    fake_spotify.requests.clear()
    assert len(await client.playlists(max_items=60)) == 60
    assert [r.query for r in fake_spotify.requests] == [
        {"limit": "50", "offset": "0"},
        {"limit": "10", "offset": "50"},
    ]

    fake_spotify.requests.clear()
    assert await client.playlists(max_items=0) == []
    assert fake_spotify.requests == []


async def test_playlists_odd_pages(client: SpotifyClient, fake_spotify: FakeSpotify) -> None:
    """Null entries are skipped; a page that says "more" but is empty ends the paging."""
    page = {
        "href": "h",
        "limit": 50,
        "offset": 0,
        "previous": None,
        "total": 999,
        "next": "https://api.spotify.com/v1/me/playlists?offset=50&limit=50",
        "items": [None, {"uri": "spotify:playlist:a", "name": "A"}],
    }
    fake_spotify.respond("GET", "/me/playlists", page)
    fake_spotify.respond("GET", "/me/playlists", {**page, "items": []})
    assert await client.playlists() == [Playlist("spotify:playlist:a", "A", None)]
    assert len(fake_spotify.requests) == 2

    fake_spotify.respond("GET", "/me/playlists", {**page, "items": None})
    with pytest.raises(SpotifyResponseError):
        await client.playlists()


# --- commands -------------------------------------------------------------------------------------


async def test_start_playback(client: SpotifyClient, speakers: FakeSpotify) -> None:
    await client.start_playback("bath-id", context_uri=CONTEXT, offset=3, position_ms=1500)
    request = speakers.requests[-1]
    assert (request.method, request.path, request.query) == (
        "PUT",
        "/me/player/play",
        {"device_id": "bath-id"},
    )
    assert request.json == {"context_uri": CONTEXT, "offset": {"position": 3}, "position_ms": 1500}
    state = await client.playback()
    assert state is not None
    assert state.is_playing
    assert state.item_name == "Track 4"
    assert state.device is not None
    assert state.device.device_id == "bath-id"
    assert state.progress_ms == 1500

    uris = ["spotify:track:aaa", "spotify:track:bbb"]
    await client.start_playback(uris=uris, offset="spotify:track:bbb")
    assert speakers.requests[-1].query == {}
    assert speakers.requests[-1].json == {"uris": uris, "offset": {"uri": "spotify:track:bbb"}}
    assert speakers.playback is not None
    assert speakers.playback.item_uri == "spotify:track:bbb"

    speakers.user_pause()
    await client.start_playback("kitchen-id")  # resume, no body
    assert speakers.requests[-1].body == b""
    assert speakers.playback.is_playing
    assert speakers.playback.device_id == "kitchen-id"

    with pytest.raises(ValueError, match="not both"):
        await client.start_playback(context_uri=CONTEXT, uris=uris)


async def test_player_commands(client: SpotifyClient, speakers: FakeSpotify) -> None:
    speakers.user_play(CONTEXT)
    await client.set_volume(65, "kitchen-id")
    await client.set_shuffle(True)
    await client.set_repeat("context", "kitchen-id")
    await client.next_track()
    await client.next_track("kitchen-id")
    await client.previous_track("kitchen-id")
    await client.pause("kitchen-id")
    assert [(r.method, r.path, r.query) for r in speakers.requests] == [
        ("PUT", "/me/player/volume", {"volume_percent": "65", "device_id": "kitchen-id"}),
        ("PUT", "/me/player/shuffle", {"state": "true"}),
        ("PUT", "/me/player/repeat", {"state": "context", "device_id": "kitchen-id"}),
        ("POST", "/me/player/next", {}),
        ("POST", "/me/player/next", {"device_id": "kitchen-id"}),
        ("POST", "/me/player/previous", {"device_id": "kitchen-id"}),
        ("PUT", "/me/player/pause", {"device_id": "kitchen-id"}),
    ]
    playback = speakers.playback
    assert playback is not None
    assert (playback.shuffle, playback.repeat, playback.index, playback.is_playing) == (
        True,
        "context",
        1,
        False,
    )
    assert speakers.device("kitchen-id").volume_percent == 65  # type: ignore[union-attr]

    await client.transfer_playback("bath-id", play=True)
    assert speakers.requests[-1].json == {"device_ids": ["bath-id"], "play": True}
    assert playback.is_playing
    assert playback.device_id == "bath-id"
    assert speakers.active_device is not None
    assert speakers.active_device.id == "bath-id"
    await client.transfer_playback("kitchen-id")
    assert speakers.requests[-1].json == {"device_ids": ["kitchen-id"], "play": False}


async def test_bad_arguments_send_nothing(client: SpotifyClient, fake_spotify: FakeSpotify) -> None:
    with pytest.raises(ValueError):
        await client.set_volume(101)
    with pytest.raises(ValueError):
        await client.set_volume(-1)
    with pytest.raises(TypeError):
        await client.set_volume(True)
    with pytest.raises(TypeError):
        await client.set_volume(50.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await client.set_repeat("all")
    assert fake_spotify.requests == []
    assert client.requests_sent == 0


# --- error mapping --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason", "error", "key"),
    [
        (403, "PREMIUM_REQUIRED", SpotifyForbiddenError, "forbidden"),
        (404, "NO_ACTIVE_DEVICE", SpotifyNotFoundError, "device_not_found"),
        (400, None, SpotifyApiError, "api_error"),
    ],
)
async def test_error_statuses(
    client: SpotifyClient,
    speakers: FakeSpotify,
    status: int,
    reason: str | None,
    error: type[SpotifyApiError],
    key: str,
) -> None:
    speakers.fail("PUT", "/me/player/play", status, reason=reason)
    with pytest.raises(error) as info:
        await client.start_playback("kitchen-id", context_uri=CONTEXT)
    assert type(info.value) is error
    assert info.value.translation_key == key
    assert f"HTTP {status}" in str(info.value)
    assert len(speakers.requests) == 1  # never retried


async def test_forbidden_details(client: SpotifyClient, speakers: FakeSpotify) -> None:
    speakers.set_premium(False)
    with pytest.raises(SpotifyForbiddenError) as info:
        await client.pause("kitchen-id")
    assert info.value.reason == "PREMIUM_REQUIRED"
    assert info.value.translation_placeholders == {"reason": "PREMIUM_REQUIRED"}
    assert "Premium required" in str(info.value)

    speakers.set_premium(True)
    with pytest.raises(SpotifyForbiddenError) as info:
        await client.set_volume(10, "tv-id")  # restricted device
    assert info.value.reason == "DEVICE_NOT_CONTROLLABLE"

    speakers.fail("GET", "/me", 403, message="Active premium subscription required for the owner")
    with pytest.raises(SpotifyForbiddenError) as info:
        await client.current_user()
    assert info.value.reason is None
    assert info.value.translation_placeholders == {}


async def test_not_found_carries_device(client: SpotifyClient, speakers: FakeSpotify) -> None:
    with pytest.raises(SpotifyNotFoundError) as info:
        await client.start_playback("gone-id", context_uri=CONTEXT)
    assert info.value.device_id == "gone-id"
    assert info.value.reason == "NO_ACTIVE_DEVICE"
    assert info.value.translation_placeholders == {"device_id": "gone-id"}

    with pytest.raises(SpotifyNotFoundError) as info:
        await client.transfer_playback("gone-id")
    assert info.value.device_id == "gone-id"

    for device in speakers.devices:
        device.is_active = False
    with pytest.raises(SpotifyNotFoundError) as info:
        await client.pause()  # no device named, none active
    assert info.value.device_id is None
    assert info.value.translation_placeholders == {"device_id": ""}


def test_error_classes() -> None:
    """Constructible bare (the token provider raises them so) and all under one base."""
    expected = {
        SpotifyApiError: "api_error",
        SpotifyConnectionError: "cannot_connect",
        SpotifyAuthError: "auth_failed",
        SpotifyForbiddenError: "forbidden",
        SpotifyNotFoundError: "device_not_found",
        SpotifyRateLimitError: "rate_limited",
        SpotifyResponseError: "bad_response",
    }
    for cls, key in expected.items():
        err = cls()
        assert isinstance(err, SpotifyApiError)
        assert cls.translation_key == key
        assert str(err) == cls.__name__
    assert SpotifyRateLimitError(retry_after=2.2).translation_placeholders == {"retry_after": "3"}
    assert SpotifyNotFoundError().device_id is None


# --- 401: one forced refresh ----------------------------------------------------------------------


async def test_401_refreshes_once(hass: HomeAssistant, fake_spotify: FakeSpotify) -> None:
    tokens = FakeTokenProvider("expired-token", fresh=DEFAULT_TOKEN)
    client = make_client(hass, fake_spotify, tokens)
    try:
        assert (await client.current_user()).user_id == "fake-user"
        assert tokens.calls == [False, True]
        assert [r.token for r in fake_spotify.requests] == ["expired-token", DEFAULT_TOKEN]
        assert [r.status for r in fake_spotify.requests] == [401, 200]

        await client.current_user()  # the fresh token is used from now on, no refresh
        assert tokens.calls == [False, True, False]
    finally:
        await client.close()


async def test_401_twice_is_auth_error(client: SpotifyClient, fake_spotify: FakeSpotify) -> None:
    fake_spotify.fail("GET", "/me/player/devices", 401, times=2)
    with pytest.raises(SpotifyAuthError):
        await client.devices()
    assert len(fake_spotify.requests) == 2


async def test_token_provider_errors_pass_through(
    hass: HomeAssistant, fake_spotify: FakeSpotify
) -> None:
    """The OAuth bridge raises the client's own errors; they reach the caller unchanged."""

    async def broken(force_refresh: bool) -> str:
        raise SpotifyConnectionError("token endpoint down")

    client = make_client(hass, fake_spotify, broken)
    try:
        with pytest.raises(SpotifyConnectionError, match="token endpoint down"):
            await client.current_user()
        assert fake_spotify.requests == []
    finally:
        await client.close()


# --- 429: Retry-After -----------------------------------------------------------------------------


async def test_429_waits_retry_after(
    client: SpotifyClient, fake_spotify: FakeSpotify, clock: FakeClock
) -> None:
    fake_spotify.fail("GET", "/me/player/devices", 429, retry_after=7)
    start = clock.now
    assert await client.devices() == []
    first, second = fake_spotify.requests
    assert (first.status, second.status) == (429, 200)
    assert second.time - first.time >= 7
    assert clock.slept == [7]
    assert client.last_rate_limit_wait == 7
    assert clock.now - start == 7
    assert client.rate_limited_until is None  # cleared once passed


async def test_429_gives_up_after_two_retries(
    client: SpotifyClient, fake_spotify: FakeSpotify, clock: FakeClock
) -> None:
    fake_spotify.fail("GET", "/me", 429, times=3, retry_after=4)
    with pytest.raises(SpotifyRateLimitError) as info:
        await client.current_user()
    assert info.value.retry_after == 4
    assert info.value.translation_placeholders == {"retry_after": "4"}
    assert len(fake_spotify.requests) == 3
    assert clock.slept == [4, 4]
    times = [r.time for r in fake_spotify.requests]
    assert times[1] - times[0] >= 4
    assert times[2] - times[1] >= 4

    # The last Retry-After still holds: the next call waits it out before sending.
    assert client.rate_limited_until == clock.now + 4
    await client.current_user()
    assert clock.slept == [4, 4, 4]
    assert fake_spotify.requests[-1].time >= times[2] + 4


async def test_429_too_long_refuses_until_expiry(
    client: SpotifyClient, fake_spotify: FakeSpotify, clock: FakeClock
) -> None:
    fake_spotify.fail("GET", "/me/player", 429, retry_after=120)
    with pytest.raises(SpotifyRateLimitError) as info:
        await client.playback()
    assert info.value.retry_after == 120
    assert client.last_rate_limit_wait == 120
    assert client.rate_limited_until == clock.now + 120
    assert clock.slept == []

    clock.now += 100
    with pytest.raises(SpotifyRateLimitError) as info:
        await client.devices()
    assert info.value.retry_after == pytest.approx(20)
    assert len(fake_spotify.requests) == 1  # refused without sending
    assert client.requests_sent == 1

    clock.now += 20
    assert await client.devices() == []
    assert len(fake_spotify.requests) == 2
    assert clock.slept == []


async def test_429_missing_retry_after_uses_default(
    client: SpotifyClient, fake_spotify: FakeSpotify, clock: FakeClock
) -> None:
    fake_spotify.respond(
        "GET", "/me", {"error": {"status": 429, "message": "slow down"}}, status=429
    )
    await client.current_user()
    assert clock.slept == [spotify_api.DEFAULT_RETRY_AFTER]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("3", 3.0), ("2.5", 2.5), ("-4", 0.0), ("soon", 5.0), ("inf", 5.0), ("nan", 5.0), (None, 5.0)],
)
def test_retry_after_parsing(header: str | None, seconds: float) -> None:
    headers = {} if header is None else {"Retry-After": header}
    assert spotify_api._retry_after(headers) == seconds


async def test_concurrent_calls_wait_for_rate_limit(
    hass: HomeAssistant, fake_spotify: FakeSpotify
) -> None:
    """A second call started during the wait sends nothing before Retry-After expires."""
    clock = FakeClock(auto=False)
    fake_spotify.clock = clock.monotonic
    client = make_client(hass, fake_spotify, sleep=clock.sleep, monotonic=clock.monotonic)
    try:
        fake_spotify.fail("GET", "/me/player/devices", 429, retry_after=5)
        first = asyncio.create_task(client.devices())
        await clock.wait_for_sleepers(1)
        second = asyncio.create_task(client.current_user())
        third = asyncio.create_task(client.playback())
        await clock.wait_for_sleepers(3)
        await asyncio.sleep(0.05)  # give any early request the chance to show up
        assert len(fake_spotify.requests) == 1
        assert client.requests_sent == 1

        clock.advance(4.9)
        await asyncio.sleep(0.05)
        assert len(fake_spotify.requests) == 1  # still inside Retry-After

        clock.advance(0.1)
        await asyncio.gather(first, second, third)
        assert len(fake_spotify.requests) == 4
        assert all(r.time >= 1005 for r in fake_spotify.requests[1:])
    finally:
        await client.close()


async def test_later_shorter_retry_after_keeps_the_block(
    hass: HomeAssistant, fake_spotify: FakeSpotify
) -> None:
    """Two requests in flight both get 429: the longer Retry-After holds for everyone."""
    clock = FakeClock(auto=False)
    fake_spotify.clock = clock.monotonic
    client = make_client(hass, fake_spotify, sleep=clock.sleep, monotonic=clock.monotonic)
    try:
        fake_spotify.fail("GET", "/me", 429, retry_after=10)
        fake_spotify.fail("GET", "/me/player/devices", 429, retry_after=2)
        # Answered second, with a margin for a loaded machine (each opens its own connection).
        fake_spotify.delay("GET", "/me/player/devices", 0.3)
        calls = asyncio.gather(client.current_user(), client.devices())
        await clock.wait_for_sleepers(2)
        fake_spotify.clear_faults()
        assert client.rate_limited_until == 1010
        assert [deadline for deadline, _ in clock.sleepers] == [1010, 1010]
        clock.advance(10)
        await calls
        assert [r.status for r in fake_spotify.requests[2:]] == [200, 200]
        assert all(r.time >= 1010 for r in fake_spotify.requests[2:])
    finally:
        await client.close()


# --- 5xx and connection errors: bounded backoff ---------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_retried_with_backoff(
    client: SpotifyClient, fake_spotify: FakeSpotify, clock: FakeClock, status: int
) -> None:
    fake_spotify.fail("GET", "/me", status, times=2)
    assert (await client.current_user()).user_id == "fake-user"
    assert len(fake_spotify.requests) == 3
    assert clock.slept == [1.0, 2.0]  # base 1 s, doubled; jitter pinned at its maximum


async def test_5xx_gives_up_after_three_tries(
    client: SpotifyClient, fake_spotify: FakeSpotify, clock: FakeClock
) -> None:
    fake_spotify.fail("*", "*", 503, times=None)
    with pytest.raises(SpotifyConnectionError, match="HTTP 503 after 3 tries"):
        await client.pause()
    assert len(fake_spotify.requests) == 3
    assert len(clock.slept) == 2
    assert sum(clock.slept) <= 3.0


async def test_backoff_jitter_bounds(hass: HomeAssistant, fake_spotify: FakeSpotify) -> None:
    clock = FakeClock()
    client = make_client(
        hass, fake_spotify, sleep=clock.sleep, monotonic=clock.monotonic, random=lambda: 0.0
    )
    try:
        fake_spotify.fail("GET", "/me", 500, times=3)
        with pytest.raises(SpotifyConnectionError):
            await client.current_user()
        assert clock.slept == [0.5, 1.0]  # half of the un-jittered delay at the least
    finally:
        await client.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused(hass: HomeAssistant, fake_spotify: FakeSpotify) -> None:
    clock = FakeClock()
    client = SpotifyClient(
        FakeTokenProvider(),
        hass.async_add_executor_job,
        api_url=f"http://127.0.0.1:{_closed_port()}/v1",
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    try:
        with pytest.raises(SpotifyConnectionError, match="ConnectionError after 3 tries") as info:
            await client.devices()
        assert isinstance(info.value.__cause__, requests.ConnectionError)
        assert client.requests_sent == 3
        assert len(clock.slept) == 2
    finally:
        await client.close()


async def test_timeout(hass: HomeAssistant, fake_spotify: FakeSpotify) -> None:
    """A Spotify that does not answer within the timeout counts as a connection failure."""
    clock = FakeClock()
    client = make_client(
        hass, fake_spotify, timeout=0.2, sleep=clock.sleep, monotonic=clock.monotonic
    )
    try:
        # The handler is cancelled when the client hangs up, so a long delay costs nothing.
        fake_spotify.delay("GET", "/me/player", 30)
        with pytest.raises(SpotifyConnectionError, match="ReadTimeout after 3 tries"):
            await client.playback()
        assert len(fake_spotify.requests_to("GET", "/me/player")) == 3
        fake_spotify.delay("GET", "/me/player", 0)
        assert await client.playback() is None
    finally:
        await client.close()


# --- bad answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "call"),
    [
        ("GET", "/me", b"<html>oops</html>", "current_user"),
        ("GET", "/me", [], "current_user"),
        ("GET", "/me", {"display_name": "no id"}, "current_user"),
        ("GET", "/me", {"id": "x", "email": 5}, "current_user"),
        ("GET", "/me/player/devices", {"devices": "many"}, "devices"),
        ("GET", "/me/player/devices", {"devices": [{"id": "x"}]}, "devices"),
        (
            "GET",
            "/me/player/devices",
            {"devices": [{"name": "x", "volume_percent": "50"}]},
            "devices",
        ),
        ("GET", "/me/player/devices", {"devices": [{"name": "x", "is_active": "yes"}]}, "devices"),
        ("GET", "/me/player", {"is_playing": True, "context": "spotify:album:x"}, "playback"),
        ("GET", "/me/player", {"is_playing": True, "progress_ms": True}, "playback"),
        ("GET", "/me/player", b"{truncated", "playback"),
        ("GET", "/me/playlists", {"items": [{"uri": "u"}]}, "playlists"),
    ],
)
async def test_bad_responses(
    client: SpotifyClient,
    fake_spotify: FakeSpotify,
    method: str,
    path: str,
    body: Any,
    call: str,
) -> None:
    fake_spotify.respond(method, path, body)
    with pytest.raises(SpotifyResponseError) as info:
        await getattr(client, call)()
    assert info.value.translation_key == "bad_response"
    assert len(fake_spotify.requests) == 1  # not retried


# --- threads, session, logging --------------------------------------------------------------------


async def test_no_http_on_the_event_loop(
    client: SpotifyClient, speakers: FakeSpotify, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    seen: list[tuple[int, int]] = []
    original: Callable[..., requests.Response] = requests.Session.request

    def recording(self: requests.Session, *args: Any, **kwargs: Any) -> requests.Response:
        seen.append((threading.get_ident(), id(self)))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", recording)
    speakers.fail("GET", "/me", 503)
    speakers.fail("GET", "/me/player/devices", 429, retry_after=1)
    await client.current_user()
    await client.devices()
    await client.playback()
    await client.start_playback("kitchen-id", context_uri=CONTEXT)
    await asyncio.gather(*(client.set_volume(v, "kitchen-id") for v in (10, 20, 30)))
    await client.playlists()
    assert len(seen) == len(speakers.requests) == client.requests_sent == 10
    assert all(thread != loop_thread for thread, _ in seen)
    assert len({session for _, session in seen}) == 1  # one pooled session


async def test_token_never_logged(
    hass: HomeAssistant, fake_spotify: FakeSpotify, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "s3cr3t-T0KEN.value_xyz"
    fake_spotify.valid_tokens.add(secret)
    clock = FakeClock()
    client = make_client(
        hass,
        fake_spotify,
        FakeTokenProvider("stale-token-abc", fresh=secret),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    errors: list[Exception] = []
    try:
        await client.current_user()
        fake_spotify.fail("GET", "/me/player/devices", 401, times=2)
        fake_spotify.fail("PUT", "/me/player/pause", 403)
        fake_spotify.fail("GET", "/me/player", 503, times=3)
        for call in (client.devices, client.pause, client.playback):
            try:
                await call()
            except SpotifyApiError as err:
                errors.append(err)
    finally:
        await client.close()
    assert len(errors) == 3
    assert "Authorization" in caplog.text  # spotipy did log the headers...
    assert "**REDACTED**" in caplog.text
    for token in (secret, "stale-token-abc"):
        assert token not in caplog.text  # ...but not the token
        for err in errors:
            assert token not in str(err)
            assert token not in repr(err.__cause__)
    assert "HTTP Error for" in caplog.text  # spotipy's own error line, kept at DEBUG
    spotipy_errors = [r for r in caplog.records if r.getMessage().startswith("HTTP Error")]
    assert {r.levelno for r in spotipy_errors} == {logging.DEBUG}
    # spotipy logs every answer at DEBUG; the account's e-mail and name stay out of the log.
    assert "RESULTS: **REDACTED**" in caplog.text
    for personal in (fake_spotify.user.email, fake_spotify.user.display_name):
        assert personal
        assert personal not in caplog.text


async def test_spotipy_error_lines_quiet_without_debug(
    client: SpotifyClient, fake_spotify: FakeSpotify, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("spotipy.client").setLevel(logging.INFO)
    try:
        fake_spotify.fail("GET", "/me", 404)
        with pytest.raises(SpotifyNotFoundError):
            await client.current_user()
    finally:
        logging.getLogger("spotipy.client").setLevel(logging.NOTSET)
    assert not [r for r in caplog.records if r.name.startswith("spotipy")]


# --- construction ---------------------------------------------------------------------------------


async def test_default_api_url_is_read_at_construction(
    hass: HomeAssistant, fake_spotify: FakeSpotify, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fixture patched spotify_api.SPOTIFY_API_URL; a client built without api_url uses it."""
    client = SpotifyClient(FakeTokenProvider(), hass.async_add_executor_job)
    monkeypatch.setattr(spotify_api, "SPOTIFY_API_URL", "http://127.0.0.1:9/v1/")
    try:
        assert (await client.current_user()).user_id == "fake-user"
    finally:
        await client.close()

    # No trailing slash in a given URL is fine too.
    client = SpotifyClient(
        FakeTokenProvider(), hass.async_add_executor_job, api_url=fake_spotify.url.rstrip("/")
    )
    try:
        await client.devices()
        assert fake_spotify.requests[-1].path == "/me/player/devices"
    finally:
        await client.close()


async def test_spotify_client_fixture(
    spotify_client: SpotifyClient, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.add_device("id", "Speaker", is_active=True)
    fake_spotify.user_play(CONTEXT)
    state = await spotify_client.playback()
    assert state is not None
    assert state.context_uri == CONTEXT
    assert spotify_client.requests_sent == 1


# --- a play is never replayed blindly -------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_play_is_not_retried_after_a_5xx(
    client: SpotifyClient, fake_spotify: FakeSpotify, clock: FakeClock, status: int
) -> None:
    """Spotify may have started the playlist already: a replay would restart it."""
    fake_spotify.add_device("kitchen", "Kitchen")
    fake_spotify.fail("PUT", "/me/player/play", status, after_acting=True)
    with pytest.raises(SpotifyConnectionError, match="not replayed") as info:
        await client.start_playback("kitchen", context_uri="spotify:playlist:abc")
    assert info.value.may_have_acted is True
    assert info.value.translation_key == "cannot_connect"
    assert len(fake_spotify.requests) == 1
    assert clock.slept == []


async def test_play_is_not_retried_after_a_read_timeout(
    hass: HomeAssistant, fake_spotify: FakeSpotify
) -> None:
    clock = FakeClock()
    client = make_client(
        hass, fake_spotify, timeout=0.2, sleep=clock.sleep, monotonic=clock.monotonic
    )
    try:
        fake_spotify.add_device("kitchen", "Kitchen")
        fake_spotify.answer_late("PUT", "/me/player/play", 30)
        with pytest.raises(SpotifyConnectionError, match="ReadTimeout, not replayed") as info:
            await client.start_playback("kitchen")
        assert info.value.may_have_acted is True
        assert len(fake_spotify.requests) == 1
        assert fake_spotify.playback is not None
        assert fake_spotify.playback.is_playing  # it acted although no answer came
    finally:
        await client.close()


async def test_play_is_retried_when_it_never_left(
    hass: HomeAssistant, fake_spotify: FakeSpotify
) -> None:
    """Connection refused: the play certainly never reached Spotify, so retrying is safe."""
    clock = FakeClock()
    client = SpotifyClient(
        FakeTokenProvider(),
        hass.async_add_executor_job,
        api_url=f"http://127.0.0.1:{_closed_port()}/v1",
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    try:
        with pytest.raises(SpotifyConnectionError, match="after 3 tries") as info:
            await client.start_playback("kitchen")
        assert info.value.may_have_acted is False
        assert client.requests_sent == 3
    finally:
        await client.close()


async def test_client_sleep_is_the_injected_one(client: SpotifyClient, clock: FakeClock) -> None:
    await client.sleep(2.5)
    assert clock.slept == [2.5]


def test_may_have_been_sent() -> None:
    assert spotify_api._may_have_been_sent(requests.ConnectTimeout()) is False
    assert spotify_api._may_have_been_sent(requests.ReadTimeout()) is True
    assert spotify_api._may_have_been_sent(requests.ConnectionError()) is True
    assert spotify_api._may_have_been_sent(requests.ConnectionError(ConnectionResetError())) is True
