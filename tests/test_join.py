"""Join instead of move: a room's player joins the player group of the room already playing.

The players are real `MediaPlayerEntity`s of a small test platform that groups like Sonos
(`GROUPING`: the group plays the leader's music; a leader that leaves hands the music to the
next member), set up through HA's media_player component and driven by HA's own join, unjoin,
play_media and media_pause actions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.media_player import (
    MediaPlayerEntity,
    MediaPlayerEntityFeature as F,
    MediaPlayerState,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.spottypottysense.player_join import can_group, grouped_with
from tests.conftest import MOTION, PLAYLIST, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance, set_motion, set_up_with_sensors_off, starts_at
from tests.media_players import set_up_real_players
from tests.test_follow_players import (
    BATHROOM,
    BATHROOM_MOTION,
    KITCHEN,
    KITCHEN_MOTION,
    media_room,
)

BATHROOM_PLAYLIST = "spotify:playlist:bathroomOwnMusic0000000"
GROUPS = F.PLAY_MEDIA | F.PLAY | F.PAUSE | F.SEEK | F.GROUPING


def joining_room(title: str, player: str, motion: str, mode: str) -> dict[str, Any]:
    room = media_room(title, player, motion)
    data = {key: value for key, value in room["data"].items() if key != "follow_me"}
    return {"title": title, "data": {**data, "follow_mode": mode}}


ROOMS = [
    joining_room("Kitchen", KITCHEN, KITCHEN_MOTION, "own"),
    {
        "title": "Bathroom",
        "data": {
            **joining_room("Bathroom", BATHROOM, BATHROOM_MOTION, "join")["data"],
            "source": BATHROOM_PLAYLIST,
        },
    },
]
pytestmark = starts_at(2026, 11, 24, 18, 0)


@pytest.fixture
def rooms() -> list[dict[str, Any]]:
    """The kitchen starts its own music; the bathroom joins it."""
    return ROOMS


class GroupingPlayer(MediaPlayerEntity):
    """A player that groups like Sonos: members play what the group's leader plays."""

    _attr_state = MediaPlayerState.IDLE

    def __init__(self, name: str, features: F = GROUPS) -> None:
        self._attr_name = name
        self._attr_supported_features = features
        self._attr_group_members = []
        self.asked: list[tuple[str, Any]] = []
        self.players: dict[str, GroupingPlayer] = {}
        self.refuse_join = False
        self.refuse_unjoin = False
        self.leader_only = False  # report the group on the leader only (HA's demo players do)

    def _group(self) -> list[GroupingPlayer]:
        members = self._attr_group_members or [self.entity_id]
        return [self.players[member] for member in members if member in self.players]

    def _play(self, content: str | None, state: MediaPlayerState) -> None:
        for player in self._group():
            player._attr_state = state
            player._attr_media_content_id = content
            player._attr_media_content_type = "playlist"
            player.async_write_ha_state()

    async def async_play_media(self, media_type: str, media_id: str, **kwargs: Any) -> None:
        self.asked.append(("play_media", media_id))
        self._play(media_id, MediaPlayerState.PLAYING)

    async def async_media_pause(self) -> None:
        self.asked.append(("media_pause", None))
        self._play(self._attr_media_content_id, MediaPlayerState.PAUSED)

    async def async_join_players(self, group_members: list[str]) -> None:
        self.asked.append(("join", group_members))
        if self.refuse_join:
            raise HomeAssistantError("the speakers could not be grouped")
        group = [self.entity_id, *group_members]
        for member in [self.entity_id] if self.leader_only else group:
            self.players[member]._attr_group_members = group
        self._play(self._attr_media_content_id, MediaPlayerState(self.state or "idle"))

    async def async_unjoin_player(self) -> None:
        self.asked.append(("unjoin", None))
        if self.refuse_unjoin:
            raise HomeAssistantError("the speaker did not answer")
        rest = [member for member in self._attr_group_members or [] if member != self.entity_id]
        for member in rest:  # the next member leads and plays on
            self.players[member]._attr_group_members = rest if len(rest) > 1 else []
            self.players[member].async_write_ha_state()
        self._attr_group_members = []
        self._attr_state = MediaPlayerState.IDLE
        self._attr_media_content_id = None
        self.async_write_ha_state()


@pytest.fixture
def features() -> tuple[F, F]:
    return GROUPS, GROUPS


@pytest.fixture
async def players(
    hass: HomeAssistant, features: tuple[F, F]
) -> tuple[GroupingPlayer, GroupingPlayer]:
    kitchen, bathroom = (
        GroupingPlayer("Kitchen", features[0]),
        GroupingPlayer("Bathroom", features[1]),
    )
    await set_up_real_players(hass, {KITCHEN: kitchen, BATHROOM: bathroom})
    for player in (kitchen, bathroom):
        player.players.update({KITCHEN: kitchen, BATHROOM: bathroom})
    return kitchen, bathroom


