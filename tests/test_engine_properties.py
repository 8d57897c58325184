"""Property-based tests of the session engine: random input sequences, invariants after each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from itertools import count
import json
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings, strategies as st
import pytest

from custom_components.spottypottysense.decisions import (
    CancelFade,
    Decision,
    EndPlayback,
    FadeOut,
    SessionStarted,
    StartPlayback,
)
from custom_components.spottypottysense.engine import RoomEngine, Status
from custom_components.spottypottysense.options import RoomOptions
from custom_components.spottypottysense.quiet_hours import WEEKDAYS, QuietHours, QuietMode
from custom_components.spottypottysense.records import EndReason, RoomState

BERLIN = ZoneInfo("Europe/Berlin")
# Saturday evening before the spring-forward night, so DST is part of the mix.
T0 = datetime(2026, 3, 28, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Pure tests: no Home Assistant instance needed."""


minutes = st.integers(0, 23).flatmap(lambda h: st.sampled_from([0, 30]).map(lambda m: time(h, m)))


@st.composite
def quiet_hours(draw: st.DrawFn) -> QuietHours | None:
    if draw(st.booleans()):
        return None
    mode = draw(st.sampled_from(QuietMode))
    return QuietHours(
        start=draw(minutes),
        end=draw(minutes),
        days=draw(st.frozensets(st.sampled_from(WEEKDAYS), min_size=1)),
        mode=mode,
        volume=5 if mode is QuietMode.LOW_VOLUME else None,
    )


options_strategy = st.builds(
    RoomOptions,
    source=st.sampled_from([None, "spotify:playlist:p"]),
    volume=st.sampled_from([None, 30]),
    shuffle=st.booleans(),
    timeout=st.sampled_from([timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=10)]),
    cooldown=st.sampled_from([timedelta(0), timedelta(minutes=2)]),
    min_presence=st.sampled_from([timedelta(0), timedelta(seconds=10), timedelta(seconds=60)]),
    max_session=st.sampled_from([timedelta(minutes=5), timedelta(minutes=30)]),
    quiet_hours=quiet_hours(),
    only_when_idle=st.booleans(),
    time_zone=st.just(BERLIN),
)

gaps = st.one_of(st.just(0), st.integers(1, 60), st.integers(61, 600), st.integers(601, 3000))
results = st.tuples(
    st.just("result"),
    st.integers(0, 3),  # Spotify answers within seconds
    st.tuples(st.sampled_from(["owned", "owned", "observed", "failed"]), st.integers(0, 3)),
)
presence_ops = st.one_of(
    st.tuples(st.just("on"), gaps, st.booleans()),
    st.tuples(st.just("off"), gaps, st.none()),
)
other_ops = st.one_of(
    st.tuples(st.just("trigger"), gaps, st.none()),
    st.tuples(st.just("start"), gaps, st.none()),
    st.tuples(st.just("stop"), gaps, st.none()),
    st.tuples(st.just("enable"), gaps, st.booleans()),
    st.tuples(st.just("snooze"), gaps, st.sampled_from([0, 1, 10])),
    st.tuples(st.just("tick"), gaps, st.none()),
    st.tuples(st.just("restart"), gaps, st.booleans()),
    st.tuples(st.just("options"), gaps, options_strategy),
)
operations = st.one_of(
    presence_ops, results, other_ops, st.tuples(st.just("wakeup"), st.just(0), st.none())
)


@dataclass
class Model:
    """What the test itself knows from the inputs it gave and the decisions it got."""

    presence: bool = False
    open_id: str | None = None
    last_release: datetime | None = None  # when presence last ended for the open session
    session_started: datetime | None = None
    presence_since: datetime | None = None
    started: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    discarded: list[str] = field(default_factory=list)
    outstanding: list[str] = field(default_factory=list)  # StartPlayback awaiting a result
    owned: dict[str, bool] = field(default_factory=dict)  # reported while open


