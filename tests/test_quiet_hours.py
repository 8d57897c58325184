"""Quiet hours on their own: parsing, the weekday matrix, DST days, and next_change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.spottypottysense.quiet_hours import (
    WEEKDAYS,
    QuietHours,
    QuietMode,
    parse_time,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # 30-minute DST shift
SANTIAGO = ZoneInfo("America/Santiago")  # DST changes at midnight
ALL_DAYS = frozenset(WEEKDAYS)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Pure tests: no Home Assistant instance needed."""


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def window(start: str, end: str, days: frozenset[str] = ALL_DAYS, **kw: object) -> QuietHours:
    return QuietHours(parse_time(start), parse_time(end), days, **kw)  # type: ignore[arg-type]


# --- parse_time ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("22:00", time(22, 0)),
        ("07:05", time(7, 5)),
        ("7:05", time(7, 5)),
        ("00:00:00", time(0, 0)),
        ("23:59:59", time(23, 59, 59)),
        (" 06:30:15 ", time(6, 30, 15)),
    ],
)
def test_parse_time_valid(value: str, expected: time) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "24:00",
        "12:60",
        "12:00:60",
        "1200",
        "12:0",
        "12:00:0",
        "ab:cd",
        "12:00:00:00",
        "\u0661\u0662:\u0660\u0660",
    ],
)
def test_parse_time_invalid(value: str) -> None:
    with pytest.raises(ValueError):
        parse_time(value)


def test_parse_time_rejects_non_strings() -> None:
    with pytest.raises(ValueError):
        parse_time(1200)  # type: ignore[arg-type]


# --- construction -------------------------------------------------------------------------


def test_defaults_and_coercion() -> None:
    quiet = QuietHours(time(22), time(7), ["mon", "tue"], "low_volume", 10)  # type: ignore[arg-type]
    assert quiet.days == frozenset({"mon", "tue"})
    assert quiet.mode is QuietMode.LOW_VOLUME
    assert quiet.crosses_midnight
    default = QuietHours(time(9), time(17))
    assert default.days == ALL_DAYS
    assert default.mode is QuietMode.BLOCK
    assert default.volume is None
    assert not default.crosses_midnight


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": "22:00", "end": time(7)},
        {"start": time(22), "end": time(7, tzinfo=UTC)},
        {"start": time(22), "end": time(7), "days": frozenset({"monday"})},
        {"start": time(22), "end": time(7), "mode": "quiet"},
        {"start": time(22), "end": time(7), "mode": QuietMode.LOW_VOLUME},
        {"start": time(22), "end": time(7), "mode": QuietMode.LOW_VOLUME, "volume": 101},
        {"start": time(22), "end": time(7), "mode": QuietMode.LOW_VOLUME, "volume": -1},
        {"start": time(22), "end": time(7), "mode": QuietMode.LOW_VOLUME, "volume": True},
        {"start": time(22), "end": time(7), "mode": QuietMode.LOW_VOLUME, "volume": 5.5},
    ],
)
def test_invalid_construction(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        QuietHours(**kwargs)  # type: ignore[arg-type]


def test_naive_now_is_refused() -> None:
    quiet = window("22:00", "07:00")
    with pytest.raises(ValueError):
        quiet.is_active(datetime(2026, 6, 1, 23), BERLIN)
    with pytest.raises(ValueError):
        quiet.next_change(datetime(2026, 6, 1, 23), BERLIN)


# --- the weekday matrix -------------------------------------------------------------------

# Monday 1 June 2026 starts a week without DST changes.
WEEK_START = date(2026, 6, 1)
PROBES = [
    time(0, 0),
    time(3, 0),
    time(6, 59, 59),
    time(7, 0),
    time(8, 59, 59),
    time(9, 0),
    time(12, 0),
    time(16, 59, 59),
    time(17, 0),
    time(21, 59, 59),
    time(22, 0),
    time(23, 59, 59),
]


def _same_day_expected(start_day: int, probe_day: int, probe: time) -> bool:
    return probe_day == start_day and time(9) <= probe < time(17)


def _overnight_expected(start_day: int, probe_day: int, probe: time) -> bool:
    return (probe_day == start_day and probe >= time(22)) or (
        probe_day == (start_day + 1) % 7 and probe < time(7)
    )


@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK, UTC], ids=str)
@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [("09:00", "17:00", _same_day_expected), ("22:00", "07:00", _overnight_expected)],
    ids=["same_day", "overnight"],
)
@pytest.mark.parametrize("start_day", range(7), ids=lambda i: WEEKDAYS[i])
def test_weekday_matrix(
    tz: ZoneInfo, start: str, end: str, expected: object, start_day: int
) -> None:
    """Every probe time of every weekday, for a window listed on exactly one weekday."""
    quiet = window(start, end, frozenset({WEEKDAYS[start_day]}))
    for probe_day in range(7):
        day = WEEK_START + timedelta(days=probe_day)
        for probe in PROBES:
            now = datetime.combine(day, probe, tzinfo=tz).astimezone(UTC)
            want = expected(start_day, probe_day, probe)  # type: ignore[operator]
            assert quiet.is_active(now, tz) is want, (WEEKDAYS[probe_day], probe)


