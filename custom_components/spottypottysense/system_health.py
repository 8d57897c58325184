"""System health: can HA reach Spotify, and has Spotify asked us to slow down."""

from __future__ import annotations

from typing import Any

from homeassistant.components import system_health
from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN, SPOTIFY_API_URL
from .runtime import SpottyPottySenseConfigEntry


@callback
def async_register(hass: HomeAssistant, register: system_health.SystemHealthRegistration) -> None:
    """Register the info callback."""
    register.async_register_info(system_health_info)


async def system_health_info(hass: HomeAssistant) -> dict[str, Any]:
    """Report API reachability and the last Retry-After wait of any loaded account."""
    entries: list[SpottyPottySenseConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    waits = [
        entry.runtime_data.client.last_rate_limit_wait
        for entry in entries
        if entry.runtime_data.client.last_rate_limit_wait is not None
    ]
    return {
        "api_endpoint_reachable": system_health.async_check_can_reach_url(hass, SPOTIFY_API_URL),
        "accounts": len(entries),
        "last_rate_limit_wait": f"{max(waits):.1f} s" if waits else "none",
    }
