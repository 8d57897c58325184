"""The user's whole journey, in headless Chromium against a real Home Assistant.

Run by scripts/e2e (see the README). Each step asserts what the user sees, as text, and saves a
screenshot; a failing step names itself, saves a screenshot of what was on screen and shows the
end of HA's log. The room form is filled one field at a time, each field found by its translated
label, so the form can change shape (new fields, sections) without touching the other steps.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
import json
from pathlib import Path
import re
import shutil
import sys
import tempfile
import time
import traceback
from typing import Any

from playwright.sync_api import Locator, Page, sync_playwright

from tests.e2e.harness import (
    REPO,
    FakeSpotifyProcess,
    HomeAssistantProcess,
    JourneyError,
    assert_loopback_only,
    free_port,
    wait_for,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "e2e-journey-password"
ACTION_TIMEOUT_MS = 15_000
MOTION_HELPER = "Bathroom motion (toggle me)"
MOTION_SENSOR = "Bathroom motion"
SPEAKER = "Bathroom speaker (Speaker)"
PLAYLIST = "Today's Top Hits"
PLAYLIST_URI = "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"
ROOM = "Bathroom"
SPOTIFY_USER = "Demo listener"
VOLUME = 35
# What diagnostics must never contain: the fake's tokens, the account's e-mail and user id, and
# the application credential typed in below.
SECRETS = (
    "fake-access-token",
    "demo-refresh-token",
    "fake.user@example.com",
    "fake-user",
    "demo-client-id",
    "demo-client-secret",
)
STRINGS = json.loads((REPO / "custom_components" / "spottypottysense" / "strings.json").read_text())
SUBENTRY = STRINGS["config_subentries"]["motion_sensor"]
SPEAKER_STEP = "spotify"  # the room form for a Spotify Connect speaker (after the kind menu)
MODEL = "Room"  # the room device's model, as the integration page lists it
AREA = "Bathroom"  # an area the journey creates and puts the room in
WINDOW = "All day"  # a time window the journey adds (00:00-00:00 every day: always on)
NOTICE_BY_AREA = "Music started in the bathroom (room trigger)"
NOTICE_BY_DEVICE = "Music started in the bathroom (device trigger)"
ROOM_ENTITIES = 13  # time window, status, last motion, session ends, snoozed until, what plays,
# speaker, two
# counts, the switch, two buttons and the session event
OFF_BY_DEFAULT = {"last_motion"}  # in the registry, not shown on the device page until enabled
# The one warning HA logs for every custom integration; anything else mentioning ours fails.
ALLOWED_LOG = ("We found a custom integration spottypottysense which has not been tested",)
# Docs screenshots (docs/) taken from these journey screenshots with --update-docs.
DOCS_SHOTS = {
    "04-room-form.png": "e2e-room-form.png",
    "06-device-playing.png": "e2e-device-playing.png",
    "03-account-entry.png": "e2e-account-entry.png",
}


def step_labels(step: dict[str, Any]) -> dict[str, str]:
    """Field key -> label of one form step, sections included."""
    labels = dict(step.get("data", {}))
    for section in step.get("sections", {}).values():
        labels.update(section.get("data", {}))
    return labels


def step_help(step: dict[str, Any]) -> dict[str, str]:
    """Field key -> help text of one form step, sections included."""
    texts = dict(step.get("data_description", {}))
    for section in step.get("sections", {}).values():
        texts.update(section.get("data_description", {}))
    return texts


@dataclass
class UI:
    """What the user does and sees in the browser, in the words they would use."""

    page: Page
    base: str
    shots: Path
    taken: list[Path] = field(default_factory=list)

    def open(self, path: str, shows: str | re.Pattern[str]) -> None:
        """Follow an in-app link (what a click in the sidebar or on a card does).

        A dialog that just closed may still step the history back; so wait for dialogs to go,
        and follow the link again if the page did not come.
        """
        wait_for(
            "open dialogs to close",
            lambda: not self.page.get_by_role("dialog").filter(visible=True).count(),
            10,
        )
        for attempt in range(3):
            self.page.evaluate(
                "p => { history.pushState(null, '', p);"
                " window.dispatchEvent(new CustomEvent('location-changed')); }",
                path,
            )
            try:
                self.see(f"the page {path}", shows, 5 if attempt < 2 else 15)
                return
            except JourneyError:
                if attempt == 2:
                    raise

    def text(self) -> str:
        """Everything on screen, as the accessibility tree reads it (shadow DOM included)."""
        return self.page.locator("body").aria_snapshot()

    def dialog_text(self) -> str:
        return self.page.get_by_role("dialog").filter(visible=True).last.aria_snapshot()

    def see(self, what: str, text: str | re.Pattern[str], timeout: float = 15) -> None:
        """Wait until `text` is on screen."""

        def shown() -> bool:
            screen = self.text()
            return bool(text.search(screen) if isinstance(text, re.Pattern) else text in screen)

        wait_for(f"{what} ({text!r} on screen)", shown, timeout)

    def button(self, name: str | re.Pattern[str], exact: bool = True) -> Locator:
        return self.page.get_by_role("button", name=name, exact=exact).filter(visible=True).last

    def click(self, name: str | re.Pattern[str], exact: bool = True) -> None:
        self.button(name, exact).click()

    def menu(self, menu_button: Locator, item: str) -> None:
        """Open a ⋮ menu and choose an item by its label."""
        menu_button.click()
        self.page.get_by_role("menuitem", name=item, exact=True).filter(visible=True).click()

    def textbox(self, label: str) -> Locator:
        """A text box by its label (HA marks required ones with a trailing *)."""
        pattern = re.compile(rf"^{re.escape(label)}\*?$")
        return self.page.get_by_role("textbox", name=pattern).filter(visible=True).last

    def form_field(self, label: str) -> Locator:
        """One field of the open form, found by its translated label."""
        self.page.locator("ha-selector").evaluate_all(
            "els => els.forEach(e => e.setAttribute('data-e2e-label', e.label || ''))"
        )
        found = self.page.locator(f'ha-selector[data-e2e-label="{label}"]').filter(visible=True)
        wait_for(f"the form field {label!r}", found.count, 10)
        return found.last

    def form_labels(self) -> list[str]:
        fields = self.page.locator("ha-selector").filter(visible=True)
        return [str(label) for label in fields.evaluate_all("els => els.map(e => e.label || '')")]

    def fill_number(self, label: str, value: int) -> None:
        self._fill(label, "spinbutton", str(value))

    def fill_text(self, label: str, value: str) -> None:
        self._fill(label, "textbox", value)

    def _fill(self, label: str, role: str, value: str) -> None:
        """Type into a field and leave it; type again if a re-render of the form ate it."""

        def typed() -> bool:
            box = self.form_field(label).get_by_role(role).last  # type: ignore[arg-type]
            if box.input_value() != value:
                box.fill(value)
                box.press("Tab")
                self.page.wait_for_timeout(300)
            return box.input_value() == value

        wait_for(f"{label!r} to hold {value!r}", typed, 10)

    def pick_entity(self, label: str, entity_name: str) -> None:
        self.form_field(label).click()
        self.page.locator("ha-combo-box-item", has_text=entity_name).filter(visible=True).click()

    def pick_area(self, label: str, area: str) -> None:
        """An area picker: its list opens below the field, after the entity picker's items."""
        self.form_field(label).click()
        self.page.locator("ha-combo-box-item", has_text=area).filter(visible=True).last.click()

    def pick_option(self, label: str, option: str) -> None:
        """A dropdown (select selector) option, by its text."""
        self.form_field(label).click()
        self.page.get_by_role("menuitem", name=option, exact=True).filter(visible=True).click()

    def pick_or_type(self, label: str, option: str | None = None, typed: str | None = None) -> None:
        """A select with custom values: pick a listed option, or type a value of one's own."""
        self.form_field(label).click()
        if typed is not None:
            self.page.get_by_placeholder(re.compile("Search")).filter(visible=True).last.fill(typed)
            option = "Add custom item"
        items = self.page.locator("ha-combo-box-item", has_text=option).filter(visible=True)
        items.last.click()

    def form_top(self, step_id: str) -> None:
        """Scroll the form back to its first field and take the focus off the last one."""
        self.page.locator("ha-selector").filter(visible=True).first.scroll_into_view_if_needed()
        step = STRINGS["config_subentries"]["motion_sensor"]["step"][step_id]
        if description := step.get("description"):
            self.page.get_by_text(description).filter(visible=True).first.click()

    def shot(self, name: str) -> None:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=path)
        self.taken.append(path)


