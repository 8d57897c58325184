"""The calendar's events: one per session, named for its room and what it played (pure, no HA)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .records import Session, SessionRecord

# Why a session ended, in words: the calendar's events and the logbook's lines (neither text
# is translated by HA).
END_REASONS = {
    "timeout": "nobody was there any more",
    "max_duration": "it reached its maximum length",
    "manual": "it was stopped by hand",
    "disabled": "the room was switched off",
    "released": "someone else took over playback",
    "removed": "the room was removed",
    "moved": "the music moved to another room",
}
_KINDS = {"playlist", "album", "artist", "show", "track", "episode"}


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """A session as the calendar shows it."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str


def source_label(uri: str | None) -> str:
    """What played, in words: "Spotify playlist", "liked songs", or "music"."""
    if uri is None:
        return "music"
    parts = uri.split(":")
    if len(parts) == 4 and parts[3] == "collection":
        return "liked songs"
    if len(parts) == 3 and parts[1] in _KINDS:
        return f"Spotify {parts[1]}"
    return "music"


def source_title(uri: str, name: str | None) -> str:
    """A source as a person reads it: "Peaceful Piano (playlist)", or its kind alone."""
    if name:
        parts = uri.split(":")
        kind = "liked songs" if parts[-1] == "collection" else parts[1] if len(parts) == 3 else ""
        return f"{name} ({kind})" if kind else name
    return source_label(uri)


def _minutes(span: timedelta) -> str:
    minutes = max(0, round(span.total_seconds() / 60))
    return "under a minute" if minutes == 0 else f"{minutes} min"


type NamedSource = tuple[str, str]
"""The room's source and its name, as saved with the room."""


def _what(uri: str | None, named: NamedSource | None) -> str:
    """The source's name when this is the room's named source, else what kind it is."""
    if named is not None and uri == named[0]:
        return named[1]
    return source_label(uri)


def ended_event(room: str, record: SessionRecord, named: NamedSource | None = None) -> SessionEvent:
    """An ended session: start to end, why it ended, what played."""
    lines = [f"Ended after {_minutes(record.duration)}: {END_REASONS.get(str(record.reason))}."]
    if record.moved_to is not None:
        lines[0] = f"Ended after {_minutes(record.duration)}: the music moved to {record.moved_to}."
    if not record.owned:
        lines.append("Spotify was already playing: the session only watched.")
    if record.context_uri is not None:
        lines.append(f"Played {record.context_uri}.")
    return SessionEvent(
        uid=record.session_id,
        start=record.started,
        end=max(record.ended, record.started + timedelta(seconds=1)),
        summary=f"{room} · {_what(record.context_uri, named)}",
        description="\n".join(lines),
    )


def open_event(
    room: str,
    session: Session,
    now: datetime,
    ends: datetime | None,
    named: NamedSource | None = None,
) -> SessionEvent:
    """A session still under way.

    It lasts until its deadline, or (while someone is there) the next minute, when the calendar
    looks again.
    """
    end = ends if ends is not None and ends > now else now + timedelta(minutes=1)
    return SessionEvent(
        uid=session.session_id,
        start=session.started,
        end=end,
        summary=f"{room} · {_what(session.context_uri, named)}",
        description="Playing now." if session.owned else "Under way.",
    )


def overlapping(events: list[SessionEvent], start: datetime, end: datetime) -> list[SessionEvent]:
    """The events that overlap [start, end), oldest first."""
    return sorted(
        (event for event in events if event.start < end and event.end > start),
        key=lambda event: event.start,
    )
