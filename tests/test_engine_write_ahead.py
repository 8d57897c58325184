"""The engine's side of write-before-you-act: settling a start after a crash, the fade's volume
on disk, and stored fields read one by one (pure, no HA)."""

from __future__ import annotations

from datetime import timedelta
import json
from typing import Any

import pytest

from custom_components.spottypottysense.decisions import (
    CancelFade,
    EndPlayback,
    FadeOut,
    SettleStart,
)
from custom_components.spottypottysense.engine import RoomEngine, Status
from custom_components.spottypottysense.fade import lowered_by_fade
from custom_components.spottypottysense.parsing import position_ms, volume_percent
from custom_components.spottypottysense.records import EndReason, RoomState
from tests.test_engine import CONTEXT, DEVICE, at, make


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Pure tests: no Home Assistant instance needed."""


def crashed(engine: RoomEngine, **options: Any) -> RoomEngine:
    """A new engine from what the old one would have written (a restart)."""
    stored = json.loads(json.dumps(engine.state.to_dict()))
    return make(RoomState.from_dict(stored), **options)


def started_in_flight(**options: Any) -> RoomEngine:
    engine = make(**options)
    engine.presence_changed(at(0), True)
    engine.playback_requested("s1", device_id=DEVICE, context_uri=CONTEXT)
    return engine


def test_a_start_notes_its_speaker_and_source_before_it_is_sent() -> None:
    engine = started_in_flight()
    session = engine.session
    assert session is not None
    assert (session.owned, session.device_id, session.context_uri) == (None, DEVICE, CONTEXT)
    # Only for the start in flight: an unknown id or an owned session are left alone.
    engine.playback_requested("other", device_id="x", context_uri=None)
    engine.playback_started(at(1), "s1", owned=True, device_id=DEVICE, context_uri=CONTEXT)
    engine.playback_requested("s1", device_id="x", context_uri=None)
    assert engine.session is not None
    assert engine.session.device_id == DEVICE


def test_a_restart_settles_a_written_start_with_its_timeout_from_the_restart() -> None:
    engine = started_in_flight()
    engine.presence_changed(at(10), False)
    restarted = crashed(engine)
    decisions = restarted.restore(at(600))  # HA was down ten minutes
    assert decisions == [SettleStart("s1", DEVICE, CONTEXT)]
    assert restarted.status(at(600)) == Status.STARTING
    assert restarted.stops_at(at(600)) == at(600) + timedelta(minutes=5)


def test_a_settled_start_that_plays_goes_on_and_ends_with_a_pause() -> None:
    restarted = crashed(started_in_flight())
    restarted.restore(at(60))
    assert (
        restarted.playback_started(at(61), "s1", owned=True, device_id=DEVICE, context_uri=CONTEXT)
        == []
    )
    (end,) = restarted.tick(at(60 + 300))
    assert isinstance(end, EndPlayback)
    assert end.record.owned is True
    assert end.record.reason is EndReason.TIMEOUT


def test_a_settled_start_that_is_not_ours_ends_released_without_a_pause() -> None:
    restarted = crashed(started_in_flight())
    restarted.restore(at(60))
    (end,) = restarted.start_unconfirmed(at(61), "s1")
    assert isinstance(end, EndPlayback)
    assert (end.record.owned, end.record.reason) == (False, EndReason.RELEASED)
    assert restarted.session is None


def test_a_start_older_than_the_longest_session_ends_then_pauses_if_it_was_ours() -> None:
    restarted = crashed(started_in_flight())
    decisions = restarted.restore(at(4 * 3600))
    assert [type(decision) for decision in decisions] == [SettleStart, EndPlayback]
    assert restarted.session is None
    (late,) = restarted.playback_started(
        at(4 * 3600 + 1), "s1", owned=True, device_id=DEVICE, context_uri=CONTEXT
    )
    assert isinstance(late, EndPlayback)
    assert late.late
    assert late.record.owned


def test_a_start_older_than_the_longest_session_that_was_not_ours_is_forgotten() -> None:
    restarted = crashed(started_in_flight())
    restarted.restore(at(4 * 3600))
    assert restarted.start_unconfirmed(at(4 * 3600 + 1), "s1") == []
    # Nothing left to stop late.
    assert (
        restarted.playback_started(
            at(4 * 3600 + 2), "s1", owned=False, device_id=None, context_uri=None
        )
        == []
    )


def test_a_start_from_a_store_without_its_speaker_ends_released_at_once() -> None:
    engine = make()
    engine.presence_changed(at(0), True)
    (end,) = crashed(engine).restore(at(60))
    assert isinstance(end, EndPlayback)
    assert end.record.reason is EndReason.RELEASED


def fading(**options: Any) -> RoomEngine:
    engine = make(fade_out=timedelta(seconds=9), **options)
    engine.presence_changed(at(0), True)
    engine.playback_started(at(1), "s1", owned=True, device_id=DEVICE, context_uri=CONTEXT)
    engine.presence_changed(at(10), False)
    (fade,) = engine.tick(at(310))
    assert isinstance(fade, FadeOut)
    return engine


def test_the_volume_before_a_fade_survives_a_restart_and_goes_with_the_end() -> None:
    engine = fading()
    engine.fade_volume_saved("s1", 60)
    restarted = crashed(engine, fade_out=timedelta(seconds=9))
    assert restarted.restore(at(312)) == []
    (end,) = restarted.tick(at(319))
    assert isinstance(end, EndPlayback)
    assert end.fade_from == 60


def test_motion_after_a_restart_mid_fade_cancels_it_with_the_volume_to_restore() -> None:
    engine = fading()
    engine.fade_volume_saved("s1", 60)
    restarted = crashed(engine, fade_out=timedelta(seconds=9))
    assert restarted.restore(at(312), present=True) == [CancelFade("s1", 60)]
    assert restarted.session is not None
    assert restarted.session.fade_from is None


def test_the_fade_volume_is_kept_only_while_fading() -> None:
    engine = make()
    engine.presence_changed(at(0), True)
    engine.fade_volume_saved("s1", 60)
    assert engine.session is not None
    assert engine.session.fade_from is None


@pytest.mark.parametrize(
    ("before", "now", "restore"),
    [
        (60, 45, True),
        (60, 30, True),
        (60, 15, True),
        (60, 60, False),
        (60, 52, False),
        (3, 2, True),
    ],
)
def test_a_volume_is_put_back_only_when_it_is_one_the_fade_set(
    before: int, now: int, restore: bool
) -> None:
    assert lowered_by_fade(before, now) is restore


@pytest.mark.parametrize(
    ("raw", "scale", "expected"),
    [
        (83_000, 1, 83_000),
        (2_000_000_000, 1, None),
        (-5, 1, None),
        (float("nan"), 1, None),
        (True, 1, None),
        ("12", 1, None),
        (12.5, 1000, 12_500),
    ],
)
def test_positions_are_checked_at_the_door(raw: object, scale: float, expected: int | None) -> None:
    assert position_ms(raw, scale=scale) == expected


@pytest.mark.parametrize(
    ("raw", "scale", "expected"),
    [(0.45, 100, 45), (1.5, 100, None), (-0.1, 100, None), (None, 100, None), (60, 1, 60)],
)
def test_volumes_are_checked_at_the_door(raw: object, scale: float, expected: int | None) -> None:
    assert volume_percent(raw, scale=scale) == expected


def test_loading_keeps_every_readable_field_next_to_a_bad_one() -> None:
    state, problems = RoomState.load(
        {
            "enabled": False,
            "snoozed_until": at(3600).isoformat(),
            "cooldown_until": "not a time",
            "session": {
                "session_id": "s1",
                "started": at(0).isoformat(),
                "owned": True,
                "motion_count": -1,
                "device_id": DEVICE,
                "fade_ends": at(10).isoformat(),
                "fade_from": 150,
            },
            "resume": {"session_id": "s0", "ended": at(0).isoformat(), "source": 7},
        }
    )
    assert problems == ["cooldown_until", "session.motion_count", "session.fade_from", "resume"]
    assert state.enabled is False
    assert state.snoozed_until == at(3600)
    assert state.cooldown_until is None
    assert state.session is not None
    assert (state.session.owned, state.session.device_id, state.session.motion_count) == (
        True,
        DEVICE,
        0,
    )
    assert state.resume is None


def test_loading_a_session_without_an_id_drops_the_session_only() -> None:
    state, problems = RoomState.load({"enabled": False, "session": {"started": at(0).isoformat()}})
    assert problems == ["session"]
    assert state.session is None
    assert state.enabled is False


def test_loading_something_that_is_not_a_state_fails() -> None:
    with pytest.raises(ValueError, match="expected a mapping"):
        RoomState.load(["on"])
