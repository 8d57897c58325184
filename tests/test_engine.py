"""The session engine on its own: table-driven scenarios for every session rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from itertools import count
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.spottypottysense.decisions import (
    CancelFade,
    Decision,
    EndPlayback,
    FadeOut,
    ResumeFrom,
    SessionStarted,
    StartPlayback,
)
from custom_components.spottypottysense.engine import RoomEngine, Status
from custom_components.spottypottysense.options import FollowMode, RoomOptions
from custom_components.spottypottysense.quiet_hours import WEEKDAYS, QuietHours, QuietMode
from custom_components.spottypottysense.records import (
    EndReason,
    ResumePoint,
    RoomState,
    Session,
    SessionRecord,
    SkipReason,
    is_still_ours,
    is_still_ours_playback,
)
from custom_components.spottypottysense.time_windows import from_quiet_hours

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # Monday 12:00 in Berlin
DEVICE = "speaker-1"
CONTEXT = "spotify:playlist:abc"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Pure tests: no Home Assistant instance needed."""


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ids() -> Callable[[], str]:
    counter = count(1)
    return lambda: f"s{next(counter)}"


def make(state: RoomState | None = None, **options: Any) -> RoomEngine:
    return RoomEngine(RoomOptions(**options), state, new_id=ids())


def summary(decisions: list[Decision]) -> list[str]:
    """A compact, comparable form of a list of decisions."""
    out: list[str] = []
    for decision in decisions:
        if isinstance(decision, SessionStarted):
            out.append(f"opened:{decision.session.session_id}")
        elif isinstance(decision, StartPlayback):
            out.append(f"play:{decision.session_id}")
        elif isinstance(decision, FadeOut):
            out.append(f"fade:{decision.session_id}:{(decision.ends_at - T0).total_seconds():g}")
        elif isinstance(decision, CancelFade):
            out.append(f"unfade:{decision.session_id}")
        else:
            record = decision.record
            owned = "owned" if record.owned else "not_owned"
            late = ":late" if decision.late else ""
            out.append(f"end:{record.session_id}:{record.reason}:{owned}{late}")
    return out


OPEN = ["opened:s1", "play:s1"]


# --- a tiny driver for table-driven scenarios ------------------------------------------------


@dataclass
class Step:
    """One input at `t` seconds, the expected decisions and (optionally) the status after."""

    t: float
    op: str
    expect: list[str] = field(default_factory=list)
    status: Status | None = None
    arg: Any = None


def run(engine: RoomEngine, steps: list[Step]) -> None:
    for step in steps:
        now = at(step.t)
        decisions = apply(engine, now, step.op, step.arg)
        assert summary(decisions) == step.expect, (step, decisions)
        if step.status is not None:
            assert engine.status(now) is step.status, step


def skip_reason(engine: RoomEngine) -> SkipReason | None:
    return engine.state.last_skip_reason


def error(engine: RoomEngine) -> str | None:
    return engine.state.error


def cooldown_until(engine: RoomEngine) -> datetime | None:
    return engine.state.cooldown_until


def last_session_id(engine: RoomEngine) -> str:
    assert engine.session is not None
    return engine.session.session_id


def apply(engine: RoomEngine, now: datetime, op: str, arg: Any) -> list[Decision]:
    match op:
        case "on":
            return engine.presence_changed(now, True)
        case "on?":
            return engine.presence_changed(now, True, trusted=False)
        case "off":
            return engine.presence_changed(now, False)
        case "trigger":
            return engine.trigger_motion(now)
        case "start":
            return engine.start_session(now)
        case "stop":
            return engine.stop_session(now)
        case "tick":
            return engine.tick(now)
        case "enable":
            return engine.set_enabled(now, True)
        case "disable":
            return engine.set_enabled(now, False)
        case "snooze":
            return engine.snooze(now, timedelta(minutes=arg))
        case "remove":
            return engine.remove(now)
        case "restore":
            return engine.restore(now, present=bool(arg))
        case "owned" | "observed":
            session_id = arg or last_session_id(engine)
            return engine.playback_started(
                now,
                session_id,
                owned=op == "owned",
                device_id=DEVICE,
                context_uri=CONTEXT,
            )
        case "failed":
            return engine.playback_failed(now, arg or last_session_id(engine), "not_found")
        case "moved":
            return engine.moved(now, arg or "Kitchen")
    raise AssertionError(op)  # pragma: no cover


END = "end:s1:{}:owned"