def check_decisions(
    model: Model,
    engine: RoomEngine,
    before: RoomState,
    now: datetime,
    op: str,
    arg: Any,
    decisions: list[Decision],
) -> None:
    options = engine.options
    present_after = presence_after(model, op, arg)
    ended_in_call = False
    for index, decision in enumerate(decisions):
        if isinstance(decision, SessionStarted):
            # Never two open sessions.
            assert model.open_id is None
            session = decision.session
            model.open_id = session.session_id
            model.started.append(session.session_id)
            model.session_started = now
            assert op != "restart"
            from_pending = before.pending_start is not None and before.pending_start <= now
            if op == "on":
                # Untrusted edges never start; with min_presence only the due wait does.
                assert from_pending or (arg and options.min_presence == timedelta(0))
            model.last_release = None if present_after else now
            assert session.started == now
            assert session.owned is None
            play = decisions[index + 1]
            assert isinstance(play, StartPlayback)
            assert play.session_id == session.session_id
            assert play.check_idle is options.only_when_idle
            assert play.source == options.source
            assert play.volume == options.start_volume(now)
            model.outstanding.append(session.session_id)
            if op != "start":
                # Automatic starts respect the switch, snooze, cooldown and quiet hours.
                assert before.enabled
                assert before.snoozed_until is None or before.snoozed_until <= now
                assert before.cooldown_until is None or before.cooldown_until <= now
                assert not (ended_in_call and options.cooldown > timedelta(0))
                assert not options.blocking_quiet_active(now)
                assert model.presence or present_after or op == "trigger"
                if op not in ("trigger", "on") and options.min_presence > timedelta(0):
                    # A start after waiting for min presence: presence lasted that long.
                    assert model.presence_since is not None
                    assert now - model.presence_since >= options.min_presence
                if op == "on" and options.min_presence > timedelta(0):
                    assert before.pending_start is not None
                    assert before.pending_start <= now
            else:
                assert before.enabled
        elif isinstance(decision, EndPlayback):
            record = decision.record
            assert record.started <= record.ended <= now
            if decision.late:
                # Only a start that landed after its session ended is stopped late.
                assert op == "result"
                assert arg[0] == "owned"
                assert record.owned
                continue
            assert record.ended == now
            assert record.session_id == model.open_id
            model.open_id = None
            model.ended.append(record.session_id)
            ended_in_call = True
            # Never claim (and so never pause) playback we do not own.
            assert record.owned is model.owned.get(record.session_id, False)
            if record.reason is EndReason.TIMEOUT:
                assert not model.presence
                assert model.last_release is not None
                assert record.ended >= model.last_release + options.timeout
            if record.reason is EndReason.MAX_DURATION:
                assert record.ended >= record.started + options.max_session
        else:
            assert isinstance(decision, StartPlayback)
            assert index > 0
            assert isinstance(decisions[index - 1], SessionStarted)


def run_operation(
    engine: RoomEngine, model: Model, now: datetime, op: str, arg: Any, new_id: Any
) -> tuple[RoomEngine, list[Decision]]:
    result_id: str | None = None
    if op == "on":
        decisions = engine.presence_changed(now, True, trusted=arg)
    elif op == "off":
        decisions = engine.presence_changed(now, False)
    elif op == "trigger":
        decisions = engine.trigger_motion(now)
    elif op == "start":
        decisions = engine.start_session(now)
    elif op == "stop":
        decisions = engine.stop_session(now)
    elif op == "enable":
        decisions = engine.set_enabled(now, arg)
    elif op == "snooze":
        decisions = engine.snooze(now, timedelta(minutes=arg))
    elif op in ("tick", "wakeup"):
        decisions = engine.tick(now)
    elif op == "options":
        decisions = engine.update_options(now, arg)
    elif op == "restart":
        state = RoomState.from_dict(json.loads(json.dumps(engine.state.to_dict())))
        engine = RoomEngine(engine.options, state, new_id=new_id)
        decisions = engine.restore(now, present=arg)
        # A start in flight when HA stopped is never left open (nor paused).
        assert engine.session is None or engine.session.owned is not None
    else:
        kind, which = arg
        if not model.outstanding:
            return engine, []
        result_id = model.outstanding.pop(which % len(model.outstanding))
        if kind == "failed":
            was_open = engine.session is not None and engine.session.session_id == result_id
            decisions = engine.playback_failed(now, result_id, "boom")
            if was_open and not any(isinstance(d, EndPlayback) for d in decisions):
                # A failed start leaves nothing behind.
                assert engine.session is None
                model.discarded.append(result_id)
                model.open_id = None
                assert engine.state.error == "boom"
        else:
            decisions = engine.playback_started(
                now, result_id, owned=kind == "owned", device_id="d", context_uri=None
            )
            lates = [d for d in decisions if isinstance(d, EndPlayback) and d.late]
            if engine.session is not None and engine.session.session_id == result_id:
                model.owned[result_id] = kind == "owned"
                assert not lates
                assert engine.state.error is None
            elif kind == "owned":
                assert [d.record.session_id for d in lates] == [result_id]
            else:
                assert not lates
    return engine, decisions


