"""Device conditions of a room: a session is playing, quiet hours apply, the room is switched on."""

from __future__ import annotations

from typing import Final

from homeassistant.const import CONF_CONDITION, CONF_DEVICE_ID, CONF_DOMAIN, CONF_TYPE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.condition import ConditionCheckerType
from homeassistant.helpers.typing import ConfigType, TemplateVarsType
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN
from .controller import RoomController
from .device_automation import is_room, room_controller
from .engine import Status


def _playing(controller: RoomController) -> bool:
    return controller.status() is Status.PLAYING


def _quiet_hours(controller: RoomController) -> bool:
    return controller.engine.options.quiet_active(dt_util.utcnow())


def _enabled(controller: RoomController) -> bool:
    return controller.engine.state.enabled


CONDITIONS: Final = {"is_playing": _playing, "is_quiet_hours": _quiet_hours, "is_enabled": _enabled}

CONDITION_SCHEMA = cv.DEVICE_CONDITION_BASE_SCHEMA.extend(
    {vol.Required(CONF_TYPE): vol.In(CONDITIONS)}
)


async def async_get_conditions(hass: HomeAssistant, device_id: str) -> list[dict[str, str]]:
    """The conditions of a room's device."""
    if not is_room(hass, device_id):
        return []
    return [
        {CONF_CONDITION: "device", CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id, CONF_TYPE: kind}
        for kind in CONDITIONS
    ]


@callback
def async_condition_from_config(hass: HomeAssistant, config: ConfigType) -> ConditionCheckerType:
    """Check the room when the automation runs (false while its account is not loaded)."""
    check = CONDITIONS[config[CONF_TYPE]]
    device_id = config[CONF_DEVICE_ID]

    @callback
    def test(hass: HomeAssistant, variables: TemplateVarsType = None) -> bool:
        controller = room_controller(hass, device_id)
        return controller is not None and check(controller)

    return test
