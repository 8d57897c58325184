"""The integration's actions, registered once in async_setup and aimed at room devices."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, cast

from homeassistant.auth.models import User
from homeassistant.auth.permissions.const import POLICY_CONTROL, POLICY_READ
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_AREA_ID,
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    ATTR_FLOOR_ID,
    ATTR_LABEL_ID,
    Platform,
)
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError, Unauthorized, UnknownUser
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.target import TargetSelection, async_extract_referenced_entity_ids
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType
import voluptuous as vol

from .const import DOMAIN
from .controller import Outcome, RoomController
from .history import select
from .runtime import SpottyPottySenseConfigEntry

SERVICE_TRIGGER_MOTION = "trigger_motion"
SERVICE_START_SESSION = "start_session"
SERVICE_STOP_SESSION = "stop_session"
SERVICE_SNOOZE = "snooze"
SERVICE_GET_SESSIONS = "get_sessions"

ATTR_DURATION = "duration"
ATTR_START = "start"
ATTR_END = "end"

MAX_SNOOZE = timedelta(days=7)


TARGET_SCHEMA = vol.Schema(cv.TARGET_SERVICE_FIELDS)
SNOOZE_SCHEMA = TARGET_SCHEMA.extend(
    {
        vol.Required(ATTR_DURATION): vol.All(
            cv.time_period, vol.Range(min=timedelta(0), max=MAX_SNOOZE)
        )
    }
)
GET_SESSIONS_SCHEMA = TARGET_SCHEMA.extend(
    {vol.Optional(ATTR_START): cv.datetime, vol.Optional(ATTR_END): cv.datetime}
)


def _refusing_crashes(schema: vol.Schema) -> vol.All:
    """The schema, with the few values HA's validators crash on refused like any bad value.

    `entity_id: false` raises TypeError in HA's target validators, and a huge duration raises
    OverflowError in `cv.time_period`; the caller should get "invalid data", not a traceback.
    """

    def validate(value: Any) -> Any:
        try:
            return schema(value)
        except (TypeError, OverflowError) as err:
            raise vol.Invalid(f"invalid action data: {err}") from err

    return vol.All(validate)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions."""

    async def _trigger_motion(call: ServiceCall) -> None:
        for controller in await _controlled(hass, call):
            controller.trigger_motion()

    async def _start_session(call: ServiceCall) -> None:
        controllers = await _controlled(hass, call)
        disabled = [c.name for c in controllers if not c.engine.state.enabled]
        if disabled:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="room_disabled",
                translation_placeholders={"rooms": ", ".join(disabled)},
            )
        await _outcomes({c: c.start_session() for c in controllers})

    async def _stop_session(call: ServiceCall) -> None:
        await _outcomes({c: c.stop_session() for c in await _controlled(hass, call)})

    async def _snooze(call: ServiceCall) -> None:
        for controller in await _controlled(hass, call):
            controller.snooze(call.data[ATTR_DURATION])

    async def _get_sessions(call: ServiceCall) -> ServiceResponse:
        start = _aware(call.data.get(ATTR_START))
        end = _aware(call.data.get(ATTR_END))
        if start is not None and end is not None and end < start:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="invalid_time_range"
            )
        has_target = any(key in call.data for key in cv.TARGET_SERVICE_FIELDS)
        user = await _restricted_user(hass, call)
        if has_target:
            controllers = _targeted(hass, call)
            _check_permission(hass, call, user, controllers, POLICY_READ)
        else:  # every room the user may see
            controllers = [
                controller
                for controller in _all_controllers(hass)
                if user is None or _may(hass, user, controller, POLICY_READ)[0]
            ]
        sessions: list[dict[str, Any]] = []
        for controller in controllers:
            device_id = controller.device_id  # one registry look-up per room, not per record
            for record in select(controller.records(), start, end):
                item = record.to_dict()
                # The record's device is the Spotify speaker; device_id is the room's HA device.
                item["spotify_device_id"] = item.pop("device_id")
                sessions.append(
                    {
                        "device_id": device_id,
                        "room": controller.name,
                        "sensor": controller.name,  # the same, kept for older automations
                        **item,
                        "duration": round(record.duration.total_seconds()),
                    }
                )
        sessions.sort(key=lambda item: str(item["started"]))
        return {"sessions": cast("list[JsonValueType]", sessions)}

    for name, handler, schema in (
        (SERVICE_TRIGGER_MOTION, _trigger_motion, TARGET_SCHEMA),
        (SERVICE_START_SESSION, _start_session, TARGET_SCHEMA),
        (SERVICE_STOP_SESSION, _stop_session, TARGET_SCHEMA),
        (SERVICE_SNOOZE, _snooze, SNOOZE_SCHEMA),
    ):
        hass.services.async_register(DOMAIN, name, handler, schema=_refusing_crashes(schema))
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_SESSIONS,
        _get_sessions,
        schema=_refusing_crashes(GET_SESSIONS_SCHEMA),
        supports_response=SupportsResponse.ONLY,
    )


