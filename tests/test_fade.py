"""The fade-out's volume steps on their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.spottypottysense.fade import FADE_STEPS, fade_steps

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Pure tests: no Home Assistant instance needed."""


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("volume", "seconds", "expected"),
    [
        (60, 9, [(at(0), 45), (at(3), 30), (at(6), 15)]),
        (50, 9, [(at(0), 37), (at(3), 25), (at(6), 12)]),
        (100, 30, [(at(0), 75), (at(10), 50), (at(20), 25)]),
        (1, 9, [(at(0), 0), (at(3), 0), (at(6), 0)]),
        (0, 9, []),  # nothing to lower
        (40, 0, [(at(0), 30), (at(0), 20), (at(0), 10)]),
        (40, -5, [(at(0), 30), (at(0), 20), (at(0), 10)]),  # a late start: all at once
    ],
)
def test_fade_steps(volume: int, seconds: float, expected: list[tuple[datetime, int]]) -> None:
    steps = fade_steps(volume, T0, at(seconds))
    assert steps == expected
    assert len(steps) <= FADE_STEPS <= 4
    assert all(level < volume for _, level in steps)
    assert [level for _, level in steps] == sorted((level for _, level in steps), reverse=True)