SCENARIOS: dict[str, tuple[dict[str, Any], list[Step]]] = {
    "presence starts, timeout after presence ends": (
        {},
        [
            Step(0, "on", OPEN, Status.STARTING),
            Step(1, "owned", [], Status.PLAYING),
            Step(3600, "tick", [], Status.PLAYING),  # presence on: never expires
            Step(3660, "off", [], Status.PLAYING),
            Step(3959, "tick", [], Status.PLAYING),
            Step(3960, "tick", [END.format("timeout")], Status.COOLDOWN),
            Step(4079, "tick", [], Status.COOLDOWN),
            Step(4080, "tick", [], Status.IDLE),
        ],
    ),
    "presence back before the deadline cancels it": (
        {},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(60, "off"),
            Step(359, "on", [], Status.PLAYING),
            Step(400, "tick", [], Status.PLAYING),
            Step(500, "off"),
            Step(799, "tick", []),
            Step(800, "tick", [END.format("timeout")]),
        ],
    ),
    "repeated motion counts and never starts again": (
        {},
        [
            Step(0, "on", OPEN),
            Step(10, "off"),
            Step(20, "on", []),
            Step(30, "off"),
            Step(40, "on", []),
            Step(41, "on", []),  # a second entity's rising edge while presence is on
        ],
    ),
    "cooldown blocks a new session until it ends": (
        {},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(10, "off"),
            Step(310, "tick", [END.format("timeout")], Status.COOLDOWN),
            Step(400, "on", [], Status.COOLDOWN),
            Step(420, "off"),
            Step(429, "on", []),  # still cooldown
            Step(431, "off", [], Status.IDLE),
            Step(432, "on", ["opened:s2", "play:s2"], Status.STARTING),
        ],
    ),
    "presence through the end of cooldown needs a new edge": (
        {"max_session": timedelta(minutes=10)},
        [
            Step(0, "on", OPEN),
            Step(600, "tick", ["end:s1:max_duration:not_owned"], Status.COOLDOWN),
            Step(720, "tick", [], Status.IDLE),
            Step(9000, "tick", [], Status.IDLE),
        ],
    ),
    "the switch off blocks and ends": (
        {},
        [
            Step(0, "disable", [], Status.DISABLED),
            Step(10, "on", [], Status.DISABLED),
            Step(20, "enable", [], Status.IDLE),
            Step(30, "off"),
            Step(40, "on", OPEN, Status.STARTING),
            Step(41, "owned"),
            Step(50, "disable", [END.format("disabled")], Status.DISABLED),
            Step(60, "start", [], Status.DISABLED),
            Step(60, "trigger", [], Status.DISABLED),
        ],
    ),
    "snooze blocks new sessions, not the running one": (
        {},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(5, "snooze", [], Status.PLAYING, arg=30),
            Step(10, "off"),
            Step(310, "tick", [END.format("timeout")], Status.SNOOZED),
            Step(500, "on", [], Status.SNOOZED),
            Step(510, "off"),
            Step(1799, "tick", [], Status.SNOOZED),
            Step(1805, "tick", [], Status.IDLE),
            Step(1806, "on", ["opened:s2", "play:s2"]),
        ],
    ),
    "snooze zero cancels": (
        {},
        [
            Step(0, "snooze", [], Status.SNOOZED, arg=60),
            Step(1, "on", [], Status.SNOOZED),
            Step(2, "snooze", [], Status.IDLE, arg=0),
            Step(3, "off"),
            Step(4, "on", OPEN),
        ],
    ),
    "min presence: a walk-by starts nothing": (
        {"min_presence": timedelta(seconds=30)},
        [
            Step(0, "on", [], Status.IDLE),
            Step(29, "off", []),
            Step(30, "tick", []),
            Step(100, "on", []),
            Step(129, "tick", []),
            Step(130, "tick", OPEN, Status.STARTING),
        ],
    ),
    "min presence: a late timer still starts (once)": (
        {"min_presence": timedelta(seconds=30)},
        [
            Step(0, "on", []),
            Step(10, "on", []),  # a second entity: the wait is not restarted
            Step(45, "tick", OPEN),
            Step(46, "tick", []),
        ],
    ),
    "min presence: the deadline check also runs on other inputs": (
        {"min_presence": timedelta(seconds=30)},
        [
            Step(0, "on", []),
            Step(31, "snooze", OPEN, arg=5),  # due start carried out first
        ],
    ),
    "untrusted rising edge never starts": (
        {},
        [
            Step(0, "on?", [], Status.IDLE),
            Step(10, "tick", []),
            Step(20, "on?", []),  # already on: nothing
            Step(30, "off", []),
            Step(40, "on", OPEN),
        ],
    ),
    "untrusted rising edge keeps a session alive": (
        {},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(10, "off"),
            Step(300, "on?", []),
            Step(900, "tick", [], Status.PLAYING),
            Step(910, "off"),
            Step(1210, "tick", [END.format("timeout")]),
        ],
    ),
    "trusted edge after an untrusted one counts as motion": (
        {},
        [
            Step(0, "on?", []),
            Step(5, "on", OPEN),  # another entity goes off -> on
        ],
    ),
    "max duration ends a stuck sensor": (
        {"max_session": timedelta(minutes=10)},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(599, "tick", []),
            Step(600, "tick", [END.format("max_duration")], Status.COOLDOWN),
        ],
    ),
    "max duration wins over a later deadline": (
        {"max_session": timedelta(minutes=10)},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(500, "off"),
            Step(900, "tick", [END.format("max_duration")]),
        ],
    ),
    "an earlier deadline wins over max duration": (
        {"max_session": timedelta(minutes=10)},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(100, "off"),
            Step(900, "tick", [END.format("timeout")]),
        ],
    ),
    "manual start ignores cooldown, snooze and quiet hours": (
        {
            "quiet_hours": QuietHours(time(0), time(0)),  # quiet all day, every day
            "time_zone": BERLIN,
        },
        [
            Step(0, "on", [], Status.QUIET_HOURS),
            Step(1, "snooze", [], Status.SNOOZED, arg=60),
            Step(2, "start", OPEN, Status.STARTING),
            Step(3, "start", []),  # already open
            Step(4, "owned"),
            Step(5, "stop", [END.format("manual")], Status.SNOOZED),
            Step(6, "snooze", [], Status.COOLDOWN, arg=0),
            Step(7, "start", ["opened:s2", "play:s2"], Status.STARTING),
        ],
    ),
    "manual start without presence times out": (
        {},
        [
            Step(0, "start", OPEN),
            Step(1, "owned"),
            Step(299, "tick", []),
            Step(300, "tick", [END.format("timeout")]),
        ],
    ),
    "manual start with presence waits for it to end": (
        {},
        [
            Step(0, "on?", []),
            Step(10, "start", OPEN),
            Step(1000, "tick", []),
            Step(1010, "off"),
            Step(1310, "tick", ["end:s1:timeout:not_owned"]),
        ],
    ),
    "stop without a session does nothing": (
        {},
        [Step(0, "stop", [], Status.IDLE), Step(1, "remove", [], Status.IDLE)],
    ),
    "trigger_motion is a pulse": (
        {},
        [
            Step(0, "trigger", OPEN, Status.STARTING),
            Step(1, "owned"),
            Step(200, "trigger", []),  # extends the deadline
            Step(499, "tick", []),
            Step(500, "tick", [END.format("timeout")]),
        ],
    ),
    "trigger_motion does not wait for min presence": (
        {"min_presence": timedelta(seconds=30)},
        [Step(0, "trigger", OPEN)],
    ),
    "trigger_motion during presence keeps the session open": (
        {"min_presence": timedelta(seconds=30)},
        [
            Step(0, "on", []),
            Step(10, "trigger", OPEN),  # starts now, the pending start is gone
            Step(40, "tick", []),
            Step(50, "trigger", []),
            Step(5000, "tick", [], Status.STARTING),
        ],
    ),
    "trigger_motion is blocked like motion": (
        {},
        [
            Step(0, "snooze", [], arg=10),
            Step(1, "trigger", [], Status.SNOOZED),
        ],
    ),
    "observed session ends without ownership": (
        {},
        [
            Step(0, "on", OPEN),
            Step(1, "observed", [], Status.OBSERVING),
            Step(2, "off"),
            Step(302, "tick", ["end:s1:timeout:not_owned"], Status.COOLDOWN),
        ],
    ),
    "failed start discards the session and shows the error": (
        {},
        [
            Step(0, "on", OPEN),
            Step(1, "failed", [], Status.ERROR),
            Step(2, "off", [], Status.ERROR),
            Step(1000, "tick", [], Status.ERROR),
            Step(1001, "on", ["opened:s2", "play:s2"], Status.STARTING),
            Step(1002, "owned", [], Status.PLAYING),
            Step(1003, "stop", ["end:s2:manual:owned"], Status.COOLDOWN),
        ],
    ),
    "a stop while the start is in flight, then the start lands": (
        {},
        [
            Step(0, "on", OPEN),
            Step(0.5, "stop", ["end:s1:manual:not_owned"]),
            Step(1, "owned", ["end:s1:manual:owned:late"], arg="s1"),
            Step(2, "owned", ["end:s1:manual:owned:late"], arg="s1"),  # forgotten: still stop
        ],
    ),
    "a stop while in flight, then the account was busy anyway": (
        {},
        [
            Step(0, "on", OPEN),
            Step(0.5, "disable", ["end:s1:disabled:not_owned"]),
            Step(1, "observed", [], Status.DISABLED, arg="s1"),
        ],
    ),
    "a stop while in flight, then the start fails": (
        {},
        [
            Step(0, "on", OPEN),
            Step(0.5, "stop", ["end:s1:manual:not_owned"]),
            Step(1, "failed", [], Status.ERROR, arg="s1"),
            Step(2, "failed", [], Status.ERROR, arg="unknown"),
        ],
    ),
    "unknown session results": (
        {},
        [
            Step(0, "failed", [], Status.IDLE, arg="nope"),
            Step(1, "observed", [], Status.IDLE, arg="nope"),
            Step(2, "owned", ["end:nope:manual:owned:late"], Status.IDLE, arg="nope"),
        ],
    ),
    "remove ends with REMOVED": (
        {},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(2, "remove", [END.format("removed")]),
        ],
    ),
    "a late timer ends the session before the next input": (
        {},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(10, "off"),
            # The deadline (310) passed without a tick; motion at 400 comes after it.
            Step(400, "on", [END.format("timeout")], Status.COOLDOWN),
        ],
    ),
    "restore: in-flight start is ended without pausing": (
        {},
        [
            Step(0, "on", OPEN),
            Step(100, "restore", ["end:s1:released:not_owned"], Status.COOLDOWN),
        ],
    ),
    "restore: a passed deadline is carried out": (
        {},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(10, "off"),
            Step(1000, "restore", [END.format("timeout")], Status.COOLDOWN),
        ],
    ),
    "restore: presence assumed off, timeout runs from now": (
        {},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(1000, "restore", [], Status.PLAYING),
            Step(1299, "tick", []),
            Step(1300, "tick", [END.format("timeout")]),
        ],
    ),
    "restore: presence already off, the deadline stays": (
        {},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(10, "off"),
            Step(100, "restore", [], Status.PLAYING),
            Step(309, "tick", []),
            Step(310, "tick", [END.format("timeout")]),
        ],
    ),
    "restore: told present, the session stays open": (
        {},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(5, "off"),
            Step(100, "restore", [], Status.PLAYING, arg=True),
            Step(5000, "tick", [], Status.PLAYING),
        ],
    ),
    "restore: max duration passed while down": (
        {"max_session": timedelta(minutes=10)},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(4000, "restore", [END.format("max_duration")]),
        ],
    ),
    "restore: a pending min-presence start is dropped": (
        {"min_presence": timedelta(seconds=30)},
        [
            Step(0, "on", []),
            Step(10, "restore", [], Status.IDLE, arg=True),
            Step(60, "tick", []),
        ],
    ),
}