def local(day: date, hour: int, minute: int = 0, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


@pytest.mark.parametrize(
    ("start", "end", "days", "probe_day", "hour", "expected"),
    [
        # A same-day window is not quiet all day (the original's bug).
        ("09:00", "17:00", ALL_DAYS, 0, 8, False),
        ("09:00", "17:00", ALL_DAYS, 0, 20, False),
        ("09:00", "17:00", ALL_DAYS, 0, 12, True),
        # Weeknights only: Friday night runs into Saturday morning, Sunday night does not.
        ("22:00", "07:00", frozenset(WEEKDAYS[:5]), 4, 23, True),
        ("22:00", "07:00", frozenset(WEEKDAYS[:5]), 5, 3, True),
        ("22:00", "07:00", frozenset(WEEKDAYS[:5]), 5, 23, False),
        ("22:00", "07:00", frozenset(WEEKDAYS[:5]), 6, 3, False),
        ("22:00", "07:00", frozenset(WEEKDAYS[:5]), 0, 3, False),
        ("22:00", "07:00", frozenset(WEEKDAYS[:5]), 6, 23, False),
        ("22:00", "07:00", frozenset(WEEKDAYS[:5]), 0, 23, True),
        # No days: never.
        ("22:00", "07:00", frozenset(), 2, 23, False),
        # start == end: 24 hours from start, on the day it starts.
        ("00:00", "00:00", frozenset({"sat"}), 5, 0, True),
        ("00:00", "00:00", frozenset({"sat"}), 5, 23, True),
        ("00:00", "00:00", frozenset({"sat"}), 6, 0, False),
        ("00:00", "00:00", frozenset({"sat"}), 4, 23, False),
        ("07:00", "07:00", frozenset({"sat"}), 5, 6, False),
        ("07:00", "07:00", frozenset({"sat"}), 5, 7, True),
        ("07:00", "07:00", frozenset({"sat"}), 6, 6, True),
        ("07:00", "07:00", frozenset({"sat"}), 6, 7, False),
    ],
)
def test_days_filter_table(
    start: str, end: str, days: frozenset[str], probe_day: int, hour: int, expected: bool
) -> None:
    quiet = window(start, end, days)
    now = local(WEEK_START + timedelta(days=probe_day), hour)
    assert quiet.is_active(now, BERLIN) is expected


def test_uses_local_time_not_utc() -> None:
    """22:30 in New York is 02:30 UTC the next day: local time decides."""
    quiet = window("22:00", "23:00", frozenset({"mon"}))
    assert quiet.is_active(utc(2026, 6, 2, 2, 30), NEW_YORK)  # Monday 22:30 EDT
    assert not quiet.is_active(utc(2026, 6, 1, 22, 30), NEW_YORK)  # Monday 18:30 EDT
    assert not quiet.is_active(utc(2026, 6, 2, 2, 30), UTC)
    # The input's own zone does not matter, only the instant.
    assert quiet.is_active(utc(2026, 6, 2, 2, 30).astimezone(BERLIN), NEW_YORK)


def test_end_is_exclusive_start_inclusive() -> None:
    quiet = window("22:00", "07:00")
    assert quiet.is_active(local(WEEK_START, 22), BERLIN)
    assert not quiet.is_active(local(WEEK_START, 7), BERLIN)
    assert quiet.is_active(local(WEEK_START, 7) - timedelta(microseconds=1), BERLIN)


# --- DST days -----------------------------------------------------------------------------

# (window, days, instant (UTC), expected is_active)
DST_ACTIVE = [
    # Berlin spring forward, Sun 29 Mar 2026 01:00 UTC: 02:00 CET -> 03:00 CEST.
    ("02:00", "03:00", ALL_DAYS, utc(2026, 3, 29, 0, 59, 59), BERLIN, False),
    ("02:00", "03:00", ALL_DAYS, utc(2026, 3, 29, 1, 0), BERLIN, False),
    ("02:00", "03:00", ALL_DAYS, utc(2026, 3, 30, 0, 30), BERLIN, True),
    ("02:30", "04:00", ALL_DAYS, utc(2026, 3, 29, 0, 45), BERLIN, False),
    ("02:30", "04:00", ALL_DAYS, utc(2026, 3, 29, 1, 0), BERLIN, True),
    ("02:30", "04:00", ALL_DAYS, utc(2026, 3, 29, 1, 59, 59), BERLIN, True),
    ("02:30", "04:00", ALL_DAYS, utc(2026, 3, 29, 2, 0), BERLIN, False),
    ("01:00", "02:30", frozenset({"sun"}), utc(2026, 3, 29, 0, 0), BERLIN, True),
    ("01:00", "02:30", frozenset({"sun"}), utc(2026, 3, 29, 0, 59, 59), BERLIN, True),
    ("01:00", "02:30", frozenset({"sun"}), utc(2026, 3, 29, 1, 0), BERLIN, False),
    ("22:00", "07:00", frozenset({"sat"}), utc(2026, 3, 29, 4, 59), BERLIN, True),
    ("22:00", "07:00", frozenset({"sat"}), utc(2026, 3, 29, 5, 0), BERLIN, False),
    # Berlin fall back, Sun 25 Oct 2026 01:00 UTC: 03:00 CEST -> 02:00 CET.
    ("02:00", "03:00", ALL_DAYS, utc(2026, 10, 24, 23, 59), BERLIN, False),
    ("02:00", "03:00", ALL_DAYS, utc(2026, 10, 25, 0, 30), BERLIN, True),  # 02:30 CEST
    ("02:00", "03:00", ALL_DAYS, utc(2026, 10, 25, 1, 30), BERLIN, True),  # 02:30 CET
    ("02:00", "03:00", ALL_DAYS, utc(2026, 10, 25, 2, 0), BERLIN, False),
    ("02:30", "03:00", ALL_DAYS, utc(2026, 10, 25, 1, 0), BERLIN, False),  # 02:00 CET
    ("22:00", "07:00", frozenset({"sat"}), utc(2026, 10, 25, 5, 59), BERLIN, True),
    ("22:00", "07:00", frozenset({"sat"}), utc(2026, 10, 25, 6, 0), BERLIN, False),
    # New York spring forward, Sun 8 Mar 2026 07:00 UTC: 02:00 EST -> 03:00 EDT.
    ("02:00", "03:00", ALL_DAYS, utc(2026, 3, 8, 6, 59, 59), NEW_YORK, False),
    ("02:00", "03:00", ALL_DAYS, utc(2026, 3, 8, 7, 0), NEW_YORK, False),
    ("01:30", "02:15", ALL_DAYS, utc(2026, 3, 8, 6, 45), NEW_YORK, True),
    ("01:30", "02:15", ALL_DAYS, utc(2026, 3, 8, 7, 0), NEW_YORK, False),
    # New York fall back, Sun 1 Nov 2026 06:00 UTC: 02:00 EDT -> 01:00 EST.
    ("01:00", "02:00", ALL_DAYS, utc(2026, 11, 1, 5, 30), NEW_YORK, True),  # 01:30 EDT
    ("01:00", "02:00", ALL_DAYS, utc(2026, 11, 1, 6, 30), NEW_YORK, True),  # 01:30 EST
    ("01:00", "02:00", ALL_DAYS, utc(2026, 11, 1, 7, 0), NEW_YORK, False),
    ("01:00", "02:00", ALL_DAYS, utc(2026, 11, 1, 4, 59), NEW_YORK, False),
]


@pytest.mark.parametrize(("start", "end", "days", "now", "tz", "expected"), DST_ACTIVE)
def test_dst_is_active(
    start: str, end: str, days: frozenset[str], now: datetime, tz: ZoneInfo, expected: bool
) -> None:
    assert window(start, end, days).is_active(now, tz) is expected


# (window, days, tz, from (UTC), the chain of following changes (UTC))
DST_CHANGES = [
    # The skipped hour never becomes quiet; the next window is Monday's.
    ("02:00", "03:00", ALL_DAYS, BERLIN, utc(2026, 3, 28, 12), [utc(2026, 3, 30, 0)]),
    (
        "02:30",
        "04:00",
        ALL_DAYS,
        BERLIN,
        utc(2026, 3, 29, 0),
        [utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)],
    ),
    (
        "01:00",
        "02:30",
        frozenset({"sun"}),
        BERLIN,
        utc(2026, 3, 28, 23, 30),
        [utc(2026, 3, 29, 0), utc(2026, 3, 29, 1), utc(2026, 4, 4, 23)],
    ),
    (
        "22:00",
        "02:30",
        frozenset({"sat"}),
        BERLIN,
        utc(2026, 3, 28, 20),
        [utc(2026, 3, 28, 21), utc(2026, 3, 29, 1), utc(2026, 4, 4, 20)],
    ),
    (
        "00:00",
        "00:00",
        frozenset({"sun"}),
        BERLIN,
        utc(2026, 3, 28, 22),
        [utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)],
    ),
    # The repeated hour: continuous, or twice.
    (
        "02:00",
        "03:00",
        ALL_DAYS,
        BERLIN,
        utc(2026, 10, 24, 23),
        [utc(2026, 10, 25, 0), utc(2026, 10, 25, 2)],
    ),
    (
        "02:00",
        "02:30",
        ALL_DAYS,
        BERLIN,
        utc(2026, 10, 24, 23),
        [
            utc(2026, 10, 25, 0),
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 25, 1),
            utc(2026, 10, 25, 1, 30),
            utc(2026, 10, 26, 1),
        ],
    ),
    (
        "02:30",
        "03:00",
        ALL_DAYS,
        BERLIN,
        utc(2026, 10, 25, 0),
        [
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 25, 1),
            utc(2026, 10, 25, 1, 30),
            utc(2026, 10, 25, 2),
        ],
    ),
    (
        "22:00",
        "06:00",
        frozenset({"sat"}),
        BERLIN,
        utc(2026, 10, 24, 19),
        [utc(2026, 10, 24, 20), utc(2026, 10, 25, 5), utc(2026, 10, 31, 21)],
    ),
    (
        "00:00",
        "00:00",
        frozenset({"sun"}),
        BERLIN,
        utc(2026, 10, 24, 21),
        [utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)],
    ),
    ("02:00", "03:00", ALL_DAYS, NEW_YORK, utc(2026, 3, 7, 12), [utc(2026, 3, 9, 6)]),
    (
        "01:30",
        "02:15",
        ALL_DAYS,
        NEW_YORK,
        utc(2026, 3, 8, 0),
        [utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7), utc(2026, 3, 9, 5, 30)],
    ),
    (
        "01:00",
        "02:00",
        ALL_DAYS,
        NEW_YORK,
        utc(2026, 11, 1, 4),
        [utc(2026, 11, 1, 5), utc(2026, 11, 1, 7), utc(2026, 11, 2, 6)],
    ),
    (
        "22:00",
        "07:00",
        frozenset({"sat"}),
        NEW_YORK,
        utc(2026, 10, 31, 12),
        [utc(2026, 11, 1, 2), utc(2026, 11, 1, 12)],
    ),
]


