"""Every Home Assistant the project starts in tests and in scripts/bench listens on loopback only.

HA starts its HTTP server when it starts (`http` comes with application_credentials); with the
defaults it would listen on 0.0.0.0:8123, open to the whole network. Each test starts HA the way
a real start does and then reads this process's listening sockets from /proc.
"""

from __future__ import annotations

from collections.abc import Generator
import importlib.util
import ipaddress
import os
from pathlib import Path
import socket
import sys
from types import ModuleType
from unittest.mock import patch

from homeassistant.const import EVENT_HOMEASSISTANT_START
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/net/tcp").exists(), reason="reads listening sockets from /proc"
)


@pytest.fixture
def disable_http_server(request: pytest.FixtureRequest) -> Generator[None]:
    """The test harness never starts HA's HTTP server; the benchmark's test lets it bind."""
    if getattr(request.function, "real_http", False):
        yield
        return
    with (
        patch("homeassistant.components.http.HomeAssistantHTTP.async_bind"),
        patch("homeassistant.components.http.HomeAssistantHTTP.start"),
    ):
        yield


def listening_addresses() -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The local addresses of the TCP sockets this process listens on."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for table in ("tcp", "tcp6"):
        lines = Path(f"/proc/self/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(fields[1].split(":")[0])
            # /proc prints each 32-bit word in host (little-endian) order.
            data = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.append(ipaddress.ip_address(data))
    return found


def is_loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


async def start_like_a_real_home_assistant(hass: HomeAssistant) -> None:
    """The start event is what makes `http` open its server."""
    hass.bus.async_fire(EVENT_HOMEASSISTANT_START)
    await hass.async_block_till_done()


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench", module)
    spec.loader.exec_module(module)
    return module


def test_the_socket_reader_sees_listeners_and_tells_loopback_apart(socket_enabled: None) -> None:
    """The check itself (without opening anything beyond loopback)."""
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.bind(("::1", 0))
        sock.listen()
        assert ipaddress.ip_address("::1") in listening_addresses()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert ipaddress.ip_address("127.0.0.1") in listening_addresses()
    assert not is_loopback(ipaddress.ip_address("0.0.0.0"))
    assert not is_loopback(ipaddress.ip_address("::"))
    assert is_loopback(ipaddress.ip_address("::ffff:127.0.0.1"))


async def test_the_test_harness_listens_on_loopback_only(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await start_like_a_real_home_assistant(hass)
    addresses = listening_addresses()
    assert addresses, "the fake Spotify should be listening"
    assert all(is_loopback(address) for address in addresses), addresses


async def test_the_benchmark_listens_on_loopback_only(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    """The benchmark's HA set-up, with HA's HTTP server really started."""
    before = set(listening_addresses())
    bench = load_bench()
    await bench.set_up_base(hass)
    await start_like_a_real_home_assistant(hass)
    addresses = listening_addresses()
    assert len(addresses) > len(before), "the benchmark's HTTP server should be listening"
    assert all(is_loopback(address) for address in addresses), addresses


test_the_benchmark_listens_on_loopback_only.real_http = True  # type: ignore[attr-defined]
