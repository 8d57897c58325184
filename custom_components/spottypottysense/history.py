"""Session history arithmetic: retention, range queries and today's totals (pure, no HA)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Final

from .engine import Session, SessionRecord

DEFAULT_MAX_AGE: Final = timedelta(days=30)
DEFAULT_MAX_COUNT: Final = 5000


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a time zone aware datetime is required")
    return value


def prune(
    records: Iterable[SessionRecord],
    now: datetime,
    *,
    max_age: timedelta = DEFAULT_MAX_AGE,
    max_count: int = DEFAULT_MAX_COUNT,
) -> list[SessionRecord]:
    """Drop records that ended more than `max_age` before `now`, then keep the newest `max_count`.

    The result is ordered oldest first (by end, then start; stable for ties).
    """
    oldest = _aware(now) - max_age
    kept = sorted(
        (record for record in records if record.ended >= oldest),
        key=lambda record: (record.ended, record.started),
    )
    if max_count <= 0:
        return []
    return kept[-max_count:]


def select(
    records: Iterable[SessionRecord], start: datetime | None, end: datetime | None
) -> list[SessionRecord]:
    """Return the records overlapping [start, end] (None = unbounded), oldest start first.

    Bounds are inclusive: a session that ended exactly at `start` is included. Raises
    ValueError when start is after end.
    """
    if start is not None and end is not None and _aware(start) > _aware(end):
        raise ValueError("start must not be after end")
    return sorted(
        (
            record
            for record in records
            if (start is None or record.ended >= start) and (end is None or record.started <= end)
        ),
        key=lambda record: (record.started, record.ended),
    )


def local_midnight(now: datetime, tz: tzinfo) -> datetime:
    """Return the first instant (UTC) of `now`'s local calendar day in `tz`.

    DST-correct, also in zones whose clocks change at midnight: a skipped midnight gives the
    transition instant (fold 0 resolves a skipped time with the offset before the change), a
    repeated midnight its first occurrence.
    """
    day = _aware(now).astimezone(tz).date()
    return datetime.combine(day, time(0), tzinfo=tz).replace(fold=0).astimezone(UTC)


def daily_totals(
    records: Iterable[SessionRecord], open_session: Session | None, now: datetime, tz: tzinfo
) -> tuple[int, float]:
    """Sessions started and minutes listened since local midnight of `now` in `tz`.

    Counts records (and the open session) that started in [midnight, now]; listening time
    is each session's duration clipped to [midnight, now], the open session up to `now`.
    """
    now = _aware(now).astimezone(UTC)
    midnight = local_midnight(now, tz)
    count = 0
    listened = timedelta(0)
    spans = [(record.started, record.ended) for record in records]
    if open_session is not None:
        spans.append((open_session.started, now))
    for started, ended in spans:
        if midnight <= started <= now:
            count += 1
        overlap = min(ended, now) - max(started, midnight)
        if overlap > timedelta(0):
            listened += overlap
    return count, listened.total_seconds() / 60
