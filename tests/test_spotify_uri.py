"""What users paste as "what to play": Spotify URIs and open.spotify.com links, good and bad."""

from __future__ import annotations

import pytest

from custom_components.spottypottysense.spotify_uri import is_context, normalize_source

ID = "37i9dQZF1DXcBWIGoYBM5M"  # 22 base62 characters, like every Spotify id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # URIs of everything Spotify can play, as they are.
        (f"spotify:playlist:{ID}", f"spotify:playlist:{ID}"),
        (f"spotify:album:{ID}", f"spotify:album:{ID}"),
        (f"spotify:artist:{ID}", f"spotify:artist:{ID}"),
        (f"spotify:show:{ID}", f"spotify:show:{ID}"),
        (f"spotify:track:{ID}", f"spotify:track:{ID}"),
        (f"spotify:episode:{ID}", f"spotify:episode:{ID}"),
        # Liked songs.
        ("spotify:user:fake-user:collection", "spotify:user:fake-user:collection"),
        ("spotify:user:john.doe_42:collection", "spotify:user:john.doe_42:collection"),
        # Surrounding blanks from copy and paste.
        (f"  spotify:album:{ID}\n", f"spotify:album:{ID}"),
        # "Share → Copy link" in the Spotify apps.
        (f"https://open.spotify.com/playlist/{ID}", f"spotify:playlist:{ID}"),
        (f"https://open.spotify.com/playlist/{ID}?si=a1b2c3d4e5f6", f"spotify:playlist:{ID}"),
        (f"https://open.spotify.com/album/{ID}/", f"spotify:album:{ID}"),
        (f"https://open.spotify.com/artist/{ID}?si=x&nd=1", f"spotify:artist:{ID}"),
        (f"https://open.spotify.com/show/{ID}", f"spotify:show:{ID}"),
        (f"https://open.spotify.com/track/{ID}?si=abc#top", f"spotify:track:{ID}"),
        (f"https://open.spotify.com/episode/{ID}", f"spotify:episode:{ID}"),
        (f"http://open.spotify.com/album/{ID}", f"spotify:album:{ID}"),
        (f"HTTPS://OPEN.SPOTIFY.COM/playlist/{ID}", f"spotify:playlist:{ID}"),
        # Localised links from the web player.
        (f"https://open.spotify.com/intl-de/playlist/{ID}?si=abc", f"spotify:playlist:{ID}"),
        (f"https://open.spotify.com/intl-pt-br/track/{ID}", f"spotify:track:{ID}"),
    ],
)
def test_valid_sources_are_normalised(value: str, expected: str) -> None:
    assert normalize_source(value) == expected


@pytest.mark.parametrize("value", [None, "", "   ", "\t\n"])
def test_empty_source_means_resume(value: str | None) -> None:
    assert normalize_source(value) is None


@pytest.mark.parametrize(
    "value",
    [
        # Not Spotify at all, or not open.spotify.com.
        "my favourite playlist",
        f"https://example.com/playlist/{ID}",
        f"https://spotify.com/playlist/{ID}",
        f"https://open.spotify.com.evil.example/playlist/{ID}",
        f"ftp://open.spotify.com/playlist/{ID}",
        f"open.spotify.com/playlist/{ID}",
        # Spotify, but nothing that plays.
        "https://open.spotify.com/user/fake-user",
        "https://open.spotify.com/user/abcdefghijklmnopqrstuv",
        f"https://open.spotify.com/user/fake-user/playlist/{ID}",
        "https://open.spotify.com/",
        f"https://open.spotify.com/intl-deutsch/playlist/{ID}",
        f"spotify:foo:{ID}",
        f"spotify:user:{ID}",
        "spotify:user:fake-user",
        # Ids of the wrong length or alphabet.
        f"spotify:playlist:{ID[:21]}",
        f"spotify:playlist:{ID}X",
        "spotify:playlist:37i9dQZF1DXcBWIGoYBM5-",
        f"https://open.spotify.com/playlist/{ID[:21]}",
        f"https://open.spotify.com/playlist/{ID}/tracks",
        # Wrong case in the scheme or type of a URI.
        f"Spotify:playlist:{ID}",
        f"spotify:Playlist:{ID}",
    ],
)
def test_invalid_sources_raise(value: str) -> None:
    with pytest.raises(ValueError, match=r"Spotify|playable|cannot play"):
        normalize_source(value)


@pytest.mark.parametrize(
    ("uri", "context"),
    [
        (f"spotify:playlist:{ID}", True),
        (f"spotify:album:{ID}", True),
        (f"spotify:artist:{ID}", True),
        (f"spotify:show:{ID}", True),
        ("spotify:user:fake-user:collection", True),
        (f"spotify:track:{ID}", False),
        (f"spotify:episode:{ID}", False),
        # Whatever an older version may have stored is never mistaken for a context.
        ("not a uri", False),
        ("", False),
    ],
)
def test_is_context(uri: str, context: bool) -> None:
    """Contexts play with context_uri, single items with uris=[...]."""
    assert is_context(uri) is context