@pytest.mark.parametrize(("options", "steps"), SCENARIOS.values(), ids=SCENARIOS.keys())
def test_scenario(options: dict[str, Any], steps: list[Step]) -> None:
    run(make(**options), steps)


# --- skip reasons, start details ------------------------------------------------------------


def quiet(start: str = "22:00", end: str = "07:00", **kw: Any) -> QuietHours:
    h1, m1 = map(int, start.split(":"))
    h2, m2 = map(int, end.split(":"))
    return QuietHours(time(h1, m1), time(h2, m2), **kw)


QUIET_NOW = {"quiet_hours": quiet("11:00", "13:00"), "time_zone": BERLIN}  # T0 is 12:00


@pytest.mark.parametrize(
    ("options", "prepare", "reason"),
    [
        ({}, lambda e: e.set_enabled(at(0), False), SkipReason.DISABLED),
        ({}, lambda e: e.snooze(at(0), timedelta(minutes=5)), SkipReason.SNOOZED),
        ({}, lambda e: (e.start_session(at(0)), e.stop_session(at(1))), SkipReason.COOLDOWN),
        (QUIET_NOW, lambda e: None, SkipReason.QUIET_HOURS),
    ],
)
def test_skip_reasons(
    options: dict[str, Any], prepare: Callable[[RoomEngine], object], reason: SkipReason
) -> None:
    engine = make(**options)
    prepare(engine)
    assert engine.presence_changed(at(2), True) == []
    assert engine.state.last_skip_reason is reason
    assert engine.state.last_motion == at(2)


def test_skip_reason_order_and_reset() -> None:
    engine = make(quiet_hours=quiet("11:00", "13:00"), time_zone=BERLIN)
    engine.set_enabled(at(0), False)
    engine.snooze(at(0), timedelta(minutes=5))
    engine.presence_changed(at(1), True)
    assert skip_reason(engine) is SkipReason.DISABLED
    engine.set_enabled(at(2), True)
    engine.presence_changed(at(3), False)
    engine.presence_changed(at(4), True)
    assert skip_reason(engine) is SkipReason.SNOOZED
    engine.snooze(at(5), timedelta(0))
    engine.presence_changed(at(6), False)
    engine.presence_changed(at(7), True)
    assert skip_reason(engine) is SkipReason.QUIET_HOURS
    engine.start_session(at(8))
    assert engine.state.last_skip_reason is None


def test_min_presence_skip_reason() -> None:
    engine = make(min_presence=timedelta(seconds=20))
    engine.presence_changed(at(0), True)
    assert skip_reason(engine) is SkipReason.WAITING_FOR_PRESENCE
    assert engine.state.pending_start == at(20)
    assert engine.next_wakeup(at(1)) == at(20)


def test_min_presence_rechecks_blocks_when_due() -> None:
    # Quiet hours (UTC) begin at T0, while the start waits for presence to last 20 s.
    engine = make(min_presence=timedelta(seconds=20), quiet_hours=quiet("10:00", "11:00"))
    engine.presence_changed(at(-10), True)
    assert engine.state.pending_start == at(10)
    assert engine.tick(at(10)) == []
    assert skip_reason(engine) is SkipReason.QUIET_HOURS
    assert engine.state.pending_start is None


def test_start_playback_details() -> None:
    engine = make(source=CONTEXT, volume=40, shuffle=False, only_when_idle=False)
    decisions = engine.presence_changed(at(0), True)
    opened, play = decisions
    assert isinstance(opened, SessionStarted)
    assert isinstance(play, StartPlayback)
    assert play == StartPlayback("s1", check_idle=False, volume=40, shuffle=False, source=CONTEXT)
    assert opened.session == Session("s1", at(0), None, 1, at(0), None)
    assert opened.session is not engine.session  # a snapshot
    engine.presence_changed(at(5), False)
    assert opened.session.presence_ended is None


@pytest.mark.parametrize(
    ("mode", "now", "expected_volume", "starts"),
    [
        (QuietMode.LOW_VOLUME, at(0), 10, True),  # 12:00 Berlin: inside 11-13
        (QuietMode.LOW_VOLUME, at(3 * 3600), 40, True),  # 15:00: outside
        (QuietMode.BLOCK, at(0), None, False),
        (QuietMode.BLOCK, at(3 * 3600), 40, True),
    ],
)
def test_quiet_hours_modes(
    mode: QuietMode, now: datetime, expected_volume: int | None, starts: bool
) -> None:
    volume = 10 if mode is QuietMode.LOW_VOLUME else None
    engine = make(
        volume=40,
        quiet_hours=quiet("11:00", "13:00", mode=mode, volume=volume),
        time_zone=BERLIN,
    )
    decisions = engine.presence_changed(now, True)
    if not starts:
        assert decisions == []
        assert engine.status(now) is Status.QUIET_HOURS
        # A manual start ignores quiet hours and uses the normal volume.
        decisions = engine.start_session(now)
        expected_volume = 40
    play = decisions[1]
    assert isinstance(play, StartPlayback)
    assert play.volume == expected_volume
    assert play.check_idle is True


def test_quiet_hours_starting_during_a_session_do_not_end_it() -> None:
    engine = make(quiet_hours=quiet("12:30", "13:00"), time_zone=BERLIN)
    engine.presence_changed(at(0), True)
    engine.playback_started(at(1), "s1", owned=True, device_id=DEVICE, context_uri=None)
    assert engine.tick(at(45 * 60)) == []
    assert engine.status(at(45 * 60)) is Status.PLAYING
    engine.presence_changed(at(45 * 60), False)
    assert summary(engine.tick(at(50 * 60))) == [END.format("timeout")]
    assert engine.status(at(50 * 60)) is Status.COOLDOWN
    assert engine.status(at(53 * 60)) is Status.QUIET_HOURS
    assert engine.status(at(61 * 60)) is Status.IDLE


def test_motion_bookkeeping() -> None:
    engine = make()
    engine.presence_changed(at(0), True)
    engine.presence_changed(at(10), False)
    engine.presence_changed(at(20), True, trusted=False)
    engine.presence_changed(at(30), False)
    engine.presence_changed(at(40), True)
    engine.trigger_motion(at(50))
    session = engine.session
    assert session is not None
    assert session.motion_count == 3
    assert session.last_motion == at(50)
    assert engine.state.last_motion == at(50)
    assert session.presence_ended is None  # presence still on after the pulse
    engine.presence_changed(at(60), False)
    assert session.presence_ended == at(60)
    assert engine.stops_at(at(60)) == at(60 + 300)
    [end] = engine.stop_session(at(70))
    assert isinstance(end, EndPlayback)
    assert end.record.motion_count == 3
    assert end.record.duration == timedelta(seconds=70)


