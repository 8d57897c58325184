"""Session history arithmetic on its own: retention, range queries, today's totals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.spottypottysense.history import (
    SessionHistory,
    TodayTotals,
    daily_totals,
    history_from_stored,
    history_to_stored,
    local_midnight,
    next_local_midnight,
    prune,
    select,
)
from custom_components.spottypottysense.records import EndReason, Session, SessionRecord

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Pure tests: no Home Assistant instance needed."""


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def record(
    started: datetime, ended: datetime, session_id: str = "s", owned: bool = True
) -> SessionRecord:
    return SessionRecord(session_id, started, ended, 1, owned, EndReason.TIMEOUT)


def ending(ago: timedelta, session_id: str) -> SessionRecord:
    ended = NOW - ago
    return record(ended - timedelta(minutes=5), ended, session_id)


# --- prune --------------------------------------------------------------------------------


def test_prune_by_age() -> None:
    records = [
        ending(timedelta(days=31), "old"),
        ending(timedelta(days=1), "recent"),
        ending(timedelta(days=30), "edge"),  # exactly 30 days: kept
        ending(timedelta(days=30, microseconds=1), "just_too_old"),
    ]
    assert [r.session_id for r in prune(records, NOW)] == ["edge", "recent"]


def test_prune_by_count_keeps_the_newest_in_order() -> None:
    records = [ending(timedelta(hours=h), f"h{h}") for h in (5, 1, 9, 3, 7)]
    kept = prune(records, NOW, max_count=3)
    assert [r.session_id for r in kept] == ["h5", "h3", "h1"]
    assert prune(records, NOW, max_count=0) == []
    assert len(prune(records, NOW, max_age=timedelta(hours=4))) == 2


def test_prune_defaults() -> None:
    records = [ending(timedelta(minutes=i), f"m{i}") for i in range(5003)]
    kept = prune(records, NOW)
    assert len(kept) == 5000
    assert kept[-1].session_id == "m0"
    assert kept[0].session_id == "m4999"


def test_prune_refuses_naive_now() -> None:
    with pytest.raises(ValueError):
        prune([], datetime(2026, 6, 1))


records_strategy = st.lists(
    st.builds(
        lambda end, length, i: record(NOW - end - length, NOW - end, f"r{i}"),
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=5)),
        st.integers(0, 10**6),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    records=records_strategy,
    max_count=st.integers(0, 50),
    max_age=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
)
def test_prune_properties(records: list[SessionRecord], max_count: int, max_age: timedelta) -> None:
    kept = prune(records, NOW, max_age=max_age, max_count=max_count)
    assert len(kept) <= max_count
    assert all(r in records for r in kept)
    assert all(NOW - r.ended <= max_age for r in kept)
    assert [r.ended for r in kept] == sorted(r.ended for r in kept)
    young = [r for r in records if NOW - r.ended <= max_age]
    assert len(kept) == min(len(young), max_count)
    if kept:
        dropped = [r for r in young if r not in kept]
        assert all(r.ended <= kept[0].ended for r in dropped)
    # Idempotent.
    assert prune(kept, NOW, max_age=max_age, max_count=max_count) == kept


# --- select -------------------------------------------------------------------------------

TEN = utc(2026, 6, 1, 10)
ELEVEN = utc(2026, 6, 1, 11)
ONE_SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("start", "end", "included"),
    [
        (None, None, True),
        (ELEVEN, None, True),  # touches the end
        (ELEVEN + ONE_SECOND, None, False),
        (None, TEN, True),  # touches the start
        (None, TEN - ONE_SECOND, False),
        (TEN + timedelta(minutes=10), TEN + timedelta(minutes=20), True),  # inside
        (TEN - timedelta(hours=1), ELEVEN + timedelta(hours=1), True),  # around
        (ELEVEN + ONE_SECOND, ELEVEN + timedelta(hours=1), False),
        (TEN.astimezone(BERLIN), TEN.astimezone(BERLIN), True),
    ],
)
def test_select_overlap(start: datetime | None, end: datetime | None, included: bool) -> None:
    session = record(TEN, ELEVEN)
    assert select([session], start, end) == ([session] if included else [])


def test_select_orders_by_start_and_validates_range() -> None:
    late = record(ELEVEN, ELEVEN + ONE_SECOND, "late")
    early = record(TEN, ELEVEN, "early")
    assert [r.session_id for r in select([late, early], None, None)] == ["early", "late"]
    with pytest.raises(ValueError):
        select([early], ELEVEN, TEN)
    with pytest.raises(ValueError):
        select([early], datetime(2026, 6, 1), TEN)


# --- daily totals -------------------------------------------------------------------------


