"""Session history arithmetic: retention, range queries and today's totals (pure, no HA)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any, Final

from .records import Session, SessionRecord

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


def next_local_midnight(now: datetime, tz: tzinfo) -> datetime:
    """Return the first instant (UTC) of the local calendar day after `now`'s in `tz`."""
    day = _aware(now).astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=tz).replace(fold=0).astimezone(UTC)


def _end_key(entry: tuple[str, SessionRecord]) -> tuple[datetime, datetime]:
    return entry[1].ended, entry[1].started


def _ended(entry: tuple[str, SessionRecord]) -> datetime:
    return entry[1].ended


class SessionHistory:
    """The account's ended sessions with their room, kept oldest end first.

    Sessions end in time order, so adding one is an append (an insertion only when an end
    arrives late), pruning cuts the front, and "what ended since" is a binary search: none of
    it grows with the history, and nothing re-sorts it.
    """

    __slots__ = ("_entries", "changes")

    def __init__(self, entries: Iterable[tuple[str, SessionRecord]] = ()) -> None:
        self._entries: list[tuple[str, SessionRecord]] = sorted(entries, key=_end_key)
        # Counts the changes, so the store writes the history only when it changed.
        self.changes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, room: str, record: SessionRecord) -> None:
        """Keep an ended session of `room` in end order."""
        entry = (room, record)
        self.changes += 1
        if not self._entries or _end_key(self._entries[-1]) <= _end_key(entry):
            self._entries.append(entry)
        else:
            bisect.insort(self._entries, entry, key=_end_key)

    def prune(
        self,
        now: datetime,
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
        max_count: int = DEFAULT_MAX_COUNT,
    ) -> int:
        """Drop what `prune` drops (too old, beyond the newest `max_count`); return how many."""
        cut = bisect.bisect_left(self._entries, _aware(now) - max_age, key=_ended)
        cut = max(cut, len(self._entries) - max(max_count, 0))
        if cut:
            del self._entries[:cut]
            self.changes += 1
        return cut

    def remove_room(self, room: str) -> None:
        """Forget a deleted room's sessions."""
        self._entries = [entry for entry in self._entries if entry[0] != room]
        self.changes += 1

    def records_of(self, room: str) -> list[SessionRecord]:
        """One room's sessions, oldest end first."""
        return [record for name, record in self._entries if name == room]

    def ended_since(self, room: str, since: datetime) -> list[SessionRecord]:
        """One room's sessions that ended at or after `since` (found by binary search)."""
        start = bisect.bisect_left(self._entries, _aware(since), key=_ended)
        return [record for name, record in self._entries[start:] if name == room]

    def snapshot(self) -> tuple[tuple[str, SessionRecord], ...]:
        """An immutable copy (records are frozen): safe to serialise in another thread."""
        return tuple(self._entries)


def history_to_stored(entries: Iterable[tuple[str, SessionRecord]]) -> list[dict[str, Any]]:
    """The stored layout: one flat mapping per session, its room's id under the key `sensor`."""
    return [{"sensor": room, **record.to_dict()} for room, record in entries]


def history_from_stored(raw: object, now: datetime) -> tuple[SessionHistory, int, int]:
    """Parse and prune the stored sessions: (history, unreadable skipped, pruned).

    Pure and thread-safe, so a large store is read in the executor, not on the event loop.
    """
    if not isinstance(raw, list):
        return SessionHistory(), 0, 0
    entries: list[tuple[str, SessionRecord]] = []
    skipped = 0
    for item in raw:
        try:
            room = item["sensor"]  # the stored key; it names the room
            record = SessionRecord.from_dict({k: v for k, v in item.items() if k != "sensor"})
        except ValueError, KeyError, TypeError, AttributeError, OverflowError:
            skipped += 1
            continue
        entries.append((str(room), record))
    history = SessionHistory(entries)
    return history, skipped, history.prune(now)


class TodayTotals:
    """One room's sessions started and minutes listened today, kept as sessions end.

    A read costs the same with 0 or 5,000 stored sessions: each ended session is added once,
    the day rolls over to zero at local midnight, and the room's history is recounted (only
    what ended since midnight) at the first read, after a time-zone change, or when the
    clock went back.
    """

    __slots__ = ("_count", "_day_end", "_day_start", "_ended_since", "_listened", "_tz")

    def __init__(self, ended_since: Callable[[datetime], Iterable[SessionRecord]]) -> None:
        self._ended_since = ended_since
        self._tz: tzinfo | None = None
        self._day_start = self._day_end = datetime.min.replace(tzinfo=UTC)
        self._count = 0
        self._listened = timedelta(0)

    def invalidate(self) -> None:
        """Recount at the next read (e.g. the time zone changed)."""
        self._tz = None

    def _roll(self, now: datetime, tz: tzinfo) -> None:
        if tz is self._tz and self._day_start <= now < self._day_end:
            return
        forward = tz is self._tz and now >= self._day_end
        self._tz = tz
        self._day_start = local_midnight(now, tz)
        self._day_end = next_local_midnight(now, tz)
        self._count, self._listened = 0, timedelta(0)
        if not forward:  # a new day starts empty; anything else is counted again
            for record in self._ended_since(self._day_start):
                self._add(record, now)

    def _add(self, record: SessionRecord, now: datetime) -> None:
        if self._day_start <= record.started <= now:
            self._count += 1
        overlap = min(record.ended, now) - max(record.started, self._day_start)
        if overlap > timedelta(0):
            self._listened += overlap

    def add(self, record: SessionRecord, now: datetime, tz: tzinfo) -> None:
        """A session ended at `now`: count it (call before it is part of `ended_since`)."""
        now = _aware(now).astimezone(UTC)
        self._roll(now, tz)
        self._add(record, now)

    def read(self, open_session: Session | None, now: datetime, tz: tzinfo) -> tuple[int, float]:
        """Sessions started today and minutes listened today, the open session included.

        The open session's time counts in whole minutes (it grows with the minute tick, not
        with every motion event); ended sessions count exactly.
        """
        now = _aware(now).astimezone(UTC)
        self._roll(now, tz)
        count, listened = self._count, self._listened
        if open_session is not None:
            if self._day_start <= open_session.started <= now:
                count += 1
            running = now - max(open_session.started, self._day_start)
            if running > timedelta(0):
                listened += timedelta(minutes=running // timedelta(minutes=1))
        return count, listened.total_seconds() / 60