@pytest.fixture
async def account(
    hass: HomeAssistant,
    setup_credentials: None,
    speaker: FakeSpotify,
    players: tuple[GroupingPlayer, GroupingPlayer],
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    return await set_up_with_sensors_off(hass, config_entry, (KITCHEN_MOTION, BATHROOM_MOTION))


async def _empties(hass: HomeAssistant, freezer: FrozenDateTimeFactory, motion: str) -> None:
    """Nobody in the room any more, and its timeout (5 minutes) passes."""
    await set_motion(hass, motion, "off")
    await advance(hass, freezer, timedelta(minutes=5, seconds=1))


async def _kitchen_plays_then_bathroom_joins(
    hass: HomeAssistant, kitchen: GroupingPlayer, bathroom: GroupingPlayer
) -> None:
    await set_motion(hass, KITCHEN_MOTION, "on")
    assert kitchen.asked == [("play_media", PLAYLIST)]
    await set_motion(hass, BATHROOM_MOTION, "on")


async def test_the_bathroom_joins_the_kitchen_and_leaves_when_it_empties(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    account: MockConfigEntry,
    players: tuple[GroupingPlayer, GroupingPlayer],
    events: dict[str, list[Any]],
) -> None:
    kitchen, bathroom = players
    await _kitchen_plays_then_bathroom_joins(hass, kitchen, bathroom)
    # The bathroom's player joined the kitchen's group: both play the kitchen's music.
    assert kitchen.asked == [("play_media", PLAYLIST), ("join", [BATHROOM])]
    assert bathroom.asked == []  # its own playlist never started
    assert hass.states.get(BATHROOM).state == MediaPlayerState.PLAYING
    assert hass.states.get(BATHROOM).attributes["media_content_id"] == PLAYLIST
    assert hass.states.get("sensor.bathroom_status").state == "playing"
    assert hass.states.get("sensor.kitchen_status").state == "playing"
    joined = events["session_started"][-1].data
    assert (joined["room"], joined["joined"]) == ("Bathroom", True)
    assert joined["joined_from"] == "Kitchen"
    assert joined["moved"] is False

    # The bathroom empties: it leaves the group; the kitchen plays on, never paused.
    await _empties(hass, freezer, BATHROOM_MOTION)
    assert bathroom.asked == [("unjoin", None)]
    assert ("media_pause", None) not in kitchen.asked
    assert hass.states.get(KITCHEN).state == MediaPlayerState.PLAYING
    (ended,) = events["session_ended"]
    assert (ended.data["room"], ended.data["reason"], ended.data["left_group"]) == (
        "Bathroom",
        "timeout",
        True,
    )
    assert hass.states.get("sensor.kitchen_status").state == "playing"

    # The kitchen ends by its own rules: alone now, it pauses.
    await _empties(hass, freezer, KITCHEN_MOTION)
    assert kitchen.asked[-1] == ("media_pause", None)
    assert events["session_ended"][-1].data["left_group"] is False


async def test_a_group_reported_on_its_leader_only_is_left_too(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    account: MockConfigEntry,
    players: tuple[GroupingPlayer, GroupingPlayer],
) -> None:
    """The bathroom's player does not list the group; the kitchen's does: still grouped."""
    kitchen, bathroom = players
    kitchen.leader_only = True
    await _kitchen_plays_then_bathroom_joins(hass, kitchen, bathroom)
    assert hass.states.get(BATHROOM).attributes["group_members"] == []
    await _empties(hass, freezer, BATHROOM_MOTION)
    assert bathroom.asked == [("unjoin", None)]
    assert ("media_pause", None) not in kitchen.asked


async def test_a_leave_that_fails_never_pauses_the_other_rooms_music(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    account: MockConfigEntry,
    players: tuple[GroupingPlayer, GroupingPlayer],
    events: dict[str, list[Any]],
) -> None:
    kitchen, bathroom = players
    bathroom.refuse_unjoin = True
    await _kitchen_plays_then_bathroom_joins(hass, kitchen, bathroom)
    await _empties(hass, freezer, BATHROOM_MOTION)
    assert bathroom.asked == [("unjoin", None)]
    assert ("media_pause", None) not in kitchen.asked + bathroom.asked
    assert hass.states.get(KITCHEN).state == MediaPlayerState.PLAYING
    (ended,) = events["session_ended"]
    assert (ended.data["room"], ended.data["reason"]) == ("Bathroom", "timeout")
    assert hass.states.get("sensor.bathroom_status").state != "playing"


async def test_the_kitchen_leaves_first_and_the_bathroom_plays_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    account: MockConfigEntry,
    players: tuple[GroupingPlayer, GroupingPlayer],
    events: dict[str, list[Any]],
) -> None:
    kitchen, bathroom = players
    await _kitchen_plays_then_bathroom_joins(hass, kitchen, bathroom)
    await _empties(hass, freezer, KITCHEN_MOTION)
    # The kitchen, empty, leaves the group instead of pausing it under the bathroom's feet.
    assert kitchen.asked[-1] == ("unjoin", None)
    assert hass.states.get(BATHROOM).state == MediaPlayerState.PLAYING
    assert events["session_ended"][-1].data["room"] == "Kitchen"
    assert events["session_ended"][-1].data["reason"] == "timeout"
    # The bathroom's session, still ours, ends by its own rules: a pause.
    await _empties(hass, freezer, BATHROOM_MOTION)
    assert bathroom.asked == [("media_pause", None)]
    assert hass.states.get(BATHROOM).state == MediaPlayerState.PAUSED


