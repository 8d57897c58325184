"""Constants shared by the SpottyPottySense integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "spottypottysense"

OAUTH2_AUTHORIZE: Final = "https://accounts.spotify.com/authorize"
OAUTH2_TOKEN: Final = "https://accounts.spotify.com/api/token"
SPOTIFY_API_URL: Final = "https://api.spotify.com/v1/"

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

SPOTIFY_PREMIUM_URL: Final = "https://developer.spotify.com/documentation/web-api/concepts/quota-modes"

SUBENTRY_TYPE_MOTION_SENSOR: Final = "motion_sensor"