def test_daily_totals_simple_day() -> None:
    now = utc(2026, 6, 1, 9, 10)
    records = [
        record(utc(2026, 5, 31, 23, 30), utc(2026, 6, 1, 0, 30), "overnight"),  # 30 min today
        record(utc(2026, 6, 1, 8), utc(2026, 6, 1, 8, 20), "morning"),
        record(utc(2026, 5, 30, 8), utc(2026, 5, 30, 9), "old"),
    ]
    open_session = Session("open", utc(2026, 6, 1, 9))
    assert daily_totals(records, open_session, now, UTC) == (2, 60.0)
    assert daily_totals(records, None, now, UTC) == (1, 50.0)
    assert daily_totals([], None, now, UTC) == (0, 0.0)


def test_daily_totals_clip_to_now_and_ignore_future() -> None:
    now = utc(2026, 6, 1, 9)
    records = [
        record(utc(2026, 6, 1, 8, 30), utc(2026, 6, 1, 10)),  # clipped to now: 30 min
        record(utc(2026, 6, 1, 9, 30), utc(2026, 6, 1, 10)),  # in the future: nothing
    ]
    assert daily_totals(records, None, now, UTC) == (1, 30.0)


def test_daily_totals_at_midnight() -> None:
    midnight = utc(2026, 6, 1)
    records = [record(midnight - timedelta(hours=1), midnight)]
    assert daily_totals(records, Session("o", midnight), midnight, UTC) == (1, 0.0)


def test_daily_totals_use_the_local_day() -> None:
    """07:00 UTC is already 09:00 in Berlin: the local midnight decides what is today."""
    now = utc(2026, 6, 1, 7)
    records = [record(utc(2026, 5, 31, 22, 30), utc(2026, 5, 31, 23, 0))]  # 00:30-01:00 CEST
    assert daily_totals(records, None, now, BERLIN) == (1, 30.0)
    assert daily_totals(records, None, now, UTC) == (0, 0.0)
    assert daily_totals(records, None, now, NEW_YORK) == (0, 0.0)  # 03:00 EDT: yesterday


@pytest.mark.parametrize(
    ("tz", "now", "records", "open_start", "expected"),
    [
        # Berlin spring forward (a 23-hour day): midnight is 23:00 UTC the day before.
        (
            BERLIN,
            utc(2026, 3, 29, 10),
            [
                record(utc(2026, 3, 28, 22, 30), utc(2026, 3, 29, 0, 30)),  # 90 min today
                record(utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 2)),  # 01:30 CET-04:00 CEST
            ],
            None,
            (1, 180.0),
        ),
        # Berlin fall back (a 25-hour day): the repeated hour counts as the real time it took.
        (
            BERLIN,
            utc(2026, 10, 25, 12),
            [record(utc(2026, 10, 25, 0), utc(2026, 10, 25, 2))],  # 02:00 CEST-03:00 CET
            None,
            (1, 120.0),
        ),
        (BERLIN, utc(2026, 10, 25, 22, 59), [], utc(2026, 10, 24, 22), (1, 25 * 60 - 1.0)),
        # New York fall back: an open session since local midnight, late in the 25-hour day.
        (NEW_YORK, utc(2026, 11, 2, 4, 30), [], utc(2026, 11, 1, 4), (1, 24.5 * 60)),
        (NEW_YORK, utc(2026, 3, 8, 12), [], utc(2026, 3, 8, 4, 30), (0, 7 * 60.0)),
        # Santiago skips 00:00-01:00 on 6 Sep 2026: the day starts at 01:00 (04:00 UTC).
        (
            SANTIAGO,
            utc(2026, 9, 6, 12),
            [record(utc(2026, 9, 6, 3, 30), utc(2026, 9, 6, 4, 30))],
            None,
            (0, 30.0),
        ),
    ],
)
def test_daily_totals_on_dst_days(
    tz: ZoneInfo,
    now: datetime,
    records: list[SessionRecord],
    open_start: datetime | None,
    expected: tuple[int, float],
) -> None:
    open_session = None if open_start is None else Session("open", open_start)
    assert daily_totals(records, open_session, now, tz) == expected


@pytest.mark.parametrize(
    ("tz", "now", "expected"),
    [
        (BERLIN, utc(2026, 3, 29, 12), utc(2026, 3, 28, 23)),
        (BERLIN, utc(2026, 10, 25, 12), utc(2026, 10, 24, 22)),
        (BERLIN, utc(2026, 10, 25, 22, 59), utc(2026, 10, 24, 22)),
        (BERLIN, utc(2026, 10, 25, 23), utc(2026, 10, 25, 23)),
        (NEW_YORK, utc(2026, 3, 8, 12), utc(2026, 3, 8, 5)),
        (NEW_YORK, utc(2026, 11, 2, 4, 59), utc(2026, 11, 1, 4)),
        (SANTIAGO, utc(2026, 9, 6, 12), utc(2026, 9, 6, 4)),  # skipped midnight
        (SANTIAGO, utc(2026, 4, 5, 12), utc(2026, 4, 5, 4)),  # 23:00-24:00 repeated the day before
        (SANTIAGO, utc(2026, 4, 5, 3, 30), utc(2026, 4, 4, 3)),  # in the repeated hour
        (UTC, utc(2026, 6, 1, 0), utc(2026, 6, 1, 0)),
    ],
)
def test_local_midnight(tz: ZoneInfo, now: datetime, expected: datetime) -> None:
    midnight = local_midnight(now, tz)
    assert midnight == expected
    assert midnight.tzinfo is UTC