@pytest.mark.parametrize(("start", "end", "days", "tz", "begin", "chain"), DST_CHANGES)
def test_dst_next_change_chain(
    start: str,
    end: str,
    days: frozenset[str],
    tz: ZoneInfo,
    begin: datetime,
    chain: list[datetime],
) -> None:
    quiet = window(start, end, days)
    now = begin
    for expected in chain:
        change = quiet.next_change(now, tz)
        assert change == expected, (now, change, expected)
        assert change is not None
        assert change.tzinfo is UTC
        assert quiet.is_active(change, tz) != quiet.is_active(
            change - timedelta(microseconds=1), tz
        )
        now = change


@pytest.mark.parametrize(
    ("quiet", "expected_active"),
    [
        (window("00:00", "00:00"), True),
        (window("05:00", "05:00"), True),
        (window("22:00", "07:00", frozenset()), False),
    ],
)
def test_next_change_never(quiet: QuietHours, expected_active: bool) -> None:
    now = utc(2026, 3, 29, 0, 30)
    assert quiet.is_active(now, BERLIN) is expected_active
    assert quiet.next_change(now, BERLIN) is None


def test_next_change_with_fixed_offset_zone() -> None:
    quiet = window("22:00", "07:00")
    tz = timezone(timedelta(hours=5, minutes=30))
    assert quiet.next_change(utc(2026, 6, 1, 12), tz) == utc(2026, 6, 1, 16, 30)
    assert quiet.next_change(utc(2026, 6, 1, 16, 30), tz) == utc(2026, 6, 2, 1, 30)


