"""manifest.json, hacs.json, translations and icons follow HACS/hassfest rules, and every key the
code uses has a translation."""

from __future__ import annotations

import json
from pathlib import Path
import re

from awesomeversion import AwesomeVersion
from PIL import Image
import pytest
import yaml

ROOT = Path(__file__).parent.parent
COMPONENT = ROOT / "custom_components" / "spottypottysense"

MANIFEST_REQUIRED = {
    "domain",
    "name",
    "codeowners",
    "documentation",
    "issue_tracker",
    "version",
    "config_flow",
    "dependencies",
    "iot_class",
    "integration_type",
    "requirements",
    "loggers",
}
# hassfest's custom-integration manifest schema (no core-only keys like quality_scale).
MANIFEST_ALLOWED = MANIFEST_REQUIRED | {
    "after_dependencies",
    "bluetooth",
    "dhcp",
    "homekit",
    "mqtt",
    "single_config_entry",
    "ssdp",
    "usb",
    "zeroconf",
}
HACS_ALLOWED = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
    "render_readme",
}


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_manifest() -> None:
    manifest = _json(COMPONENT / "manifest.json")
    assert manifest.keys() >= MANIFEST_REQUIRED
    assert manifest.keys() <= MANIFEST_ALLOWED
    assert manifest["domain"] == "spottypottysense"
    assert manifest["name"] == "SpottyPottySense"
    assert manifest["config_flow"] is True
    assert manifest["dependencies"] == ["application_credentials"]
    assert manifest["iot_class"] == "cloud_polling"
    assert manifest["integration_type"] == "hub"
    assert manifest["loggers"] == ["spotipy"]
    assert AwesomeVersion(manifest["version"]).valid
    assert manifest["version"] == "0.1.0"
    assert "home-assistant.io" not in manifest["documentation"]
    assert all(owner.startswith("@") for owner in manifest["codeowners"])


def test_requirement_pin_matches_the_dev_environment() -> None:
    """The manifest's spotipy pin is the one the tests install."""
    manifest = _json(COMPONENT / "manifest.json")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for requirement in manifest["requirements"]:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", requirement)
        assert f'"{requirement}"' in pyproject


def test_hacs_json() -> None:
    hacs = _json(ROOT / "hacs.json")
    assert hacs.keys() <= HACS_ALLOWED
    assert hacs["name"] == "SpottyPottySense"
    assert hacs["homeassistant"] == "2026.10.0"
    assert AwesomeVersion(hacs["homeassistant"]).valid
    assert hacs["render_readme"] is True


def test_strings_and_english_translation_are_identical() -> None:
    assert _json(COMPONENT / "strings.json") == _json(COMPONENT / "translations" / "en.json")


def test_no_unresolved_key_references() -> None:
    """Custom integrations get no [%key:…%] resolution; every string must be literal."""
    assert "[%key:" not in (COMPONENT / "strings.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("icon.png", (256, 256)),
        ("icon@2x.png", (512, 512)),
        ("dark_icon.png", (256, 256)),
        ("dark_icon@2x.png", (512, 512)),
    ],
)
def test_brand_icons(name: str, size: tuple[int, int]) -> None:
    with Image.open(COMPONENT / "brand" / name) as image:
        assert image.format == "PNG"
        assert image.size == size
        assert image.mode == "RGBA"


@pytest.mark.parametrize(
    ("name", "shortest"),
    [
        ("logo.png", (128, 256)),
        ("logo@2x.png", (256, 512)),
        ("dark_logo.png", (128, 256)),
        ("dark_logo@2x.png", (256, 512)),
    ],
)
def test_brand_logos(name: str, shortest: tuple[int, int]) -> None:
    with Image.open(COMPONENT / "brand" / name) as image:
        width, height = image.size
        assert width > height
        assert shortest[0] <= min(width, height) <= shortest[1]
        # Trimmed to their content (the brand rules): no fully transparent border.
        assert image.getchannel("A").getbbox() == (0, 0, width, height)


def _code() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in COMPONENT.glob("*.py"))


def test_every_translation_key_the_code_uses_exists() -> None:
    strings = _json(COMPONENT / "strings.json")
    code = _code()
    for key in set(re.findall(r'translation_key="([a-z_]+)"', code)):
        found = (
            key in strings["exceptions"] or key in strings["issues"] or key in strings["selector"]
        )
        assert found, f"translation_key {key!r} has no text"
    for key in set(re.findall(r'translation_key: ClassVar\[str\] = "([a-z_]+)"', code)) | set(
        re.findall(r'^\s+translation_key = "([a-z_]+)"', code, re.MULTILINE)
    ):
        assert key in strings["exceptions"], f"exception key {key!r} has no text"
    for reason in set(re.findall(r'async_abort\(\s*reason="([a-z_]+)"', code)):
        assert (
            reason in strings["config"]["abort"]
            or reason in strings["config_subentries"]["motion_sensor"]["abort"]
        ), reason
    errors = strings["config_subentries"]["motion_sensor"]["error"]
    for error in set(re.findall(r'errors\[[A-Z_]+\] = "([a-z_]+)"', code)):
        assert error in errors, error


def test_services_yaml_strings_and_icons_agree() -> None:
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text(encoding="utf-8"))
    strings = _json(COMPONENT / "strings.json")["services"]
    icons = _json(COMPONENT / "icons.json")["services"]
    assert services.keys() == strings.keys() == icons.keys()
    for name, spec in services.items():
        assert strings[name]["name"]
        assert strings[name]["description"]
        assert set(spec.get("fields", {})) == set(strings[name].get("fields", {}))


def test_entity_translations_and_icons_cover_every_entity() -> None:
    strings = _json(COMPONENT / "strings.json")["entity"]
    icons = _json(COMPONENT / "icons.json")["entity"]
    code = _code()
    keys = set(re.findall(r'(?<![_a-z])key="([a-z_]+)"', code)) | set(
        re.findall(r'\(c, "([a-z_]+)"\)', code)
    )
    platform_keys = {k for platform in strings.values() for k in platform}
    assert keys <= platform_keys
    for platform, entities in strings.items():
        for key in entities:
            assert key in icons[platform], f"{platform}.{key} has no icon"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://localhost:8765/", "http://localhost:8765"),
        ("https://127.0.0.1:8765", None),
        ("http://192.168.1.5:8765", None),
        ("http://api.example.com", None),
        ("", None),
    ],
)
def test_demo_override_only_accepts_loopback(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str | None
) -> None:
    """scripts/develop --demo's fake Spotify URL can never point a token elsewhere."""
    from custom_components.spottypottysense import const  # noqa: PLC0415

    monkeypatch.setenv(const.DEV_SPOTIFY_URL_ENV, value)
    assert const._dev_spotify_url() == expected
