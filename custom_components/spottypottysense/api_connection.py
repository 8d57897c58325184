"""Opens the Web API's pooled connection ahead, while the request still waits for its token.

After an hour of quiet the pooled connection to Spotify is gone, and the access token may have
expired too (HA asleep, or the keeper's refresh failed). The first request then pays for the
token refresh and, after it, a new TCP + TLS connection. `ConnectionWarmer` lets the client open
that connection in the executor at the same time as the refresh, so they overlap: the request
finds the connection ready in the pool (the same pool `requests` picks for the request).
"""

from __future__ import annotations

from collections.abc import Sized
import logging
import socket
import ssl
import threading
import time
from typing import Any, Final

import requests
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3 import HTTPConnectionPool
from urllib3.util.wait import wait_for_read

_LOGGER = logging.getLogger(__name__)

SETTLE_POLL: Final = 0.001  # seconds between checks of a new connection while the token comes


class ConnectionWarmer:
    """One session's connection to the API host: is it there, and open it if not."""

    def __init__(self, session: requests.Session, url: str, timeout: float) -> None:
        self._session = session
        self._url = url
        self._timeout = timeout
        self._pool: HTTPConnectionPool | None = None
        self._pools: Sized = ()  # the pool manager's pools: emptied when the session closes

    def _live_pool(self) -> HTTPConnectionPool | None:
        """The pool found before, unless closed since (or the session's pools were cleared)."""
        pool = self._pool
        if pool is None or pool.pool is None or not len(self._pools):
            return None
        return pool

    def cold(self) -> bool:
        """Whether no open connection waits in the pool (cheap and non-blocking: on the loop)."""
        pool = self._live_pool()
        queue = pool.pool if pool is not None else None
        if queue is None:
            return True  # not looked up yet, or closed since (the session was closed)
        idle: list[Any] = list(queue.queue)
        return not any(conn is not None and conn.is_connected for conn in idle)

    def warm(self, until: threading.Event | None = None) -> None:
        """Executor side: open one connection to the API host and leave it in the pool.

        Until `until` is set (the token is there), the new connection is watched: TLS 1.3
        servers send session tickets right after the handshake, and a connection with unread
        bytes looks dropped to urllib3, which would open another. Never raises: a connection
        that cannot be opened now is the request's to open (and to report) in its turn.
        """
        try:
            pool = self._live_pool()
            if pool is None:
                pool = self._pool = self._find_pool()
            if pool is None:
                return
            # urllib3's own pool, the one requests sends through: take a connection, put it back.
            conn = pool._get_conn()
            try:
                if not conn.is_connected:
                    conn.timeout = self._timeout
                    conn.connect()
                    if until is not None:
                        self._settle(conn, until)
            except Exception:
                conn.close()
                raise
            finally:
                pool._put_conn(conn)
        except Exception as err:  # a warm-up is only ever a head start
            _LOGGER.debug("Could not open the API connection ahead: %s", type(err).__name__)

    def _settle(self, conn: Any, until: threading.Event) -> None:
        """Read what the server sends after the handshake until the token is here.

        Over TLS 1.3 that is the session tickets, which come a moment after the handshake:
        they are waited for too, or the connection would look dropped to the request.
        """
        sock = conn.sock
        version = getattr(sock, "version", None)
        settled = not (callable(version) and version() == "TLSv1.3")
        deadline = time.monotonic() + self._timeout
        while sock is not None and time.monotonic() < deadline:
            if settled and until.is_set():
                return
            if wait_for_read(sock, timeout=SETTLE_POLL):
                if not _only_housekeeping(sock):
                    conn.close()  # closed, or bytes nobody asked for: not one to reuse
                    return
                settled = True

    def _find_pool(self) -> HTTPConnectionPool | None:
        """The pool `requests` sends the API's requests through (None behind a proxy)."""
        request = requests.Request("GET", self._url).prepare()
        url = request.url or self._url
        settings = self._session.merge_environment_settings(url, {}, None, None, None)
        if select_proxy(url, settings["proxies"]):
            return None  # the proxy's connection is not ours to open
        adapter = self._session.get_adapter(url)
        if not isinstance(adapter, HTTPAdapter):
            return None
        pool = adapter.get_connection_with_tls_context(
            request, settings["verify"], settings["proxies"], settings["cert"]
        )
        self._pools = adapter.poolmanager.pools
        return pool if isinstance(pool, HTTPConnectionPool) else None


def _only_housekeeping(sock: socket.socket) -> bool:
    """Read a readable socket without blocking: True if it held TLS records only (tickets)."""
    previous = sock.gettimeout()
    sock.settimeout(0.0)
    try:
        data = sock.recv(1)
    except ssl.SSLWantReadError:
        return True  # TLS records processed, no application data: still a good connection
    except OSError:
        return False
    finally:
        sock.settimeout(previous)
    del data  # b"": the server closed it; anything else: bytes nobody asked for
    return False