async def _outcomes(calls: dict[RoomController, list[asyncio.Task[Outcome]]]) -> None:
    """Wait for every room's speaker calls (bounded); raise the first failure, translated.

    Every room is waited for before raising, so one room's error never hides another's
    still running.
    """
    results = await asyncio.gather(
        *(controller.async_outcome(tasks) for controller, tasks in calls.items()),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt_util.get_default_time_zone())


async def _restricted_user(hass: HomeAssistant, call: ServiceCall) -> User | None:
    """The non-admin user behind the call; None when no permission applies.

    Calls without a user (automations, scripts run by the system) and admins may act on every
    room, as with HA's own entity actions.
    """
    if call.context.user_id is None:
        return None
    user = await hass.auth.async_get_user(call.context.user_id)
    if user is None:
        raise UnknownUser(context=call.context)
    return None if user.is_admin else user


def _may(
    hass: HomeAssistant, user: User, controller: RoomController, policy: str
) -> tuple[bool, str | None]:
    """Whether the user may act on the room, and the entity that decided it.

    Controlling a room takes control of its own controls (its switch and its stop button),
    reading it takes read access to any of its entities: the same permissions its entities
    have in HA, so an action cannot do what the room's entities would refuse.
    """
    entities = (
        []
        if controller.device_id is None
        else er.async_entries_for_device(er.async_get(hass), controller.device_id)
    )
    check = user.permissions.check_entity
    if policy == POLICY_CONTROL:
        controls = [e.entity_id for e in entities if e.domain in (Platform.SWITCH, Platform.BUTTON)]
        for entity_id in controls:
            if not check(entity_id, policy):
                return False, entity_id
        return bool(controls), None
    if any(check(entry.entity_id, policy) for entry in entities):
        return True, None
    return False, entities[0].entity_id if entities else None


def _check_permission(
    hass: HomeAssistant,
    call: ServiceCall,
    user: User | None,
    controllers: list[RoomController],
    policy: str,
) -> None:
    """Refuse the whole call with HA's Unauthorized if one targeted room is not allowed."""
    if user is None:
        return
    for controller in controllers:
        allowed, entity_id = _may(hass, user, controller, policy)
        if not allowed:
            raise Unauthorized(context=call.context, entity_id=entity_id, permission=policy)


async def _controlled(hass: HomeAssistant, call: ServiceCall) -> list[RoomController]:
    """The targeted rooms, if the caller may control every one of them."""
    controllers = _targeted(hass, call)
    _check_permission(hass, call, await _restricted_user(hass, call), controllers, POLICY_CONTROL)
    return controllers


def _all_controllers(hass: HomeAssistant) -> list[RoomController]:
    entries: list[SpottyPottySenseConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    return [c for entry in entries for c in entry.runtime_data.manager.controllers.values()]


def _targeted(hass: HomeAssistant, call: ServiceCall) -> list[RoomController]:
    """Return the rooms an action targets (devices, their entities or areas); at least one."""
    selected = async_extract_referenced_entity_ids(hass, TargetSelection(call.data))
    device_ids = set(selected.referenced_devices)
    entity_registry = er.async_get(hass)
    for entity_id in selected.referenced | selected.indirectly_referenced:
        if (entity := entity_registry.async_get(entity_id)) and entity.device_id:
            device_ids.add(entity.device_id)
    device_registry = dr.async_get(hass)
    controllers: dict[str, RoomController] = {}
    for device_id in device_ids:
        device = device_registry.async_get(device_id)
        if device is None or device.config_subentry_id is None:
            continue
        entry = hass.config_entries.async_get_entry(device.config_entry_id)
        if entry is None or entry.domain != DOMAIN:
            continue
        if entry.state is not ConfigEntryState.LOADED:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"account": entry.title},
            )
        typed: SpottyPottySenseConfigEntry = entry
        controller = typed.runtime_data.manager.controllers.get(device.config_subentry_id)
        if controller is not None:
            controllers[controller.subentry_id] = controller
    if not controllers:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_room_targeted",
            translation_placeholders={"target": _describe(call.data)},
        )
    return list(controllers.values())


def _describe(data: Any) -> str:
    """The target as the user gave it, for the error message."""
    parts = []
    for key in (ATTR_DEVICE_ID, ATTR_ENTITY_ID, ATTR_AREA_ID, ATTR_FLOOR_ID, ATTR_LABEL_ID):
        value = data.get(key)
        if value:
            ids = [value] if isinstance(value, str) else list(value)
            parts.append(f"{key} {', '.join(map(str, ids))}")
    return "; ".join(parts) or "nothing"
