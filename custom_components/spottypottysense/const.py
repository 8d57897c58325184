"""Constants shared by the SpottyPottySense integration."""

from __future__ import annotations

import os
from typing import Final
from urllib.parse import urlsplit

DOMAIN: Final = "spottypottysense"

# `scripts/develop --demo` points the integration at the fake Spotify server. Only a loopback
# address is honoured, so the variable can never send a token anywhere else.
DEV_SPOTIFY_URL_ENV: Final = "SPOTTYPOTTYSENSE_DEV_SPOTIFY_URL"


def _dev_spotify_url() -> str | None:
    url = os.environ.get(DEV_SPOTIFY_URL_ENV, "").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return url
    return None


_DEV_URL = _dev_spotify_url()
OAUTH2_AUTHORIZE: Final = (
    f"{_DEV_URL}/authorize" if _DEV_URL else "https://accounts.spotify.com/authorize"
)
OAUTH2_TOKEN: Final = (
    f"{_DEV_URL}/api/token" if _DEV_URL else "https://accounts.spotify.com/api/token"
)
SPOTIFY_API_URL: Final = f"{_DEV_URL}/v1/" if _DEV_URL else "https://api.spotify.com/v1/"

# Playback control, reading what plays, the Premium check and the playlist picker.
SPOTIFY_SCOPES: Final = (
    "user-read-playback-state",
    "user-modify-playback-state",
    "user-read-currently-playing",
    "user-read-private",
    "user-read-email",
    "playlist-read-private",
    "playlist-read-collaborative",
)

SPOTIFY_PREMIUM_URL: Final = (
    "https://developer.spotify.com/documentation/web-api/concepts/quota-modes"
)

# A room's subentry type. The id predates the word "room"; installs store it, so it stays.
SUBENTRY_TYPE_ROOM: Final = "motion_sensor"

# Keys of a room's subentry.data (public contract: automations and stored data use them).
CONF_MOTION_ENTITIES: Final = "motion_entities"
CONF_AREA: Final = "area_id"  # the HA area the room's device is placed in (optional)
CONF_SPOTIFY_DEVICE_ID: Final = "spotify_device_id"
CONF_SPOTIFY_DEVICE_NAME: Final = "spotify_device_name"
CONF_SPEAKER_KIND: Final = "speaker_kind"  # the form's choice only; not stored
CONF_MEDIA_PLAYER_ENTITY: Final = "media_player_entity"
CONF_WAKE_ENTITY: Final = "wake_entity"
CONF_SOURCE: Final = "source"
CONF_SOURCE_NAME: Final = "source_name"  # the source's name, resolved once when saved
CONF_VOLUME: Final = "volume"
CONF_SHUFFLE: Final = "shuffle"
CONF_TIMEOUT_MINUTES: Final = "timeout_minutes"
CONF_COOLDOWN_MINUTES: Final = "cooldown_minutes"
CONF_MIN_PRESENCE_SECONDS: Final = "min_presence_seconds"
CONF_APPROACH_ENTITIES: Final = "approach_entities"  # sensors that see someone coming
CONF_APPROACH_WINDOW_SECONDS: Final = "approach_window_seconds"
CONF_MAX_SESSION_MINUTES: Final = "max_session_minutes"
CONF_QUIET_HOURS_ENABLED: Final = "quiet_hours_enabled"
CONF_QUIET_START: Final = "quiet_start"
CONF_QUIET_END: Final = "quiet_end"
CONF_QUIET_DAYS: Final = "quiet_days"
CONF_QUIET_MODE: Final = "quiet_mode"
CONF_QUIET_VOLUME: Final = "quiet_volume"
CONF_WINDOWS: Final = "windows"  # time windows, the quiet one included (time_windows.py)
CONF_ONLY_WHEN_IDLE: Final = "only_when_idle"
CONF_FOLLOW_ME: Final = "follow_me"  # before follow_mode: on meant "move"
CONF_FOLLOW_MODE: Final = "follow_mode"  # own, move or join (options.FollowMode)
CONF_RESUME_MINUTES: Final = "resume_minutes"
CONF_FADE_OUT_SECONDS: Final = "fade_out_seconds"

DEFAULTS: Final[dict[str, object]] = {
    CONF_SHUFFLE: True,
    CONF_TIMEOUT_MINUTES: 5,
    CONF_COOLDOWN_MINUTES: 2,
    CONF_MIN_PRESENCE_SECONDS: 0,
    CONF_MAX_SESSION_MINUTES: 180,
    CONF_QUIET_HOURS_ENABLED: False,
    CONF_QUIET_DAYS: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    CONF_QUIET_MODE: "block",
    CONF_ONLY_WHEN_IDLE: True,
    CONF_FOLLOW_MODE: "own",
    CONF_RESUME_MINUTES: 0,
    CONF_FADE_OUT_SECONDS: 0,
    CONF_APPROACH_ENTITIES: [],
    CONF_APPROACH_WINDOW_SECONDS: 30,
}

# Binary sensors the form offers: PIR motion, radar occupancy/presence, and door contacts.
MOTION_DEVICE_CLASSES: Final = ("motion", "occupancy", "presence", "moving", "door")

# Session events: bus events are f"{DOMAIN}_{type}", the event entity uses the bare types.
EVENT_SESSION_STARTED: Final = "session_started"
EVENT_SESSION_ENDED: Final = "session_ended"
EVENT_PLAYBACK_FAILED: Final = "playback_failed"
