"""Async Spotify Web API client over spotipy: the only module that talks HTTP to Spotify.

spotipy is synchronous, so every call runs in Home Assistant's executor on one pooled
``requests.Session``. spotipy's own retries and sleeps are off; this module decides what to retry
(429 after ``Retry-After``, 5xx and connection errors with backoff, 401 after one token refresh),
maps every failure to a typed error with a translation key, and parses answers into frozen
dataclasses so that no raw dict leaves this module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
import logging
import math
import random
import re
import threading
import time
from typing import Any, ClassVar, Final

import requests
import spotipy
from urllib3.exceptions import ConnectTimeoutError

from .api_connection import ConnectionWarmer
from .const import SPOTIFY_API_URL

_LOGGER = logging.getLogger(__name__)

TokenProvider = Callable[[bool], Awaitable[str]]
"""Returns a valid access token; the argument forces a refresh (after a 401)."""

Executor = Callable[..., Awaitable[Any]]
"""Runs ``func(*args)`` off the event loop, like ``hass.async_add_executor_job``."""

DEFAULT_TIMEOUT: Final = 10.0
MAX_RATE_LIMIT_RETRIES: Final = 2
MAX_TRANSIENT_TRIES: Final = 3
BACKOFF_BASE: Final = 1.0
BACKOFF_MAX: Final = 8.0
DEFAULT_RETRY_AFTER: Final = 5.0
PLAYLIST_PAGE_SIZE: Final = 50
REPEAT_STATES: Final = frozenset({"track", "context", "off"})

_BEARER = re.compile(r"(Bearer\s+)[^\s'\",}]+", re.IGNORECASE)


# --- errors -------------------------------------------------------------------------------------


class SpotifyApiError(Exception):
    """Base of every client error; callers raise a translated HomeAssistantError from it."""

    translation_key: ClassVar[str] = "api_error"

    def __init__(
        self, message: str = "", *, translation_placeholders: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message or self.__class__.__name__)
        self.translation_placeholders: dict[str, str] = dict(translation_placeholders or {})


class SpotifyConnectionError(SpotifyApiError):
    """Spotify could not be reached: timeouts, connection errors, 5xx after the retries.

    ``may_have_acted``: the request left and Spotify may have carried it out although no
    answer came back (a 5xx, a read timeout, a connection reset after sending).
    """

    translation_key: ClassVar[str] = "cannot_connect"

    def __init__(self, message: str = "", *, may_have_acted: bool = False) -> None:
        super().__init__(message)
        self.may_have_acted = may_have_acted


class SpotifyAuthError(SpotifyApiError):
    """The token is refused even after a forced refresh: the account needs reauthentication."""

    translation_key: ClassVar[str] = "auth_failed"


class SpotifyForbiddenError(SpotifyApiError):
    """403: not Premium, a restricted device, or a command the player refuses."""

    translation_key: ClassVar[str] = "forbidden"

    def __init__(self, message: str = "", *, reason: str | None = None) -> None:
        super().__init__(message, translation_placeholders={"reason": reason} if reason else None)
        self.reason = reason


class SpotifyNotFoundError(SpotifyApiError):
    """404: the targeted device is unknown, or no device is active."""

    translation_key: ClassVar[str] = "device_not_found"

    def __init__(
        self, message: str = "", *, device_id: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message, translation_placeholders={"device_id": device_id or ""})
        self.device_id = device_id
        self.reason = reason


class SpotifyRateLimitError(SpotifyApiError):
    """429 after the retries, or a Retry-After too long to wait for."""

    translation_key: ClassVar[str] = "rate_limited"

    def __init__(self, message: str = "", *, retry_after: float = 0.0) -> None:
        super().__init__(
            message, translation_placeholders={"retry_after": str(math.ceil(retry_after))}
        )
        self.retry_after = retry_after


class SpotifyResponseError(SpotifyApiError):
    """An answer that does not parse into the models (bad JSON or an unexpected shape)."""

    translation_key: ClassVar[str] = "bad_response"


# --- models -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpotifyUser:
    """The account the token belongs to."""

    user_id: str
    display_name: str
    email: str | None
    product: str | None
    country: str | None

    @property
    def is_premium(self) -> bool:
        """Spotify accepts playback commands only from Premium accounts."""
        return self.product == "premium"


@dataclass(frozen=True, slots=True)
class SpotifyDevice:
    """A Spotify Connect device; its id may be None for some restricted devices."""

    device_id: str | None
    name: str
    type: str
    is_active: bool
    is_restricted: bool
    volume_percent: int | None
    supports_volume: bool


@dataclass(frozen=True, slots=True)
class PlaybackState:
    """What the account plays right now, and where."""

    is_playing: bool
    device: SpotifyDevice | None
    context_uri: str | None
    item_uri: str | None
    item_name: str | None
    shuffle: bool
    repeat: str
    progress_ms: int | None


@dataclass(frozen=True, slots=True)
class Playlist:
    """One of the current user's playlists, for pickers."""

    uri: str
    name: str
    owner: str | None