def test_repeated_off_does_not_move_the_deadline() -> None:
    engine = make()
    engine.presence_changed(at(0), True)
    engine.presence_changed(at(10), False)
    engine.presence_changed(at(100), False)
    engine.presence_changed(at(200), False, trusted=False)
    assert engine.stops_at(at(200)) == at(310)


def test_stop_reason_and_cooldown() -> None:
    engine = make(cooldown=timedelta(0))
    engine.start_session(at(0))
    [end] = engine.stop_session(at(5), "released")  # type: ignore[arg-type]
    assert isinstance(end, EndPlayback)
    assert end.record.reason is EndReason.RELEASED
    assert engine.state.cooldown_until is None
    assert engine.status(at(5)) is Status.IDLE


def test_times_are_normalised_to_utc_and_naive_refused() -> None:
    engine = make()
    engine.presence_changed(at(0).astimezone(BERLIN), True)
    assert engine.session is not None
    assert engine.session.started.tzinfo is UTC
    with pytest.raises(ValueError):
        engine.tick(datetime(2026, 6, 1, 12))
    with pytest.raises(TypeError):
        engine.tick("2026-06-01T12:00:00+00:00")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        engine.snooze(at(0), timedelta(seconds=-1))


def test_default_ids_are_unique_hex() -> None:
    engine = RoomEngine(RoomOptions())
    engine.start_session(at(0))
    first = last_session_id(engine)
    engine.stop_session(at(1))
    engine.start_session(at(2))
    assert first != last_session_id(engine)
    assert len(first) == 32
    int(first, 16)


def test_in_flight_memory_is_bounded() -> None:
    engine = make(cooldown=timedelta(0))
    for i in range(12):
        engine.start_session(at(i))
        engine.stop_session(at(i + 0.5))
    # The oldest ones are forgotten: a late start is stopped with a minimal record.
    [late] = engine.playback_started(at(20), "s1", owned=True, device_id=DEVICE, context_uri=None)
    assert isinstance(late, EndPlayback)
    assert late.late
    assert late.record.started == at(20)
    [late] = engine.playback_started(at(20), "s12", owned=True, device_id=DEVICE, context_uri=None)
    assert isinstance(late, EndPlayback)
    assert late.record.started == at(11)
    assert late.record.device_id == DEVICE


def test_playback_started_clears_error_and_records_device() -> None:
    engine = make()
    engine.state.error = "not_found"
    engine.start_session(at(0))
    assert engine.status(at(0)) is Status.STARTING
    engine.playback_started(at(1), "s1", owned=True, device_id=DEVICE, context_uri=CONTEXT)
    assert engine.status(at(1)) is Status.PLAYING
    assert error(engine) is None
    session = engine.session
    assert session is not None
    assert (session.owned, session.device_id, session.context_uri) == (True, DEVICE, CONTEXT)
    [end] = engine.stop_session(at(2))
    assert isinstance(end, EndPlayback)
    assert end.record == SessionRecord(
        "s1", at(0), at(2), 0, True, EndReason.MANUAL, DEVICE, CONTEXT
    )


def test_failed_start_for_another_session_is_ignored() -> None:
    engine = make()
    engine.start_session(at(0))
    assert engine.playback_failed(at(1), "other", "boom") == []
    assert engine.session is not None
    assert engine.state.error is None


# --- status and wakeups -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (RoomState(), Status.IDLE),
        (RoomState(enabled=False, error="x", snoozed_until=at(60)), Status.DISABLED),
        (RoomState(session=Session("a", at(0)), snoozed_until=at(60)), Status.STARTING),
        (RoomState(session=Session("a", at(0), owned=True), error="x"), Status.PLAYING),
        (RoomState(session=Session("a", at(0), owned=False)), Status.OBSERVING),
        (RoomState(snoozed_until=at(60), error="x", cooldown_until=at(60)), Status.SNOOZED),
        (RoomState(snoozed_until=at(0), error="x"), Status.ERROR),
        (RoomState(error="x", cooldown_until=at(60)), Status.ERROR),
        (RoomState(cooldown_until=at(60)), Status.COOLDOWN),
        (RoomState(cooldown_until=at(0)), Status.IDLE),
    ],
)
def test_status_precedence(state: RoomState, expected: Status) -> None:
    assert make(state).status(at(0)) is expected


def test_status_quiet_hours_lowest() -> None:
    options = {"quiet_hours": quiet("11:00", "13:00"), "time_zone": BERLIN}
    assert make(RoomState(), **options).status(at(0)) is Status.QUIET_HOURS
    assert make(RoomState(cooldown_until=at(60)), **options).status(at(0)) is Status.COOLDOWN
    low = quiet("11:00", "13:00", mode=QuietMode.LOW_VOLUME, volume=5)
    assert make(quiet_hours=low, time_zone=BERLIN).status(at(0)) is Status.IDLE


def test_next_wakeup() -> None:
    engine = make(quiet_hours=quiet("13:00", "14:00"), time_zone=BERLIN)
    assert engine.next_wakeup(at(0)) == at(3600)  # 13:00 Berlin
    engine.set_enabled(at(0), False)
    assert engine.next_wakeup(at(0)) == at(3600)  # disabled: the active window still changes
    engine.set_enabled(at(0), True)
    engine.options = RoomOptions()
    assert engine.next_wakeup(at(0)) is None  # no polling while idle
    engine.presence_changed(at(0), True)
    assert engine.next_wakeup(at(0)) == at(180 * 60)  # presence on: max duration only
    engine.presence_changed(at(10), False)
    assert engine.next_wakeup(at(10)) == at(310)
    assert engine.next_wakeup(at(400)) == at(310)  # overdue: call tick now
    engine.snooze(at(20), timedelta(seconds=100))
    assert engine.next_wakeup(at(20)) == at(120)
    engine.tick(at(310))
    assert engine.next_wakeup(at(310)) == at(430)  # cooldown end
    assert engine.next_wakeup(at(430)) is None


def test_next_wakeup_without_quiet_hours_changes() -> None:
    always = make(quiet_hours=quiet("00:00", "00:00"), time_zone=BERLIN)
    assert always.status(at(0)) is Status.QUIET_HOURS
    assert always.next_wakeup(at(0)) is None


def test_stops_at() -> None:
    engine = make(max_session=timedelta(minutes=10))
    assert engine.stops_at(at(0)) is None
    engine.presence_changed(at(0), True)
    assert engine.stops_at(at(0)) == at(600)
    engine.presence_changed(at(100), False)
    assert engine.stops_at(at(100)) == at(400)
    engine.presence_changed(at(400 - 1), True)
    engine.presence_changed(at(500), False)
    assert engine.stops_at(at(500)) == at(600)


# --- live reconfiguration -------------------------------------------------------------------


def test_update_options_new_timeout_applies_to_open_session() -> None:
    engine = make()
    engine.presence_changed(at(0), True)
    engine.presence_changed(at(10), False)
    assert engine.update_options(at(20), RoomOptions(timeout=timedelta(minutes=1))) == []
    assert engine.stops_at(at(20)) == at(70)
    assert summary(engine.update_options(at(30), RoomOptions(timeout=timedelta(seconds=10)))) == [
        "end:s1:timeout:not_owned"
    ]