def test_next_change_is_strictly_after_now() -> None:
    quiet = window("22:00", "07:00")
    boundary = local(WEEK_START, 22)
    assert quiet.next_change(boundary, BERLIN) == local(WEEK_START + timedelta(days=1), 7)
    assert quiet.next_change(boundary - timedelta(microseconds=1), BERLIN) == boundary


# --- properties -----------------------------------------------------------------------------

ZONES = [BERLIN, NEW_YORK, LORD_HOWE, SANTIAGO, UTC]
DST_DATES = [
    utc(2026, 3, 29, 1),
    utc(2026, 10, 25, 1),
    utc(2026, 3, 8, 7),
    utc(2026, 11, 1, 6),
    utc(2026, 4, 4, 15),  # Lord Howe back 30 min
    utc(2026, 10, 3, 15, 30),  # Lord Howe forward 30 min
    utc(2026, 4, 5, 3),  # Santiago back at midnight
    utc(2026, 9, 6, 4),  # Santiago forward at midnight
]
minute_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 59]))
quiet_hours = st.builds(
    QuietHours,
    start=minute_times,
    end=minute_times,
    days=st.frozensets(st.sampled_from(WEEKDAYS)),
)
near_dst = st.builds(
    lambda base, seconds: base + timedelta(seconds=seconds),
    st.sampled_from(DST_DATES),
    st.integers(-5 * 86400, 5 * 86400),
)


