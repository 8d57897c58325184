"""The room's *Time windows*, from its Reconfigure menu: add, change or remove a window.

One small form per window (name, hours, days, and what plays then), reached from a menu that
lists the room's windows. The quiet window is edited in the room form's *Quiet hours* section,
so it is not listed here; every other window is checked against it for overlaps too.
"""

from __future__ import annotations

from dataclasses import replace
import math
from typing import Any, Final
from uuid import uuid4

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.helpers import selector
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import CONF_SOURCE, CONF_VOLUME, CONF_WINDOWS
from .quiet_hours import WEEKDAYS, QuietHours
from .runtime import SpottyPottySenseConfigEntry
from .session_calendar import source_title
from .spotify_api import Playlist, SpotifyApiError, SpotifyClient
from .spotify_uri import normalize_source
from .time_windows import (
    MAX_NAME_LENGTH,
    MAX_WINDOWS,
    QUIET_WINDOW_ID,
    TimeWindow,
    WindowMode,
    first_overlap,
    parse_windows,
)

CONF_START: Final = "start"
CONF_END: Final = "end"
CONF_DAYS: Final = "days"
CONF_MODE: Final = "mode"
CONF_SHUFFLE_CHOICE: Final = "shuffle"
CONF_WINDOW: Final = "window"
CONF_REMOVE: Final = "remove"
SHUFFLE_CHOICES: Final = ("room", "on", "off")  # the room's setting, or the window's own
_SHUFFLE_VALUE: Final[dict[str, bool | None]] = {"room": None, "on": True, "off": False}


class HourMinuteSelector(selector.TimeSelector):
    """A time of day without seconds (windows and quiet hours are set to the minute).

    HA's frontend time picker hides its seconds field with ``no_second``, but the 2026.10
    backend schema of the time selector has no such option; it is added when serialised only.
    """

    def serialize(self) -> dict[str, dict[str, Any]]:
        """The time selector, told to show hours and minutes only."""
        return {"selector": {self.selector_type: {**self.config, "no_second": True}}}


class FormNumberSelector(selector.NumberSelector):
    """A number box whose range the frontend shows, and the room form checks itself.

    HA's own check of the range would fail the whole form with an untranslated message at its
    top ("Value 150.0 is too large at 'speaker.volume'"); the form's check names the field and
    its range, in the user's language, above the field's section.
    """

    def __call__(self, data: Any) -> float:
        """Only a number; its range and whole-ness are checked by validate_room_input."""
        value: float = vol.Coerce(float)(data)
        return value


def source_selector(
    playlists: list[Playlist], saved_source: str | None, saved_name: str | None
) -> selector.SelectSelector:
    """The user's playlists, a pasted link or URI, and a saved source listed by its name."""
    options = [
        selector.SelectOptionDict(value=playlist.uri, label=playlist.name) for playlist in playlists
    ]
    if saved_source and all(option["value"] != saved_source for option in options):
        # The saved source by its name, not its URI ("Peaceful Piano (playlist)").
        options.insert(
            0,
            selector.SelectOptionDict(
                value=saved_source, label=source_title(saved_source, saved_name)
            ),
        )
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=options, custom_value=True, mode=selector.SelectSelectorMode.DROPDOWN
        )
    )


def window_label(window: TimeWindow) -> str:
    """How a window is listed: "Morning · 07:00-09:00 · Mon, Tue"."""
    hours = window.hours
    days = [day for day in WEEKDAYS if day in hours.days]
    if len(days) == len(WEEKDAYS):
        when = "every day"
    else:
        when = ", ".join(day.capitalize() for day in days)
    return f"{window.name} · {hours.start:%H:%M}-{hours.end:%H:%M} · {when}"


def whole_number(value: float, bounds: tuple[int, int]) -> int | None:
    """The selector's number as an int, or None if it is not finite and within the bounds.

    The number selector lets NaN through (it compares false with both bounds).
    """
    if not math.isfinite(value) or not bounds[0] <= value <= bounds[1] or value != int(value):
        return None
    return int(value)