# --- parsing ------------------------------------------------------------------------------------


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SpotifyResponseError(f"Spotify sent {type(value).__name__} for {what}, not an object")
    return value


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise SpotifyResponseError(f"Spotify sent no text for {key!r}")
    return value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise SpotifyResponseError(f"Spotify sent {type(value).__name__} for {key!r}, not text")
    return value


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise SpotifyResponseError(f"Spotify sent {type(value).__name__} for {key!r}, not a number")
    return value


def _bool(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise SpotifyResponseError(f"Spotify sent {type(value).__name__} for {key!r}, not a bool")
    return value


def _parse_user(raw: Any) -> SpotifyUser:
    data = _mapping(raw, "the user")
    user_id = _str(data, "id")
    return SpotifyUser(
        user_id=user_id,
        # Spotify may omit the name; the id is what the account page shows then.
        display_name=_opt_str(data, "display_name") or user_id,
        email=_opt_str(data, "email"),
        product=_opt_str(data, "product"),
        country=_opt_str(data, "country"),
    )


def _parse_device(raw: Any) -> SpotifyDevice:
    data = _mapping(raw, "a device")
    volume = _opt_int(data, "volume_percent")
    return SpotifyDevice(
        device_id=_opt_str(data, "id"),
        name=_str(data, "name"),
        type=_opt_str(data, "type") or "Unknown",
        is_active=_bool(data, "is_active", False),
        is_restricted=_bool(data, "is_restricted", False),
        volume_percent=volume,
        supports_volume=_bool(data, "supports_volume", volume is not None),
    )


def _parse_devices(raw: Any) -> list[SpotifyDevice]:
    devices = _mapping(raw, "the device list").get("devices")
    if not isinstance(devices, list):
        raise SpotifyResponseError("Spotify sent no device list")
    return [_parse_device(device) for device in devices]


def _parse_playback(raw: Any) -> PlaybackState:
    data = _mapping(raw, "the playback state")
    device = data.get("device")
    context = data.get("context")
    item = data.get("item")
    context_data = _mapping(context, "the context") if context is not None else {}
    item_data = _mapping(item, "the item") if item is not None else {}
    return PlaybackState(
        is_playing=_bool(data, "is_playing", False),
        device=_parse_device(device) if device is not None else None,
        context_uri=_opt_str(context_data, "uri"),
        item_uri=_opt_str(item_data, "uri"),
        item_name=_opt_str(item_data, "name"),
        shuffle=_bool(data, "shuffle_state", False),
        repeat=_opt_str(data, "repeat_state") or "off",
        progress_ms=_opt_int(data, "progress_ms"),
    )


def _parse_playlist(raw: Any) -> Playlist:
    data = _mapping(raw, "a playlist")
    owner = data.get("owner")
    owner_data = _mapping(owner, "the playlist owner") if owner is not None else {}
    return Playlist(
        uri=_str(data, "uri"),
        name=_str(data, "name"),
        owner=_opt_str(owner_data, "display_name") or _opt_str(owner_data, "id"),
    )


# --- transport helpers --------------------------------------------------------------------------


class _MalformedResponseError(Exception):
    """A 2xx answer whose body is not JSON (spotipy would silently turn it into None)."""


def _check_json(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """Response hook: spotipy maps undecodable bodies to None, which would hide broken answers."""
    if 200 <= response.status_code < 300 and response.content:
        try:
            response.json()
        except ValueError as err:
            raise _MalformedResponseError(
                f"HTTP {response.status_code} with a body that is not JSON"
            ) from err
    return response


class _ThreadToken:
    """spotipy auth manager that hands out the token of the calling executor thread.

    One spotipy client serves concurrent executor threads; a shared ``set_auth`` would let one
    call send another call's token.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def set(self, token: str | None) -> None:
        self._local.token = token

    def get_access_token(self, as_dict: bool = False) -> str | None:
        return getattr(self._local, "token", None)


class _RedactBearer(logging.Filter):
    """Keep tokens and account data out of spotipy's DEBUG lines, and its ERROR lines quiet.

    spotipy logs request headers (the bearer token) at DEBUG, and every answer in full
    ("RESULTS: ..."), which holds the account's e-mail, name and country; and it logs every HTTP
    error at ERROR although this module maps, retries and reports them; those show only with
    spotipy debugging.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("RESULTS: "):
            record.msg = "RESULTS: **REDACTED** (%d characters)"
            record.args = (len(message) - len("RESULTS: "),)
            return True
        if "bearer" in message.lower():
            record.msg = _BEARER.sub(r"\1**REDACTED**", message)
            record.args = None
        if record.levelno >= logging.WARNING and message.startswith(
            ("HTTP Error for", "Max Retries")
        ):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


_REDACT_FILTER: Final = _RedactBearer()
for _name in ("spotipy", "spotipy.client", "urllib3.connectionpool"):
    logging.getLogger(_name).addFilter(_REDACT_FILTER)


def _retry_after(headers: Mapping[str, str] | None) -> float:
    """Seconds from a Retry-After header; Spotify sends whole seconds."""
    value = (headers or {}).get("Retry-After")
    try:
        seconds = float(value) if value is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        seconds = DEFAULT_RETRY_AFTER
    if not math.isfinite(seconds):
        return DEFAULT_RETRY_AFTER
    return max(0.0, seconds)


def _may_have_been_sent(err: requests.RequestException) -> bool:
    """False only when the request certainly never reached Spotify (no connection made)."""
    if isinstance(err, requests.ConnectTimeout):
        return False
    if isinstance(err, requests.ConnectionError) and err.args:
        # urllib3 wraps "could not connect" (refused, DNS, connect timeout) in MaxRetryError.
        reason = getattr(err.args[0], "reason", err.args[0])
        if isinstance(reason, ConnectTimeoutError):  # NewConnectionError is one too
            return False
    return True


def _spotify_message(err: spotipy.SpotifyException) -> str:
    """Spotify's own error text, without the URL spotipy puts in front of it."""
    return str(err.msg).rsplit(":\n ", 1)[-1]


# --- the client ---------------------------------------------------------------------------------


class SpotifyClient:
    """Async facade over spotipy for one Spotify account."""

    def __init__(
        self,
        token_provider: TokenProvider,
        executor: Executor,
        *,
        api_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = random.random,
        max_rate_limit_wait: float = 30.0,
    ) -> None:
        self._token_provider = token_provider
        self._executor = executor
        self._sleep = sleep
        self._monotonic = monotonic
        self._random = random
        self._max_rate_limit_wait = max_rate_limit_wait
        self.timeout = timeout  # seconds a request may take
        self._refusing = False
        self.last_rate_limit_wait: float | None = None
        self.rate_limited_until: float | None = None
        self.requests_sent = 0

        url = api_url if api_url is not None else SPOTIFY_API_URL
        self._token = _ThreadToken()
        self._session = requests.Session()
        self._session.hooks["response"].append(_check_json)
        # An own session means spotipy mounts no urllib3 Retry adapter; retries=0 for the rest.
        self._spotify = spotipy.Spotify(
            auth_manager=self._token,
            requests_session=self._session,
            requests_timeout=timeout,
            retries=0,
            status_retries=0,
            backoff_factor=0,
        )
        self._spotify.prefix = url if url.endswith("/") else f"{url}/"
        self._warmer = ConnectionWarmer(self._session, self._spotify.prefix, timeout)

    # -- calls -----------------------------------------------------------------------------------

    async def current_user(self) -> SpotifyUser:
        """GET /me (spotipy's ``me()`` asks for ``me/``, which the API contract does not know)."""
        return _parse_user(await self._call("_get", "me"))

    async def devices(self) -> list[SpotifyDevice]:
        """GET /me/player/devices."""
        return _parse_devices(await self._call("devices"))

    async def playback(self) -> PlaybackState | None:
        """GET /me/player; None when nothing plays anywhere (204)."""
        raw = await self._call("current_playback", additional_types="track,episode")
        return None if raw is None else _parse_playback(raw)

    async def start_playback(
        self,
        device_id: str | None = None,
        *,
        context_uri: str | None = None,
        uris: list[str] | None = None,
        offset: int | str | None = None,
        position_ms: int | None = None,
    ) -> None:
        """PUT /me/player/play: a context, a list of items, or (neither) resume."""
        if context_uri is not None and uris is not None:
            raise ValueError("Give a context_uri or uris, not both")
        offset_body: dict[str, Any] | None = None
        if isinstance(offset, str):
            offset_body = {"uri": offset}
        elif offset is not None:
            offset_body = {"position": offset}
        # Not replayed after a 5xx or a lost answer: Spotify may have started it already, and a
        # second play restarts the playlist. The caller reads the playback to find out instead.
        await self._call(
            "start_playback",
            replay_safe=False,
            device_id=device_id,
            context_uri=context_uri,
            uris=list(uris) if uris is not None else None,
            offset=offset_body,
            position_ms=position_ms,
            target=device_id,
        )

    async def pause(self, device_id: str | None = None) -> None:
        """PUT /me/player/pause."""
        await self._call("pause_playback", device_id=device_id, target=device_id)

    async def set_volume(self, volume_percent: int, device_id: str | None = None) -> None:
        """PUT /me/player/volume (spotipy silently skips bad values, so check them here)."""
        if isinstance(volume_percent, bool) or not isinstance(volume_percent, int):
            raise TypeError("volume_percent must be an int")
        if not 0 <= volume_percent <= 100:
            raise ValueError("volume_percent must be 0..100")
        await self._call("volume", volume_percent, device_id=device_id, target=device_id)

    async def set_shuffle(self, state: bool, device_id: str | None = None) -> None:
        """PUT /me/player/shuffle."""
        await self._call("shuffle", bool(state), device_id=device_id, target=device_id)

    async def set_repeat(self, state: str, device_id: str | None = None) -> None:
        """PUT /me/player/repeat with track, context or off."""
        if state not in REPEAT_STATES:
            raise ValueError(f"repeat state must be one of {sorted(REPEAT_STATES)}")
        await self._call("repeat", state, device_id=device_id, target=device_id)

    async def next_track(self, device_id: str | None = None) -> None:
        """POST /me/player/next."""
        await self._call("next_track", device_id=device_id, target=device_id)

    async def previous_track(self, device_id: str | None = None) -> None:
        """POST /me/player/previous."""
        await self._call("previous_track", device_id=device_id, target=device_id)

    async def transfer_playback(self, device_id: str, *, play: bool = False) -> None:
        """PUT /me/player: move playback to a device, playing or keeping the current state."""
        await self._call("transfer_playback", device_id, force_play=play, target=device_id)

    async def name_of(self, uri: str) -> str | None:
        """The name of a playlist, artist or track (one GET); None for other kinds.

        Used once, when a room's source is saved, so the form and the device page can show
        "Peaceful Piano" instead of its URI.
        """
        parts = uri.split(":")
        if len(parts) != 3 or parts[0] != "spotify":
            return None
        kind, item_id = parts[1], parts[2]
        if kind == "playlist":
            raw = await self._call("playlist", item_id, fields="name")
        elif kind in ("artist", "track"):
            raw = await self._call(kind, item_id)
        else:
            return None
        data = _mapping(raw, f"a {kind}")
        return _opt_str(data, "name")

    async def playlists(self, *, max_items: int = 500) -> list[Playlist]:
        """GET /me/playlists, page by page, at most ``max_items`` playlists.

        Pages are asked by offset, never by the server's ``next`` URL, so the token only ever
        goes to the configured API host.
        """
        result: list[Playlist] = []
        offset = 0
        while len(result) < max_items:
            limit = min(PLAYLIST_PAGE_SIZE, max_items - len(result))
            page = _mapping(
                await self._call("current_user_playlists", limit=limit, offset=offset),
                "a playlist page",
            )
            items = page.get("items")
            if not isinstance(items, list):
                raise SpotifyResponseError("Spotify sent a playlist page without items")
            # Spotify lists playlists it can no longer show as null; skip them.
            result.extend(_parse_playlist(item) for item in items if item is not None)
            offset += len(items)
            total = _opt_int(page, "total")
            if not items or page.get("next") is None or (total is not None and offset >= total):
                break
        return result[:max_items]

    async def close(self) -> None:
        """Close the pooled connections (in the executor: closing may touch sockets)."""
        await self._executor(self._session.close)

    # -- transport -------------------------------------------------------------------------------

    async def sleep(self, seconds: float) -> None:
        """Wait with the client's own sleep (tests replace it, so no test really waits)."""
        await self._sleep(seconds)

    async def _call(
        self,
        method: str,
        *args: Any,
        target: str | None = None,
        replay_safe: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Run one spotipy call with this module's retry rules; see the module docstring.

        ``replay_safe=False`` (a play): a failure after the request may have reached Spotify
        is raised at once as ``SpotifyConnectionError(may_have_acted=True)``, never retried.
        """
        what = f"GET {args[0]}" if method == "_get" else method  # for messages and logs
        force_refresh = False
        refreshed = False
        rate_limit_retries = 0
        transient_tries = 0
        while True:
            await self._wait_for_rate_limit()
            token = await self._token_with_connection(force_refresh)
            force_refresh = False
            # Fetching the token may have taken a while; a 429 seen meanwhile still holds.
            await self._wait_for_rate_limit()
            self.requests_sent += 1
            try:
                return await self._executor(self._send, token, method, args, kwargs)
            except _MalformedResponseError as err:
                raise SpotifyResponseError(f"{what}: {err}") from None
            except spotipy.SpotifyException as err:
                status = int(err.http_status)
                if status == 401:
                    if refreshed:
                        raise SpotifyAuthError(f"{what}: token refused after refresh") from None
                    _LOGGER.debug("%s: 401, refreshing the token once", what)
                    refreshed = force_refresh = True
                    continue
                if status == 429:
                    retry_after = self._note_rate_limit(err.headers)
                    if retry_after > self._max_rate_limit_wait:
                        self._refusing = True
                        raise SpotifyRateLimitError(
                            f"{what}: rate limited for {retry_after:g} s", retry_after=retry_after
                        ) from None
                    if rate_limit_retries >= MAX_RATE_LIMIT_RETRIES:
                        raise SpotifyRateLimitError(
                            f"{what}: still rate limited after {rate_limit_retries} retries",
                            retry_after=retry_after,
                        ) from None
                    rate_limit_retries += 1
                    _LOGGER.debug("%s: 429, waiting %g s", what, retry_after)
                    continue
                if status >= 500:
                    if not replay_safe:
                        raise SpotifyConnectionError(
                            f"{what}: HTTP {status}, not replayed", may_have_acted=True
                        ) from None
                    transient_tries += 1
                    await self._backoff_or_raise(
                        what, f"HTTP {status}", transient_tries, cause=None
                    )
                    continue
                message = f"{what}: HTTP {status}: {_spotify_message(err)}"
                if status == 403:
                    raise SpotifyForbiddenError(message, reason=err.reason) from None
                if status == 404:
                    raise SpotifyNotFoundError(
                        message, device_id=target, reason=err.reason
                    ) from None
                raise SpotifyApiError(message) from None
            except requests.RequestException as err:
                if not replay_safe and _may_have_been_sent(err):
                    raise SpotifyConnectionError(
                        f"{what}: {type(err).__name__}, not replayed", may_have_acted=True
                    ) from err
                transient_tries += 1
                await self._backoff_or_raise(what, type(err).__name__, transient_tries, cause=err)

    async def _token_with_connection(self, force_refresh: bool) -> str:
        """The token, and while it is refreshed, the API connection if the pool has none.

        A valid token comes back without waiting (nothing to overlap: the request opens its
        connection itself, as always); a refresh takes its round trip to the token endpoint,
        and the connection opens meanwhile, so the request finds it ready.
        """

        async def fetch() -> str:
            return await self._token_provider(force_refresh)

        fetching = asyncio.Task(fetch(), eager_start=True)
        if fetching.done() or not self._warmer.cold():
            return await fetching
        token_here = threading.Event()
        warming = self._executor(self._warmer.warm, token_here)
        try:
            return await fetching
        finally:
            token_here.set()
            await warming  # never raises; the request then takes the opened connection

    def _send(self, token: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Executor side: one spotipy call with this thread's token."""
        self._token.set(token)
        try:
            return getattr(self._spotify, method)(*args, **kwargs)
        finally:
            self._token.set(None)

    async def _backoff_or_raise(
        self, operation: str, failure: str, tries: int, *, cause: BaseException | None
    ) -> None:
        """Exponential backoff with jitter between transient failures, bounded in tries."""
        if tries >= MAX_TRANSIENT_TRIES:
            raise SpotifyConnectionError(f"{operation}: {failure} after {tries} tries") from cause
        delay = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (tries - 1)) * (0.5 + self._random() / 2)
        _LOGGER.debug("%s: %s, retrying in %.2f s", operation, failure, delay)
        await self._sleep(delay)

    def _note_rate_limit(self, headers: Mapping[str, str] | None) -> float:
        """Remember a 429 so that no request at all goes out before it expires."""
        retry_after = _retry_after(headers)
        self.last_rate_limit_wait = retry_after
        until = self._monotonic() + retry_after
        if self.rate_limited_until is None or until > self.rate_limited_until:
            self.rate_limited_until = until
        return retry_after

    async def _wait_for_rate_limit(self) -> None:
        """Sleep until the last Retry-After expires, or refuse while a too-long one runs."""
        while self.rate_limited_until is not None:
            remaining = self.rate_limited_until - self._monotonic()
            if remaining <= 0:
                self.rate_limited_until = None
                self._refusing = False
                return
            if self._refusing:
                raise SpotifyRateLimitError(
                    f"Rate limited for {remaining:.0f} more s", retry_after=remaining
                )
            await self._sleep(remaining)
