"""Subentry flow: one room of a Spotify account, added or reconfigured in the UI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from homeassistant.components.media_player.const import (
    DOMAIN as MEDIA_PLAYER_DOMAIN,
    MediaPlayerEntityFeature,
)
from homeassistant.config_entries import ConfigEntryState, SubentryFlowResult
from homeassistant.const import ATTR_SUPPORTED_FEATURES, CONF_NAME, Platform
from homeassistant.core import HomeAssistant, split_entity_id, valid_entity_id
from homeassistant.data_entry_flow import section
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    selector,
)
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import (
    CONF_APPROACH_ENTITIES,
    CONF_APPROACH_WINDOW_SECONDS,
    CONF_AREA,
    CONF_COOLDOWN_MINUTES,
    CONF_FADE_OUT_SECONDS,
    CONF_FOLLOW_MODE,
    CONF_MAX_SESSION_MINUTES,
    CONF_MEDIA_PLAYER_ENTITY,
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
    CONF_SOURCE_NAME,
    CONF_SPOTIFY_DEVICE_ID,
    CONF_SPOTIFY_DEVICE_NAME,
    CONF_TIMEOUT_MINUTES,
    CONF_VOLUME,
    CONF_WAKE_ENTITY,
    CONF_WINDOWS,
    DEFAULTS,
    MOTION_DEVICE_CLASSES,
)
from .options import FollowMode, parse_follow_mode
from .quiet_hours import WEEKDAYS, QuietMode
from .runtime import SpottyPottySenseConfigEntry
from .speaker import SpeakerKind
from .speaker_factory import speaker_kind
from .spotify_api import Playlist, SpotifyApiError, SpotifyDevice
from .spotify_uri import normalize_source
from .time_windows import (
    QUIET_WINDOW_ID,
    first_overlap,
    parse_windows,
    quiet_fields,
    with_quiet_window,
)
from .window_flow import (
    FormNumberSelector,
    HourMinuteSelector,
    WindowSteps,
    async_source_name,
    source_selector,
    whole_number,
)

# The number fields' bounds: the form's selectors show them, validate_room_input enforces them.
NUMBER_BOUNDS: dict[str, tuple[int, int]] = {
    CONF_VOLUME: (0, 100),
    CONF_QUIET_VOLUME: (0, 100),
    CONF_TIMEOUT_MINUTES: (1, 120),
    CONF_COOLDOWN_MINUTES: (0, 60),
    CONF_MIN_PRESENCE_SECONDS: (0, 300),
    CONF_APPROACH_WINDOW_SECONDS: (5, 120),
    CONF_MAX_SESSION_MINUTES: (5, 600),
    CONF_RESUME_MINUTES: (0, 120),
    CONF_FADE_OUT_SECONDS: (0, 30),
}
_OPTIONAL_NUMBERS = (CONF_VOLUME, CONF_QUIET_VOLUME)

# The room form's sections and the stored keys each holds (the stored data stays flat).
SECTION_SPEAKER = "speaker"
SECTION_TIMING = "timing"
SECTION_QUIET_HOURS = "quiet_hours"
SECTIONS: dict[str, tuple[str, ...]] = {
    SECTION_SPEAKER: (
        CONF_SPOTIFY_DEVICE_ID,
        CONF_WAKE_ENTITY,
        CONF_MEDIA_PLAYER_ENTITY,
        CONF_SOURCE,
        CONF_VOLUME,
        CONF_SHUFFLE,
        CONF_ONLY_WHEN_IDLE,
        CONF_FOLLOW_MODE,
        CONF_RESUME_MINUTES,
    ),
    SECTION_TIMING: (
        CONF_TIMEOUT_MINUTES,
        CONF_COOLDOWN_MINUTES,
        CONF_MIN_PRESENCE_SECONDS,
        CONF_MAX_SESSION_MINUTES,
        CONF_FADE_OUT_SECONDS,
        CONF_APPROACH_ENTITIES,
        CONF_APPROACH_WINDOW_SECONDS,
    ),
    SECTION_QUIET_HOURS: (
        CONF_QUIET_HOURS_ENABLED,
        CONF_QUIET_START,
        CONF_QUIET_END,
        CONF_QUIET_DAYS,
        CONF_QUIET_MODE,
        CONF_QUIET_VOLUME,
    ),
}
_SECTION_OF = {key: name for name, keys in SECTIONS.items() for key in keys}


def flattened(user_input: dict[str, Any]) -> dict[str, Any]:
    """The form's answer with its sections merged into the flat keys subentries store."""
    flat = {key: value for key, value in user_input.items() if key not in SECTIONS}
    for name in SECTIONS:
        part = user_input.get(name)
        if isinstance(part, dict):
            flat.update(part)
    return flat