def presence_after(model: Model, op: str, arg: Any) -> bool:
    if op == "on":
        return True
    if op == "off":
        return False
    if op == "restart":
        return bool(arg)
    return model.presence


def update_presence(model: Model, now: datetime, op: str, arg: Any) -> None:
    if op == "on":
        if not model.presence:
            model.presence_since = now
        model.presence = True
    elif op == "off":
        if model.presence:
            model.last_release = now
        model.presence = False
    elif op == "trigger":
        if not model.presence:
            model.last_release = now
    elif op == "restart":
        if model.presence and not arg:
            model.last_release = now
        if arg and not model.presence:
            model.presence_since = now
        model.presence = arg


def check_state(engine: RoomEngine, model: Model, now: datetime) -> None:
    state = engine.state
    # The open session is the one the decisions told us about.
    assert (state.session.session_id if state.session else None) == model.open_id
    # Serialisable for a restart, exactly.
    data = json.loads(json.dumps(state.to_dict()))
    assert RoomState.from_dict(data) == state
    assert state.presence is model.presence
    if state.session is not None:
        owned = model.owned.get(state.session.session_id)
        expected = {None: Status.STARTING, True: Status.PLAYING, False: Status.OBSERVING}
        assert engine.status(now) is expected[owned]
        assert (state.session.presence_ended is None) is model.presence
        # The stop time is exactly what the rules say.
        assert model.session_started is not None
        max_end = model.session_started + engine.options.max_session
        if model.presence:
            assert engine.stops_at(now) == max_end
        else:
            assert model.last_release is not None
            assert engine.stops_at(now) == min(max_end, model.last_release + engine.options.timeout)
    # Status stays right until the next wakeup without polling.
    status = engine.status(now)
    assert isinstance(status, Status)
    wakeup = engine.next_wakeup(now)
    if state.session is not None or state.pending_start is not None:
        assert wakeup is not None
    if wakeup is None:
        assert engine.status(now + timedelta(days=10)) is status
    elif wakeup > now:
        assert engine.status(now + (wakeup - now) / 2) is status
        assert engine.status(wakeup - timedelta(microseconds=1)) is status


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    options=options_strategy,
    ops=st.lists(operations, min_size=15, max_size=60),
    data=st.data(),
)
def test_random_sequences_keep_the_invariants(
    options: RoomOptions, ops: list[tuple[str, int, Any]], data: st.DataObject
) -> None:
    counter = count(1)

    def new_id() -> str:
        return f"s{next(counter)}"

    engine = RoomEngine(options, new_id=new_id)
    model = Model()
    now = T0

    def step(op: str, arg: Any) -> list[Decision]:
        nonlocal engine
        before = RoomState.from_dict(engine.state.to_dict())
        engine, decisions = run_operation(engine, model, now, op, arg, new_id)
        check_decisions(model, engine, before, now, op, arg, decisions)
        for decision in decisions:
            if isinstance(decision, EndPlayback):
                late = " late" if decision.late else ""
                event(f"end {decision.record.reason} owned={decision.record.owned}{late}")
        update_presence(model, now, op, arg)
        check_state(engine, model, now)
        return decisions

    for op, gap, arg in ops:
        now += timedelta(seconds=gap)
        if op == "wakeup":
            wakeup = engine.next_wakeup(now)
            if wakeup is None:
                continue
            now = max(now, wakeup)
        decisions = step(op, arg)
        if any(isinstance(d, StartPlayback) for d in decisions):
            # Most starts are answered right away; some answers come later (the result op).
            answer = data.draw(st.sampled_from(["owned", "owned", "observed", "failed", "later"]))
            if answer != "later":
                now += timedelta(seconds=1)
                step("result", (answer, -1))

    # Removing the sensor ends everything; every started session is accounted for exactly once.
    now += timedelta(seconds=1)
    before = RoomState.from_dict(engine.state.to_dict())
    decisions = engine.remove(now)
    check_decisions(model, engine, before, now, "remove", None, decisions)
    assert engine.session is None
    assert model.open_id is None
    event(f"sessions={min(len(model.started), 3)}+ discarded={bool(model.discarded)}")
    accounted = model.ended + model.discarded
    assert sorted(accounted) == sorted(model.started)
    assert len(set(accounted)) == len(accounted)


