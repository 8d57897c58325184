"""Device triggers of a room, for the automation editor: sessions starting, ending, moving, failing.

Each is the room's bus event filtered by its device (and, for *session ended*, optionally by the
reason). The trigger variables are the event's: `trigger.event.data.room`, `.session_id`,
`.reason`, `.moved_to`, `.error`, ...
"""

from __future__ import annotations

from typing import Final

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_EVENT_DATA,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers import selector
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from .const import DOMAIN, EVENT_PLAYBACK_FAILED, EVENT_SESSION_ENDED, EVENT_SESSION_STARTED
from .device_automation import is_room
from .records import EndReason

CONF_REASON: Final = "reason"

# Trigger type → (the bus event, the event data it must carry besides the device).
TRIGGERS: Final[dict[str, tuple[str, dict[str, object]]]] = {
    "session_started": (EVENT_SESSION_STARTED, {}),
    "session_ended": (EVENT_SESSION_ENDED, {}),
    "music_moved_here": (EVENT_SESSION_STARTED, {"moved": True}),
    "music_moved_away": (EVENT_SESSION_ENDED, {CONF_REASON: str(EndReason.MOVED)}),
    "playback_failed": (EVENT_PLAYBACK_FAILED, {}),
}

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        vol.Required(CONF_TYPE): vol.In(TRIGGERS),
        vol.Optional(CONF_REASON): vol.In([str(reason) for reason in EndReason]),
    }
)


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, str]]:
    """The triggers of a room's device (none for the account's service device)."""
    if not is_room(hass, device_id):
        return []
    return [
        {CONF_PLATFORM: "device", CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id, CONF_TYPE: kind}
        for kind in TRIGGERS
    ]


async def async_get_trigger_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, vol.Schema]:
    """*Session ended* may be narrowed to one reason (timeout, longest session, manual, ...)."""
    if config[CONF_TYPE] != "session_ended":
        return {}
    return {
        "extra_fields": vol.Schema(
            {
                vol.Optional(CONF_REASON): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=[str(reason) for reason in EndReason],
                        translation_key="end_reason",
                        mode=selector.SelectSelectorMode.DROPDOWN,
                    )
                )
            }
        )
    }


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen for the room's event."""
    event_type, data = TRIGGERS[config[CONF_TYPE]]
    event_data = {CONF_DEVICE_ID: config[CONF_DEVICE_ID], **data}
    if CONF_REASON in config:
        event_data[CONF_REASON] = config[CONF_REASON]
    event_config = event_trigger.TRIGGER_SCHEMA(
        {
            CONF_PLATFORM: "event",
            event_trigger.CONF_EVENT_TYPE: f"{DOMAIN}_{event_type}",
            CONF_EVENT_DATA: event_data,
        }
    )
    return await event_trigger.async_attach_trigger(
        hass, event_config, action, trigger_info, platform_type="device"
    )
