"""Typed runtime data of a loaded account entry."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.config_entry_oauth2_flow import OAuth2Session

from .manager import SessionManager
from .spotify_api import SpotifyClient, SpotifyUser


@dataclass(slots=True)
class SpottyPottySenseData:
    """What a loaded account entry holds: the API client, the account and the rooms' sessions."""

    client: SpotifyClient
    oauth_session: OAuth2Session
    user: SpotifyUser
    account_device_id: str
    manager: SessionManager


type SpottyPottySenseConfigEntry = ConfigEntry[SpottyPottySenseData]
