"""Subentry flow: one motion sensor (room) of a Spotify account, added or reconfigured in the UI."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.helpers import selector
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import (
    CONF_COOLDOWN_MINUTES,
    CONF_FADE_OUT_SECONDS,
    CONF_FOLLOW_ME,
    CONF_MAX_SESSION_MINUTES,
    CONF_MIN_PRESENCE_SECONDS,
    CONF_MOTION_ENTITIES,
    CONF_ONLY_WHEN_IDLE,
    CONF_QUIET_DAYS,
    CONF_QUIET_END,
    CONF_QUIET_HOURS_ENABLED,
    CONF_QUIET_MODE,
    CONF_QUIET_START,
    CONF_QUIET_VOLUME,
    CONF_RESUME_MINUTES,
    CONF_SHUFFLE,
    CONF_SOURCE,
    CONF_SPOTIFY_DEVICE_ID,
    CONF_SPOTIFY_DEVICE_NAME,
    CONF_TIMEOUT_MINUTES,
    CONF_VOLUME,
    DEFAULTS,
    MOTION_DEVICE_CLASSES,
)
from .quiet_hours import WEEKDAYS, QuietMode
from .runtime import SpottyPottySenseConfigEntry
from .spotify_api import Playlist, SpotifyApiError, SpotifyDevice
from .spotify_uri import normalize_source


def _number(
    minimum: int, maximum: int, unit: str, *, slider: bool = False
) -> selector.NumberSelector:
    return selector.NumberSelector(
        selector.NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            unit_of_measurement=unit,
            mode=selector.NumberSelectorMode.SLIDER if slider else selector.NumberSelectorMode.BOX,
        )
    )


def _device_options(
    devices: list[SpotifyDevice], saved_id: str | None, saved_name: str | None
) -> list[selector.SelectOptionDict]:
    options = [
        selector.SelectOptionDict(value=device.device_id, label=f"{device.name} ({device.type})")
        for device in devices
        if device.device_id
    ]
    if saved_id and all(option["value"] != saved_id for option in options):
        options.append(
            selector.SelectOptionDict(value=saved_id, label=f"{saved_name or saved_id} (offline)")
        )
    return options


def validate_sensor_input(
    user_input: dict[str, Any], devices: dict[str, SpotifyDevice], saved: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check the form and return (subentry data, errors keyed by field)."""
    errors: dict[str, str] = {}
    data = {**user_input}
    data.pop(CONF_NAME, None)
    if not data.get(CONF_MOTION_ENTITIES):
        errors[CONF_MOTION_ENTITIES] = "no_entities"
    try:
        data[CONF_SOURCE] = normalize_source(data.get(CONF_SOURCE)) or ""
    except ValueError:
        errors[CONF_SOURCE] = "invalid_source"
    device_id = data.get(CONF_SPOTIFY_DEVICE_ID)
    if device_id in devices:
        data[CONF_SPOTIFY_DEVICE_NAME] = devices[device_id].name
    elif device_id is not None and device_id == saved.get(CONF_SPOTIFY_DEVICE_ID):
        # The saved speaker is asleep right now; keep it (it is found again by name later).
        data[CONF_SPOTIFY_DEVICE_NAME] = saved.get(CONF_SPOTIFY_DEVICE_NAME, "")
    else:
        errors[CONF_SPOTIFY_DEVICE_ID] = "device_missing"
    for key in (CONF_QUIET_START, CONF_QUIET_END):
        if data.get(key):
            # The time selector also accepts "HH:MM"; store "HH:MM:SS" as documented.
            data[key] = _parse_time(data[key])
        elif data.get(CONF_QUIET_HOURS_ENABLED):
            errors[key] = "quiet_times_required"
    if (
        data.get(CONF_QUIET_HOURS_ENABLED)
        and data.get(CONF_QUIET_MODE) == QuietMode.LOW_VOLUME
        and data.get(CONF_QUIET_VOLUME) is None
    ):
        errors[CONF_QUIET_VOLUME] = "quiet_volume_required"
    for key in (CONF_VOLUME, CONF_QUIET_VOLUME):
        if data.get(key) is not None:
            data[key] = int(data[key])
    for key in (
        CONF_TIMEOUT_MINUTES,
        CONF_COOLDOWN_MINUTES,
        CONF_MIN_PRESENCE_SECONDS,
        CONF_MAX_SESSION_MINUTES,
        CONF_RESUME_MINUTES,
        CONF_FADE_OUT_SECONDS,
    ):
        data[key] = int(data[key])
    # Every key of the public contract is stored; unset optional values are None.
    for key in (CONF_VOLUME, CONF_QUIET_START, CONF_QUIET_END, CONF_QUIET_VOLUME):
        data.setdefault(key, None)
    return data, errors


def _parse_time(value: str) -> str:
    # The time selector has validated the value already; keep it if it were ever unparsable.
    return parsed.isoformat() if (parsed := dt_util.parse_time(value)) is not None else value