def test_update_options_moves_pending_start_and_cooldown() -> None:
    engine = make(min_presence=timedelta(seconds=60))
    engine.presence_changed(at(0), True)
    engine.update_options(at(5), RoomOptions(min_presence=timedelta(seconds=30)))
    assert engine.state.pending_start == at(30)
    assert summary(engine.update_options(at(10), RoomOptions())) == OPEN
    engine.stop_session(at(20))
    assert engine.state.cooldown_until == at(140)
    engine.update_options(at(21), RoomOptions(cooldown=timedelta(minutes=10)))
    assert engine.state.cooldown_until == at(620)
    engine.update_options(at(22), RoomOptions(cooldown=timedelta(0)))
    assert cooldown_until(engine) is None
    assert engine.status(at(22)) is Status.IDLE


def test_due_pending_start_with_a_session_open_is_dropped() -> None:
    """A corrupt stored state must never produce a second session."""
    state = RoomState(presence=True, pending_start=at(0), session=Session("old", at(-10)))
    engine = make(state)
    assert engine.tick(at(1)) == []
    assert last_session_id(engine) == "old"
    assert engine.state.pending_start is None


# --- is_still_ours --------------------------------------------------------------------------

OURS = SessionRecord("s1", at(0), at(60), 1, True, EndReason.TIMEOUT, DEVICE, CONTEXT)


def rec(owned: bool, device_id: str | None, context_uri: str | None) -> SessionRecord:
    return SessionRecord("s", at(0), at(1), 1, owned, EndReason.TIMEOUT, device_id, context_uri)


@pytest.mark.parametrize(
    ("record", "is_playing", "device_id", "context_uri", "expected"),
    [
        (OURS, True, DEVICE, CONTEXT, True),
        (OURS, False, DEVICE, CONTEXT, False),  # the user paused
        (OURS, True, "phone", CONTEXT, False),  # moved to another device
        (OURS, True, None, CONTEXT, False),
        (OURS, True, DEVICE, "spotify:album:other", False),  # changed what plays
        (OURS, True, DEVICE, None, False),
        (OURS.with_reason(EndReason.MANUAL), True, DEVICE, CONTEXT, True),
        (rec(True, DEVICE, None), True, DEVICE, "x", True),  # resumed: any context
        (rec(True, None, None), True, DEVICE, None, False),  # device unknown: never pause
        (rec(False, DEVICE, CONTEXT), True, DEVICE, CONTEXT, False),  # observed
        (Session("s", at(0), True, 1, None, None, DEVICE, CONTEXT), True, DEVICE, CONTEXT, True),
        (Session("s", at(0), None, 1, None, None, DEVICE, CONTEXT), True, DEVICE, CONTEXT, False),
    ],
)  # fmt: skip
def test_is_still_ours(
    record: SessionRecord | Session,
    is_playing: bool,
    device_id: str | None,
    context_uri: str | None,
    expected: bool,
) -> None:
    assert (
        is_still_ours(
            is_playing=is_playing, device_id=device_id, context_uri=context_uri, record=record
        )
        is expected
    )


@pytest.mark.parametrize(
    ("playback", "expected"),
    [
        (None, False),
        ({}, False),
        ({"is_playing": True, "device": {"id": DEVICE}, "context": {"uri": CONTEXT}}, True),
        ({"is_playing": True, "device": {"id": DEVICE}, "context": None}, False),
        ({"is_playing": False, "device": {"id": DEVICE}, "context": {"uri": CONTEXT}}, False),
        ({"is_playing": True, "device": None, "context": {"uri": CONTEXT}}, False),
    ],
)
def test_is_still_ours_playback(playback: dict[str, Any] | None, expected: bool) -> None:
    assert is_still_ours_playback(playback, OURS) is expected


# --- options --------------------------------------------------------------------------------


def test_from_data_defaults() -> None:
    options = RoomOptions.from_data({}, BERLIN)
    assert options == RoomOptions(time_zone=BERLIN)
    assert options.shuffle is True
    assert options.timeout == timedelta(minutes=5)
    assert options.cooldown == timedelta(minutes=2)
    assert options.min_presence == timedelta(0)
    assert options.max_session == timedelta(minutes=180)
    assert options.quiet_hours is None
    assert options.only_when_idle is True
    assert options.source is None
    assert options.volume is None


def test_from_data_full() -> None:
    data = {
        "motion_entities": ["binary_sensor.hall"],
        "spotify_device_id": DEVICE,
        "source": f" {CONTEXT} ",
        "volume": 35.0,
        "shuffle": False,
        "timeout_minutes": 10,
        "cooldown_minutes": 0,
        "min_presence_seconds": 15,
        "max_session_minutes": 60.5,
        "quiet_hours_enabled": True,
        "quiet_start": "22:00:00",
        "quiet_end": "07:00",
        "quiet_days": ["fri", "sat"],
        "quiet_mode": "low_volume",
        "quiet_volume": 8,
        "only_when_idle": False,
    }
    options = RoomOptions.from_data(data, BERLIN)
    assert options == RoomOptions(
        source=CONTEXT,
        volume=35,
        shuffle=False,
        timeout=timedelta(minutes=10),
        cooldown=timedelta(0),
        min_presence=timedelta(seconds=15),
        max_session=timedelta(minutes=60.5),
        quiet_hours=QuietHours(
            time(22), time(7), frozenset({"fri", "sat"}), QuietMode.LOW_VOLUME, 8
        ),
        only_when_idle=False,
        time_zone=BERLIN,
    )


@pytest.mark.parametrize(
    ("data", "check"),
    [
        ({"source": "   "}, lambda o: o.source is None),
        ({"source": None, "volume": None}, lambda o: o.source is None and o.volume is None),
        ({"volume": ""}, lambda o: o.volume is None),
        ({"volume": "20"}, lambda o: o.volume == 20),
        ({"timeout_minutes": "2.5"}, lambda o: o.timeout == timedelta(minutes=2.5)),
        ({"quiet_hours_enabled": False, "quiet_start": "bad"}, lambda o: o.windows == ()),
        (
            {"quiet_hours_enabled": True, "quiet_start": "22:00", "quiet_end": "06:00"},
            lambda o: o.windows == (from_quiet_hours(QuietHours(time(22), time(6))),),
        ),
        (
            {
                "quiet_hours_enabled": True,
                "quiet_start": time(1),
                "quiet_end": "02:00",
                "quiet_days": (),
                "quiet_mode": None,
            },
            lambda o: o.windows == (from_quiet_hours(QuietHours(time(1), time(2), frozenset())),),
        ),
    ],
)
def test_from_data_lenient_values(data: dict[str, Any], check: Callable[[Any], bool]) -> None:
    assert check(RoomOptions.from_data(data, UTC))


QUIET_ON = {"quiet_hours_enabled": True, "quiet_start": "22:00", "quiet_end": "06:00"}