@pytest.mark.parametrize("features", [(GROUPS, GROUPS & ~F.GROUPING)])
async def test_a_player_that_cannot_group_plays_its_own_music(
    hass: HomeAssistant,
    account: MockConfigEntry,
    players: tuple[GroupingPlayer, GroupingPlayer],
    events: dict[str, list[Any]],
) -> None:
    kitchen, bathroom = players
    await _kitchen_plays_then_bathroom_joins(hass, kitchen, bathroom)
    assert kitchen.asked == [("play_media", PLAYLIST)]
    assert bathroom.asked == [("play_media", BATHROOM_PLAYLIST)]
    assert events["session_started"][-1].data["joined"] is False


async def test_a_join_the_player_refuses_plays_the_rooms_own_music(
    hass: HomeAssistant,
    account: MockConfigEntry,
    players: tuple[GroupingPlayer, GroupingPlayer],
    events: dict[str, list[Any]],
) -> None:
    kitchen, bathroom = players
    kitchen.refuse_join = True
    await _kitchen_plays_then_bathroom_joins(hass, kitchen, bathroom)
    assert kitchen.asked[-1] == ("join", [BATHROOM])
    assert bathroom.asked == [("play_media", BATHROOM_PLAYLIST)]
    assert hass.states.get(KITCHEN).attributes["media_content_id"] == PLAYLIST
    assert hass.states.get("sensor.kitchen_status").state == "playing"
    started = events["session_started"][-1].data
    assert (started["room"], started["joined"], started["owned"]) == ("Bathroom", False, True)


async def test_music_someone_put_on_by_hand_is_never_joined(
    hass: HomeAssistant,
    account: MockConfigEntry,
    players: tuple[GroupingPlayer, GroupingPlayer],
    events: dict[str, list[Any]],
) -> None:
    kitchen, bathroom = players
    await set_motion(hass, KITCHEN_MOTION, "on")
    # Someone puts on other music in the kitchen: the kitchen's session no longer plays there.
    await hass.services.async_call(
        "media_player",
        "play_media",
        {
            "entity_id": KITCHEN,
            "media_content_id": "spotify:album:byHand",
            "media_content_type": "album",
        },
        blocking=True,
    )
    await set_motion(hass, BATHROOM_MOTION, "on")
    assert ("join", [BATHROOM]) not in kitchen.asked
    assert bathroom.asked == [("play_media", BATHROOM_PLAYLIST)]
    assert events["session_started"][-1].data["joined"] is False


@pytest.mark.parametrize(
    "rooms", [[{"title": "Bathroom", "data": room_data(follow_mode="join", only_when_idle=False)}]]
)
async def test_a_spotify_connect_room_set_to_join_plays_its_own_music(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, speaker: FakeSpotify
) -> None:
    """Spotify Connect has no player groups: a joining room starts its own source."""
    await set_motion(hass, MOTION, "on")
    assert hass.states.get("sensor.bathroom_status").state == "playing"
    assert ("PUT", "/me/player/play") in [(r.method, r.path) for r in speaker.requests]


async def test_which_players_can_group(
    hass: HomeAssistant, players: tuple[GroupingPlayer, GroupingPlayer]
) -> None:
    """Both must group and belong to one integration; a player set by hand belongs to none."""
    assert can_group(hass, KITCHEN, BATHROOM)
    assert not can_group(hass, KITCHEN, KITCHEN)
    assert not can_group(hass, KITCHEN, "media_player.gone")
    hass.states.async_set("media_player.by_hand", "idle", {"supported_features": int(GROUPS)})
    assert not can_group(hass, KITCHEN, "media_player.by_hand")
    assert not can_group(hass, "media_player.by_hand", KITCHEN)
    hass.states.async_set(BATHROOM, "idle", {"group_members": "media_player.kitchen"})
    assert grouped_with(hass, BATHROOM) == []  # an unreadable group is no group
    assert grouped_with(hass, "media_player.gone") == []


async def test_after_a_restart_a_joined_room_still_leaves_the_group(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    account: MockConfigEntry,
    players: tuple[GroupingPlayer, GroupingPlayer],
    events: dict[str, list[Any]],
) -> None:
    """The group is read from the players when a room ends: nothing of it needs remembering."""
    kitchen, bathroom = players
    await _kitchen_plays_then_bathroom_joins(hass, kitchen, bathroom)
    assert await hass.config_entries.async_unload(account.entry_id)
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=1))
    assert await hass.config_entries.async_setup(account.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.bathroom_status").state == "playing"
    await _empties(hass, freezer, BATHROOM_MOTION)
    assert bathroom.asked == [("unjoin", None)]
    assert hass.states.get(KITCHEN).state == MediaPlayerState.PLAYING
    assert events["session_ended"][-1].data["left_group"] is True
