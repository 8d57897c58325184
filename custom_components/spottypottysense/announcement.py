"""Whether what a media player plays is an announcement (a TTS message, a chime), not music.

An announcement on a room's speaker is not someone taking the music over: the session stays
ours, and what resumes after it is still ours to pause. HA has no state that says "announcing",
so the player's own report is read: TTS content (``media-source://tts/…``, ``/api/tts_proxy/…``),
a content id or type that names an announcement, or, on a player that supports announcements,
a plain audio file (a doorbell chime's ``…/chime.mp3``): music from Spotify is never one.
"""

from __future__ import annotations

import re
from typing import Final

_TTS_MARKERS: Final = ("media-source://tts", "/api/tts_proxy/", "/api/tts/")
_AUDIO_FILE: Final = re.compile(r"\.(mp3|wav|ogg|oga|flac|m4a|aac|opus)(\?.*)?$", re.IGNORECASE)
_AUDIO_FILE_PLACES: Final = ("http://", "https://", "/local/", "/media/", "media-source://")
_SOUNDING: Final = frozenset({"playing", "buffering"})


def is_announcement(
    *,
    state: str,
    content_id: object,
    content_type: object,
    supports_announce: bool,
) -> bool:
    """True while the player sounds an announcement (any other value: not one)."""
    if state not in _SOUNDING:
        return False
    content = content_id.lower() if isinstance(content_id, str) else ""
    kind = content_type.lower() if isinstance(content_type, str) else ""
    if any(marker in content for marker in _TTS_MARKERS):
        return True
    if kind == "tts" or "announce" in kind or "announce" in content:
        return True
    return (
        supports_announce
        and content.startswith(_AUDIO_FILE_PLACES)
        and not content.startswith("media-source://spotify")
        and _AUDIO_FILE.search(content) is not None
    )
