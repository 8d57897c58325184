"""Add the offline demo rooms to a development config: two rooms on HA demo's players.

    .venv/bin/python scripts/demo_media_room.py [config_dir]    (default: config)

Run it while Home Assistant is stopped, after the Spotify account was added once (with
`scripts/develop --demo` no real account is needed). It adds two rooms to that account, both
with *move it here* (`follow_mode: move`):

- "Living room (demo player)": motion from `binary_sensor.bathroom_motion` (toggle
  `input_boolean.bathroom_motion`), speaker `media_player.living_room`;
- "Bedroom (demo player)": motion from `binary_sensor.bedroom_motion` (toggle
  `input_boolean.bedroom_motion`), speaker `media_player.bedroom`.

Both are HA `demo`'s players (play_media, seek, volume, shuffle). Toggle the bathroom helper on:
the living room player shows our Spotify URI as its content. Then toggle the bedroom helper on:
the music moves to the bedroom player and the living room pauses (the demo player cannot
seek, so it plays on from its own position). Toggle
both off and after the 1-minute timeout the bedroom is paused. Running it again changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
import sys
from typing import Any
from uuid import uuid4

DOMAIN = "spottypottysense"
TITLE = "Living room (demo player)"
BEDROOM_TITLE = "Bedroom (demo player)"
DEMO_ROOM: dict[str, Any] = {
    "motion_entities": ["binary_sensor.bathroom_motion"],
    "media_player_entity": "media_player.living_room",
    "source": "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M",
    "volume": 30,
    "shuffle": True,
    "timeout_minutes": 1,
    "cooldown_minutes": 0,
    "min_presence_seconds": 0,
    "max_session_minutes": 60,
    # HA demo's players start out "playing": taking them over is the point of the demo.
    "only_when_idle": False,
    "windows": [],  # no time windows, no quiet hours (entry 1.2's stored form)
    "follow_mode": "move",
}
BEDROOM: dict[str, Any] = {
    **DEMO_ROOM,
    "motion_entities": ["binary_sensor.bedroom_motion"],
    "media_player_entity": "media_player.bedroom",
}
DEMO_ROOMS: dict[str, dict[str, Any]] = {TITLE: DEMO_ROOM, BEDROOM_TITLE: BEDROOM}


def add_demo_room(config_dir: Path) -> str:
    """Add the demo rooms to the first SpottyPottySense entry; return what was done."""
    path = config_dir / ".storage" / "core.config_entries"
    if not path.exists():
        return "no config entries yet: start HA once and add the Spotify account first"
    store = json.loads(path.read_text(encoding="utf-8"))
    entry = next((e for e in store["data"]["entries"] if e["domain"] == DOMAIN), None)
    if entry is None:
        return "no SpottyPottySense account yet: add it first, then run this again"
    subentries = entry.setdefault("subentries", [])
    titles = {sub["title"] for sub in subentries}
    added = [title for title in DEMO_ROOMS if title not in titles]
    if not added:
        return "the demo rooms are already there"
    for title in added:
        subentries.append(
            {
                "data": DEMO_ROOMS[title],
                "subentry_id": uuid4().hex,
                "subentry_type": "motion_sensor",
                "title": title,
                "unique_id": None,
            }
        )
    path.write_text(json.dumps(store, indent=2), encoding="utf-8")
    return f"added {', '.join(repr(title) for title in added)} to {entry['title']}"


if __name__ == "__main__":
    print(add_demo_room(Path(sys.argv[1] if len(sys.argv) > 1 else "config")))
