"""Spotify source URIs: validate them and turn open.spotify.com links into URIs (pure, no HA)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

CONTEXT_TYPES = frozenset({"playlist", "album", "artist", "show"})
ITEM_TYPES = frozenset({"track", "episode"})
_ID = r"[A-Za-z0-9]{22}"
_URI = re.compile(rf"^spotify:(?P<type>[a-z]+):(?P<id>{_ID})$")
_COLLECTION = re.compile(r"^spotify:user:[A-Za-z0-9._-]{1,64}:collection$")
_LINK_PATH = re.compile(
    rf"^/(?:intl-[a-z]{{2}}(?:-[a-z]{{2}})?/)?(?P<type>[a-z]+)/(?P<id>{_ID})/?$"
)


def normalize_source(value: str | None) -> str | None:
    """Return the canonical ``spotify:type:id`` URI, or None for "resume what played last".

    Raises ValueError for anything that is not a playable Spotify URI or link.
    """
    if value is None or not (text := value.strip()):
        return None
    if _COLLECTION.match(text):
        return text
    if match := _URI.match(text):
        kind, item_id = match["type"], match["id"]
    else:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or parts.hostname != "open.spotify.com":
            raise ValueError(f"not a Spotify URI or link: {text!r}")
        if not (match := _LINK_PATH.match(parts.path)):
            raise ValueError(f"not a Spotify link to something playable: {text!r}")
        kind, item_id = match["type"], match["id"]
    if kind not in CONTEXT_TYPES | ITEM_TYPES:
        raise ValueError(f"Spotify cannot play a {kind!r}")
    return f"spotify:{kind}:{item_id}"


def is_context(uri: str) -> bool:
    """Playlists, albums, artists, shows and the liked-songs collection play as a context.

    Anything else (also text that is no URI at all) plays as a single item.
    """
    parts = uri.split(":")
    return (len(parts) == 3 and parts[1] in CONTEXT_TYPES) or bool(_COLLECTION.match(uri))


def starts_at_item(uri: str) -> bool:
    """Whether playback of `uri` can start at one of its items (Spotify's ``offset``).

    Spotify takes an offset only for albums and playlists.
    """
    parts = uri.split(":")
    return len(parts) == 3 and parts[1] in ("playlist", "album")
