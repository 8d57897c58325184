"""The servers the browser journey talks to: the fake Spotify and a real Home Assistant.

Both listen on 127.0.0.1 only, on free ports, and every wait is bounded. `listening_addresses`
reads the kernel's socket tables, so the journey can prove that neither listens anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import ipaddress
import json
import os
from pathlib import Path
import shutil
import socket
import subprocess
import sys
import threading
import time
from typing import Any
import urllib.error
import urllib.request

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"
HASS = REPO / ".venv" / "bin" / "hass"
# HA's assist_pipeline pins versions with no wheel for Python 3.14; the dev group installs newer
# ones. Without this HA tries (and fails) to build the pinned ones at every start.
HASS_FLAGS = ("--skip-pip-packages", "pymicro-vad,pyspeex-noise")


class JourneyError(AssertionError):
    """A step saw something other than what the user should see."""


def wait_for[T](what: str, check: Callable[[], T | None], timeout: float = 20.0) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        if result := check():
            return result
        if time.monotonic() > deadline:
            raise JourneyError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def free_port() -> int:
    """A port nothing listens on right now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """The (address, port) pairs on which process `pid` has listening TCP sockets."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found: set[tuple[str, int]] = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if path.exists():
            found |= parse_listening(path.read_text(), inodes)
    return found


def parse_listening(table: str, inodes: set[str]) -> set[tuple[str, int]]:
    """Listening sockets among `inodes` in a /proc/net/tcp or tcp6 table."""
    found = set()
    for line in table.splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state != "0A" or inode not in inodes:  # 0A: LISTEN
            continue
        address, port = local.split(":")
        raw = bytes.fromhex(address)
        # /proc prints each 32-bit word in host (little-endian) order.
        raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
        family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
        found.add((socket.inet_ntop(family, raw), int(port, 16)))
    return found


def non_loopback(addresses: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """The addresses that are reachable from other machines (not 127.0.0.0/8 or ::1)."""
    return {a for a in addresses if not ipaddress.ip_address(a[0]).is_loopback}


def assert_loopback_only(name: str, pid: int) -> set[tuple[str, int]]:
    """Fail if process `pid` listens on anything but a loopback address."""
    addresses = listening_addresses(pid)
    if not addresses:
        raise JourneyError(f"{name} (pid {pid}) has no listening socket")
    outside = non_loopback(addresses)
    if outside:
        raise JourneyError(f"{name} listens beyond loopback: {sorted(outside)}")
    return addresses


@dataclass
class FakeSpotifyProcess:
    """scripts/fake_spotify_server.py as a child process, its requests read from stdout."""

    home_assistant_url: str
    log: Path
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    process: subprocess.Popen[str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ready: threading.Event = field(default_factory=threading.Event)

    def start(self, port: int = 0) -> None:
        """Start it (on `port`, or a free one); `wait_ready` waits until it listens."""
        self.process = subprocess.Popen(
            [
                str(PYTHON),
                str(REPO / "scripts" / "fake_spotify_server.py"),
                f"--port={port}",
                f"--home-assistant={self.home_assistant_url}",
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=REPO,
        )
        threading.Thread(target=self._read, args=(self._ready,), daemon=True).start()

    def wait_ready(self) -> None:
        if not self._ready.wait(90) or not self.url:
            raise JourneyError(f"the fake Spotify did not start; see {self.log}")

    def _read(self, ready: threading.Event) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        with self.log.open("w") as log:
            for line in self.process.stdout:
                log.write(line)
                log.flush()
                if line.startswith("Fake Spotify listening on "):
                    self.url = line.split()[-1]
                    ready.set()
                elif line.startswith("{"):
                    with self._lock:
                        self.requests.append(json.loads(line))
        ready.set()

    def received(self, method: str, path: str) -> list[dict[str, Any]]:
        """Requests to one endpoint so far, oldest first."""
        with self._lock:
            return [r for r in self.requests if (r["method"], r["path"]) == (method, path)]

    def stop(self) -> None:
        _stop(self.process)


@dataclass
class HomeAssistantProcess:
    """`hass -c` on a temporary copy of config/, with this integration linked in."""

    config_dir: Path
    port: int
    spotify_url: str
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.config_dir / "home-assistant.log"

    def prepare(self) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "config" / "configuration.yaml", self.config_dir)
        (self.config_dir / "automations.yaml").write_text("[]\n")  # the UI editor's file
        components = self.config_dir / "custom_components"
        components.mkdir(exist_ok=True)
        (components / "spottypottysense").symlink_to(
            REPO / "custom_components" / "spottypottysense"
        )
        sys.path.insert(0, str(REPO / "scripts"))
        import ha_loopback  # noqa: PLC0415 - a script, found only once scripts/ is on the path

        ha_loopback.write(self.config_dir, self.port)

    def start(self) -> None:
        env = {**os.environ, "SPOTTYPOTTYSENSE_DEV_SPOTIFY_URL": self.spotify_url}
        with (self.config_dir / "stdout.log").open("wb") as out:
            self.process = subprocess.Popen(
                [str(HASS), "-c", str(self.config_dir), *HASS_FLAGS],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=REPO,
            )
        wait_for("Home Assistant to answer", self._answers, timeout=120)

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise JourneyError(f"Home Assistant exited with {self.process.returncode}; {self.log}")
        try:
            with urllib.request.urlopen(f"{self.url}/api/onboarding", timeout=2) as response:
                return bool(response.status == 200)
        except urllib.error.URLError, OSError:
            return False

    def stop(self) -> None:
        _stop(self.process, grace=20)


def _stop(process: subprocess.Popen[Any] | None, grace: float = 5) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
