"""Rule 8: a speaker Spotify no longer knows is found again by name, or raises a repair issue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.spottypottysense.const import DOMAIN
from tests.conftest import MOTION, PLAYLIST, SPEAKER_ID, SPEAKER_NAME, room_data
from tests.fake_spotify import FakeSpotify
from tests.helpers import advance as _advance, set_motion as _set

STATUS = "sensor.bathroom_status"
NEW_ID = "bathroom-speaker-after-reset"
TRACK = "spotify:track:4uLU6hMCjMI75M1A2tKUQC"
READ = ("GET", "/me/player")
PLAY = ("PUT", "/me/player/play")
DEVICES = ("GET", "/me/player/devices")
SHUFFLE = ("PUT", "/me/player/shuffle")
VOLUME = ("PUT", "/me/player/volume")
PAUSE = ("PUT", "/me/player/pause")


async def _motion(hass: HomeAssistant) -> None:
    """Someone walks in (off → on)."""
    await _set(hass, MOTION, "off")
    await _set(hass, MOTION, "on")


def _calls(fake: FakeSpotify, mark: int = 0) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests[mark:]]


def _status(hass: HomeAssistant) -> tuple[str, dict[str, Any]]:
    state = hass.states.get(STATUS)
    assert state is not None
    return state.state, dict(state.attributes)


def _subentry(entry: MockConfigEntry) -> Any:
    return next(iter(entry.subentries.values()))


def _issue(issue_registry: ir.IssueRegistry, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return issue_registry.async_get_issue(DOMAIN, f"speaker_missing_{_subentry(entry).subentry_id}")


def _speaker_is_replaced(fake: FakeSpotify, name: str = SPEAKER_NAME) -> None:
    """The speaker was reset: Spotify lists it under a new id."""
    fake.remove_device(SPEAKER_ID)
    fake.add_device(NEW_ID, name)


@pytest.mark.parametrize("new_name", [SPEAKER_NAME, SPEAKER_NAME.upper()])
async def test_speaker_with_a_new_id_is_found_by_name(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    issue_registry: ir.IssueRegistry,
    events: dict[str, list[Any]],
    new_name: str,
) -> None:
    _speaker_is_replaced(speaker, new_name)
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")

    # Play on the old id (404), read the device list, play once more on the new id.
    assert _calls(speaker, mark) == [READ, PLAY, DEVICES, PLAY, SHUFFLE]
    first, retry = speaker.requests_to(*PLAY)
    assert first.query["device_id"] == SPEAKER_ID
    assert first.status == 404
    assert retry.query["device_id"] == NEW_ID
    assert retry.json == {"context_uri": PLAYLIST}
    assert speaker.playback is not None
    assert speaker.playback.device_id == NEW_ID
    assert speaker.playback.is_playing
    assert _status(hass)[0] == "playing"
    assert events["session_started"][0].data["owned"] is True
    assert events["playback_failed"] == []
    assert _issue(issue_registry, loaded_entry) is None

    # The new id is saved in the sensor's options, as Spotify names it now.
    data = _subentry(loaded_entry).data
    assert data["spotify_device_id"] == NEW_ID
    assert data["spotify_device_name"] == new_name

    # The session continues, and ends with a pause on the new id.
    await _set(hass, MOTION, "off")
    assert _status(hass)[0] == "playing"
    mark = len(speaker.requests)
    await _advance(hass, freezer, timedelta(minutes=5))
    assert _calls(speaker, mark) == [READ, PAUSE]
    assert speaker.requests_to(*PAUSE)[0].query["device_id"] == NEW_ID
    assert not speaker.playback.is_playing
    assert events["session_ended"][0].data["reason"] == "timeout"

    # The next session goes straight to the new id.
    await _advance(hass, freezer, timedelta(minutes=2))
    mark = len(speaker.requests)
    await _motion(hass)
    assert DEVICES not in _calls(speaker, mark)
    assert [r.query["device_id"] for r in speaker.requests_to(*PLAY)][-1] == NEW_ID


@pytest.mark.parametrize(
    ("rooms", "expected"),
    [
        pytest.param(
            [{"title": "Bathroom", "data": room_data(source=None, only_when_idle=False)}],
            [PLAY, DEVICES, PLAY],
            id="resume",
        ),
        pytest.param(
            [{"title": "Bathroom", "data": room_data(source=TRACK, only_when_idle=False)}],
            [PLAY, DEVICES, PLAY, SHUFFLE],
            id="track",
        ),
    ],
)
async def test_retry_on_the_new_id_plays_the_same_thing(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    expected: list[tuple[str, str]],
) -> None:
    _speaker_is_replaced(speaker)
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")
    assert _calls(speaker, mark) == expected
    first, retry = speaker.requests_to(*PLAY)
    assert retry.query["device_id"] == NEW_ID
    assert retry.json == first.json
    assert _status(hass)[0] == "playing"
    assert _subentry(loaded_entry).data["spotify_device_id"] == NEW_ID


async def test_listed_speaker_that_refuses_once_is_tried_again(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Spotify answers 404 for a speaker it still lists (asleep): one more try, same id."""
    speaker.fail("PUT", "/me/player/play", 404)
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")
    assert _calls(speaker, mark) == [READ, PLAY, DEVICES, PLAY, SHUFFLE]
    assert [r.query["device_id"] for r in speaker.requests_to(*PLAY)] == [SPEAKER_ID] * 2
    assert _status(hass)[0] == "playing"
    assert _subentry(loaded_entry).data["spotify_device_id"] == SPEAKER_ID
    assert _issue(issue_registry, loaded_entry) is None