@pytest.mark.parametrize(
    "data",
    [
        {"source": 5},
        {"volume": 101},
        {"volume": -1},
        {"volume": 33.3},
        {"volume": "loud"},
        {"volume": True},
        {"shuffle": "yes"},
        {"timeout_minutes": 0},
        {"timeout_minutes": -5},
        {"timeout_minutes": float("nan")},
        {"timeout_minutes": float("inf")},
        {"timeout_minutes": [5]},
        {"cooldown_minutes": -1},
        {"min_presence_seconds": -1},
        {"max_session_minutes": 0},
        # Beyond a year: no one's setting, and adding it to a time would overflow datetime.
        {"timeout_minutes": 1e12},
        {"cooldown_minutes": 10**15},
        {"max_session_minutes": 366 * 24 * 60 + 1},
        {"min_presence_seconds": 1e300},
        {"only_when_idle": 1},
        {"quiet_hours_enabled": "true"},
        {"quiet_hours_enabled": True},
        {"quiet_hours_enabled": True, "quiet_start": "22:00"},
        {"quiet_hours_enabled": True, "quiet_start": "", "quiet_end": "06:00"},
        {**QUIET_ON, "quiet_start": "25:00"},
        {**QUIET_ON, "quiet_end": 600},
        {**QUIET_ON, "quiet_days": "mon"},
        {**QUIET_ON, "quiet_days": 5},
        {**QUIET_ON, "quiet_days": ["monday"]},
        {**QUIET_ON, "quiet_mode": "silent"},
        {**QUIET_ON, "quiet_mode": "low_volume"},
        {**QUIET_ON, "quiet_mode": "low_volume", "quiet_volume": 200},
    ],
)
def test_from_data_invalid(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RoomOptions.from_data(data, UTC)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"volume": 101},
        {"volume": True},
        {"timeout": timedelta(0)},
        {"max_session": timedelta(0)},
        {"cooldown": timedelta(seconds=-1)},
        {"min_presence": timedelta(seconds=-1)},
    ],
)
def test_options_validation(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RoomOptions(**kwargs)


# --- serialisation --------------------------------------------------------------------------

FULL_STATE = RoomState(
    enabled=False,
    snoozed_until=at(100),
    cooldown_until=at(200),
    presence=True,
    presence_since=at(3),
    pending_start=at(30),
    session=Session("s9", at(1), True, 4, at(2), at(5), DEVICE, CONTEXT),
    last_motion=at(2),
    last_skip_reason=SkipReason.WAITING_FOR_PRESENCE,
    error="not_found",
)


@pytest.mark.parametrize("state", [RoomState(), FULL_STATE])
def test_state_round_trip(state: RoomState) -> None:
    data = json.loads(json.dumps(state.to_dict()))
    assert RoomState.from_dict(data) == state


def test_state_from_dict_accepts_other_zones_and_missing_keys() -> None:
    data = FULL_STATE.to_dict()
    data["snoozed_until"] = at(100).astimezone(BERLIN).isoformat()
    restored = RoomState.from_dict(data)
    assert restored == FULL_STATE
    assert restored.snoozed_until is not None
    assert restored.snoozed_until.tzinfo is UTC
    assert RoomState.from_dict({}) == RoomState()


def _bad(key: str, value: Any) -> dict[str, Any]:
    data = FULL_STATE.to_dict()
    data[key] = value
    return data


def _bad_session(key: str, value: Any) -> dict[str, Any]:
    data = FULL_STATE.to_dict()
    data["session"] = {**data["session"], key: value}
    return data


@pytest.mark.parametrize(
    "data",
    [
        [],
        "state",
        _bad("enabled", "yes"),
        _bad("presence", None),
        _bad("snoozed_until", "tomorrow"),
        _bad("cooldown_until", 12),
        _bad("pending_start", "2026-06-01T12:00:00"),  # naive
        _bad("last_skip_reason", "bored"),
        _bad("error", 5),
        _bad("session", "s1"),
        _bad("session", {"session_id": "s1"}),
        _bad_session("owned", "yes"),
        _bad_session("motion_count", -1),
        _bad_session("motion_count", True),
        _bad_session("motion_count", 2**64 - 1),  # too big for the next save
        _bad_session("session_id", 7),
        _bad_session("device_id", 7),
        _bad_session("last_motion", 7),
    ],
)
def test_state_from_dict_invalid(data: Any) -> None:
    with pytest.raises(ValueError):
        RoomState.from_dict(data)


def test_session_from_dict_wraps_type_errors() -> None:
    with pytest.raises(ValueError):
        Session.from_dict(None)  # type: ignore[arg-type]


def test_record_round_trip_and_duration() -> None:
    record = SessionRecord("s1", at(0), at(90), 3, False, EndReason.RELEASED, None, None)
    data = json.loads(json.dumps(record.to_dict()))
    assert data["reason"] == "released"
    assert SessionRecord.from_dict(data) == record
    assert record.duration == timedelta(seconds=90)
    backwards = SessionRecord("s1", at(90), at(0), 3, False, EndReason.RELEASED)
    assert backwards.duration == timedelta(0)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"session_id": None}, ValueError),
        ({"started": "x"}, ValueError),
        ({"ended": None}, ValueError),
        ({"motion_count": "3"}, ValueError),
        ({"owned": None}, ValueError),
        ({"reason": "bored"}, ValueError),
        ({"device_id": 1}, ValueError),
        ({"context_uri": []}, ValueError),
        ({"started": "9999-12-31T23:00:00+00:00"}, ValueError),
        ({"ended": "0001-01-01T00:00:00+00:00"}, ValueError),
    ],
)
def test_record_from_dict_invalid(change: dict[str, Any], error: type[Exception]) -> None:
    data = {**OURS.to_dict(), **change}
    with pytest.raises(error):
        SessionRecord.from_dict(data)


def test_record_from_dict_missing_key_and_wrong_type() -> None:
    data = OURS.to_dict()
    del data["ended"]
    with pytest.raises(KeyError):
        SessionRecord.from_dict(data)
    with pytest.raises(TypeError):
        SessionRecord.from_dict(["s1"])  # type: ignore[arg-type]


def test_weekdays_constant() -> None:
    assert WEEKDAYS == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# --- music follows you: sessions moved to another room ------------------------------------------


def test_moved_ends_an_owned_session_without_cooldown() -> None:
    engine = make(follow_me=True)
    run(engine, [Step(0, "on", OPEN), Step(1, "owned"), Step(30, "off")])
    decisions = engine.moved(at(40), "Kitchen")
    assert summary(decisions) == ["end:s1:moved:owned"]
    record = decisions[0].record  # type: ignore[union-attr]
    assert record.moved_to == "Kitchen"
    assert record.to_dict()["moved_to"] == "Kitchen"
    assert record.ended == at(40)
    assert cooldown_until(engine) is None
    assert engine.status(at(40)) is Status.IDLE
    # Walking back in starts again at once (the music may come back).
    assert summary(engine.presence_changed(at(50), True)) == ["opened:s2", "play:s2"]


@pytest.mark.parametrize(
    "steps",
    [
        [],  # no session at all
        [Step(0, "on", OPEN)],  # the start is still in flight
        [Step(0, "on", OPEN), Step(1, "observed")],  # observed sessions never move
    ],
    ids=["none", "in_flight", "observed"],
)
def test_only_owned_sessions_move(steps: list[Step]) -> None:
    engine = make(follow_me=True)
    run(engine, steps)
    before = engine.state.to_dict()
    assert engine.moved(at(40), "Kitchen") == []
    assert engine.state.to_dict() == before


def test_moved_still_carries_out_what_was_due() -> None:
    engine = make()
    run(engine, [Step(0, "on", OPEN), Step(1, "owned"), Step(10, "off")])
    # The timeout fell due before the other room asked: the session ended as a timeout.
    assert summary(engine.moved(at(400), "Kitchen")) == [END.format("timeout")]


def test_moved_during_a_fade() -> None:
    engine = make(fade_out=timedelta(seconds=10))
    run(
        engine,
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(10, "off"),
            Step(310, "tick", ["fade:s1:320"]),
        ],
    )
    assert summary(engine.moved(at(315), "Kitchen")) == ["end:s1:moved:owned"]
    assert engine.next_wakeup(at(315)) is None


@pytest.mark.parametrize("follow_me", [False, True])
def test_start_playback_asks_to_follow(follow_me: bool) -> None:
    engine = make(follow_me=follow_me)
    start = engine.presence_changed(at(0), True)[1]
    assert isinstance(start, StartPlayback)
    assert start.follow_me is follow_me
    assert start.join is False
    assert start.resume is None


