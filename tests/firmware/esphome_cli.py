"""Runs the pinned ESPHome CLI from .venv-fw against a scratch copy of the firmware files."""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
import re
import shutil
import subprocess
import tempfile
import time
from typing import IO, TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from collections.abc import Mapping

REPO = Path(__file__).resolve().parents[2]
ESPHOME_DIR = REPO / "firmware" / "esphome"
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
REQUIREMENTS = REPO / "firmware" / "requirements.txt"
FW_VENV = REPO / ".venv-fw"
ESPHOME = FW_VENV / "bin" / "esphome"

# Top-level device files: everything users flash. Packages are validated through them.
DEVICE_FILES = sorted(path.name for path in ESPHOME_DIR.glob("motion-*.yaml"))
SIMULATOR_FILE = "host/motion-sim.yaml"

# Libraries that ESPHome resolves from the PlatformIO registry while generating code for the
# ESP32 (esp-idf) and that this project's CI cannot reach. Code generation in the tests skips
# only these; a real build on a user's machine downloads them.
REGISTRY_ONLY_LIBRARIES = ["Improv"]

# Bounds every CLI call: an unexpected download would otherwise retry for about a minute.
TIMEOUT_S = 120


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str


@dataclass(frozen=True)
class Job:
    """One ESPHome CLI call: its arguments and the folder it runs in."""

    args: tuple[str, ...]
    cwd: Path


def pinned_version() -> str:
    match = re.search(r"^esphome==(\S+)", REQUIREMENTS.read_text(), re.MULTILINE)
    assert match, f"no esphome==<version> pin in {REQUIREMENTS}"
    return match.group(1)


def installed_version() -> str | None:
    if not ESPHOME.exists():
        return None
    for dist_info in FW_VENV.glob("lib/python*/site-packages/esphome-*.dist-info"):
        return dist_info.name.removeprefix("esphome-").removesuffix(".dist-info")
    return None


def make_tree(root: Path) -> Path:
    """Copy firmware/esphome and the broken fixtures under root, keeping their relative layout.

    The real secrets.yaml (if a developer has one) is never read or touched: each copy gets
    secrets.example.yaml as its secrets.yaml, like a fresh clone that followed the README.
    """
    esphome_dir = root / "firmware" / "esphome"
    shutil.copytree(
        ESPHOME_DIR, esphome_dir, ignore=shutil.ignore_patterns(".esphome", "secrets.yaml")
    )
    fixtures_dir = root / "tests" / "firmware" / "fixtures"
    shutil.copytree(FIXTURES_DIR, fixtures_dir)
    for folder in (esphome_dir, fixtures_dir):
        shutil.copyfile(ESPHOME_DIR / "secrets.example.yaml", folder / "secrets.yaml")
    # The same device files without any secrets.yaml, as in a fresh clone before setup.
    shutil.copytree(
        ESPHOME_DIR, root / "without-secrets", ignore=shutil.ignore_patterns(".*", "secrets*")
    )
    return root


def _environment(scratch: Path) -> dict[str, str]:
    return os.environ | {
        # PlatformIO keeps its caches here instead of in ~/.platformio.
        "PLATFORMIO_CORE_DIR": str(scratch / "platformio"),
        "ESPHOME_PREFDIR": str(scratch / "prefs"),
    }


def run_jobs[K](jobs: Mapping[K, Job], scratch: Path) -> dict[K, Run]:
    """Run the CLI calls side by side, as many at a time as there are CPUs.

    Each call mostly spends its time importing ESPHome, so running them concurrently roughly
    divides the wall time by the number of CPUs. Every call is bounded by TIMEOUT_S.
    """
    env = _environment(scratch)
    waiting = list(jobs.items())
    running: dict[K, tuple[subprocess.Popen[bytes], IO[bytes], float]] = {}
    results: dict[K, Run] = {}
    try:
        while waiting or running:
            while waiting and len(running) < max(2, os.cpu_count() or 1):
                key, job = waiting.pop(0)
                output = tempfile.TemporaryFile()  # noqa: SIM115 - closed when the job ends
                process = subprocess.Popen(
                    [str(ESPHOME), *job.args],
                    cwd=job.cwd,
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
                running[key] = (process, output, time.monotonic())
            for key, (process, output, started) in list(running.items()):
                note = ""
                if process.poll() is None:
                    if time.monotonic() - started < TIMEOUT_S:
                        continue
                    process.kill()
                    process.wait()
                    note = f"\n[killed: still running after {TIMEOUT_S} s]"
                output.seek(0)
                text = output.read().decode(errors="replace") + note
                results[key] = Run(process.returncode, text)
                output.close()
                del running[key]
            time.sleep(0.02)
    finally:
        for process, output, _started in running.values():
            process.kill()
            process.wait()
            output.close()
    return results


def run_esphome(*args: str | Path, cwd: Path, scratch: Path) -> Run:
    return run_jobs({0: Job(tuple(map(str, args)), cwd)}, scratch)[0]


class _TaggedLoader(yaml.SafeLoader):
    """Reads ESPHome's printed config; tags such as !secret and !lambda become plain values."""


def _untag(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_TaggedLoader.add_multi_constructor("!", _untag)


def printed_config(output: str) -> dict[str, Any]:
    """The validated configuration that `esphome config` prints between its log lines."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"(substitutions|esphome):$", line))
    end = lines.index("INFO Configuration is valid!")
    config = yaml.load("\n".join(lines[start:end]), Loader=_TaggedLoader)
    assert isinstance(config, dict)
    return config


def named_entities(section: Any) -> list[dict[str, Any]]:
    """Every entity config with a name inside a component section, however deeply nested."""
    found: list[dict[str, Any]] = []
    if isinstance(section, dict):
        if "name" in section:
            found.append(section)
        for value in section.values():
            found.extend(named_entities(value))
    elif isinstance(section, list):
        for item in section:
            found.extend(named_entities(item))
    return found
