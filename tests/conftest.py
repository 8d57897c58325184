"""Shared fixtures: custom integrations enabled for every test, HA snapshot extension."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/ in every test."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's own format."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