@pytest.mark.parametrize(
    ("mode", "moves", "joins"),
    [
        (FollowMode.OWN, False, False),
        (FollowMode.MOVE, True, False),
        (FollowMode.JOIN, False, True),
    ],
)
def test_the_follow_mode_asks_to_move_or_join(mode: FollowMode, moves: bool, joins: bool) -> None:
    engine = make(follow_mode=mode)
    start = engine.presence_changed(at(0), True)[1]
    assert isinstance(start, StartPlayback)
    assert (start.follow_me, start.join) == (moves, joins)


def test_a_joining_room_reads_ahead_for_an_approach() -> None:
    """Join, like move, decides from the playback: an approach's read is worth its request."""
    engine = make(follow_mode=FollowMode.JOIN, only_when_idle=False)
    assert engine.wants_preparation(at(0))
    assert not make(only_when_idle=False).wants_preparation(at(0))


@pytest.mark.parametrize(
    ("data", "mode"),
    [
        ({}, FollowMode.OWN),
        ({"follow_me": True}, FollowMode.MOVE),  # a room saved before the follow mode
        ({"follow_me": False}, FollowMode.OWN),
        ({"follow_mode": "join", "follow_me": True}, FollowMode.JOIN),  # the mode wins
        ({"follow_mode": "own"}, FollowMode.OWN),
        ({"follow_mode": "move"}, FollowMode.MOVE),
    ],
)
def test_from_data_follow_mode(data: dict[str, Any], mode: FollowMode) -> None:
    options = RoomOptions.from_data(data, UTC)
    assert options.follow_mode is mode
    assert options.follow_me is (mode is not FollowMode.OWN)


# --- resume where you left off --------------------------------------------------------------

ITEM = "spotify:track:abc"
RESUME = {"resume_window": timedelta(minutes=10), "source": CONTEXT, "cooldown": timedelta(0)}


def ended_session(**options: Any) -> RoomEngine:
    """An owned session ended by its timeout at t=360 (position saved unless told not to)."""
    engine = make(**{**RESUME, **options})
    run(
        engine,
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(60, "off"),
            Step(360, "tick", [END.format("timeout")]),
        ],
    )
    engine.position_saved("s1", item_uri=ITEM, position_ms=42_000)
    return engine


def next_start(engine: RoomEngine, t: float) -> StartPlayback:
    decisions = engine.presence_changed(at(t), True)
    start = decisions[-1]
    assert isinstance(start, StartPlayback), decisions
    return start


@pytest.mark.parametrize(
    ("after", "resumed"),
    [(0, True), (1, True), (599, True), (600, True), (601, False), (3600, False)],
)
def test_resume_window_edges(after: float, resumed: bool) -> None:
    engine = ended_session()
    start = next_start(engine, 360 + after)
    expected = ResumeFrom(ITEM, 42_000) if resumed else None
    assert start.resume == expected
    assert engine.state.resume is None  # a resume point is used once


def test_resume_point_is_saved_with_the_end() -> None:
    engine = ended_session()
    assert engine.state.resume == ResumePoint("s1", at(360), CONTEXT, ITEM, 42_000)
    # Stored across a restart.
    restored = RoomState.from_dict(json.loads(json.dumps(engine.state.to_dict())))
    assert restored.resume == engine.state.resume


def test_manual_start_resumes_too() -> None:
    engine = ended_session()
    start = engine.start_session(at(400))[1]
    assert isinstance(start, StartPlayback)
    assert start.resume == ResumeFrom(ITEM, 42_000)


def test_resume_needs_the_same_source() -> None:
    engine = ended_session()
    engine.update_options(at(370), RoomOptions(**{**RESUME, "source": "spotify:album:x"}))
    assert next_start(engine, 380).resume is None


def test_resume_needs_a_saved_position() -> None:
    engine = make(**RESUME)
    run(
        engine,
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(60, "off"),
            Step(360, "tick", [END.format("timeout")]),
        ],
    )
    # The end found the music no longer ours (no position): nothing to resume.
    engine.position_saved("other", item_uri=ITEM, position_ms=5)
    engine.position_saved("s1", item_uri=None, position_ms=5)
    assert next_start(engine, 370).resume is None


def test_negative_or_missing_position_resumes_at_the_track_start() -> None:
    engine = ended_session()
    engine.position_saved("s1", item_uri=ITEM, position_ms=-5)
    assert engine.state.resume is not None
    assert engine.state.resume.position_ms == 0
    engine.position_saved("s1", item_uri=ITEM, position_ms=None)
    assert next_start(engine, 370).resume == ResumeFrom(ITEM, 0)


@pytest.mark.parametrize(
    ("options", "steps"),
    [
        ({"resume_window": timedelta(0)}, [Step(1, "owned"), Step(60, "off"), Step(360, "tick")]),
        ({"source": None}, [Step(1, "owned"), Step(60, "off"), Step(360, "tick")]),
        ({}, [Step(1, "observed"), Step(60, "off"), Step(360, "tick")]),
        ({}, [Step(1, "owned"), Step(60, "moved", ["end:s1:moved:owned"])]),
    ],
    ids=["off", "no_source", "observed", "moved"],
)
def test_no_resume_point(options: dict[str, Any], steps: list[Step]) -> None:
    engine = make(**{**RESUME, **options})
    decisions = engine.presence_changed(at(0), True)
    assert summary(decisions) == OPEN
    for step in steps:
        apply(engine, at(step.t), step.op, step.arg)
    engine.position_saved("s1", item_uri=ITEM, position_ms=1)
    assert engine.state.resume is None
    assert "resume" not in engine.state.to_dict()


def test_an_observed_end_forgets_the_earlier_point() -> None:
    engine = ended_session()
    run(engine, [Step(370, "on", ["opened:s2", "play:s2"]), Step(371, "observed")])
    assert engine.state.resume is None
    run(engine, [Step(380, "off"), Step(680, "tick", ["end:s2:timeout:not_owned"])])
    assert next_start(engine, 690).resume is None


# --- gentle end: fade out before the pause ---------------------------------------------------

FADE = {"fade_out": timedelta(seconds=10)}
FADING = [
    Step(0, "on", OPEN),
    Step(1, "owned"),
    Step(60, "off"),
    Step(360, "tick", ["fade:s1:370"]),
]