def errors_by_section(errors: dict[str, str]) -> dict[str, Any]:
    """The errors, plus each section's own: what HA's frontend shows above that section.

    HA's form shows an error only for the items of its top level (as an alert above the item);
    it hands a section nothing, so a field's error inside a section would never be seen. Each
    section therefore also carries its fields' error keys (one, or a list, which the frontend
    translates each); the field's own key is kept for API clients and tests.
    """
    shown: dict[str, Any] = dict(errors)
    for name, keys in SECTIONS.items():
        # Each message once: quiet hours without start and end say so once, not twice.
        found = list(dict.fromkeys(errors[key] for key in keys if key in errors))
        if found:
            shown[name] = found[0] if len(found) == 1 else found
    return shown


def sectioned(flat: dict[str, Any]) -> dict[str, Any]:
    """Flat values placed in the form's sections (suggested values, tests driving the form)."""
    nested: dict[str, Any] = {name: {} for name in SECTIONS}
    for key, value in flat.items():
        if (name := _SECTION_OF.get(key)) is not None:
            nested[name][key] = value
        else:
            nested[key] = value
    return nested


def number_error(field: str) -> str:
    """The translated error of a number field out of range (it names the field and range)."""
    return f"{field}_out_of_range"


def _number(field: str, unit: str, *, slider: bool = False) -> selector.NumberSelector:
    minimum, maximum = NUMBER_BOUNDS[field]
    return FormNumberSelector(
        selector.NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            unit_of_measurement=unit,
            mode=selector.NumberSelectorMode.SLIDER if slider else selector.NumberSelectorMode.BOX,
        )
    )


NO_SPEAKER: Final = ""
_NO_SPEAKER_OPTION = selector.SelectOptionDict(value=NO_SPEAKER, label="—")


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


def _motion_entities(hass: HomeAssistant, chosen: list[str]) -> tuple[list[str], str | None]:
    """The chosen entities as entity ids, and the error key if one is missing or not fit.

    An entity counts as existing if it has a state or a registry entry (an unavailable sensor
    is fine); the entity selector also sends registry ids, resolved here to entity ids.
    """
    if not chosen:
        return [], "no_entities"
    registry = er.async_get(hass)
    entity_ids: list[str] = []
    for item in chosen:
        registered = registry.async_get(item)
        entity_id = registered.entity_id if registered is not None else item
        if not valid_entity_id(entity_id):
            return [], "entity_not_found"
        if split_entity_id(entity_id)[0] != Platform.BINARY_SENSOR:
            return [], "not_a_binary_sensor"
        if registered is None and hass.states.get(entity_id) is None:
            return [], "entity_not_found"
        entity_ids.append(entity_id)
    return list(dict.fromkeys(entity_ids)), None


def shared_area(hass: HomeAssistant, entity_ids: list[str]) -> str | None:
    """The area all these entities are in (their own, or their device's), if they share one."""
    entities, devices = er.async_get(hass), dr.async_get(hass)
    areas: set[str | None] = set()
    for entity_id in entity_ids:
        entry = entities.async_get(entity_id)
        area = entry.area_id if entry is not None else None
        if area is None and entry is not None and entry.device_id is not None:
            device = devices.async_get(entry.device_id)
            area = device.area_id if device is not None else None
        areas.add(area)
    return next(iter(areas)) if len(areas) == 1 else None


