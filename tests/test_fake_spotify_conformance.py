"""The fake Spotify and the client both keep to tests/spotify-web-api/openapi.yml.

A representative run of every client call (successes, 204s and every error the fake can send)
records each request the client sent and each answer the fake gave; all of them are validated
against the OpenAPI document with openapi-core. Where the document and the fake disagree, the
document wins and the fake is fixed.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from openapi_core import Config, OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
import pytest
import yaml

from custom_components.spottypottysense.spotify_api import SpotifyApiError, SpotifyClient

from .fake_spotify import (
    FakeSpotify,
    FakeTokenProvider,
    RecordedRequest,
    fake_spotify as fake_spotify,  # noqa: PLC0414 - the fixture
    make_client,
)

# sonallux/spotify-web-api's description of the Web API, kept in the repository (see its README).
SPEC_PATH = Path(__file__).resolve().parent / "spotify-web-api" / "openapi.yml"
HOST = "https://api.spotify.com"  # the document's server is https://api.spotify.com/v1
CONTEXT = "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"

# Statuses Spotify documents for every endpoint ("Response status codes" in its Web API guide)
# that the per-operation responses of the document leave out. Their body is Spotify's error
# object, checked against the document's own ErrorObject.
GENERIC_ERROR_STATUSES = {400, 404, 500, 502, 503}


class _Clock:
    """Test clock: sleeping moves it forward at once, so the run never really waits."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@functools.cache
def _spec() -> dict[str, Any]:
    """The document, read once per test session (YAML with the C loader: ~0.1 s).

    Erratum applied: CurrentlyPlayingContextObject.item has a discriminator on ``type`` without
    a mapping, so a validator looks up schemas named "track"/"episode", which do not exist
    (TrackObject's own ``type`` enum is "track"). The explicit mapping says what the document
    means; without it no track object could ever validate.
    """
    with SPEC_PATH.open("rb") as file:
        spec: dict[str, Any] = yaml.load(file, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    spec = copy.deepcopy(spec)
    item = spec["components"]["schemas"]["CurrentlyPlayingContextObject"]["properties"]["item"]
    item["discriminator"]["mapping"] = {
        "track": "#/components/schemas/TrackObject",
        "episode": "#/components/schemas/EpisodeObject",
    }
    return spec


@functools.cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_dict(_spec(), config=Config(spec_validator_cls=None))


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = _spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operation(method: str, path: str) -> dict[str, Any]:
    paths = _spec()["paths"]
    if path not in paths:  # a templated path: /playlists/{playlist_id}, /albums/{id}, ...
        parts = path.strip("/").split("/")
        path = next(
            template
            for template in paths
            if len(template.strip("/").split("/")) == len(parts)
            and all(
                t == p or t.startswith("{")
                for t, p in zip(template.strip("/").split("/"), parts, strict=True)
            )
        )
    operation: dict[str, Any] = paths[path][method.lower()]
    return operation


def _error_validator() -> OAS30Validator:
    schema = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": _spec()["components"]["schemas"]["ErrorObject"]},
    }
    return OAS30Validator(schema)


def _validate(record: RecordedRequest) -> None:
    """One exchange: the request strictly, the answer by its documented or generic schema."""
    # MockRequest ignores Content-Type in headers; it takes the body's type on its own.
    request = MockRequest(
        HOST,
        record.method.lower(),
        "/v1" + record.path,
        args=record.query,
        headers={"Authorization": record.headers.get("Authorization", "")},
        data=record.body or None,
        content_type="application/json",
    )
    _openapi().validate_request(request)

    # Stricter than the document (which allows extra properties): nothing it does not name.
    operation = _operation(record.method, record.path)
    declared = {_resolve(p)["name"] for p in operation.get("parameters", []) if "in" in _resolve(p)}
    assert set(record.query) <= declared, f"{record.method} {record.path}: {record.query}"
    if record.body:
        body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert set(record.json) <= set(body_schema["properties"]), record.json
        assert record.headers.get("Content-Type") == "application/json"

    response = MockResponse(
        record.response_body,
        status_code=record.status,
        headers=record.response_headers,
        content_type=record.content_type or "",
    )
    if str(record.status) in operation["responses"]:
        _openapi().validate_response(request, response)
        if record.status == 204:
            assert record.response_body == b""
    else:
        assert record.status in GENERIC_ERROR_STATUSES, record
        body = record.response_json
        _error_validator().validate(body)
        assert body["error"]["status"] == record.status
    if record.status >= 400:
        assert record.content_type == "application/json"
        assert record.response_json["error"]["status"] == record.status
    if record.status == 429:
        assert float(record.response_headers["Retry-After"]) >= 0