async def test_missing_speaker_raises_a_repair_issue_until_the_next_success(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    issue_registry: ir.IssueRegistry,
    events: dict[str, list[Any]],
) -> None:
    speaker.remove_device(SPEAKER_ID)
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")

    # One play, the device list, and no second play: there is nothing to retry on.
    assert _calls(speaker, mark) == [READ, PLAY, DEVICES]
    assert speaker.playback is None
    (failed,) = events["playback_failed"]
    assert failed.data["sensor"] == "Bathroom"
    assert failed.data["error"] == "device_not_found"
    assert failed.data["device_id"] is not None
    assert events["session_started"] == []
    state, attributes = _status(hass)
    assert state == "error"
    assert attributes["error"] == "device_not_found"
    assert attributes["session_started"] is None
    assert attributes["stops_at"] is None

    issue = _issue(issue_registry, loaded_entry)
    assert issue is not None
    assert issue.translation_key == "speaker_missing"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.is_persistent  # survives a restart, like the stored "error" status
    assert not issue.is_fixable
    assert issue.translation_placeholders == {"room": "Bathroom", "speaker": SPEAKER_NAME}

    # No session was left behind: nothing ends, nothing is paused, nothing is polled.
    await _set(hass, MOTION, "off")
    await _advance(hass, freezer, timedelta(minutes=30))
    assert _calls(speaker, mark) == [READ, PLAY, DEVICES]
    assert events["session_ended"] == []
    assert _status(hass)[0] == "error"

    # The speaker is back: the next motion plays at once (no cooldown after a failure).
    speaker.add_device(SPEAKER_ID, SPEAKER_NAME)
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")
    assert _calls(speaker, mark) == [READ, PLAY, SHUFFLE]
    state, attributes = _status(hass)
    assert state == "playing"
    assert "error" not in attributes  # gone, not "Unknown"
    assert _issue(issue_registry, loaded_entry) is None