@settings(max_examples=300, deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
    tz=st.sampled_from([BERLIN, NEW_YORK, SANTIAGO, LORD_HOWE, UTC]),
)
def test_local_midnight_is_the_first_instant_of_the_local_day(now: datetime, tz: ZoneInfo) -> None:
    midnight = local_midnight(now, tz)
    today = now.astimezone(tz).date()
    assert midnight <= now
    assert midnight.astimezone(tz).date() == today
    assert (midnight - timedelta(microseconds=1)).astimezone(tz).date() < today


@settings(max_examples=150, deadline=None)
@given(
    records=records_strategy,
    tz=st.sampled_from([BERLIN, NEW_YORK, UTC]),
    cut=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=5)),
)
def test_daily_totals_properties(
    records: list[SessionRecord], tz: ZoneInfo, cut: timedelta
) -> None:
    count, minutes = daily_totals(records, None, NOW, tz)
    midnight = local_midnight(NOW, tz)
    assert 0 <= count <= len(records)
    assert 0 <= minutes <= len(records) * (NOW - midnight).total_seconds() / 60
    # Splitting a session in two at any point keeps the listening time.
    if records:
        first = records[0]
        split = min(first.started + cut, first.ended)
        halves = [record(first.started, split), record(split, first.ended), *records[1:]]
        assert daily_totals(halves, None, NOW, tz)[1] == pytest.approx(minutes)
    # The open session counts like a record that ends now.
    if records:
        open_session = Session("open", records[0].started)
        as_record = [record(records[0].started, NOW), *records[1:]]
        assert daily_totals(records[1:], open_session, NOW, tz) == pytest.approx(
            daily_totals(as_record, None, NOW, tz)
        )


# --- the account's history: ordered appends, cheap pruning ---------------------------------


def test_history_keeps_end_order_even_when_an_end_arrives_late() -> None:
    history = SessionHistory()
    history.add("bath", ending(timedelta(hours=3), "a"))
    history.add("kitchen", ending(timedelta(hours=1), "c"))
    history.add("bath", ending(timedelta(hours=2), "b"))  # its pause check took longer
    assert [r.session_id for _, r in history.snapshot()] == ["a", "b", "c"]
    assert [r.session_id for r in history.records_of("bath")] == ["a", "b"]
    assert [r.session_id for r in history.ended_since("bath", NOW - timedelta(hours=2))] == ["b"]
    assert len(history) == 3
    history.remove_room("bath")
    assert [r.session_id for _, r in history.snapshot()] == ["c"]


@settings(max_examples=150, deadline=None)
@given(
    records=records_strategy,
    max_count=st.integers(0, 50),
    max_age=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
)
def test_history_prunes_exactly_like_prune(
    records: list[SessionRecord], max_count: int, max_age: timedelta
) -> None:
    history = SessionHistory()
    for item in records:  # in any order, as ends may arrive
        history.add("room", item)
    removed = history.prune(NOW, max_age=max_age, max_count=max_count)
    expected = prune(records, NOW, max_age=max_age, max_count=max_count)
    assert [r for _, r in history.snapshot()] == expected
    assert removed == len(records) - len(expected)
    assert history.prune(NOW, max_age=max_age, max_count=max_count) == 0


def test_stored_history_round_trips_and_skips_what_it_cannot_read() -> None:
    entries = [("bath", ending(timedelta(days=d), f"d{d}")) for d in (40, 3, 1)]
    stored = history_to_stored(entries)
    assert stored[1] == {"sensor": "bath", **entries[1][1].to_dict()}
    history, skipped, pruned = history_from_stored([*stored, {"sensor": "bath"}, 7], NOW)
    assert (skipped, pruned) == (2, 1)  # two unreadable, one older than 30 days
    assert [r.session_id for _, r in history.snapshot()] == ["d3", "d1"]
    assert history_from_stored(None, NOW)[1:] == (0, 0)
    assert len(history_from_stored({"not": "a list"}, NOW)[0]) == 0


# --- today's totals, kept as sessions end -----------------------------------------------------


