"""Diagnostics for an account entry, with tokens and personal identifiers redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .runtime import SpottyPottySenseConfigEntry

TO_REDACT = {
    "auth_implementation",  # an application credential's id carries its client id
    "access_token",
    "refresh_token",
    "token",
    "user_id",
    "email",
    "device_id",
    "spotify_device_id",
    "unique_id",
    "id",
    "display_name",
    "title",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SpottyPottySenseConfigEntry
) -> dict[str, Any]:
    """Return what helps debugging: entry, account type, rooms and their sessions."""
    data = entry.runtime_data
    diagnostics: dict[str, Any] = {
        "entry": {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "data": dict(entry.data),
            "version": entry.version,
            "minor_version": entry.minor_version,
        },
        "account": asdict(data.user),
        "client": {
            "requests_sent": data.client.requests_sent,
            "last_rate_limit_wait": data.client.last_rate_limit_wait,
        },
    }
    # Listed under "sensors", as diagnostics files shared in issues have always had them.
    diagnostics["sensors"] = data.manager.diagnostics()
    return async_redact_data(diagnostics, TO_REDACT)
