"""The fake Spotify (Web API + OAuth) on 127.0.0.1, for trying the integration without Spotify.

Started by `scripts/develop --demo` and `scripts/e2e`; it lists three speakers and a few playlists
and prints every request it gets, so you can watch motion turn into play and pause requests.

The first line it prints is `Fake Spotify listening on http://127.0.0.1:PORT` (with `--port 0`,
a free port), once it is ready; `--ready-file` also receives the URL then. If it cannot listen, it
says why on stderr and exits with 2. With `--json`, each request is printed as one JSON object per
line, for scripts/e2e to read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from pathlib import Path
import sys
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_spotify import FakePlaylist, FakeSpotify, RecordedRequest


def _describe(request: RecordedRequest, as_json: bool) -> str:
    if as_json:
        return json.dumps(
            {
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "json": request.json,
                "status": request.status,
            }
        )
    return f"  {request.method} {request.path} {request.query or ''} -> {request.status}"


async def main() -> int:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--home-assistant", default="http://127.0.0.1:8123")
    parser.add_argument("--json", action="store_true", help="print requests as JSON lines")
    parser.add_argument("--ready-file", type=Path, help="write the URL here once listening")
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
    try:
        await fake.start(port=args.port)
    except OSError as err:
        reason = os.strerror(err.errno) if err.errno else str(err)
        print(
            f"Fake Spotify cannot listen on 127.0.0.1:{args.port}: {reason}. "
            f"Something else holds the port (see `ss -ltnp 'sport = :{args.port}'`); "
            "stop it or choose another port.",
            file=sys.stderr,
            flush=True,
        )
        return 2
    port = urlsplit(fake.url).port
    print(f"Fake Spotify listening on http://127.0.0.1:{port}", flush=True)
    if args.ready_file is not None:
        args.ready_file.write_text(f"http://127.0.0.1:{port}\n")
    seen = 0
    while True:
        await asyncio.sleep(0.2)
        for request in fake.requests[seen:]:
            print(_describe(request, args.json), flush=True)
        seen = len(fake.requests)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main()))
