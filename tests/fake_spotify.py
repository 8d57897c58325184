"""A fake Spotify Web API on 127.0.0.1, spoken to over real HTTP by the real client.

It keeps the account's state (user, devices, playback, playlists, valid tokens), answers the
endpoints the integration uses the way tests/spotify-web-api/openapi.yml describes them
(checked by test_fake_spotify_conformance.py), records every request with its response, and
injects faults per endpoint: error statuses, raw answers, latency.

Use it through the fixtures:

    async def test_something(hass, fake_spotify, spotify_client):
        fake_spotify.add_device("kitchen", "Kitchen", is_active=True)
        fake_spotify.fail("PUT", "/me/player/play", 503, times=2)
        await spotify_client.start_playback("kitchen", context_uri="spotify:playlist:abc")
        assert len(fake_spotify.requests_to("PUT", "/me/player/play")) == 3

``fake_spotify`` also points ``spotify_api.SPOTIFY_API_URL`` at the fake, so a SpotifyClient the
integration builds itself (config flow, setup) talks to it too; the token it must send is
``fake_spotify.token`` (DEFAULT_TOKEN unless changed).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
import hashlib
import json
import ssl
import time
from typing import Any

from aiohttp import web
from homeassistant.core import HomeAssistant
import pytest

from custom_components.spottypottysense import spotify_api
from custom_components.spottypottysense.const import SPOTIFY_SCOPES
from custom_components.spottypottysense.spotify_api import SpotifyClient

DEFAULT_TOKEN = "fake-access-token"
NO_ACTIVE_DEVICE = "NO_ACTIVE_DEVICE"
NO_ACTIVE_DEVICE_MESSAGE = "Player command failed: No active device found"
PREMIUM_REQUIRED = "PREMIUM_REQUIRED"
VOLUME_DISALLOW = "VOLUME_CONTROL_DISALLOW"
TRACKS_PER_CONTEXT = 10

# --- state ----------------------------------------------------------------------------------------


@dataclass
class FakeUser:
    """The account behind the token."""

    id: str = "fake-user"
    display_name: str | None = "Fake User"
    email: str | None = "fake.user@example.com"
    product: str = "premium"
    country: str = "SE"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "type": "user",
            "uri": f"spotify:user:{self.id}",
            "href": f"https://api.spotify.com/v1/users/{self.id}",
            "external_urls": {"spotify": f"https://open.spotify.com/user/{self.id}"},
            "images": [],
            "product": self.product,
            "country": self.country,
            "explicit_content": {"filter_enabled": False, "filter_locked": False},
            "followers": {"href": None, "total": 0},
        }
        # The contract types these as plain strings; Spotify leaves them out when unknown.
        if self.display_name is not None:
            data["display_name"] = self.display_name
        if self.email is not None:
            data["email"] = self.email
        return data


@dataclass
class FakeDevice:
    """A Spotify Connect device in the account's device list."""

    id: str | None
    name: str
    type: str = "Speaker"
    is_active: bool = False
    is_restricted: bool = False
    is_private_session: bool = False
    volume_percent: int | None = 50
    supports_volume: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "is_active": self.is_active,
            "is_private_session": self.is_private_session,
            "is_restricted": self.is_restricted,
            "volume_percent": self.volume_percent,
            "supports_volume": self.supports_volume,
        }


@dataclass
class FakePlayback:
    """What plays; ``tracks``/``index`` stand in for the context's track list."""

    device_id: str | None
    context_uri: str | None = None
    tracks: list[str] = field(default_factory=list)
    index: int = 0
    is_playing: bool = True
    shuffle: bool = False
    repeat: str = "off"
    progress_ms: int = 0
    timestamp: int = 0

    @property
    def item_uri(self) -> str | None:
        return self.tracks[self.index] if 0 <= self.index < len(self.tracks) else None

    @property
    def item_name(self) -> str | None:
        return None if self.item_uri is None else f"Track {self.index + 1}"