FADE_SCENARIOS: dict[str, tuple[dict[str, Any], list[Step]]] = {
    "timeout fades, then ends": (
        FADE,
        [
            *FADING[:3],
            Step(359, "tick", [], Status.PLAYING),
            Step(360, "tick", ["fade:s1:370"], Status.PLAYING),
            Step(369, "tick", [], Status.PLAYING),
            Step(370, "tick", [END.format("timeout")], Status.COOLDOWN),
        ],
    ),
    "motion during the fade abandons it": (
        FADE,
        [
            *FADING,
            Step(365, "on", ["unfade:s1"], Status.PLAYING),
            Step(370, "tick", []),
            Step(400, "off"),
            Step(700, "tick", ["fade:s1:710"]),
            Step(710, "tick", [END.format("timeout")]),
        ],
    ),
    "a restart with someone in the room abandons it": (
        FADE,
        [*FADING, Step(365, "restore", ["unfade:s1"], Status.PLAYING, arg=True), Step(370, "tick")],
    ),
    "a restart with nobody there ends it on time": (
        FADE,
        [*FADING, Step(365, "restore", []), Step(370, "tick", [END.format("timeout")])],
    ),
    "a reconnecting sensor abandons it too": (
        FADE,
        [*FADING, Step(365, "on?", ["unfade:s1"]), Step(370, "tick", [], Status.PLAYING)],
    ),
    "a motion pulse abandons it and restarts the timeout": (
        FADE,
        [
            *FADING,
            Step(362, "trigger", ["unfade:s1"]),
            Step(661, "tick", []),
            Step(662, "tick", ["fade:s1:672"]),
            Step(672, "tick", [END.format("timeout")]),
        ],
    ),
    "a max-length fade is not abandoned": (
        {**FADE, "max_session": timedelta(minutes=10)},
        [
            Step(0, "on", OPEN),
            Step(1, "owned"),
            Step(600, "tick", ["fade:s1:610"]),
            Step(605, "trigger", []),
            Step(610, "tick", [END.format("max_duration")]),
        ],
    ),
    "stopping during the fade ends at once": (
        FADE,
        [*FADING, Step(363, "stop", [END.format("manual")]), Step(370, "tick", [])],
    ),
    "switching off during the fade ends at once": (
        FADE,
        [*FADING, Step(363, "disable", [END.format("disabled")])],
    ),
    "observed sessions end without a fade": (
        FADE,
        [
            Step(0, "on", OPEN),
            Step(1, "observed"),
            Step(60, "off"),
            Step(360, "tick", ["end:s1:timeout:not_owned"]),
        ],
    ),
    "a start still in flight ends without a fade": (
        FADE,
        [
            Step(0, "on", OPEN),
            Step(60, "off"),
            Step(360, "tick", ["end:s1:timeout:not_owned"]),
        ],
    ),
    "a late tick inside the fade fades for what is left": (
        FADE,
        [
            *FADING[:3],
            Step(365, "tick", ["fade:s1:370"]),
            Step(370, "tick", [END.format("timeout")]),
        ],
    ),
    "a tick after the whole fade ends at once": (
        FADE,
        [*FADING[:3], Step(370, "tick", [END.format("timeout")])],
    ),
    "no fade by default": (
        {},
        [*FADING[:3], Step(360, "tick", [END.format("timeout")])],
    ),
}


@pytest.mark.parametrize(
    ("options", "steps"), list(FADE_SCENARIOS.values()), ids=list(FADE_SCENARIOS)
)
def test_fade_scenario(options: dict[str, Any], steps: list[Step]) -> None:
    run(make(**options), steps)


def test_fade_timing_and_persistence() -> None:
    engine = make(**FADE)
    run(engine, FADING)
    session = engine.session
    assert session is not None
    assert session.fading
    assert engine.stops_at(at(361)) == at(370)
    assert engine.next_wakeup(at(361)) == at(370)
    data = json.loads(json.dumps(engine.state.to_dict()))
    assert data["session"]["fade_ends"] == at(370).isoformat()
    assert data["session"]["fade_reason"] == "timeout"
    restored = RoomEngine(RoomOptions(**FADE), RoomState.from_dict(data), new_id=ids())
    assert restored.state == engine.state
    # After a restart the fade's end still comes when it was due.
    assert summary(restored.restore(at(380))) == [END.format("timeout")]


def test_new_options_do_not_change_a_running_fade() -> None:
    engine = make(**FADE)
    run(engine, FADING)
    engine.update_options(at(362), RoomOptions(fade_out=timedelta(seconds=30)))
    assert engine.stops_at(at(362)) == at(370)


def test_unfaded_session_keys_are_not_stored() -> None:
    engine = make(**FADE)
    run(engine, FADING[:3])
    assert engine.session is not None
    assert "fade_ends" not in engine.session.to_dict()


# --- options and stored data of the three features -----------------------------------------


def test_from_data_follow_resume_fade() -> None:
    options = RoomOptions.from_data(
        {"follow_me": True, "resume_minutes": 120, "fade_out_seconds": "7.5"}, UTC
    )
    assert options.follow_me is True
    assert options.resume_window == timedelta(minutes=120)
    assert options.fade_out == timedelta(seconds=7.5)
    defaults = RoomOptions.from_data({}, UTC)
    assert (defaults.follow_me, defaults.resume_window, defaults.fade_out) == (
        False,
        timedelta(0),
        timedelta(0),
    )
    zero = RoomOptions.from_data({"resume_minutes": 0, "fade_out_seconds": 30}, UTC)
    assert (zero.resume_window, zero.fade_out) == (timedelta(0), timedelta(seconds=30))


@pytest.mark.parametrize(
    "data",
    [
        {"follow_me": "yes"},
        {"follow_me": 1},
        {"follow_mode": "follow"},
        {"follow_mode": True},
        {"resume_minutes": 121},
        {"resume_minutes": -1},
        {"resume_minutes": float("nan")},
        {"resume_minutes": "soon"},
        {"fade_out_seconds": 31},
        {"fade_out_seconds": -0.5},
        {"fade_out_seconds": float("inf")},
        {"fade_out_seconds": True},
    ],
)
def test_from_data_invalid_follow_resume_fade(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RoomOptions.from_data(data, UTC)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"resume_window": timedelta(minutes=121)},
        {"resume_window": timedelta(seconds=-1)},
        {"fade_out": timedelta(seconds=31)},
        {"fade_out": timedelta(seconds=-1)},
    ],
)
def test_options_validation_follow_resume_fade(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RoomOptions(**kwargs)


def test_old_stored_data_still_loads() -> None:
    """Data stored before these features: no resume, fade or moved_to keys."""
    old_state = {
        "enabled": True,
        "session": {
            "session_id": "s1",
            "started": at(0).isoformat(),
            "owned": True,
            "motion_count": 1,
            "last_motion": None,
            "presence_ended": None,
            "device_id": DEVICE,
            "context_uri": CONTEXT,
        },
    }
    state = RoomState.from_dict(old_state)
    assert state.resume is None
    assert state.session is not None
    assert state.session.fade_ends is None
    old_record = {**OURS.to_dict()}
    old_record.pop("moved_to", None)
    assert SessionRecord.from_dict(old_record).moved_to is None
    assert "moved_to" not in OURS.to_dict()


@pytest.mark.parametrize(
    "data",
    [
        _bad("resume", "s1"),
        _bad("resume", {"session_id": "s1"}),
        _bad("resume", {"session_id": "s1", "ended": at(0).isoformat(), "source": 5}),
        _bad(
            "resume",
            {"session_id": "s1", "ended": at(0).isoformat(), "source": CONTEXT, "position_ms": -1},
        ),
        _bad_session("fade_ends", "soon"),
        _bad_session("fade_reason", "bored"),
        _bad_session("fade_reason", 3),
    ],
)
def test_state_from_dict_invalid_new_keys(data: Any) -> None:
    with pytest.raises(ValueError):
        RoomState.from_dict(data)


def test_record_with_moved_to_round_trip() -> None:
    record = SessionRecord("s1", at(0), at(90), 3, True, EndReason.MOVED, DEVICE, CONTEXT, "Hall")
    assert SessionRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    with pytest.raises(ValueError):
        SessionRecord.from_dict({**record.to_dict(), "moved_to": 5})


def test_a_resume_position_that_could_not_be_read_back_is_not_kept() -> None:
    """Spotify once reported 2,000,000,000 ms: the point keeps the track, from its start."""
    engine = make(source=CONTEXT, resume_window=timedelta(minutes=10))
    engine.start_session(at(0))
    engine.playback_started(at(1), "s1", owned=True, device_id=DEVICE, context_uri=CONTEXT)
    engine.stop_session(at(60))
    engine.position_saved("s1", item_uri="spotify:track:t", position_ms=2_000_000_000)
    point = engine.state.resume
    assert point is not None
    assert point.position_ms == 0
    assert RoomState.from_dict(json.loads(json.dumps(engine.state.to_dict()))).resume == point
