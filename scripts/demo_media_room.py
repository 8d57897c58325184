"""Add the offline demo room to a development config: a room whose speaker is HA demo's player.

    .venv/bin/python scripts/demo_media_room.py [config_dir]    (default: config)

Run it while Home Assistant is stopped, after the Spotify account was added once (with
`scripts/develop --demo` no real account is needed). It adds the room "Living room (demo
player)" to that account: motion from `binary_sensor.bathroom_motion` (toggle
`input_boolean.bathroom_motion`), speaker `media_player.living_room` (one of HA `demo`'s
players, which supports play_media, volume and shuffle). Toggle the input boolean on and the
demo player's state shows our Spotify URI as its content; toggle it off and after the
1-minute timeout it is paused. Running it again changes nothing (idempotent).
"""

from __future__ import annotations

import json
from pathlib import Path
import sys
from typing import Any
from uuid import uuid4

DOMAIN = "spottypottysense"
TITLE = "Living room (demo player)"
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
}


def add_demo_room(config_dir: Path) -> str:
    """Add the demo room to the first SpottyPottySense entry; return what was done."""
    path = config_dir / ".storage" / "core.config_entries"
    if not path.exists():
        return "no config entries yet: start HA once and add the Spotify account first"
    store = json.loads(path.read_text(encoding="utf-8"))
    entry = next((e for e in store["data"]["entries"] if e["domain"] == DOMAIN), None)
    if entry is None:
        return "no SpottyPottySense account yet: add it first, then run this again"
    subentries = entry.setdefault("subentries", [])
    if any(sub["title"] == TITLE for sub in subentries):
        return f"{TITLE!r} is already there"
    subentries.append(
        {
            "data": DEMO_ROOM,
            "subentry_id": uuid4().hex,
            "subentry_type": "motion_sensor",
            "title": TITLE,
            "unique_id": None,
        }
    )
    path.write_text(json.dumps(store, indent=2), encoding="utf-8")
    return f"added {TITLE!r} to {entry['title']}"


if __name__ == "__main__":
    print(add_demo_room(Path(sys.argv[1] if len(sys.argv) > 1 else "config")))