@dataclass
class FakePlaylist:
    """A playlist the user owns or follows."""

    id: str
    name: str
    owner_id: str = "fake-user"
    owner_name: str | None = "Fake User"

    @property
    def uri(self) -> str:
        return f"spotify:playlist:{self.id}"

    def to_json(self) -> dict[str, Any]:
        owner: dict[str, Any] = {
            "id": self.owner_id,
            "type": "user",
            "uri": f"spotify:user:{self.owner_id}",
            "href": f"https://api.spotify.com/v1/users/{self.owner_id}",
            "external_urls": {"spotify": f"https://open.spotify.com/user/{self.owner_id}"},
            "display_name": self.owner_name,
        }
        return {
            "collaborative": False,
            "description": "",
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{self.id}"},
            "href": f"https://api.spotify.com/v1/playlists/{self.id}",
            "id": self.id,
            "images": [],
            "name": self.name,
            "owner": owner,
            "public": False,
            "snapshot_id": "c25hcHNob3Q",
            "items": {"href": f"https://api.spotify.com/v1/playlists/{self.id}/items", "total": 10},
            "type": "playlist",
            "uri": self.uri,
        }


@dataclass
class RecordedRequest:
    """One request as the fake saw it, and what it answered."""

    method: str
    path: str  # below /v1, with a leading slash: "/me/player/play"
    query: dict[str, str]
    body: bytes
    json: Any
    headers: dict[str, str]
    time: float  # FakeSpotify.clock() when the request arrived
    status: int = 0
    response_body: bytes = b""
    response_headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None

    @property
    def token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth[7:] if auth.startswith("Bearer ") else None

    @property
    def response_json(self) -> Any:
        return json.loads(self.response_body) if self.response_body else None


@dataclass
class _Fault:
    status: int
    remaining: int | None
    retry_after: float | None = None
    reason: str | None = None
    message: str | None = None
    raw: bytes | None = None
    content_type: str = "application/json"
    acts: bool = False  # carry the request out first, then answer with the fault
    late: float | None = None  # carry it out, then answer normally after this many seconds


class _Call:
    """The request being answered, parsed once."""

    def __init__(self, request: web.Request, record: RecordedRequest) -> None:
        self.request = request
        self.record = record
        self.query = record.query
        self.json = record.json