async def test_observed_session_does_not_clear_the_issue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Music already playing elsewhere is only observed: the speaker is not proven back."""
    speaker.remove_device(SPEAKER_ID)
    await _set(hass, MOTION, "on")
    assert _issue(issue_registry, loaded_entry) is not None

    speaker.user_play(PLAYLIST, "phone")
    mark = len(speaker.requests)
    await _motion(hass)
    assert _calls(speaker, mark) == [READ]
    assert _status(hass)[0] == "observing"
    assert _issue(issue_registry, loaded_entry) is not None

    await _set(hass, MOTION, "off")
    await _advance(hass, freezer, timedelta(minutes=5 + 2))
    speaker.user_pause()
    speaker.add_device(SPEAKER_ID, SPEAKER_NAME)
    await _motion(hass)
    assert _status(hass)[0] == "playing"
    assert _issue(issue_registry, loaded_entry) is None


async def test_speaker_refusing_the_retry_too_is_tried_only_once_more(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    issue_registry: ir.IssueRegistry,
    events: dict[str, list[Any]],
) -> None:
    speaker.fail("PUT", "/me/player/play", 404, times=None)
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")
    assert _calls(speaker, mark) == [READ, PLAY, DEVICES, PLAY]
    assert len(events["playback_failed"]) == 1
    assert _status(hass)[0] == "error"
    assert _issue(issue_registry, loaded_entry) is not None
    assert PAUSE not in _calls(speaker)


async def test_failed_start_for_another_reason_raises_no_speaker_issue(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    issue_registry: ir.IssueRegistry,
    events: dict[str, list[Any]],
) -> None:
    speaker.fail("PUT", "/me/player/play", 503, times=None)
    await _set(hass, MOTION, "on")
    (failed,) = events["playback_failed"]
    assert failed.data["error"] == "cannot_connect"
    assert _status(hass)[0] == "error"
    assert _issue(issue_registry, loaded_entry) is None
    assert DEVICES not in _calls(speaker)
    assert PAUSE not in _calls(speaker)


async def test_stop_after_a_failed_start_pauses_nothing(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    """A failed start leaves no owned session that a later stop could pause."""
    speaker.remove_device(SPEAKER_ID)
    await _set(hass, MOTION, "on")
    assert _status(hass)[0] == "error"
    speaker.user_play(PLAYLIST, "phone")  # the user plays the same playlist on the phone
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, _subentry(loaded_entry).subentry_id), loaded_entry.entry_id
    )
    assert device is not None
    mark = len(speaker.requests)
    await hass.services.async_call(
        DOMAIN, "stop_session", {ATTR_DEVICE_ID: device.id}, blocking=True
    )
    await hass.async_block_till_done()
    assert _calls(speaker, mark) == []
    assert speaker.playback is not None
    assert speaker.playback.is_playing
    assert events["session_ended"] == []


async def test_issue_goes_when_the_room_is_deleted(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    issue_registry: ir.IssueRegistry,
) -> None:
    speaker.remove_device(SPEAKER_ID)
    await _set(hass, MOTION, "on")
    subentry_id = _subentry(loaded_entry).subentry_id
    assert _issue(issue_registry, loaded_entry) is not None
    hass.config_entries.async_remove_subentry(loaded_entry, subentry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, f"speaker_missing_{subentry_id}") is None


async def test_issue_goes_when_the_account_is_deleted(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    issue_registry: ir.IssueRegistry,
) -> None:
    speaker.remove_device(SPEAKER_ID)
    await _set(hass, MOTION, "on")
    subentry_id = _subentry(loaded_entry).subentry_id
    assert _issue(issue_registry, loaded_entry) is not None
    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, f"speaker_missing_{subentry_id}") is None


async def test_issue_text_names_the_room_and_the_speaker(hass: HomeAssistant) -> None:
    """The translated repair issue a user reads."""
    translations = await async_get_translations(hass, "en", "issues", [DOMAIN])
    title = translations[f"component.{DOMAIN}.issues.speaker_missing.title"]
    description = translations[f"component.{DOMAIN}.issues.speaker_missing.description"]
    assert "{room}" in title
    assert "{room}" in description
    assert "{speaker}" in description


# --- a speaker that plays but refuses a setting -----------------------------------------------


@pytest.mark.parametrize("rooms", [[{"title": "Bathroom", "data": room_data(volume=30)}]])
async def test_speaker_without_volume_control_still_plays_and_is_paused(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    issue_registry: ir.IssueRegistry,
    events: dict[str, list[Any]],
) -> None:
    """A fixed-volume speaker answers 403 to volume: the music plays and is ours to stop."""
    device = speaker.device(SPEAKER_ID)
    assert device is not None
    device.supports_volume = False
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")
    calls = _calls(speaker, mark)
    assert calls[:2] == [READ, PLAY]
    assert sorted(calls[2:]) == sorted([VOLUME, SHUFFLE])  # sent together: in either order
    assert speaker.requests_to(*VOLUME)[0].status == 403
    assert speaker.playback is not None
    assert speaker.playback.is_playing
    assert speaker.playback.shuffle is True
    assert _status(hass)[0] == "playing"
    assert events["playback_failed"] == []
    assert events["session_started"][0].data["owned"] is True

    await _set(hass, MOTION, "off")
    await _advance(hass, freezer, timedelta(minutes=5))
    assert not speaker.playback.is_playing
    assert events["session_ended"][0].data["reason"] == "timeout"


@pytest.mark.parametrize("rooms", [[{"title": "Bathroom", "data": room_data(volume=30)}]])
async def test_active_speaker_without_volume_control_still_plays(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    events: dict[str, list[Any]],
) -> None:
    """On the active speaker the settings go first; a refused volume must not stop the play."""
    device = speaker.device(SPEAKER_ID)
    assert device is not None
    device.supports_volume = False
    speaker.user_play(PLAYLIST, SPEAKER_ID)
    speaker.user_pause()
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")
    calls = _calls(speaker, mark)
    # Both settings differ from the read: sent together, before the play.
    assert calls[0] == READ
    assert sorted(calls[1:3]) == sorted([VOLUME, SHUFFLE])
    assert calls[3:] == [PLAY]
    assert speaker.playback is not None
    assert speaker.playback.is_playing
    assert _status(hass)[0] == "playing"
    assert events["playback_failed"] == []


async def test_setting_refused_after_play_does_not_play_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    speaker: FakeSpotify,
    issue_registry: ir.IssueRegistry,
    events: dict[str, list[Any]],
) -> None:
    """Shuffle answered 404 right after play (speaker still waking up): the music plays."""
    speaker.fail("PUT", "/me/player/shuffle", 404, times=None)
    mark = len(speaker.requests)
    await _set(hass, MOTION, "on")
    assert _calls(speaker, mark) == [READ, PLAY, SHUFFLE]
    assert _status(hass)[0] == "playing"
    assert events["playback_failed"] == []
    assert _issue(issue_registry, loaded_entry) is None

    await _set(hass, MOTION, "off")
    await _advance(hass, freezer, timedelta(minutes=5))
    assert speaker.playback is not None
    assert not speaker.playback.is_playing