def reference_active(quiet: QuietHours, now: datetime, tz: object) -> bool:
    """The textbook formula on the local wall clock."""
    wall = now.astimezone(tz)  # type: ignore[arg-type]
    today = WEEKDAYS[wall.weekday()] in quiet.days
    yesterday = WEEKDAYS[(wall.weekday() - 1) % 7] in quiet.days
    t = wall.time()
    if quiet.start < quiet.end:
        return today and quiet.start <= t < quiet.end
    return (today and t >= quiet.start) or (yesterday and t < quiet.end)


@settings(max_examples=300, deadline=None)
@given(quiet=quiet_hours, now=near_dst, tz=st.sampled_from(ZONES))
def test_is_active_matches_reference(quiet: QuietHours, now: datetime, tz: ZoneInfo) -> None:
    assert quiet.is_active(now, tz) is reference_active(quiet, now, tz)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(quiet=quiet_hours, now=near_dst, tz=st.sampled_from(ZONES))
def test_next_change_is_the_first_flip(quiet: QuietHours, now: datetime, tz: ZoneInfo) -> None:
    """Nothing flips before next_change (checked at every minute), and it flips right there."""
    current = quiet.is_active(now, tz)
    change = quiet.next_change(now, tz)
    if change is None:
        assert not quiet.days or (quiet.start == quiet.end and quiet.days == ALL_DAYS)
        return
    assert change > now
    assert change - now <= timedelta(days=15)
    assert quiet.is_active(change, tz) is not current
    assert quiet.is_active(change - timedelta(microseconds=1), tz) is current
    minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while minute < change:
        assert quiet.is_active(minute, tz) is current, minute
        minute += timedelta(minutes=1)
