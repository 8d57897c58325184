"""Logbook lines for the session bus events."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN, EVENT_PLAYBACK_FAILED, EVENT_SESSION_ENDED, EVENT_SESSION_STARTED

_REASONS = {
    "timeout": "nobody was there any more",
    "max_duration": "it reached its maximum length",
    "manual": "it was stopped by hand",
    "disabled": "the sensor was switched off",
    "released": "someone else took over playback",
    "removed": "the sensor was removed",
}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the three session events."""

    @callback
    def _describe(event: Event) -> dict[str, str]:
        data = event.data
        kind = str(event.event_type).removeprefix(f"{DOMAIN}_")
        if kind == EVENT_SESSION_STARTED:
            message = "started playing" if data.get("owned") else "saw music already playing"
        elif kind == EVENT_SESSION_ENDED:
            minutes = round(int(data.get("duration", 0)) / 60)
            reason = _REASONS.get(str(data.get("reason")), str(data.get("reason")))
            message = f"ended a {minutes} min session because {reason}"
        else:
            message = f"could not start Spotify ({data.get('error')})"
        return {
            LOGBOOK_ENTRY_NAME: str(data.get("sensor", "SpottyPottySense")),
            LOGBOOK_ENTRY_MESSAGE: message,
        }

    for kind in (EVENT_SESSION_STARTED, EVENT_SESSION_ENDED, EVENT_PLAYBACK_FAILED):
        async_describe_event(DOMAIN, f"{DOMAIN}_{kind}", _describe)