class SpotifyHttpError(Exception):
    """Raised inside handlers to answer with Spotify's error object."""

    def __init__(self, status: int, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason


def _norm_path(path: str) -> str:
    path = "/" + path.lstrip("/")
    return path.removeprefix("/v1") or "/"


def _tracks_for(context_uri: str) -> list[str]:
    """Stable fake track ids for a context (base62-ish, 22 characters like Spotify's)."""
    return [
        "spotify:track:" + hashlib.sha256(f"{context_uri}#{i}".encode()).hexdigest()[:22]
        for i in range(TRACKS_PER_CONTEXT)
    ]


# --- the server ----------------------------------------------------------------------------------


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction of a proxied connection until either side hangs up."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


class FakeSpotify:
    """State, behaviour and fault injection of the fake Web API."""

    def __init__(self) -> None:
        self.user = FakeUser()
        self.devices: list[FakeDevice] = []
        self.playback: FakePlayback | None = None
        self.playlists: list[FakePlaylist] = [
            FakePlaylist(f"pl{i:04d}", f"Playlist {i}") for i in range(1, 4)
        ]
        self.token = DEFAULT_TOKEN
        self.valid_tokens: set[str] = {DEFAULT_TOKEN}
        self.requests: list[RecordedRequest] = []
        # Names of catalogue items (playlists, albums, artists, tracks) by URI, for
        # GET /playlists/{id}, /albums/{id}, ...; unknown ones answer 404.
        self.names: dict[str, str] = {}
        # Called with each request as it arrives, before it is carried out (crash tests take
        # the disk's contents at that instant).
        self.on_request: list[Callable[[RecordedRequest], None]] = []
        self.clock: Callable[[], float] = time.monotonic
        self.url = ""
        self.home_assistant_url = "http://127.0.0.1:8123"
        self._faults: dict[tuple[str, str], list[_Fault]] = {}
        self._delays: dict[tuple[str, str], float] = {}
        self._last_context: str | None = None
        self._runner: web.AppRunner | None = None
        self._proxy: asyncio.Server | None = None
        self.accounts_url = ""
        self.token_delay = 0.0  # the token endpoint's round trip (a refresh)
        self._handlers: set[asyncio.Task[Any]] = set()
        self._routes: dict[tuple[str, str], Callable[[_Call], web.Response]] = {
            ("GET", "/me"): self._get_me,
            ("GET", "/me/player"): self._get_player,
            ("PUT", "/me/player"): self._transfer,
            ("GET", "/me/player/devices"): self._get_devices,
            ("PUT", "/me/player/play"): self._play,
            ("PUT", "/me/player/pause"): self._pause,
            ("PUT", "/me/player/volume"): self._volume,
            ("PUT", "/me/player/shuffle"): self._shuffle,
            ("PUT", "/me/player/repeat"): self._repeat,
            ("POST", "/me/player/next"): self._next,
            ("POST", "/me/player/previous"): self._previous,
            ("GET", "/me/playlists"): self._get_playlists,
        }

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(
        self,
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
        connect_delay: float = 0.0,
    ) -> None:
        """Listen on 127.0.0.1 (a free port unless given); loopback only, always.

        With `ssl_context` the Web API answers over TLS (``self.url`` is https) and the accounts
        service (OAuth) on a plain HTTP port of its own (``self.accounts_url``). A
        `connect_delay` makes every new connection wait that long before the server's first
        byte (a TCP proxy in front): with TLS a client's connect, handshake included, then
        takes that long, as a connection across the internet does; loopback's costs nothing.
        """
        app = web.Application()
        app.router.add_route("*", "/v1/{tail:.*}", self._handle)
        # The accounts service (OAuth), for scripts/develop --demo: consent is given at once.
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/api/token", self._token)
        # Handlers stop when the client hangs up (a timed-out request), as Spotify's would.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.1
        )
        await self._runner.setup()
        inner = 0 if connect_delay else port
        site = web.TCPSite(self._runner, "127.0.0.1", inner, ssl_context=ssl_context)
        await site.start()
        host, api_port = self._runner.addresses[0][:2]
        self.accounts_url = f"http://{host}:{api_port}"
        if ssl_context is not None:
            accounts = web.TCPSite(self._runner, "127.0.0.1", 0)
            await accounts.start()
            self.accounts_url = "http://{}:{}".format(*self._runner.addresses[-1][:2])
        if connect_delay:
            server_port = api_port
            self._proxy = await asyncio.start_server(
                lambda reader, writer: self._proxy_connection(
                    reader, writer, server_port, connect_delay
                ),
                "127.0.0.1",
                port,
            )
            api_port = self._proxy.sockets[0].getsockname()[1]
        scheme = "https" if ssl_context is not None else "http"
        self.url = f"{scheme}://{host}:{api_port}/v1/"

    async def _proxy_connection(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        port: int,
        delay: float,
    ) -> None:
        """One client connection: wait `delay`, then pipe it to the server both ways."""
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await asyncio.sleep(delay)
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        except OSError:
            pass
        finally:
            writer.close()
            self._handlers.discard(task)

    async def stop(self) -> None:
        """Stop listening and drop open connections."""
        if self._proxy is not None:
            self._proxy.close()
            self._proxy = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        # A handler still sleeping in an injected delay must not outlive the test.
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.wait(self._handlers)

    async def _authorize(self, request: web.Request) -> web.Response:
        """Spotify's consent page, agreed to at once: back to HA with a code."""
        redirect = request.query.get("redirect_uri", "")
        if redirect.startswith("https://my.home-assistant.io/"):
            # What my.home-assistant.io does: send the browser on to the local instance.
            redirect = f"{self.home_assistant_url}/auth/external/callback"
        state = request.query.get("state", "")
        raise web.HTTPFound(f"{redirect}?code=demo-code&state={state}")

    async def _token(self, request: web.Request) -> web.Response:
        """Token endpoint: any code or refresh token gets the fake's valid token."""
        form = await request.post()
        if self.token_delay:
            await asyncio.sleep(self.token_delay)
        if form.get("grant_type") not in ("authorization_code", "refresh_token"):
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        return web.json_response(
            {
                "access_token": self.token,
                "refresh_token": "demo-refresh-token",
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": " ".join(SPOTIFY_SCOPES),
            }
        )

    # -- simulating the user and the account ------------------------------------------------------

    def set_premium(self, premium: bool) -> None:
        """Free accounts may read but get 403 PREMIUM_REQUIRED on every player command."""
        self.user.product = "premium" if premium else "free"

    def add_device(
        self,
        device_id: str | None,
        name: str,
        *,
        type: str = "Speaker",
        is_active: bool = False,
        is_restricted: bool = False,
        volume_percent: int | None = 50,
        supports_volume: bool = True,
    ) -> FakeDevice:
        """Add a device; an active one becomes the only active device."""
        device = FakeDevice(
            device_id,
            name,
            type=type,
            is_restricted=is_restricted,
            volume_percent=volume_percent,
            supports_volume=supports_volume,
        )
        self.devices.append(device)
        if is_active:
            self._activate(device)
        return device

    def remove_device(self, device_id: str) -> None:
        """Drop a device from the list (switched off); playback on it stops existing."""
        self.devices = [device for device in self.devices if device.id != device_id]
        if self.playback is not None and self.playback.device_id == device_id:
            self._clear_playback()

    def device(self, device_id: str | None) -> FakeDevice | None:
        """The device with this id, if listed."""
        return next((device for device in self.devices if device.id == device_id), None)

    @property
    def active_device(self) -> FakeDevice | None:
        """The device Spotify controls when a command names none."""
        return next((device for device in self.devices if device.is_active), None)

    def user_play(self, context_uri: str | None = None, device_id: str | None = None) -> None:
        """The user starts something in the Spotify app (on the active or first device)."""
        target = self.device(device_id) if device_id is not None else None
        target = target or self.active_device or (self.devices[0] if self.devices else None)
        if target is None:
            raise ValueError("add a device first")
        self._start(target, context_uri=context_uri, uris=None, offset=None, position_ms=None)

    def user_pause(self) -> None:
        """The user pauses in the Spotify app."""
        if self.playback is not None:
            self.playback.is_playing = False

    def user_listened(self, position_ms: int, *, track: int | None = None) -> None:
        """Playback got this far (the fake's position does not run by itself): track and ms."""
        playback = self.playback
        if playback is None:
            raise ValueError("nothing plays")
        if track is not None:
            playback.index = track
        playback.progress_ms = position_ms

    def user_transfer(self, device_id: str) -> None:
        """The user moves playback to another device in the Spotify app."""
        device = self.device(device_id)
        if device is None:
            raise ValueError(f"unknown device {device_id}")
        self._activate(device)
        if self.playback is not None:
            self.playback.device_id = device_id

    def stop_playback(self) -> None:
        """Nothing plays anywhere any more (GET /me/player answers 204)."""
        self._clear_playback()

    # -- fault injection --------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int | None = 1,
        retry_after: float | None = None,
        reason: str | None = None,
        message: str | None = None,
        after_acting: bool = False,
    ) -> None:
        """Answer the next ``times`` requests (None: all) to an endpoint with an error.

        ``method``/``path`` may be "*"; ``path`` is below /v1 ("/me/player/play"). 429 answers
        carry ``Retry-After`` (default 1 s); 404 defaults to reason NO_ACTIVE_DEVICE.
        ``after_acting``: the request is carried out all the same, and only its answer is the
        error (what Spotify does with a 502 while a speaker wakes up).
        """
        if status == 404 and reason is None:
            reason = NO_ACTIVE_DEVICE
        if status == 429 and retry_after is None:
            retry_after = 1
        self._faults.setdefault(self._key(method, path), []).append(
            _Fault(
                status,
                times,
                retry_after=retry_after,
                reason=reason,
                message=message,
                acts=after_acting,
            )
        )

    def answer_late(self, method: str, path: str, seconds: float, *, times: int | None = 1) -> None:
        """Carry the next ``times`` requests out at once but answer only after ``seconds``.

        Unlike ``delay`` the request has taken effect when a client that timed out hangs up.
        """
        self._faults.setdefault(self._key(method, path), []).append(
            _Fault(200, times, acts=True, late=seconds)
        )

    def respond(
        self,
        method: str,
        path: str,
        body: bytes | str | Any,
        *,
        status: int = 200,
        times: int | None = 1,
        content_type: str = "application/json",
    ) -> None:
        """Answer the next ``times`` requests with this raw body (bytes/str) or JSON value."""
        raw = (
            body
            if isinstance(body, bytes)
            else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        )
        self._faults.setdefault(self._key(method, path), []).append(
            _Fault(status, times, raw=raw, content_type=content_type)
        )

    def delay(self, method: str, path: str, seconds: float) -> None:
        """Add latency to every request to an endpoint (0 removes it)."""
        self._delays[self._key(method, path)] = seconds

    def clear_faults(self) -> None:
        """Back to normal answers."""
        self._faults.clear()
        self._delays.clear()

    # -- inspection -------------------------------------------------------------------------------

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Recorded requests to one endpoint, oldest first."""
        key = self._key(method, path)
        return [r for r in self.requests if (r.method, r.path) == key]

    # -- HTTP -------------------------------------------------------------------------------------

    @staticmethod
    def _key(method: str, path: str) -> tuple[str, str]:
        return method.upper(), path if path == "*" else _norm_path(path)

    def _matching(self, table: dict[tuple[str, str], Any], method: str, path: str) -> Any:
        for key in ((method, path), (method, "*"), ("*", path), ("*", "*")):
            if key in table:
                return table[key]
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        record = RecordedRequest(
            method=request.method,
            path=_norm_path(request.path),
            query=dict(request.query),
            body=body,
            json=parsed,
            headers=dict(request.headers),
            time=self.clock(),
        )
        self.requests.append(record)
        for hook in tuple(self.on_request):
            hook(record)
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            response = await self._answer(request, record)
        finally:
            self._handlers.discard(task)
        record.status = response.status
        record.response_body = response.body if isinstance(response.body, bytes) else b""
        record.response_headers = dict(response.headers)
        record.content_type = response.content_type if record.response_body else None
        return response

    async def _answer(self, request: web.Request, record: RecordedRequest) -> web.Response:
        if seconds := self._matching(self._delays, record.method, record.path):
            await asyncio.sleep(seconds)
        if record.token not in self.valid_tokens:
            return _error(401, "Invalid access token")
        fault = self._next_fault(record.method, record.path)
        if fault is not None and not fault.acts:
            return _fault_response(fault)
        route = self._routes.get((record.method, record.path))
        if route is None and record.method == "GET":
            route = self._catalogue_route(record.path)
        if route is None:
            return _error(404, "Service not found")
        try:
            response = route(_Call(request, record))
        except SpotifyHttpError as err:
            response = _error(err.status, err.message, err.reason)
        if fault is None:
            return response
        if fault.late is not None:
            await asyncio.sleep(fault.late)  # cancelled when the client hangs up
            return response
        return _fault_response(fault)

    def _next_fault(self, method: str, path: str) -> _Fault | None:
        for key in ((method, path), (method, "*"), ("*", path), ("*", "*")):
            queue = self._faults.get(key)
            if queue:
                fault = queue[0]
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        queue.pop(0)
                return fault
        return None

    # -- endpoint behaviour -----------------------------------------------------------------------

    def _get_me(self, call: _Call) -> web.Response:
        return web.json_response(self.user.to_json())

    def _get_devices(self, call: _Call) -> web.Response:
        return web.json_response({"devices": [device.to_json() for device in self.devices]})

    def _get_player(self, call: _Call) -> web.Response:
        playback = self.playback
        if playback is None:
            return web.Response(status=204)
        device = self.device(playback.device_id)
        data: dict[str, Any] = {
            "repeat_state": playback.repeat,
            "shuffle_state": playback.shuffle,
            "timestamp": playback.timestamp,
            "progress_ms": playback.progress_ms,
            "is_playing": playback.is_playing,
            "currently_playing_type": "track" if playback.item_uri else "unknown",
            # The contract's DisallowsObject is flat (older answers nested it in "disallows").
            "actions": {"resuming": True} if playback.is_playing else {"pausing": True},
        }
        # Spotify sends null for these; the contract types them as objects, so leave them out.
        if device is not None:
            data["device"] = device.to_json()
        if playback.context_uri is not None:
            kind = playback.context_uri.split(":")[1] if ":" in playback.context_uri else "album"
            data["context"] = {
                "type": kind,
                "uri": playback.context_uri,
                "href": f"https://api.spotify.com/v1/{kind}s/x",
                "external_urls": {"spotify": f"https://open.spotify.com/{kind}/x"},
            }
        if (uri := playback.item_uri) is not None:
            data["item"] = _track_json(uri, playback.item_name or "")
        return web.json_response(data)

    def _get_playlists(self, call: _Call) -> web.Response:
        limit = _int_param(call, "limit", 20, 1, 50)
        offset = _int_param(call, "offset", 0, 0, 100_000)
        page = self.playlists[offset : offset + limit]
        base = "https://api.spotify.com/v1/me/playlists"
        more = offset + limit < len(self.playlists)
        return web.json_response(
            {
                "href": f"{base}?offset={offset}&limit={limit}",
                "items": [playlist.to_json() for playlist in page],
                "limit": limit,
                "next": f"{base}?offset={offset + limit}&limit={limit}" if more else None,
                "offset": offset,
                "previous": f"{base}?offset={max(0, offset - limit)}&limit={limit}"
                if offset
                else None,
                "total": len(self.playlists),
            }
        )

    def _catalogue_route(self, path: str) -> Callable[[_Call], web.Response] | None:
        """GET /playlists/{id}, /albums/{id}, /artists/{id} or /tracks/{id}: its name."""
        parts = path.strip("/").split("/")
        kinds = {"playlists": "playlist", "albums": "album", "artists": "artist", "tracks": "track"}
        if len(parts) != 2 or parts[0] not in kinds:
            return None
        kind, item_id = kinds[parts[0]], parts[1]

        def answer(call: _Call) -> web.Response:
            uri = f"spotify:{kind}:{item_id}"
            if uri not in self.names:
                raise SpotifyHttpError(404, "Resource not found")
            body: dict[str, Any] = {"name": self.names[uri]}
            if call.record.query.get("fields") != "name":
                body |= {"id": item_id, "uri": uri, "type": kind}
            return web.json_response(body)

        return answer

    def _play(self, call: _Call) -> web.Response:
        self._require_premium()
        device = self._target(call)
        body = call.json if isinstance(call.json, dict) else {}
        context_uri, uris = body.get("context_uri"), body.get("uris")
        if context_uri is not None and uris is not None:
            raise SpotifyHttpError(400, "Only one of context_uri and uris may be given")
        if uris is not None and (
            not isinstance(uris, list) or not all(isinstance(u, str) for u in uris)
        ):
            raise SpotifyHttpError(400, "uris must be a list of strings")
        self._start(
            device,
            context_uri=context_uri,
            uris=uris,
            offset=body.get("offset"),
            position_ms=body.get("position_ms"),
        )
        return web.Response(status=204)

    def _pause(self, call: _Call) -> web.Response:
        self._require_premium()
        self._target(call)
        playback = self._require_playback()
        if not playback.is_playing:
            # What Spotify really answers when asked to pause a paused player.
            raise SpotifyHttpError(403, "Player command failed: Restriction violated", "UNKNOWN")
        playback.is_playing = False
        return web.Response(status=204)

    def _volume(self, call: _Call) -> web.Response:
        self._require_premium()
        volume = _int_param(call, "volume_percent", None, 0, 100)
        device = self._target(call)
        if not device.supports_volume or device.volume_percent is None:
            raise SpotifyHttpError(
                403,
                "Player command failed: Cannot control device volume",
                "VOLUME_CONTROL_DISALLOW",
            )
        device.volume_percent = volume
        return web.Response(status=204)

    def _shuffle(self, call: _Call) -> web.Response:
        self._require_premium()
        state = call.query.get("state")
        if state not in ("true", "false"):
            raise SpotifyHttpError(400, "Invalid state")
        self._target(call)
        self._require_playback().shuffle = state == "true"
        return web.Response(status=204)

    def _repeat(self, call: _Call) -> web.Response:
        self._require_premium()
        state = call.query.get("state")
        if state not in ("track", "context", "off"):
            raise SpotifyHttpError(400, "State must be one of track, context or off")
        self._target(call)
        self._require_playback().repeat = state
        return web.Response(status=204)

    def _next(self, call: _Call) -> web.Response:
        return self._skip(call, +1)

    def _previous(self, call: _Call) -> web.Response:
        return self._skip(call, -1)

    def _skip(self, call: _Call, step: int) -> web.Response:
        self._require_premium()
        self._target(call)
        playback = self._require_playback()
        playback.index = max(0, min(len(playback.tracks) - 1, playback.index + step))
        playback.progress_ms = 0
        return web.Response(status=204)

    def _transfer(self, call: _Call) -> web.Response:
        self._require_premium()
        body = call.json if isinstance(call.json, dict) else {}
        ids = body.get("device_ids")
        if not isinstance(ids, list) or len(ids) != 1:
            raise SpotifyHttpError(400, "Exactly one device id is supported")
        device = self.device(ids[0])
        if device is None:
            raise SpotifyHttpError(404, "Device not found", NO_ACTIVE_DEVICE)
        self._activate(device)
        if self.playback is None:
            self._start(device, context_uri=None, uris=None, offset=None, position_ms=None)
            self.playback.is_playing = bool(body.get("play"))  # type: ignore[union-attr]
        else:
            self.playback.device_id = device.id
            if body.get("play"):
                self.playback.is_playing = True
        return web.Response(status=204)

    # -- helpers ----------------------------------------------------------------------------------

    def _require_premium(self) -> None:
        if self.user.product != "premium":
            raise SpotifyHttpError(403, "Player command failed: Premium required", PREMIUM_REQUIRED)

    def _require_playback(self) -> FakePlayback:
        if self.playback is None:
            raise SpotifyHttpError(
                404, "Player command failed: No active device found", NO_ACTIVE_DEVICE
            )
        return self.playback

    def _target(self, call: _Call) -> FakeDevice:
        """The named device, or the active one; 404 NO_ACTIVE_DEVICE otherwise."""
        device_id = call.query.get("device_id")
        if device_id is not None:
            device = self.device(device_id)
            if device is None:
                raise SpotifyHttpError(404, "Device not found", NO_ACTIVE_DEVICE)
        else:
            device = self.active_device
            if device is None:
                raise SpotifyHttpError(404, NO_ACTIVE_DEVICE_MESSAGE, NO_ACTIVE_DEVICE)
        if device.is_restricted:
            raise SpotifyHttpError(
                403, "Player command failed: Restriction violated", "DEVICE_NOT_CONTROLLABLE"
            )
        return device

    def _activate(self, device: FakeDevice) -> None:
        for other in self.devices:
            other.is_active = other is device

    def _clear_playback(self) -> None:
        if self.playback is not None:
            self._last_context = self.playback.context_uri or self._last_context
        self.playback = None

    def _start(
        self,
        device: FakeDevice,
        *,
        context_uri: str | None,
        uris: list[str] | None,
        offset: Any,
        position_ms: Any,
    ) -> None:
        """Start (context/uris) or resume playback on ``device`` and make it the active one."""
        self._activate(device)
        now = int(self.clock() * 1000)
        if context_uri is None and uris is None:
            playback = self.playback
            if playback is None:
                context = self._last_context
                playback = FakePlayback(device.id, context, _tracks_for(context) if context else [])
                self.playback = playback
            playback.device_id = device.id
            playback.is_playing = True
            playback.timestamp = now
            return
        tracks = list(uris) if uris is not None else _tracks_for(str(context_uri))
        index = 0
        if isinstance(offset, dict):
            if isinstance(offset.get("position"), int):
                index = offset["position"]
            elif offset.get("uri") in tracks:
                index = tracks.index(offset["uri"])
        previous = self.playback
        self.playback = FakePlayback(
            device.id,
            context_uri,
            tracks,
            index=index,
            shuffle=previous.shuffle if previous else False,
            repeat=previous.repeat if previous else "off",
            progress_ms=position_ms if isinstance(position_ms, int) else 0,
            timestamp=now,
        )
        if context_uri is not None:
            self._last_context = context_uri


def _int_param(call: _Call, name: str, default: int | None, low: int, high: int) -> int:
    raw = call.query.get(name)
    if raw is None:
        if default is None:
            raise SpotifyHttpError(400, f"Missing required parameter {name}")
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SpotifyHttpError(400, f"Invalid {name}") from None
    if not low <= value <= high:
        raise SpotifyHttpError(400, f"{name} must be {low}..{high}")
    return value


def _track_json(uri: str, name: str) -> dict[str, Any]:
    track_id = uri.rsplit(":", 1)[-1]
    return {
        "type": "track",
        "id": track_id,
        "uri": uri,
        "name": name,
        "href": f"https://api.spotify.com/v1/tracks/{track_id}",
        "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
        "duration_ms": 200_000,
        "explicit": False,
        "is_local": False,
        "disc_number": 1,
        "track_number": 1,
        "artists": [],
    }


def _error(
    status: int, message: str, reason: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    error: dict[str, Any] = {"status": status, "message": message}
    if reason is not None:
        error["reason"] = reason
    return web.json_response({"error": error}, status=status, headers=headers)


_DEFAULT_MESSAGES = {
    401: "The access token expired",
    403: "Player command failed: Premium required",
    404: "Player command failed: No active device found",
    429: "API rate limit exceeded",
    500: "Server error",
    502: "Bad gateway.",
    503: "Service unavailable",
}


def _fault_response(fault: _Fault) -> web.Response:
    if fault.raw is not None:
        if fault.status == 204:
            return web.Response(status=204)
        return web.Response(status=fault.status, body=fault.raw, content_type=fault.content_type)
    headers = None
    if fault.retry_after is not None:
        headers = {"Retry-After": f"{fault.retry_after:g}"}
    message = fault.message or _DEFAULT_MESSAGES.get(fault.status, "Error")
    return _error(fault.status, message, fault.reason, headers)


# --- fixtures ------------------------------------------------------------------------------------


class FakeTokenProvider:
    """Token provider for SpotifyClient: returns ``token``; a forced refresh returns ``fresh``."""

    def __init__(self, token: str = DEFAULT_TOKEN, fresh: str | None = None) -> None:
        self.token = token
        self.fresh = fresh if fresh is not None else token
        self.calls: list[bool] = []

    async def __call__(self, force_refresh: bool) -> str:
        self.calls.append(force_refresh)
        if force_refresh:
            self.token = self.fresh
        return self.token


@pytest.fixture
async def fake_spotify(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncGenerator[FakeSpotify]:
    """A running fake Spotify; SpotifyClients built during the test talk to it."""
    fake = FakeSpotify()
    await fake.start()
    monkeypatch.setattr(spotify_api, "SPOTIFY_API_URL", fake.url)
    try:
        yield fake
    finally:
        await fake.stop()


def make_client(
    hass: HomeAssistant,
    fake: FakeSpotify,
    token_provider: Callable[[bool], Awaitable[str]] | None = None,
    **kwargs: Any,
) -> SpotifyClient:
    """A SpotifyClient on hass's executor bound to the fake; close it with ``await .close()``."""
    return SpotifyClient(
        token_provider or FakeTokenProvider(fake.token),
        hass.async_add_executor_job,
        api_url=fake.url,
        **kwargs,
    )


@pytest.fixture
async def spotify_client(
    hass: HomeAssistant, fake_spotify: FakeSpotify
) -> AsyncGenerator[SpotifyClient]:
    """A SpotifyClient bound to hass and the fake, closed after the test."""
    client = make_client(hass, fake_spotify)
    try:
        yield client
    finally:
        await client.close()
