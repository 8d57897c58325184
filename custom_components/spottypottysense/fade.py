"""The volume steps of a fade-out (pure arithmetic, no HA imports).

A fade lowers the volume in `FADE_STEPS` steps spread evenly from its start to its end, where
the session pauses and the speaker gets its volume back. Three steps keep an end with a fade
within 2 + 5 requests: the fade's read, three steps, then the end's read, the pause and the
restore.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

FADE_STEPS: Final = 3


def fade_steps(volume: int, start: datetime, ends_at: datetime) -> list[tuple[datetime, int]]:
    """When to set which volume: 3/4, 2/4 and 1/4 of `volume`, the first at `start`.

    Steps that would not lower the volume (it is already 0) are left out.
    """
    span = max(ends_at - start, timedelta(0))
    steps: list[tuple[datetime, int]] = []
    for index in range(FADE_STEPS):
        level = volume * (FADE_STEPS - index) // (FADE_STEPS + 1)
        if level >= volume:
            continue
        steps.append((start + span * index / FADE_STEPS, level))
    return steps


def lowered_by_fade(volume_before: int, volume_now: int) -> bool:
    """Whether `volume_now` is one of the levels a fade from `volume_before` sets.

    After a restart or an unload the fade's steps are gone; the volume is put back only when
    the speaker still shows one of our levels (nobody has changed it since).
    """
    return any(level == volume_now for _, level in fade_steps(volume_before, _EPOCH, _EPOCH))


_EPOCH: Final = datetime(2000, 1, 1)  # fade_steps needs instants; only the levels matter here
