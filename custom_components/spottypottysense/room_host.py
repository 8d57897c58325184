"""What a room needs from its account, as an interface: the controller never imports the manager.

The account (`manager.SessionManager`) implements `RoomHost` and hands itself to each room it
creates; a room sees other rooms only as `MovableRoom` (follow-me takes their music over).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from homeassistant.config_entries import ConfigSubentry

from .records import Session, SessionRecord
from .spotify_api import SpotifyClient


class MovableRoom(Protocol):
    """Another room of the account, as follow-me sees it."""

    @property
    def name(self) -> str:
        """The room's name."""

    @property
    def session(self) -> Session | None:
        """Its open session."""

    def moved_to(self, room: str) -> None:
        """Its music moved to `room`: end its session without a pause."""


class RoomHost(Protocol):
    """The account's services to one room: history, saving, the API client, other rooms."""

    @property
    def entry_id(self) -> str:
        """The account's config entry id (the room's device belongs to it)."""

    @property
    def account_device_id(self) -> str:
        """The account's service device (a room's device hangs off it)."""

    @property
    def client(self) -> SpotifyClient:
        """The account's Spotify Web API client."""

    @property
    def unloaded(self) -> bool:
        """The entry unloaded: the store is written for good, nothing is saved any more."""

    def schedule_save(self) -> None:
        """Write the store soon (coalesced)."""

    async def async_save_now(self) -> None:
        """Write the store now (write before you act: a session start waits for this)."""

    def add_record(self, room_id: str, record: SessionRecord) -> None:
        """Keep an ended session of `room_id`."""

    def records_for(self, room_id: str) -> list[SessionRecord]:
        """Ended sessions of `room_id`, oldest end first."""

    def ended_since(self, room_id: str, since: datetime) -> list[SessionRecord]:
        """Sessions of `room_id` that ended at or after `since`."""

    def update_speaker(self, subentry: ConfigSubentry, device_id: str, name: str) -> None:
        """Save a speaker's new Spotify id (found again by its name)."""

    def owned_sessions_elsewhere(self, room: object, target_id: str) -> list[MovableRoom]:
        """Other rooms whose owned session plays on another speaker than `target_id`."""

    def neighbour_left(self, room: object) -> None:
        """Nobody is in `room` any more while its owned session plays: get the others ready.

        Rooms that follow music read the playback ahead (whoever left may be on the way).
        """

    def start_reauth(self) -> None:
        """The account needs signing in again."""
