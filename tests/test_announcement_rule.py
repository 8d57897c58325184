"""The pure rule: which player reports are announcements (TTS, a chime), which are music."""

from __future__ import annotations

import pytest

from custom_components.spottypottysense.announcement import is_announcement


@pytest.mark.parametrize(
    ("state", "content_id", "content_type", "announce", "expected"),
    [
        # TTS, however the player reports it
        ("playing", "media-source://tts/google_translate?message=Hi", "music", False, True),
        ("playing", "http://ha.local:8123/api/tts_proxy/abc123.mp3", "music", False, True),
        ("buffering", "/api/tts/x.mp3", None, False, True),
        ("playing", "anything", "tts", False, True),
        ("playing", "https://ma.local/announcement/doorbell", "music", False, True),
        ("playing", "x", "announcement", False, True),
        # a chime file on a player that supports announcements
        ("playing", "http://ha.local:8123/local/chime.mp3", "music", True, True),
        ("playing", "/local/sounds/door.WAV?v=2", "music", True, True),
        ("playing", "media-source://media_source/local/ding.ogg", "music", True, True),
        # …not on a player that cannot announce: that is someone playing a file
        ("playing", "http://ha.local:8123/local/chime.mp3", "music", False, False),
        # music
        ("playing", "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M", "playlist", True, False),
        ("playing", "media-source://spotify/spotify:track:abc.mp3", "music", True, False),
        ("playing", "https://radio.example/stream", "music", True, False),
        ("playing", None, None, True, False),
        # not sounding at all
        ("paused", "media-source://tts/x", "music", True, False),
        ("idle", "/api/tts_proxy/x.mp3", None, True, False),
        ("unavailable", "media-source://tts/x", None, True, False),
        # whatever another integration puts in its attributes
        ("playing", 42, ["tts"], True, False),
    ],
)
def test_is_announcement(
    state: str, content_id: object, content_type: object, announce: bool, expected: bool
) -> None:
    assert (
        is_announcement(
            state=state,
            content_id=content_id,
            content_type=content_type,
            supports_announce=announce,
        )
        is expected
    )