async def _expect_error(call: Any) -> None:
    with pytest.raises(SpotifyApiError):
        await call


async def _representative_run(client: SpotifyClient, fake: FakeSpotify) -> None:
    """Every client call, every answer the fake can give (none of them a raw override)."""
    fake.add_device("kitchen-id", "Kitchen", is_active=True)
    fake.add_device(
        "bath-id", "Bathroom", type="Smartphone", volume_percent=None, supports_volume=False
    )
    fake.add_device(None, "Restricted TV", type="TV", is_restricted=True)
    fake.playlists = fake.playlists * 40  # 120: three pages

    await client.current_user()  # 401 first (stale token), then one refresh
    await client.devices()
    assert await client.playback() is None  # 204
    await client.start_playback("kitchen-id", context_uri=CONTEXT, offset=2, position_ms=10)
    await client.playback()
    await client.start_playback(uris=["spotify:track:aaa", "spotify:track:bbb"], offset="x")
    await client.start_playback("kitchen-id")
    await client.set_volume(30, "kitchen-id")
    await client.set_volume(30)
    await client.set_shuffle(True, "kitchen-id")
    await client.set_shuffle(False)
    await client.set_repeat("track", "kitchen-id")
    await client.set_repeat("off")
    await client.next_track("kitchen-id")
    await client.next_track()
    await client.previous_track("kitchen-id")
    await client.previous_track()
    await client.pause("kitchen-id")
    await client.transfer_playback("bath-id", play=True)
    await client.transfer_playback("kitchen-id")
    await client.pause()
    await client.playback()
    await client.playlists()
    fake.names["spotify:playlist:37i9dQZF1DX4sWSpwq3LiO"] = "Peaceful Piano"
    assert await client.name_of("spotify:playlist:37i9dQZF1DX4sWSpwq3LiO") == "Peaceful Piano"
    assert await client.name_of("spotify:album:4aawyAB9vmqN3uQ7FjRGTy") is None  # not asked
    fake.names["spotify:artist:0OdUWJ0sBjDrqHygGUXeCF"] = "Band of Horses"
    fake.names["spotify:track:4uLU6hMCjMI75M1A2tKUQC"] = "Never Gonna Give You Up"
    assert await client.name_of("spotify:artist:0OdUWJ0sBjDrqHygGUXeCF") == "Band of Horses"
    assert await client.name_of("spotify:track:4uLU6hMCjMI75M1A2tKUQC") is not None
    assert await client.name_of("spotify:show:5CfCWKI5pZ28U0uOzXkDHe") is None  # not asked

    # Error answers of the fake's own behaviour.
    await _expect_error(client.pause())  # already paused: 403
    await _expect_error(client.start_playback("unknown-id", context_uri=CONTEXT))  # 404
    await _expect_error(client.set_volume(50, "bath-id"))  # 403, volume not controllable
    fake.set_premium(False)
    await _expect_error(client.start_playback("kitchen-id"))  # 403 PREMIUM_REQUIRED
    fake.set_premium(True)
    fake.stop_playback()
    await _expect_error(client.set_shuffle(True))  # 404, nothing plays
    await _expect_error(client.transfer_playback("unknown-id"))  # 404
    await _expect_error(client.name_of("spotify:playlist:0000000000000000000000"))  # 404

    # Injected faults, on reads and writes.
    fake.fail("GET", "/me/player/devices", 429, retry_after=1)
    fake.fail("GET", "/me/player/devices", 500)
    fake.fail("GET", "/me/player/devices", 502)
    await client.devices()
    fake.fail("PUT", "/me/player/play", 503, times=3)
    await _expect_error(client.start_playback("kitchen-id"))
    fake.fail("POST", "/me/player/next", 401, times=2)
    await _expect_error(client.next_track())
    fake.fail("GET", "/me", 403, reason="PREMIUM_REQUIRED")
    await _expect_error(client.current_user())
    fake.fail("PUT", "/me/player/volume", 404)
    await _expect_error(client.set_volume(5, "kitchen-id"))
    fake.fail("GET", "/me/playlists", 400)
    await _expect_error(client.playlists())


@pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")
async def test_client_and_fake_follow_the_spec(
    hass: HomeAssistant, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.valid_tokens = {"fresh-token"}
    clock = _Clock()
    client = make_client(
        hass,
        fake_spotify,
        FakeTokenProvider("stale-token", fresh="fresh-token"),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    try:
        await _representative_run(client, fake_spotify)
    finally:
        await client.close()

    records = fake_spotify.requests
    for record in records:
        _validate(record)

    # The run covered every operation the client uses and every status the fake sends.
    assert {(r.method, r.path) for r in records} == {
        ("GET", "/me"),
        ("GET", "/me/player"),
        ("PUT", "/me/player"),
        ("GET", "/me/player/devices"),
        ("PUT", "/me/player/play"),
        ("PUT", "/me/player/pause"),
        ("PUT", "/me/player/volume"),
        ("PUT", "/me/player/shuffle"),
        ("PUT", "/me/player/repeat"),
        ("POST", "/me/player/next"),
        ("POST", "/me/player/previous"),
        ("GET", "/me/playlists"),
        ("GET", "/playlists/37i9dQZF1DX4sWSpwq3LiO"),
        ("GET", "/playlists/0000000000000000000000"),
        ("GET", "/artists/0OdUWJ0sBjDrqHygGUXeCF"),
        ("GET", "/tracks/4uLU6hMCjMI75M1A2tKUQC"),
    }
    assert {r.status for r in records} == {200, 204, 400, 401, 403, 404, 429, 500, 502, 503}


@pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")
def test_validator_catches_disagreement() -> None:
    """The check is not vacuous: answers or requests off the document fail it."""
    base = RecordedRequest(
        method="GET",
        path="/me/player",
        query={},
        body=b"",
        json=None,
        headers={"Authorization": "Bearer t"},
        time=0,
        status=200,
        content_type="application/json",
    )
    bad_answers = [
        {"is_playing": True, "context": None},  # null where the document wants an object
        {"is_playing": True, "device": {"id": "d", "volume_percent": 101}},
        {"is_playing": "yes"},
    ]
    for answer in bad_answers:
        record = copy.copy(base)
        record.response_body = json.dumps(answer).encode()
        with pytest.raises(OpenAPIError):
            _validate(record)

    bad_requests = [
        copy.replace(base, path="/me/"),  # spotipy's me() path
        copy.replace(base, method="PUT", path="/me/player/volume", query={"volume_percent": "x"}),
        copy.replace(base, path="/me/player/devices", query={"limit": "5"}),
    ]
    for record in bad_requests:
        record.status, record.response_body = 204, b""
        with pytest.raises((OpenAPIError, AssertionError)):
            _validate(record)

    # A status neither the operation nor Spotify's generic list knows.
    record = copy.replace(base, status=418, response_body=b'{"error": {}}')
    with pytest.raises(AssertionError):
        _validate(record)