def validate_window_input(
    user_input: dict[str, Any], others: list[TimeWindow], editing: TimeWindow | None
) -> tuple[TimeWindow | None, dict[str, str], dict[str, str]]:
    """The window the form describes, or the errors (by field) and their placeholders."""
    errors: dict[str, str] = {}
    placeholders: dict[str, str] = {}
    name = str(user_input.get(CONF_NAME) or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        errors[CONF_NAME] = "window_name_required"
    elif name.casefold() == "none" or any(
        other.name.casefold() == name.casefold() for other in others
    ):
        errors[CONF_NAME] = "window_name_taken"
    days = [day for day in WEEKDAYS if day in (user_input.get(CONF_DAYS) or [])]
    if not days:
        errors[CONF_DAYS] = "window_days_required"
    start = dt_util.parse_time(str(user_input.get(CONF_START) or ""))
    end = dt_util.parse_time(str(user_input.get(CONF_END) or ""))
    if start is None or end is None:
        errors[CONF_START] = "window_times_required"
    mode = WindowMode(user_input.get(CONF_MODE) or WindowMode.PLAY)
    volume = user_input.get(CONF_VOLUME)
    if volume is not None and (volume := whole_number(volume, (0, 100))) is None:
        errors[CONF_VOLUME] = "volume_out_of_range"
    try:
        source = normalize_source(user_input.get(CONF_SOURCE) or None)
    except ValueError:
        errors[CONF_SOURCE] = "invalid_source"
        source = None
    if errors or start is None or end is None:
        return None, errors, placeholders
    hours = QuietHours(
        start=start.replace(microsecond=0), end=end.replace(microsecond=0), days=frozenset(days)
    )
    if (overlap := first_overlap(hours, others)) is not None:
        placeholders[CONF_WINDOW] = overlap.name
        return None, {CONF_START: "window_overlap"}, placeholders
    playing = mode is WindowMode.PLAY
    window = TimeWindow(
        window_id=editing.window_id if editing is not None else uuid4().hex,
        name=name,
        hours=hours,
        mode=mode,
        source=source if playing else None,
        volume=volume if playing else None,
        shuffle=_SHUFFLE_VALUE.get(str(user_input.get(CONF_SHUFFLE_CHOICE)), None)
        if playing
        else None,
    )
    return window, {}, {}


def window_schema(playlists: list[Playlist], window: TimeWindow | None) -> vol.Schema:
    """One window's form; a window being changed can also be removed."""
    fields: dict[vol.Marker, Any] = {
        vol.Required(CONF_NAME): selector.TextSelector(),
        vol.Required(CONF_START): HourMinuteSelector(),
        vol.Required(CONF_END): HourMinuteSelector(),
        vol.Required(CONF_DAYS, default=list(WEEKDAYS)): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=list(WEEKDAYS),
                multiple=True,
                translation_key="weekday",
                mode=selector.SelectSelectorMode.LIST,
            )
        ),
        vol.Required(CONF_MODE, default=str(WindowMode.PLAY)): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=[str(mode) for mode in WindowMode], translation_key="window_mode"
            )
        ),
        vol.Optional(CONF_SOURCE): source_selector(
            playlists,
            window.source if window is not None else None,
            window.source_name if window is not None else None,
        ),
        # A box: empty reads as "the room's volume".
        vol.Optional(CONF_VOLUME): FormNumberSelector(
            selector.NumberSelectorConfig(
                min=0,
                max=100,
                step=1,
                unit_of_measurement="%",
                mode=selector.NumberSelectorMode.BOX,
            )
        ),
        vol.Required(CONF_SHUFFLE_CHOICE, default="room"): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=list(SHUFFLE_CHOICES), translation_key="window_shuffle"
            )
        ),
    }
    if window is not None:
        fields[vol.Required(CONF_REMOVE, default=False)] = selector.BooleanSelector()
    return vol.Schema(fields)


def window_values(window: TimeWindow) -> dict[str, Any]:
    """A stored window as the form's values (what the form suggests when changing it)."""
    shuffle = {None: "room", True: "on", False: "off"}[window.shuffle]
    values: dict[str, Any] = {
        CONF_NAME: window.name,
        CONF_START: window.hours.start.isoformat(),
        CONF_END: window.hours.end.isoformat(),
        CONF_DAYS: [day for day in WEEKDAYS if day in window.hours.days],
        CONF_MODE: str(window.mode),
        CONF_SHUFFLE_CHOICE: shuffle,
    }
    if window.source is not None:
        values[CONF_SOURCE] = window.source
    if window.volume is not None:
        values[CONF_VOLUME] = window.volume
    return values