# --- follow me, resume and fade: random sequences with the three features on ------------------

feature_options = st.builds(
    RoomOptions,
    source=st.sampled_from([None, "spotify:playlist:p"]),
    timeout=st.sampled_from([timedelta(minutes=1), timedelta(minutes=5)]),
    cooldown=st.sampled_from([timedelta(0), timedelta(minutes=2)]),
    max_session=st.sampled_from([timedelta(minutes=5), timedelta(minutes=30)]),
    follow_me=st.booleans(),
    resume_window=st.sampled_from([timedelta(0), timedelta(minutes=3), timedelta(minutes=120)]),
    fade_out=st.sampled_from([timedelta(0), timedelta(seconds=5), timedelta(seconds=30)]),
    time_zone=st.just(BERLIN),
)
short_gaps = st.one_of(st.integers(0, 10), st.integers(11, 400))
feature_ops = st.tuples(
    st.sampled_from(
        ["on", "off", "trigger", "stop", "tick", "moved", "owned", "observed", "restart"]
    ),
    short_gaps,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(options=feature_options, ops=st.lists(feature_ops, min_size=10, max_size=50))
def test_fade_moved_and_resume_invariants(options: RoomOptions, ops: list[tuple[str, int]]) -> None:
    counter = count(1)
    engine = RoomEngine(options, new_id=lambda: f"s{next(counter)}")
    now = T0
    fading: str | None = None  # the session a FadeOut was announced for
    last_end: tuple[datetime, bool] | None = None  # when the last owned, paused end was
    for op, gap in ops:
        now += timedelta(seconds=gap)
        session = engine.session
        before_owned = session is not None and session.owned is True
        if op in ("on", "off"):
            decisions = engine.presence_changed(now, op == "on")
        elif op == "trigger":
            decisions = engine.trigger_motion(now)
        elif op == "stop":
            decisions = engine.stop_session(now)
        elif op == "tick":
            decisions = engine.tick(now)
        elif op == "moved":
            decisions = engine.moved(now, "Hall")
        elif op == "restart":
            state = RoomState.from_dict(json.loads(json.dumps(engine.state.to_dict())))
            engine = RoomEngine(options, state, new_id=lambda: f"s{next(counter)}")
            decisions = engine.restore(now, present=engine.state.presence)
        elif session is not None and session.owned is None:
            decisions = engine.playback_started(
                now, session.session_id, owned=op == "owned", device_id="d", context_uri=None
            )
        else:
            decisions = []
        for decision in decisions:
            if isinstance(decision, FadeOut):
                assert options.fade_out > timedelta(0)
                assert before_owned or op == "restart"
                assert now < decision.ends_at <= now + options.fade_out
                fading = decision.session_id
            elif isinstance(decision, CancelFade):
                assert op in ("on", "trigger", "restart")
                assert decision.session_id == fading
                fading = None
            elif isinstance(decision, StartPlayback):
                assert decision.follow_me is options.follow_me
                if decision.resume is not None:
                    # Only within the window of an owned end of the same source.
                    assert last_end is not None
                    assert last_end[1]
                    assert now - last_end[0] <= options.resume_window
                    assert options.source is not None
            elif isinstance(decision, EndPlayback) and not decision.late:
                record = decision.record
                if record.session_id == fading:
                    fading = None
                if record.reason is EndReason.MOVED:
                    assert op == "moved"
                    assert before_owned
                    assert record.moved_to == "Hall"
                    assert engine.state.cooldown_until is None
                    assert engine.state.resume is None
                elif op == "moved":
                    assert record.reason in (EndReason.TIMEOUT, EndReason.MAX_DURATION)
                paused = record.owned and record.reason is not EndReason.MOVED
                last_end = (now, paused)
                if paused:
                    engine.position_saved(record.session_id, item_uri="t", position_ms=gap)
        if op == "moved" and not before_owned:
            # Observed sessions and starts in flight never move.
            assert not any(
                isinstance(d, EndPlayback) and d.record.reason is EndReason.MOVED for d in decisions
            )
        session = engine.session
        if session is not None and session.fading:
            assert session.session_id == fading or op == "restart"
            assert engine.status(now) is Status.PLAYING
            assert engine.stops_at(now) == session.fade_ends
        elif session is None or op != "restart":
            assert fading is None or (session is not None and session.session_id != fading)
        assert RoomState.from_dict(json.loads(json.dumps(engine.state.to_dict()))) == engine.state
