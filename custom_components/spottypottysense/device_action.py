"""Device actions of a room: start, stop, snooze (the integration's actions, aimed at it)."""

from __future__ import annotations

from typing import Final

from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_TYPE
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType, TemplateVarsType
import voluptuous as vol

from .const import DOMAIN
from .device_automation import is_room

CONF_DURATION: Final = "duration"
ACTIONS: Final = {
    "start_session": "start_session",
    "stop_session": "stop_session",
    "snooze": "snooze",
}

ACTION_SCHEMA = cv.DEVICE_ACTION_BASE_SCHEMA.extend(
    {
        vol.Required(CONF_TYPE): vol.In(ACTIONS),
        vol.Optional(CONF_DURATION): cv.positive_time_period_dict,
    }
)


async def async_get_actions(hass: HomeAssistant, device_id: str) -> list[dict[str, str]]:
    """The actions of a room's device."""
    if not is_room(hass, device_id):
        return []
    return [{CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id, CONF_TYPE: kind} for kind in ACTIONS]


async def async_get_action_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, vol.Schema]:
    """*Snooze* asks for how long."""
    if config[CONF_TYPE] != "snooze":
        return {}
    return {"extra_fields": vol.Schema({vol.Required(CONF_DURATION): cv.positive_time_period_dict})}


async def async_call_action_from_config(
    hass: HomeAssistant,
    config: ConfigType,
    variables: TemplateVarsType,
    context: Context | None,
) -> None:
    """Call the integration's action on this room (its errors and permissions apply)."""
    data: dict[str, object] = {CONF_DEVICE_ID: config[CONF_DEVICE_ID]}
    if config[CONF_TYPE] == "snooze":
        duration = config.get(CONF_DURATION)
        data[CONF_DURATION] = duration.total_seconds() if duration is not None else 0
    await hass.services.async_call(DOMAIN, config[CONF_TYPE], data, blocking=True, context=context)
