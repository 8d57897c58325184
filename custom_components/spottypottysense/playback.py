"""Carries out the engine's playback decisions against Spotify, within a fixed request budget.

Start: at most 4 requests (a playback read only with only_when_idle, volume only when set,
shuffle, play). End: at most 2 (read, then pause only if what plays is still ours).
"""

from __future__ import annotations

from dataclasses import dataclass
import logging

from .engine import SessionRecord, StartPlayback, is_still_ours
from .spotify_api import SpotifyApiError, SpotifyClient, SpotifyDevice, SpotifyNotFoundError
from .spotify_uri import is_context

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StartOutcome:
    """What a start did: played ourselves (owned) or found the account already playing."""

    owned: bool
    device_id: str | None
    context_uri: str | None
    found_device: SpotifyDevice | None = None  # the speaker, found again by name under a new id


async def async_start_playback(
    client: SpotifyClient, decision: StartPlayback, device_id: str, device_name: str | None
) -> StartOutcome:
    """Start the room's music, or observe when the account already plays and we must not take over.

    A speaker Spotify no longer knows by its id (404) is looked up once by its saved name and
    tried again; if it is still missing the SpotifyNotFoundError reaches the caller.
    """
    speaker_active = False
    if decision.check_idle:
        state = await client.playback()
        if state is not None and state.is_playing:
            return StartOutcome(
                owned=False,
                device_id=state.device.device_id if state.device else None,
                context_uri=state.context_uri,
            )
        speaker_active = bool(state and state.device and state.device.device_id == device_id)
    try:
        await _play(client, decision, device_id, speaker_active=speaker_active)
    except SpotifyNotFoundError:
        found = await _find_speaker(client, device_id, device_name)
        if found is None or found.device_id is None:
            raise
        await _play(client, decision, found.device_id, speaker_active=False)
        return StartOutcome(
            owned=True,
            device_id=found.device_id,
            context_uri=_context_of(decision.source),
            found_device=found,
        )
    return StartOutcome(owned=True, device_id=device_id, context_uri=_context_of(decision.source))


async def async_end_playback(client: SpotifyClient, record: SessionRecord) -> bool:
    """Pause if what plays is still what we started; return False when the user took it over."""
    state = await client.playback()
    if state is None or not is_still_ours(
        is_playing=state.is_playing,
        device_id=state.device.device_id if state.device else None,
        context_uri=state.context_uri,
        record=record,
    ):
        return False
    await client.pause(record.device_id)
    return True


async def _play(
    client: SpotifyClient, decision: StartPlayback, device_id: str, *, speaker_active: bool
) -> None:
    """Play, with volume and shuffle around it.

    They go first when the speaker is already Spotify's active device (no loud first second);
    an inactive speaker only accepts them once play has woken it up.
    """
    if speaker_active:
        await _apply_settings(client, decision, device_id)
    source = decision.source
    if source is None:
        await client.start_playback(device_id)
    elif is_context(source):
        await client.start_playback(device_id, context_uri=source)
    else:
        await client.start_playback(device_id, uris=[source])
    if not speaker_active:
        await _apply_settings(client, decision, device_id)


async def _apply_settings(client: SpotifyClient, decision: StartPlayback, device_id: str) -> None:
    """Volume and shuffle, best effort.

    A speaker may refuse them (fixed volume: 403; still waking up: 404) while it plays fine.
    A refusal must neither stop the music from starting nor, once it plays, turn the start
    into a failure: that would leave music playing that no session owns and pauses.
    """
    if decision.volume is not None:
        try:
            await client.set_volume(decision.volume, device_id)
        except SpotifyApiError as err:
            _LOGGER.warning("Speaker %s refused the volume: %s", device_id, err.translation_key)
    if decision.source is not None:
        # Shuffle matters only for what we choose; "resume" keeps the listener's own setting.
        try:
            await client.set_shuffle(decision.shuffle, device_id)
        except SpotifyApiError as err:
            _LOGGER.warning("Speaker %s refused shuffle: %s", device_id, err.translation_key)


async def _find_speaker(
    client: SpotifyClient, device_id: str, device_name: str | None
) -> SpotifyDevice | None:
    devices = await client.devices()
    for device in devices:
        if device.device_id == device_id:
            return device
    wanted = (device_name or "").casefold()
    for device in devices:
        if wanted and device.name.casefold() == wanted:
            return device
    return None


def _context_of(source: str | None) -> str | None:
    return source if source is not None and is_context(source) else None
