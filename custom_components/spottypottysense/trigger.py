"""The triggers a room offers in HA's trigger picker: a session started, a session ended.

HA 2026's purpose-specific triggers target rooms by device, area or label (the picker's
*By target* and *By type* views). Each fires on the room's *Session* event entity, so the
trigger variables are that entity's new state: ``trigger.to_state.attributes.room``,
``.session_id``, ``.reason``, ``.moved_to``, ...
"""

from __future__ import annotations

from typing import ClassVar, override

from homeassistant.components.event import ATTR_EVENT_TYPE, DOMAIN as EVENT_DOMAIN
from homeassistant.const import CONF_OPTIONS
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.automation import DomainSpec
from homeassistant.helpers.trigger import (
    ENTITY_STATE_TRIGGER_SCHEMA,
    NotTriggeredReasonReporter,
    StatelessEntityTriggerBase,
    Trigger,
    TriggerConfig,
)
import probatio

from .const import EVENT_SESSION_ENDED, EVENT_SESSION_STARTED
from .device_automation import room_entities
from .records import EndReason

CONF_REASON = "reason"

SESSION_ENDED_SCHEMA = ENTITY_STATE_TRIGGER_SCHEMA.extend(
    {
        probatio.Required(CONF_OPTIONS, default={}): {
            probatio.Optional(CONF_REASON): probatio.All(
                probatio.EnsureList(), [probatio.In([str(reason) for reason in EndReason])]
            ),
        },
    }
)


class _SessionTrigger(StatelessEntityTriggerBase):
    """Fires when a room's Session event entity receives one kind of event."""

    _domain_specs = {EVENT_DOMAIN: DomainSpec()}  # noqa: RUF012
    _event_type: ClassVar[str]

    @override
    def entity_filter(self, entities: set[str]) -> set[str]:
        """Only our rooms' event entities, whatever else the target's areas hold."""
        return room_entities(self._hass, super().entity_filter(entities))

    @override
    def is_valid_state(
        self, state: State, report_not_triggered: NotTriggeredReasonReporter
    ) -> bool:
        return state.attributes.get(ATTR_EVENT_TYPE) == self._event_type


class SessionStartedTrigger(_SessionTrigger):
    """Music started in the room (or a session began on music already playing)."""

    _event_type = EVENT_SESSION_STARTED


class SessionEndedTrigger(_SessionTrigger):
    """The room's session ended, optionally for one of the chosen reasons only."""

    _event_type = EVENT_SESSION_ENDED
    _schema = SESSION_ENDED_SCHEMA

    def __init__(self, hass: HomeAssistant, config: TriggerConfig) -> None:
        super().__init__(hass, config)
        self._reasons: set[str] | None = (
            set(self._options[CONF_REASON]) if self._options.get(CONF_REASON) else None
        )

    @override
    def is_valid_state(
        self, state: State, report_not_triggered: NotTriggeredReasonReporter
    ) -> bool:
        return super().is_valid_state(state, report_not_triggered) and (
            self._reasons is None or state.attributes.get(CONF_REASON) in self._reasons
        )


TRIGGERS: dict[str, type[Trigger]] = {
    "session_started": SessionStartedTrigger,
    "session_ended": SessionEndedTrigger,
}


async def async_get_triggers(hass: HomeAssistant) -> dict[str, type[Trigger]]:
    """The room triggers HA's automation editor offers."""
    return TRIGGERS
