"""Join: a room's player joins the player group of another room's session, both play in sync.

Only players that can group (`GROUPING`) and belong to the same integration (the one that
groups them: Sonos with Sonos, Music Assistant with Music Assistant) are joined; anything else
is not joinable and the room plays its own music. A room that empties while its player is
grouped with another room still in session leaves the group (`unjoin`) instead of pausing,
so the other room plays on.
"""

from __future__ import annotations

from homeassistant.components.media_player.const import (
    ATTR_GROUP_MEMBERS,
    SERVICE_JOIN,
    SERVICE_UNJOIN,
    MediaPlayerEntityFeature,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant

from .speaker_media_player import async_call, player_integration, supported_features


def can_group(hass: HomeAssistant, leader: str, member: str) -> bool:
    """Whether `member` can join `leader`'s group: both group, and one integration owns both."""
    if leader == member:
        return False
    states = [hass.states.get(leader), hass.states.get(member)]
    if any(
        state is None or MediaPlayerEntityFeature.GROUPING not in supported_features(state)
        for state in states
    ):
        return False
    owner = player_integration(hass, leader)
    return owner is not None and owner == player_integration(hass, member)


def grouped_with(hass: HomeAssistant, entity_id: str) -> list[str]:
    """The other players in `entity_id`'s group, as its state reports them (no I/O)."""
    state = hass.states.get(entity_id)
    members = state.attributes.get(ATTR_GROUP_MEMBERS) if state is not None else None
    if not isinstance(members, list):
        return []
    return [member for member in members if isinstance(member, str) and member != entity_id]


def in_one_group(hass: HomeAssistant, player: str, other: str) -> bool:
    """Whether the two players are grouped, as either one reports it.

    Some integrations report the group on its leader only (HA's demo players do).
    """
    return other in grouped_with(hass, player) or player in grouped_with(hass, other)


async def async_join(hass: HomeAssistant, leader: str, member: str) -> None:
    """`media_player.join`: `member` joins `leader`'s group (SpeakerError when it fails)."""
    await async_call(hass, SERVICE_JOIN, {ATTR_ENTITY_ID: leader, ATTR_GROUP_MEMBERS: [member]})


async def async_leave(hass: HomeAssistant, entity_id: str) -> None:
    """`media_player.unjoin`: the player leaves its group; the others play on."""
    await async_call(hass, SERVICE_UNJOIN, {ATTR_ENTITY_ID: entity_id})
