"""Test media players: entities with chosen supported features whose service calls are recorded.

A `FakePlayer` is a ``media_player`` state plus handlers for the media_player actions the
integration uses; each handler records (service, data) and changes the state the way a real
player would (play_media plays the content, pause pauses, ...). ``fail`` makes calls raise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from homeassistant.components.media_player import MediaPlayerEntity
from homeassistant.components.media_player.const import MediaPlayerEntityFeature as F
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import setup_test_component_platform

FULL = F.PLAY_MEDIA | F.PLAY | F.PAUSE | F.STOP | F.VOLUME_SET | F.SHUFFLE_SET | F.TURN_ON
BASIC = F.PLAY_MEDIA | F.PLAY | F.PAUSE
STOP_ONLY = F.PLAY_MEDIA | F.PLAY | F.STOP
SERVICES = (
    "play_media",
    "media_play",
    "media_pause",
    "media_stop",
    "volume_set",
    "shuffle_set",
    "turn_on",
    "media_seek",
)


@dataclass
class FakePlayer:
    """One media player entity and the service calls it received."""

    hass: HomeAssistant
    entity_id: str
    features: int = FULL
    state: str = "idle"
    attributes: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failing: bool = False

    def write(self) -> None:
        """Publish the current state."""
        self.hass.states.async_set(
            self.entity_id,
            self.state,
            {"supported_features": int(self.features), **self.attributes},
        )

    def set(self, state: str, **attributes: Any) -> None:
        """The user (or the player) changes it."""
        self.state = state
        self.attributes.update(attributes)
        self.write()

    def since(self, mark: int) -> list[tuple[str, dict[str, Any]]]:
        """Calls after `mark` (a len(calls) taken earlier), without the entity id."""
        return [
            (service, {k: v for k, v in data.items() if k != "entity_id"})
            for service, data in self.calls[mark:]
        ]

    def handle(self, service: str, data: dict[str, Any]) -> None:
        self.calls.append((service, data))
        if self.failing:
            raise HomeAssistantError("the player did not answer")
        if service == "play_media":
            self.set("playing", media_content_id=data["media_content_id"])
        elif service in ("media_play", "turn_on"):
            self.set("playing")
        elif service == "media_pause":
            self.set("paused")
        elif service == "media_stop":
            self.set("idle")
        elif service == "volume_set":
            self.set(self.state, volume_level=data["volume_level"])
        elif service == "shuffle_set":
            self.set(self.state, shuffle=data["shuffle"])
        elif service == "media_seek":
            self.set(self.state, media_position=data["seek_position"])


type Misbehaviour = Callable[[FakePlayer, dict[str, Any]], Awaitable[None]]
"""Replaces a service's handler: raise anything, hang, or play and then raise."""


class FakePlayers:
    """All fake players of a test; registers the media_player actions once."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.players: dict[str, FakePlayer] = {}
        self.hooks: dict[str, Any] = {}
        self.misbehave: dict[str, Misbehaviour] = {}
        for service in SERVICES:
            hass.services.async_register("media_player", service, self._handler(service))

    def add(self, entity_id: str, features: int = FULL, **attributes: Any) -> FakePlayer:
        player = FakePlayer(self.hass, entity_id, features, attributes=dict(attributes))
        player.write()
        self.players[entity_id] = player
        return player

    def _handler(self, service: str) -> Any:
        async def handle(call: ServiceCall) -> None:
            data = dict(call.data)
            entity_ids = data["entity_id"]
            for entity_id in [entity_ids] if isinstance(entity_ids, str) else entity_ids:
                if (misbehaviour := self.misbehave.get(service)) is not None:
                    player = self.players[entity_id]
                    player.calls.append((service, {**data, "entity_id": entity_id}))
                    await misbehaviour(player, data)
                    continue
                self.players[entity_id].handle(service, {**data, "entity_id": entity_id})
            if (hook := self.hooks.get(service)) is not None:
                hook(data)

        return handle


async def set_up_real_players(hass: HomeAssistant, players: dict[str, MediaPlayerEntity]) -> None:
    """Real `MediaPlayerEntity`s through HA's media_player component, at these entity ids."""
    setup_test_component_platform(hass, "media_player", list(players.values()))
    assert await async_setup_component(hass, "media_player", {"media_player": {"platform": "test"}})
    await hass.async_block_till_done()
    assert [player.entity_id for player in players.values()] == list(players)
