"""Fixtures for the firmware checks: the pinned ESPHome CLI and a scratch copy of the files."""

from __future__ import annotations

from pathlib import Path

import pytest

from .esphome_cli import ESPHOME, installed_version, make_tree, pinned_version


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """The firmware tests need no Home Assistant instance; override the suite-wide fixture."""


@pytest.fixture(scope="session")
def esphome_ready() -> None:
    """Fail (never skip) when the ESPHome environment is missing or holds another version."""
    wanted = pinned_version()
    installed = installed_version()
    if installed is None:
        pytest.fail(
            f"{ESPHOME} not found: run scripts/setup (or scripts/setup-firmware) to create "
            f".venv-fw with esphome=={wanted}",
            pytrace=False,
        )
    if installed != wanted:
        pytest.fail(
            f".venv-fw has esphome {installed}, firmware/requirements.txt pins {wanted}: "
            "run scripts/setup (or scripts/setup-firmware)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def tree(esphome_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch copy of the repository's firmware files with example secrets.

    ESPHome writes its .esphome/ build folders next to the YAML, so they land here too.
    """
    return make_tree(tmp_path_factory.mktemp("firmware-tree"))


@pytest.fixture(scope="session")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Caches and preferences of the ESPHome CLI and the simulator, outside the home folder."""
    return tmp_path_factory.mktemp("esphome-scratch")
