"""Benchmark of the speaker paths: round trips per start, media player rooms, fade-out ends.

Against the fake Spotify server on loopback, every HA on 127.0.0.1 (scripts/bench.py's helpers):

(h)  requests per start with the default options (only_when_idle on) when the speaker is already
     Spotify's active device at the wanted settings, and motion → play against a bare spotipy
     read + play done by hand (target: 2 requests, within 1.5x);
(i)  motion → media_player.play_media call for a room whose speaker is an HA media player;
(j)  requests of a default start (speaker idle; speaker active) and of an end with a fade-out.

Run with scripts/bench (after scripts/bench.py), or alone:
.venv/bin/python scripts/bench_speakers.py
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import sys
import time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import (  # noqa: E402
    PLAYLIST,
    bench_home_assistant,
    make_entry,
    ms,
    percentile,
    room,
    set_up,
    wait_for,
    watch_plays,
)
import requests  # noqa: E402
import spotipy  # noqa: E402

from custom_components.spottypottysense import spotify_api  # noqa: E402
from custom_components.spottypottysense.const import DOMAIN  # noqa: E402
from tests.fake_spotify import DEFAULT_TOKEN, FakeSpotify  # noqa: E402


def with_options(subentry: dict[str, Any], **options: Any) -> dict[str, Any]:
    """A room subentry with some options changed."""
    return {**subentry, "data": {**subentry["data"], **options}}


async def request_counts() -> dict[str, int]:
    """(f): requests of a default start (speaker idle; speaker active at the wanted shuffle) and
    of an end with a fade-out (1 s fade after a 1.2 s timeout, in real time)."""
    counts: dict[str, int] = {}
    async with bench_home_assistant() as hass:
        fake = FakeSpotify()
        await fake.start()
        await set_up(
            hass,
            fake,
            [with_options(room(0, only_when_idle=True), fade_out_seconds=1, timeout_minutes=0.02)],
        )
        entity = "binary_sensor.motion_0"
        plays = fake.requests_to

        async def start() -> int:
            mark = len(fake.requests)
            count = len(plays("PUT", "/me/player/play"))
            hass.states.async_set(entity, "on")
            await wait_for(lambda: len(plays("PUT", "/me/player/play")) > count, "play")
            await hass.async_block_till_done()
            return len(fake.requests) - mark

        counts["start, speaker idle"] = await start()
        mark = len(fake.requests)
        hass.states.async_set(entity, "off")
        await hass.async_block_till_done()
        await wait_for(lambda: bool(plays("PUT", "/me/player/pause")), "end with fade", limit=10.0)
        await asyncio.sleep(0.2)  # the restore after the pause
        await hass.async_block_till_done()
        counts["end with fade-out"] = len(fake.requests) - mark
        # The speaker is now Spotify's active device, paused, shuffle on: read + play.
        counts["start, speaker active at the wanted shuffle"] = await start()
        await fake.stop()
    return counts


async def round_trips(sessions: int) -> dict[str, Any]:
    """Default options, speaker already Spotify's active device at the wanted shuffle.

    Requests per start, the motion → play gap, and a bare read + play by hand with spotipy.
    """
    async with bench_home_assistant() as hass:
        fake = FakeSpotify()
        arrived = watch_plays(fake)
        await fake.start()
        await set_up(hass, fake, [room(0, only_when_idle=True)])
        fake.user_play(PLAYLIST, "speaker-0")
        fake.user_pause()
        assert fake.playback is not None
        fake.playback.shuffle = True
        entity = "binary_sensor.motion_0"
        gaps: list[float] = []
        per_start: list[int] = []
        for _ in range(sessions):
            arrived.clear()
            mark = len(fake.requests)
            started = time.monotonic()
            hass.states.async_set(entity, "on")
            await asyncio.wait_for(arrived.wait(), 5)
            gaps.append(fake.requests_to("PUT", "/me/player/play")[-1].time - started)
            await hass.async_block_till_done()
            per_start.append(len(fake.requests) - mark)
            await hass.services.async_call(
                DOMAIN, "stop_session", {"entity_id": "sensor.room_0_status"}, blocking=True
            )
            hass.states.async_set(entity, "off")
            await hass.async_block_till_done()
        client = spotipy.Spotify(
            auth=DEFAULT_TOKEN, requests_session=requests.Session(), retries=0, status_retries=0
        )
        client.prefix = fake.url

        def read_then_play() -> None:
            client.current_playback()
            client.start_playback(device_id="speaker-0", context_uri=PLAYLIST)

        by_hand: list[float] = []
        for _ in range(sessions):
            started = time.monotonic()
            await hass.async_add_executor_job(read_then_play)
            by_hand.append(fake.requests_to("PUT", "/me/player/play")[-1].time - started)
        await fake.stop()
    return {"gaps": gaps, "per_start": per_start, "by_hand": by_hand}


async def media_player_room(sessions: int) -> list[float]:
    """Motion → media_player.play_media call for a media player room (default options)."""
    async with bench_home_assistant() as hass:
        fake = FakeSpotify()
        await fake.start()
        spotify_api.SPOTIFY_API_URL = fake.url
        player = "media_player.bench"
        called = asyncio.Event()
        calls: list[float] = []
        features = 512 | 1 | 16384  # PLAY_MEDIA | PAUSE | PLAY

        async def play_media(call: Any) -> None:
            calls.append(time.monotonic())
            hass.states.async_set(
                player,
                "playing",
                {"supported_features": features, "media_content_id": call.data["media_content_id"]},
            )
            called.set()

        async def pause(call: Any) -> None:
            hass.states.async_set(player, "paused", {"supported_features": features})

        hass.services.async_register("media_player", "play_media", play_media)
        hass.services.async_register("media_player", "media_pause", pause)
        hass.states.async_set(player, "idle", {"supported_features": features})
        hass.states.async_set("binary_sensor.motion_0", "off")
        data = dict(room(0, only_when_idle=True)["data"])
        data.pop("spotify_device_id")
        data.pop("spotify_device_name")
        data["media_player_entity"] = player
        entry = make_entry([{**room(0, only_when_idle=True), "data": data}])
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        gaps: list[float] = []
        for _ in range(sessions):
            called.clear()
            started = time.monotonic()
            hass.states.async_set("binary_sensor.motion_0", "on")
            await asyncio.wait_for(called.wait(), 5)
            gaps.append(calls[-1] - started)
            await hass.async_block_till_done()
            await hass.services.async_call(
                DOMAIN, "stop_session", {"entity_id": "sensor.room_0_status"}, blocking=True
            )
            hass.states.async_set("binary_sensor.motion_0", "off")
            await hass.async_block_till_done()
        await fake.stop()
    return gaps


async def speaker_benchmarks(sessions: int) -> None:
    """Print the round-trip and media player figures."""
    trips = await round_trips(sessions)
    gaps, by_hand = trips["gaps"], trips["by_hand"]
    counts = sorted(set(trips["per_start"]))
    ratio = percentile(gaps, 50) / percentile(by_hand, 50)
    print(
        f"(h)  requests per start, only_when_idle on, speaker active at the wanted settings: "
        f"{counts}   (target 2: {'met' if counts == [2] else 'MISSED'})"
    )
    print(f"(h)  motion → play arrives, same case          : {ms(gaps)}")
    print(f"(h') bare spotipy read + play by hand (floor)  : {ms(by_hand)}")
    print(f"(h)/(h') at p50: {ratio:.2f}x   (target ≤ 1.5x: {'met' if ratio <= 1.5 else 'MISSED'})")
    media = await media_player_room(sessions)
    print(f"(i)  motion → media_player.play_media call     : {ms(media)}  (media player room)")


async def main() -> None:
    """Run the speaker measurements and print them."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=300)
    args = parser.parse_args()
    await speaker_benchmarks(args.sessions)
    counts = await request_counts()
    print("(j)  requests (default options, only_when_idle on):")
    for what, count in counts.items():
        print(f"       {what}: {count}")
    print("       (budgets: a start ≤ 4, 2 in the common case; an end with a fade ≤ 2 + 5)")


if __name__ == "__main__":
    asyncio.run(main())