class WindowSteps(ConfigSubentryFlow):
    """The Reconfigure menu's *Time windows* steps (RoomSubentryFlow inherits them)."""

    _editing: TimeWindow | None = None

    def _windows(self) -> list[TimeWindow]:
        data = self._get_reconfigure_subentry().data
        return list(parse_windows(data.get(CONF_WINDOWS)))

    async def async_step_windows(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The room's windows, listed; add one, or change or remove one."""
        if self._get_entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        try:
            windows = [w for w in self._windows() if w.window_id != QUIET_WINDOW_ID]
        except ValueError:
            return self.async_abort(reason="windows_unreadable")
        options = ["add_window"] if len(windows) < MAX_WINDOWS else []
        if windows:
            options.append("edit_window")
        listed = "\n".join(f"- {window_label(window)}" for window in windows)
        return self.async_show_menu(
            step_id="windows",
            menu_options=options,
            description_placeholders={"windows": listed or "—"},
        )

    async def async_step_add_window(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A new window."""
        self._editing = None
        return await self._async_window_form("add_window", user_input)

    async def async_step_edit_window(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Which window to change or remove."""
        windows = [w for w in self._windows() if w.window_id != QUIET_WINDOW_ID]
        if user_input is not None:
            self._editing = next(
                (w for w in windows if w.window_id == user_input.get(CONF_WINDOW)), None
            )
            if self._editing is not None:
                return await self.async_step_window()
        return self.async_show_form(
            step_id="edit_window",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_WINDOW): selector.SelectSelector(
                        selector.SelectSelectorConfig(
                            options=[
                                selector.SelectOptionDict(value=w.window_id, label=window_label(w))
                                for w in windows
                            ],
                            mode=selector.SelectSelectorMode.LIST,
                        )
                    )
                }
            ),
        )

    async def async_step_window(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the chosen window, or remove it."""
        return await self._async_window_form("window", user_input)

    async def _async_window_form(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        entry: SpottyPottySenseConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        try:
            playlists = await entry.runtime_data.client.playlists()
        except SpotifyApiError:
            return self.async_abort(reason="cannot_connect")
        editing = self._editing
        windows = self._windows()
        others = [w for w in windows if editing is None or w.window_id != editing.window_id]
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {CONF_WINDOW: ""}
        suggested: dict[str, Any] = window_values(editing) if editing is not None else {}
        if user_input is not None:
            if editing is not None and user_input.get(CONF_REMOVE):
                return self._async_save(others)
            window, errors, found = validate_window_input(user_input, others, editing)
            placeholders.update(found)
            if window is not None:
                name = await async_source_name(
                    entry.runtime_data.client,
                    window.source,
                    playlists,
                    editing.source if editing is not None else None,
                    editing.source_name if editing is not None else None,
                )
                saved = replace(window, source_name=name)
                kept = [saved if w.window_id == saved.window_id else w for w in windows]
                return self._async_save(kept if editing is not None else [*windows, saved])
            suggested = user_input
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                window_schema(playlists, editing), suggested
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _async_save(self, windows: list[TimeWindow]) -> SubentryFlowResult:
        subentry = self._get_reconfigure_subentry()
        return self.async_update_and_abort(
            self._get_entry(),
            subentry,
            data={**subentry.data, CONF_WINDOWS: [window.to_data() for window in windows]},
        )


async def async_source_name(
    client: SpotifyClient,
    source: str | None,
    playlists: list[Playlist],
    saved_source: str | None,
    saved_name: str | None,
) -> str | None:
    """A source's name, once, on save: kept, from the user's playlists, or asked of Spotify.

    A name that cannot be had (Spotify unreachable, a kind it is not asked for) is None: the
    form and the device page then name the kind ("Spotify album").
    """
    if source is None:
        return None
    if source == saved_source:
        return saved_name  # unchanged: no request at every reconfigure
    for playlist in playlists:
        if playlist.uri == source:
            return playlist.name
    try:
        return await client.name_of(source)
    except SpotifyApiError:
        return None
