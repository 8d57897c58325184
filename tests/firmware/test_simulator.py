"""The host simulator is built offline, runs in a private network namespace, and reports motion.

The simulator is a real ESPHome device compiled for Linux. Its native API listens on port 6053
on every interface, so it only ever runs inside a network namespace of its own (`unshare -n`);
the test enters that namespace just long enough to open its connection to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import contextlib
from dataclasses import dataclass
import fcntl
import os
from pathlib import Path
import shutil
import socket
import struct
import subprocess
import time

from aioesphomeapi import (
    APIClient,
    APIConnectionError,
    BinarySensorInfo,
    BinarySensorState,
    ButtonInfo,
    EntityState,
)
import pytest

from .esphome_cli import SIMULATOR_FILE, run_esphome

API_PORT = 6053
HOLD_S = 2.0  # motion_off_delay in firmware/esphome/host/motion-sim.yaml
START_TIMEOUT_S = 15.0
STATE_TIMEOUT_S = 10.0

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def namespace_problem() -> str | None:
    """Why this machine cannot create a private network namespace, or None when it can."""
    if not hasattr(os, "setns"):
        return "os.setns is not available (not Linux)"
    if shutil.which("unshare") is None:
        return "the unshare command (util-linux) is not installed"
    probe = subprocess.run(
        ["unshare", "--net", "true"], capture_output=True, text=True, timeout=10, check=False
    )
    if probe.returncode != 0:
        detail = probe.stderr.strip() or f"exit code {probe.returncode}"
        return f"unshare --net failed ({detail}); it needs root or CAP_SYS_ADMIN"
    return None


def net_namespace(pid: int | str) -> int:
    return os.stat(f"/proc/{pid}/ns/net").st_ino


@contextlib.contextmanager
def inside_namespace_of(pid: int) -> Iterator[None]:
    """Switch this thread into the network namespace of pid; sockets opened here stay there."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    try:
        os.setns(target, os.CLONE_NEWNET)
        try:
            yield
        finally:
            os.setns(own, os.CLONE_NEWNET)
    finally:
        os.close(target)
        os.close(own)


def bring_loopback_up() -> None:
    """`ip link set lo up`, without needing iproute2 installed."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh14x", b"lo", 0)
        flags = struct.unpack("16sh14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sh14x", b"lo", flags | IFF_UP))


@dataclass
class Simulator:
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="module")
def simulator_program(tree: Path, scratch: Path) -> Path:
    """Compile the simulator once (g++ and ninja, offline, about 15 s)."""
    if reason := namespace_problem():
        pytest.skip(f"simulator not run: this machine cannot create a network namespace: {reason}")
    folder = tree / "firmware" / "esphome"
    result = run_esphome("compile", SIMULATOR_FILE, cwd=folder, scratch=scratch)
    assert result.returncode == 0, result.output
    program = folder / "host/.esphome/build/motion-sim/.pioenvs/motion-sim/program"
    assert program.is_file(), result.output
    return program


@pytest.fixture
def simulator(socket_enabled: None, simulator_program: Path, tmp_path: Path) -> Iterator[Simulator]:
    """Run the simulator in a new network namespace; always stop it afterwards."""
    log = tmp_path / "simulator.log"
    env = os.environ | {"ESPHOME_PREFDIR": str(tmp_path / "prefs")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["unshare", "--net", "--", str(simulator_program)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        # unshare switches namespace before it executes the program; wait for that switch.
        own = net_namespace("thread-self")
        deadline = time.monotonic() + START_TIMEOUT_S
        while net_namespace(process.pid) == own:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "unshare did not switch network namespace"
            time.sleep(0.01)
        with inside_namespace_of(process.pid):
            bring_loopback_up()
        yield Simulator(process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
async def client(simulator: Simulator) -> AsyncIterator[APIClient]:
    """An API client connected to the simulator through a socket inside its namespace."""
    api = APIClient("127.0.0.1", API_PORT, None, client_info="spottypottysense-tests")
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        assert simulator.process.poll() is None, simulator.log.read_text()
        try:
            with inside_namespace_of(simulator.process.pid):
                await api.connect(login=True, log_errors=False)
            break
        except APIConnectionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
    try:
        yield api
    finally:
        await api.disconnect()


async def test_simulator_announces_the_motion_entity(client: APIClient) -> None:
    device = await client.device_info()
    assert device.name == "motion-sim"
    assert device.project_name == "spottypottysense.simulator"
    entities, _services = await client.list_entities_services()
    motion = next(e for e in entities if isinstance(e, BinarySensorInfo) and e.name == "Motion")
    assert motion.device_class == "motion"
    assert [e.name for e in entities if isinstance(e, ButtonInfo)] == ["Simulate motion"]


def listening_ports(pid: int) -> set[int]:
    """TCP ports in LISTEN state in the network namespace of pid."""
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A":
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def interfaces(pid: int) -> list[str]:
    """Network interfaces in the namespace of pid."""
    lines = Path(f"/proc/{pid}/net/dev").read_text().splitlines()[2:]
    return [line.split(":", 1)[0].strip() for line in lines]


async def test_simulator_listens_only_in_its_own_namespace(
    simulator: Simulator, client: APIClient
) -> None:
    assert net_namespace(simulator.process.pid) != net_namespace("thread-self")
    assert API_PORT in listening_ports(simulator.process.pid)
    assert interfaces(simulator.process.pid) == ["lo"]


async def test_simulate_motion_turns_motion_on_then_off_after_the_hold(client: APIClient) -> None:
    entities, _services = await client.list_entities_services()
    motion = next(e for e in entities if isinstance(e, BinarySensorInfo) and e.name == "Motion")
    button = next(e for e in entities if isinstance(e, ButtonInfo) and e.name == "Simulate motion")

    changes: asyncio.Queue[tuple[bool, float]] = asyncio.Queue()

    def on_state(state: EntityState) -> None:
        if (
            isinstance(state, BinarySensorState)
            and state.key == motion.key
            and not state.missing_state
        ):
            changes.put_nowait((state.state, time.monotonic()))

    client.subscribe_states(on_state)
    client.button_command(button.key)

    async with asyncio.timeout(STATE_TIMEOUT_S):
        on, on_at = await changes.get()
        off, off_at = await changes.get()
    assert (on, off) == (True, False)
    # The off edge comes from the delayed_off filter, not from the button.
    assert HOLD_S - 0.5 <= off_at - on_at <= HOLD_S + 3
