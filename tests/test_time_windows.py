"""Time windows, pure: which window applies, when that changes, overlaps, the stored form.

The engine's use of them (what a start plays, blocking, a session crossing an edge, resume
within a window) is at the end.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.spottypottysense.decisions import StartPlayback
from custom_components.spottypottysense.engine import RoomEngine, Status
from custom_components.spottypottysense.options import RoomOptions
from custom_components.spottypottysense.quiet_hours import WEEKDAYS, QuietHours, QuietMode
from custom_components.spottypottysense.records import RoomState, SkipReason
from custom_components.spottypottysense.time_windows import (
    MAX_WINDOWS,
    TimeWindow,
    WindowMode,
    active_window,
    first_overlap,
    from_quiet_hours,
    next_change,
    overlaps,
    parse_windows,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 6, 1, tzinfo=BERLIN)  # a Monday, summer time
NEWS = "spotify:show:news"
JAZZ = "spotify:playlist:jazz"
ROOM = "spotify:playlist:room"
WEEKDAYS_ONLY = frozenset(WEEKDAYS[:5])


def hours(start: str, end: str, days: frozenset[str] | None = None) -> QuietHours:
    return QuietHours(
        time.fromisoformat(start),
        time.fromisoformat(end),
        frozenset(WEEKDAYS) if days is None else days,
    )


def window(
    name: str, start: str, end: str, days: frozenset[str] | None = None, **what: Any
) -> TimeWindow:
    return TimeWindow(name.lower(), name, hours(start, end, days), **what)


MORNING = window("Morning", "07:00", "09:00", WEEKDAYS_ONLY, source=NEWS, volume=30)
EVENING = window("Evening", "19:00", "23:00", source=JAZZ, shuffle=False)
NIGHT = window("Night", "23:00", "06:00", mode=WindowMode.BLOCK)
DAY = [MORNING, EVENING, NIGHT]


def local(day: int, hour: int, minute: int = 0, tz: ZoneInfo = BERLIN) -> datetime:
    return (MONDAY + timedelta(days=day)).replace(hour=hour, minute=minute, tzinfo=tz)


# --- which window applies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(0, 6, 59), None),
        (local(0, 7), MORNING),
        (local(0, 8, 59), MORNING),
        (local(0, 9), None),  # the end is not inside
        (local(5, 8), None),  # Saturday: the morning window is for weekdays
        (local(0, 19), EVENING),
        (local(0, 23), NIGHT),  # evening ends where the night begins
        (local(1, 3), NIGHT),  # across midnight, on the next day
        (local(1, 6), None),
    ],
)
def test_the_window_that_applies(moment: datetime, expected: TimeWindow | None) -> None:
    assert active_window(DAY, moment, BERLIN) == expected


def test_read_on_the_wall_clock_of_the_configured_zone() -> None:
    """The same instant is morning in Berlin and night in New York: the zone decides."""
    instant = local(0, 8)
    assert active_window(DAY, instant, BERLIN) == MORNING
    assert active_window(DAY, instant, NEW_YORK) == NIGHT  # 02:00 in New York


def test_dst_spring_forward_skips_the_missing_hour() -> None:
    """29 March 2026: 02:00 → 03:00 in Berlin. A 02:00-02:30 window never applies that day."""
    lost = window("Lost", "02:00", "02:30")
    sunday = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET → 03:30 CEST an hour later
    for minutes in range(0, 120, 5):
        assert active_window([lost], sunday + timedelta(minutes=minutes), BERLIN) is None


def test_next_change_is_the_nearest_edge_of_any_window() -> None:
    assert next_change(DAY, local(0, 12), BERLIN) == local(0, 19).astimezone(UTC)
    assert next_change(DAY, local(0, 20), BERLIN) == local(0, 23).astimezone(UTC)
    assert next_change(DAY, local(1, 2), BERLIN) == local(1, 6).astimezone(UTC)
    assert next_change([], local(0, 12), BERLIN) is None


# --- overlaps (the form refuses them) -------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (hours("07:00", "09:00"), hours("08:00", "10:00"), True),
        (hours("07:00", "09:00"), hours("09:00", "10:00"), False),  # back to back
        (hours("22:00", "06:00"), hours("05:00", "07:00"), True),  # into the next morning
        (hours("22:00", "06:00", frozenset({"sun"})), hours("00:30", "02:00", {"mon"}), True),
        (hours("22:00", "06:00", frozenset({"sun"})), hours("00:30", "02:00", {"tue"}), False),
        (hours("07:00", "09:00", WEEKDAYS_ONLY), hours("08:00", "10:00", {"sat"}), False),
        (hours("12:00", "12:00", frozenset({"wed"})), hours("11:00", "11:30", {"thu"}), True),
        (hours("07:00", "09:00", frozenset()), hours("07:00", "09:00"), False),  # never on
    ],
)
def test_overlaps(first: QuietHours, second: QuietHours, expected: bool) -> None:
    assert overlaps(first, second) is expected
    assert overlaps(second, first) is expected


def test_first_overlap_names_the_window_in_the_way() -> None:
    assert first_overlap(hours("08:30", "10:00"), DAY) == MORNING
    assert first_overlap(hours("09:00", "19:00"), DAY) is None


minute_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 30]))
weekly = st.builds(
    QuietHours,
    start=minute_times,
    end=minute_times,
    days=st.frozensets(st.sampled_from(WEEKDAYS)),
)


@settings(max_examples=150, deadline=None)
@given(first=weekly, second=weekly)
def test_overlaps_matches_a_walk_through_the_week(first: QuietHours, second: QuietHours) -> None:
    """Every half hour of a week (UTC, no DST): both active at once exactly when they overlap."""
    start = datetime(2026, 6, 1, 0, 15, tzinfo=UTC)  # Monday; between the half hours
    both = any(
        first.is_active(moment, UTC) and second.is_active(moment, UTC)
        for step in range(7 * 48 + 2)
        for moment in [start + timedelta(minutes=30 * step)]
    )
    assert overlaps(first, second) is both


# --- the stored form ------------------------------------------------------------------------


def test_stored_form_round_trips() -> None:
    for original in (*DAY, from_quiet_hours(QuietHours(time(22), time(7), mode=QuietMode.BLOCK))):
        assert TimeWindow.from_data(original.to_data()) == original
    assert parse_windows([w.to_data() for w in DAY]) == tuple(DAY)
    assert parse_windows(None) == ()


@pytest.mark.parametrize(
    "bad",
    [
        "07:00-09:00",
        {"morning": 1},
        [{"id": "a", "name": "", "start": "07:00", "end": "09:00"}],
        [{"id": "a", "name": "x" * 41, "start": "07:00", "end": "09:00"}],
        [{"id": "a", "name": "A", "start": "7 am", "end": "09:00"}],
        [{"id": "a", "name": "A", "start": "07:00", "end": "09:00", "mode": "loud"}],
        [{"id": "a", "name": "A", "start": "07:00", "end": "09:00", "volume": 150}],
        [{"id": "a", "name": "A", "start": "07:00", "end": "09:00", "shuffle": "yes"}],
        [{"id": "a", "name": "A", "start": "07:00", "end": "09:00", "days": ["someday"]}],
        [{"id": 1, "name": "A", "start": "07:00", "end": "09:00"}],
        [MORNING.to_data(), MORNING.to_data()],  # the same id twice
        [window(f"W{i}", "07:00", "08:00").to_data() for i in range(MAX_WINDOWS + 1)],
        ["not a window"],
    ],
)
def test_bad_stored_windows_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_windows(bad)


def test_quiet_hours_become_a_window() -> None:
    block = from_quiet_hours(QuietHours(time(22), time(7)))
    assert (block.mode, block.volume, block.source) == (WindowMode.BLOCK, None, None)
    low = from_quiet_hours(QuietHours(time(22), time(7), mode=QuietMode.LOW_VOLUME, volume=10))
    assert (low.mode, low.volume, low.source) == (WindowMode.PLAY, 10, None)
    assert low.name == "Quiet hours"


# --- the engine: what a start plays ---------------------------------------------------------


def engine(**options: Any) -> RoomEngine:
    defaults: dict[str, Any] = {"source": ROOM, "volume": 50, "shuffle": True}
    return RoomEngine(
        RoomOptions(windows=tuple(DAY), time_zone=BERLIN, **{**defaults, **options}),
        RoomState(),
        new_id=iter(f"s{i}" for i in range(1, 100)).__next__,
    )


def start_of(decisions: list[Any]) -> StartPlayback:
    (start,) = [d for d in decisions if isinstance(d, StartPlayback)]
    return start


@pytest.mark.parametrize(
    ("moment", "source", "volume", "shuffle"),
    [
        (local(0, 8), NEWS, 30, True),  # the morning's source and volume, the room's shuffle
        (local(0, 20), JAZZ, 50, False),  # the evening's source and shuffle, the room's volume
        (local(0, 12), ROOM, 50, True),  # outside every window: the room's own
        (local(5, 8), ROOM, 50, True),  # Saturday morning: no window
    ],
)
def test_a_start_plays_the_window_of_its_hour(
    moment: datetime, source: str, volume: int, shuffle: bool
) -> None:
    start = start_of(engine().presence_changed(moment, True))
    assert (start.source, start.volume, start.shuffle) == (source, volume, shuffle)


def test_a_block_window_starts_nothing_and_shows_quiet_hours() -> None:
    room = engine()
    assert room.presence_changed(local(1, 1), True) == []
    assert room.state.last_skip_reason is SkipReason.QUIET_HOURS
    assert room.status(local(1, 1)) is Status.QUIET_HOURS
    assert room.options.quiet_active(local(1, 1))
    assert not room.options.quiet_active(local(0, 20))


def test_a_session_keeps_its_music_across_a_windows_edge() -> None:
    room = engine()
    start_of(room.presence_changed(local(0, 18, 50), True))  # the room's own music
    assert room.next_wakeup(local(0, 18, 55)) == local(0, 19).astimezone(UTC)
    decisions = room.tick(local(0, 19))  # the evening begins: nothing is sent
    assert decisions == []
    assert room.session is not None
    assert room.status(local(0, 19)) is Status.STARTING


def _ended_with_a_resume_point() -> RoomEngine:
    room = engine(resume_window=timedelta(minutes=120), cooldown=timedelta(0))
    room.presence_changed(local(0, 18, 30), True)
    room.playback_started(local(0, 18, 30), "s1", owned=True, device_id="d", context_uri=ROOM)
    room.presence_changed(local(0, 18, 40), False)
    room.tick(local(0, 18, 45))  # ended by timeout (5 min)
    room.position_saved("s1", item_uri="spotify:track:t", position_ms=60_000)
    return room


def test_resume_only_within_the_same_windows_source() -> None:
    # Still outside every window: the room's music resumes where it was.
    resume = start_of(_ended_with_a_resume_point().presence_changed(local(0, 18, 50), True)).resume
    assert resume is not None
    assert resume.position_ms == 60_000
    # In the evening window: its own source, so the room's music is not resumed.
    room = _ended_with_a_resume_point()
    assert start_of(room.presence_changed(local(0, 19, 5), True)).resume is None


def test_quiet_active_for_a_quieter_window_only() -> None:
    quiet = window("Quiet", "22:00", "23:00", volume=10)
    loud = window("Loud", "12:00", "13:00", volume=90)
    options = RoomOptions(windows=(quiet, loud), volume=50, time_zone=BERLIN)
    assert options.quiet_active(local(0, 22, 30))
    assert not options.quiet_active(local(0, 12, 30))
    assert RoomOptions(windows=(quiet,), time_zone=BERLIN).quiet_active(local(0, 22, 30))


ZONES = [BERLIN, NEW_YORK, ZoneInfo("Australia/Lord_Howe"), UTC]
near_dst = st.builds(
    lambda base, seconds: base + timedelta(seconds=seconds),
    st.sampled_from(
        [
            datetime(2026, 3, 29, 1, tzinfo=UTC),
            datetime(2026, 10, 25, 1, tzinfo=UTC),
            datetime(2026, 3, 8, 7, tzinfo=UTC),
            datetime(2026, 11, 1, 6, tzinfo=UTC),
            datetime(2026, 4, 4, 15, tzinfo=UTC),
        ]
    ),
    st.integers(-3 * 86400, 3 * 86400),
)


@settings(max_examples=60, deadline=None)
@given(
    schedules=st.lists(weekly, min_size=1, max_size=3),
    now=near_dst,
    tz=st.sampled_from(ZONES),
)
def test_nothing_changes_before_the_next_edge(
    schedules: list[QuietHours], now: datetime, tz: ZoneInfo
) -> None:
    """Every minute until next_change (at most two days) has the same window as now."""
    windows = [TimeWindow(str(i), f"W{i}", hours) for i, hours in enumerate(schedules)]
    current = active_window(windows, now, tz)
    change = next_change(windows, now, tz)
    horizon = now + timedelta(days=2)
    end = horizon if change is None else min(change, horizon)
    moment = now + timedelta(minutes=1)
    while moment < end:
        assert active_window(windows, moment, tz) == current
        moment += timedelta(minutes=7)
    if change is not None:
        assert change > now


def test_next_wakeup_follows_the_window_edges_one_after_another() -> None:
    """The engine keeps the next edge until it is reached, then finds the one after."""
    room = engine()
    edges = []
    now = local(0, 12)
    for _ in range(4):
        edge = room.next_wakeup(now)
        assert edge == next_change(DAY, now, BERLIN)
        assert room.next_wakeup(now + (edge - now) / 2) == edge  # halfway: the same edge
        edges.append(edge)
        now = edge
    assert edges == [
        local(0, 19).astimezone(UTC),
        local(0, 23).astimezone(UTC),
        local(1, 6).astimezone(UTC),
        local(1, 7).astimezone(UTC),
    ]
    room.options = RoomOptions(windows=(EVENING,), time_zone=BERLIN)  # new options: searched anew
    assert room.next_wakeup(local(1, 12)) == local(1, 19).astimezone(UTC)
    assert room.next_wakeup(local(1, 20)) == local(1, 23).astimezone(UTC)
