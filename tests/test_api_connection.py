"""The API connection opens while the request waits for its token, not after it.

After an hour of quiet the pooled connection is gone and the token may need a refresh: the
two overlap, so the request finds the connection open when the token comes back.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import socket
import threading
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
import requests
from urllib3.connection import HTTPConnection, HTTPSConnection

from custom_components.spottypottysense.api_connection import (
    ConnectionWarmer,
    _only_housekeeping,
)
from custom_components.spottypottysense.spotify_api import SpotifyClient
from tests.fake_spotify import FakeSpotify, make_client
from tests.tls import tls_for_loopback


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every new connection the client opens (urllib3's connect), in order."""
    opened: list[str] = []
    original = HTTPConnection.connect

    original_tls = HTTPSConnection.connect

    def connect(self: HTTPConnection) -> None:
        opened.append(f"{self.host}:{self.port}")
        original(self)

    def connect_tls(self: HTTPSConnection) -> None:
        opened.append(f"{self.host}:{self.port}")
        original_tls(self)

    monkeypatch.setattr(HTTPConnection, "connect", connect)
    monkeypatch.setattr(HTTPSConnection, "connect", connect_tls)
    return opened


async def _until(predicate: Any) -> None:
    """Let the executor's thread get on (bounded: a few hundred loop turns)."""
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.002)


async def test_the_connection_opens_during_the_token_refresh(
    hass: HomeAssistant, fake_spotify: FakeSpotify, connects: list[str]
) -> None:
    refresh_done = asyncio.Event()
    seen_during_refresh: list[int] = []

    async def slow_refresh(force_refresh: bool) -> str:
        # The token endpoint takes its round trip; meanwhile the connection opens.
        await _until(lambda: connects)
        seen_during_refresh.append(len(connects))
        refresh_done.set()
        return fake_spotify.token

    client = make_client(hass, fake_spotify, token_provider=slow_refresh)
    try:
        await client.playback()
        assert seen_during_refresh == [1]
        assert len(connects) == 1  # the request took the connection opened ahead
        # Warm: the pooled connection serves the next request; nothing opens ahead.
        await client.playback()
        assert len(connects) == 1
        # The connections were closed (an hour of quiet): opened ahead again, once.
        await client.close()
        await client.playback()
        assert len(connects) == 2
    finally:
        await client.close()


async def test_over_tls_the_connection_opened_ahead_is_the_one_used(
    hass: HomeAssistant,
    socket_enabled: None,
    connects: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """TLS 1.3 servers send tickets after the handshake; read, they keep it reusable."""
    server_tls, _, ca_file = tls_for_loopback(tmp_path)
    fake = FakeSpotify()
    await fake.start(ssl_context=server_tls, connect_delay=0.02)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_file)
    refreshing = asyncio.Event()

    async def slow_refresh(force_refresh: bool) -> str:
        await _until(lambda: connects)
        await asyncio.sleep(0.05)  # the token endpoint's round trip, longer than the connect
        refreshing.set()
        return fake.token

    client = SpotifyClient(slow_refresh, hass.async_add_executor_job, api_url=fake.url)
    try:
        await client.playback()
        assert refreshing.is_set()
        assert len(connects) == 1  # opened during the refresh, and used by the request
        await client.playback()
        assert len(connects) == 1
    finally:
        await client.close()
        await fake.stop()


async def test_a_connection_that_cannot_open_ahead_leaves_the_request_to_report(
    hass: HomeAssistant, fake_spotify: FakeSpotify, connects: list[str]
) -> None:
    url = fake_spotify.url
    await fake_spotify.stop()  # nobody listens: the warm-up fails quietly, the request reports
    client = make_client(hass, fake_spotify, timeout=0.5)
    try:
        warmer = ConnectionWarmer(client._session, url, 0.5)
        await hass.async_add_executor_job(warmer.warm)
        assert warmer.cold()
    finally:
        await client.close()


def test_behind_a_proxy_nothing_is_opened_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = requests.Session()
    warmer = ConnectionWarmer(session, "http://api.example.invalid/v1/", 1.0)
    warmer.warm()  # no pool of ours: the proxy's connection is the request's
    assert warmer.cold()
    session.close()


class _OtherAdapter(requests.adapters.BaseAdapter):
    def close(self) -> None:
        """Nothing pooled."""


def test_a_session_with_another_adapter_is_left_alone() -> None:
    session = requests.Session()
    session.mount("http://", _OtherAdapter())
    warmer = ConnectionWarmer(session, "http://127.0.0.1:9/v1/", 1.0)
    warmer.warm()
    assert warmer.cold()
    session.close()


class _Conn:
    """A connection as urllib3 holds it: its socket, and close()."""

    def __init__(self, sock: socket.socket | None) -> None:
        self.sock = sock
        self.closed = False

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("peer_sends", [b"unasked", None])
def test_a_new_connection_with_bytes_or_closed_is_not_kept(
    socket_enabled: None, peer_sends: bytes | None
) -> None:
    """Bytes nobody asked for, or the server hanging up: closed, the request opens its own."""
    ours, peer = socket.socketpair()
    try:
        if peer_sends is None:
            peer.close()
        else:
            peer.sendall(peer_sends)
        conn = _Conn(ours)
        ConnectionWarmer(requests.Session(), "http://127.0.0.1:9/v1/", 1.0)._settle(
            conn, threading.Event()
        )
        assert conn.closed
        assert ours.gettimeout() is None  # its blocking mode is put back
    finally:
        ours.close()
        peer.close()


def test_a_quiet_new_connection_is_kept_once_the_token_is_here(socket_enabled: None) -> None:
    ours, peer = socket.socketpair()
    here = threading.Event()
    here.set()
    try:
        conn = _Conn(ours)
        ConnectionWarmer(requests.Session(), "http://127.0.0.1:9/v1/", 1.0)._settle(conn, here)
        assert not conn.closed
        ConnectionWarmer(requests.Session(), "http://127.0.0.1:9/v1/", 1.0)._settle(
            _Conn(None), here
        )
    finally:
        ours.close()
        peer.close()


def test_a_socket_that_fails_to_read_is_not_housekeeping() -> None:
    class Failing:
        def gettimeout(self) -> float | None:
            return 3.0

        def settimeout(self, value: float | None) -> None:
            self.timeout = value

        def recv(self, size: int) -> bytes:
            raise ConnectionResetError

    sock = Failing()
    assert not _only_housekeeping(sock)  # type: ignore[arg-type]
    assert sock.timeout == 3.0