def test_next_local_midnight_across_dst() -> None:
    assert next_local_midnight(utc(2026, 3, 28, 12), BERLIN) == utc(2026, 3, 28, 23)
    assert next_local_midnight(utc(2026, 10, 25, 12), BERLIN) == utc(2026, 10, 25, 23)
    assert next_local_midnight(utc(2026, 9, 5, 12), SANTIAGO) == utc(2026, 9, 6, 4)


class _Room:
    """A room's history as the controller exposes it to its totals."""

    def __init__(self) -> None:
        self.records: list[SessionRecord] = []
        self.recounts = 0

    def ended_since(self, since: datetime) -> list[SessionRecord]:
        self.recounts += 1
        return [r for r in self.records if r.ended >= since]

    def end(self, totals: TodayTotals, item: SessionRecord, tz: ZoneInfo) -> None:
        totals.add(item, item.ended, tz)
        self.records.append(item)


def test_today_counts_sessions_as_they_end_without_reading_the_history_again() -> None:
    room = _Room()
    room.records = [record(utc(2026, 6, 1, 8), utc(2026, 6, 1, 8, 20), "morning")]
    totals = TodayTotals(room.ended_since)
    assert totals.read(None, utc(2026, 6, 1, 9), UTC) == (1, 20.0)
    room.end(totals, record(utc(2026, 6, 1, 9), utc(2026, 6, 1, 9, 30), "second"), UTC)
    assert totals.read(None, utc(2026, 6, 1, 10), UTC) == (2, 50.0)
    assert room.recounts == 1  # only the first read counted the history


def test_today_resets_at_midnight_and_counts_a_session_across_it() -> None:
    room = _Room()
    totals = TodayTotals(room.ended_since)
    room.end(totals, record(utc(2026, 6, 1, 20), utc(2026, 6, 1, 20, 10)), BERLIN)
    assert totals.read(None, utc(2026, 6, 1, 21, 59), BERLIN) == (1, 10.0)  # 23:59 CEST
    # 00:00 CEST: a new day, nothing yet; a session from 23:50 to 00:05 counts 5 minutes.
    assert totals.read(None, utc(2026, 6, 1, 22), BERLIN) == (0, 0.0)
    room.end(totals, record(utc(2026, 6, 1, 21, 50), utc(2026, 6, 1, 22, 5)), BERLIN)
    assert totals.read(None, utc(2026, 6, 1, 22, 10), BERLIN) == (0, 5.0)
    assert room.recounts == 1


def test_today_includes_the_open_session_in_whole_minutes() -> None:
    room = _Room()
    totals = TodayTotals(room.ended_since)
    room.end(totals, record(utc(2026, 6, 1, 8), utc(2026, 6, 1, 8, 0, 30)), UTC)
    open_session = Session("open", utc(2026, 6, 1, 9))
    assert totals.read(open_session, utc(2026, 6, 1, 9), UTC) == (2, 0.5)
    assert totals.read(open_session, utc(2026, 6, 1, 9, 0, 59), UTC) == (2, 0.5)
    assert totals.read(open_session, utc(2026, 6, 1, 9, 1), UTC) == (2, 1.5)
    # A session open since yesterday counts from midnight, and not as started today.
    since_yesterday = Session("open", utc(2026, 5, 31, 23, 30))
    assert totals.read(since_yesterday, utc(2026, 6, 1, 9), UTC) == (1, 540.5)


def test_today_recounts_after_a_time_zone_change_or_when_the_clock_goes_back() -> None:
    room = _Room()
    room.records = [record(utc(2026, 5, 31, 22, 30), utc(2026, 5, 31, 23))]  # 00:30 CEST
    totals = TodayTotals(room.ended_since)
    assert totals.read(None, utc(2026, 6, 1, 7), UTC) == (0, 0.0)
    assert totals.read(None, utc(2026, 6, 1, 7), BERLIN) == (1, 30.0)
    totals.invalidate()
    assert totals.read(None, utc(2026, 6, 1, 7), BERLIN) == (1, 30.0)
    # The clock went back to the day before: that day is counted again.
    assert totals.read(None, utc(2026, 5, 31, 21), BERLIN) == (0, 0.0)
    assert room.recounts == 4


@settings(max_examples=150, deadline=None)
@given(records=records_strategy, tz=st.sampled_from([BERLIN, NEW_YORK, SANTIAGO, UTC]))
def test_today_kept_incrementally_equals_a_full_count(
    records: list[SessionRecord], tz: ZoneInfo
) -> None:
    """Ending sessions one by one, reading in between, gives what counting them all gives."""
    room = _Room()
    totals = TodayTotals(room.ended_since)
    for item in sorted(records, key=lambda r: r.ended):
        room.end(totals, item, tz)
        expected = daily_totals(room.records, None, item.ended, tz)
        assert totals.read(None, item.ended, tz) == pytest.approx(expected)
    assert totals.read(None, NOW, tz) == pytest.approx(daily_totals(records, None, NOW, tz))