@dataclass
class Journey:
    """The steps, in order, sharing the servers and the browser."""

    ui: UI
    ha: HomeAssistantProcess
    fake: FakeSpotifyProcess
    room_device_url: str = ""  # its path, e.g. /config/devices/device/<id>

    # -- helpers the steps share ------------------------------------------------------------------

    def toggle_motion(self, on: bool) -> None:
        """Flip the demo motion helper in its more-info dialog, as a user would."""
        ui = self.ui
        ui.open("/config/entities", 'tab "Entities" [selected]')
        search = ui.page.get_by_placeholder("Search").filter(visible=True).first
        search.fill("toggle me")
        ui.page.get_by_text(MOTION_HELPER).filter(visible=True).first.click()
        ui.see("the motion helper's dialog", MOTION_HELPER)
        before = "On" if not on else "Off"
        ui.see(f"the helper at {before}", f'paragraph: "{before}"')
        ui.page.get_by_role("switch", name="Toggle").filter(visible=True).click()
        after = "On" if on else "Off"
        ui.see(f"the helper at {after}", f'paragraph: "{after}"')
        ui.click("Close")

    def open_integration(self) -> None:
        self.ui.open(
            "/config/integrations/integration/spottypottysense", 'heading "SpottyPottySense"'
        )

    def entry_menu(self) -> Locator:
        return self.ui.page.locator(
            "ha-config-entry-row ha-row-item ha-dropdown"
        ).first.get_by_role("button", name="Menu")

    def room_menu(self) -> Locator:
        return self.ui.page.locator(
            "ha-config-sub-entry-row ha-list-item-base > ha-dropdown"
        ).first.get_by_role("button", name="Menu")

    def check_form_translated(self, step_id: str) -> None:
        """Every label and help text of the form is ours, translated; no raw key anywhere."""
        deadline = time.monotonic() + 10  # help texts may render a moment after the labels
        while (problem := self.form_problem(step_id)) and time.monotonic() < deadline:
            time.sleep(0.3)
        if problem:
            raise JourneyError(problem)

    def form_problem(self, step_id: str) -> str | None:
        step = STRINGS["config_subentries"]["motion_sensor"]["step"][step_id]
        labels, helps = step_labels(step), step_help(step)
        screen = self.ui.dialog_text()
        if "component.spottypottysense" in screen or "config_subentries." in screen:
            return "the form shows a raw translation key"
        shown = self.ui.form_labels()
        if not shown:
            return "the form shows no fields"
        unknown = [label for label in shown if label not in labels.values()]
        if unknown:
            return f"form fields without a translated label: {unknown}"
        if step.get("title") and step["title"] not in screen:
            return f"the form's title {step['title']!r} is not shown"
        keys = {key for key, label in labels.items() if label in shown}
        missing = [
            helps[k]
            for k in sorted(keys)
            if k in helps and _squash(helps[k]) not in _squash(screen)
        ]
        if missing:
            return f"help texts not shown: {missing}"
        return None

    def entity_names(self) -> list[str]:
        """The room's entity names the device page shows (the Sessions calendar is the account's,
        not the room's; Last motion is off by default)."""
        names: list[str] = []
        for kind, platform in STRINGS["entity"].items():
            if kind != "calendar":
                names.extend(
                    entity["name"] for key, entity in platform.items() if key not in OFF_BY_DEFAULT
                )
        return names

    def our_entities(self) -> list[str]:
        return self._registry(
            """async () => {
                const hass = document.querySelector('home-assistant').hass;
                const entities = await hass.callWS({type: 'config/entity_registry/list'});
                return entities.filter(e => e.platform === 'spottypottysense')
                               .map(e => e.entity_id);
            }"""
        )

    def our_devices(self) -> list[str]:
        return self._registry(
            """async () => {
                const hass = document.querySelector('home-assistant').hass;
                const devices = await hass.callWS({type: 'config/device_registry/list'});
                return devices.filter(d => d.identifiers.some(i => i[0] === 'spottypottysense'))
                              .map(d => d.name_by_user || d.name);
            }"""
        )

    def ws(self, message: dict[str, Any]) -> Any:
        """One websocket command, as the signed-in frontend sends it."""
        return self.ui.page.evaluate(
            "async (msg) => await document.querySelector('home-assistant').hass.callWS(msg)",
            message,
        )

    def room_device(self) -> dict[str, Any]:
        devices = self.ws({"type": "config/device_registry/list"})
        return next(
            d
            for d in devices
            if d["model"] == MODEL and any(i[0] == "spottypottysense" for i in d["identifiers"])
        )

    def _registry(self, script: str) -> list[str]:
        """Ask HA's registries through the signed-in frontend's own websocket."""
        return [str(item) for item in self.ui.page.evaluate(script)]

    # -- the steps --------------------------------------------------------------------------------

    def loopback_only(self) -> None:
        """Home Assistant and the fake Spotify listen on 127.0.0.1 only."""
        assert self.ha.process is not None
        assert self.fake.process is not None
        ha = assert_loopback_only("Home Assistant", self.ha.process.pid)
        fake = assert_loopback_only("the fake Spotify", self.fake.process.pid)
        print(f"    listening: Home Assistant {sorted(ha)}, fake Spotify {sorted(fake)}")

    def onboarding(self) -> None:
        """Create the user and finish onboarding."""
        ui = self.ui
        ui.page.goto(self.ha.url, timeout=60_000)
        ui.see("the welcome page", "Welcome!", 60)
        ui.shot("01-welcome")
        ui.click("Create my smart home")
        ui.see("the create-user form", 'heading "Create user"')
        ui.textbox("Name").fill("Journey Tester")
        ui.textbox("Username").fill("tester")
        ui.textbox("Password").fill(PASSWORD)
        ui.textbox("Confirm password").fill(PASSWORD)
        ui.click("Create account")
        ui.see("the home location step", 'heading "Home location"', 30)
        ui.click("Next")
        ui.see("the country step", "Country")
        ui.click("Next")
        ui.see("the analytics step", 'heading "Help us help you"')
        ui.click("Next")
        ui.see("the last onboarding step", "Finish")
        ui.shot("02-onboarding-done")
        ui.click("Finish")
        ui.see("the overview", 'link "Overview"', 30)

    def add_account(self) -> None:
        """Settings → Devices & services → Add integration → sign in → the account's name."""
        ui = self.ui
        ui.page.get_by_role("link", name=re.compile("Settings")).filter(visible=True).click()
        ui.page.get_by_role("link", name=re.compile("^Devices & services")).filter(
            visible=True
        ).first.click()
        ui.see("the integrations dashboard", 'tab "Integrations" [selected]')
        ui.click("Add integration")
        ui.page.get_by_placeholder("Search for a brand name").fill("SpottyPottySense")
        ui.click("SpottyPottySense")
        ui.see("the application credentials dialog", "Add application credentials")
        ui.textbox("Name").fill("Demo app")
        ui.textbox("OAuth client ID").fill("demo-client-id")
        ui.textbox("OAuth client secret").fill("demo-client-secret")
        ui.click("Add")
        # HA opens Spotify's consent page in a pop-up; the fake approves at once and sends the
        # browser back to HA, which closes the pop-up and finishes the flow.
        ui.see("the success message", "Signed in to Spotify.", 30)
        ui.see("the account's device name", SPOTIFY_USER)
        ui.click("Skip and finish")
        self.open_integration()
        ui.see("the account entry", re.compile(rf"{SPOTIFY_USER} Spotify Premium"))
        ui.shot("03-account-entry")

    def add_room(self) -> None:
        """Add motion sensor: translated form, a bad link is refused, then the room is saved."""
        ui = self.ui
        self.ws({"type": "config/area_registry/create", "name": AREA})
        ui.click(SUBENTRY["initiate_flow"]["user"])
        self.choose_spotify_speaker("user")
        ui.form_field("Name")
        self.check_form_translated(SPEAKER_STEP)
        # "When music plays in another room": three choices, in words.
        for label in STRINGS["selector"]["follow_mode"]["options"].values():
            ui.see(f"the follow mode {label!r}", label)
        self.fill_room_form(name=ROOM)
        ui.form_top(SPEAKER_STEP)
        ui.shot("04-room-form")
        ui.pick_or_type("What to play", typed="https://example.com/not-spotify")
        ui.click("Submit")
        error = STRINGS["config_subentries"]["motion_sensor"]["error"]["invalid_source"]
        ui.see("the form's error about the link", error)
        ui.shot("04a-room-form-error")
        ui.pick_or_type("What to play", option=PLAYLIST)
        # A volume out of range: our own message, naming the field, not HA's raw one.
        ui.fill_number("Volume", 150)
        ui.click("Submit")
        error = STRINGS["config_subentries"]["motion_sensor"]["error"]["volume_out_of_range"]
        ui.see("the form's translated error about the volume", error)
        if "too large" in ui.text():
            raise JourneyError("the form shows HA's raw range error")
        ui.shot("04b-room-form-volume-error")
        ui.fill_number("Volume", 30)
        ui.click("Submit")
        ui.see("the room's creation", f"Created configuration for {ROOM}.")
        ui.click("Finish")
        ui.see(
            "the room on the account", re.compile(rf"{ROOM} {MODEL} • .*{ROOM_ENTITIES} entities")
        )

    def choose_spotify_speaker(self, menu_step: str) -> None:
        """The first step is a menu: the kind of speaker; this journey plays on Spotify Connect."""
        ui = self.ui
        menu = SUBENTRY["step"][menu_step]
        ui.see("the speaker-kind menu", menu["title"])
        choice = menu["menu_options"][SPEAKER_STEP]
        self.ui.page.get_by_text(choice, exact=True).filter(visible=True).first.click()
        ui.see("the room form", SUBENTRY["step"][SPEAKER_STEP]["title"])

    def fill_room_form(self, name: str) -> None:
        """The room form, one field at a time (adapt here when the form changes)."""
        ui = self.ui
        ui.fill_text("Name", name)
        ui.pick_entity("Motion sensors", MOTION_SENSOR)
        ui.pick_area("Area", AREA)
        ui.pick_option("Spotify speaker", SPEAKER)
        ui.pick_or_type("What to play", option=PLAYLIST)
        ui.fill_number("Stop after no motion for", 1)  # the shortest timeout: 1 minute
        ui.fill_number("Cooldown after a session", 0)

    def motion_starts_music(self) -> None:
        """Motion on: the fake receives play; the device page says Playing, with its entities."""
        ui = self.ui
        self.toggle_motion(on=True)
        play = wait_for(
            "the fake Spotify to receive play", lambda: self.fake.received("PUT", "/me/player/play")
        )
        if play[-1]["json"].get("context_uri") != PLAYLIST_URI:
            raise JourneyError(f"play did not ask for the chosen playlist: {play[-1]}")
        self.open_integration()
        ui.button(re.compile(rf"^{ROOM} {MODEL} • "), exact=False).click()
        ui.see("the room's device page", 'heading "Device info"')
        self.room_device_url = ui.page.url.removeprefix(self.ha.url)
        ui.see("status Playing", "Status Playing")
        for name in self.entity_names():
            ui.see(f"the entity {name!r}", name)
        if "component.spottypottysense" in ui.text():
            raise JourneyError("the device page shows a raw translation key")
        entities = self.our_entities()
        # The room's entities, and the account's Sessions calendar.
        if len(entities) != ROOM_ENTITIES + 1:
            raise JourneyError(f"expected {ROOM_ENTITIES} + 1 entities, found {entities}")
        ui.shot("06-device-playing")

    def no_motion_stops_music(self) -> None:
        """Motion off, the 1-minute timeout passes: status back to idle, the fake got pause."""
        ui = self.ui
        self.toggle_motion(on=False)
        wait_for(
            "the fake Spotify to receive pause (1 minute after motion stopped)",
            lambda: self.fake.received("PUT", "/me/player/pause"),
            timeout=100,
        )
        ui.open(self.room_device_url, 'heading "Device info"')
        ui.see("status idle or cooldown", re.compile(r"Status (Idle|Cooldown)"), 30)
        ui.see("what plays, by name", f"What plays {PLAYLIST} (playlist)")
        ui.shot("07-device-idle")

    def room_in_its_area(self) -> None:
        """The room's device is in the area picked in the form: its area page lists it, and the
        areas dashboard (HA's Overview) shows the room's entities under that area."""
        ui = self.ui
        device = self.room_device()
        areas = {a["area_id"]: a["name"] for a in self.ws({"type": "config/area_registry/list"})}
        if areas.get(device["area_id"]) != AREA:
            raise JourneyError(f"the room's device is in {device['area_id']!r}, not {AREA!r}")
        ui.open(f"/config/areas/area/{device['area_id']}", re.compile(AREA))
        ui.see("the room's device on its area's page", re.compile(rf"Devices[\s\S]*{ROOM}"))
        ui.shot("05a-area")
        # The Overview (HA 2026's areas dashboard): the area's card leads to the room's entities.
        ui.open("/home", 'heading "Areas"')
        ui.click(re.compile(rf"^{AREA}$"), exact=False)
        ui.see("the room on the areas dashboard", f"What plays {PLAYLIST} (playlist)")
        ui.see("the room's status on the areas dashboard", "Status Idle")
        ui.shot("05b-areas-dashboard")

    def automations_built_in_the_editor(self) -> None:
        """Two automations built by clicking in HA's automation editor, each sending a notification:
        *Room session started* picked by target (the room's area), and the room device's
        *Session started* device trigger, whose list holds every trigger of ours."""
        ui = self.ui
        self.new_automation()
        ui.click("By target")
        ui.page.get_by_role("treeitem", name=AREA).filter(visible=True).first.click()
        trigger = STRINGS["triggers"]["session_started"]["name"]
        ui.see("our trigger for the area", f'button "{trigger} {AREA}"')
        ui.shot("07b-trigger-by-area")
        ui.click(f"{trigger} {AREA}")
        ui.see("the trigger on the room's area", re.compile(rf"button \"{AREA} 1 entity"))
        self.save_automation(NOTICE_BY_AREA)

        self.new_automation()
        ui.click("By type")
        ui.click("Device")
        ui.click(re.compile("^Device Triggers when"), exact=False)
        ui.page.get_by_text("Select a device").filter(visible=True).last.click()
        ui.page.locator("ha-combo-box-item", has_text="SpottyPottySense").filter(
            visible=True
        ).filter(has_text=ROOM).first.click()
        ui.see("the device's first trigger", "Trigger Session started")
        ui.page.get_by_text("Session started").filter(visible=True).last.click()
        for label in STRINGS["device_automation"]["trigger_type"].values():
            ui.see(f"the device trigger {label!r}", label)
        ui.shot("07c-device-triggers")
        ui.page.locator("ha-combo-box-item", has_text="Session started").filter(
            visible=True
        ).last.click()
        self.save_automation(NOTICE_BY_DEVICE)

    def new_automation(self) -> None:
        """Settings → Automations → Create automation → Add trigger."""
        self.ui.open("/config/automation/edit/new", 'button "Add trigger"')
        self.ui.click("Add trigger")
        self.ui.see("the trigger picker", 'button "By type"')

    def save_automation(self, message: str) -> None:
        """Then do: send a persistent notification with `message`; save under that name."""
        ui = self.ui
        ui.click("Add action")
        ui.page.get_by_placeholder("Search").filter(visible=True).last.fill(
            "persistent notification"
        )
        ui.page.get_by_text("Send a persistent notification", exact=True).filter(
            visible=True
        ).first.click()
        ui.see("the action's Message field", "Message body of the notification.")
        ui.page.get_by_role("textbox").filter(visible=True).first.fill(message)
        ui.click("Save")
        ui.page.get_by_role("textbox", name="Name*").fill(message)
        ui.click("Save")
        wait_for(
            f"the automation {message!r} to be saved",
            lambda: any(automation.get("alias") == message for automation in self.automations()),
        )

    def automations(self) -> list[dict[str, Any]]:
        states = self.ui.page.evaluate(
            """() => Object.values(document.querySelector('home-assistant').hass.states)
                .filter(s => s.entity_id.startsWith('automation.'))
                .map(s => s.entity_id)"""
        )
        return [
            self.ws({"type": "automation/config", "entity_id": entity_id})["config"]
            for entity_id in states
        ]

    def automations_ran(self) -> None:
        """The session the reconfigure step started ran both: their notifications are shown."""
        ui = self.ui
        ui.click(re.compile("Notifications"), exact=False)
        for message in (NOTICE_BY_AREA, NOTICE_BY_DEVICE):
            ui.see(f"the notification {message!r}", message)
        ui.page.wait_for_timeout(500)  # the drawer slides in
        ui.shot("08a-notifications")
        ui.click("Close")

    def session_in_the_calendar(self) -> None:
        """The finished session is an event in HA's Calendar panel, named for room and music."""
        ui = self.ui
        ui.open("/calendar", re.compile("Calendar"))
        ui.see("the session in the calendar", re.compile(rf"{ROOM} · {re.escape(PLAYLIST)}"), 30)
        ui.shot("07a-calendar")

    def reconfigure_volume(self) -> None:
        """Reconfigure the room's volume; the next session sets it."""
        ui = self.ui
        self.open_integration()
        ui.click(SUBENTRY["initiate_flow"]["reconfigure"])
        self.choose_spotify_speaker("reconfigure")
        ui.form_field("Name")
        self.check_form_translated(SPEAKER_STEP)
        ui.fill_number("Volume", VOLUME)
        ui.shot("08-reconfigure")
        ui.click("Submit")
        ui.see("the reconfiguration's success", "Reconfiguration was successful")
        ui.click("Close")
        plays = len(self.fake.received("PUT", "/me/player/play"))
        self.toggle_motion(on=True)
        wait_for(
            "a second play",
            lambda: len(self.fake.received("PUT", "/me/player/play")) > plays,
        )
        volumes = wait_for(
            f"the fake Spotify to receive volume {VOLUME}",
            lambda: [
                r
                for r in self.fake.received("PUT", "/me/player/volume")
                if r["query"].get("volume_percent") == str(VOLUME)
            ],
        )
        print(f"    volume request: {volumes[-1]['query']}")
        self.toggle_motion(on=False)

    def time_window(self) -> None:
        """Reconfigure → Time windows → Add: a window of the whole day (00:00-00:00, the form's
        start and end), every day, so it applies now; the device page shows it active."""
        ui = self.ui
        self.open_integration()
        ui.click(SUBENTRY["initiate_flow"]["reconfigure"])
        menu = SUBENTRY["step"]["reconfigure"]["menu_options"]["windows"]
        ui.see("the reconfigure menu's time windows", menu)
        ui.page.get_by_text(menu, exact=True).filter(visible=True).first.click()
        add = SUBENTRY["step"]["windows"]["menu_options"]["add_window"]
        ui.see("the time windows menu", add)
        ui.page.get_by_text(add, exact=True).filter(visible=True).first.click()
        ui.see("the window form", SUBENTRY["step"]["add_window"]["description"])
        for label in SUBENTRY["step"]["add_window"]["data"].values():
            ui.see(f"the window form's field {label!r}", label)
        ui.textbox("Name").fill(WINDOW)
        ui.shot("08b-time-window-form")
        ui.click("Submit")
        ui.see("the window saved", "Reconfiguration was successful")
        ui.click("Close")
        ui.open(self.room_device_url, 'heading "Device info"')
        ui.see("the active window on the device page", f"Time window {WINDOW}")
        ui.shot("08c-device-time-window")

    def diagnostics(self) -> None:
        """Download diagnostics: no token, e-mail, user id or credential in it."""
        ui = self.ui
        self.open_integration()
        with ui.page.expect_download(timeout=ACTION_TIMEOUT_MS) as download:
            ui.menu(self.entry_menu(), "Download diagnostics")
        path = download.value.path()
        text = Path(path).read_text()
        shutil.copy(path, ui.shots / "diagnostics.json")
        json.loads(text)
        leaked = [secret for secret in SECRETS if secret in text]
        if leaked:
            raise JourneyError(f"diagnostics contain {leaked}")
        if ROOM not in text:
            raise JourneyError("diagnostics do not describe the room")

    def delete_room_and_account(self) -> None:
        """Delete the room, then the account and its credentials: devices and entities gone."""
        ui = self.ui
        self.open_integration()
        ui.menu(self.room_menu(), "Delete")
        ui.see("the delete confirmation", f'heading "Delete {ROOM}?"')
        ui.click("Delete")
        # What is left is the account's own Sessions calendar, until the account goes too.
        wait_for(
            "the room's entities to go",
            lambda: all(e.startswith("calendar.") for e in self.our_entities()),
        )
        wait_for("the room's device to go", lambda: ROOM not in self.our_devices())
        ui.menu(self.entry_menu(), "Delete")
        ui.see("the delete confirmation", f'heading "Delete {SPOTIFY_USER}?"')
        ui.click("Delete")
        ui.see("the empty integration page", "No entries")
        # HA may then offer to delete the application credentials too (once it has looked them
        # up); if it does, all of it goes.
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            if "also delete application credentials" in ui.text():
                ui.click("Remove")
                break
            time.sleep(0.3)
        wait_for("the account's device to go", lambda: not self.our_devices())
        wait_for("the account's entities to go", lambda: not self.our_entities())
        ui.open(self.room_device_url, re.compile("not found", re.I))
        ui.shot("09-deleted")

    def clean_log(self) -> None:
        """HA's log holds no warning or error mentioning the integration."""
        problems = [
            entry
            for entry in log_entries(self.ha.log.read_text())
            if re.match(r"\S+ \S+ (WARNING|ERROR|CRITICAL) ", entry)
            and "spottypottysense" in entry.lower()
            and not any(allowed in entry for allowed in ALLOWED_LOG)
        ]
        if problems:
            raise JourneyError("HA logged about the integration:\n" + "\n".join(problems[:5]))

    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("loopback only", self.loopback_only),
            ("onboarding", self.onboarding),
            ("add the Spotify account", self.add_account),
            ("add a room", self.add_room),
            ("the room in its area", self.room_in_its_area),
            ("motion starts music", self.motion_starts_music),
            ("no motion stops music", self.no_motion_stops_music),
            ("the session in the calendar", self.session_in_the_calendar),
            ("automations built in the editor", self.automations_built_in_the_editor),
            ("reconfigure the volume", self.reconfigure_volume),
            ("the automations ran on the session start", self.automations_ran),
            ("a time window", self.time_window),
            ("diagnostics", self.diagnostics),
            ("delete the room and the account", self.delete_room_and_account),
            ("HA's log", self.clean_log),
        ]