def validate_room_input(
    hass: HomeAssistant,
    user_input: dict[str, Any],
    devices: dict[str, SpotifyDevice],
    saved: dict[str, Any],
    *,
    kind: SpeakerKind = SpeakerKind.SPOTIFY,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check the form and return (subentry data, errors keyed by field).

    The media player checks need Home Assistant's states: `validate_speaker_entities`.
    """
    errors: dict[str, str] = {}
    data = {**user_input}
    if not str(data.pop(CONF_NAME, "")).strip():
        errors[CONF_NAME] = "name_required"
    data[CONF_MOTION_ENTITIES], entities_error = _motion_entities(
        hass, data.get(CONF_MOTION_ENTITIES) or []
    )
    if entities_error is not None:
        errors[CONF_MOTION_ENTITIES] = entities_error
    approach = data.get(CONF_APPROACH_ENTITIES) or []
    data[CONF_APPROACH_ENTITIES] = []
    if approach:
        data[CONF_APPROACH_ENTITIES], approach_error = _motion_entities(hass, approach)
        if approach_error is not None:
            errors[CONF_APPROACH_ENTITIES] = approach_error
    area = data.get(CONF_AREA) or None
    if area is not None and ar.async_get(hass).async_get_area(area) is None:
        errors[CONF_AREA] = "area_not_found"
    # Left empty: the area the motion sensors share (the room is where its sensors are).
    data[CONF_AREA] = area or shared_area(hass, data[CONF_MOTION_ENTITIES])
    try:
        data[CONF_SOURCE] = normalize_source(data.get(CONF_SOURCE)) or ""
    except ValueError:
        errors[CONF_SOURCE] = "invalid_source"
    if kind is SpeakerKind.SPOTIFY:
        _validate_spotify_device(data, devices, saved, errors)
    else:
        # Exactly one speaker: a media player room has no Spotify Connect device (and no wake).
        for key in (CONF_SPOTIFY_DEVICE_ID, CONF_SPOTIFY_DEVICE_NAME, CONF_WAKE_ENTITY):
            data.pop(key, None)
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
    for key, bounds in NUMBER_BOUNDS.items():
        if key in _OPTIONAL_NUMBERS and data.get(key) is None:
            continue
        if key not in data:
            continue  # older rooms (and API clients) may leave out the newer options
        if (number := whole_number(data[key], bounds)) is None:
            errors[key] = number_error(key)
        else:
            data[key] = number
    # Every key of the public contract is stored; unset optional values are None.
    for key in (CONF_VOLUME, CONF_QUIET_START, CONF_QUIET_END, CONF_QUIET_VOLUME):
        data.setdefault(key, None)
    return data, errors


def store_quiet_window(
    data: dict[str, Any], saved: Mapping[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """The form's quiet hours stored as the room's quiet time window, its other windows kept.

    Returns the data to store, and the name of a time window the quiet hours would overlap
    (then nothing is to be stored).
    """
    stored = with_quiet_window({**data, CONF_WINDOWS: list(saved.get(CONF_WINDOWS) or [])})
    windows = parse_windows(stored[CONF_WINDOWS])
    quiet = next((w for w in windows if w.window_id == QUIET_WINDOW_ID), None)
    if quiet is not None:
        others = [w for w in windows if w.window_id != QUIET_WINDOW_ID]
        if (overlap := first_overlap(quiet.hours, others)) is not None:
            return data, overlap.name
    return stored, None


def _validate_spotify_device(
    data: dict[str, Any],
    devices: dict[str, SpotifyDevice],
    saved: dict[str, Any],
    errors: dict[str, str],
) -> None:
    data.pop(CONF_MEDIA_PLAYER_ENTITY, None)
    data[CONF_WAKE_ENTITY] = data.get(CONF_WAKE_ENTITY) or None
    device_id = data.get(CONF_SPOTIFY_DEVICE_ID) or None  # the empty entry: no choice
    data.pop(CONF_SPOTIFY_DEVICE_ID, None)
    if device_id is not None:
        data[CONF_SPOTIFY_DEVICE_ID] = device_id
    if device_id in devices:
        data[CONF_SPOTIFY_DEVICE_NAME] = devices[device_id].name
    elif device_id is not None and device_id == saved.get(CONF_SPOTIFY_DEVICE_ID):
        # The saved speaker is asleep right now; keep it (it is found again by name later).
        data[CONF_SPOTIFY_DEVICE_NAME] = saved.get(CONF_SPOTIFY_DEVICE_NAME, "")
    elif device_id is None:
        errors[CONF_SPOTIFY_DEVICE_ID] = "device_required"
    else:
        errors[CONF_SPOTIFY_DEVICE_ID] = "device_missing"


def validate_speaker_entities(
    hass: HomeAssistant, data: dict[str, Any], kind: SpeakerKind
) -> dict[str, str]:
    """The media player must exist and play media; a wake entity must be a media player.

    The selectors filter these already, but the flow can also be driven through the API.
    """
    errors: dict[str, str] = {}
    if kind is SpeakerKind.MEDIA_PLAYER:
        entity_id = data.get(CONF_MEDIA_PLAYER_ENTITY)
        state = hass.states.get(entity_id) if isinstance(entity_id, str) else None
        if state is None or state.domain != MEDIA_PLAYER_DOMAIN:
            errors[CONF_MEDIA_PLAYER_ENTITY] = "player_not_found"
        elif not int(state.attributes.get(ATTR_SUPPORTED_FEATURES) or 0) & (
            MediaPlayerEntityFeature.PLAY_MEDIA
        ):
            errors[CONF_MEDIA_PLAYER_ENTITY] = "player_cannot_play_media"
    elif (wake := data.get(CONF_WAKE_ENTITY)) is not None:
        state = hass.states.get(wake) if isinstance(wake, str) else None
        if state is None or state.domain != MEDIA_PLAYER_DOMAIN:
            errors[CONF_WAKE_ENTITY] = "player_not_found"
    return errors


def _saved_follow_mode(saved: Mapping[str, Any]) -> FollowMode:
    try:
        return parse_follow_mode(saved)
    except ValueError:
        return FollowMode.OWN


def _parse_time(value: str) -> str:
    # The time selector has validated the value already; keep it if it were ever unparsable.
    return parsed.isoformat() if (parsed := dt_util.parse_time(value)) is not None else value


class RoomSubentryFlow(WindowSteps):
    """Add or reconfigure a room: motion entities, speaker, what to play, timing, quiet hours."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a room: first the kind of speaker it plays on."""
        return self._speaker_menu("user")

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a room (also its kind of speaker); the session continues."""
        return self._speaker_menu("reconfigure")

    def _speaker_menu(self, step_id: str) -> SubentryFlowResult:
        if self._get_entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        options = [kind.value for kind in SpeakerKind]
        if step_id == "reconfigure":
            options.append("windows")  # the room's time windows (window_flow.py)
        return self.async_show_menu(step_id=step_id, menu_options=options)

    async def async_step_spotify(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The room's options, playing on a Spotify Connect device."""
        return await self._async_step_room(user_input, SpeakerKind.SPOTIFY)

    async def async_step_media_player(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The room's options, playing on a Home Assistant media player."""
        return await self._async_step_room(user_input, SpeakerKind.MEDIA_PLAYER)

    async def _async_step_room(
        self, user_input: dict[str, Any] | None, kind: SpeakerKind
    ) -> SubentryFlowResult:
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
            devices = await client.devices() if kind is SpeakerKind.SPOTIFY else []
            playlists = await client.playlists()
        except SpotifyApiError:
            return self.async_abort(reason="cannot_connect")
        by_id = {device.device_id: device for device in devices if device.device_id}

        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        suggested: dict[str, Any] = {**DEFAULTS, **saved, CONF_NAME: title}
        if saved:
            # A room saved before the follow mode had the "music follows you" switch.
            suggested[CONF_FOLLOW_MODE] = str(_saved_follow_mode(saved))
        if CONF_WINDOWS in saved:
            # Quiet hours are stored as the quiet time window; the form shows its fields.
            suggested.update(quiet_fields(saved))
        if saved and speaker_kind(saved) is not kind:
            # Switching kinds: nothing of the other kind's speaker is offered.
            for key in (CONF_SPOTIFY_DEVICE_ID, CONF_MEDIA_PLAYER_ENTITY, CONF_WAKE_ENTITY):
                suggested.pop(key, None)
        if user_input is not None:
            flat = flattened(user_input)
            data, errors = validate_room_input(self.hass, flat, by_id, saved, kind=kind)
            errors.update(validate_speaker_entities(self.hass, data, kind))
            if not errors:
                data, overlap = store_quiet_window(data, saved)
                if overlap is not None:
                    errors[CONF_QUIET_START] = "quiet_overlaps_window"
                    placeholders["window"] = overlap
            if not errors:
                saved_name = saved.get(CONF_SOURCE_NAME)
                data[CONF_SOURCE_NAME] = await async_source_name(
                    client,
                    data.get(CONF_SOURCE) or None,
                    playlists,
                    saved.get(CONF_SOURCE),
                    saved_name if isinstance(saved_name, str) else None,
                )
                if reconfiguring:
                    return self.async_update_and_abort(
                        entry,
                        self._get_reconfigure_subentry(),
                        title=flat[CONF_NAME],
                        data=data,
                    )
                return self.async_create_entry(title=flat[CONF_NAME], data=data)
            # Show what the user sent, as sent: a field they cleared stays empty.
            suggested = flat

        schema = self._schema(
            devices,
            playlists,
            saved,
            kind,
            quiet_open=bool(suggested.get(CONF_QUIET_HOURS_ENABLED)),
        )
        return self.async_show_form(
            step_id=kind.value,
            data_schema=self.add_suggested_values_to_schema(
                schema,
                sectioned({key: value for key, value in suggested.items() if value is not None}),
            ),
            errors=cast("dict[str, str]", errors_by_section(errors)),
            description_placeholders={"window": "", **placeholders},
        )

    @staticmethod
    def _schema(
        devices: list[SpotifyDevice],
        playlists: list[Playlist],
        saved: dict[str, Any],
        kind: SpeakerKind,
        *,
        quiet_open: bool,
    ) -> vol.Schema:
        """Name and motion sensors on top; Speaker and music, Timing and Quiet hours in sections."""
        speaker: dict[vol.Marker, Any]
        if kind is SpeakerKind.SPOTIFY:
            device_options = _device_options(
                devices, saved.get(CONF_SPOTIFY_DEVICE_ID), saved.get(CONF_SPOTIFY_DEVICE_NAME)
            )
            speaker = {
                # Required (the form marks it), starting on an empty entry: without a default the
                # frontend would preselect the first speaker. validate_room_input refuses "".
                vol.Required(CONF_SPOTIFY_DEVICE_ID, default=NO_SPEAKER): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=[_NO_SPEAKER_OPTION, *device_options],
                        mode=selector.SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Optional(CONF_WAKE_ENTITY): selector.EntitySelector(
                    selector.EntitySelectorConfig(domain=MEDIA_PLAYER_DOMAIN)
                ),
            }
        else:
            speaker = {
                vol.Required(CONF_MEDIA_PLAYER_ENTITY): selector.EntitySelector(
                    selector.EntitySelectorConfig(
                        filter=selector.EntityWithDeviceFilterSelectorConfig(
                            domain=MEDIA_PLAYER_DOMAIN,
                            supported_features=["media_player.MediaPlayerEntityFeature.PLAY_MEDIA"],
                        )
                    )
                ),
            }
        speaker_and_music = vol.Schema(
            {
                **speaker,
                vol.Optional(CONF_SOURCE): source_selector(
                    playlists, saved.get(CONF_SOURCE), saved.get(CONF_SOURCE_NAME)
                ),
                # A box, not a slider: empty reads as "keep the speaker's volume", not as 0.
                vol.Optional(CONF_VOLUME): _number(CONF_VOLUME, "%"),
                vol.Required(CONF_SHUFFLE): selector.BooleanSelector(),
                vol.Required(CONF_ONLY_WHEN_IDLE): selector.BooleanSelector(),
                # Added later than the rest: a default keeps older forms and automations valid.
                vol.Required(CONF_FOLLOW_MODE, default=FollowMode.OWN): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=[str(mode) for mode in FollowMode],
                        mode=selector.SelectSelectorMode.LIST,
                        translation_key=CONF_FOLLOW_MODE,
                    )
                ),
                vol.Required(CONF_RESUME_MINUTES, default=0): _number(CONF_RESUME_MINUTES, "min"),
            }
        )
        timing = vol.Schema(
            {
                vol.Required(CONF_TIMEOUT_MINUTES): _number(CONF_TIMEOUT_MINUTES, "min"),
                vol.Required(CONF_COOLDOWN_MINUTES): _number(CONF_COOLDOWN_MINUTES, "min"),
                vol.Required(CONF_MIN_PRESENCE_SECONDS): _number(CONF_MIN_PRESENCE_SECONDS, "s"),
                vol.Required(CONF_MAX_SESSION_MINUTES): _number(CONF_MAX_SESSION_MINUTES, "min"),
                vol.Required(CONF_FADE_OUT_SECONDS, default=0): _number(CONF_FADE_OUT_SECONDS, "s"),
                # Someone seen coming (the hallway, the door): read ahead, start in one request.
                vol.Optional(CONF_APPROACH_ENTITIES): selector.EntitySelector(
                    selector.EntitySelectorConfig(domain="binary_sensor", multiple=True)
                ),
                vol.Required(CONF_APPROACH_WINDOW_SECONDS, default=30): _number(
                    CONF_APPROACH_WINDOW_SECONDS, "s"
                ),
            }
        )
        quiet_hours = vol.Schema(
            {
                vol.Required(CONF_QUIET_HOURS_ENABLED): selector.BooleanSelector(),
                vol.Optional(CONF_QUIET_START): HourMinuteSelector(),
                vol.Optional(CONF_QUIET_END): HourMinuteSelector(),
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
                vol.Optional(CONF_QUIET_VOLUME): _number(CONF_QUIET_VOLUME, "%"),
            }
        )
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
                vol.Optional(CONF_AREA): selector.AreaSelector(),
                vol.Required(SECTION_SPEAKER): section(speaker_and_music),
                vol.Required(SECTION_TIMING): section(timing),
                vol.Required(SECTION_QUIET_HOURS): section(
                    quiet_hours, {"collapsed": not quiet_open}
                ),
            }
        )
