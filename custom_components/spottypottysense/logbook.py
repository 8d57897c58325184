"""Logbook lines for the session bus events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN, EVENT_PLAYBACK_FAILED, EVENT_SESSION_ENDED, EVENT_SESSION_STARTED
from .session_calendar import END_REASONS

_ERRORS = {
    "device_not_found": "the speaker was not found",
    "cannot_connect": "Spotify could not be reached",
    "rate_limited": "Spotify asked to slow down",
    "forbidden": "Spotify refused (Premium is needed)",
    "auth_failed": "the sign-in to Spotify is no longer valid",
    "bad_response": "Spotify sent an unreadable answer",
    "api_error": "Spotify answered with an error",
}


def _duration(seconds: Any) -> str | None:
    """A session length as people say it: under a minute, 12 min, 1 h 5 min."""
    try:
        total = max(0, round(float(seconds)))
    except TypeError, ValueError, OverflowError:
        return None
    if total < 60:
        return "under a minute"
    minutes = round(total / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def describe(event_type: str, data: Mapping[str, Any]) -> tuple[str, str]:
    """The logbook's name and message for one of the integration's events."""
    name = str(data.get("room") or data.get("sensor") or "SpottyPottySense")
    kind = event_type.removeprefix(f"{DOMAIN}_")
    if kind == EVENT_SESSION_STARTED:
        if data.get("joined") and data.get("joined_from"):
            return name, f"joined the music of {data['joined_from']} (both play in sync)"
        if data.get("moved") and data.get("moved_from"):
            return name, f"took over the music of {data['moved_from']}"
        if data.get("owned"):
            return name, "started playing Spotify"
        return name, "started a session; Spotify was already playing, so it was left alone"
    if kind == EVENT_SESSION_ENDED:
        reason = str(data.get("reason"))
        why = END_REASONS.get(reason, reason)
        if reason == "moved" and data.get("moved_to"):
            why = f"the music moved to {data['moved_to']}"
        if data.get("left_group"):
            why += "; it left the player group and the other room plays on"
        length = _duration(data.get("duration"))
        if length is None:
            return name, f"ended the session because {why}"
        return name, f"ended the session after {length} because {why}"
    error = str(data.get("error"))
    return name, f"could not start Spotify: {_ERRORS.get(error, error)}"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the three session events."""

    @callback
    def _describe(event: Event) -> dict[str, str]:
        name, message = describe(str(event.event_type), event.data)
        return {LOGBOOK_ENTRY_NAME: name, LOGBOOK_ENTRY_MESSAGE: message}

    for kind in (EVENT_SESSION_STARTED, EVENT_SESSION_ENDED, EVENT_PLAYBACK_FAILED):
        async_describe_event(DOMAIN, f"{DOMAIN}_{kind}", _describe)