def _squash(text: str) -> str:
    return re.sub(r"[\s\"]+", " ", text)


def log_entries(log: str) -> list[str]:
    """HA's log as entries: a line with a timestamp and the lines that continue it."""
    entries: list[str] = []
    for line in log.splitlines():
        if re.match(r"\d{4}-\d\d-\d\d \d\d:", line) or not entries:
            entries.append(line)
        else:
            entries[-1] += "\n" + line
    return entries


def main() -> int:
    parser = argparse.ArgumentParser(description="The browser journey (see the README).")
    parser.add_argument("--artifacts", type=Path, help="where screenshots and logs go")
    parser.add_argument("--update-docs", action="store_true", help="copy chosen shots to docs/")
    args = parser.parse_args()
    artifacts = args.artifacts or Path(tempfile.mkdtemp(prefix="spottypottysense-e2e-"))
    artifacts.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    ha_port = free_port()
    fake = FakeSpotifyProcess(f"http://127.0.0.1:{ha_port}", artifacts / "fake-spotify.log")
    ha = HomeAssistantProcess(artifacts / "config", ha_port, "")
    passed: list[str] = []
    failed: str | None = None
    try:
        # Both start at once (HA needs the fake's address, the fake HA's): about 10 s saved.
        fake_port = free_port()
        fake.start(fake_port)
        ha.spotify_url = f"http://127.0.0.1:{fake_port}"
        ha.prepare()
        ha.start()
        fake.wait_ready()
        print(
            f"e2e: Home Assistant on {ha.url}, fake Spotify on {fake.url} "
            f"({time.monotonic() - started:.0f} s)",
            flush=True,
        )
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(artifacts / "chromium-profile"),
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_FLAGS,
                viewport={"width": 1280, "height": 900},
                accept_downloads=True,
            )
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(ACTION_TIMEOUT_MS)
            ui = UI(page, ha.url, artifacts)
            journey = Journey(ui, ha, fake)
            for name, run in journey.steps():
                step_started = time.monotonic()
                try:
                    run()
                except Exception as err:  # any failure fails the step, named
                    failed = name
                    print(f"e2e: FAILED at step '{name}': {err}", flush=True)
                    traceback.print_exc()
                    with contextlib.suppress(Exception):  # the browser may be gone too
                        page.screenshot(path=artifacts / f"FAILED-{name.replace(' ', '-')}.png")
                    break
                passed.append(name)
                print(f"e2e: ok  {name} ({time.monotonic() - step_started:.1f} s)", flush=True)
            context.close()
    except Exception as err:  # a failing set-up names itself too
        failed = failed or "start the servers"
        print(f"e2e: FAILED at step '{failed}': {err}", flush=True)
    finally:
        ha.stop()
        fake.stop()
        if ha.log.exists():
            shutil.copy(ha.log, artifacts / "home-assistant.log")
    if failed and ha.log.exists():
        print("e2e: the end of Home Assistant's log:")
        print("\n".join(ha.log.read_text().splitlines()[-30:]))
    if not failed and args.update_docs:
        docs = REPO / "docs"
        docs.mkdir(exist_ok=True)
        for shot, target in DOCS_SHOTS.items():
            shutil.copy(artifacts / shot, docs / target)
    print(f"e2e: screenshots and logs in {artifacts}")
    print(
        f"e2e: {len(passed)} passed, {1 if failed else 0} failed "
        f"in {time.monotonic() - started:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