class MotionSensorSubentryFlow(ConfigSubentryFlow):
    """Add or reconfigure a room: motion entities, speaker, what to play, timing, quiet hours."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a motion sensor."""
        return await self._async_step_sensor(user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a motion sensor; the running session continues with the new options."""
        return await self._async_step_sensor(user_input)

    async def _async_step_sensor(self, user_input: dict[str, Any] | None) -> SubentryFlowResult:
        entry: SpottyPottySenseConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        reconfiguring = self.source == "reconfigure"
        saved: dict[str, Any] = {}
        title = ""
        if reconfiguring:
            subentry = self._get_reconfigure_subentry()
            saved, title = dict(subentry.data), subentry.title
        client = entry.runtime_data.client
        try:
            devices = await client.devices()
            playlists = await client.playlists()
        except SpotifyApiError:
            return self.async_abort(reason="cannot_connect")
        by_id = {device.device_id: device for device in devices if device.device_id}

        errors: dict[str, str] = {}
        suggested: dict[str, Any] = {**DEFAULTS, **saved, CONF_NAME: title}
        if user_input is not None:
            data, errors = validate_sensor_input(user_input, by_id, saved)
            if not errors:
                if reconfiguring:
                    return self.async_update_and_abort(
                        entry,
                        self._get_reconfigure_subentry(),
                        title=user_input[CONF_NAME],
                        data=data,
                    )
                return self.async_create_entry(title=user_input[CONF_NAME], data=data)
            # Show what the user sent, as sent: a field they cleared stays empty.
            suggested = dict(user_input)

        schema = self._schema(devices, playlists, saved)
        return self.async_show_form(
            step_id="reconfigure" if reconfiguring else "user",
            data_schema=self.add_suggested_values_to_schema(
                schema, {key: value for key, value in suggested.items() if value is not None}
            ),
            errors=errors,
        )

    @staticmethod
    def _schema(
        devices: list[SpotifyDevice], playlists: list[Playlist], saved: dict[str, Any]
    ) -> vol.Schema:
        device_options = _device_options(
            devices, saved.get(CONF_SPOTIFY_DEVICE_ID), saved.get(CONF_SPOTIFY_DEVICE_NAME)
        )
        playlist_options = [
            selector.SelectOptionDict(value=playlist.uri, label=playlist.name)
            for playlist in playlists
        ]
        return vol.Schema(
            {
                vol.Required(CONF_NAME): selector.TextSelector(),
                vol.Required(CONF_MOTION_ENTITIES): selector.EntitySelector(
                    selector.EntitySelectorConfig(
                        filter=selector.EntityWithDeviceFilterSelectorConfig(
                            domain="binary_sensor", device_class=list(MOTION_DEVICE_CLASSES)
                        ),
                        multiple=True,
                    )
                ),
                vol.Required(CONF_SPOTIFY_DEVICE_ID): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=device_options, mode=selector.SelectSelectorMode.DROPDOWN
                    )
                ),
                vol.Optional(CONF_SOURCE): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=playlist_options,
                        custom_value=True,
                        mode=selector.SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Optional(CONF_VOLUME): _number(0, 100, "%", slider=True),
                vol.Required(CONF_SHUFFLE): selector.BooleanSelector(),
                vol.Required(CONF_TIMEOUT_MINUTES): _number(1, 120, "min"),
                vol.Required(CONF_COOLDOWN_MINUTES): _number(0, 60, "min"),
                vol.Required(CONF_MIN_PRESENCE_SECONDS): _number(0, 300, "s"),
                vol.Required(CONF_MAX_SESSION_MINUTES): _number(5, 600, "min"),
                vol.Required(CONF_ONLY_WHEN_IDLE): selector.BooleanSelector(),
                # Added later than the rest: a default keeps older forms and automations valid.
                vol.Required(CONF_FOLLOW_ME, default=False): selector.BooleanSelector(),
                vol.Required(CONF_RESUME_MINUTES, default=0): _number(0, 120, "min"),
                vol.Required(CONF_FADE_OUT_SECONDS, default=0): _number(0, 30, "s"),
                vol.Required(CONF_QUIET_HOURS_ENABLED): selector.BooleanSelector(),
                vol.Optional(CONF_QUIET_START): selector.TimeSelector(),
                vol.Optional(CONF_QUIET_END): selector.TimeSelector(),
                vol.Required(CONF_QUIET_DAYS): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=list(WEEKDAYS),
                        multiple=True,
                        translation_key="weekday",
                        mode=selector.SelectSelectorMode.LIST,
                    )
                ),
                vol.Required(CONF_QUIET_MODE): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=[mode.value for mode in QuietMode],
                        translation_key="quiet_mode",
                    )
                ),
                vol.Optional(CONF_QUIET_VOLUME): _number(0, 100, "%", slider=True),
            }
        )
