"""The fake Spotify (Web API + OAuth) on 127.0.0.1, for trying the integration without Spotify.

Started by `scripts/develop --demo`; it lists three speakers and a few playlists and prints every
request it gets, so you can watch motion turn into play and pause requests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_spotify import FakePlaylist, FakeSpotify


async def main() -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--home-assistant", default="http://127.0.0.1:8123")
    args = parser.parse_args()

    fake = FakeSpotify()
    fake.home_assistant_url = args.home_assistant
    fake.user.display_name = "Demo listener"
    fake.add_device("demo-bathroom-speaker", "Bathroom speaker")
    fake.add_device("demo-kitchen-speaker", "Kitchen speaker")
    fake.add_device("demo-phone", "Phone", type="Smartphone")
    fake.playlists = [
        FakePlaylist("37i9dQZF1DXcBWIGoYBM5M", "Today's Top Hits"),
        FakePlaylist("37i9dQZF1DX4sWSpwq3LiO", "Peaceful Piano"),
        FakePlaylist("37i9dQZF1DWZeKCadgRdKQ", "Deep Focus"),
    ]
    await fake.start(port=args.port)
    print(f"Fake Spotify listening on http://127.0.0.1:{args.port}", flush=True)
    seen = 0
    while True:
        await asyncio.sleep(0.5)
        for request in fake.requests[seen:]:
            print(f"  {request.method} {request.path} {request.query or ''} -> {request.status}")
        seen = len(fake.requests)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
